"""The ``airlock`` command line.

``check`` (and ``hook run``) take a fast path. In a system install (a pin at
``/etc/airlock/agent.conf``) they are always asked of the service over its
authenticated socket, and refused when it cannot be asked. In single-user mode, if the
resident daemon is listening, a stdlib-only client forwards the call to it; otherwise the
command runs in this process. Everything else is a click command, imported only when
needed; in a system install the commands on the service's own state run as the service
user (root drops to it) or not at all.

This module is the agent's side: it loads nothing outside the standard library (Airlock's
own modules here are stdlib-only too, tests/test_fast_path.py), and none of this
package's other modules until a command needs one. ``check`` is :mod:`.check`; the click
group and every other command, one module each, are assembled by :mod:`.root`; what the
commands share is in :mod:`.common`.
"""

from __future__ import annotations

import os
import sys

FAST = ("check",)
# Seconds `hook run` waits for the daemon before answering in-process instead: with the
# in-process deadline (hook_runner) this stays under the 30 s hook timeout.
HOOK_DAEMON_TIMEOUT = 8.0
# Seconds a system install's hook client waits for the service: the service answers
# within its own deadline (ANSWER_DEADLINE_SECONDS), inside the 30 s hook timeout.
SERVICE_TIMEOUT = 25.0
DAEMON_IDLE_TIMEOUT = "1800"


# In a system install, commands that read or change the service's own state: run by
# root they drop to the service user first; run by anyone else they are refused with the
# fix (the agent's user can run none of them).
SERVICE_COMMANDS = frozenset({
    "token", "admin", "requests", "approve", "reject", "abort", "ledger", "undo",
    "snapshots", "restore", "purge", "secret", "packs", "policy", "config", "daemon", "ca",
})


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    fast = args[:2] == ["hook", "run"] or bool(args and args[0] in FAST)
    from airlock.client import PinError, load_pin

    try:
        pin = load_pin()
    except PinError as exc:
        return refuse(args, str(exc)) if fast else _fail(str(exc))
    if pin is not None:
        if fast:
            return system_call(pin, args)
        if args and args[0] in SERVICE_COMMANDS and not _help_only(args):
            if os.geteuid() == 0:
                from airlock.system import drop_to_service

                drop_to_service(pin)
            elif os.geteuid() != pin.uid:
                return _fail(
                    f"airlock {args[0]}: this machine runs Airlock as a system service (user "
                    f"{pin.user}); this command works on the service's own data, which only "
                    f"it can read. Run it as root: `sudo airlock {' '.join(args)}`.", 2)
    if args[:2] == ["hook", "run"]:
        return hook_run(args)
    if args and args[0] in FAST:
        if os.environ.get("AIRLOCK_NO_DAEMON") != "1":
            from airlock.client import try_daemon

            reads_stdin = "--jsonl" in args[1:]
            code = try_daemon(args, reads_stdin)
            if code is not None:
                return code
            if _require_daemon():
                return refuse(args, "AIRLOCK_REQUIRE_DAEMON=1 and no daemon answered")
            spawn_daemon()  # answered here this time; warm for the next call
        from airlock.cli.check import main as check_main

        return check_main(args[1:])
    from airlock.cli.root import build

    cli = build()
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
        if _require_daemon():
            return refuse(args, "AIRLOCK_REQUIRE_DAEMON=1 and no daemon answered")
        spawn_daemon()
    from airlock.intake.hook_runner import run_hook

    code = run_hook(args[2:], stdin, sys.stdout, sys.stderr, os.getcwd(), os.environ)
    sys.stdout.flush()
    return code


def _require_daemon() -> bool:
    """``AIRLOCK_REQUIRE_DAEMON=1``: never answer in-process. What the daemon says is then
    observably the daemon's (its tests rely on it), and a caller who wants one warm
    engine can insist on it."""
    return os.environ.get("AIRLOCK_REQUIRE_DAEMON") == "1"


def _help_only(args: list[str]) -> bool:
    return "--help" in args or "-h" in args or (len(args) == 1 and args[0] in (
        "token", "admin", "ledger", "policy", "config"))


def _fail(message: str, code: int = 1) -> int:
    sys.stderr.write(message.rstrip() + "\n")
    return code


def system_call(pin: object, args: list[str]) -> int:
    """``check`` / ``hook run`` in a system install: asked of the service, whose uid the
    kernel vouches for; refused when it cannot be asked. Never answered here."""
    from airlock.client import Pin, ServiceDown, ask_service, service_down_help

    assert isinstance(pin, Pin)
    hook = args[:2] == ["hook", "run"]
    try:
        stdin = sys.stdin.buffer.read() if hook or "--jsonl" in args else b""
    except (OSError, ValueError, AttributeError):
        stdin = b""
    try:
        code, out, err = ask_service(pin, args, stdin, SERVICE_TIMEOUT if hook else 120.0)
    except ServiceDown as exc:
        return refuse(args, f"{exc}. To fix: {service_down_help(pin)}")
    sys.stdout.buffer.write(out)
    sys.stdout.flush()
    if err:
        sys.stderr.buffer.write(err)
        sys.stderr.flush()
    return code


def refuse(args: list[str], problem: str) -> int:
    """Answer a call Airlock could not decide with a refusal: in the agent tool's own
    protocol for ``hook run TOOL``, exit 1 ("do not run") for ``check``."""
    if args[:2] == ["hook", "run"] and len(args) == 3:
        from airlock.intake.hooks import adapter

        try:
            ad = adapter(args[2])
        except KeyError as exc:
            return _fail(f"airlock hook run: {exc.args[0]}", 2)
        text, code = ad.render(
            "error", f"Airlock could not check this call, so it is blocked (Airlock fails "
                     f"closed): {problem}",
            agent_message="Airlock could not check this call and blocked it (fail closed). "
                          "Do not try to work around it; tell the user that Airlock is not "
                          "answering so they can fix it.")
        sys.stdout.write(text + "\n")
        sys.stdout.flush()
        sys.stderr.write(f"airlock: {problem}\n")
        return code
    if args[:2] == ["hook", "run"]:
        return _fail(f"airlock hook run: {problem}", 2)
    return _fail(f"airlock {args[0] if args else ''}: {problem}; not allowing.", 1)


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
