"""The ``airlock`` command line.

``check`` (and ``hook run``) take a fast path: if the resident daemon is listening, a
stdlib-only client forwards the call to it; otherwise the command runs in this
process. Everything else is a click command, imported only when needed.
"""

from __future__ import annotations

import os
import sys

FAST = ("check",)


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in FAST:
        if os.environ.get("AIRLOCK_NO_DAEMON") != "1":
            from airlock.client import try_daemon

            reads_stdin = "--jsonl" in args[1:]
            code = try_daemon(args, reads_stdin)
            if code is not None:
                return code
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


if __name__ == "__main__":
    raise SystemExit(main())
