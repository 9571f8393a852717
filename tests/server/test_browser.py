"""The approval UI in a real headless Chromium (Playwright).

Screenshots go to a temporary directory (never into the checkout); each test prints its
path (``pytest -s`` shows it)."""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest

from tests.server.harness import PASSWORD, Airlock

CHROMIUM = "/usr/bin/chromium"


def _playwright() -> Any:
    sync_api = pytest.importorskip("playwright.sync_api")
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        pytest.skip("no /usr/bin/chromium")
    return sync_api


def _screens() -> Path:
    out = Path(tempfile.mkdtemp(prefix="airlock-screens-"))
    print(f"\nscreenshots: {out}")
    return out


def _sign_in(page: Any, airlock: Airlock, name: str) -> None:
    page.fill("#username", name)
    page.fill("#password", PASSWORD)
    page.fill("#code", airlock.code(name))
    page.click("button[type=submit]")


def _launch(p: Any) -> Any:
    return p.chromium.launch(executable_path=CHROMIUM, args=[
        "--no-sandbox", "--disable-gpu", "--disable-background-networking"])


@pytest.mark.slow
def test_human_signs_in_types_the_name_watches_cooldown_and_aborts(
        make_airlock) -> None:  # type: ignore[no-untyped-def]
    sync_api = _playwright()
    airlock: Airlock = make_airlock(config="""
        [hold]
        production_approvers = 1
        cooldown_production = 12
        cooldown_default = 12
        """)
    airlock.human("alice")
    airlock.start()
    token = airlock.token("deploy-bot")
    first = airlock.submit(token, "rm -rf /srv/app/uploads", cwd="/srv/app")["request"]
    second = airlock.submit(token, "rm -rf /srv/app/cache", cwd="/srv/app")["request"]
    screens = _screens()

    with sync_api.sync_playwright() as p:
        browser = _launch(p)
        page = browser.new_page(viewport={"width": 1100, "height": 1000})
        page.goto(f"{airlock.url}/r/{first}")
        assert "/login" in page.url
        _sign_in(page, airlock, "alice")
        page.wait_for_url(f"**/r/{first}")
        assert "rm -rf /srv/app/uploads" in page.inner_text("#command")
        net = page.inner_text("#safety-net")
        assert "snapshot" in net.lower() and "/srv/app/uploads" in net, net

        page.fill("#confirm_name", "/srv/app/upload")  # wrong: one letter short
        page.click("#approve")
        assert "not the target" in page.inner_text("#error")
        assert page.inner_text("#state") == "pending"

        assert page.inner_text("#confirm-name") == airlock.confirm_name(first)
        page.fill("#confirm_name", page.inner_text("#confirm-name"))
        page.click("#approve")
        page.wait_for_selector("#countdown")
        assert page.inner_text("#state") == "cooling"  # 12 s: certainly still cooling
        shown = page.inner_text("#countdown")
        assert re.fullmatch(r"\d+ s", shown) and 0 < int(shown.split()[0]) <= 12, shown
        # the countdown ticks in the page: the text changes while the page stays the one
        # loaded (a reload would drop the mark)
        page.evaluate("window.airlockTestMark = true")
        now = page.wait_for_function(
            "shown => { const el = document.getElementById('countdown');"
            " return window.airlockTestMark === true && el.textContent !== shown"
            " ? el.textContent : null; }",
            arg=shown, timeout=30000).json_value()
        assert re.fullmatch(r"\d+ s", now) and int(now.split()[0]) < int(shown.split()[0])
        page.screenshot(path=str(screens / "approval-cooldown.png"), full_page=True)
        page.wait_for_selector("#state:text('ready')", timeout=60000)

        page.goto(f"{airlock.url}/r/{second}")
        page.click("#abort")
        page.wait_for_selector("#state:text('aborted')")
        page.screenshot(path=str(screens / "request-aborted.png"), full_page=True)
        browser.close()

    assert airlock.submit(token, "rm -rf /srv/app/uploads", cwd="/srv/app")["decision"] \
        == "allow"
    assert airlock.state(second) == "aborted"


READABLE = """
[hold]
production_approvers = 1
default_approvers = 1
cooldown_production = 600
cooldown_default = 1
approval_ttl = 60

[environments.staging]

[[resources]]
name = "shop-db"
kind = "database"
env = "staging"
hosts = ["db.staging.example"]
"""


def _style(page: Any, selector: str, prop: str) -> str:
    return str(page.eval_on_selector(selector, f"e => getComputedStyle(e).{prop}"))


