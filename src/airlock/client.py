"""The agent side: how a hook or ``airlock check`` finds the real Airlock and asks it.

This module (with the entry point, ``airlock/cli/__init__.py``) is the only Airlock code
that runs as the agent's OS user on every tool call, so it is tiny and imports nothing
outside the standard library (not even ``json``, ``re`` or ``dataclasses``).

**System install** (docs/deployment.md). The pin, ``/etc/airlock/agent.conf`` — root-owned,
world-readable, no secrets — names the service's uid and its decision socket. The client
connects to that socket and asks the kernel (``SO_PEERCRED``) which uid answers; anything
but the service's uid is not Airlock, and the call is refused. The socket's directory
belongs to the service user, so the agent cannot bind it, even while Airlock is down; the
agent cannot kill the service (another uid) or change the pin (root's). When the service
does not answer, every call is refused with how to start it: there is no fallback. The
pin's path is fixed here on purpose: an environment variable that moved it would let the
agent point the client at an Airlock of its own.

**Single-user mode** (no pin). When a per-user daemon (``airlock daemon``) listens on
``$AIRLOCK_HOME/run/airlock.sock`` the client ships the call to it; otherwise the caller
answers in-process. Everything runs as one user here, the agent included.

Wire format (one request per connection), fields separated by NUL:
``AIRLOCK1 \0 cwd \0 n_env \0 K=V… \0 n_argv \0 argv… \0 stdin-bytes``;
answer: ``exit \n len(stdout) \n stdout stderr``.
"""

from __future__ import annotations

import os
import stat
import sys

MAGIC = b"AIRLOCK1"
FORWARDED_ENV = ("AIRLOCK_CONFIG", "AIRLOCK_AGENT", "AIRLOCK_SERVER", "AIRLOCK_TOKEN",
                 "HOME", "TMPDIR", "CLAUDE_PROJECT_DIR")
# what a system install's client sends: who the agent is (its token), what ~ means
SERVICE_ENV = ("HOME", "CLAUDE_PROJECT_DIR")
PIN_PATH = "/etc/airlock/agent.conf"


class PinError(Exception):
    """The pin exists but cannot be trusted or read: every surface refuses (fail closed)."""


class Pin:
    """What the agent side knows about the real Airlock (``/etc/airlock/agent.conf``).

    A plain class, not a dataclass: importing ``dataclasses`` would cost the hook client
    more than everything else it does."""

    __slots__ = ("config", "data_dir", "gid", "path", "socket", "uid", "url", "user")

    def __init__(self, user: str, uid: int, gid: int, socket: str, url: str, config: str,
                 data_dir: str, path: str = PIN_PATH) -> None:
        self.user = user  # the service user
        self.uid = uid  # the uid the answering process must run as
        self.gid = gid
        self.socket = socket  # the decision socket (a directory only the service writes)
        self.url = url  # the HTTP API, UI and HTTP hooks (a privileged port on loopback)
        self.config = config  # the authoritative config (readable by the service only)
        self.data_dir = data_dir  # the service's data dir (its AIRLOCK_HOME)
        self.path = path

    def __repr__(self) -> str:
        return f"Pin(user={self.user!r}, uid={self.uid}, socket={self.socket!r})"


