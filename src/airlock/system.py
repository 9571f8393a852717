"""Airlock as its own principal on this machine: the system install's fixed facts.

In a **system install** (``airlock install --system``) Airlock runs as a service user
(``airlock``) that owns its config, state and keys; the agent runs as another user who can
read none of it. The agent side then needs exactly one thing: how to recognise the real
Airlock. That is the **pin**, ``/etc/airlock/agent.conf``: root-owned, world-readable,
no secrets — the service's uid and the socket it answers on. The agent's client connects
to that socket and checks, with the kernel's word for it (``SO_PEERCRED``), that the
process answering runs as that uid. An agent cannot bind the socket (its directory
belongs to the service user), cannot kill the service (another uid), and cannot edit or
remove the pin (root's): nothing it starts can answer in Airlock's place.

Without a pin Airlock runs in **single-user mode**: everything as the user who started
it — the agent included, which can therefore switch Airlock off. Every surface says so.

The pin's path is fixed here and deliberately not configurable by any environment
variable: whoever could point the client at another pin could answer in Airlock's place.

The pin itself is read by the agent side (``client.py``, on every hook call); this
module holds the layout the install creates and the checks the service runs on it.
Standard library only.
"""

from __future__ import annotations

import os
import stat

from airlock.client import PIN_PATH, Pin, PinError, load_pin, parse_pin, peer_uid, render_pin

__all__ = ["PIN_PATH", "Pin", "PinError", "load_pin", "parse_pin", "peer_uid",
           "private_problems", "render_pin"]

# The layout `airlock install --system` creates (docs/deployment.md).
DEFAULT_USER = "airlock"
CONFIG_DIR = "/etc/airlock"
CONFIG_FILE = CONFIG_DIR + "/airlock.toml"
DATA_DIR = "/var/lib/airlock"
RUN_DIR = "/run/airlock"
SOCKET = RUN_DIR + "/airlock.sock"
# A port below 1024: an unprivileged user cannot bind it (Linux, while
# net.ipv4.ip_unprivileged_port_start stays at its default of 1024; `airlock doctor`
# checks), so nothing the agent starts can listen there while Airlock is down.
PORT = 875
UNIT_PATH = "/etc/systemd/system/airlock.service"

SINGLE_USER_WARNING = (
    "Airlock runs in single-user mode: the agent runs as the same OS user as Airlock, so "
    "it could switch Airlock off, rewrite its state or answer in its place. Fine for a "
    "first try; to make the guard hold, run `sudo airlock install --system` "
    "(docs/deployment.md).")


def private_problems(path: str, owner_uid: int, *, group_ok: bool = False) -> list[str]:
    """Why ``path`` (a dir or file of the service) is not private to ``owner_uid``:
    owned by someone else, or readable/writable by others (and by the group, unless
    ``group_ok``). Files inside a directory are checked one level down."""
    out: list[str] = []
    mask = 0o007 if group_ok else 0o077
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return out
    except OSError as exc:
        return [f"{path}: cannot check: {exc.strerror}"]
    if st.st_uid not in (owner_uid, 0):
        out.append(f"{path} is owned by uid {st.st_uid}")
    if stat.S_IMODE(st.st_mode) & mask:
        out.append(f"{path} is open to others (mode {stat.S_IMODE(st.st_mode):o})")
    if stat.S_ISDIR(st.st_mode):
        try:
            names = os.listdir(path)
        except OSError:
            names = []
        for name in sorted(names):
            full = os.path.join(path, name)
            try:
                cst = os.lstat(full)
            except OSError:
                continue
            if cst.st_uid not in (owner_uid, 0):
                out.append(f"{full} is owned by uid {cst.st_uid}")
            elif stat.S_IMODE(cst.st_mode) & (0o002 if stat.S_ISSOCK(cst.st_mode) else mask):
                out.append(f"{full} is open to others (mode {stat.S_IMODE(cst.st_mode):o})")
    return out


def drop_to_service(pin: Pin) -> None:
    """Become the service user (from root), with its data dir as ``AIRLOCK_HOME`` and a
    private umask: what root runs on the service's state must leave files the service
    owns, never root-owned ones it cannot open."""
    import pwd

    os.initgroups(pin.user, pin.gid)
    os.setgid(pin.gid)
    os.setuid(pin.uid)
    os.umask(0o077)
    os.environ["AIRLOCK_HOME"] = pin.data_dir
    os.environ.pop("AIRLOCK_CONFIG", None)
    try:
        os.environ["HOME"] = pwd.getpwuid(pin.uid).pw_dir
    except KeyError:
        os.environ["HOME"] = pin.data_dir


def single_user_notice(home: str, surface: str) -> str:
    """The single-user warning the first time ``surface`` (check, hook, exec, mcp) runs
    with the data dir ``home``, else "" — said once, plainly, not on every call. In a
    system install there is nothing to say."""
    try:
        if load_pin() is not None:
            return ""
    except PinError:
        return ""
    marker = os.path.join(home, f".single-user-notice-{surface}")
    if os.path.exists(marker):
        return ""
    try:
        os.makedirs(home, mode=0o700, exist_ok=True)
        with open(marker, "x"):
            pass
    except OSError:
        pass
    return SINGLE_USER_WARNING
