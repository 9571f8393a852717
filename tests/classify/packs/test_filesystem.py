"""The filesystem pack: where a path is decides how bad deleting it is."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from airlock.action import Target
from airlock.classify.command import ClassifyContext, SimpleCommand
from airlock.classify.packs.filesystem import PACKS as FS_PACKS
from tests.classify.packs.support import word
from tests.support import decide

# (command, decision, risk) with the workspace as cwd; HOME is the real home.
CASES = [
    ("rm file.txt", "allow", "write"),
    ("rm -f src/app.py", "allow", "write"),
    ("rm *.log", "allow", "write"),
    ("rm -rf build", "allow", "write"),
    ("rm -rf node_modules dist", "allow", "write"),
    ("rm -rf src/__pycache__", "allow", "write"),
    ("rm -rf src", "hold", "destructive"),
    ("rm -r src/", "hold", "destructive"),
    ("rm -rf *", "hold", "catastrophic"),
    ("rm -rf .git", "hold", "catastrophic"),
    ("rm -rf .git/hooks", "hold", "destructive"),
    ("rm -rf .", "deny", "catastrophic"),  # takes the hook settings with it
    ("rm -rf /", "deny", "catastrophic"),
    ("rm -rf /etc", "deny", "catastrophic"),
    ("rm -rf ~", "deny", "catastrophic"),
    ("rm -rf $HOME", "deny", "catastrophic"),
    ("rm -rf ~/", "deny", "catastrophic"),
    ("rm -rf /var/lib/postgresql/data", "hold", "destructive"),
    ("rm -f ~/Downloads/*.md", "hold", "destructive"),
    ("rm -rf /tmp/scratch", "allow", "destructive"),
    ("rm -rf $BUILD_DIR", "hold", "destructive"),
    ("rm -rf /tmp/$X", "hold", "destructive"),  # $X may be ../etc
    ("rm -rf /$X", "deny", "catastrophic"),
    ("rm $FLAGS /", "deny", "catastrophic"),
    ("F=-rf; rm $F /", "deny", "catastrophic"),
    ("rmdir empty", "allow", "write"),
    ("shred -u secrets.txt", "hold", "destructive"),
    ("dd if=/dev/zero of=/dev/sda bs=1M", "deny", "catastrophic"),
    ("dd if=in.img of=out.img", "allow", "write"),
    ("mkfs.ext4 /dev/sdb1", "deny", "catastrophic"),
    ("wipefs -a /dev/sdb", "deny", "catastrophic"),
    ("chmod -R 777 /", "deny", "catastrophic"),
    ("chown -R nobody /etc", "deny", "catastrophic"),
    ("chmod +x run.sh", "allow", "write"),
    ("chmod 600 ~/.bashrc", "allow", "write"),
    ("mv a.txt b.txt", "allow", "write"),
    ("mv src/app.py /dev/null", "hold", "destructive"),
    ("cp a.txt b.txt", "allow", "write"),
    ("truncate -s 0 app.log", "allow", "write"),
    ("truncate -s 0 /var/log/syslog", "hold", "destructive"),
    ("touch new.txt", "allow", "write"),
    ("mkdir -p a/b/c", "allow", "write"),
    ("echo hi > notes.txt", "allow", "write"),
    ("echo hi >> notes.txt", "allow", "write"),
    ("echo x > /dev/null", "allow", "read"),
    ("ls > /dev/sda", "deny", "catastrophic"),
    ("rsync -a --delete src/ /srv/www/", "hold", "destructive"),
    ("rsync -a src/ build/", "allow", "write"),
    ("find . -name '*.pyc' -delete", "allow", "write"),
    ("find build -delete", "allow", "write"),
    ("find / -delete", "deny", "catastrophic"),
    ("find src -delete", "hold", "destructive"),
    ("find / -name '*.log' -delete", "hold", "destructive"),
    ("find . -type f -exec rm {} \\;", "allow", "write"),
    ("find /srv -exec rm -rf {} +", "deny", "catastrophic"),
]


@pytest.mark.parametrize(("command", "decision", "risk"), CASES)
def test_delete_risk_depends_on_location(workspace: Path, command: str, decision: str,
                                         risk: str) -> None:
    d = decide(command, cwd=workspace)
    assert (d.decision, d.risk.label) == (decision, risk), d.reasons


def test_unresolved_delete_target_resolves_to_unknown_environment(workspace: Path) -> None:
    d = decide("rm -rf $X", cwd=workspace)
    [t] = d.targets
    assert t.unresolved and t.env == "unknown"


def test_workspace_delete_names_the_workspace_environment(workspace: Path) -> None:
    d = decide("rm -rf src", cwd=workspace)
    assert d.targets[0].env == "workspace"
    assert "destructive" in d.reasons[0]


@pytest.mark.parametrize(("command", "decision"), [
    ("tee /etc/passwd < x", "hold"),
    ("echo '10.0.0.1 db' >> /etc/hosts", "hold"),
    ("echo 'curl x | sh' >> ~/.bashrc", "hold"),
    ("cp bin/tool /usr/local/bin/tool", "hold"),
    ("mkdir -p ~/projects/new", "allow"),
    ("echo hi > notes.txt", "allow"),
    ("touch /tmp/x", "allow"),
])
def test_writes_to_system_files_and_home_dotfiles_are_held(workspace: Path, command: str,
                                                           decision: str) -> None:
    assert decide(command, cwd=workspace).decision == decision


@pytest.mark.parametrize(("command", "decision"), [
    ("cd / && rm -rf bin", "deny"),        # /bin, not the workspace's bin/
    ("cd / && rm -rf *", "deny"),
    ("cd /opt/app && rm -rf bin", "hold"),
    ('cd "$DIR" && rm -rf build', "hold"),  # build of an unknown directory
    ("cd build && rm -rf out", "allow"),
    ("(cd /tmp && rm -rf x); rm -rf src", "hold"),  # the subshell's cd does not leak
    ("cd /tmp; rm -rf scratch", "allow"),
])
def test_paths_after_cd_are_resolved_where_the_command_runs(workspace: Path, command: str,
                                                             decision: str) -> None:
    assert decide(command, cwd=workspace).decision == decision


# ---- emptying a file, and readers that write an output file ---------------------------------

@pytest.mark.parametrize(("command", "decision"), [
    (": > /var/lib/app/data.db", "hold"),
    ("> /var/lib/app/data.db", "hold"),
    (">| /var/lib/app/data.db", "hold"),
    ("true > /srv/data/db.sqlite", "hold"),
    ("cat /dev/null > /var/lib/app/data.db", "hold"),
    ("cat < /dev/null > /var/lib/app/data.db", "hold"),
    ("cp /dev/null /srv/data/db.sqlite", "hold"),
    ("install -m 600 /dev/null /srv/data/db.sqlite", "hold"),
    ("tee /var/lib/app/data.db < /dev/null", "hold"),
    ("sudo sh -c ': > /var/lib/app/data.db'", "hold"),
    (": > build/log.txt", "allow"),
    ("> build/log.txt", "allow"),
    ("cat /dev/null > build/log.txt", "allow"),
    ("cp /dev/null build/empty.txt", "allow"),
    ("truncate -s 0 build/tmp.log", "allow"),
    (": > /tmp/app.log", "allow"),
    (":", "allow"),
    ("true", "allow"),
    ("cat src/app.py > build/copy.py", "allow"),
])
def test_emptying_a_file_is_a_truncation_wherever_it_is(workspace: Path, command: str,
                                                        decision: str) -> None:
    d = decide(command, cwd=workspace)
    assert d.decision == decision, d.reasons
    truncated = [t for t in d.targets if t.verb == "fs.truncate"]
    assert bool(truncated) == (command not in (":", "true", "cat src/app.py > build/copy.py"))


def test_emptying_a_file_outside_the_workspace_says_where(workspace: Path) -> None:
    d = decide(": > /var/lib/app/data.db", cwd=workspace)
    [t] = [t for t in d.targets if t.verb == "fs.truncate"]
    assert (t.risk.label, t.detail, t.locator) == ("destructive", "outside the workspace",
                                                   "path:/var/lib/app/data.db")


@pytest.mark.parametrize(("command", "decision"), [
    ("sort -o /etc/passwd /dev/null", "hold"),
    ("sort --output=/etc/passwd src/app.py", "hold"),
    ("sort -o/etc/passwd src/app.py", "hold"),
    ("uniq in /etc/hosts", "hold"),
    ("shuf -o /etc/hosts /dev/null", "hold"),
    ("xxd /dev/null /etc/hosts", "hold"),
    ("tree -o /etc/motd", "hold"),
    ("sort src/app.py | sponge /etc/hosts", "hold"),
    ("sort -o out.txt src/app.py", "allow"),
    ("sort -k2 -t, src/app.py", "allow"),
    ("uniq -c src/app.py", "allow"),
    ("uniq src/app.py out.txt", "allow"),
    ("xxd -l 16 src/app.py", "allow"),
    ("tree -o tree.txt", "allow"),
    ("sort src/app.py | sponge src/app.py", "allow"),
    ("sort --compress-program=gzip src/app.py", "allow"),
    ("sort --compress-program=./wipe.sh src/app.py", "hold"),
])
def test_readers_with_an_output_file_write_it(workspace: Path, command: str,
                                              decision: str) -> None:
    (workspace / "wipe.sh").write_text("#!/bin/sh\nrm -rf /srv/data\n")
    assert decide(command, cwd=workspace).decision == decision


def _outside(workspace: Path) -> Path:
    """A directory outside the workspace and the temp dirs (a sibling of the work tree)."""
    out = workspace.parent / "srv"
    out.mkdir(exist_ok=True)
    return out


def _pack_targets(line: str, workspace: Path) -> list[Target]:
    """Run the filesystem pack that owns the program where the workspace is, with a home
    elsewhere (the suite's workspaces live under the real home's dot directories, where
    every write is held for another reason)."""
    cmd = SimpleCommand(argv=[word(x) for x in shlex.split(line)])
    pack = next(p for p in FS_PACKS if cmd.program in p.programs)
    return pack.classify(cmd, ClassifyContext(cwd=str(workspace), home="/nonexistent"))


@pytest.mark.parametrize("line", [
    "sort -o {f} src/app.py", "uniq src/app.py {f}", "shuf -o {f} src/app.py",
    "xxd src/app.py {f}", "tree -o {f}", "sponge {f}",
])
def test_a_reader_replacing_an_existing_file_outside_the_workspace_is_destructive(
        workspace: Path, line: str) -> None:
    existing = _outside(workspace) / "data.db"
    existing.write_text("rows\n")
    fresh = _outside(workspace) / "new.txt"

    def rated(path: Path) -> str:
        [t] = [t for t in _pack_targets(line.format(f=path), workspace) if t.verb == "fs.write"]
        return f"{t.risk.label}:{t.detail}"

    assert rated(existing) == "destructive:replaces an existing file outside the workspace"
    assert rated(fresh).startswith("write:")


def test_sponge_append_keeps_the_file(workspace: Path) -> None:
    existing = _outside(workspace) / "keep.log"
    existing.write_text("old\n")
    [t] = [t for t in _pack_targets(f"sponge -a {existing}", workspace)
           if t.verb == "fs.write"]
    assert t.risk.label == "write"


def test_emptying_a_file_that_does_not_exist_yet_is_still_a_truncation(
        workspace: Path) -> None:
    # `cp /dev/null f` means "empty f": rated where f is, not by whether it exists here
    missing = _outside(workspace) / "not-yet.db"
    [t] = _pack_targets(f"cp /dev/null {missing}", workspace)
    assert (t.verb, t.risk.label) == ("fs.truncate", "destructive")
