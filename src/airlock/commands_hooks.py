"""CLI verbs for the intake surfaces: ``airlock hook install|uninstall|run``, ``airlock exec``
and ``airlock scan``. Registered on the main click group by :func:`register`.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

EXIT_HELD, EXIT_DENIED, EXIT_USAGE, EXIT_INTERNAL = 3, 4, 2, 1

INSTALL_NOTES = {
    "claude-code": "Restart Claude Code (or open /hooks) to load it. Needs Claude Code "
                   "2.1.295+ for fail-closed (`onFailure: block`).",
    "cursor": "Restart Cursor to load it; every entry is fail-closed.",
    "gemini-cli": "Restart Gemini CLI; project hooks only run in trusted folders.",
    "codex": "Open /hooks in Codex and trust the hook: Codex runs untrusted hooks not at all.",
}


def register(cli: click.Group) -> None:
    cli.add_command(hook)
    cli.add_command(exec_cmd)
    cli.add_command(scan)


# --------------------------------------------------------------------------- hook


@click.group()
def hook() -> None:
    """Install Airlock's hook into an agent tool, or answer one hook call.

    \b
    airlock hook install claude-code [--project|--user]
    airlock hook uninstall claude-code [--project|--user]
    airlock hook run claude-code < payload.json
    Tools: claude-code, cursor, gemini-cli, codex.
    """


def airlock_command() -> str:
    """How a settings file should start Airlock: the ``airlock`` console script of *this*
    environment by absolute path (never whatever ``airlock`` is first on PATH later)."""
    script = Path(sys.executable).parent / "airlock"
    if script.is_file() and os.access(script, os.X_OK):
        return shlex.quote(str(script))
    found = shutil.which("airlock")
    if found:
        return shlex.quote(os.path.abspath(found))
    return f"{shlex.quote(sys.executable)} -m airlock"


def hook_command(tool: str) -> str:
    return f"{airlock_command()} hook run {tool}"


def _scope_options(fn: Any) -> Any:
    fn = click.option("--system", "scope", flag_value="system",
                      help="the tool's system (managed) settings, root-owned, where the "
                           "agent's user cannot remove the hook (root only; needs `airlock "
                           "install --system`)")(fn)
    fn = click.option("--user", "scope", flag_value="user",
                      help="the user-wide settings file (every project)")(fn)
    fn = click.option("--project", "scope", flag_value="project", default=True,
                      help="this project's settings file (default)")(fn)
    fn = click.option("--settings", "settings_file", type=click.Path(dir_okay=False),
                      help="this settings file instead of the tool's default")(fn)
    return fn


def _resolve(tool: str, scope: str, settings_file: str | None) -> tuple[Any, str, Path]:
    from airlock.intake.hooks import adapter
    from airlock.intake.hooks.base import Scope

    try:
        ad = adapter(tool)
    except KeyError as exc:
        raise click.UsageError(str(exc.args[0])) from None
    if settings_file:
        return ad, ad.TOOL, Path(settings_file).absolute()
    if ad.TOOL == "codex" and scope == "user" and os.environ.get("CODEX_HOME"):
        return ad, ad.TOOL, Path(os.environ["CODEX_HOME"]) / "hooks.json"
    where: Scope = "user" if scope == "user" else "project"
    return ad, ad.TOOL, ad.default_settings_path(where, Path.cwd(), Path.home())


def _commands_in(node: object) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "command" and isinstance(value, str):
                yield value
            else:
                yield from _commands_in(value)
    elif isinstance(node, list):
        for item in node:
            yield from _commands_in(item)


def airlock_commands(path: Path, tool: str) -> list[str]:
    """Every hook command in ``path`` that runs some Airlock's ``hook run <tool>`` (an
    install from another virtualenv or an older path included)."""
    from airlock.intake.hooks.base import load_settings

    doc = load_settings(path)
    if doc is None:
        return []
    pattern = re.compile(r"(^|[/\s'\"])airlock['\"]?\s+hook\s+run\s+" + re.escape(tool) + r"$")
    return sorted({c for c in _commands_in(doc.get("hooks")) if pattern.search(c.strip())})


@hook.command("install")
@click.argument("tool")
@_scope_options
@click.option("--command-hook", is_flag=True,
              help="with --system, claude-code: a command hook instead of the HTTP hook")
@click.option("--allow-other-hooks", is_flag=True,
              help="with --system, claude-code/codex: keep running user and project hooks "
                   "too (default: only managed hooks run)")
def hook_install(tool: str, scope: str, settings_file: str | None, command_hook: bool,
                 allow_other_hooks: bool) -> None:
    """Add Airlock's hook to TOOL's settings (other settings and hooks are kept)."""
    from airlock.intake.hooks import HookSettingsError

    if scope == "system":
        _system_hook("install", tool, command_hook, not allow_other_hooks)
        return
    ad, name, path = _resolve(tool, scope, settings_file)
    command = hook_command(name)
    try:
        stale = [c for c in airlock_commands(path, name) if c != command]
        for old in stale:
            ad.uninstall(path, old)
        changed = ad.install(path, command)
    except HookSettingsError as exc:
        raise click.ClickException(str(exc)) from None
    if changed or stale:
        click.echo(f"Airlock hook installed for {name} in {path}")
    else:
        click.echo(f"Airlock hook already installed for {name} in {path}")
    click.echo(f"  command: {command}")
    if stale:
        click.echo(f"  replaced: {', '.join(stale)}")
    click.echo(f"  {INSTALL_NOTES.get(name, '')}")
    from airlock.system import SINGLE_USER_WARNING, load_pin

    if load_pin() is None:
        click.echo(f"  Note: {SINGLE_USER_WARNING}")
    else:
        click.echo(f"  Note: this {scope} settings file is the agent's to edit; `sudo airlock "
                   f"hook install {name} --system` puts the hook where it cannot.")


@hook.command("uninstall")
@click.argument("tool")
@_scope_options
def hook_uninstall(tool: str, scope: str, settings_file: str | None) -> None:
    """Remove exactly Airlock's hook from TOOL's settings."""
    from airlock.intake.hooks import HookSettingsError

    if scope == "system":
        _system_hook("uninstall", tool, False, False)
        return
    ad, name, path = _resolve(tool, scope, settings_file)
    try:
        commands = set(airlock_commands(path, name)) | {hook_command(name)}
        changed = False
        for command in sorted(commands):
            changed = ad.uninstall(path, command) or changed
    except HookSettingsError as exc:
        raise click.ClickException(str(exc)) from None
    if changed:
        click.echo(f"Airlock hook removed for {name} from {path}")
    else:
        click.echo(f"no Airlock hook for {name} in {path}")


def _system_hook(op: str, tool: str, command_hook: bool, managed_only: bool) -> None:
    from airlock.install import InstallError, airlock_executable
    from airlock.intake.hooks import HookSettingsError, adapter, managed
    from airlock.system import PinError, load_pin

    try:
        name = adapter(tool).TOOL
    except KeyError as exc:
        raise click.UsageError(str(exc.args[0])) from None
    try:
        pin = load_pin()
        executable = airlock_executable()
        if op == "uninstall":
            path, changed = managed.uninstall(name, executable=executable)
            click.echo(f"Airlock's system hook removed for {name} from {path}" if changed
                       else f"no Airlock system hook for {name} in {path}")
            return
        if pin is None:
            raise click.ClickException(
                "a system hook asks the system service: run `sudo airlock install --system` "
                "first")
        path, what = managed.install(name, executable=executable, url=pin.url,
                                     command_hook=command_hook, managed_only=managed_only)
    except (HookSettingsError, InstallError, PinError, OSError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Airlock system hook installed for {name} in {path} (root-owned)")
    click.echo(f"  {what}")
    click.echo(f"  {INSTALL_NOTES.get(name, '')}")
    click.echo("  `sudo airlock doctor` says what the agent's user could still do about it.")


@hook.command("run", context_settings={"ignore_unknown_options": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def hook_run(args: tuple[str, ...]) -> None:
    """Answer one TOOL hook call read on stdin, in TOOL's protocol (what the hook runs)."""
    from airlock.intake.hook_runner import run_hook

    stdin = sys.stdin.buffer.read()
    code = run_hook(list(args), stdin, sys.stdout, sys.stderr, os.getcwd(), os.environ)
    sys.stdout.flush()
    raise SystemExit(code)