@pytest.mark.slow
def test_the_pages_read_well(make_airlock, workspace: Path) -> None:  # type: ignore[no-untyped-def]
    """Issue 12's list: timestamps and refresh on the list, "undone", MCP calls readable,
    risk that stands out, the cooldown in minutes, the safety net said once, and what a
    directory delete would remove."""
    sync_api = _playwright()
    airlock: Airlock = make_airlock(config=READABLE)
    airlock.human("alice")
    airlock.start()
    token = airlock.token("deploy-bot")
    uploads = workspace / "uploads"
    (uploads / "2024").mkdir(parents=True)
    for n in range(3):
        (uploads / "2024" / f"photo{n}.jpg").write_bytes(b"x" * 3000)
    (uploads / "index.txt").write_bytes(b"y" * 1000)
    cwd = str(workspace)
    # in the workspace: not production, cooled down in a second
    local = airlock.submit(token, "rm -rf uploads", cwd=cwd)["request"]
    # outside it: unknown, so production (a 10-minute cooldown)
    prod = airlock.submit(token, f"rm -rf {workspace.parent}/shared", cwd=cwd)["request"]
    drop = airlock.submit(token, "psql postgresql://db.staging.example/shop -c "
                          "'DROP DATABASE shop'", cwd=cwd)
    assert drop["risk"] == "catastrophic" and drop["decision"] == "hold"
    mcp = airlock.submit(token, json.dumps({
        "server": "shopdb", "tool": "run_sql",
        "arguments": {"sql": "DROP TABLE orders;\nDROP TABLE order_items",
                      "options": {"timeout": 30, "dry_run": False}}}), kind="mcp", cwd=cwd)
    assert mcp["decision"] == "hold", mcp
    screens = _screens()

    with sync_api.sync_playwright() as p:
        browser = _launch(p)
        page = browser.new_page(viewport={"width": 1200, "height": 1000})
        page.goto(f"{airlock.url}/")
        _sign_in(page, airlock, "alice")
        page.wait_for_url(f"{airlock.url}/")

        # the list: when each was asked, the risk, MCP calls as tool(arguments)
        rows = page.inner_text("#open")
        assert "ASKED" in rows.upper() and re.search(r"\d+ s ago", rows), rows
        asked = page.get_attribute("#open tr:nth-child(2) td.when", "title") or ""
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", asked), asked
        assert "shopdb / run_sql(sql=DROP TABLE orders; DROP TABLE order_items" in rows
        assert '{"server"' not in rows
        # ... and it refreshes by itself: a request filed now shows up without a click
        late = airlock.submit(token, "rm -rf /srv/filed-later", cwd=cwd)["request"]
        page.wait_for_selector(f"text={late}", timeout=15000)
        page.screenshot(path=str(screens / "list.png"), full_page=True)

        # a directory delete: what it would remove, and the safety net said once
        page.goto(f"{airlock.url}/r/{local}")
        net = page.inner_text("#safety-net")
        assert "It removes 4 files in 1 directory, 9.8 KB." in net, net
        assert net.count("snapshot uploads (contents") == 1, net
        assert page.locator("#safety-net p").count() == 0  # no summary line besides the list
        assert _style(page, "#risk", "fontWeight") == "700"  # destructive stands out
        assert page.inner_text("#cooldown") == "1 s"
        page.screenshot(path=str(screens / "directory-delete.png"), full_page=True)

        # catastrophic: red, in capitals
        page.goto(f"{airlock.url}/r/{drop['request']}")
        assert page.inner_text("#risk") == "CATASTROPHIC"
        assert _style(page, "#risk", "backgroundColor") == "rgb(179, 38, 30)"
        assert page.inner_text("#confirm-name") == "shop-db"
        page.screenshot(path=str(screens / "catastrophic.png"), full_page=True)

        # an MCP call: server and tool, each argument as it is
        page.goto(f"{airlock.url}/r/{mcp['request']}")
        assert page.inner_text("#mcp-tool") == "shopdb / run_sql"
        args = page.inner_text("#mcp-args")
        assert "DROP TABLE orders;\nDROP TABLE order_items" in args, args
        assert '"timeout": 30' in args and '"arguments"' not in args
        page.screenshot(path=str(screens / "mcp.png"), full_page=True)

        # production: the cooldown in minutes, and the countdown as m:ss
        page.goto(f"{airlock.url}/r/{prod}")
        assert page.inner_text("#cooldown") == "10 min"
        assert "600 s" not in page.inner_text("body")
        page.fill("#confirm_name", page.inner_text("#confirm-name"))
        page.click("#approve")
        page.wait_for_selector("#countdown")
        assert re.fullmatch(r"(10:00|9:[0-5]\d)", page.inner_text("#countdown")), \
            page.inner_text("#countdown")
        page.screenshot(path=str(screens / "production-cooldown.png"), full_page=True)
        page.click("#abort")
        page.wait_for_selector("#state:text('aborted')")

        # undone: approved, claimed (snapshot taken), then `airlock undo` restored it
        page.goto(f"{airlock.url}/r/{local}")
        page.fill("#confirm_name", page.inner_text("#confirm-name"))
        page.click("#approve")
        deadline = time.monotonic() + 60
        while airlock.state(local) != "ready":
            assert time.monotonic() < deadline
            time.sleep(0.2)
        assert airlock.submit(token, "rm -rf uploads", cwd=cwd)["decision"] == "allow"
        page.goto(f"{airlock.url}/r/{local}")
        assert page.inner_text("#state") == "executed"
        with airlock.ctx.store.write() as conn:  # what `airlock undo` records
            airlock.ctx.ledger.append(conn, "undone", "alice", local, {"restored": [str(uploads)]})
        page.goto(f"{airlock.url}/r/{local}")
        assert page.inner_text("#state") == "undone"
        assert "It was undone" in page.inner_text("#outcome")
        page.screenshot(path=str(screens / "undone.png"), full_page=True)
        page.goto(f"{airlock.url}/")
        closed = page.inner_text("#closed")
        assert re.search(rf"{local}\s+undone", closed), closed
        page.screenshot(path=str(screens / "list-undone.png"), full_page=True)
        browser.close()
