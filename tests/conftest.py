"""Suite-wide test settings: a private AIRLOCK_HOME, and no resident daemon unless a
test starts one itself (so every subprocess answers from its own process)."""

from __future__ import annotations

import os
import tempfile

_HOME = tempfile.mkdtemp(prefix="airlock-test-home-")
os.environ["AIRLOCK_HOME"] = _HOME
os.environ["AIRLOCK_NO_DAEMON"] = "1"
os.environ.pop("AIRLOCK_CONFIG", None)
# git run by any test (or by a command a test lets Airlock run) must never climb into the
# checkout the suite runs from: test workspaces live outside it (tests/wsbase.py).
from tests.wsbase import WS_BASE  # noqa: E402

os.environ["GIT_CEILING_DIRECTORIES"] = str(WS_BASE)

import shutil  # noqa: E402
import subprocess  # noqa: E402
import uuid  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

_WS_BASE = WS_BASE
# Under CI the README's test command has installed everything the suite drives (as root:
# Chromium, PostgreSQL, MariaDB, users): a test that skips there is a test that did not
# run, so it fails, with its reason.
_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def pytest_configure(config: pytest.Config) -> None:
    # Hypothesis keeps its example database in a temp dir, not in the checkout
    from hypothesis import settings
    from hypothesis.database import DirectoryBasedExampleDatabase

    settings.register_profile("airlock", database=DirectoryBasedExampleDatabase(
        os.path.join(_HOME, "hypothesis")))
    settings.load_profile("airlock")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    shutil.rmtree(_WS_BASE, ignore_errors=True)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if _CI and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = (f"skipped under CI, where the whole suite must run: {reason}")


@pytest.fixture
def workspace() -> Iterator[Path]:
    """A git work tree that is NOT under /tmp (temp dirs are a sandbox environment, so a
    workspace there would make every delete look harmless)."""
    path = _WS_BASE / uuid.uuid4().hex[:12] / "proj"
    path.mkdir(parents=True)
    # A real repository, and git may not walk above it: a test that runs a git command
    # here must never reach the checkout the suite runs from.
    subprocess.run(["git", "init", "-q", str(path)], check=True)
    os.environ["GIT_CEILING_DIRECTORIES"] = str(_WS_BASE)
    (path / "src").mkdir()
    (path / "build").mkdir()
    (path / "src" / "app.py").write_text("print('hi')\n")
    yield path
    shutil.rmtree(path.parent, ignore_errors=True)
