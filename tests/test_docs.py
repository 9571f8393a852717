"""The docs are checked against what the code declares, as Datasette checks its hooks:
every program a built-in pack knows, every Cedar attribute the engine passes, every CLI
command and every airlock.toml section key is named in the docs."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from airlock.classify.packs import builtin_packs

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def _text(*paths: Path) -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in paths)


ALL_DOCS = _text(ROOT / "README.md", *sorted(DOCS.rglob("*.md")))


@pytest.mark.parametrize("program", sorted({p for pack in builtin_packs()
                                            for p in pack.programs}))
def test_every_pack_program_is_in_the_packs_doc(program: str) -> None:
    assert f"`{program}`" in (DOCS / "packs.md").read_text(encoding="utf-8"), \
        f"docs/packs.md does not name `{program}`"


def _cedar_keys() -> set[str]:
    """The attributes and context keys policy/engine.py hands Cedar (read from its
    source: the dict literals named `context` and `attrs` in decide())."""
    src = (ROOT / "src" / "airlock" / "policy" / "engine.py").read_text(encoding="utf-8")
    keys: set[str] = set()
    for name in ("context", "attrs"):
        body = re.search(rf"\b{name} = \{{(.*?)\}}", src, re.S)
        assert body, f"no `{name} = {{…}}` in policy/engine.py"
        keys |= set(re.findall(r'"(\w+)":', body.group(1)))
    return keys


@pytest.mark.parametrize("key", sorted(_cedar_keys()))
def test_every_cedar_attribute_is_in_the_policies_doc(key: str) -> None:
    for path in (DOCS / "policies.md", ROOT / "src" / "airlock" / "policy" / "default" /
                 "00-baseline.cedar"):
        assert re.search(rf"\b{key}\b", path.read_text(encoding="utf-8")), \
            f"{path.relative_to(ROOT)} does not name the Cedar attribute {key!r}"


def _commands() -> list[str]:
    from airlock.cli.root import build

    cli = build()
    out = []

    def walk(group: click.Group, prefix: str) -> None:
        for name, cmd in group.commands.items():
            if getattr(cmd, "hidden", False):
                continue
            full = f"{prefix} {name}".strip()
            out.append(full)
            if isinstance(cmd, click.Group):
                walk(cmd, full)

    walk(cli, "")
    return sorted(out)


@pytest.mark.parametrize("command", _commands())
def test_every_cli_command_is_in_the_docs(command: str) -> None:
    words = r"\s+".join(re.escape(w) for w in ["airlock", *command.split()])
    assert re.search(rf"{words}\b", ALL_DOCS), \
        f"no doc shows `airlock {command}`"


def _config_keys() -> list[str]:
    """``[section] key`` for every key the config readers declare."""
    from airlock.config import SECTION_KEYS

    return sorted(f"{section}:{key}" for section, keys in SECTION_KEYS.items()
                  for key in keys)


@pytest.mark.parametrize("key", _config_keys())
def test_every_config_key_is_in_the_configuration_doc(key: str) -> None:
    section, name = key.split(":", 1)
    text = _text(DOCS / "configuration.md", DOCS / "serve.md", DOCS / "safety-net.md",
                 DOCS / "broker.md", DOCS / "integrations" / "mcp.md")
    table = rf"\[\[?{re.escape(section)}\.{re.escape(name)}\]"  # [[mcp.tools]], [a.b]
    assert (re.search(rf"^\s*#?\s*{re.escape(name)}\s*=", text, re.M) or f"`{name}`" in text
            or re.search(table, text)), \
        f"no doc shows the key {name!r} of [{section}]"
