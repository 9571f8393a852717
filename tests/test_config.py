"""airlock.toml: found where users expect, and every mistake named with file and line."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from airlock.config import ConfigError, load_config


def write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text))
    return path


def test_a_project_config_is_found_upward_and_applied_on_top(tmp_path: Path) -> None:
    write(tmp_path / "airlock.toml", '[agent]\nscope = "staging"\n[environments.staging]\n')
    sub = tmp_path / "a" / "b"
    sub.mkdir(parents=True)
    cfg = load_config(None, str(sub))
    assert cfg.path is None  # the authoritative config is the service's, not the project's
    assert cfg.overlays == [str(tmp_path / "airlock.toml")]
    assert cfg.scope == "staging"  # narrowing an unscoped agent tightens: applied
    assert cfg.warnings == []


def test_no_config_means_empty_inventory_and_default_policies(tmp_path: Path) -> None:
    cfg = load_config(None, str(tmp_path))
    assert cfg.path is None and cfg.resources == [] and cfg.default_policies


def test_production_named_environments_are_production_by_default(tmp_path: Path) -> None:
    p = write(tmp_path / "a.toml", """
        [environments.production]
        [environments.staging]
        [environments.sandbox]
        sandbox = true
    """)
    cfg = load_config(str(p), str(tmp_path))
    assert cfg.environment("production").production
    assert not cfg.environment("staging").production
    assert cfg.environment("sandbox").sandbox
    assert cfg.environment("never-declared").production  # unknown counts as production


@pytest.mark.parametrize(("text", "message"), [
    ("[agent\nname='x'", "invalid TOML"),
    ("[frobnicate]\n", "unknown section [frobnicate]"),
    ("[agent]\nscope = 3\n", "scope must be a string"),
    ("[agent]\nnmae = 'x'\n", "unknown key 'nmae'"),
    ("[[resources]]\nname = 'v'\nkind = 'volume'\nenv = 'prod'\nids = ['1']\n",
     "environment 'prod' is not declared"),
    ("[environments.p]\n[[resources]]\nname = 'v'\nenv = 'p'\n", "matches nothing"),
    ("[environments.p]\n[[resources]]\nname = 'v'\nenv = 'p'\nids = 3\n",
     "ids must be a string or a list"),
    ("[environments.p]\nproduction = true\nsandbox = true\n", "both production and sandbox"),
    ("[policy]\nfiles = ['missing.cedar']\n", "does not exist"),
    ("[policy]\ndefaults = false\n", "every action would be held"),
])
def test_invalid_config_names_file_and_problem(tmp_path: Path, text: str, message: str) -> None:
    p = write(tmp_path / "airlock.toml", text)
    with pytest.raises(ConfigError) as exc:
        load_config(str(p), str(tmp_path))
    assert str(p) in str(exc.value)
    assert message in str(exc.value)


def test_errors_carry_the_line_of_the_offending_key(tmp_path: Path) -> None:
    p = write(tmp_path / "airlock.toml", "[agent]\nname = 'a'\n\n[agent2]\n")
    with pytest.raises(ConfigError, match=r"airlock.toml:4: unknown section"):
        load_config(str(p), str(tmp_path))


def test_explicit_missing_config_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such config file"):
        load_config("nope.toml", str(tmp_path))