def load_pin(path: str = PIN_PATH) -> Pin | None:
    """The pin, or None when this machine has no system install.

    Raises :class:`PinError` when the file exists but anyone but root could have written
    it (or a directory above it), or it is malformed: then nothing can be trusted, and
    the caller refuses rather than falling back to single-user mode.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise PinError(f"{path}: cannot read Airlock's pin: {exc.strerror}") from None
    try:
        st = os.fstat(fd)
        problem = _not_root_only(st, path, want_file=True) or _dirs_not_root_only(path)
        if problem:
            raise PinError(f"{path}: {problem}; it cannot be trusted, so Airlock refuses "
                           "everything. Reinstall with `sudo airlock install --system`.")
        raw = os.read(fd, 65536)
    finally:
        os.close(fd)
    return parse_pin(raw.decode("utf-8", "replace"), path)


def parse_pin(text: str, path: str = PIN_PATH) -> Pin:
    values: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep:
            raise PinError(f"{path}: malformed line {line[:40]!r}")
        values[key.strip()] = value.strip()
    try:
        return Pin(user=values["user"], uid=int(values["uid"]), gid=int(values["gid"]),
                   socket=values["socket"], url=values["url"], config=values["config"],
                   data_dir=values["data_dir"], path=path)
    except (KeyError, ValueError) as exc:
        raise PinError(f"{path}: missing or malformed {exc}") from None


def render_pin(pin: Pin) -> str:
    return (
        "# Airlock's system install: how the agent side recognises the real Airlock.\n"
        "# Written by `airlock install --system`. Root-owned; holds no secret.\n"
        f"user={pin.user}\nuid={pin.uid}\ngid={pin.gid}\nsocket={pin.socket}\n"
        f"url={pin.url}\nconfig={pin.config}\ndata_dir={pin.data_dir}\n")


def _not_root_only(st: os.stat_result, path: str, *, want_file: bool) -> str:
    if want_file and not stat.S_ISREG(st.st_mode):
        return "not a regular file"
    if st.st_uid != 0:
        return f"owned by uid {st.st_uid}, not root"
    if st.st_mode & 0o022:
        return f"writable by group or others (mode {stat.S_IMODE(st.st_mode):o})"
    return ""


def _dirs_not_root_only(path: str) -> str:
    d = os.path.dirname(os.path.abspath(path))
    while True:
        try:
            st = os.stat(d)
        except OSError as exc:
            return f"cannot check {d}: {exc.strerror}"
        if st.st_uid != 0 or (st.st_mode & 0o022 and not st.st_mode & stat.S_ISVTX):
            return f"directory {d} is writable by someone other than root"
        parent = os.path.dirname(d)
        if parent == d:
            return ""
        d = parent


def peer_uid(sock: object) -> int:
    """The uid of the process at the other end of a connected unix socket (Linux
    ``SO_PEERCRED``: pid, uid, gid as native ints), from the kernel, not from the peer."""
    import _socket

    raw = sock.getsockopt(_socket.SOL_SOCKET, _socket.SO_PEERCRED, 12)  # type: ignore[attr-defined]
    return int.from_bytes(raw[4:8], sys.byteorder, signed=True)



def socket_path() -> str:
    """The per-user daemon's socket (single-user mode)."""
    home = os.environ.get("AIRLOCK_HOME")
    if not home:
        base = os.environ.get("XDG_DATA_HOME") or os.path.join(
            os.path.expanduser("~"), ".local", "share")
        home = os.path.join(base, "airlock")
    return os.path.join(home, "run", "airlock.sock")


def encode_request(argv: list[str], cwd: str, env: dict[str, str], stdin: bytes) -> bytes:
    fields = [MAGIC, cwd.encode("utf-8", "surrogateescape"), str(len(env)).encode()]
    fields += [f"{k}={v}".encode("utf-8", "surrogateescape") for k, v in env.items()]
    fields.append(str(len(argv)).encode())
    fields += [a.encode("utf-8", "surrogateescape") for a in argv]
    return b"\0".join(fields) + b"\0" + stdin


class DaemonError(Exception):
    """The daemon accepted the connection but gave no well-formed answer."""


class ServiceDown(Exception):
    """The system install's service cannot be reached, or something else answered."""


def _exchange(sock: object, argv: list[str], env: dict[str, str],
              stdin: bytes) -> tuple[int, bytes, bytes]:
    import _socket

    chunks = []
    try:
        sock.sendall(encode_request(argv, os.getcwd(), env, stdin))  # type: ignore[attr-defined]
        sock.shutdown(_socket.SHUT_WR)  # type: ignore[attr-defined]
        while True:
            chunk = sock.recv(65536)  # type: ignore[attr-defined]
            if not chunk:
                break
            chunks.append(chunk)
    except OSError as exc:
        raise DaemonError("the daemon stopped answering mid-request") from exc
    try:
        head, rest = b"".join(chunks).split(b"\n", 1)
        size, body = rest.split(b"\n", 1)
        code, n = int(head), int(size)
    except ValueError:
        raise DaemonError("the daemon sent a malformed answer") from None
    if len(body) < n:
        raise DaemonError("the daemon sent a truncated answer")
    return code, body[:n], body[n:]


