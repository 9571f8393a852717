"""``airlock exec -- CMD``: check CMD, wait for a human if it is held, then run it with
stdio passed through (an approved plain delete is performed as a quarantine instead)."""

from __future__ import annotations

import json
import os
import re
import shlex
import sys
import time
from typing import Any

import click

EXIT_HELD, EXIT_DENIED, EXIT_USAGE, EXIT_INTERNAL = 3, 4, 2, 1


_SHELL_CHARS = re.compile(r"[\s|&;<>()$`\\\"'*?\[\]#~=%{}!]")


@click.command("exec", context_settings={"ignore_unknown_options": True,
                                         "allow_interspersed_args": False})
@click.option("--scope", help="the environment the agent was given")
@click.option("--timeout", type=float, default=900.0, show_default=True,
              help="seconds to wait for a human's approval of a held command")
@click.option("--config", "config_path", help="airlock.toml to use")
@click.option("--proxied", is_flag=True,
              help="run CMD with HTTPS_PROXY/HTTP_PROXY set to Airlock's forward proxy and "
                   "its CA trusted (docs/forward-proxy.md)")
@click.option("--proxy", "proxy", default=None, metavar="HOST:PORT",
              help="the forward proxy for --proxied (default $AIRLOCK_FORWARD_PROXY, else "
                   "127.0.0.1:8751)")
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
def exec_cmd(scope: str | None, timeout: float, config_path: str | None, proxied: bool,
             proxy: str | None, command: tuple[str, ...]) -> None:
    """Check CMD, wait for a human if it is held, then run it with stdio passed through.

    \b
    airlock exec [--scope ENV] [--timeout S] -- CMD [ARG...]
    One argument is a shell command line (run with /bin/sh -c); several are an argv.
    Exit status: CMD's own when it ran; 3 held and not approved (rejected, aborted, timed
    out, or no server to ask); 4 denied; 2 usage error.
    With --proxied, CMD's API calls go through the forward proxy (its CA fetched from it
    and written, with the system's CAs, to a bundle in the user's cache dir).
    """
    argv = list(command)
    if argv and argv[0] == "--":
        argv = argv[1:]
    if not argv or not argv[0].strip():
        raise click.UsageError("no command given")
    if len(argv) == 1:
        text = argv[0]
        run_argv = ["/bin/sh", "-c", text] if _SHELL_CHARS.search(text) else [text]
    else:
        text, run_argv = shlex.join(argv), argv
    if proxied:
        try:
            os.environ.update(proxied_env(proxy or os.environ.get("AIRLOCK_FORWARD_PROXY")
                                          or "127.0.0.1:8751", config_path))
        except OSError as exc:
            click.echo(f"airlock exec: --proxied: {exc}; not run", err=True)
            raise SystemExit(EXIT_INTERNAL) from None
    raise SystemExit(_exec(text, run_argv, scope, timeout, config_path))


def proxied_env(proxy: str, config_path: str | None, cache: str | None = None,
                data_dir: str | None = None) -> dict[str, str]:
    """The environment that sends a command's HTTP(S) through the forward proxy at
    ``proxy`` (HOST:PORT) and makes it trust Airlock's CA: the CA is fetched from the
    proxy itself (``/airlock-ca.pem``; the agent's user cannot read Airlock's data dir in a
    system install), else read from this installation's data dir. Raises OSError when
    neither works."""
    import urllib.request

    url = f"http://{proxy}"
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(f"{url}/airlock-ca.pem", timeout=10) as resp:
            pem = resp.read()
    except OSError as exc:
        from airlock.broker.ca import CAError, load_or_create
        from airlock.config import ConfigError, load_config

        try:
            pem = load_or_create(data_dir or load_config(config_path).data_dir,
                                 create=False).cert_pem
        except (CAError, ConfigError, OSError):
            raise OSError(f"the forward proxy at {proxy} does not answer ({exc})") from None
    if b"-----BEGIN CERTIFICATE-----" not in pem:
        raise OSError(f"{url}/airlock-ca.pem is not a certificate")
    from airlock.broker.ca import write_bundle

    cache = cache or os.path.join(os.environ.get("XDG_CACHE_HOME") or
                                  os.path.join(os.path.expanduser("~"), ".cache"), "airlock")
    os.makedirs(cache, exist_ok=True)
    ca_path = os.path.join(cache, "airlock-ca.pem")
    with open(ca_path, "wb") as fh:
        fh.write(pem)
    bundle = write_bundle(pem, os.path.join(cache, "ca-bundle.pem"))
    no_proxy = "localhost,127.0.0.1,::1"
    return {"HTTPS_PROXY": url, "HTTP_PROXY": url, "https_proxy": url, "http_proxy": url,
            "NO_PROXY": no_proxy, "no_proxy": no_proxy, "SSL_CERT_FILE": bundle,
            "REQUESTS_CA_BUNDLE": bundle, "CURL_CA_BUNDLE": bundle,
            "NODE_EXTRA_CA_CERTS": ca_path, "AIRLOCK_FORWARD_PROXY": proxy}


