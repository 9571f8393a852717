"""decide: Cedar policies, the hold/deny mapping, overrides and clear errors."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from airlock.action import Action
from airlock.config import load_config
from airlock.pipeline import Checker
from airlock.policy.engine import PolicyEngine, PolicyError


def checker(tmp: Path, config: str, policies: dict[str, str] | None = None) -> Checker:
    for name, text in (policies or {}).items():
        (tmp / name).write_text(textwrap.dedent(text))
    (tmp / "airlock.toml").write_text(textwrap.dedent(config))
    return Checker(load_config(str(tmp / "airlock.toml"), str(tmp)))


def test_default_policy_set_parses_and_has_reasons(tmp_path: Path) -> None:
    engine = PolicyEngine(load_config(None, str(tmp_path)))
    assert len(engine.infos) >= 10
    assert all(info.reason for info in engine.infos.values())
    ids = {info.id for info in engine.infos.values()}
    assert {"allow-read", "deny-catastrophic-production", "deny-scope-mismatch"} <= ids


def test_user_policy_can_forbid_what_defaults_allow(tmp_path: Path, workspace: Path) -> None:
    ch = checker(tmp_path, '[policy]\nfiles = ["no-push.cedar"]\n', {"no-push.cedar": """
        @id("no-push")
        @reason("pushing is done by CI, not agents")
        forbid (principal, action, resource) when { context.verb == "git.push" };
    """})
    d = ch.check(Action("git push", cwd=str(workspace)))
    assert d.decision == "deny"
    assert d.reasons == ["pushing is done by CI, not agents"]
    assert d.policies == ["no-push"]


def test_forbid_marked_hold_holds_instead_of_denying(tmp_path: Path, workspace: Path) -> None:
    ch = checker(tmp_path, '[policy]\nfiles = ["p.cedar"]\n', {"p.cedar": """
        @id("hold-commits")
        @decision("hold")
        @reason("commits need review")
        forbid (principal, action, resource) when { context.verb == "git.commit" };
    """})
    assert ch.check(Action("git commit -m x", cwd=str(workspace))).decision == "hold"


def test_replacing_defaults_with_nothing_permitting_holds(tmp_path: Path,
                                                         workspace: Path) -> None:
    ch = checker(tmp_path, '[policy]\ndefaults = false\nfiles = ["p.cedar"]\n', {"p.cedar": """
        @id("reads-only")
        permit (principal, action == Action::"read", resource);
    """})
    assert ch.check(Action("git status", cwd=str(workspace))).decision == "allow"
    d = ch.check(Action("git commit -m x", cwd=str(workspace)))
    assert d.decision == "hold"  # nothing permits: a human decides, never allow
    assert "no policy allows" in d.reasons[0]


def test_sandbox_environment_allows_destructive_actions(tmp_path: Path) -> None:
    ch = checker(tmp_path, """
        [environments.sandbox]
        sandbox = true
        [[resources]]
        name = "scratch"
        kind = "directory"
        env = "sandbox"
        paths = ["/srv/scratch"]
    """)
    d = ch.check(Action("rm -rf /srv/scratch/run1", cwd="/"))
    assert (d.decision, d.targets[0].env) == ("allow", "sandbox")


def test_invalid_policy_names_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "bad.cedar").write_text(
        "permit (principal, action, resource);\n\nforbid (principal action, resource);\n")
    (tmp_path / "airlock.toml").write_text('[policy]\nfiles = ["bad.cedar"]\n')
    with pytest.raises(PolicyError, match=r"bad\.cedar:3: invalid Cedar policy"):
        PolicyEngine(load_config(str(tmp_path / "airlock.toml"), str(tmp_path)))


def test_unknown_decision_annotation_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "p.cedar").write_text(
        '@decision("maybe")\nforbid (principal, action, resource);\n')
    (tmp_path / "airlock.toml").write_text('[policy]\nfiles = ["p.cedar"]\n')
    with pytest.raises(PolicyError, match="@decision must be"):
        PolicyEngine(load_config(str(tmp_path / "airlock.toml"), str(tmp_path)))


def test_a_policy_that_errors_at_evaluation_holds_even_reads(tmp_path: Path,
                                                             workspace: Path) -> None:
    ch = checker(tmp_path, '[policy]\nfiles = ["p.cedar"]\n', {"p.cedar": """
        @id("typo")
        forbid (principal, action, resource) when { resource.no_such_attribute == 1 };
    """})
    d = ch.check(Action("git status", cwd=str(workspace)))
    assert d.decision == "hold"
    assert d.reasons[0].startswith("policy evaluation error, held")


def test_scope_mismatch_on_a_write_is_denied_with_a_plain_reason(tmp_path: Path) -> None:
    ch = checker(tmp_path, """
        [environments.production]
        [environments.staging]
        [[resources]]
        name = "prod-data"
        kind = "directory"
        env = "production"
        paths = ["/srv/data"]
    """)
    d = ch.check(Action("touch /srv/data/x", scope="staging", cwd="/"))
    assert d.decision == "deny"
    assert "scope is staging; file /srv/data/x is production" in d.reasons


def test_reads_across_scope_are_allowed(tmp_path: Path) -> None:
    ch = checker(tmp_path, """
        [environments.production]
        [[resources]]
        name = "prod-data"
        kind = "directory"
        env = "production"
        paths = ["/srv/data"]
    """)
    assert ch.check(Action("ls /srv/data", scope="staging", cwd="/")).decision == "allow"
