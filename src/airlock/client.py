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


class DaemonError(Exception):
    """The daemon accepted the connection but gave no well-formed answer."""


def ask_daemon(argv: list[str], stdin: bytes,
               timeout: float) -> tuple[int, bytes, bytes] | None:
    """Run ``argv`` in the daemon with ``stdin`` already read: (exit, stdout, stderr).

    None when no daemon is there to ask (no socket, nobody listening);
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
        chunks = []
        try:
            env = {k: os.environ[k] for k in FORWARDED_ENV if k in os.environ}
            sock.sendall(encode_request(argv, os.getcwd(), env, stdin))
            sock.shutdown(_socket.SHUT_WR)
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
        except OSError as exc:
            raise DaemonError("the daemon stopped answering mid-request") from exc
    finally:
        sock.close()
    try:
        head, rest = b"".join(chunks).split(b"\n", 1)
        size, body = rest.split(b"\n", 1)
        code, n = int(head), int(size)
    except ValueError:
        raise DaemonError("the daemon sent a malformed answer") from None
    if len(body) < n:
        raise DaemonError("the daemon sent a truncated answer")
    return code, body[:n], body[n:]


def try_daemon(argv: list[str], read_stdin: bool, timeout: float = 30.0) -> int | None:
    """Run ``argv`` in the daemon and copy its answer out. None when no daemon answers
    (the caller runs it here)."""
    stdin = sys.stdin.buffer.read() if read_stdin and os.path.exists(socket_path()) else b""
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
    if code == 125 and not out and not read_stdin:
        return None  # daemon is stale (code changed) and is exiting: run here
    sys.stdout.buffer.write(out)
    sys.stdout.flush()
    if err:
        sys.stderr.buffer.write(err)
        sys.stderr.flush()
    return code
