"""In-place editors without a backup replace a file's content: outside the workspace that
is as destructive as ``> file`` (``packs/streams.py`` for sed, ``code/`` for perl/ruby)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import decide


@pytest.fixture
def outside(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An existing config file beside the workspace: neither in it nor in a temp dir (nor
    in a home dir: the test workspaces live under ~/.cache, so HOME is moved away)."""
    monkeypatch.setenv("HOME", str(workspace.parent / "home"))
    f = workspace.parent / "app" / "config.yml"
    f.parent.mkdir()
    f.write_text("a: 1\n")
    return f


@pytest.mark.parametrize("command", ["sed -i s/a/b/ {f}", "sed --in-place s/a/b/ {f}",
                                     "sed -E -i 's/a/b/' {f}", "perl -pi -e 's/a/b/' {f}",
                                     "ruby -pi -e 'gsub(/a/, %q(b))' {f}"])
def test_editing_an_existing_file_outside_the_workspace_without_a_backup_is_held(
        workspace: Path, outside: Path, command: str) -> None:
    d = decide(command.format(f=outside), cwd=workspace)
    assert d.decision == "hold", d.reasons
    assert any("replaces an existing file outside the workspace" in t.detail
               for t in d.targets)


@pytest.mark.parametrize("command", ["sed -i.bak s/a/b/ {f}", "sed --in-place=.orig s/a/b/ {f}",
                                     "perl -pi.bak -e 's/a/b/' {f}",
                                     "sed -i s/a/b/ {missing}", "sed -i s/a/b/ src/app.py",
                                     "perl -pi -e 's/a/b/' src/app.py", "sed -n 1p {f}"])
def test_a_backup_a_new_file_or_the_workspace_stays_allowed(
        workspace: Path, outside: Path, command: str) -> None:
    cmd = command.format(f=outside, missing=outside.parent / "new.yml")
    assert decide(cmd, cwd=workspace).decision == "allow"
