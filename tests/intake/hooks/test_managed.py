"""What `airlock hook install TOOL --system` writes into the tools' managed settings."""

from __future__ import annotations

import tomllib

from airlock.intake.hooks import claude_code, codex, managed

URL = "http://127.0.0.1:875"


def test_claude_code_http_hook_pins_its_url_and_variables() -> None:
    doc = managed.claude_settings(URL, None, managed_only=True)
    groups = doc["hooks"]["PreToolUse"]
    assert [g["matcher"] for g in groups] == list(claude_code.MATCHERS)
    for g in groups:
        [h] = g["hooks"]
        assert h == {"type": "http", "url": f"{URL}/v1/hooks/claude-code",
                     "headers": {"Authorization": "Bearer $AIRLOCK_TOKEN",
                                 "X-Airlock-Home": "$HOME"},
                     "allowedEnvVars": ["AIRLOCK_TOKEN", "HOME"], "timeout": 30,
                     "onFailure": "block"}
    # both lists are unions over every settings file: pinned here, nobody can drop them
    assert doc["allowedHttpHookUrls"] == [f"{URL}/v1/hooks/*"]
    assert doc["httpHookAllowedEnvVars"] == ["AIRLOCK_TOKEN", "HOME"]
    assert doc["allowManagedHooksOnly"] is True


def test_claude_code_command_hook_and_other_hooks_allowed() -> None:
    doc = managed.claude_settings(URL, "/opt/airlock/bin/python -I -m airlock hook run "
                                       "claude-code", managed_only=False)
    assert "allowManagedHooksOnly" not in doc and "allowedHttpHookUrls" not in doc
    [h] = doc["hooks"]["PreToolUse"][0]["hooks"]
    assert h["type"] == "command" and h["onFailure"] == "block"


def test_the_hook_command_runs_the_interpreter_isolated_and_answers(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import shlex
    import subprocess
    import sys
    from pathlib import Path

    cmd = managed.hook_command(str(Path(sys.executable).parent / "airlock"), "codex")
    argv = shlex.split(cmd)
    assert argv[1:3] == ["-I", "-S"] and argv[-3:] == ["hook", "run", "codex"]
    # what a tool would run: the client starts without site-packages and still answers
    # in the tool's protocol (a payload that is not JSON: refused)
    r = subprocess.run(argv, input=b"not json", capture_output=True, timeout=60,
                       cwd=tmp_path, env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path),
                                          "AIRLOCK_HOME": str(tmp_path / "h"),
                                          "AIRLOCK_NO_DAEMON": "1"})
    assert r.returncode == 0 and b'"permissionDecision": "deny"' in r.stdout, \
        (r.stdout, r.stderr)


def test_the_codex_block_is_valid_requirements_toml() -> None:
    text = managed.codex_block("/opt/airlock/bin/python -I -m airlock hook run codex",
                               managed_only=True, managed_dir="/opt/airlock/bin")
    doc = tomllib.loads(text)
    assert doc["allow_managed_hooks_only"] is True
    assert doc["features"] == {"hooks": True}
    assert doc["hooks"]["managed_dir"] == "/opt/airlock/bin"
    groups = doc["hooks"]["PreToolUse"]
    assert [g["matcher"] for g in groups] == list(codex.MATCHERS)
    assert groups[0]["hooks"] == [{"type": "command", "timeout": 30, "command":
                                   "/opt/airlock/bin/python -I -m airlock hook run codex"}]
    assert managed._strip_block("# mine\n" + text) == "# mine\n\n"
