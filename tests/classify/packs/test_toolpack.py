"""Helpers the single-tool packs share: Go-style options and URL cleaning."""

from __future__ import annotations

from airlock.classify.command import Word
from airlock.classify.packs.toolpack import clean_url, split_goflags


def test_goflags() -> None:
    args = [Word(t) for t in ["-address=https://v:8200", "--mount", "secret", "kv", "get",
                              "-field=x", "a/b", "--", "-c"]]
    positionals, options = split_goflags(args, frozenset({"-mount"}))
    assert [w.text for w in positionals] == ["kv", "get", "a/b", "-c"]
    assert options["-mount"][0] is not None and options["-mount"][0].text == "secret"
    assert "-mount=secret" in options and "-field=x" in options
    assert "-address" in options


def test_clean_url() -> None:
    assert clean_url("jdbc:postgresql://u:p@db.prod:5432/app") == "postgresql://db.prod:5432/app"
    assert clean_url("postgresql://db/app?user=u&password=p") == "postgresql://db/app?&"
    assert clean_url("prod-stack") == "prod-stack"
