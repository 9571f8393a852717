"""Provider credentials, encrypted at rest (Fernet: AES-128-CBC + HMAC-SHA256).

The ciphertext lives in the database (``provider_secrets``), the key does not: it is
``$AIRLOCK_SECRET_KEY_FILE`` when set (a KMS-delivered or separately mounted file), else
``<data_dir>/broker-secret.key`` (created 0600 on first use). A database dump alone
reveals nothing.

Nothing here ever prints, returns over an API or logs a secret's value: the only reader
is :func:`reveal`, called by the proxy at the moment it injects the credential.
"""

from __future__ import annotations

import os
import threading
import time

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import delete, insert, select

from airlock.ledger import Ledger
from airlock.store.db import Store
from airlock.store.models import provider_secrets

KEY_FILE = "broker-secret.key"
KEY_ENV = "AIRLOCK_SECRET_KEY_FILE"


class SecretError(Exception):
    """A secret cannot be stored or read; the message never contains its value."""


def key_path(data_dir: str) -> str:
    return os.environ.get(KEY_ENV) or os.path.join(data_dir, KEY_FILE)


def load_key(data_dir: str, create: bool = True) -> Fernet:
    path = key_path(data_dir)
    try:
        with open(path, "rb") as fh:
            return Fernet(fh.read().strip())
    except FileNotFoundError:
        if not create or os.environ.get(KEY_ENV):
            raise SecretError(f"no secret key at {path}") from None
    except ValueError:
        raise SecretError(f"{path} is not a Fernet key") from None
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    key = Fernet.generate_key()
    tmp = f"{path}.{os.getpid()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(key)
    try:
        os.link(tmp, path)  # never replace a key another process created meanwhile
    except FileExistsError:
        pass
    finally:
        os.unlink(tmp)
    return load_key(data_dir, create=False)


def _check_name(name: str) -> str:
    if not name or len(name) > 128 or not all(c.isalnum() or c in "-_." for c in name):
        raise SecretError("secret name: 1-128 letters, digits, - _ .")
    return name


class SecretBox:
    """Encrypt/decrypt provider credentials; decrypted values are cached in memory only."""

    def __init__(self, store: Store, ledger: Ledger, data_dir: str) -> None:
        self.store = store
        self.ledger = ledger
        self.data_dir = data_dir
        self._fernet: Fernet | None = None
        self._cache: dict[str, tuple[float, str]] = {}
        self._lock = threading.Lock()

    @property
    def fernet(self) -> Fernet:
        if self._fernet is None:
            self._fernet = load_key(self.data_dir)
        return self._fernet

    def add(self, name: str, value: str, by: str = "cli") -> None:
        _check_name(name)
        if not value:
            raise SecretError("the secret is empty")
        ciphertext = self.fernet.encrypt(value.encode()).decode()
        with self.store.write() as conn:
            conn.execute(delete(provider_secrets).where(provider_secrets.c.name == name))
            conn.execute(insert(provider_secrets).values(name=name, ciphertext=ciphertext,
                                                         created_at=time.time(),
                                                         created_by=by))
            self.ledger.append(conn, "secret-added", by, payload={"name": name})
        with self._lock:
            self._cache.pop(name, None)

    def remove(self, name: str, by: str = "cli") -> bool:
        with self.store.write() as conn:
            res = conn.execute(delete(provider_secrets).where(provider_secrets.c.name == name))
            if res.rowcount:
                self.ledger.append(conn, "secret-removed", by, payload={"name": name})
        with self._lock:
            self._cache.pop(name, None)
        return bool(res.rowcount)

    def names(self) -> list[dict[str, object]]:
        with self.store.read() as conn:
            rows = conn.execute(select(provider_secrets.c.name, provider_secrets.c.created_at,
                                       provider_secrets.c.created_by)
                                .order_by(provider_secrets.c.name)).mappings().all()
        return [dict(r) for r in rows]

    def cached(self, name: str) -> str | None:
        """The plaintext if :meth:`reveal` has it in memory now, else None (no I/O)."""
        with self._lock:
            hit = self._cache.get(name)
        return hit[1] if hit is not None and hit[0] > time.monotonic() else None

    def reveal(self, name: str, ttl: float = 5.0) -> str:
        """The plaintext, for injection into an outgoing request only."""
        hit = self.cached(name)
        if hit is not None:
            return hit
        now = time.monotonic()
        with self.store.read() as conn:
            row = conn.execute(select(provider_secrets.c.ciphertext).where(
                provider_secrets.c.name == name)).first()
        if row is None:
            raise SecretError(f"no provider credential named {name!r} "
                              f"(add one: airlock secret add {name} --from-env VAR)")
        try:
            value = self.fernet.decrypt(row[0].encode()).decode()
        except InvalidToken:
            raise SecretError(f"the credential {name!r} cannot be decrypted with this "
                              "key") from None
        with self._lock:
            self._cache[name] = (now + ttl, value)
        return value
