"""Hooks in the agent tools' system (managed) settings: root-owned, where the agent's user
cannot remove them. ``airlock hook install TOOL --system`` (root only).

Per tool (sources in ``docs/integrations/hook-protocols.md``, "System settings"):

- **Claude Code**: a drop-in ``/etc/claude-code/managed-settings.d/50-airlock.json``
  (Claude Code ≥ 2.1.83 merges the directory into its managed settings, which no user,
  project or local file overrides, and ``disableAllHooks`` outside managed settings cannot
  switch managed hooks off). By default an HTTP hook to the service (no process per call;
  ``onFailure: "block"``), with ``allowedHttpHookUrls`` / ``httpHookAllowedEnvVars``
  pinned so no other file can block it, and ``allowManagedHooksOnly`` so no user or
  project hook runs beside it. ``command=True`` installs the command hook instead.
- **Cursor**: ``/etc/cursor/hooks.json`` (enterprise hooks, every entry ``failClosed``).
- **Gemini CLI**: ``/etc/gemini-cli/settings.json`` (system overrides). The user can still
  switch it off (``GEMINI_CLI_SYSTEM_SETTINGS_PATH``, ``hooksConfig.disabled``, an untrusted
  folder): :func:`assess` says so.
- **Codex**: ``/etc/codex/requirements.toml`` (admin requirements; ``CODEX_HOME`` does not
  move it) with ``[hooks]``, ``[features] hooks = true`` and ``allow_managed_hooks_only``.

:func:`assess` is what ``airlock doctor`` prints per tool: installed or not, and whether
the agent's user could remove or bypass it, and why.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

from airlock.intake.hooks import claude_code, codex, cursor, gemini_cli
from airlock.intake.hooks.base import HOOK_TIMEOUT_SECONDS, HookSettingsError, write_settings

CLAUDE_FILE = Path("/etc/claude-code/managed-settings.d/50-airlock.json")
CURSOR_FILE = Path("/etc/cursor/hooks.json")
GEMINI_FILE = Path("/etc/gemini-cli/settings.json")
CODEX_FILE = Path("/etc/codex/requirements.toml")
CODEX_BEGIN = "# >>> airlock: written by `airlock hook install codex --system`"
CODEX_END = "# <<< airlock"

PATHS = {claude_code.TOOL: CLAUDE_FILE, cursor.TOOL: CURSOR_FILE,
         gemini_cli.TOOL: GEMINI_FILE, codex.TOOL: CODEX_FILE}


def system_path(tool: str) -> Path:
    return PATHS[tool]


def hook_command(executable: str, tool: str) -> str:
    """The command a system hook runs: this environment's interpreter by absolute path,
    isolated (``-I``: no PYTHONPATH, no user site-packages — nothing the agent's
    environment can slip into the hook) and without ``site`` (``-S``: the client needs
    only the standard library and Airlock's own package, whose root-owned directory is
    put on the path by name). That is also the fastest start there is: about the cost of
    a bare ``python -c pass`` (bench/hook_latency.py)."""
    import shlex
    import sys

    import airlock

    python = str(Path(executable).parent / "python")
    if not os.path.exists(python):
        python = sys.executable
    root = str(Path(airlock.__file__).resolve().parent.parent)
    code = (f"import sys; sys.path.insert(0, {root!r}); from airlock.cli import main; "
            "sys.exit(main())")
    return f"{shlex.quote(python)} -I -S -c {shlex.quote(code)} hook run {tool}"


def _root_file(path: Path) -> None:
    os.chown(path, 0, 0)
    os.chmod(path, 0o644)
    for parent in (path.parent, path.parent.parent):
        if str(parent).startswith("/etc/") and parent.is_dir():
            st = parent.stat()
            if st.st_uid != 0 or st.st_mode & 0o022:
                os.chown(parent, 0, 0)
                os.chmod(parent, 0o755)


def claude_settings(url: str, command: str | None, managed_only: bool) -> dict[str, Any]:
    if command is None:
        handler: dict[str, Any] = {
            "type": "http", "url": f"{url}/v1/hooks/claude-code",
            "headers": {"Authorization": "Bearer $AIRLOCK_TOKEN", "X-Airlock-Home": "$HOME"},
            "allowedEnvVars": ["AIRLOCK_TOKEN", "HOME"],
            "timeout": HOOK_TIMEOUT_SECONDS, "onFailure": "block"}
    else:
        handler = {"type": "command", "command": command, "timeout": HOOK_TIMEOUT_SECONDS,
                   "onFailure": "block"}
    doc: dict[str, Any] = {
        "hooks": {claude_code.EVENT: [{"matcher": m, "hooks": [dict(handler)]}
                                      for m in claude_code.MATCHERS]}}
    if command is None:
        # both lists merge across every settings file and bind managed hooks too: pinned
        # here, no user or project file can take this URL or these variables away
        doc["allowedHttpHookUrls"] = [f"{url}/v1/hooks/*"]
        doc["httpHookAllowedEnvVars"] = ["AIRLOCK_TOKEN", "HOME"]
    if managed_only:
        doc["allowManagedHooksOnly"] = True
    return doc


def codex_block(command: str, managed_only: bool, managed_dir: str) -> str:
    lines = [CODEX_BEGIN]
    if managed_only:
        lines.append("allow_managed_hooks_only = true")
    lines += ["", "[features]", "hooks = true", "", "[hooks]",
              f"managed_dir = {json.dumps(managed_dir)}"]
    for matcher in codex.MATCHERS:
        lines += ["", f"[[hooks.{codex.EVENT}]]", f"matcher = {json.dumps(matcher)}", "",
                  f"[[hooks.{codex.EVENT}.hooks]]", 'type = "command"',
                  f"command = {json.dumps(command)}", f"timeout = {HOOK_TIMEOUT_SECONDS}"]
    lines.append(CODEX_END)
    return "\n".join(lines) + "\n"


def install(tool: str, *, executable: str, url: str, command_hook: bool = False,
            managed_only: bool = True) -> tuple[Path, str]:
    """Write Airlock's hook into ``tool``'s system settings; (path, what was installed)."""
    if os.geteuid() != 0:
        raise HookSettingsError("--system writes the agent tools' system settings: run it "
                                "as root (sudo)")
    path = system_path(tool)
    command = hook_command(executable, tool)
    if tool == claude_code.TOOL:
        doc = claude_settings(url, command if command_hook else None, managed_only)
        write_settings(path, doc)
        what = f"command hook: {command}" if command_hook else \
            f"HTTP hook: {url}/v1/hooks/claude-code"
    elif tool == codex.TOOL:
        path.parent.mkdir(parents=True, exist_ok=True)
        existing = path.read_text(encoding="utf-8") if path.exists() else ""
        outside = _strip_block(existing).strip()
        if outside:
            raise HookSettingsError(
                f"{path} already holds requirements of its own; add Airlock's block by hand "
                f"(print it with `airlock hook install codex --system --print`)")
        managed_dir = str(Path(executable).resolve().parent)
        path.write_text(codex_block(command, managed_only, managed_dir), encoding="utf-8")
        what = f"command hook: {command}"
    else:
        ad = {cursor.TOOL: cursor, gemini_cli.TOOL: gemini_cli}[tool]
        ad.install(path, command)
        if tool == gemini_cli.TOOL:
            _gemini_enable(path)
        what = f"command hook: {command}"
    _root_file(path)
    return path, what


def _gemini_enable(path: Path) -> None:
    from airlock.intake.hooks.base import update_settings

    def change(doc: dict[str, Any]) -> None:
        cfg = doc.setdefault("hooksConfig", {})
        if isinstance(cfg, dict):
            cfg["enabled"] = True

    update_settings(path, change)


def _strip_block(text: str) -> str:
    if CODEX_BEGIN not in text:
        return text
    head, _, rest = text.partition(CODEX_BEGIN)
    _, _, tail = rest.partition(CODEX_END)
    return head + tail


def uninstall(tool: str, *, executable: str) -> tuple[Path, bool]:
    if os.geteuid() != 0:
        raise HookSettingsError("--system changes the agent tools' system settings: run it "
                                "as root (sudo)")
    path = system_path(tool)
    if not path.exists():
        return path, False
    if tool == claude_code.TOOL:
        path.unlink()
        return path, True
    if tool == codex.TOOL:
        text = path.read_text(encoding="utf-8")
        rest = _strip_block(text)
        if rest == text:
            return path, False
        if rest.strip():
            path.write_text(rest, encoding="utf-8")
        else:
            path.unlink()
        return path, True
    ad = {cursor.TOOL: cursor, gemini_cli.TOOL: gemini_cli}[tool]
    return path, ad.uninstall(path, hook_command(executable, tool))


def installed(tool: str) -> bool:
    path = system_path(tool)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return False
    return "airlock" in text.lower() and ("hook run" in text or "/v1/hooks/" in text)


def _writable_by_others(path: Path) -> str:
    """Why a non-root user could change ``path`` (or a directory above it), or ""."""
    for p in [path, *path.parents]:
        try:
            st = p.lstat()
        except OSError:
            continue
        if st.st_uid != 0:
            return f"{p} is owned by uid {st.st_uid}"
        if st.st_mode & 0o022 and not (stat.S_ISDIR(st.st_mode) and st.st_mode & stat.S_ISVTX):
            return f"{p} is writable by others"
    return ""


def assess(tool: str) -> tuple[bool, str]:
    """(safe, what doctor says) for ``tool``'s system hook."""
    path = system_path(tool)
    if not installed(tool):
        return False, (f"{tool}: no system hook ({path}); the agent's user can remove a "
                       f"project or user hook. Fix: `sudo airlock hook install {tool} "
                       "--system`")
    loose = _writable_by_others(path)
    if loose:
        return False, f"{tool}: {path} is not root's alone ({loose}): the agent could edit it"
    if tool == claude_code.TOOL:
        text = path.read_text(encoding="utf-8")
        notes = []
        if '"type": "http"' in text:
            notes.append("an HTTP hook follows HTTP_PROXY if the user's environment sets one "
                         "without NO_PROXY for 127.0.0.1")
        if "allowManagedHooksOnly" not in text:
            notes.append("user and project hooks run too (allowManagedHooksOnly is off)")
        return True, (f"{tool}: managed hook in {path} (root's; user and project settings "
                      "cannot remove it). Still possible for the user: starting Claude Code "
                      "with --bare or CLAUDE_CODE_SIMPLE=1 skips hooks" +
                      ("; " + "; ".join(notes) if notes else ""))
    if tool == gemini_cli.TOOL:
        return False, (f"{tool}: system hook in {path}, but the agent's user CAN bypass it: "
                       "GEMINI_CLI_SYSTEM_SETTINGS_PATH replaces the system file, "
                       "hooksConfig.disabled in ~/.gemini/settings.json disables it, and an "
                       "untrusted folder runs no hooks. Gemini CLI offers no setting that "
                       "stops this; use another tool where the guard must hold")
    if tool == codex.TOOL:
        return True, (f"{tool}: managed requirements in {path} (root's; CODEX_HOME and -c "
                      "cannot move them). Codex runs the call if the hook crashes or times "
                      "out; Airlock always answers within its deadline")
    return True, (f"{tool}: enterprise hooks in {path} (root's, failClosed); no user setting "
                  "disables them")
