"""Archivers that delete what they pack are judged as deletes of their sources."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import decide


@pytest.mark.parametrize(("command", "source"), [
    ("tar czf a.tgz --remove-files /srv/data", "/srv/data"),
    ("tar --remove-files -czf /tmp/a.tgz /srv/data", "/srv/data"),
    ("tar -c -f a.tar --remove-files /srv/data", "/srv/data"),
    ("zip -m a.zip /srv/data/x", "/srv/data/x"),
    ("zip -rm a.zip /srv/data", "/srv/data"),
    ("zip --move a.zip /srv/data/x", "/srv/data/x"),
    ("7z a -sdel a.7z /srv/data", "/srv/data"),
])
def test_packing_that_removes_the_sources_is_a_delete(workspace: Path, command: str,
                                                      source: str) -> None:
    d = decide(command, cwd=workspace)
    deletes = [t for t in d.targets if t.verb == "fs.delete"]
    assert [t.locator for t in deletes] == [f"path:{source}"]  # the sources, not the archive
    assert d.decision == "hold", d.reasons


@pytest.mark.parametrize("command", [
    "tar czf a.tgz src", "tar xzf a.tgz", "tar tf a.tgz", "zip -r a.zip src",
    "7z a a.7z src", "tar --remove-files -czf a.tgz build",  # a build dir: routine
])
def test_ordinary_packing_stays_allowed(workspace: Path, command: str) -> None:
    assert decide(command, cwd=workspace).decision == "allow"
