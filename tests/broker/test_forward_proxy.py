"""The forward proxy (``airlock serve --forward-proxy``) with real clients — curl, PyGithub,
requests — against local stand-in HTTPS APIs.

One real ``airlock serve`` for the module. The stand-ins present certificates from a test
CA that Airlock is told to trust with each provider's ``ca_bundle``. The providers'
public host names (``api.github.com``, ``backboard.railway.app``) are never resolved:
a client behind a proxy sends the name in its ``CONNECT``, Airlock intercepts it as the
pack's host and forwards to the provider's configured ``upstream`` (the stand-in on
127.0.0.1). A host nobody declares is tunnelled to a second stand-in.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from airlock.broker import tokens as T
from airlock.broker.ca import new_ca
from airlock.broker.secrets import SecretBox
from airlock.demo.paas_api import create_app as paas_app
from airlock.demo.paas_api import free_port, seed
from tests.broker.conftest import write_leaf
from tests.server.harness import Airlock

GH_REAL = "ghp_real_9f8e7d6c5b4a39281706f5e4d3c2b1a0"
GH_FOUND = "ghp_found_in_a_file_0123456789abcdef"
RW_REAL = "rw_live_7c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f"
DELETE = 'mutation { volumeDelete(volumeId: "%s") }'

CONFIG = """
[environments.production]
[environments.staging]

[[resources]]
name = "shop-repo"
kind = "repository"
env = "staging"
match = ["github:repository:acme/shop"]

[[providers]]
name = "github"
pack = "github"
upstream = "https://127.0.0.1:{gh}"
ca_bundle = "{bundle}"

[[providers]]
name = "railway"
pack = "railway"
upstream = "https://127.0.0.1:{rw}"
ca_bundle = "{bundle}"

[forward_proxy]
only_declared = true
allow_hosts = ["127.0.0.1"]

