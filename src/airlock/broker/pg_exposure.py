"""``airlock doctor``: is a gateway database's real credential also within the agent's
reach? The gateway only helps if the agent has no other way in.

For each ``[[databases]]`` entry with a ``secret``, the password is looked for (never
printed) where an agent finds credentials: the environment of running processes
(``/proc/PID/environ``: a shell that exported ``DATABASE_URL`` or ``PGPASSWORD``),
``.pgpass`` and ``.pg_service.conf`` in users' homes, and env files (``.env``,
``.env.*``, ``*.env``) in those homes and under the working directory. A hit that a user
other than Airlock's service user can read is a failure, with the file or process and
the fix.
"""

from __future__ import annotations

import os
import pwd
import stat
from collections.abc import Callable, Iterator

from airlock.config import Config

Check = tuple[str, str]  # (level, text): ok | warn | fail
ENV_NAMES = (".env", ".pgpass", ".pg_service.conf", "pg_service.conf")
SKIP_DIRS = frozenset({".git", "node_modules", ".venv", "venv", "__pycache__", ".cache",
                       ".tox", "dist", "build", "target"})
MAX_FILE = 1 << 20
MAX_FILES = 20_000


def _env_file(name: str) -> bool:
    return name in ENV_NAMES or name.startswith(".env.") or name.endswith(".env")


def _walk(root: str, depth: int) -> Iterator[str]:
    seen = 0
    base = root.rstrip("/").count("/")
    for here, dirs, files in os.walk(root):
        if here.count("/") - base >= depth:
            dirs[:] = []
        dirs[:] = [d for d in dirs if d not in SKIP_DIRS]
        for name in files:
            seen += 1
            if seen > MAX_FILES:
                return
            if _env_file(name):
                yield os.path.join(here, name)


def _homes() -> list[str]:
    out = []
    for pw in pwd.getpwall():
        home = pw.pw_dir
        if home and home not in ("/", "/nonexistent") and os.path.isdir(home) and \
                (pw.pw_uid == 0 or pw.pw_uid >= 1000 or home.startswith("/home/")):
            out.append(home)
    return sorted(set(out))


def _readable_by_others(path: str, service_uid: int | None) -> bool:
    """Someone else than the service user (and root) can read it."""
    if service_uid is None:
        return True  # single-user mode: the agent is this user
    try:
        st = os.stat(path)
    except OSError:
        return False
    return st.st_uid not in (0, service_uid) or bool(stat.S_IMODE(st.st_mode) & 0o044)


def _contains(path: str, needle: bytes) -> bool:
    try:
        if os.path.getsize(path) > MAX_FILE:
            return False
        with open(path, "rb") as fh:
            return needle in fh.read()
    except OSError:
        return False


def _processes(needle: bytes, service_uid: int | None) -> list[str]:
    out: list[str] = []
    try:
        pids = [p for p in os.listdir("/proc") if p.isdigit()]
    except OSError:
        return out
    for pid in pids:
        try:
            with open(f"/proc/{pid}/environ", "rb") as fh:
                environ = fh.read()
            uid = os.stat(f"/proc/{pid}").st_uid
            with open(f"/proc/{pid}/comm") as fh:
                comm = fh.read().strip()
        except OSError:
            continue
        if needle in environ and uid != service_uid and pid != str(os.getpid()):
            out.append(f"process {pid} ({comm}, uid {uid}) has it in its environment")
    return out


def checks(config: Config, reveal: Callable[[str], str], cwd: str,
           service_uid: int | None) -> list[Check]:
    """One line per declared database: ok, or fail naming where its credential lies."""
    out: list[Check] = []
    if not config.databases:
        return out
    roots = [(h, 2) for h in _homes()] + [(cwd, 4)]
    candidates = sorted({p for root, depth in roots for p in _walk(root, depth)
                         if not p.startswith(config.data_dir.rstrip("/") + "/")})
    for db in config.databases:
        if not db.secret:
            out.append(("warn", f"database {db.name}: no secret, so its server lets "
                                f"{db.upstream.split('?')[0]} in without a password — anyone "
                                "who can reach it can bypass the gateway; give the role a "
                                "password and keep it in `airlock secret add`"))
            continue
        try:
            password = reveal(db.secret)
        except Exception as exc:  # noqa: BLE001 - say so; the gateway would refuse too
            out.append(("fail", f"database {db.name}: its secret {db.secret!r} cannot be "
                                f"read ({exc})"))
            continue
        needle = password.encode()
        found = [f"{p} holds it" for p in candidates
                 if _contains(p, needle) and _readable_by_others(p, service_uid)]
        found += _processes(needle, service_uid)
        if found:
            out.append(("fail", f"database {db.name}: the agent's user can read its real "
                                f"credential, so it can bypass the gateway: "
                                f"{'; '.join(found[:5])}. Fix: remove it there (and rotate "
                                "the password: `airlock secret add "
                                f"{db.secret}` with the new one); agents connect with "
                                f"postgresql://AGENT:alk_…@GATEWAY/{db.name}"))
        else:
            out.append(("ok", f"database {db.name}: its credential is in Airlock's secrets "
                              "only (no env file, .pgpass or process environment found "
                              "holding it)"))
    return out
