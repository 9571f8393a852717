"""``airlock hook install|uninstall|run``: Airlock's hook in an agent tool's settings, and
one hook call answered (what the installed hook runs; normally through the fast path in
:mod:`airlock.cli`, this is its fallback). The protocols are in :mod:`airlock.intake.hooks`.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from pathlib import Path
from typing import Any

import click

from airlock.cli.common import group

INSTALL_NOTES = {
    "claude-code": "Restart Claude Code (or open /hooks) to load it. Needs Claude Code "
                   "2.1.295+ for fail-closed (`onFailure: block`).",
    "cursor": "Restart Cursor to load it; every entry is fail-closed.",
    "gemini-cli": "Restart Gemini CLI; project hooks only run in trusted folders.",
    "codex": "Open /hooks in Codex and trust the hook: Codex runs untrusted hooks not at all.",
}


@group()
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


@hook.command("install")
@click.argument("tool")
@_scope_options
@click.option("--command-hook", is_flag=True,
              help="with --system, claude-code: a command hook instead of the HTTP hook")
@click.option("--allow-other-hooks", is_flag=True,
              help="with --system, claude-code/codex: keep running user and project hooks "
                   "too (default: only managed hooks run)")
@click.option("--proxied", is_flag=True,
              help="claude-code: also set the environment of the commands it runs so that "
                   "their API calls go through the forward proxy (docs/forward-proxy.md)")
@click.option("--proxy", "proxy", default=None, metavar="HOST:PORT",
              help="the forward proxy for --proxied (default 127.0.0.1:8751)")
def hook_install(tool: str, scope: str, settings_file: str | None, command_hook: bool,
                 allow_other_hooks: bool, proxied: bool, proxy: str | None) -> None:
    """Add Airlock's hook to TOOL's settings (other settings and hooks are kept)."""
    from airlock.intake.hooks import HookSettingsError
    from airlock.intake.hooks.base import airlock_hook_commands

    if proxied and tool != "claude-code":
        raise click.UsageError(f"--proxied: {tool}'s settings cannot set the environment of "
                               "the commands it runs; run them with `airlock exec --proxied "
                               "-- CMD`")
    if scope == "system":
        _system_hook("install", tool, command_hook, not allow_other_hooks)
        if proxied:
            from airlock.intake.hooks import managed
            from airlock.system import load_pin

            pin = load_pin()
            _proxied(managed.system_path(tool), proxy,
                     os.path.dirname(pin.config) if pin is not None else None,
                     pin.data_dir if pin is not None else None)
            managed._root_file(managed.system_path(tool))
        return
    ad, name, path = _resolve(tool, scope, settings_file)
    command = hook_command(name)
    try:
        stale = [c for c in airlock_hook_commands(path, name) if c != command]
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
    if proxied:
        _proxied(path, proxy, None)
    from airlock.system import SINGLE_USER_WARNING, load_pin

    if load_pin() is None:
        click.echo(f"  Note: {SINGLE_USER_WARNING}")
    else:
        click.echo(f"  Note: this {scope} settings file is the agent's to edit; `sudo airlock "
                   f"hook install {name} --system` puts the hook where it cannot.")


def _proxied(path: Path, proxy: str | None, shared_dir: str | None,
             data_dir: str | None = None) -> None:
    """Claude Code's ``env`` for the forward proxy: the proxy variables and a CA bundle
    (for a system install, in the service's config dir, which every user can read)."""
    from airlock.cli.exec import proxied_env
    from airlock.intake.hooks import HookSettingsError, claude_code

    try:
        env = proxied_env(proxy or "127.0.0.1:8751", None,
                          os.path.join(shared_dir, "forward-proxy") if shared_dir else None,
                          data_dir)
        if shared_dir:
            for name in ("SSL_CERT_FILE", "NODE_EXTRA_CA_CERTS"):
                os.chmod(env[name], 0o644)
            os.chmod(os.path.dirname(env["SSL_CERT_FILE"]), 0o755)
        claude_code.set_env(path, env)
    except (OSError, HookSettingsError) as exc:
        raise click.ClickException(f"--proxied: {exc}") from None
    click.echo(f"  proxied: commands it runs use {env['HTTPS_PROXY']} and trust Airlock's CA "
               f"({env['SSL_CERT_FILE']})")


@hook.command("uninstall")
@click.argument("tool")
@_scope_options
def hook_uninstall(tool: str, scope: str, settings_file: str | None) -> None:
    """Remove exactly Airlock's hook from TOOL's settings."""
    from airlock.intake.hooks import HookSettingsError
    from airlock.intake.hooks.base import airlock_hook_commands

    if scope == "system":
        _system_hook("uninstall", tool, False, False)
        return
    ad, name, path = _resolve(tool, scope, settings_file)
    try:
        commands = set(airlock_hook_commands(path, name)) | {hook_command(name)}
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


COMMANDS = (hook,)
