"""The trust boundary, tried as a persistent agent would: a real unprivileged OS user plays
the agent against a real system install (`airlock install --system`, `airlock serve`
running as the `airlock` service user), and attacks every way issue 11 names. Each attack
must fail, and the destructive action must stay held or denied.

Needs root (CI runs as root): it creates the service user and the agent's user, writes
/etc/airlock, /var/lib/airlock, /run/airlock and the agent tools' system settings, and
removes all of it afterwards. It refuses to touch a system install it did not make.
"""

from __future__ import annotations

import json
import os
import pwd
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest

from airlock import system as S
from tests.server.harness import next_code

pytestmark = pytest.mark.slow

AGENT = "airlock-agent-t"
# Airlock as the install runs it: an environment every user can run, owned by root (the
# suite's own venv may live where only root can enter, e.g. a Python under /root)
VENV = Path("/opt/airlock-e2e-venv")
PYTHON = str(VENV / "bin" / "python")
AIRLOCK = str(VENV / "bin" / "airlock")
SYSTEM_PYTHON = next((p for p in ("/usr/bin/python3", "/usr/local/bin/python3")
                      if os.path.exists(p)), "")
PASSWORD = "correct horse battery"
MARKER = Path(S.CONFIG_DIR) / ".made-by-airlock-tests"
CLAUDE_MANAGED = Path("/etc/claude-code/managed-settings.d/50-airlock.json")
STEPS: dict[str, int] = {}


def _why_not() -> str:
    if os.geteuid() != 0:
        return "needs root: it creates the service user and the agent's OS user"
    if not shutil.which("useradd") or not shutil.which("userdel"):
        return "this OS cannot create users (no useradd)"
    if os.path.exists(S.PIN_PATH) and not MARKER.exists():
        return f"a real system install exists ({S.PIN_PATH}); not touching it"
    if os.path.isdir(S.DATA_DIR) and not MARKER.exists():
        return f"{S.DATA_DIR} exists and was not made by these tests; not touching it"
    if not SYSTEM_PYTHON:
        return "no system Python 3 (/usr/bin/python3) that every user can run"
    return ""


def make_venv() -> None:
    """A root-owned environment on the system Python that runs this checkout's Airlock
    with the suite's own packages (same Python minor version, same ABI)."""
    import sysconfig

    shutil.rmtree(VENV, ignore_errors=True)
    subprocess.run([SYSTEM_PYTHON, "-m", "venv", "--without-pip", str(VENV)], check=True,
                   capture_output=True)
    ours = sysconfig.get_paths()["purelib"]
    version = subprocess.run([PYTHON, "-c", "import sys; print(sys.version_info[:2])"],
                             check=True, capture_output=True, text=True).stdout.strip()
    assert version == str(sys.version_info[:2]), (version, sys.version_info)
    purelib = subprocess.run([PYTHON, "-c", "import sysconfig; "
                              "print(sysconfig.get_paths()['purelib'])"], check=True,
                             capture_output=True, text=True).stdout.strip()
    Path(purelib, "airlock-e2e.pth").write_text(
        f"import site; site.addsitedir({ours!r})\n")
    script = Path(AIRLOCK)
    script.write_text(f"#!{PYTHON}\nimport sys\nfrom airlock.cli import main\n"
                      "sys.exit(main())\n")
    script.chmod(0o755)


if _why_not():
    pytestmark = [pytest.mark.slow, pytest.mark.skip(reason=_why_not())]


# ---- running things as root, as the agent ---------------------------------------------


def root_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRLOCK_")}
    env.update(extra)
    return env


def as_root(*args: str, check: bool = True, **env: str) -> subprocess.CompletedProcess[str]:
    r = subprocess.run([AIRLOCK, *args], env=root_env(**env), capture_output=True, text=True,
                       timeout=120, stdin=subprocess.DEVNULL, cwd="/")
    if check:
        assert r.returncode == 0, f"airlock {' '.join(args)}: {r.stdout}\n{r.stderr}"
    return r