# --------------------------------------------------------------------------- exec


_SHELL_CHARS = re.compile(r"[\s|&;<>()$`\\\"'*?\[\]#~=%{}!]")


@click.command("exec", context_settings={"ignore_unknown_options": True,
                                         "allow_interspersed_args": False})
@click.option("--scope", help="the environment the agent was given")
@click.option("--timeout", type=float, default=900.0, show_default=True,
              help="seconds to wait for a human's approval of a held command")
@click.option("--config", "config_path", help="airlock.toml to use")
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
def exec_cmd(scope: str | None, timeout: float, config_path: str | None,
             command: tuple[str, ...]) -> None:
    """Check CMD, wait for a human if it is held, then run it with stdio passed through.

    \b
    airlock exec [--scope ENV] [--timeout S] -- CMD [ARG...]
    One argument is a shell command line (run with /bin/sh -c); several are an argv.
    Exit status: CMD's own when it ran; 3 held and not approved (rejected, aborted, timed
    out, or no server to ask); 4 denied; 2 usage error.
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
    raise SystemExit(_exec(text, run_argv, scope, timeout, config_path))


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
    try:
        decision = checker.check(action)
    except Exception as exc:  # noqa: BLE001 - not run
        click.echo(f"airlock exec: internal error: {type(exc).__name__}: {exc}; not run",
                   err=True)
        return EXIT_INTERNAL
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


# --------------------------------------------------------------------------- scan


SKIP_DIRS = frozenset({".git", ".hg", ".svn", "node_modules", ".venv", "venv", "__pycache__",
                       ".mypy_cache", ".pytest_cache", ".ruff_cache", ".tox", ".nox",
                       ".pytest_ws", ".terraform", ".next", ".cache"})
SKIP_FILES = frozenset({"package-lock.json", "yarn.lock", "pnpm-lock.yaml", "poetry.lock",
                        "uv.lock", "Cargo.lock", "go.sum", "Gemfile.lock", "composer.lock",
                        "Pipfile.lock"})
MAX_BYTES = 1_000_000
# Files where a bare ``NAME=value`` is configuration (elsewhere only a quoted value counts).
CONFIG_SUFFIXES = frozenset({"", ".env", ".ini", ".cfg", ".conf", ".toml", ".yaml", ".yml",
                             ".json", ".properties", ".sh", ".bash", ".zsh", ".envrc",
                             ".tfvars", ".txt"})
ASSIGNMENT = re.compile(
    r"""(?x)(?:^|[\s{,;(])(?:export\s+)?["']?(?P<name>[A-Za-z_][A-Za-z0-9_.\-]*)["']?\s*
    (?::|=|:=|=>)\s*(?P<q>["']?)(?P<value>[^\s"',;#]+)(?P=q)""")
PLACEHOLDER = re.compile(
    r"(?i)(your|example|changeme|change_me|xxx|placeholder|dummy|sample|todo|replace|"
    r"redacted|<|>|\*\*\*|\.\.\.|^\$|\$\{|\{\{|%\(|^(true|false|null|none|yes|no)$)")


@dataclass(frozen=True, slots=True)
class Finding:
    path: str  # absolute
    line: int  # 1-based; 0 when the file as a whole is the finding
    kind: str  # what kind of credential, never the value


def _assignment_kinds(line: str, config_like: bool) -> list[str]:
    from airlock.classify.credentials import NOT_SECRET_NAME, SECRET_NAME

    out = []
    for m in ASSIGNMENT.finditer(line):
        name, value = m.group("name"), m.group("value")
        if not (config_like or m.group("q")):
            continue
        leaf = name.rsplit(".", 1)[-1]
        if not SECRET_NAME.search(leaf) or NOT_SECRET_NAME.match(leaf):
            continue
        if len(value) < 8 or PLACEHOLDER.search(value) or len(set(value)) < 4:
            continue
        if "(" in value or value.startswith(("os.", "process.", "env.", "ENV[")):
            continue
        out.append(f"{leaf} assignment")
    return out


def _scan_text(path: str, text: str) -> list[Finding]:
    from airlock.classify.credentials import TOKEN_SHAPES, URL_PASSWORD

    base = os.path.basename(path)
    suffix = os.path.splitext(base)[1].lower()
    config_like = suffix in CONFIG_SUFFIXES or base.startswith(".env") or base.endswith("rc")
    found: list[Finding] = []
    for n, line in enumerate(text.splitlines(), 1):
        if len(line) > 4000:
            line = line[:4000]
        kinds = [label for label, pattern in TOKEN_SHAPES if pattern.search(line)]
        m = URL_PASSWORD.search(line)
        if m and not PLACEHOLDER.search(m.group(1)) and len(m.group(1)) >= 4:
            kinds.append("password in a connection URL")
        kinds.extend(_assignment_kinds(line, config_like))
        for kind in dict.fromkeys(kinds):
            found.append(Finding(path, n, kind))
    return found


def _detect_secrets(path: str) -> list[Finding] | None:
    try:
        from detect_secrets import SecretsCollection
        from detect_secrets.settings import default_settings
    except ImportError:
        return None
    collection = SecretsCollection()
    with default_settings():
        collection.scan_file(path)
    out = []
    for secrets in collection.data.values():
        for s in secrets:
            out.append(Finding(path, int(s.line_number or 0), str(s.type)))
    return out


def _walk(root: str) -> Iterator[str]:
    if os.path.isfile(root):
        yield root
        return
    for base, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
        for name in sorted(files):
            if name not in SKIP_FILES:
                yield os.path.join(base, name)


def scan_tree(root: str) -> tuple[list[Finding], bool]:
    """Every credential found under ``root``, and whether detect-secrets took part."""
    from airlock.classify.guards import is_secret_file

    findings: list[Finding] = []
    with_ds = True
    for path in _walk(os.path.abspath(root)):
        try:
            if os.path.islink(path) or not os.path.isfile(path):
                continue
            size = os.path.getsize(path)
            with open(path, "rb") as fh:
                head = fh.read(min(size, MAX_BYTES))
        except OSError:
            continue
        binary = b"\0" in head[:8192]
        own: list[Finding] = []
        if not binary and size <= MAX_BYTES:
            own = _scan_text(path, head.decode("utf-8", "replace"))
            ds = _detect_secrets(path)
            if ds is None:
                with_ds = False
            else:
                own.extend(ds)
        if not own and size > 0 and is_secret_file(path) and not _only_comments(head, binary):
            own.append(Finding(path, 0, "credentials file (by its name)"))
        findings.extend(own)
    return _merge(findings), with_ds


def _only_comments(head: bytes, binary: bool) -> bool:
    if binary:
        return False
    lines = [ln.strip() for ln in head.decode("utf-8", "replace").splitlines()]
    return all(not ln or ln.startswith(("#", ";", "//")) for ln in lines)


def _merge(findings: list[Finding]) -> list[Finding]:
    by_line: dict[tuple[str, int], list[str]] = {}
    for f in findings:
        kinds = by_line.setdefault((f.path, f.line), [])
        if f.kind not in kinds:
            kinds.append(f.kind)
    return [Finding(p, n, ", ".join(k)) for (p, n), k in sorted(by_line.items())]


@click.command()
@click.argument("path", default=".", type=click.Path(exists=True))
@click.option("--write-denylist", is_flag=True,
              help="add the files found to $AIRLOCK_HOME/secret-files.txt (agents are "
                   "refused reading them)")
@click.option("--json", "as_json", is_flag=True, help="one JSON object per finding")
def scan(path: str, write_denylist: bool, as_json: bool) -> None:
    """Find live credentials lying in files under PATH (default: here).

    Reports file:line and the kind of credential — never the secret itself. Uses
    detect-secrets plus Airlock's own patterns (PaaS and cloud tokens, secret-named
    assignments, env files). Exit status: 0 nothing found, 1 credentials found.
    """
    findings, with_ds = scan_tree(path)
    root = os.path.abspath(path) if os.path.isdir(path) else os.path.dirname(
        os.path.abspath(path))
    for f in findings:
        rel = os.path.relpath(f.path, root)
        if as_json:
            click.echo(json.dumps({"path": rel, "line": f.line, "kind": f.kind}))
        else:
            click.echo(f"{rel}:{f.line}: {f.kind}")
    files = sorted({f.path for f in findings})
    if not as_json:
        click.echo(f"{len(findings)} finding(s) in {len(files)} file(s)", err=True)
    if not with_ds:
        click.echo("note: detect-secrets is not installed; only Airlock's own patterns "
                   "were used (pip install detect-secrets)", err=True)
    if write_denylist and files:
        from airlock.classify.denylist import write_denylist as write

        target, new = write(files)
        click.echo(f"denylist {target}: {len(new)} file(s) added", err=True)
    raise SystemExit(1 if findings else 0)
