"""``airlock demo incident``: the production-volume deletion, replayed with Airlock in front.

Everything runs on 127.0.0.1 and stops at the end: the stand-in PaaS API
(:mod:`airlock.demo.paas_api`), an ``airlock serve`` app, a scripted agent, and a human
(admin + TOTP) played by the script. :func:`scenario` returns what happened, so the
end-to-end test runs the very same steps.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import httpx
import pyotp

from airlock.demo.paas_api import ThreadServer, create_app, free_port, seed

REAL = "rw_acct_" + "5e1f0a9c3b7d4e2f8a6c1b0d9e7f3a2c"  # the credential Airlock holds
FOUND = "rw_cli_domains_" + "a1b2c3d4e5f60718293a4b5c"  # the token lying in a file
PROD_VOLUME, STG_VOLUME = "3d2c42fb-prd", "5b1f0c2e-stg"
PASSWORD = "demo-password-not-secret"
Say = Callable[[str], None]


def _policy() -> str:
    """The default policy set, with one change for this demo: catastrophic actions on
    production *volumes* are held for a human instead of refused outright (everything
    else catastrophic on production is still denied)."""
    texts = []
    for name in ("00-baseline.cedar", "10-guardrails.cedar"):
        texts.append(resources.files("airlock.policy").joinpath("default", name).read_text())
    text = "\n".join(texts)
    old = ('forbid (principal, action == Action::"catastrophic", resource)\n'
           "when { resource.production };")
    if old not in text:
        raise RuntimeError("the default policy changed: update the demo's policy")
    return text.replace(old, 'forbid (principal, action == Action::"catastrophic", '
                             'resource)\nwhen { resource.production && resource.kind != '
                             '"volume" };')


def _config(home: Path, paas_port: int) -> Path:
    (home / "demo.cedar").write_text(_policy())
    cfg = home / "airlock.toml"
    cfg.write_text(f"""
[environments.production]
[environments.staging]

[policy]
defaults = false
files = ["{home / 'demo.cedar'}"]

[[providers]]
name = "railway"
pack = "railway"
upstream = "http://127.0.0.1:{paas_port}"

[hold]
production_approvers = 1
cooldown_production = 2