[hold]
production_approvers = 1
cooldown_production = 0
cooldown_default = 0
"""


@dataclass
class GitHubState:
    auth: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)


def github_app(st: GitHubState, credential: str = GH_REAL) -> Starlette:
    """The few GitHub REST endpoints the tests call, as api.github.com answers them."""

    async def repo(request: Request) -> Response:
        st.auth.append(request.headers.get("authorization", ""))
        if request.headers.get("authorization") != f"Bearer {credential}":
            return JSONResponse({"message": "Bad credentials"}, 401)
        full = f"{request.path_params['owner']}/{request.path_params['repo']}"
        if full in st.deleted:
            return JSONResponse({"message": "Not Found"}, 404)
        if request.method == "DELETE":
            st.deleted.append(full)
            return Response(status_code=204)
        return JSONResponse({"id": 1, "name": request.path_params["repo"], "full_name": full,
                             "owner": {"login": request.path_params["owner"]},
                             "url": f"https://api.github.com/repos/{full}", "private": True})

    async def echo(request: Request) -> Response:  # a debug route that reflects headers
        return JSONResponse({"authorization": request.headers.get("authorization")})

    return Starlette(routes=[Route("/repos/{owner}/{repo}", repo, methods=["GET", "DELETE"]),
                             Route("/echo", echo)])


def other_app() -> Starlette:
    async def hello(request: Request) -> Response:
        return PlainTextResponse(f"other host; auth={request.headers.get('authorization')}")

    return Starlette(routes=[Route("/", hello)])


class TLSServer:
    """A uvicorn server with TLS on 127.0.0.1 in a thread."""

    def __init__(self, app: Any, port: int, cert: Path, key: Path) -> None:
        import uvicorn

        self.port = port
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                access_log=False, lifespan="off", ssl_certfile=str(cert),
                                ssl_keyfile=str(key))
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> TLSServer:
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            assert self.thread.is_alive() and time.monotonic() < deadline
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)


@dataclass
class Rig:
    airlock: Airlock
    gh: GitHubState
    paas_root: Path
    fport: int
    gh_port: int
    other_port: int
    test_ca: Path
    root: Path

    @property
    def proxy(self) -> str:
        return f"http://127.0.0.1:{self.fport}"

    @property
    def ca(self) -> Path:
        return self.airlock.home / "ca" / "airlock-ca.pem"

    def token(self, scope: str | None, *allow: str) -> str:
        return T.issue(self.airlock.ctx.store, self.airlock.ctx.ledger, "bot", scope,
                       list(allow), 3600)[1]

    def curl(self, *args: str, cacert: Path | None = None) -> subprocess.CompletedProcess[str]:
        cmd = ["curl", "-sS", "--proxy", self.proxy, "--cacert", str(cacert or self.ca),
               "-w", "\n%{http_code}", *args]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=30,
                              env={"PATH": os.environ["PATH"]})

    def approve(self, rid: str) -> None:
        if "alice" not in self.airlock.totp:
            self.airlock.human("alice")
        assert self.airlock.browser("alice").approve(rid).status_code == 303

    def ledger(self) -> list[dict[str, Any]]:
        from airlock import ledger

        return list(ledger.entries(self.airlock.ctx.store))


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rig]:
    root = tmp_path_factory.mktemp("fwd")
    ca, ca_key = new_ca("stand-in test CA")
    bundle = root / "standin-ca.pem"
    bundle.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert, key = write_leaf(root, "standin", ca, ca_key)
    gh = GitHubState()
    gh_port, rw_port, other_port, fport = free_port(), free_port(), free_port(), free_port()
    paas = seed(str(root / "paas"), [RW_REAL])
    servers = [TLSServer(github_app(gh), gh_port, cert, key).start(),
               TLSServer(paas_app(paas), rw_port, cert, key).start(),
               TLSServer(other_app(), other_port, cert, key).start()]
    airlock = Airlock(root / "home", CONFIG.format(gh=gh_port, rw=rw_port, bundle=bundle))
    SecretBox(airlock.ctx.store, airlock.ctx.ledger, str(airlock.home)).add("github", GH_REAL)
    SecretBox(airlock.ctx.store, airlock.ctx.ledger, str(airlock.home)).add("railway", RW_REAL)
    airlock.port = free_port()
    log = open(airlock.home / "serve.log", "ab")  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "airlock", "serve", "--port", str(airlock.port), "--config",
         str(airlock.config_path), "--forward-proxy", f"127.0.0.1:{fport}"],
        env=airlock.env(), stdout=log, stderr=log, cwd=airlock.home)
    airlock.procs.append(proc)
    rig = Rig(airlock, gh, root / "paas", fport, gh_port, other_port, bundle, root)
    try:
        airlock.wait_up(airlock.port, proc)
        yield rig
    finally:
        airlock.stop_all()
        log.close()
        for s in servers:
            s.stop()
    # the real credentials were written nowhere: not the server's log, not the ledger
    for p in (root / "home").rglob("*"):
        if p.is_file():
            data = p.read_bytes()
            assert GH_REAL.encode() not in data and RW_REAL.encode() not in data, p


def test_serve_announces_the_forward_proxy(rig: Rig) -> None:
    text = (rig.airlock.home / "serve.log").read_text()
    assert f"forward proxy on 127.0.0.1:{rig.fport}" in text
    assert "api.github.com:443" in text and "backboard.railway.app:443" in text
    key = rig.airlock.home / "ca" / "airlock-ca.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600


def test_curl_read_passes_with_the_credential_injected_and_masked(rig: Rig) -> None:
    tok = rig.token(None, "github:*.*")
    r = rig.curl("-H", f"Authorization: token {tok}", "https://api.github.com/repos/acme/shop")
    body, code = r.stdout.rsplit("\n", 1)
    assert code == "200", r.stdout + r.stderr
    assert json.loads(body)["full_name"] == "acme/shop"
    assert rig.gh.auth[-1] == f"Bearer {GH_REAL}"  # injected in place of the alk_ token
    echo = rig.curl("-H", f"Authorization: Bearer {tok}", "https://api.github.com/echo")
    assert echo.stdout.endswith("200"), echo.stdout + echo.stderr
    assert GH_REAL not in echo.stdout and "*" * len(GH_REAL) in echo.stdout
    # git and some SDKs send the token as a Basic password
    basic = rig.curl("-u", f"x-access-token:{tok}", "https://api.github.com/repos/acme/shop")
    assert basic.stdout.endswith("200"), basic.stdout


def test_raw_provider_token_refused_and_never_forwarded(rig: Rig) -> None:
    seen = len(rig.gh.auth)
    r = rig.curl("-H", f"Authorization: token {GH_FOUND}",
                 "https://api.github.com/repos/acme/shop")
    body, code = r.stdout.rsplit("\n", 1)
    assert code == "401"
    assert "not an Airlock-issued token" in json.loads(body)["errors"][0]["message"]
    assert len(rig.gh.auth) == seen and GH_FOUND not in "".join(rig.gh.auth)
    assert rig.curl("https://api.github.com/repos/acme/shop").stdout.endswith("401")


PYGITHUB = textwrap.dedent("""
    import json, sys
    from github import Auth, Github, GithubException
    g = Github(auth=Auth.Token(sys.argv[1]), retry=None)
    try:
        repo = g.get_repo("acme/shop")
        repo.delete()
        print(json.dumps({"deleted": repo.full_name}))
    except GithubException as exc:
        print(json.dumps({"status": exc.status, "data": exc.data}))