def _exec(text: str, run_argv: list[str], scope: str | None, timeout: float,
          config_path: str | None) -> int:
    from airlock.action import Action
    from airlock.config import ConfigError
    from airlock.pipeline import checker_for
    from airlock.system import PinError, load_pin

    cwd = os.getcwd()
    try:
        pin = load_pin()
    except PinError as exc:
        click.echo(f"airlock exec: {exc}; not run", err=True)
        return EXIT_INTERNAL
    if pin is not None:
        return _exec_system(pin, text, run_argv, scope, timeout)
    from airlock.settings import default_home
    from airlock.system import single_user_notice

    notice = single_user_notice(default_home(), "exec")
    if notice:
        click.echo(f"airlock exec: note: {notice}", err=True)
    try:
        checker = checker_for(config_path, cwd)
    except ConfigError as exc:  # PolicyError and PackError are ConfigErrors
        click.echo(f"airlock exec: {exc}", err=True)
        return EXIT_USAGE
    action = Action(command=text, kind="shell", scope=scope,
                    cwd=cwd, agent=os.environ.get("AIRLOCK_AGENT") or checker.config.agent)
    from airlock.protect import undo_gate

    data_dir = checker.config.data_dir
    try:
        undo_gate.settle_pending(data_dir, cwd)
        decision, point = undo_gate.decide(checker, action, checker.check(action), data_dir)
    except Exception as exc:  # noqa: BLE001 - not run
        click.echo(f"airlock exec: internal error: {type(exc).__name__}: {exc}; not run",
                   err=True)
        return EXIT_INTERNAL
    if point is not None:
        click.echo(f"airlock: {decision.reasons[0]}", err=True)
        try:
            return _run(run_argv)
        finally:  # the action is over: later changes are "made after the undo point"
            from airlock.protect.undo_points import settle

            settle(point)
    if decision.decision == "deny":
        click.echo(f"airlock: denied, not run: {'; '.join(decision.reasons)}", err=True)
        return EXIT_DENIED
    if decision.decision == "hold":
        approved: list[str] = []
        code = _wait_for_approval(action, decision.reasons, timeout, approved)
        if code is not None:
            return code
        if approved and approved[0]:
            done = _quarantine_instead(checker.config, decision.targets, text, run_argv,
                                       approved[0])
            if done is not None:
                return done
    return _run(run_argv)


def _exec_system(pin: Any, text: str, run_argv: list[str], scope: str | None,
                 timeout: float) -> int:
    """``airlock exec`` in a system install: the service decides (over its socket, as for
    a hook), a hold is filed with the agent's token and waited for; nothing is decided
    here, and an unreachable service runs nothing."""
    from airlock.action import Action
    from airlock.client import ServiceDown, ask_service, service_down_help

    args = ["check", "--json", *(["--scope", scope] if scope else []), "--", text]
    try:
        code, out, err = ask_service(pin, args, b"", 120.0)
    except ServiceDown as exc:
        click.echo(f"airlock exec: {exc}; not run. To fix: {service_down_help(pin)}",
                   err=True)
        return EXIT_HELD
    try:
        decision = json.loads(out)
        verdict, reasons = decision["decision"], list(decision.get("reasons") or [])
    except (ValueError, KeyError, TypeError):
        why = err.decode(errors="replace").strip()[:300]
        click.echo(f"airlock exec: the service could not decide ({why}); not run", err=True)
        return EXIT_USAGE if code == EXIT_USAGE else EXIT_INTERNAL
    if verdict == "deny":
        click.echo(f"airlock: denied, not run: {'; '.join(reasons)}", err=True)
        return EXIT_DENIED
    if verdict == "hold":
        action = Action(command=text, kind="shell", scope=scope, cwd=os.getcwd(),
                        home=os.environ.get("HOME") or None)
        held = _wait_for_approval(action, reasons, timeout, [])
        if held is not None:
            return held
    elif verdict != "allow":
        click.echo(f"airlock exec: unexpected decision {verdict!r}; not run", err=True)
        return EXIT_INTERNAL
    return _run(run_argv)


