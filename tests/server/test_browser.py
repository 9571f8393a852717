"""The approval UI in a real headless Chromium (Playwright)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.server.harness import PASSWORD, Airlock

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"


@pytest.mark.slow
def test_human_signs_in_types_the_name_watches_cooldown_and_aborts(
        make_airlock) -> None:  # type: ignore[no-untyped-def]
    sync_api = pytest.importorskip("playwright.sync_api")
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        pytest.skip("no /usr/bin/chromium")
    airlock: Airlock = make_airlock(config="""
        [hold]
        production_approvers = 1
        cooldown_production = 4
        cooldown_default = 4
        """)
    airlock.human("alice")
    airlock.start()
    token = airlock.token("deploy-bot")
    first = airlock.submit(token, "rm -rf /srv/app/uploads", cwd="/srv/app")["request"]
    second = airlock.submit(token, "rm -rf /srv/app/cache", cwd="/srv/app")["request"]
    ARTIFACTS.mkdir(exist_ok=True)

    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        page = browser.new_page(viewport={"width": 1100, "height": 1000})
        page.goto(f"{airlock.url}/r/{first}")
        assert "/login" in page.url
        page.fill("#username", "alice")
        page.fill("#password", PASSWORD)
        page.fill("#code", airlock.code("alice"))
        page.click("button[type=submit]")
        page.wait_for_url(f"**/r/{first}")
        assert "rm -rf /srv/app/uploads" in page.inner_text("#command")
        net = page.inner_text("#safety-net")
        assert "snapshot" in net.lower() and "/srv/app/uploads" in net, net

        page.fill("#confirm_name", "/srv/app/upload")  # wrong: one letter short
        page.click("#approve")
        assert "not the target" in page.inner_text("#error")
        assert page.inner_text("#state") == "pending"

        page.fill("#confirm_name", airlock.confirm_name(first))
        page.click("#approve")
        page.wait_for_selector("#countdown")
        assert page.inner_text("#state") == "cooling"
        left = int(page.inner_text("#countdown").split()[0])
        assert 1 <= left <= 4
        page.wait_for_timeout(1300)  # the countdown ticks in the page (no reload)
        assert int(page.inner_text("#countdown").split()[0]) < left
        page.screenshot(path=str(ARTIFACTS / "approval-cooldown.png"), full_page=True)
        page.wait_for_selector("#state:text('ready')", timeout=10000)

        page.goto(f"{airlock.url}/r/{second}")
        page.click("#abort")
        page.wait_for_selector("#state:text('aborted')")
        page.screenshot(path=str(ARTIFACTS / "request-aborted.png"), full_page=True)
        browser.close()

    assert airlock.submit(token, "rm -rf /srv/app/uploads", cwd="/srv/app")["decision"] \
        == "allow"
    assert airlock.state(second) == "aborted"
