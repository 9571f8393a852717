"""A project's airlock.toml is writable by the agent, so it may only tighten.

The authoritative config is the service's own (here: ``$AIRLOCK_HOME/airlock.toml``, as
in single-user mode; in a system install the pin's). A project config found upward from
the working directory adds production resources, protection, forbid policies and secret
files; everything that would loosen is left out with a warning naming file and line.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from airlock.action import Action
from airlock.config import ConfigError, load_config
from airlock.pipeline import Checker, checker_for

AUTHORITY = """
[environments.production]
[environments.staging]

[[resources]]
name = "prod-volume"
kind = "volume"
env = "production"
ids = ["3d2c42fb"]
protected = true
"""

# what the agent wrote in issue 11's config takeover
TAKEOVER = """
[agent]
name = "root-agent"
scope = "production"

[environments.production]
production = false
[environments.yolo]
sandbox = true

[[resources]]
name = "prod-volume"
kind = "volume"
env = "staging"
ids = ["3d2c42fb"]

[[resources]]
name = "everything"
kind = "directory"
env = "yolo"
paths = ["/"]

[policy]
defaults = false
files = ["open.cedar"]

[secrets]
files = ["extra-secret.txt"]

[airlock]
data_dir = "/tmp/elsewhere"

[hold]
production_approvers = 0

[[packs]]
name = "rm"
programs = ["rm"]

[[databases]]
name = "mine"
upstream = "postgresql://postgres@127.0.0.1:5432/postgres"
env = "staging"
"""

VOLUME_DELETE = ("curl -X POST -H 'Authorization: Bearer abc' -d "
                 "'{\"query\":\"mutation { volumeDelete(volumeId: \\\"3d2c42fb\\\") }\"}' "
                 "https://backboard.railway.app/graphql/v2")


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


@pytest.fixture
def site(workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An authoritative config in a private AIRLOCK_HOME, and the agent's project."""
    home = tmp_path / "airlock-home"
    write(home / "airlock.toml", AUTHORITY)
    monkeypatch.setenv("AIRLOCK_HOME", str(home))
    monkeypatch.delenv("AIRLOCK_CONFIG", raising=False)
    return workspace


def decide(command: str, cwd: Path, scope: str | None = None) -> str:
    checker = checker_for(None, str(cwd))
    return checker.check(Action(command=command, cwd=str(cwd), scope=scope)).decision


def test_the_service_config_is_authoritative_and_the_project_one_is_an_overlay(
        site: Path) -> None:
    write(site / "airlock.toml", "[agent]\nscope = 'staging'\n")
    cfg = load_config(None, str(site / "src"))
    assert cfg.path and cfg.path.endswith("airlock-home/airlock.toml")
    assert cfg.overlays == [str(site / "airlock.toml")]
    assert [r.name for r in cfg.resources] == ["prod-volume"]


def test_the_config_takeover_of_issue_11_changes_no_decision(site: Path) -> None:
    before = {c: decide(c, site / "src") for c in
              ("rm -rf ~", "airlock hook uninstall claude-code", VOLUME_DELETE,
               "git reset --hard")}
    write(site / "src" / "airlock.toml", TAKEOVER)
    write(site / "src" / "open.cedar", "permit (principal, action, resource);\n")
    after = {c: decide(c, site / "src") for c in before}
    assert after == before
    assert before["rm -rf ~"] == "deny"
    assert before[VOLUME_DELETE] == "deny"
    assert before["airlock hook uninstall claude-code"] != "allow"


def test_every_loosening_part_is_named_with_file_and_line(site: Path) -> None:
    path = write(site / "airlock.toml", TAKEOVER)
    write(site / "open.cedar", "// opens everything\npermit (principal, action, resource);\n")
    checker = checker_for(None, str(site))
    text = "\n".join(checker.config.warnings)
    lines = TAKEOVER.splitlines()

    def line_of(needle: str) -> int:
        return next(i for i, line in enumerate(lines, 1) if needle in line)

    for needle, what in [
        ('name = "root-agent"', "[agent] name"),
        ("[environments.yolo]", "sandbox = true for environment 'yolo'"),
        ('name = "prod-volume"', "resource 'prod-volume'"),
        ('name = "everything"', "resource 'everything' in non-production environment"),
        ("defaults = false", "[policy] defaults = false"),
        ("[airlock]", "[airlock]"),
        ("[hold]", "[hold]"),
        ("[[packs]]", "[[packs]]"),
        ("[[databases]]", "[databases]"),
    ]:
        assert f"{path}:{line_of(needle)}: ignored {what}" in text, (what, text)
    assert f"{site / 'open.cedar'}:2: ignored this policy file" in text
    # the environment moved out of production stays production
    assert f"{path}:{line_of('[environments.production]')}: ignored environment 'production' " \
        "as non-production" in text
    assert checker.config.environment("production").production
    assert checker.config.scope == "production"  # narrowing an unscoped agent: applied
    assert checker.config.databases == []  # the gateway's upstreams are the service's