def _quarantine_instead(config: Any, targets: list[Any], text: str, run_argv: list[str],
                        rid: str) -> int | None:
    """G4: an approved ``rm -rf DIR`` / ``DROP DATABASE|TABLE|SCHEMA`` is performed as a
    quarantine (instant, undoable) instead. None: not such an action, run it as it is."""
    from airlock.protect import ProtectError
    from airlock.protect.execute import is_plain_delete, perform, shell_argv

    argv = shell_argv(text, run_argv)
    if argv is None or not is_plain_delete(argv):
        return None
    try:
        lines = perform(config, targets, rid)
    except (ProtectError, OSError) as exc:
        click.echo(f"airlock: request {rid}: the quarantine could not be done, so nothing was "
                   f"run: {exc}", err=True)
        return EXIT_INTERNAL
    except Exception as exc:  # noqa: BLE001 - a database error: nothing else runs
        click.echo(f"airlock: request {rid}: the quarantine failed, so nothing was run: "
                   f"{type(exc).__name__}: {exc}", err=True)
        return EXIT_INTERNAL
    if lines is None:
        return None
    for line in lines:
        click.echo(f"airlock: {line}", err=True)
    return 0


def _run(run_argv: list[str]) -> int:
    import subprocess

    try:
        proc = subprocess.run(run_argv, check=False)  # the command was checked above
    except FileNotFoundError:
        click.echo(f"airlock exec: {run_argv[0]}: command not found", err=True)
        return 127
    except PermissionError:
        click.echo(f"airlock exec: {run_argv[0]}: permission denied", err=True)
        return 126
    return proc.returncode if proc.returncode >= 0 else 128 - proc.returncode


def _wait_for_approval(action: Any, reasons: list[str], timeout: float,
                       approved: list[str] | None = None) -> int | None:
    """Submit a held action and wait for the human. None: approved, run it now (the
    approved request's id is appended to ``approved``)."""
    from airlock.intake.hook_runner import ServiceClient, ServiceError, ServiceUnavailable

    why = "; ".join(reasons) or "policy requires a human's approval"
    client = ServiceClient.from_env(os.environ)

    def refuse(problem: str, fix: str) -> int:
        click.echo(f"airlock: held, not run ({why}), and {problem}. {fix}", err=True)
        return EXIT_HELD

    if not client.token:
        return refuse(f"there is no agent token to ask the Airlock server at {client.base} "
                      "for approval", "Issue one with `airlock token issue --agent NAME` "
                      "and set AIRLOCK_TOKEN (or save it to $AIRLOCK_HOME/agent-token).")
    deadline = time.monotonic() + timeout
    announced, cooling_said = "", False
    tty = sys.stderr.isatty()
    try:
        result = client.submit(action)
        while True:
            decision = result.get("decision")
            if decision == "allow":
                if tty:
                    click.echo("", err=True)
                if approved is not None:
                    approved.append(str(result.get("request") or ""))
                return None
            if decision == "deny":
                click.echo(f"airlock: denied, not run: "
                           f"{'; '.join(map(str, result.get('reasons') or []))}", err=True)
                return EXIT_DENIED
            rid = str(result.get("request") or "")
            if decision != "hold" or not rid:
                return refuse("the server's answer was not understood",
                              f"Answer: decision={decision!r}.")
            url = result.get("url") or client.url_for(rid)
            if announced != rid:
                click.echo(f"airlock: held as request {rid} ({why}). Approve or reject it at "
                           f"{url} — waiting up to {timeout:.0f} s (Ctrl-C to stop waiting)",
                           err=True)
                announced = rid
            state = str(result.get("state") or "pending")
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    click.echo(f"\nairlock: no approval within {timeout:.0f} s; not run "
                               f"(request {rid} stays open at {url})", err=True)
                    return EXIT_HELD
                if state in ("rejected", "aborted", "expired", "failed", "executed"):
                    click.echo(f"\nairlock: request {rid} was {state}; not run", err=True)
                    return EXIT_HELD
                if state == "ready":
                    break
                if state in ("cooling", "approved") and not cooling_said:
                    left = float(result.get("cooldown_remaining") or 0)
                    click.echo(f"airlock: approved; cooling down ({left:.0f} s; anyone can "
                               f"still abort it at {url})", err=True)
                    cooling_said = True
                if tty:
                    sys.stderr.write(f"\r  waiting for approval of request {rid}: "
                                     f"{timeout - remaining:4.0f} s ")
                    sys.stderr.flush()
                began = time.monotonic()
                wait = min(20.0, remaining)
                result = client.get(rid, wait=wait, timeout=wait + 10)
                state = str(result.get("state") or state)
                if time.monotonic() - began < 0.5:  # the server did not long-poll
                    time.sleep(min(1.0, max(0.0, deadline - time.monotonic())))
            result = client.submit(action)  # ready: claim the single-use approval
    except ServiceUnavailable:
        return refuse(f"no Airlock server is reachable at {client.base} to ask a human",
                      "Start `airlock serve`, or run the command yourself.")
    except ServiceError as exc:
        return refuse(f"the Airlock server at {client.base} refused it ({exc})",
                      "Check the agent token (`airlock token issue --agent NAME`).")
    except KeyboardInterrupt:
        click.echo("\nairlock: stopped waiting; not run", err=True)
        return EXIT_HELD


COMMANDS = (exec_cmd,)