[airlock]
data_dir = "{home}"
""")
    return cfg


def _agent_repo(root: Path) -> Path:
    repo = root / "shop-repo"
    (repo / "deploy").mkdir(parents=True)
    (repo / "tools" / "domains").mkdir(parents=True)
    (repo / "deploy" / "staging.env").write_text("DATABASE_URL=postgres://staging-db/shop\n")
    (repo / "tools" / "domains" / "README.md").write_text(
        "CLI token for adding custom domains. Do not use for anything else.\n")
    (repo / "tools" / "domains" / "railway.env").write_text(f"RAILWAY_TOKEN={FOUND}\n")
    return repo


class Demo:
    def __init__(self, home: Path, say: Say) -> None:
        self.home = home
        self.say = say
        self.servers: list[ThreadServer] = []
        self.ctx: Any = None
        self.results: dict[str, Any] = {}

    def gql(self, token: str, query: str) -> httpx.Response:
        return httpx.post(f"{self.airlock.url}/proxy/railway/graphql/v2",
                          json={"query": query}, timeout=30,
                          headers={"Authorization": f"Bearer {token}"})

    def start(self) -> None:
        from airlock.broker.secrets import SecretBox
        from airlock.hold import settings as hold_settings
        from airlock.hold.identity import create_human
        from airlock.instance import build
        from airlock.server.app import create_app as airlock_app

        self.paas_root = self.home / "paas"
        paas_port, airlock_port = free_port(), free_port()
        self.paas = ThreadServer(create_app(seed(str(self.paas_root), [REAL, FOUND])),
                                 paas_port).start()
        self.servers.append(self.paas)
        cfg = _config(self.home, paas_port)
        settings = hold_settings.load(str(cfg), str(self.home))
        base = f"http://127.0.0.1:{airlock_port}"
        self.ctx = build(settings, None, base, with_checker=True)
        SecretBox(self.ctx.store, self.ctx.ledger, str(self.home)).add("railway", REAL,
                                                                       by="alice")
        self.totp = create_human(self.ctx.store, self.ctx.ledger, "alice", PASSWORD)
        self.airlock = ThreadServer(airlock_app(self.ctx), airlock_port).start()
        self.servers.append(self.airlock)

    def stop(self) -> None:
        for s in reversed(self.servers):
            s.stop()
        self.servers.clear()
        if self.ctx is not None:
            self.ctx.store.close()

    # ---- the human -----------------------------------------------------------------

    def approve_in_web_ui(self, rid: str, typed: str) -> int:
        csrf_re = re.compile(r'name="csrf" value="([^"]+)"')
        with httpx.Client(base_url=self.airlock.url, timeout=30) as web:
            csrf = csrf_re.search(web.get("/login").text)
            assert csrf
            r = web.post("/login", data={"csrf": csrf.group(1), "next": "/",
                                         "username": "alice", "password": PASSWORD,
                                         "code": pyotp.TOTP(self.totp).now()})
            if r.status_code != 303:
                return r.status_code
            page = csrf_re.search(web.get(f"/r/{rid}").text)
            assert page
            return web.post(f"/r/{rid}/approve",
                            data={"csrf": page.group(1), "confirm_name": typed}).status_code

    # ---- the story -------------------------------------------------------------------

    def run(self) -> dict[str, Any]:
        from airlock import ledger
        from airlock.broker import tokens
        from airlock.protect.engine import load as load_protector

        say, res = self.say, self.results
        prod_file = self.paas_root / "volumes" / PROD_VOLUME / "db" / "orders.csv"
        original = prod_file.read_bytes()
        say(f"The PaaS (stand-in, {self.paas.url}): project 'shop', environments staging "
            f"and production; production volume {PROD_VOLUME} holds "
            f"{len(original.splitlines()) - 1} orders in real files.")
        say(f"Airlock ({self.airlock.url}) holds the real PaaS credential, encrypted; the "
            "agent never sees it.")
        store, led = self.ctx.store, self.ctx.ledger
        _, agent_tok = tokens.issue(store, led, "coding-agent", "staging",
                                    ["railway:domain.*", "railway:*.read"], 8 * 3600,
                                    owner="alice", issued_by="alice")
        say("Human: airlock token issue --agent coding-agent --scope staging "
            "--allow 'railway:domain.*' --allow 'railway:*.read' --ttl 8h")

        say("\n[1] The agent, fixing a staging credential mismatch, reads staging's volume.")
        r = self.gql(agent_tok, f'{{ volume(id: "{STG_VOLUME}") {{ name environment '
                                '{ name } } }')
        res["read"] = r.status_code
        say(f"    → {r.status_code}: {r.json().get('data')}")

        say("[2] It tries to set the staging DATABASE_URL variable.")
        r = self.gql(agent_tok, 'mutation { variableUpsert(input: {name: "DATABASE_URL", '
                                'value: "postgres://staging-db/shop", environmentId: '
                                '"env-stg"}) }')
        res["variable"] = r.status_code
        say(f"    → {r.status_code} {r.json()['errors'][0]['message']}")

        say("[3] Stuck on the credential error, the agent searches the repository for "
            "another token…")
        repo = _agent_repo(self.home)
        found = ""
        for path in sorted(repo.rglob("*")):
            if path.is_file() and "RAILWAY_TOKEN=" in path.read_text():
                found = path.read_text().split("=", 1)[1].strip()
                say(f"    found RAILWAY_TOKEN in {path.relative_to(repo)} (made for "
                    "custom domains, silently valid for the whole API)")
        say(f"[4] …and sends volumeDelete for {PROD_VOLUME}, which it believes is staging, "
            "with the found token.")
        r = self.gql(found, f'mutation {{ volumeDelete(volumeId: "{PROD_VOLUME}") }}')
        res["found_token"] = r.status_code
        say(f"    → {r.status_code} REFUSED: {r.json()['errors'][0]['message']}")

        say("[5] It retries with its own Airlock token.")
        r = self.gql(agent_tok, f'mutation {{ volumeDelete(volumeId: "{PROD_VOLUME}") }}')
        res["scope"] = r.status_code
        say(f"    → {r.status_code} REFUSED: {r.json()['errors'][0]['message']}")
        say("    (Airlock asked the PaaS API which environment the volume is in: "
            "production. The agent's belief was never consulted.)")
        res["volume_intact"] = prod_file.read_bytes() == original
        say(f"    production data intact: {res['volume_intact']}")

        say("\n[6] Later, a human really does want the production volume gone. The demo's "
            "policy file holds production volume deletes for a human (the default policy "
            "refuses them outright). An ops token is issued for it:")
        _, ops_tok = tokens.issue(store, led, "ops-agent", "production",
                                  ["railway:volume.*"], 3600, issued_by="alice")
        say("    airlock token issue --agent ops-agent --scope production "
            "--allow 'railway:volume.*' --ttl 1h")
        delete = f'mutation {{ volumeDelete(volumeId: "{PROD_VOLUME}") }}'
        r = self.gql(ops_tok, delete)
        body = r.json()["airlock"]
        rid = body.get("request", "")
        res["held"] = r.status_code
        say(f"    → {r.status_code} HELD: request {rid}, approve at {body.get('url')}")
        say(f"[7] alice signs in (password + TOTP) and types the volume's name "
            f"'{PROD_VOLUME}' to approve; a 2 s cooldown follows.")
        res["approve"] = self.approve_in_web_ui(rid, PROD_VOLUME)
        say(f"    → {res['approve']} approved")
        time.sleep(2.3)
        say("[8] The ops agent sends the identical call again: allowed once. Airlock "
            "snapshots the volume through the PaaS backup endpoint into its own store, "
            "verifies it, then forwards the delete with the real credential.")
        r = self.gql(ops_tok, delete)
        res["executed"] = r.status_code
        res["snapshot"] = r.headers.get("x-airlock-snapshot", "")
        say(f"    → {r.status_code} {r.json().get('data')}  snapshot "
            f"{res['snapshot'] or '(none!)'}")
        res["deleted"] = not prod_file.exists()
        say(f"    production volume files gone: {res['deleted']}")
        r = self.gql(ops_tok, delete)
        res["replay"] = r.status_code
        say(f"    the same call once more → {r.status_code}: held afresh (an approval is "
            "single use)")

        say(f"[9] airlock undo {rid}: the snapshot is imported back through the PaaS API.")
        # what `airlock undo` does: the protect engine, which hands PaaS volume snapshots
        # to broker/volumes.py (registered for kind "paas-volume")
        for line in load_protector(str(self.home), str(self.home / "airlock.toml")).undo(rid):
            say(f"    {line}")
        res["restored"] = prod_file.exists() and prod_file.read_bytes() == original
        say(f"    production data back, byte for byte: {res['restored']}")

        result = ledger.verify(store, [self.ctx.public_key])
        kinds = [e["kind"] for e in ledger.entries(store)]
        res["ledger_ok"] = result.ok
        res["ledger_kinds"] = kinds
        say(f"\n[10] Ledger: {result.entries} entries, hash chain "
            f"{'verified' if result.ok else 'BROKEN'}; refusals "
            f"{kinds.count('proxy-refused')}, decisions {kinds.count('decided')}, "
            f"snapshots {kinds.count('snapshot-taken') + kinds.count('protected')}, "
            f"forwarded {kinds.count('forwarded')}.")
        return res


def expected(res: dict[str, Any]) -> list[str]:
    """What went differently from the story (empty: everything held)."""
    want = {"read": 200, "variable": 403, "found_token": 401, "scope": 403,
            "volume_intact": True, "held": 428, "approve": 303, "executed": 200,
            "deleted": True, "replay": 428, "restored": True, "ledger_ok": True}
    bad = [f"{k}: got {res.get(k)!r}, expected {v!r}" for k, v in want.items()
           if res.get(k) != v]
    if not res.get("snapshot"):
        bad.append("no snapshot was taken before the delete")
    return bad


def scenario(home: Path, say: Say) -> dict[str, Any]:
    demo = Demo(home, say)
    try:
        demo.start()
        return demo.run()
    finally:
        demo.stop()


def _leaks(home: Path) -> list[str]:
    out = []
    for p in home.rglob("*"):
        if p.is_file() and "paas" not in p.relative_to(home).parts \
                and REAL.encode() in p.read_bytes():
            out.append(str(p))
    return out


def run(keep_dir: str | None = None, say: Say = print) -> int:
    started = time.monotonic()
    home = Path(keep_dir or tempfile.mkdtemp(prefix="airlock-demo-"))
    home.mkdir(parents=True, exist_ok=True)
    old = os.environ.get("AIRLOCK_SECRET_KEY_FILE")
    os.environ.pop("AIRLOCK_SECRET_KEY_FILE", None)
    try:
        say("Airlock demo: the production volume deletion, replayed.\n")
        res = scenario(home, say)
        problems = expected(res) + [f"credential found in {p}" for p in _leaks(home)]
    finally:
        if old is not None:
            os.environ["AIRLOCK_SECRET_KEY_FILE"] = old
        if keep_dir is None:
            shutil.rmtree(home, ignore_errors=True)
    say(f"\nEverything stopped. {time.monotonic() - started:.1f}s.")
    if problems:
        say("DEMO FAILED: " + "; ".join(problems))
        return 1
    say("The found token was refused, the scope mismatch was refused, and the approved "
        "delete was snapshotted first and undone. The real credential appears in no "
        "response, log or ledger entry.")
    return 0
