"""The filesystem pack: where a path is decides how bad deleting it is."""

from __future__ import annotations

from pathlib import Path

import pytest

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
