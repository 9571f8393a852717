"""``airlock hook run <tool>`` end to end: each tool's real fixture payloads, fed to the
real console script as a subprocess, answered in the tool's own protocol."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

FIXTURES = Path(__file__).parent / "hooks" / "fixtures"
AIRLOCK = str(Path(sys.executable).parent / "airlock")
NO_WORKAROUND = ("Do not look for other credentials or other ways to do this, and do not "
                 "retry it in another form.")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    out = dict(os.environ)
    out.update({
        "AIRLOCK_NO_DAEMON": "1",
        "AIRLOCK_HOME": str(tmp_path / "airlock-home"),
        # nothing listens here: the standalone (no hold service) behaviour
        "AIRLOCK_SERVER": f"http://127.0.0.1:{free_port()}",
    })
    for key in ("AIRLOCK_CONFIG", "AIRLOCK_TOKEN", "AIRLOCK_SCOPE", "AIRLOCK_AGENT"):
        out.pop(key, None)
    return out


def fixture(tool: str, name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / tool / name).read_text())
    return data


def run(tool: str, payload: dict[str, Any] | bytes, cwd: Path,
        env: dict[str, str]) -> tuple[Any, int, str]:
    data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    proc = subprocess.run([AIRLOCK, "hook", "run", tool], input=data, cwd=cwd, env=env,
                          capture_output=True, timeout=60, check=False)
    out = proc.stdout.decode()
    return json.loads(out), proc.returncode, proc.stderr.decode()


# ---- payload builders: the fixture, pointed at the test workspace -----------------------


def shell(tool: str, command: str, ws: Path) -> dict[str, Any]:
    if tool == "cursor":
        p = fixture("cursor", "before_shell_execution.json")
        p.update(command=command, cwd=str(ws), workspace_roots=[str(ws)])
        return p
    name = {"claude-code": "bash.json", "codex": "bash.json",
            "gemini-cli": "run_shell_command.json"}[tool]
    p = fixture(tool, name)
    p["cwd"] = str(ws)
    p["tool_input"]["command"] = command
    p["tool_input"].pop("dir_path", None)
    return p


def read(tool: str, path: Path, ws: Path) -> dict[str, Any]:
    if tool == "cursor":
        p = fixture("cursor", "before_read_file.json")
        p.update(file_path=str(path), workspace_roots=[str(ws)], content="API_KEY=...")
        return p
    p = fixture(tool, {"claude-code": "read.json", "gemini-cli": "read_file.json"}[tool])
    p["cwd"] = str(ws)
    p["tool_input"]["file_path"] = str(path)
    return p


def write(tool: str, path: Path, ws: Path) -> dict[str, Any]:
    if tool == "cursor":
        p = fixture("cursor", "pre_tool_use_write.json")
        p["workspace_roots"] = [str(ws)]
        p["tool_input"]["file_path"] = str(path)
        return p
    if tool == "codex":
        p = fixture("codex", "apply_patch.json")
        p["cwd"] = str(ws)
        rel = os.path.relpath(path, ws)
        p["tool_input"]["command"] = (f"*** Begin Patch\n*** Add File: {rel}\n+{{}}\n"
                                      "*** End Patch\n")
        return p
    p = fixture(tool, {"claude-code": "write.json", "gemini-cli": "write_file.json"}[tool])
    p["cwd"] = str(ws)
    p["tool_input"]["file_path"] = str(path)
    return p


# ---- what each tool's answer looks like ------------------------------------------------


def allowed(tool: str) -> dict[str, Any]:
    return {"claude-code": {}, "codex": {}, "cursor": {"permission": "allow"},
            "gemini-cli": {"decision": "allow"}}[tool]


def refusal(tool: str, user: str, agent: str) -> dict[str, Any]:
    if tool in ("claude-code", "codex"):
        return {"hookSpecificOutput": {"hookEventName": "PreToolUse",
                                       "permissionDecision": "deny",
                                       "permissionDecisionReason": agent},
                "systemMessage": user}
    if tool == "cursor":
        return {"permission": "deny", "user_message": user, "agent_message": agent,
                "userMessage": user, "agentMessage": agent}
    return {"decision": "deny", "reason": agent, "systemMessage": user}


def texts(tool: str, out: dict[str, Any]) -> tuple[str, str]:
    """(user text, agent text) of a refusal, after checking its exact shape."""
    if tool in ("claude-code", "codex"):
        agent = out["hookSpecificOutput"]["permissionDecisionReason"]
        user = out["systemMessage"]
    elif tool == "cursor":
        user, agent = out["user_message"], out["agent_message"]
    else:
        user, agent = out["systemMessage"], out["reason"]
    assert out == refusal(tool, user, agent)
    return user, agent


TOOLS = ("claude-code", "cursor", "gemini-cli", "codex")


@pytest.mark.parametrize("tool", TOOLS)
def test_allowed_command(tool: str, workspace: Path, env: dict[str, str]) -> None:
    out, code, err = run(tool, shell(tool, "git status", workspace), workspace, env)
    assert (out, code) == (allowed(tool), 0), err


@pytest.mark.parametrize("tool", TOOLS)
def test_held_command_without_a_server_is_refused_with_instructions(
        tool: str, workspace: Path, env: dict[str, str]) -> None:
    # a force push leaves the machine: no undo point can make it reversible
    cmd = "git push --force origin main"
    out, code, _ = run(tool, shell(tool, cmd, workspace), workspace, env)
    assert code == 0
    user, agent = texts(tool, out)
    assert user.startswith(f"Airlock refused `{cmd}`: it needs a human's approval (")
    assert f"no Airlock server is reachable at {env['AIRLOCK_SERVER']}" in user
    assert "airlock serve" in user
    assert agent.startswith(f"Airlock refused `{cmd}`: it needs a human's approval")
    assert NO_WORKAROUND in agent
    assert agent.endswith("Stop and tell the user that this action needs their approval.")


@pytest.mark.parametrize("tool", TOOLS)
def test_denied_command(tool: str, workspace: Path, env: dict[str, str]) -> None:
    out, code, _ = run(tool, shell(tool, "rm -rf /", workspace), workspace, env)
    assert code == 0
    user, agent = texts(tool, out)
    assert user.startswith("Airlock denied `rm -rf /`: ")
    assert agent.startswith("Airlock denied `rm -rf /`: ")
    assert NO_WORKAROUND in agent


@pytest.mark.parametrize("tool", ("claude-code", "cursor", "gemini-cli"))
def test_secret_read_is_denied(tool: str, workspace: Path, env: dict[str, str]) -> None:
    secret = workspace / ".env"
    secret.write_text("RAILWAY_TOKEN=3d2c42fb-0000-4000-8000-000000000000\n")
    out, code, _ = run(tool, read(tool, secret, workspace), workspace, env)
    why = ("it holds live credentials; agents use Airlock-issued tokens, never the real "
           "credentials")
    assert code == 0
    assert out == refusal(
        tool, f"Airlock denied reading {secret}: {why}.",
        f"Airlock denied reading {secret}: {why}. {NO_WORKAROUND} If the task needs access "
        "to a system, ask the user for an Airlock token scoped to it.")


@pytest.mark.parametrize("tool", ("claude-code", "cursor", "gemini-cli"))
def test_plain_read_is_allowed(tool: str, workspace: Path, env: dict[str, str]) -> None:
    out, code, _ = run(tool, read(tool, workspace / "src" / "app.py", workspace), workspace,
                       env)
    assert (out, code) == (allowed(tool), 0)


@pytest.mark.parametrize("tool", ("claude-code", "cursor", "gemini-cli"))
def test_denylisted_read_is_denied(tool: str, workspace: Path, env: dict[str, str]) -> None:
    from airlock.classify.denylist import write_denylist

    notes = workspace / "notes.txt"
    notes.write_text("domains token: abc\n")
    write_denylist([str(notes)], env["AIRLOCK_HOME"])
    out, code, _ = run(tool, read(tool, notes, workspace), workspace, env)
    assert code == 0
    user, _ = texts(tool, out)
    assert user.startswith(f"Airlock denied reading {notes}: it holds live credentials")


@pytest.mark.parametrize("tool", TOOLS)
def test_guard_write_is_denied(tool: str, workspace: Path, env: dict[str, str]) -> None:
    target = workspace / ".claude" / "settings.json"
    out, code, _ = run(tool, write(tool, target, workspace), workspace, env)
    why = ("it is Airlock's own configuration or data, or an agent tool's hook settings, "
           "which no agent may change from any surface")
    assert code == 0
    assert out == refusal(
        tool, f"Airlock denied writing {target}: {why}.",
        f"Airlock denied writing {target}: {why}. {NO_WORKAROUND} If the change is really "
        "needed, ask the user to make it themselves.")


@pytest.mark.parametrize("tool", TOOLS)
def test_workspace_write_is_allowed(tool: str, workspace: Path, env: dict[str, str]) -> None:
    out, code, _ = run(tool, write(tool, workspace / "src" / "new.py", workspace), workspace,
                       env)
    assert (out, code) == (allowed(tool), 0)


@pytest.mark.parametrize("tool", ("claude-code", "gemini-cli", "codex", "cursor"))
def test_mcp_call_is_held(tool: str, workspace: Path, env: dict[str, str]) -> None:
    name = "before_mcp_execution_string_input.json" if tool == "cursor" else "mcp.json"
    p = fixture(tool, name)
    if "cwd" in p:
        p["cwd"] = str(workspace)
    out, code, _ = run(tool, p, workspace, env)
    assert code == 0
    user, agent = texts(tool, out)
    assert user.startswith("Airlock refused the MCP call ")
    assert NO_WORKAROUND in agent


def test_other_tool_is_not_objected_to(workspace: Path, env: dict[str, str]) -> None:
    p = fixture("claude-code", "todowrite.json")
    out, code, _ = run("claude-code", p, workspace, env)
    assert (out, code) == ({}, 0)


@pytest.mark.parametrize("tool", TOOLS)
def test_garbage_payload_fails_closed(tool: str, workspace: Path, env: dict[str, str]) -> None:
    out, code, err = run(tool, b"\x00not json{", workspace, env)
    assert code == 0
    user, agent = texts(tool, out)
    assert user.startswith("Airlock could not check this call (the hook payload is not JSON")
    assert "fails closed" in user and f"airlock hook uninstall {tool}" in user
    assert agent.startswith("Airlock could not check this call and blocked it (fail closed)")
    assert "could not check" in err


def test_wrong_shape_payload_fails_closed(workspace: Path, env: dict[str, str]) -> None:
    out, code, _ = run("claude-code", {"tool_name": "Bash", "tool_input": {"command": 7}},
                       workspace, env)
    user, _ = texts("claude-code", out)
    assert code == 0
    assert user.startswith("Airlock could not check this call (unexpected hook payload:")


def test_broken_config_fails_closed_but_still_answers_reads(
        workspace: Path, env: dict[str, str]) -> None:
    (workspace / "airlock.toml").write_text("this is [not toml\n")
    out, code, _ = run("claude-code", shell("claude-code", "git status", workspace),
                       workspace, env)
    user, _ = texts("claude-code", out)
    assert code == 0 and user.startswith("Airlock could not check this call (")
    out, code, _ = run("claude-code", read("claude-code", workspace / "src" / "app.py",
                                           workspace), workspace, env)
    assert (out, code) == ({}, 0)
    target = workspace / ".claude" / "settings.json"
    out, code, _ = run("claude-code", write("claude-code", target, workspace), workspace, env)
    user, _ = texts("claude-code", out)
    assert user.startswith(f"Airlock denied writing {target}")


def test_unknown_tool_exits_2(workspace: Path, env: dict[str, str]) -> None:
    proc = subprocess.run([AIRLOCK, "hook", "run", "vim"], input=b"{}", cwd=workspace,
                          env=env, capture_output=True, check=False)
    assert proc.returncode == 2
    assert b"unknown agent tool 'vim'" in proc.stderr


def test_dead_daemon_socket_fails_over_to_in_process(
        workspace: Path, env: dict[str, str], tmp_path: Path) -> None:
    """A socket file with no daemon behind it: the call is still answered (here, and
    correctly), never waved through. The daemon it would spawn is kept out by pointing
    the interpreter at a module that does not exist."""
    home = Path(env["AIRLOCK_HOME"])
    (home / "run").mkdir(parents=True)
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    dead.bind(str(home / "run" / "airlock.sock"))
    dead.close()  # the file stays, nobody listens
    env = dict(env)
    env.pop("AIRLOCK_NO_DAEMON")
    # a recent spawn marker: no daemon is started by this test
    (home / "run" / "spawning").write_text("")
    out, code, _ = run("claude-code", shell("claude-code", "rm -rf /", workspace), workspace,
                       env)
    user, _ = texts("claude-code", out)
    assert code == 0 and user.startswith("Airlock denied `rm -rf /`")
    out, code, _ = run("claude-code", shell("claude-code", "git status", workspace),
                       workspace, env)
    assert (out, code) == ({}, 0)


def test_daemon_failing_mid_request_fails_closed(
        workspace: Path, env: dict[str, str], tmp_path: Path) -> None:
    """A 'daemon' that accepts and hangs up without answering: the hook answers itself."""
    import threading

    home = Path(env["AIRLOCK_HOME"])
    (home / "run").mkdir(parents=True)
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(str(home / "run" / "airlock.sock"))
    srv.listen(4)

    def serve() -> None:
        for _ in range(2):
            try:
                conn, _ = srv.accept()
            except OSError:
                return
            conn.recv(65536)
            conn.close()

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    env = dict(env)
    env.pop("AIRLOCK_NO_DAEMON")
    (home / "run" / "spawning").write_text("")
    try:
        out, code, _ = run("gemini-cli", shell("gemini-cli", "rm -rf /", workspace),
                           workspace, env)
    finally:
        srv.close()
    user, _ = texts("gemini-cli", out)
    assert code == 0 and user.startswith("Airlock denied `rm -rf /`")


def test_through_a_live_daemon(workspace: Path, env: dict[str, str]) -> None:
    env = dict(env)
    env.pop("AIRLOCK_NO_DAEMON")
    env["AIRLOCK_REQUIRE_DAEMON"] = "1"  # what answers below is the daemon, or nothing
    daemon = subprocess.Popen([AIRLOCK, "daemon", "--idle-timeout", "60"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    sock = Path(env["AIRLOCK_HOME"]) / "run" / "airlock.sock"
    try:
        import time

        for _ in range(200):
            if sock.exists():
                break
            time.sleep(0.05)
        assert sock.exists()
        out, code, _ = run("cursor", shell("cursor", "git status", workspace), workspace, env)
        assert (out, code) == ({"permission": "allow"}, 0)
        out, code, _ = run("cursor", shell("cursor", "rm -rf /", workspace), workspace, env)
        user, _ = texts("cursor", out)
        assert user.startswith("Airlock denied `rm -rf /`")
        target = workspace / ".cursor" / "hooks.json"
        out, _, _ = run("cursor", write("cursor", target, workspace), workspace, env)
        user, _ = texts("cursor", out)
        assert user.startswith(f"Airlock denied writing {target}")
    finally:
        daemon.terminate()
        daemon.wait(10)


def test_cold_call_starts_a_daemon_for_the_next(workspace: Path, env: dict[str, str]) -> None:
    import time

    env = dict(env)
    env.pop("AIRLOCK_NO_DAEMON")
    sock = Path(env["AIRLOCK_HOME"]) / "run" / "airlock.sock"
    out, code, _ = run("claude-code", shell("claude-code", "git status", workspace),
                       workspace, env)
    assert (out, code) == ({}, 0)
    try:
        for _ in range(200):
            if sock.exists():
                break
            time.sleep(0.05)
        assert sock.exists(), "no daemon was started"
        out, code, _ = run("claude-code", shell("claude-code", "git status", workspace),
                           workspace, {**env, "AIRLOCK_REQUIRE_DAEMON": "1"})
        assert (out, code) == ({}, 0)  # answered by the daemon the first call started
    finally:
        subprocess.run([AIRLOCK, "daemon", "--stop"], env=env, capture_output=True,
                       check=False, timeout=30)
    assert not sock.exists()


@pytest.mark.parametrize("tool", TOOLS)
def test_a_nul_byte_in_a_command_or_a_path_is_denied_plainly(
        tool: str, workspace: Path, env: dict[str, str]) -> None:
    for payload in (shell(tool, "cat .e\x00nv", workspace),
                    write(tool, workspace / "notes\x00.txt", workspace)):
        out, code, _ = run(tool, payload, workspace, env)
        assert code == 0
        user, agent = texts(tool, out)
        assert "NUL byte" in user and "NUL byte" in agent, out
