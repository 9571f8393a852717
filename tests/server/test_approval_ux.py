"""What a human is told when approving (issue 12): the exact name to type, everywhere;
a request no one can complete is flagged to the agent and on the page; the approve form
only for those who may use it; the serve-only settings need a restart, and it says so."""

from __future__ import annotations

import json
import subprocess
import sys
import time

from tests.server.harness import PASSWORD, Airlock

SHOP = """
[hold]
production_approvers = 1
default_approvers = 1
cooldown_production = 1
cooldown_default = 1
approval_ttl = 30

[environments.staging]

[[resources]]
name = "shop-db"
kind = "database"
env = "staging"
hosts = ["db.staging.example"]
"""
DROP = "psql postgresql://db.staging.example/shop -c 'DROP TABLE users'"


def test_the_name_to_type_is_said_in_the_answer_the_page_and_the_cli(
        make_airlock) -> None:  # type: ignore[no-untyped-def]
    airlock: Airlock = make_airlock(config=SHOP)
    airlock.human("alice")
    airlock.start()
    token = airlock.token()
    out = airlock.submit(token, DROP, cwd="/srv/shop")
    rid = out["request"]
    assert out["confirm_name"] == "shop-db"
    assert [(t["name"], t.get("resource")) for t in out["targets"]] == [("users", "shop-db")]

    alice = airlock.browser("alice")
    page = alice.page(rid).text
    assert 'To approve, type <code class="confirm" id="confirm-name">shop-db</code> exactly' \
        in page
    assert "the inventory name of what this touches" in page
    assert "type the target" not in page.lower()
    assert alice.approve(rid, "users").status_code == 422  # the table's name is not it

    listed = airlock.cli("requests")
    assert "to approve, type: shop-db" in listed.stdout, listed.stdout
    assert "target:  users in shop-db (table, sql.drop_table, destructive)" in listed.stdout
    as_json = json.loads(airlock.cli("requests", "--json").stdout)
    assert as_json[0]["confirm_name"] == "shop-db"

    def approve(typed: str) -> subprocess.CompletedProcess[str]:
        cmd = [sys.executable, "-m", "airlock", "approve", rid, "--user", "alice",
               "--config", str(airlock.config_path)]
        return subprocess.run(cmd, input=f"{typed}\n", capture_output=True, text=True,
                              timeout=60, cwd=airlock.home,
                              env=airlock.env(AIRLOCK_PASSWORD=PASSWORD,
                                              AIRLOCK_TOTP=airlock.code("alice")))

    wrong = approve("users")
    assert "To approve, type shop-db" in wrong.stdout, wrong.stdout
    assert wrong.returncode == 4 and "(type exactly: shop-db)" in wrong.stderr
    ok = approve("shop-db")
    assert ok.returncode == 0, ok.stderr
    assert airlock.state(rid) == "cooling"


TWO = """
[hold]
production_approvers = 2
cooldown_production = 0
approval_ttl = 30
"""


def test_a_request_no_one_can_complete_is_flagged_and_the_form_shown_only_to_who_may(
        make_airlock) -> None:  # type: ignore[no-untyped-def]
    airlock: Airlock = make_airlock(config=TWO)
    airlock.human("alice")
    airlock.human("bob")
    airlock.start()
    token = airlock.token("deploy-bot", owner="alice")  # alice may not approve its requests
    out = airlock.submit(token, "rm -rf /srv/never")  # unknown: production, 2 approvers
    rid = out["request"]
    assert out["decision"] == "hold"
    (warning,) = out["warnings"]
    assert warning.startswith("no one can complete this approval yet: it needs 2 different "
                              "approvers, and only 1 human (bob) may approve it")
    assert "the agent's owner (alice) may not approve it" in warning
    assert out["reasons"][0] == warning  # what the hooks show the agent (the first few)
    again = airlock.submit(token, "rm -rf /srv/never")  # the same, still pending
    assert again["request"] == rid and again["warnings"] == [warning]

    owner = airlock.browser("alice").page(rid).text
    assert 'id="approve"' not in owner and 'id="confirm_name"' not in owner
    assert "you own the agent that asked for it" in owner
    assert "no one can complete this approval yet" in owner
    assert 'id="abort"' in owner  # but anyone may stop it
    bob = airlock.browser("bob")
    page = bob.page(rid).text
    assert 'id="approve"' in page and "no one can complete this approval yet" in page
    assert bob.approve(rid).status_code == 303
    page = bob.page(rid).text
    assert 'id="approve"' not in page and "You approved this request already" in page
    assert "and no human may approve it (the agent&#39;s owner (alice) may not approve it; " \
        "bob approved already" in page
    assert "warning: no one can complete" in airlock.cli("requests").stdout

    # with a second eligible human it can be completed: no warning
    fine = airlock.submit(airlock.token("other-bot"), "rm -rf /srv/fine")
    assert "warnings" not in fine
    assert not fine["reasons"][0].startswith("no one")


def test_serve_says_its_own_sections_need_a_restart(make_airlock) -> None:  # type: ignore[no-untyped-def]
    airlock: Airlock = make_airlock(config=TWO)
    airlock.human("alice")
    airlock.start()
    log = airlock.home / f"serve-{airlock.port}.log"
    assert "[hold], [notify] and [serve] of " in log.read_text()
    assert "are read at start only: restart `airlock serve` after editing them" \
        in log.read_text()
    # an edit that does not touch them: nothing to say
    text = airlock.config_path.read_text()
    airlock.config_path.write_text(text + "\n[environments.staging]\n")
    time.sleep(3)
    assert "changed:" not in log.read_text()
    airlock.config_path.write_text(text.replace("production_approvers = 2",
                                                "production_approvers = 1"))
    deadline = time.monotonic() + 15
    while "changed: [hold] now differs" not in log.read_text():
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.2)
    assert "takes effect only after a restart of `airlock serve`" in log.read_text()
    # and indeed the running server still asks for two approvers
    out = airlock.submit(airlock.token(), "rm -rf /srv/after-edit")
    assert airlock.ctx.service.view(out["request"])["required_approvers"] == 2
