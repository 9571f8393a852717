"""``airlock doctor``'s first half: does the trust boundary hold on this machine?

Each check is ``(ok, text)``; every failure says what fixes it. In single-user mode the
answer is plainly no (the agent runs as Airlock's own user). In a system install:
the pin is root's, the service user exists and is the pin's uid, its files are private,
its run directory is its own, it answers on its socket as that uid and on its privileged
port, unprivileged users cannot bind that port, Airlock's code is root's alone, and per
agent tool whether the installed system hook could be removed or bypassed by the
agent's user (``intake/hooks/managed.py``).
"""

from __future__ import annotations

import os
import pwd
import stat

from airlock.system import SINGLE_USER_WARNING, Pin, PinError, load_pin, private_problems

Check = tuple[bool, str]


def checks() -> list[Check]:
    try:
        pin = load_pin()
    except PinError as exc:
        return [(False, f"mode: {exc}")]
    if pin is None:
        return [(False, f"mode: single-user. {SINGLE_USER_WARNING} Fix: `sudo airlock "
                        "install --system`, then `sudo airlock hook install TOOL --system`")]
    out: list[Check] = [(True, f"mode: system install (pin {pin.path}, service user "
                               f"{pin.user}, uid {pin.uid})")]
    out += _service_user(pin)
    out += _files(pin)
    out += _answers(pin)
    out += _port(pin)
    out += _code()
    out += hooks()
    return out


def _service_user(pin: Pin) -> list[Check]:
    try:
        pw = pwd.getpwnam(pin.user)
    except KeyError:
        return [(False, f"service user {pin.user} does not exist: `sudo airlock install "
                        "--system`")]
    if pw.pw_uid != pin.uid:
        return [(False, f"service user {pin.user} is uid {pw.pw_uid}, the pin says "
                        f"{pin.uid}: `sudo airlock install --system`")]
    return [(True, f"service user {pin.user} (uid {pin.uid})")]


def _files(pin: Pin) -> list[Check]:
    if os.geteuid() not in (0, pin.uid):
        return [(False, "files: run `sudo airlock doctor` to check the service's files")]
    problems = private_problems(pin.data_dir, pin.uid)
    for path in (pin.config, os.path.join(os.path.dirname(pin.config), "policies")):
        problems += private_problems(path, pin.uid, group_ok=True)
    run_dir = os.path.dirname(pin.socket)
    try:
        st = os.stat(run_dir)
        if st.st_uid != pin.uid or stat.S_IMODE(st.st_mode) & 0o022:
            problems.append(f"{run_dir} is not {pin.user}'s alone")
    except OSError:
        problems.append(f"{run_dir} is missing (the service creates its socket there)")
    if problems:
        return [(False, "files: " + "; ".join(problems[:5]) + ". Fix: `sudo airlock "
                        "install --system` (repairs owners and modes)")]
    return [(True, f"files: {pin.data_dir}, {pin.config} and {run_dir} are private to "
                   f"{pin.user}")]


def _answers(pin: Pin) -> list[Check]:
    import socket

    from airlock.client import peer_uid

    out: list[Check] = []
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(3)
    try:
        sock.connect(pin.socket)
        uid = peer_uid(sock)
        out.append((uid == pin.uid, f"decision socket {pin.socket}: answered by uid {uid}"
                    + ("" if uid == pin.uid else f", NOT {pin.user}: something else holds "
                       "Airlock's socket")))
    except OSError as exc:
        out.append((False, f"decision socket {pin.socket}: not answering ({exc.strerror or exc})"
                           "; every hook call is refused until it does: `sudo systemctl start "
                           "airlock`"))
    finally:
        sock.close()
    from airlock.hold.client import ServiceClient

    healthy = ServiceClient(pin.url, None).health(timeout=3)
    out.append((healthy, f"HTTP API {pin.url}: " + ("answering" if healthy else
                                                     "not answering")))
    return out


def _port(pin: Pin) -> list[Check]:
    from urllib.parse import urlsplit

    port = urlsplit(pin.url).port or 80
    try:
        with open("/proc/sys/net/ipv4/ip_unprivileged_port_start") as fh:
            start = int(fh.read().strip())
    except (OSError, ValueError):
        start = 1024
    if port >= start:
        return [(False, f"port {port}: unprivileged users may bind ports from {start} up, so "
                        "an agent could listen there while Airlock is down. Fix: `sysctl "
                        f"net.ipv4.ip_unprivileged_port_start=1024`")]
    return [(True, f"port {port}: only privileged processes can listen on it "
                   f"(ip_unprivileged_port_start = {start})")]


def _code() -> list[Check]:
    from airlock.install import access_problems, code_problems

    closed = access_problems()
    if closed:
        return [(False, "code: the service and the agents cannot run this Airlock: "
                        + "; ".join(closed[:3]))]
    problems = code_problems()
    if problems:
        return [(False, "code: users other than root can change Airlock's code, so an agent "
                        "could rewrite its own hook: " + "; ".join(problems[:3]))]
    return [(True, "code: Airlock's interpreter, script and package are root's alone")]


def hooks() -> list[Check]:
    from airlock.intake.hooks import TOOLS, managed

    out = [managed.assess(tool) for tool in TOOLS if managed.installed(tool)]
    if not out:
        out.append((False, "hooks: no agent tool has Airlock's hook in its system settings; "
                           "`sudo airlock hook install claude-code --system` (or cursor, "
                           "gemini-cli, codex)"))
    return out