""")


def test_pygithub_repository_delete_held_approved_then_runs_once(rig: Rig) -> None:
    """The agent's process holds only its alk_ token, the proxy and the CA bundle."""
    tok = rig.token(None, "github:*.*")
    bundle = rig.root / "agent-bundle.pem"
    bundle.write_bytes(rig.ca.read_bytes())
    env = {"PATH": os.environ["PATH"], "HTTPS_PROXY": rig.proxy,
           "REQUESTS_CA_BUNDLE": str(bundle), "NO_PROXY": ""}

    def agent() -> dict[str, Any]:
        out = subprocess.run([sys.executable, "-c", PYGITHUB, tok], env=env,
                             capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        assert GH_REAL not in out.stdout + out.stderr
        result: dict[str, Any] = json.loads(out.stdout)
        return result

    held = agent()
    assert held["status"] == 428, held
    rid = held["data"]["airlock"]["request"]
    assert "held as request" in held["data"]["errors"][0]["message"]
    assert rig.gh.deleted == []
    rig.approve(rid)
    assert agent() == {"deleted": "acme/shop"}
    assert rig.gh.deleted == ["acme/shop"]
    assert agent()["status"] == 404  # the repository is gone; the delete is not repeated
    deadline = time.monotonic() + 5  # a `forwarded` entry is written a few ms late
    while "forwarded" not in (kinds := [e["kind"] for e in rig.ledger()
                                        if e["request_id"] == rid]) and \
            time.monotonic() < deadline:
        time.sleep(0.05)
    assert "execution-claimed" in kinds and "forwarded" in kinds


def test_volume_delete_through_requests_held_approved_then_runs_once(rig: Rig) -> None:
    """The incident's call, sent with Python requests to Railway's own host: on the
    production volume it is refused outright; on staging it is held, approved, snapshotted
    and run once."""
    proxies = {"https": rig.proxy}

    def call(tok: str, volume: str) -> requests.Response:
        return requests.post("https://backboard.railway.app/graphql/v2",
                             json={"query": DELETE % volume},
                             headers={"Authorization": f"Bearer {tok}"},
                             proxies=proxies, verify=str(rig.ca), timeout=30)

    incident = call(rig.token("production", "railway:volume.*"), "3d2c42fb-prd")
    assert incident.status_code == 403, incident.text
    assert "catastrophic" in incident.json()["errors"][0]["message"]
    assert (rig.paas_root / "volumes" / "3d2c42fb-prd").is_dir()

    tok = rig.token("staging", "railway:volume.*")
    volume = rig.paas_root / "volumes" / "5b1f0c2e-stg"
    r = call(tok, "5b1f0c2e-stg")
    assert r.status_code == 428, r.text
    rid = r.json()["airlock"]["request"]
    assert volume.is_dir()
    rig.approve(rid)
    r = call(tok, "5b1f0c2e-stg")
    assert r.status_code == 200, r.text
    assert r.json()["data"]["volumeDelete"] is True and r.headers.get("x-airlock-snapshot")
    assert not volume.exists()
    again = call(tok, "5b1f0c2e-stg")
    assert again.status_code == 428  # once only: decided afresh, held again


def test_plain_http_to_a_declared_host_is_decided(rig: Rig) -> None:
    tok = rig.token(None, "github:*.*")
    ok = rig.curl("-H", f"Authorization: token {tok}", "http://api.github.com/repos/acme/app")
    assert ok.stdout.endswith("200"), ok.stdout
    held = rig.curl("-X", "DELETE", "-H", f"Authorization: token {tok}",
                    "http://api.github.com/repos/acme/app")
    assert held.stdout.endswith("428"), held.stdout
    assert "acme/app" not in rig.gh.deleted


def test_undeclared_host_is_tunnelled_untouched(rig: Rig) -> None:
    url = f"https://127.0.0.1:{rig.other_port}/"
    # the stand-in's own certificate reaches the client: nothing was intercepted
    r = rig.curl("-H", "Authorization: Bearer mine", url, cacert=rig.test_ca)
    assert r.stdout == "other host; auth=Bearer mine\n200", r.stdout + r.stderr
    refused = rig.curl(url)  # Airlock's CA does not vouch for a tunnelled host
    assert refused.returncode != 0


def test_undeclared_host_refused_when_configured(rig: Rig) -> None:
    r = rig.curl("https://example.invalid/")
    assert r.returncode != 0 and "403" in r.stderr
    plain = rig.curl("http://example.invalid/")
    assert plain.stdout.endswith("403") and "only_declared" in plain.stdout
    assert any(e["kind"] == "proxy-refused" and "example.invalid" in json.dumps(e)
               for e in rig.ledger())


def test_ca_export_and_the_proxy_serve_the_same_certificate(rig: Rig) -> None:
    out = rig.airlock.cli("ca", "export")
    assert out.returncode == 0, out.stderr
    pem = rig.ca.read_text()
    assert pem in out.stdout
    assert "NODE_EXTRA_CA_CERTS" in out.stdout and "REQUESTS_CA_BUNDLE" in out.stdout
    r = requests.get(f"{rig.proxy}/airlock-ca.pem", timeout=10)
    assert r.status_code == 200 and r.text == pem


def test_exec_proxied_runs_curl_through_the_proxy(rig: Rig) -> None:
    # curl is given neither --proxy nor --cacert: exec --proxied set both up, and the
    # answer is Airlock's (this call carries no token)
    out = _exec(rig, "curl", "-sS", "https://api.github.com/repos/acme/shop")
    assert out.returncode == 0, out.stderr
    assert "an Airlock token is required" in json.loads(out.stdout)["errors"][0]["message"]
    env = _exec(rig, "printenv")
    seen = dict(line.split("=", 1) for line in env.stdout.splitlines() if "=" in line)
    assert seen["HTTPS_PROXY"] == rig.proxy and seen["HTTP_PROXY"] == rig.proxy
    for var in ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "NODE_EXTRA_CA_CERTS", "CURL_CA_BUNDLE"):
        assert rig.ca.read_text() in Path(seen[var]).read_text()


def _exec(rig: Rig, *argv: str) -> subprocess.CompletedProcess[str]:
    env = rig.airlock.env(HOME=str(rig.root / "agent-home"),
                          XDG_CACHE_HOME=str(rig.root / "agent-home" / ".cache"))
    for var in ("HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy", "NO_PROXY"):
        env.pop(var, None)
    cmd = [sys.executable, "-m", "airlock", "exec", "--proxied", "--proxy",
           f"127.0.0.1:{rig.fport}", "--config", str(rig.airlock.config_path), "--", *argv]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60,
                          cwd=rig.root, stdin=subprocess.DEVNULL)
