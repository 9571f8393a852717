"""Starting ``airlock serve``: which mode, which sockets, as whom, on what data.

**System install** (a pin at ``/etc/airlock/agent.conf``): the service runs as the pin's
user and nobody else. Started by root it binds its TCP port (a privileged one: nothing
the agent starts can hold it while Airlock is down) and then drops to the service user;
started as the service user it needs ``CAP_NET_BIND_SERVICE`` for that port (the systemd
unit grants it). Before anything it refuses to start when its data dir, config or run
dir is open to others, saying the command that fixes it. It then answers the decision
socket (``server/decisions.py``) beside the HTTP API.

**Single-user mode**: the user who runs it; the data dir is made private (0700, files
0600) if it was not, and the start says plainly that the agent could switch Airlock off.
"""

from __future__ import annotations

import os
import socket
import stat
import sys
from dataclasses import dataclass
from urllib.parse import urlsplit

from airlock.system import (
    SINGLE_USER_WARNING,
    Pin,
    drop_to_service,
    load_pin,
    private_problems,
)


class BootError(Exception):
    """The service must not start; the message says why and what fixes it."""


@dataclass
class Boot:
    pin: Pin | None
    host: str
    port: int
    listener: socket.socket | None = None  # bound before dropping privileges

    @property
    def system(self) -> bool:
        return self.pin is not None


def prepare(host: str | None, port: int | None) -> Boot:
    """Decide the mode and bind what must be bound as root; then become the service."""
    pin = load_pin()
    if pin is None:
        os.umask(0o077)
        boot = Boot(None, host or "127.0.0.1", 8750 if port is None else port)
        # bound before anything is opened or recorded: a second server on a port in use
        # stops here, without touching the running one's ledger
        boot.listener = bind_tcp(boot.host, boot.port)
        return boot
    parts = urlsplit(pin.url)
    boot = Boot(pin, host or parts.hostname or "127.0.0.1", port or parts.port or 875)
    uid = os.geteuid()
    if uid not in (0, pin.uid):
        raise BootError(
            f"this machine runs Airlock as a system service (user {pin.user}, "
            f"{pin.path}); `airlock serve` runs only as that user. Start it with "
            "`sudo systemctl start airlock` (or as root: `sudo airlock serve`).")
    if uid == 0:
        _ensure_run_dir(pin)
    boot.listener = bind_tcp(boot.host, boot.port)
    if uid == 0:
        drop_to_service(pin)
    os.umask(0o077)
    os.environ["AIRLOCK_HOME"] = pin.data_dir
    problems = check_private(pin)
    if problems:
        boot.listener.close()
        raise BootError("refusing to start: Airlock's own files must be private to its "
                        f"service user {pin.user}:\n  " + "\n  ".join(problems) +
                        f"\nFix: `sudo airlock install --system` (it repairs owners and "
                        f"modes), or `sudo chown -R {pin.user}: {pin.data_dir} && sudo chmod "
                        f"-R go-rwx {pin.data_dir}`.")
    return boot


def bind_tcp(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise BootError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _ensure_run_dir(pin: Pin) -> None:
    run_dir = os.path.dirname(pin.socket)
    os.makedirs(run_dir, mode=0o755, exist_ok=True)
    os.chown(run_dir, pin.uid, pin.gid)
    os.chmod(run_dir, 0o755)


def check_private(pin: Pin) -> list[str]:
    """Everything that would let another user read or change the service's state."""
    out = private_problems(pin.data_dir, pin.uid)
    config_dir = os.path.dirname(pin.config)
    for path in (pin.config, os.path.join(config_dir, "policies")):
        # root may own the config, the service only reading it: 0640 root:airlock
        out += private_problems(path, pin.uid, group_ok=True)
    run_dir = os.path.dirname(pin.socket)
    try:
        st = os.stat(run_dir)
    except OSError:
        out.append(f"{run_dir} does not exist (`sudo install -d -o {pin.user} -m 755 "
                   f"{run_dir}`; the systemd unit's RuntimeDirectory creates it)")
    else:
        if st.st_uid != pin.uid:
            out.append(f"{run_dir} is owned by uid {st.st_uid}, not {pin.user}")
        if stat.S_IMODE(st.st_mode) & 0o022:
            out.append(f"{run_dir} is writable by others (mode "
                       f"{stat.S_IMODE(st.st_mode):o}): anyone could put a socket there")
    return out


def secure_single_user(data_dir: str) -> list[str]:
    """Single-user mode: make the data dir private (it is ours), saying what changed."""
    changed: list[str] = []
    try:
        st = os.stat(data_dir)
    except OSError:
        return changed
    if stat.S_IMODE(st.st_mode) & 0o077 and st.st_uid == os.geteuid():
        os.chmod(data_dir, 0o700)
        changed.append(f"{data_dir}: mode {stat.S_IMODE(st.st_mode):o} → 700")
    for name in os.listdir(data_dir):
        full = os.path.join(data_dir, name)
        try:
            fst = os.lstat(full)
        except OSError:
            continue
        if stat.S_ISREG(fst.st_mode) and stat.S_IMODE(fst.st_mode) & 0o077 \
                and fst.st_uid == os.geteuid():
            os.chmod(full, 0o600)
            changed.append(f"{full}: mode {stat.S_IMODE(fst.st_mode):o} → 600")
    return changed


def announce(boot: Boot) -> None:
    if not boot.system:
        sys.stderr.write(f"airlock serve: WARNING: {SINGLE_USER_WARNING}\n")