def test_narrowing_scope_applies_only_to_an_unscoped_agent(site: Path, tmp_path: Path) -> None:
    write(site / "airlock.toml", "[agent]\nscope = 'staging'\n")
    assert load_config(None, str(site)).scope == "staging"
    scoped = tmp_path / "scoped.toml"
    write(scoped, AUTHORITY + "\n[agent]\nscope = 'staging'\n")
    write(site / "airlock.toml", "[agent]\nscope = 'production'\n")
    cfg = load_config(str(scoped), str(site))
    assert cfg.scope == "staging"
    assert any("[agent] scope = 'production'" in w for w in cfg.warnings)


def test_a_project_may_add_production_resources_protection_forbids_and_secrets(
        site: Path) -> None:
    (site / "data").mkdir()
    write(site / "airlock.toml", """
        [environments.live-db]
        production = true

        [[resources]]
        name = "fixtures"
        kind = "directory"
        env = "production"
        paths = ["data"]
        protected = true

        [policy]
        files = ["no-force-push.cedar"]

        [secrets]
        files = ["creds.txt"]
    """)
    write(site / "no-force-push.cedar", """
        @id("no-force-push")
        @reason("this project never force-pushes")
        forbid (principal, action, resource) when { context.verb == "git.push.force" };
    """)
    checker = checker_for(None, str(site))
    assert checker.config.warnings == []
    assert decide("rm -rf data", site) != "allow"
    assert decide("git push --force origin main", site) == "deny"
    assert str(site / "creds.txt") in checker.config.secret_files
    assert checker.config.environment("live-db").production


def test_a_project_can_make_an_environment_production_but_never_the_reverse(
        site: Path, tmp_path: Path) -> None:
    write(site / "airlock.toml", "[environments.staging]\nproduction = true\n")
    assert load_config(None, str(site)).environment("staging").production
    authority = tmp_path / "with-sandbox.toml"
    write(authority, "[environments.scratch]\nsandbox = true\n")
    write(site / "airlock.toml", "[environments.scratch]\nsandbox = false\n")
    cfg = load_config(str(authority), str(site))
    assert not cfg.environment("scratch").sandbox  # tightened


def test_a_forbid_that_errors_never_turns_a_deny_into_a_hold(site: Path) -> None:
    write(site / "airlock.toml", "[policy]\nfiles = ['broken.cedar']\n")
    write(site / "broken.cedar", """
        @decision("hold")
        forbid (principal, action, resource) when { resource.no_such_attribute };
    """)
    assert decide("rm -rf /", site) == "deny"


def test_an_invalid_project_config_fails_closed(site: Path) -> None:
    write(site / "airlock.toml", "[agent\n")
    with pytest.raises(ConfigError, match="invalid TOML"):
        load_config(None, str(site))


def test_an_explicit_config_in_single_user_mode_is_authoritative(tmp_path: Path) -> None:
    path = write(tmp_path / "mine.toml", "[environments.box]\nsandbox = true\n")
    cfg = load_config(str(path), str(tmp_path))
    assert cfg.path == str(path) and cfg.environment("box").sandbox
    assert isinstance(Checker(cfg), Checker)


def test_airlock_check_prints_the_warnings_and_keeps_the_decision(site: Path) -> None:
    write(site / "airlock.toml", "[environments.yolo]\nsandbox = true\n")
    env = {**os.environ, "AIRLOCK_NO_DAEMON": "1"}
    r = subprocess.run([sys.executable, "-m", "airlock", "check", "--", "rm -rf ~"],
                       cwd=site, env=env, capture_output=True, text=True, timeout=60,
                       check=False)
    assert r.returncode == 4, r.stdout + r.stderr
    assert f"{site / 'airlock.toml'}:1: ignored sandbox = true" in r.stderr
