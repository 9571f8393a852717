"""Settings of the protect stage.

Read from, in order: ``AIRLOCK_PROTECT_CONFIG``; else a ``[protect]`` table in the
airlock.toml in force; else ``<data_dir>/protect.toml`` (a file whose top level is the
``[protect]`` table's body, or which holds a ``[protect]`` table). See docs/safety-net.md.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from airlock.config import ConfigError, read_toml, unknown_key

REQUIRE = ("never", "production", "always")


@dataclass
class Credential:
    match: str  # glob on the target locator
    url: str = ""  # replaces the locator's connection URL (user, host, port; db kept)
    password_env: str = ""  # name of the env var holding the password
    secret: str = ""  # name of the Airlock secret holding it (a [[databases]] entry's)


@dataclass
class ProtectSettings:
    data_dir: str
    store: str = "local"  # local | s3
    path: str = ""  # local store root (default <data_dir>/snapshots)
    quota_bytes: int = 0  # 0 = no quota
    bucket: str = ""
    prefix: str = "airlock/"
    endpoint_url: str = ""
    region: str = "us-east-1"
    access_key_env: str = "AIRLOCK_S3_ACCESS_KEY_ID"
    secret_key_env: str = "AIRLOCK_S3_SECRET_ACCESS_KEY"
    object_lock_days: int = 0  # 0 = use the bucket default / none
    retention_days: float = 7.0
    require_independent: str = "never"  # never (warn) | production | always
    unprotected: str = "fail-production"  # allow | fail-production | fail
    credentials: list[Credential] = field(default_factory=list)
    # Extra device/path/credential identities the store must differ from (doctor).
    protected_paths: list[str] = field(default_factory=list)
    source: str = ""  # the file these settings came from, or "(defaults)"
    # reads an Airlock secret by name (credentials from [[databases]]); set by whoever
    # holds the store, else the data dir's own store is opened on first use
    secret_reader: Callable[[str], str] | None = None

    @property
    def journal_dir(self) -> str:
        return os.path.join(self.data_dir, "protect")

    @property
    def local_root(self) -> str:
        return self.path or os.path.join(self.data_dir, "snapshots")

    def connection_url(self, locator: str) -> str:
        """The URL to connect with for a database locator: the locator, with the user,
        host, port and password of the first matching ``[[protect.credentials]]``."""
        for cred in self.credentials:
            if not fnmatch.fnmatchcase(locator, cred.match):
                continue
            url = locator
            if cred.url:
                base, dbpath = urlsplit(cred.url), urlsplit(locator).path
                url = urlunsplit((base.scheme, base.netloc, dbpath or base.path, base.query, ""))
            password = os.environ.get(cred.password_env, "") if cred.password_env else ""
            if cred.secret:
                password = self.read_secret(cred.secret)
            if password:
                parts = urlsplit(url)
                user = parts.username or ""
                host = parts.hostname or ""
                port = f":{parts.port}" if parts.port else ""
                from urllib.parse import quote

                netloc = f"{quote(user)}:{quote(password, safe='')}@{host}{port}"
                url = urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))
            return url
        return locator

    def read_secret(self, name: str) -> str:
        if self.secret_reader is None:
            from airlock.broker.secrets import SecretBox
            from airlock.ledger import Ledger
            from airlock.store.db import database_url, open_store

            store = open_store(database_url(None, self.data_dir))
            self.secret_reader = SecretBox(store, Ledger(store, None), self.data_dir).reveal
        return self.secret_reader(name)


def _body(data: dict[str, Any]) -> dict[str, Any]:
    inner = data.get("protect", data)
    if not isinstance(inner, dict):
        raise ConfigError("[protect] must be a table")
    return inner


def load(data_dir: str, config_path: str | None = None) -> ProtectSettings:
    body: dict[str, Any] = {}
    src = os.environ.get("AIRLOCK_PROTECT_CONFIG")
    candidates = [src] if src else []
    if config_path:
        candidates.append(config_path)
    candidates.append(os.path.join(data_dir, "protect.toml"))
    for path in candidates:
        if not path or not os.path.exists(path):
            continue
        data = read_toml(path)[0]
        if path == config_path and "protect" not in data:
            continue
        body = _body(data)
        source = path
        break
    else:
        source = "(defaults)"
    out = parse(body, data_dir, source)
    out.credentials.extend(database_credentials(config_path))
    return out


def database_credentials(config_path: str | None) -> list[Credential]:
    """What the safety net connects to a gateway's ``[[databases]]`` with: the upstream
    URL and the password in Airlock's secrets (after any ``[[protect.credentials]]``)."""
    if not config_path:
        return []
    from airlock.config import load_file

    try:
        cfg = load_file(config_path)
    except ConfigError:
        return []  # the config's own readers say what is wrong with it
    return [Credential(db.server, db.upstream.split("?", 1)[0], secret=db.secret)
            for db in cfg.databases]


_SIMPLE: dict[str, type] = {
    "store": str, "path": str, "quota_bytes": int, "bucket": str, "prefix": str,
    "endpoint_url": str, "region": str, "access_key_env": str, "secret_key_env": str,
    "object_lock_days": int, "retention_days": float, "require_independent": str,
    "unprotected": str,
}


def parse(body: dict[str, Any], data_dir: str, source: str = "") -> ProtectSettings:
    out = ProtectSettings(data_dir=data_dir, source=source)
    problem = unknown_key(body, "protect")
    if problem:
        raise ConfigError(f"{source}: [protect]: {problem}")
    for key, value in body.items():
        if key == "credentials":
            if not isinstance(value, list):
                raise ConfigError(f"{source}: [protect] credentials must be an array of tables")
            for item in value:
                if not isinstance(item, dict) or "match" not in item:
                    raise ConfigError(f"{source}: [[protect.credentials]] needs 'match'")
                problem = unknown_key(item, "protect.credentials")
                if problem:
                    raise ConfigError(f"{source}: [[protect.credentials]]: {problem}")
                out.credentials.append(Credential(str(item["match"]), str(item.get("url", "")),
                                                  str(item.get("password_env", "")),
                                                  str(item.get("secret", ""))))
        elif key == "protected_paths":
            out.protected_paths = [str(v) for v in value]
        elif key in _SIMPLE:
            typ = _SIMPLE[key]
            if typ is float and isinstance(value, int):
                value = float(value)
            if not isinstance(value, typ) or isinstance(value, bool):
                raise ConfigError(f"{source}: [protect] {key} must be a {typ.__name__}")
            setattr(out, key, value)
        else:
            raise ConfigError(f"{source}: [protect]: unknown key {key!r}")
    if out.store not in ("local", "s3"):
        raise ConfigError(f"{source}: [protect] store must be 'local' or 's3'")
    if out.require_independent not in REQUIRE:
        raise ConfigError(f"{source}: [protect] require_independent must be one of "
                          f"{', '.join(REQUIRE)}")
    if out.unprotected not in ("allow", "fail-production", "fail"):
        raise ConfigError(f"{source}: [protect] unprotected must be allow, fail-production "
                          "or fail")
    if out.path:
        out.path = os.path.abspath(os.path.expanduser(out.path))
    return out
