"""The classifier as a whole: every action kind, and failure always means "held"."""

from __future__ import annotations

from pathlib import Path

import pytest

from airlock.action import Action
from airlock.classify.classifier import Classifier, user_pack
from airlock.classify.packs import PackError, builtin_packs
from airlock.config import Config
from tests.support import decide


def test_reading_a_file_the_same_action_rewrites_is_held(workspace: Path) -> None:
    (workspace / "q.json").write_text('{"query": "query { me { id } }"}')
    url = "https://backboard.railway.app/graphql/v2"
    assert decide(f"curl -X POST -d @q.json {url}", cwd=workspace).decision == "allow"
    sneaky = ("echo '{\"query\":\"mutation { volumeDelete(volumeId: \\\"x\\\") }\"}' > q.json"
              f" && curl -X POST -d @q.json {url}")
    d = decide(sneaky, cwd=workspace)
    assert d.decision == "hold"
    assert any("reads it as input" in f.detail for f in d.flags)


def test_a_crashing_pack_is_held_not_allowed(workspace: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    classifier = Classifier(Config())

    class Boom(Exception):
        pass

    def explode(*_a: object, **_k: object) -> list[object]:
        raise Boom("pack bug")

    # a deliberately broken pack (restored after the test)
    monkeypatch.setattr(classifier.registry["git"], "classify", explode)
    a = classifier.classify(Action("git status", cwd=str(workspace)))
    assert any(f.kind == "unparsed" for f in a.flags)
    assert a.risk.label == "destructive"


def test_unknown_action_kind_is_held(workspace: Path) -> None:
    assert decide("whatever", kind="ftp", cwd=workspace).decision == "hold"


def test_empty_command_is_allowed_as_nothing(workspace: Path) -> None:
    assert decide("   ", cwd=workspace).decision == "allow"


def test_user_pack_needs_programs_when_it_is_not_a_builtin() -> None:
    builtins = {p.name: p for p in builtin_packs()}
    with pytest.raises(PackError, match="unknown pack 'nosuchtool'"):
        user_pack({"name": "nosuchtool", "rules": []}, builtins)


@pytest.mark.parametrize(("spec", "message"), [
    ({"name": "x", "programs": ["x"], "rules": [{"verb": "x.y"}]}, "needs 'verb' and 'risk'"),
    ({"name": "x", "programs": ["x"], "rules": [{"verb": "x.y", "risk": "spicy"}]},
     "unknown risk"),
    ({"name": "x", "programs": ["x"], "rules": [{"verb": "v", "risk": "read",
                                                 "target": "argument:1"}]}, "target"),
    ({"name": "x", "programs": ["x"], "colour": "red"}, "unknown key"),
])
def test_invalid_user_packs_are_named_errors(spec: dict[str, object], message: str) -> None:
    builtins = {p.name: p for p in builtin_packs()}
    with pytest.raises(PackError, match=message):
        user_pack(spec, builtins)


def test_user_pack_from_config_classifies_its_tool(tmp_path: Path, workspace: Path) -> None:
    (tmp_path / "airlock.toml").write_text("""
[[packs]]
name = "shopctl"
programs = ["shopctl"]
takes_value = ["--env"]

[[packs.rules]]
when = ["db", "reset"]
verb = "shopctl.db.reset"
risk = "catastrophic"
target = "opt:--env"
locator = "shopctl:env:{name}"

[[packs.rules]]
when = ["status"]
verb = "shopctl.status"
risk = "read"
""")
    from tests.support import checker

    ch = checker((tmp_path / "airlock.toml").read_text(), tmp_path)
    d = decide("shopctl --env prod db reset", cwd=workspace, config=ch)
    assert (d.decision, d.targets[0].verb, d.targets[0].name) == ("deny", "shopctl.db.reset",
                                                                 "prod")
    assert decide("shopctl status", cwd=workspace, config=ch).decision == "allow"
    assert decide("shopctl deploy", cwd=workspace, config=ch).risk.label == "write"


def test_user_rules_go_in_front_of_a_builtin_pack(tmp_path: Path, workspace: Path) -> None:
    text = """
[[packs]]
name = "git"
[[packs.rules]]
when = ["push"]
verb = "git.push.any"
risk = "destructive"
"""
    from tests.support import checker

    ch = checker(text, tmp_path)
    assert decide("git push", cwd=workspace, config=ch).decision == "hold"
    d = decide("git status", cwd=workspace, config=ch)
    assert d.decision == "allow", d.to_json()


def test_what_a_redirected_file_feeds_a_program_is_classified(workspace: Path) -> None:
    (workspace / "drop.sql").write_text("DROP DATABASE app;")
    (workspace / "clean.sh").write_text("rm -rf /var/lib/postgresql\n")
    (workspace / "select.sql").write_text("SELECT 1;")
    assert decide("psql -h db.prod < drop.sql", cwd=workspace).decision != "allow"
    assert decide("bash < clean.sh", cwd=workspace).decision != "allow"
    assert decide("psql -h localhost < select.sql", cwd=workspace).decision == "allow"
