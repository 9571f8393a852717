"""The stdlib-only client for the resident daemon (``airlock daemon``).

``airlock check`` and ``airlock hook run`` run before every tool call an agent makes,
so they must not pay for importing parsers and the policy engine each time. When a
daemon is listening on ``$AIRLOCK_HOME/run/airlock.sock``, the client ships its argv,
working directory, a few environment variables and stdin to it, and copies back the
answer: stdout, stderr, exit code. Only ``_socket``, ``os`` and ``sys`` are imported.

Wire format (one request per connection), fields separated by NUL:
``AIRLOCK1 \0 cwd \0 n_env \0 K=V… \0 n_argv \0 argv… \0 stdin-bytes``;
answer: ``exit \n len(stdout) \n stdout stderr``.
"""

from __future__ import annotations

import os
import sys

MAGIC = b"AIRLOCK1"
FORWARDED_ENV = ("AIRLOCK_CONFIG", "AIRLOCK_AGENT", "AIRLOCK_SERVER", "AIRLOCK_TOKEN",
                 "HOME", "TMPDIR", "CLAUDE_PROJECT_DIR")


def socket_path() -> str:
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


def try_daemon(argv: list[str], read_stdin: bool, timeout: float = 30.0) -> int | None:
    """Run ``argv`` in the daemon. None when no daemon answers (the caller runs it here)."""
    try:
        import _socket
    except ImportError:  # pragma: no cover
        return None
    path = socket_path()
    if not os.path.exists(path):
        return None
    sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        sock.settimeout(timeout)
        sock.connect(path)
    except OSError:
        sock.close()
        return None
    try:
        stdin = sys.stdin.buffer.read() if read_stdin else b""
        env = {k: os.environ[k] for k in FORWARDED_ENV if k in os.environ}
        sock.sendall(encode_request(argv, os.getcwd(), env, stdin))
        sock.shutdown(_socket.SHUT_WR)
        chunks = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    except OSError:
        sock.close()
        if read_stdin:
            # stdin is consumed: we cannot fall back. Fail closed, loudly.
            sys.stderr.write("airlock: the daemon stopped answering mid-request; "
                             "not allowing. Re-run, or stop it with `airlock daemon --stop`.\n")
            return 1
        return None
    sock.close()
    data = b"".join(chunks)
    try:
        head, rest = data.split(b"\n", 1)
        size, body = rest.split(b"\n", 1)
        code, n = int(head), int(size)
    except ValueError:
        if read_stdin:
            sys.stderr.write("airlock: the daemon sent a malformed answer; not allowing.\n")
            return 1
        return None
    if code == 125 and n == 0 and read_stdin is False:
        return None  # daemon is stale (code changed) and is exiting: run here
    sys.stdout.buffer.write(body[:n])
    sys.stdout.flush()
    if body[n:]:
        sys.stderr.buffer.write(body[n:])
        sys.stderr.flush()
    return code