class Agent:
    """The agent's OS user: its own home, workspace and token, nothing of Airlock's."""

    def __init__(self) -> None:
        pw = pwd.getpwnam(AGENT)
        self.uid, self.gid, self.home = pw.pw_uid, pw.pw_gid, Path(pw.pw_dir)
        self.ws = self.home / "ws"
        self.token = ""

    def env(self, **extra: str) -> dict[str, str]:
        env = {"HOME": str(self.home), "USER": AGENT, "LOGNAME": AGENT, "LANG": "C.UTF-8",
               "PATH": f"{Path(PYTHON).parent}:/usr/local/bin:/usr/bin:/bin"}
        env.update(extra)
        return env

    def run(self, *args: str, input: str | None = None, cwd: Path | None = None,
            timeout: float = 60, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(list(args), user=self.uid, group=self.gid, extra_groups=[],
                              env=self.env(**env), cwd=cwd or self.ws, input=input,
                              capture_output=True, text=True, timeout=timeout)

    def py(self, code: str, **env: str) -> subprocess.CompletedProcess[str]:
        return self.run(PYTHON, "-c", code, **env)

    def hook(self, command: str, cwd: Path | None = None, **env: str) -> dict[str, Any]:
        """What Claude Code would get from the installed command hook for a Bash call."""
        cwd = cwd or self.ws
        payload = {"session_id": "s", "cwd": str(cwd), "hook_event_name": "PreToolUse",
                   "permission_mode": "bypassPermissions", "tool_name": "Bash",
                   "tool_input": {"command": command}, "tool_use_id": "t"}
        settings = json.loads(CLAUDE_MANAGED.read_text())
        hook_cmd = settings["hooks"]["PreToolUse"][0]["hooks"][0]["command"]
        r = self.run("/bin/sh", "-c", hook_cmd, input=json.dumps(payload), cwd=cwd, **env)
        assert r.returncode == 0, r.stderr
        out: dict[str, Any] = json.loads(r.stdout)
        return out

    def http_hook(self, command: str, token: str | None = None) -> dict[str, Any]:
        payload = {"session_id": "s", "cwd": str(self.ws), "hook_event_name": "PreToolUse",
                   "permission_mode": "default", "tool_name": "Bash",
                   "tool_input": {"command": command}, "tool_use_id": "t"}
        headers = {"Authorization": f"Bearer {self.token if token is None else token}",
                   "X-Airlock-Home": str(self.home), "Content-Type": "application/json"}
        code = ("import json, sys, urllib.request\n"
                f"req = urllib.request.Request({pin_url() + '/v1/hooks/claude-code'!r}, "
                f"data=sys.stdin.buffer.read(), headers={headers!r})\n"
                "print(urllib.request.urlopen(req, timeout=30).read().decode())\n")
        r = self.run(PYTHON, "-c", code, input=json.dumps(payload))
        assert r.returncode == 0, r.stderr
        out: dict[str, Any] = json.loads(r.stdout)
        return out


def pin_url() -> str:
    pin = S.load_pin()
    assert pin is not None
    return pin.url


def decision(out: dict[str, Any]) -> str:
    """allow, hold (filed as a request for a human) or deny (any other refusal)."""
    if out == {}:
        return "allow"
    spec = out["hookSpecificOutput"]
    assert spec["permissionDecision"] == "deny"
    reason = spec["permissionDecisionReason"]
    if re.search(r"held .* as request [0-9a-f]+ for human approval", reason):
        return "hold"
    print(reason)
    return "deny"


# ---- the installation -----------------------------------------------------------------


class Service:
    def __init__(self) -> None:
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = Path("/tmp/airlock-trust-boundary-serve.log")

    def start(self) -> None:
        log = self.log.open("ab")
        self.proc = subprocess.Popen([AIRLOCK, "serve"], env=root_env(), stdout=log,
                                     stderr=log, cwd="/", start_new_session=True)
        deadline = time.monotonic() + 60
        pin = S.load_pin()
        assert pin is not None
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.log.read_text()[-3000:]
            try:
                with urllib.request.urlopen(pin.url + "/v1/health", timeout=1) as r:
                    if r.status == 200 and os.path.exists(pin.socket):
                        return
            except OSError:
                pass
            time.sleep(0.1)
        raise AssertionError("airlock serve did not come up: " + self.log.read_text()[-3000:])

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid


def _cleanup() -> None:
    for tool in ("claude-code", "codex", "cursor", "gemini-cli"):
        as_root("hook", "uninstall", tool, "--system", check=False)
    as_root("uninstall", "--system", "--purge", check=False)
    if MARKER.exists():
        MARKER.unlink()
    subprocess.run(["userdel", "-r", AGENT], capture_output=True, check=False)
    for d in ("/etc/claude-code/managed-settings.d", "/etc/claude-code"):
        if os.path.isdir(d) and not os.listdir(d):
            os.rmdir(d)


@pytest.fixture(scope="module")
def installed() -> Iterator[tuple[Service, Agent, str]]:
    make_venv()
    if MARKER.exists():
        _cleanup()  # what a crashed earlier run left behind
    r = as_root("install", "--system", "--no-start")
    try:
        MARKER.write_text("made by tests/e2e/test_trust_boundary.py\n")
        assert "wrote the pin" in r.stdout, r.stdout
        subprocess.run(["useradd", "--create-home", "--shell", "/bin/sh", AGENT], check=True,
                       capture_output=True)
        agent = Agent()
        os.chmod(agent.home, 0o755)  # the service may read the agent's project configs
        r = agent.run("git", "init", "-q", str(agent.ws), cwd=agent.home)
        assert r.returncode == 0, r.stderr
        (agent.ws / "src").mkdir()
        (agent.ws / "src" / "app.py").write_text("print('hi')\n")
        os.chown(agent.ws / "src", agent.uid, agent.gid)
        os.chown(agent.ws / "src" / "app.py", agent.uid, agent.gid)
        service = Service()
        service.start()
        r = as_root("admin", "create", "alice", AIRLOCK_NEW_PASSWORD=PASSWORD)
        secret = re.search(r"TOTP secret: (\S+)", r.stdout)
        assert secret, r.stdout
        r = as_root("token", "issue", "--agent", "claude")
        agent.token = r.stdout.strip().splitlines()[-1]
        token_dir = agent.home / ".local" / "share" / "airlock"
        r = agent.run("mkdir", "-p", str(token_dir), cwd=agent.home)
        assert r.returncode == 0
        r = agent.run("/bin/sh", "-c", f"cat > {token_dir}/agent-token", input=agent.token,
                      cwd=agent.home)
        assert r.returncode == 0
        r = as_root("hook", "install", "claude-code", "--system", "--command-hook")
        assert str(CLAUDE_MANAGED) in r.stdout
        yield service, agent, secret.group(1)
        service.stop()
    finally:
        _cleanup()
        shutil.rmtree(VENV, ignore_errors=True)


@contextmanager
def _serving(service: Service, extra: str, secret: str, value: str) -> Iterator[None]:
    """The service restarted with ``extra`` added to its airlock.toml and ``value`` as its
    secret ``secret``; restarted with the config as it was afterwards."""
    config = Path(S.CONFIG_DIR) / "airlock.toml"
    original = config.read_text()
    config.write_text(original + extra)
    try:
        as_root("secret", "add", secret, "--from-env", "VALUE", VALUE=value)
        service.stop()
        service.start()
        yield
    finally:
        config.write_text(original)
        service.stop()
        service.start()


@pytest.fixture
def stack(installed: tuple[Service, Agent, str]) -> tuple[Service, Agent, str]:
    service, _agent, _secret = installed
    if service.proc is None or service.proc.poll() is not None:
        service.start()
    return installed


# ---- the checks -----------------------------------------------------------------------


def test_the_install_is_private_and_the_hook_answers(stack: tuple[Service, Agent, str]
                                                     ) -> None:
    _service, agent, _ = stack
    pin = S.load_pin()
    assert pin is not None and pin.user == "airlock"
    assert (os.stat(S.DATA_DIR).st_mode & 0o777) == 0o700
    assert agent.hook("git status") == {}
    assert decision(agent.hook("git reset --hard")) == "hold"
    assert decision(agent.hook("rm -rf ~")) == "deny"
    assert agent.http_hook("git status") == {}
    assert decision(agent.http_hook("rm -rf /")) == "deny"
    r = agent.run(AIRLOCK, "check", "--", "rm -rf ~")
    assert r.returncode == 4, r.stdout + r.stderr
    doctor = as_root("doctor", check=False)
    assert "mode: system install" in doctor.stdout, doctor.stdout
    assert "answered by uid" in doctor.stdout and "NOT" not in doctor.stdout, doctor.stdout
    assert "only privileged processes can listen" in doctor.stdout
    assert "claude-code: managed hook" in doctor.stdout
    # airlock exec as the agent: the service decides, the hold is filed, nothing runs
    r = agent.run(AIRLOCK, "exec", "--timeout", "2", "--", "rm -rf src")
    assert r.returncode == 3 and (agent.ws / "src").exists(), r.stdout + r.stderr
    assert "held as request" in r.stderr and pin_url() in r.stderr
    r = agent.run(AIRLOCK, "exec", "--", "echo", "ran")
    assert r.returncode == 0 and r.stdout == "ran\n", r.stderr


@pytest.mark.parametrize("path", [S.DATA_DIR + "/airlock.db", S.DATA_DIR + "/ledger-ed25519.pem",
                                  S.CONFIG_DIR + "/airlock.toml", S.DATA_DIR])
def test_the_agent_cannot_read_airlocks_files(stack: tuple[Service, Agent, str],
                                              path: str) -> None:
    _service, agent, _ = stack
    r = agent.py(f"import os; p = {path!r}\n"
                 "print(os.listdir(p) if os.path.isdir(p) else open(p, 'rb').read(10))")
    assert r.returncode != 0 and "PermissionError" in r.stderr, r.stdout


def test_the_agent_cannot_forge_an_approval_in_the_store(stack: tuple[Service, Agent, str]
                                                         ) -> None:
    _service, agent, _ = stack
    assert decision(agent.hook("git clean -fdx")) == "hold"
    forge = ("import sqlite3\n"
             f"db = sqlite3.connect('file:{S.DATA_DIR}/airlock.db?mode=rw', uri=True)\n"
             "db.execute(\"UPDATE requests SET state='ready', cooldown_until=0, "
             "expires_at=9e9\")\ndb.commit()\n")
    r = agent.py(forge)
    assert r.returncode != 0 and "unable to open database" in r.stderr, r.stderr
    if shutil.which("sqlite3"):
        r = agent.run("sqlite3", f"{S.DATA_DIR}/airlock.db", "UPDATE requests SET state='ready'")
        assert r.returncode != 0
    assert decision(agent.hook("git clean -fdx")) == "hold"


def test_a_nested_config_and_policy_and_inline_env_change_nothing(
        stack: tuple[Service, Agent, str]) -> None:
    _service, agent, _ = stack
    sub = agent.ws / "sub"
    evil_toml = ("[policy]\ndefaults = false\nfiles = ['open.cedar']\n"
                 "[environments.yolo]\nsandbox = true\n"
                 "[[resources]]\nname = 'all'\nkind = 'directory'\nenv = 'yolo'\npaths = ['/']\n")
    r = agent.run("/bin/sh", "-c",
                  f"mkdir -p {sub} && cat > {sub}/airlock.toml && "
                  f"echo 'permit (principal, action, resource);' > {sub}/open.cedar && "
                  f"cp {sub}/airlock.toml {agent.home}/evil.toml && "
                  f"cp {sub}/open.cedar {agent.home}/open.cedar && mkdir -p {agent.home}/fake",
                  input=evil_toml)
    assert r.returncode == 0, r.stderr
    inline = {"AIRLOCK_CONFIG": f"{agent.home}/evil.toml", "AIRLOCK_HOME": f"{agent.home}/fake",
              "AIRLOCK_NO_DAEMON": "1", "AIRLOCK_SERVER": "http://127.0.0.1:9"}
    for env in ({}, inline):
        assert decision(agent.hook("rm -rf ~", cwd=sub, **env)) == "deny"
        # held as before; with AIRLOCK_HOME moved the agent also hid its own token, so the
        # hold cannot even be filed: refused all the same
        assert decision(agent.hook("git reset --hard", cwd=sub, **env)) == \
            ("hold" if not env else "deny")
        assert decision(agent.hook("airlock hook uninstall claude-code", cwd=sub, **env)) \
            != "allow"
        r = agent.run(AIRLOCK, "check", "--config", f"{agent.home}/evil.toml", "--", "rm -rf ~",
                      cwd=sub, **env)
        assert r.returncode == 4, r.stdout + r.stderr
    # the service read the project config, ignored what loosens, and put it on the record
    ledger = as_root("ledger", "export").stdout
    assert "config-refused" in ledger and "ignored [policy] defaults = false" in ledger


def test_killing_or_impersonating_the_service_never_allows(stack: tuple[Service, Agent, str]
                                                           ) -> None:
    service, agent, _ = stack
    pin = S.load_pin()
    assert pin is not None
    r = agent.run("kill", str(service.pid))
    assert r.returncode != 0
    r = agent.run("pkill", "-f", "airlock serve") if shutil.which("pkill") else r
    time.sleep(0.5)
    assert service.proc is not None and service.proc.poll() is None
    assert decision(agent.hook("git reset --hard")) == "hold"

    service.stop()
    # down: nothing answers, and every call is refused, never allowed
    down = agent.hook("git status")
    assert decision(down) == "deny"
    assert "not answering" in down["systemMessage"]
    r = agent.run(AIRLOCK, "check", "--", "git status")
    assert r.returncode == 1, r.stdout + r.stderr
    # and the agent cannot stand in: not the socket, not the port, not its own daemon
    port = int(pin.url.rsplit(":", 1)[1])
    bind = agent.py("import socket\n"
                    f"s = socket.socket(); s.bind(('127.0.0.1', {port}))")
    assert bind.returncode != 0 and "PermissionError" in bind.stderr, bind.stderr
    assert not os.path.exists(pin.socket)  # the service removed its socket on the way out
    for attempt in (f"s = socket.socket(socket.AF_UNIX); s.bind({pin.socket!r})",
                    f"open({pin.socket!r}, 'w')",
                    f"os.symlink('/tmp/impostor.sock', {pin.socket!r})"):
        fake = agent.py(f"import os, socket\n{attempt}")
        assert fake.returncode != 0, attempt
        assert "PermissionError" in fake.stderr, fake.stderr
    impostor = (
        "import os, socket, sys, threading\n"
        "path = os.path.expanduser('~/.local/share/airlock/run/airlock.sock')\n"
        "os.makedirs(os.path.dirname(path), exist_ok=True)\n"
        "s = socket.socket(socket.AF_UNIX); s.bind(path); s.listen()\n"
        "sys.stdout.write('up\\n'); sys.stdout.flush()\n"
        "while True:\n"
        "    c, _ = s.accept(); c.recv(1 << 20); c.sendall(b'0\\n2\\n{}'); c.close()\n")
    proc = subprocess.Popen([PYTHON, "-c", impostor], user=agent.uid, group=agent.gid,
                            extra_groups=[], env=agent.env(), cwd=agent.ws,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "up"
        assert decision(agent.hook("rm -rf src")) == "deny"
        assert decision(agent.hook("git status")) == "deny"
    finally:
        proc.kill()
        proc.wait()
    service.start()
    assert agent.hook("git status") == {}


def test_the_hook_settings_are_not_the_agents(stack: tuple[Service, Agent, str]) -> None:
    _service, agent, _ = stack
    assert agent.run("rm", "-f", str(CLAUDE_MANAGED)).returncode != 0
    r = agent.run("/bin/sh", "-c", f"echo '{{}}' > {CLAUDE_MANAGED}")
    assert r.returncode != 0
    assert CLAUDE_MANAGED.exists() and "hook run claude-code" in CLAUDE_MANAGED.read_text()
    r = agent.run(PYTHON, "-m", "airlock", "hook", "uninstall", "claude-code", "--system")
    assert r.returncode != 0
    assert CLAUDE_MANAGED.exists()
    r = agent.run(PYTHON, "-m", "airlock", "uninstall", "--system")
    assert r.returncode != 0 and os.path.exists(S.PIN_PATH)


def test_the_agent_cannot_issue_tokens_or_approve(stack: tuple[Service, Agent, str]) -> None:
    _service, agent, secret = stack
    out = agent.hook("git reset --hard")
    rid = re.search(r"request ([0-9a-f]+)", out["hookSpecificOutput"]
                    ["permissionDecisionReason"])
    assert rid, out
    for args in (["token", "issue", "--agent", "root"],
                 ["approve", rid.group(1), "--user", "alice", "--confirm", "x"],
                 ["admin", "create", "mallory"], ["ledger", "verify"]):
        r = agent.run(PYTHON, "-m", "airlock", *args, AIRLOCK_PASSWORD=PASSWORD,
                      AIRLOCK_TOTP="000000", AIRLOCK_NEW_PASSWORD=PASSWORD)
        assert r.returncode != 0, (args, r.stdout)
        assert "system service" in r.stderr, r.stderr
    assert decision(agent.hook("git reset --hard")) == "hold"
    # the human, as root: approves; the exact action is then allowed once
    rows = json.loads(as_root("requests", "--json").stdout)
    row = next(r for r in rows if r["id"] == rid.group(1))
    r = as_root("approve", rid.group(1), "--user", "alice", "--confirm", row["confirm_name"],
                AIRLOCK_PASSWORD=PASSWORD, AIRLOCK_TOTP=next_code(secret, STEPS, "alice"))
    assert "cooling" in r.stdout or "ready" in r.stdout, r.stdout
    assert as_root("ledger", "verify").returncode == 0


def test_every_tools_system_hook_is_roots_and_doctor_says_what_the_agent_could_do(
        stack: tuple[Service, Agent, str]) -> None:
    from airlock.intake.hooks import managed

    _service, agent, _ = stack
    for tool in ("cursor", "gemini-cli", "codex"):
        as_root("hook", "install", tool, "--system")
    r = as_root("hook", "install", "claude-code", "--system")  # the HTTP hook, by default
    settings = json.loads(CLAUDE_MANAGED.read_text())
    [handler] = settings["hooks"]["PreToolUse"][0]["hooks"]
    assert handler["type"] == "http" and handler["onFailure"] == "block"
    assert handler["url"] == pin_url() + "/v1/hooks/claude-code"
    assert settings["allowedHttpHookUrls"] == [pin_url() + "/v1/hooks/*"]
    assert settings["allowManagedHooksOnly"] is True
    for path in managed.PATHS.values():
        st = path.stat()
        assert st.st_uid == 0 and (st.st_mode & 0o777) == 0o644, path
        assert agent.run("/bin/sh", "-c", f"echo x >> {path}").returncode != 0, path
    # Cursor's enterprise hook, as Cursor would run it for a shell command
    cursor_cmd = json.loads(managed.CURSOR_FILE.read_text())["hooks"][
        "beforeShellExecution"][0]["command"]
    call = {"hook_event_name": "beforeShellExecution", "conversation_id": "c",
            "generation_id": "g", "workspace_roots": [str(agent.ws)], "command": "rm -rf ~",
            "cwd": str(agent.ws)}
    r = agent.run("/bin/sh", "-c", cursor_cmd, input=json.dumps(call))
    assert json.loads(r.stdout)["permission"] == "deny", r.stdout + r.stderr
    doctor = as_root("doctor", check=False)
    assert doctor.returncode == 1, doctor.stdout  # Gemini CLI's hook can be switched off
    assert "gemini-cli: system hook" in doctor.stdout and "CAN bypass" in doctor.stdout
    assert "codex: managed requirements" in doctor.stdout
    assert "cursor: enterprise hooks" in doctor.stdout
    assert "claude-code: managed hook" in doctor.stdout and "HTTP_PROXY" in doctor.stdout
    for tool in ("cursor", "gemini-cli", "codex"):
        as_root("hook", "uninstall", tool, "--system")
    assert not managed.CODEX_FILE.exists()
    assert "hook run" not in (managed.CURSOR_FILE.read_text()
                              if managed.CURSOR_FILE.exists() else "")
    as_root("hook", "install", "claude-code", "--system", "--command-hook")
    assert agent.hook("git status") == {}


def test_the_agent_reaches_the_database_only_through_the_gateway(
        stack: tuple[Service, Agent, str], postgres_url: str) -> None:
    """The agent's user holds an Airlock token, never the database's password: through
    the gateway its reads work and its DROP is held; Airlock's secret is not its to read,
    and a project config cannot declare itself another database."""
    from tests.broker.test_pg_gateway import PASSWORD as DB_PASSWORD
    from tests.broker.test_pg_gateway import _scram_role
    from tests.conftest_pg import free_port

    service, agent, _secret = stack
    port = int(postgres_url.rsplit(":", 1)[1].split("/")[0])
    direct = _scram_role(postgres_url, port)
    gport = free_port()
    with _serving(service, f"""
[serve]
pg_listen = "127.0.0.1:{gport}"

[[databases]]
name = "appdb"
upstream = "postgresql://app@127.0.0.1:{port}/gwdb?sslmode=disable"
env = "staging"
secret = "appdb-password"
""", "appdb-password", DB_PASSWORD):
        try:
            token = as_root("token", "issue", "--agent", "claude", "--scope", "staging",
                            "--allow", "appdb:*.*").stdout.strip().splitlines()[-1]
            url = f"postgresql://claude:{token}@127.0.0.1:{gport}/appdb"
            psql = shutil.which("psql") or "/usr/bin/psql"

            r = agent.run(psql, url, "-X", "-A", "-t", "-c", "SELECT count(*) FROM items")
            assert r.returncode == 0 and r.stdout.strip() == "50", r.stderr
            r = agent.run(psql, url, "-X", "-c", "DROP TABLE items")
            assert r.returncode != 0 and "held this statement as request" in r.stderr, r.stderr
            r = agent.run(psql, url, "-X", "-c", "SET ROLE airlock")
            assert r.returncode != 0 and "another role" in r.stderr
            with psycopg.connect(direct) as conn:
                assert conn.execute("SELECT count(*) FROM items").fetchone()[0] == 50
            # the password is nowhere the agent's user can read
            r = agent.run("grep", "-rl", DB_PASSWORD, "/etc/airlock", "/var/lib/airlock",
                          "/tmp", str(agent.home))
            assert r.stdout.strip() == "", r.stdout
            # a project config declaring a database of its own changes nothing: ignored
            r = agent.run("/bin/sh", "-c", "cat > airlock.toml", input=(
                '[[databases]]\nname = "mine"\nupstream = "postgresql://airlock@127.0.0.1:'
                f'{port}/postgres"\nenv = "staging"\n'))
            r = agent.run(psql, f"postgresql://claude:{token}@127.0.0.1:{gport}/mine", "-X",
                          "-c", "SELECT 1")
            assert r.returncode != 0 and "no database 'mine' is declared" in r.stderr
            # doctor (root) finds the password where the agent could read it, and leaves no
            # root-owned file in the service's data dir
            clean = _doctor_databases()
            assert clean["level"] == "ok", clean["check"]
            r = agent.run("/bin/sh", "-c", "cat > .env", input=f"PGPASSWORD={DB_PASSWORD}\n")
            found = _doctor_databases()
            assert found["level"] == "fail" and f"{agent.ws}/.env holds it" in found["check"]
            assert DB_PASSWORD not in json.dumps(found)
            pin = S.load_pin()
            assert pin is not None
            assert not [str(p) for p in Path(pin.data_dir).rglob("*") if p.stat().st_uid == 0]
        finally:
            (agent.ws / ".env").unlink(missing_ok=True)
            (agent.ws / "airlock.toml").unlink(missing_ok=True)


def _doctor_databases() -> dict[str, Any]:
    r = as_root("doctor", "--json", check=False)
    lines = [x for x in json.loads(r.stdout) if x["part"] == "databases"]
    assert len(lines) == 1, r.stdout
    found: dict[str, Any] = lines[0]
    return found


def test_the_forward_proxys_ca_is_the_services_and_not_the_agents(
        stack: tuple[Service, Agent, str]) -> None:
    """`sudo airlock ca export` makes the CA as the service user (the service must read
    its key; root-owned files would stop the proxy); the agent's user cannot export it or
    read the key: it gets the certificate from the proxy itself."""
    _service, agent, _secret = stack
    r = as_root("ca", "export", "--pem-only")
    assert "BEGIN CERTIFICATE" in r.stdout
    pin = S.load_pin()
    assert pin is not None
    key = Path(pin.data_dir) / "ca" / "airlock-ca.key"
    st = key.stat()
    assert st.st_uid == pin.uid and st.st_mode & 0o077 == 0
    r = agent.run(AIRLOCK, "ca", "export")
    assert r.returncode != 0 and "Run it as root" in r.stderr
    r = agent.run("cat", str(key))
    assert r.returncode != 0
    # the managed Claude Code settings send every command the agent runs through the
    # forward proxy, with a CA bundle the agent can read (nothing listens on port 9:
    # the certificate comes from the service's data dir)
    as_root("hook", "install", "claude-code", "--system", "--command-hook", "--proxied",
            "--proxy", "127.0.0.1:9")
    env = json.loads(CLAUDE_MANAGED.read_text())["env"]
    assert env["HTTPS_PROXY"] == "http://127.0.0.1:9"
    r = agent.run("cat", env["NODE_EXTRA_CA_CERTS"])
    assert r.returncode == 0 and "BEGIN CERTIFICATE" in r.stdout
    r = agent.run("grep", "-c", "BEGIN CERTIFICATE", env["SSL_CERT_FILE"])
    assert r.returncode == 0 and int(r.stdout) > 1  # the system's CAs and Airlock's
    assert CLAUDE_MANAGED.stat().st_uid == 0 and not CLAUDE_MANAGED.stat().st_mode & 0o022


def test_the_agent_reaches_a_provider_only_through_the_forward_proxy(
        stack: tuple[Service, Agent, str], tmp_path: Path) -> None:
    """As the agent's user, holding only an Airlock token: curl through the service's
    forward proxy reads a repository (the real credential injected upstream, masked where
    the API reflects it) and its DELETE is held; the credential is in no file the agent
    can read, and the provider refuses the token itself."""
    from cryptography.hazmat.primitives import serialization

    from airlock.broker.ca import new_ca
    from tests.broker.conftest import write_leaf
    from tests.broker.test_forward_proxy import (
        GitHubState,
        TLSServer,
        github_app,
    )
    from tests.conftest_pg import free_port

    service, agent, _secret = stack
    real = "ghp_e2e_" + secrets.token_hex(16)  # in no source file: a grep hit is a leak
    ca, ca_key = new_ca("e2e stand-in CA")
    bundle = Path(S.CONFIG_DIR) / "e2e-standin-ca.pem"  # the service user must read it
    bundle.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    bundle.chmod(0o644)
    cert, key = write_leaf(tmp_path, "standin", ca, ca_key)
    gh = GitHubState()
    gh_port, fport = free_port(), free_port()
    standin = TLSServer(github_app(gh, real), gh_port, cert, key).start()
    with _serving(service, f"""
[serve]
forward_proxy = "127.0.0.1:{fport}"

[[providers]]
name = "github"
pack = "github"
upstream = "https://127.0.0.1:{gh_port}"
ca_bundle = "{bundle}"

[[resources]]
name = "shop-repo"
kind = "repository"
env = "staging"
match = ["github:repository:acme/shop"]
""", "github", real):
        try:
            token = as_root("token", "issue", "--agent", "claude", "--allow",
                            "github:*.*").stdout.strip().splitlines()[-1]
            proxy = f"http://127.0.0.1:{fport}"
            r = agent.run("curl", "-sS", "-o", "airlock-ca.pem", f"{proxy}/airlock-ca.pem")
            assert r.returncode == 0, r.stderr

            def curl(*args: str) -> tuple[str, str]:
                r = agent.run("curl", "-sS", "--proxy", proxy, "--cacert", "airlock-ca.pem",
                              "-H", f"Authorization: token {token}", "-w", "\n%{http_code}",
                              *args)
                assert r.returncode == 0, r.stderr
                body, _, code = r.stdout.rpartition("\n")
                return body, code

            body, code = curl("https://api.github.com/repos/acme/shop")
            assert code == "200" and json.loads(body)["full_name"] == "acme/shop", body
            assert gh.auth[-1] == f"Bearer {real}"  # injected by Airlock, upstream only
            body, code = curl("https://api.github.com/echo")  # an API reflecting the header
            assert code == "200" and real not in body and "*" * len(real) in body
            body, code = curl("-X", "DELETE", "https://api.github.com/repos/acme/shop")
            assert code == "428" and "held as request" in body, body
            assert gh.deleted == []
            # straight to the provider, the token is worth nothing
            r = agent.run("curl", "-sk", "-o", "/dev/null", "-w", "%{http_code}",
                          "-H", f"Authorization: Bearer {token}",
                          f"https://127.0.0.1:{gh_port}/repos/acme/shop")
            assert r.stdout == "401"
            r = agent.run("grep", "-rl", real, "/etc/airlock", "/var/lib/airlock", "/tmp",
                          str(agent.home))
            assert r.stdout.strip() == "", r.stdout
        finally:
            bundle.unlink(missing_ok=True)
            (agent.ws / "airlock-ca.pem").unlink(missing_ok=True)
            standin.stop()
