"""The ``airlock`` command line.

``check`` (and ``hook run``) take a fast path: if the resident daemon is listening, a
stdlib-only client forwards the call to it; otherwise the command runs in this
process. Everything else is a click command, imported only when needed.
"""

from __future__ import annotations

import os
import sys

FAST = ("check",)
# Seconds `hook run` waits for the daemon before answering in-process instead: with the
# in-process deadline (hook_runner) this stays under the 30 s hook timeout.
HOOK_DAEMON_TIMEOUT = 8.0
DAEMON_IDLE_TIMEOUT = "1800"


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:2] == ["hook", "run"]:
        return hook_run(args)
    if args and args[0] in FAST:
        if os.environ.get("AIRLOCK_NO_DAEMON") != "1":
            from airlock.client import try_daemon

            reads_stdin = "--jsonl" in args[1:]
            code = try_daemon(args, reads_stdin)
            if code is not None:
                return code
            spawn_daemon()  # answered here this time; warm for the next call
        from airlock.check_cmd import main as check_main

        return check_main(args[1:])
    from airlock.commands import cli

    try:
        cli.main(args=args, prog_name="airlock", standalone_mode=False)
    except SystemExit as exc:
        return int(exc.code or 0)
    except Exception as exc:  # click exceptions
        import click

        if isinstance(exc, click.exceptions.Abort):
            return 1
        if isinstance(exc, click.ClickException):
            exc.show()
            return exc.exit_code
        raise
    return 0


def hook_run(args: list[str]) -> int:
    """``airlock hook run TOOL``: through the daemon when one answers, else in this
    process (starting a daemon for the next call unless ``AIRLOCK_NO_DAEMON=1``).

    stdin is read here first, so whatever happens to the daemon the call can still be
    answered in-process, in the tool's protocol (a bare exit 1 would let most agent
    tools run the call).
    """
    try:
        stdin = sys.stdin.buffer.read()
    except (OSError, ValueError, AttributeError):
        stdin = b""
    if os.environ.get("AIRLOCK_NO_DAEMON") != "1":
        from airlock.client import DaemonError, ask_daemon

        try:
            got = ask_daemon(args, stdin, HOOK_DAEMON_TIMEOUT)
        except DaemonError:
            got = None
        # exit 1 with nothing on stdout is the daemon failing, not an answer: run it here
        if got is not None and not (got[0] == 1 and not got[1].strip()):
            code, out, err = got
            sys.stdout.buffer.write(out)
            sys.stdout.flush()
            if err:
                sys.stderr.buffer.write(err)
                sys.stderr.flush()
            return code
        spawn_daemon()
    from airlock.intake.hook_runner import run_hook

    code = run_hook(args[2:], stdin, sys.stdout, sys.stderr, os.getcwd(), os.environ)
    sys.stdout.flush()
    return code


def spawn_daemon() -> None:
    """Start a detached ``airlock daemon`` for the next call (at most one try per 30 s)."""
    import subprocess
    import time

    from airlock.client import socket_path

    run_dir = os.path.dirname(socket_path())
    marker = os.path.join(run_dir, "spawning")
    try:
        os.makedirs(run_dir, mode=0o700, exist_ok=True)
        try:
            fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        except FileExistsError:
            if time.time() - os.stat(marker).st_mtime < 30:
                return  # another call is starting one
            os.utime(marker)
        else:
            os.close(fd)
        env = {k: v for k, v in os.environ.items()
               if k not in ("AIRLOCK_CONFIG", "AIRLOCK_AGENT", "AIRLOCK_TOKEN")}
        subprocess.Popen(
            [sys.executable, "-m", "airlock", "daemon", "--idle-timeout", DAEMON_IDLE_TIMEOUT],
            start_new_session=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, cwd="/", env=env, close_fds=True)
    except OSError:
        pass  # best effort: this call is answered in-process either way


if __name__ == "__main__":
    raise SystemExit(main())
