"""Each section's keys are declared once (config.SECTION_KEYS): the readers that own a
section accept exactly those keys, and refuse any other with the same message."""

from __future__ import annotations

from pathlib import Path

import pytest

from airlock.config import SECTION_KEYS, ConfigError


def test_the_readers_accept_exactly_the_declared_keys() -> None:
    from airlock.hold import settings as hold
    from airlock.protect import settings as protect

    assert set(hold._NUMBERS) == SECTION_KEYS["hold"]
    assert set(protect._SIMPLE) | {"credentials", "protected_paths"} == SECTION_KEYS["protect"]
    assert {f.name for f in protect.Credential.__dataclass_fields__.values()} \
        == SECTION_KEYS["protect.credentials"]


@pytest.mark.parametrize("section", ["hold", "notify", "serve"])
def test_serve_sections_refuse_an_unknown_key(tmp_path: Path, section: str) -> None:
    from airlock.hold.settings import load

    path = tmp_path / "airlock.toml"
    path.write_text(f"[{section}]\nbogus = 1\n")
    with pytest.raises(ConfigError, match=rf"\[{section}\]: unknown key 'bogus' \(expected"):
        load(str(path))


def test_protect_refuses_an_unknown_key_and_an_unknown_credential_key(tmp_path: Path) -> None:
    from airlock.protect.settings import parse

    with pytest.raises(ConfigError, match=r"\[protect\]: unknown key 'bogus' \(expected"):
        parse({"bogus": 1}, str(tmp_path), "x.toml")
    with pytest.raises(ConfigError, match=r"\[\[protect.credentials\]\]: unknown key 'pw'"):
        parse({"credentials": [{"match": "sqlite:*", "pw": "x"}]}, str(tmp_path), "x.toml")
