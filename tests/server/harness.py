"""A real ``airlock serve`` subprocess, and a human signing in to its web UI."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import httpx
import pyotp

from airlock.hold import settings as hold_settings
from airlock.hold.identity import create_human, issue_token
from airlock.instance import Instance, build
from tests.conftest_pg import free_port

PASSWORD = "correct horse battery"
CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')


class Airlock:
    """One data dir + config; start/stop/kill servers on it; set up humans and tokens."""

    def __init__(self, home: Path, config: str = "", database: str | None = None) -> None:
        self.home = home
        home.mkdir(parents=True, exist_ok=True)
        self.config_path = home / "airlock.toml"
        body = textwrap.dedent(config) + f'\n[airlock]\ndata_dir = "{home}"\n'
        self.config_path.write_text(body)
        self.database = database
        self.procs: list[subprocess.Popen[bytes]] = []
        self.port = 0
        self._ctx: Instance | None = None
        self.totp: dict[str, str] = {}
        self._steps: dict[str, int] = {}  # the last TOTP step each human used
        self._browsers: dict[tuple[int, str], WebHuman] = {}

    # ---- processes -------------------------------------------------------------------

    def env(self, **extra: str) -> dict[str, str]:
        env = dict(os.environ)
        env.update(AIRLOCK_HOME=str(self.home), AIRLOCK_NO_DAEMON="1", **extra)
        env.pop("AIRLOCK_DATABASE_URL", None)
        return env

    def start(self, port: int | None = None, serve_args: tuple[str, ...] = (),
              **env: str) -> subprocess.Popen[bytes]:
        """``airlock serve`` on ``port`` (a free one by default) with ``serve_args``."""
        self.port = port or free_port()
        args = [sys.executable, "-m", "airlock", "serve", "--port", str(self.port),
                "--config", str(self.config_path), *serve_args]
        if self.database:
            args += ["--database", self.database]
        log = open(self.home / f"serve-{self.port}.log", "ab")  # noqa: SIM115
        proc = subprocess.Popen(args, env=self.env(**env), stdout=log, stderr=log,
                                cwd=self.home)
        self.procs.append(proc)
        self.wait_up(self.port, proc)
        return proc

    def wait_up(self, port: int, proc: subprocess.Popen[bytes], timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"airlock serve exited {proc.returncode}: "
                                   f"{(self.home / f'serve-{port}.log').read_text()[-2000:]}")
            try:
                if httpx.get(f"http://127.0.0.1:{port}/v1/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError("airlock serve did not come up")

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        self.procs.clear()
        if self._ctx is not None:
            self._ctx.store.close()
            self._ctx = None

    def cli(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        cmd = [sys.executable, "-m", "airlock", *args, "--config", str(self.config_path)]
        if self.database:
            cmd += ["--database", self.database]
        return subprocess.run(cmd, env=self.env(**env), capture_output=True, text=True,
                              timeout=60, cwd=self.home, stdin=subprocess.DEVNULL)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # ---- direct database access (what the CLI does) ----------------------------------

    @property
    def ctx(self) -> Instance:
        if self._ctx is None:
            settings = hold_settings.load(str(self.config_path), str(self.home))
            self._ctx = build(settings, self.database, self.url, with_checker=False)
        return self._ctx

    def human(self, name: str) -> str:
        self.totp[name] = create_human(self.ctx.store, self.ctx.ledger, name, PASSWORD)
        return self.totp[name]

    def code(self, name: str) -> str:
        """A code this human has not used yet (each counts once: the server refuses a
        replay), waiting for the next time step when both usable ones are spent."""
        return next_code(self.totp[name], self._steps, name)

    def token(self, agent: str = "bot", scope: str | None = None, ttl: float = 3600,
              owner: str | None = None) -> str:
        return issue_token(self.ctx.store, self.ctx.ledger, agent, scope, ttl, owner)[1]

    def confirm_name(self, rid: str) -> str:
        return str(self.ctx.service.view(rid)["confirm_name"])

    def state(self, rid: str) -> str:
        return str(self.ctx.service.view(rid)["state"])

    # ---- HTTP ------------------------------------------------------------------------

    def submit(self, token: str, command: str, port: int | None = None,
               **extra: Any) -> dict[str, Any]:
        r = httpx.post(f"http://127.0.0.1:{port or self.port}/v1/actions",
                       json={"command": command, **extra},
                       headers={"Authorization": f"Bearer {token}"}, timeout=30)
        assert r.status_code == 200, r.text
        out: dict[str, Any] = r.json()
        return out

    def browser(self, name: str) -> WebHuman:
        """``name`` signed in to the web UI of the server on :attr:`port` (one session per
        human and server, as a person keeps one browser open: each sign-in spends a code)."""
        key = (self.port, name)
        if key not in self._browsers:
            self._browsers[key] = WebHuman(self, name)
        return self._browsers[key]


def next_code(secret: str, steps: dict[str, int], name: str) -> str:
    totp = pyotp.TOTP(secret)
    while True:
        t = time.time()
        now = int(t // totp.interval)
        # the server accepts the current step and either neighbour; the previous one only
        # while the step it is checked in cannot have moved on yet
        oldest = now - 1 if (now + 1) * totp.interval - t > 5 else now
        step = max(oldest, steps.get(name, 0) + 1)
        if step <= now + 1:
            steps[name] = step
            return totp.generate_otp(step)
        time.sleep((step - 1) * totp.interval - t + 0.05)


class WebHuman:
    """A human using the web UI through an HTTP client that keeps cookies."""

    def __init__(self, airlock: Airlock, name: str) -> None:
        self.airlock = airlock
        self.client = httpx.Client(base_url=airlock.url, timeout=30)
        page = self.client.get("/login")
        csrf = CSRF_RE.search(page.text)
        assert csrf, page.text
        r = self.client.post("/login", data={
            "csrf": csrf.group(1), "next": "/", "username": name, "password": PASSWORD,
            "code": airlock.code(name)})
        assert r.status_code == 303, r.text
        self.csrf = ""

    def page(self, rid: str) -> httpx.Response:
        r = self.client.get(f"/r/{rid}")
        found = CSRF_RE.search(r.text)
        if found:
            self.csrf = found.group(1)
        return r

    def post(self, rid: str, op: str, csrf: str | None = None, **form: str) -> httpx.Response:
        if not self.csrf:
            self.page(rid)
        data = {"csrf": self.csrf if csrf is None else csrf, **form}
        if csrf == "<missing>":
            data.pop("csrf")
        return self.client.post(f"/r/{rid}/{op}", data=data)

    def approve(self, rid: str, name: str | None = None, **kw: str) -> httpx.Response:
        typed = self.airlock.confirm_name(rid) if name is None else name
        return self.post(rid, "approve", confirm_name=typed, **kw)
