"""The resident decision daemon behind the fast path of ``airlock check`` / ``hook run``.

It keeps the parsers, packs and compiled policies warm, listens on a unix socket in
``$AIRLOCK_HOME/run/`` (mode 0600, in a 0700 directory), and runs each forwarded
invocation with the caller's working directory and stdin. It only answers questions
(classify/resolve/decide); it cannot approve anything. It exits after an idle
timeout, and when Airlock's own code changes on disk (answering "stale" so the client
runs the call itself).
"""

from __future__ import annotations

import contextlib
import io
import os
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path

from airlock.client import MAGIC, socket_path

STALE = 125
MAX_REQUEST = 16 << 20  # bytes of one forwarded call (argv, env, stdin) at most


def code_stamp() -> float:
    root = Path(__file__).parent
    newest = 0.0
    for p in root.rglob("*"):
        if p.suffix in (".py", ".cedar"):
            with contextlib.suppress(OSError):
                newest = max(newest, p.stat().st_mtime)
    return newest


def decode_request(data: bytes) -> tuple[list[str], str, dict[str, str], bytes]:
    parts = data.split(b"\0")
    if not parts or parts[0] != MAGIC:
        raise ValueError("not an airlock request")
    i = 1
    cwd = parts[i].decode("utf-8", "surrogateescape")
    i += 1
    n_env = int(parts[i])
    i += 1
    env = {}
    for raw in parts[i : i + n_env]:
        k, _, v = raw.decode("utf-8", "surrogateescape").partition("=")
        env[k] = v
    i += n_env
    n_argv = int(parts[i])
    i += 1
    argv = [p.decode("utf-8", "surrogateescape") for p in parts[i : i + n_argv]]
    i += n_argv
    stdin = b"\0".join(parts[i:])
    return argv, cwd, env, stdin


Handler = Callable[[list[str], str, dict[str, str], bytes], tuple[int, str, str]]
# A handler that also learns who is calling (the peer's uid, from the kernel).
PeerHandler = Callable[[list[str], str, dict[str, str], bytes, int], tuple[int, str, str]]


def handle(argv: list[str], cwd: str, env: dict[str, str], stdin: bytes) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    if argv and argv[0] == "check":
        from airlock.cli.check import run_check

        code = run_check(argv[1:], io.StringIO(stdin.decode("utf-8", "replace")), out, err,
                         cwd, env)
        return code, out.getvalue(), err.getvalue()
    if argv[:2] == ["hook", "run"]:
        try:
            from airlock.intake.hook_runner import run_hook
        except ImportError:
            return 1, "", "airlock: hooks are not available in this build\n"
        code = run_hook(argv[2:], stdin, out, err, cwd, env)
        return code, out.getvalue(), err.getvalue()
    return 2, "", f"airlock daemon: cannot run {' '.join(argv[:2])!r} here\n"


class Daemon:
    """A unix-socket server answering ``check`` / ``hook run`` calls, one thread each.

    The per-user daemon (single-user mode) uses :func:`handle`, exits when idle and when
    Airlock's code changes. ``airlock serve`` in a system install hosts one too, with the
    service's handler (``server/decisions.py``), no idle exit and a socket anyone may
    connect to (``socket_mode`` 0666) in a directory only the service can create files
    in.
    """

    def __init__(self, path: str | None = None, idle_timeout: float | None = 900.0,
                 handler: PeerHandler | None = None, socket_mode: int = 0o600,
                 watch_code: bool = True) -> None:
        self.path = path or socket_path()
        self.idle_timeout = idle_timeout
        self.handler: PeerHandler = handler or (lambda a, c, e, i, _uid: handle(a, c, e, i))
        self.socket_mode = socket_mode
        self.watch_code = watch_code
        self.stamp = code_stamp() if watch_code else 0.0
        self.last_used = time.monotonic()
        self.last_stamp_check = time.monotonic()
        self.stopping = threading.Event()
        self.listening = threading.Event()

    def serve(self, install_signals: bool = True) -> None:
        if install_signals:
            import signal

            signal.signal(signal.SIGTERM, lambda *_: self.stopping.set())
        run_dir = os.path.dirname(self.path)
        if self.socket_mode == 0o600:
            os.makedirs(run_dir, mode=0o700, exist_ok=True)
            os.chmod(run_dir, 0o700)
        if os.path.exists(self.path):
            probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                probe.connect(self.path)
                probe.close()
                raise SystemExit(f"airlock daemon: already running on {self.path}")
            except OSError:
                os.unlink(self.path)  # stale socket from a dead daemon
        srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old = os.umask(0o177)
        try:
            srv.bind(self.path)
        finally:
            os.umask(old)
        if self.socket_mode != 0o600:
            os.chmod(self.path, self.socket_mode)
        srv.listen(64)
        srv.settimeout(1.0)
        pid_path = os.path.join(run_dir, "airlock.pid")
        with open(pid_path, "w") as fh:
            fh.write(str(os.getpid()))
        if self.watch_code:
            # warm up: import the parsers and compile the default policies now
            with contextlib.suppress(Exception):  # warming up is best effort
                handle(["check", "--json", "--", "git status"], os.getcwd(), {}, b"")
        self.listening.set()
        try:
            while not self.stopping.is_set():
                try:
                    conn, _ = srv.accept()
                except TimeoutError:
                    if (self.idle_timeout is not None
                            and time.monotonic() - self.last_used > self.idle_timeout):
                        break
                    continue
                self.last_used = time.monotonic()
                threading.Thread(target=self._serve_one, args=(conn,), daemon=True).start()
        finally:
            srv.close()
            for leftover in (self.path, pid_path):
                with contextlib.suppress(OSError):
                    os.unlink(leftover)

    def _stale(self) -> bool:
        if not self.watch_code:
            return False
        now = time.monotonic()
        if now - self.last_stamp_check < 2.0:
            return False
        self.last_stamp_check = now
        return code_stamp() != self.stamp

    def _serve_one(self, conn: socket.socket) -> None:
        try:
            conn.settimeout(30)
            from airlock.system import peer_uid

            uid = peer_uid(conn)
            chunks = []
            size = 0
            while True:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                size += len(chunk)
                if size > MAX_REQUEST:
                    raise ValueError("request too large")
                chunks.append(chunk)
            argv, cwd, env, stdin = decode_request(b"".join(chunks))
            if self._stale():
                self.stopping.set()
                if argv and argv[0] == "check":
                    conn.sendall(b"%d\n0\n" % STALE)
                    return
            code, out, err = self.handler(argv, cwd, env, stdin, uid)
            body = out.encode("utf-8", "surrogateescape")
            conn.sendall(b"%d\n%d\n" % (code, len(body)) + body +
                         err.encode("utf-8", "surrogateescape"))
        except Exception as exc:  # noqa: BLE001 - answer "do not run", never crash
            try:
                msg = f"airlock daemon: internal error: {type(exc).__name__}\n".encode()
                conn.sendall(b"1\n0\n" + msg)
            except OSError:
                pass
        finally:
            conn.close()


def stop(path: str | None = None) -> bool:
    """Stop a running daemon (SIGTERM to the pid it recorded). True if one was running."""
    import signal

    path = path or socket_path()
    pid_path = os.path.join(os.path.dirname(path), "airlock.pid")
    try:
        with open(pid_path) as fh:
            pid = int(fh.read().strip())
    except (OSError, ValueError):
        return False
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return False
    for _ in range(50):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return True