def ask_daemon(argv: list[str], stdin: bytes,
               timeout: float) -> tuple[int, bytes, bytes] | None:
    """Run ``argv`` in the per-user daemon with ``stdin`` already read: (exit, stdout,
    stderr). None when no daemon is there to ask (no socket, nobody listening);
    :class:`DaemonError` when one was reached but died, hung or answered malformed.
    """
    import _socket

    path = socket_path()
    if not os.path.exists(path):
        return None
    sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        sock.settimeout(timeout)
        try:
            sock.connect(path)
        except OSError:
            return None
        env = {k: os.environ[k] for k in FORWARDED_ENV if k in os.environ}
        return _exchange(sock, argv, env, stdin)
    finally:
        sock.close()


def agent_token() -> str:
    """The agent's Airlock token: ``AIRLOCK_TOKEN``, else ``$AIRLOCK_HOME/agent-token``
    (the agent's own data dir), else ""."""
    token = os.environ.get("AIRLOCK_TOKEN", "").strip()
    if token:
        return token
    home = os.environ.get("AIRLOCK_HOME") or os.path.join(
        os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local",
                                                        "share"), "airlock")
    try:
        with open(os.path.join(home, "agent-token"), "rb") as fh:
            return fh.read(400).decode("utf-8", "replace").strip()
    except OSError:
        return ""


def ask_service(pin: Pin, argv: list[str], stdin: bytes,
                timeout: float) -> tuple[int, bytes, bytes]:
    """Run ``argv`` in the system install's service: (exit, stdout, stderr).

    :class:`ServiceDown` when nothing answers on the pin's socket or the process that
    answers is not the service's uid (never trusted, whatever it says)."""
    import _socket

    sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        sock.settimeout(timeout)
        try:
            sock.connect(pin.socket)
        except OSError as exc:
            raise ServiceDown(f"Airlock's service is not answering on {pin.socket} "
                              f"({exc.strerror or exc})") from None
        uid = peer_uid(sock)
        if uid != pin.uid:
            raise ServiceDown(f"the process on {pin.socket} runs as uid {uid}, not as "
                              f"Airlock's service user {pin.user} (uid {pin.uid}): it is not "
                              "Airlock, and nothing it says is trusted")
        env = {k: os.environ[k] for k in SERVICE_ENV if k in os.environ}
        env["AIRLOCK_TOKEN"] = agent_token()
        try:
            return _exchange(sock, argv, env, stdin)
        except DaemonError as exc:
            raise ServiceDown(f"Airlock's service gave no usable answer ({exc})") from None
    finally:
        sock.close()


def service_down_help(pin: Pin) -> str:
    return ("start it (as root): `systemctl start airlock`, or see `airlock doctor`; "
            f"the service runs as {pin.user} and answers on {pin.socket}")


def try_daemon(argv: list[str], read_stdin: bool, timeout: float = 30.0) -> int | None:
    """Run ``argv`` in the daemon and copy its answer out. None when no daemon answers
    (the caller runs it here, with the same stdin)."""
    if not os.path.exists(socket_path()):
        return None  # stdin untouched: the in-process run reads it
    stdin = sys.stdin.buffer.read() if read_stdin else b""
    try:
        got = ask_daemon(argv, stdin, timeout)
    except DaemonError as exc:
        if read_stdin:
            # stdin is consumed: we cannot fall back. Fail closed, loudly.
            sys.stderr.write(f"airlock: {exc}; not allowing. Re-run, or stop it with "
                             "`airlock daemon --stop`.\n")
            return 1
        return None
    if got is None:
        if read_stdin:
            # nobody listening after all: hand what we read to the in-process run
            import io

            sys.stdin = io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8")
        return None
    code, out, err = got
    if code == 125 and not out:
        if read_stdin:  # stale daemon: the input we read goes to the in-process run
            import io

            sys.stdin = io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8")
        return None  # daemon is stale (code changed) and is exiting: run here
    sys.stdout.buffer.write(out)
    sys.stdout.flush()
    if err:
        sys.stderr.buffer.write(err)
        sys.stderr.flush()
    return code
