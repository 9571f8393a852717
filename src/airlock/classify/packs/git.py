"""The git pack.

Destroying uncommitted work (``reset --hard``, ``clean -f``, ``checkout -- .``,
``restore``, ``stash drop/clear``) or shared history (force pushes, remote branch
deletes, ``filter-branch``, ``reflog expire``) is destructive; everything a developer
does all day (status, diff, log, add, commit, fetch, pull, push, switch…) is read or
write. Targets are the work tree (``git:repo:<path>``) or the remote
(``git:remote:<name>``), both in the local workspace unless the inventory says
otherwise.
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Sequence

from airlock.action import Risk, Target
from airlock.classify.command import (
    UNKNOWN_CWD,
    ClassifyContext,
    SimpleCommand,
    Word,
    split_options,
)
from airlock.classify.packs.base import Pack, Rule, rule
from airlock.paths import repository_root

# git's global options that take a value (they come before the subcommand)
GLOBAL_VALUE = frozenset(
    {"-C", "-c", "--git-dir", "--work-tree", "--namespace", "--exec-path", "--config-env"}
)
PROTECTED_BRANCHES = "main|master|trunk|develop|release*|prod*|production"

REMOTE = "git:remote:{name}"

RULES: tuple[Rule, ...] = (
    rule("git.help", "read", "*", flags=("-h|--help",)),
    # history and remote
    rule(
        "git.push.force",
        "destructive",
        "push",
        flags=("-f|--force|--force-with-lease|--force-if-includes|--mirror",),
        target="arg:0",
        kind="git-remote",
        locator=REMOTE,
        detail="force push rewrites the remote's history",
    ),
    rule(
        "git.push.force",
        "destructive",
        "push",
        args=("+*",),
        target="arg:0",
        kind="git-remote",
        locator=REMOTE,
        detail="force push (+refspec)",
    ),
    rule(
        "git.push.delete",
        "destructive",
        "push",
        flags=("-d|--delete|--prune",),
        target="arg:0",
        kind="git-remote",
        locator=REMOTE,
        detail="deletes remote branches",
    ),
    rule(
        "git.push.delete",
        "destructive",
        "push",
        args=(":*",),
        target="arg:0",
        kind="git-remote",
        locator=REMOTE,
        detail="deletes a remote branch",
    ),
    rule("git.push", "write", "push", target="arg:0", kind="git-remote", locator=REMOTE),
    rule("git.filter_branch", "destructive", "filter-branch", detail="rewrites history"),
    rule("git.filter_repo", "destructive", "filter-repo", detail="rewrites history"),
    rule(
        "git.reflog.expire",
        "destructive",
        "reflog",
        "expire",
        detail="drops the safety net of unreachable commits",
    ),
    rule("git.reflog.delete", "destructive", "reflog", "delete"),
    rule(
        "git.gc.prune", "destructive", "gc", flags=("--prune",), detail="prunes unreachable commits"
    ),
    rule("git.prune", "destructive", "prune"),
    rule("git.update_ref.delete", "destructive", "update-ref", flags=("-d",)),
    rule("git.remote.remove", "write", "remote", "remove|rm"),
    # uncommitted work
    rule(
        "git.reset.hard",
        "destructive",
        "reset",
        flags=("--hard|--merge|--keep",),
        detail="discards uncommitted changes",
    ),
    rule("git.reset", "write", "reset"),
    rule(
        "git.clean",
        "destructive",
        "clean",
        flags=("-f|--force",),
        without=("-n|--dry-run",),
        detail="deletes untracked files",
    ),
    rule("git.clean.dry_run", "read", "clean"),
    rule(
        "git.checkout.discard",
        "destructive",
        "checkout",
        flags=("-f|--force",),
        detail="discards local changes",
    ),
    rule("git.checkout", "write", "checkout"),
    rule(
        "git.switch.discard",
        "destructive",
        "switch",
        flags=("-f|--force|--discard-changes",),
        detail="discards local changes",
    ),
    rule(
        "git.restore",
        "destructive",
        "restore",
        without=("--staged|-S",),
        detail="discards changes in the work tree",
    ),
    rule("git.restore.staged", "write", "restore"),
    rule("git.stash.drop", "destructive", "stash", "drop|clear", detail="drops stashed work"),
    rule("git.read", "read", "stash", "list|show"),
    rule("git.stash", "write", "stash"),
    rule(
        "git.branch.delete",
        "destructive",
        "branch",
        flags=("-D",),
        reversible=True,
        detail="force-deletes a branch (recoverable from the reflog)",
    ),
    rule("git.branch.delete", "write", "branch", flags=("-d|--delete",), reversible=True),
    rule("git.branch.force", "destructive", "branch", flags=("-f|--force|-M|-C",), reversible=True),
    rule("git.tag.delete", "write", "tag", flags=("-d|--delete",), reversible=True),
    rule("git.worktree.remove", "destructive", "worktree", "remove", flags=("-f|--force",)),
    rule("git.rm", "write", "rm"),
    rule("git.submodule.deinit", "destructive", "submodule", "deinit", flags=("-f|--force",)),
    # reads
    rule(
        "git.read",
        "read",
        "status|diff|log|show|blame|grep|ls-files|ls-tree|ls-remote|"
        "rev-parse|rev-list|describe|shortlog|reflog|cat-file|show-ref|for-each-ref|"
        "name-rev|merge-base|whatchanged|version|help|count-objects|fsck|check-ignore|"
        "check-attr|var|archive|bundle|cherry|range-diff|show-branch|instaweb|verify-commit|"
        "verify-tag|request-pull|format-patch|difftool|annotate|config|remote|branch|tag|"
        "stash|worktree|submodule|lfs|notes",
    ),
)

# `git config`, `git remote`, … with arguments are writes; the read rule above sees only
# the subcommand, so refine here.
_READ_WITHOUT_ARGS = frozenset(
    {"config", "remote", "branch", "tag", "stash", "worktree", "submodule", "lfs", "notes"}
)
_READ_SUBCOMMANDS = {
    "config": ("--get", "--get-all", "--list", "-l", "--get-regexp", "--show-origin"),
    "remote": ("-v", "--verbose", "show", "get-url"),
    "branch": (
        "-a",
        "-r",
        "-v",
        "-vv",
        "--list",
        "-l",
        "--show-current",
        "--contains",
        "--merged",
        "--no-merged",
        "--all",
        "--remotes",
    ),
    "tag": ("-l", "--list", "-n", "--contains", "--points-at"),
    "stash": ("list", "show"),
    "worktree": ("list",),
    "submodule": ("status", "summary", "foreach"),
    "lfs": ("ls-files", "status", "env", "version", "track"),
    "notes": ("list", "show"),
}


# Long options that take the next word as their value (``--author X``).
_LONG_VALUE = frozenset({
    "--author", "--date", "--origin", "--depth", "--format", "--pretty", "--max-count",
    "--since", "--until", "--grep", "--exclude", "--message", "--file", "--template",
    "--reuse-message", "--reedit-message", "--branch", "--upload-pack", "--orphan",
    "--set-upstream-to", "--push-option", "--strategy", "--strategy-option", "--exec",
    "--source", "--separate-git-dir", "--reference", "--shallow-since",
    "--shallow-exclude", "--jobs", "--server-option", "--config", "--onto",
})
# Short options that take a value, per subcommand, as git's option parser reads them:
# the rest of the word (``-bNAME``, ``-qbNAME`` = ``-q -b NAME``) or the next word. A
# letter missing here is read as a flag: the safe direction (a flag is seen, never
# swallowed as a value).
_SHORT_VALUE = {
    "checkout": "bB",
    "switch": "cC",
    "worktree": "bB",
    "commit": "mFCct",
    "tag": "mFu",
    "notes": "mFCc",
    "stash": "m",
    "merge": "mFsX",
    "pull": "sXo",
    "rebase": "sXxC",
    "cherry-pick": "mX",
    "revert": "mX",
    "push": "o",
    "fetch": "oj",
    "clone": "bocuj",
    "branch": "u",
    "remote": "tm",
    "restore": "s",
    "clean": "e",
    "config": "f",
    "grep": "efABCm",
    "log": "nSGL",
    "show": "nSGL",
    "whatchanged": "nSGL",
    "rev-list": "n",
    "blame": "LS",
    "diff": "SGO",
    "format-patch": "o",
    "archive": "o",
}


def _getopt(args: Sequence[Word], short_value: str) -> list[Word]:
    """Short-option clusters as git reads them: ``-qbfeature`` is ``-q -b feature`` (not
    ``-q -b -f -e …``), ``-fb x`` is ``-f -b x``, and ``-uf`` for push is ``-u -f``."""
    out: list[Word] = []
    for i, w in enumerate(args):
        t = w.text
        if t == "--":
            out.extend(args[i:])
            break
        if w.dynamic or len(t) <= 2 or not t.startswith("-") or t.startswith("--"):
            out.append(w)
            continue
        for j, ch in enumerate(t[1:], 1):
            out.append(Word("-" + ch))
            if ch in short_value:
                if t[j + 1 :]:
                    out.append(Word(t[j + 1 :]))
                break
    return out


def _unabbreviated(options: dict[str, list[Word | None]],
                   known: frozenset[str]) -> dict[str, list[Word | None]]:
    """Long options as git reads them: a unique prefix stands for the option (``--ha`` is
    ``--hard``, ``--forc`` is ``--force``, ``--mir`` is ``--mirror``). A prefix of several
    known options stands for each of them: git itself refuses an ambiguous one, so the
    command would fail, and seeing every candidate only errs towards holding it."""
    out = dict(options)
    for name, values in options.items():
        if not name.startswith("--") or len(name) < 3 or name in known:
            continue
        for full in known:
            if full.startswith(name):
                out.setdefault(full, values)
    return out


class GitPack(Pack):
    _long: frozenset[str] | None = None

    def _long_options(self) -> frozenset[str]:
        """Every long option a rule of this pack looks at, and those that take a value."""
        if self._long is None:
            names = set(_LONG_VALUE)
            for r in self.all_rules():
                for group in (*r.flags, *r.without):
                    names.update(a for a in group.split("|") if a.startswith("--"))
            self._long = frozenset(names)
        return self._long

    def base_locator(
        self, cmd: SimpleCommand, options: dict[str, list[Word | None]], ctx: ClassifyContext
    ) -> tuple[str, str]:
        root = _repository(cmd, ctx)
        return root, f"git:repo:{root}"

    def classify(self, cmd: SimpleCommand, ctx: ClassifyContext) -> list[Target]:
        hidden = _exec_config(cmd, ctx)
        return hidden + self._classify(cmd, ctx)

    def _classify(self, cmd: SimpleCommand, ctx: ClassifyContext) -> list[Target]:
        args = _after_globals(cmd.args)
        sub_word = args[0].text if args and not args[0].dynamic else ""
        short = _SHORT_VALUE.get(sub_word, "")
        args = _getopt(args, short)
        positionals, options = split_options(args, _LONG_VALUE | {"-" + c for c in short})
        options = _unabbreviated(options, self._long_options())
        if not positionals:
            return [self._target(cmd, ctx, "git.read", Risk.READ)]
        sub = positionals[0].text
        if sub in ("checkout", "restore") and _discards_files(args, positionals, ctx):
            return [
                self._target(
                    cmd,
                    ctx,
                    "git.checkout.discard",
                    Risk.DESTRUCTIVE,
                    "discards local changes to files",
                )
            ]
        if sub == "stash" and len(positionals) == 1 and not options:
            return [self._target(cmd, ctx, "git.stash", Risk.WRITE)]
        for r in self.all_rules():
            if not r.matches(positionals, options):
                continue
            if r.verb == "git.read" and sub in _READ_WITHOUT_ARGS and \
                    not _is_read(sub, positionals[1:], options):
                return [self._target(cmd, ctx, f"git.{sub}", Risk.WRITE)]
            targets = self.targets_for(r, cmd, positionals, options, ctx)
            if r.kind == "git-remote":
                for t in targets:
                    if t.unresolved and t.name == "$?":
                        t.name, t.locator, t.unresolved = "origin", "git:remote:origin", False
                if r.verb == "git.push.force" and _protected_branch(positionals[1:]):
                    for t in targets:
                        t.detail = "force push to a protected branch"
            return targets
        return [self._target(cmd, ctx, f"git.{sub}", Risk.WRITE)]

    def _target(
        self, cmd: SimpleCommand, ctx: ClassifyContext, verb: str, risk: Risk, detail: str = ""
    ) -> Target:
        name, loc = self.base_locator(cmd, {}, ctx)
        return Target(
            kind="repository",
            name=name,
            verb=verb,
            risk=risk,
            tool="git",
            locator=loc,
            detail=detail,
            unresolved=name == UNKNOWN_REPO,
        )


UNKNOWN_REPO = "$?"  # after `cd "$X"`: a repository somewhere Airlock cannot know


def _repository(cmd: SimpleCommand, ctx: ClassifyContext) -> str:
    """The work tree the command runs on, by its real path: the git repository
    containing it, else the directory itself (even where no workspace may be, e.g. the
    home dir or ``/``: resolve puts those outside the workspace). ``$?`` when an earlier
    ``cd`` went somewhere unknown."""
    where = _worktree(cmd, ctx)
    if where.startswith(UNKNOWN_CWD):
        return UNKNOWN_REPO
    return repository_root(where)


def _discards_files(
    args: Sequence[Word], positionals: Sequence[Word], ctx: ClassifyContext
) -> bool:
    """``git checkout -- f``, ``git checkout .``, ``git checkout f`` where f is a path."""
    if positionals[0].text == "restore":
        return False  # rules handle restore (--staged or not)
    if any(w.text == "--" for w in args):
        return True
    for w in positionals[1:]:
        if w.unknown or w.text == "." or os.path.exists(ctx.abspath(w.text)):
            return True
    return False


# Config keys whose value git runs as a command.
EXEC_KEYS = re.compile(
    r"(?i)^(alias\..+|core\.(pager|editor|sshcommand|fsmonitor|hookspath|askpass|gitproxy)|"
    r"diff\..*(textconv|command)|diff\.external|difftool\..*cmd|mergetool\..*cmd|"
    r"merge\..*driver|credential\..*helper|credential\.helper|gpg\..*program|"
    r"sequence\.editor|filter\..*\.(clean|smudge|process)|pager\..+|"
    r"uploadpack\.packobjectshook|receive\.procreceiverefs|ssh\.variant|"
    r"protocol\..*allow|include\.path|includeif\..*)$"
)


def _exec_config(cmd: SimpleCommand, ctx: ClassifyContext) -> list[Target]:
    """``git -c alias.x='!rm -rf /' x``, ``git -c core.pager='sh -c …' log``,
    ``git config core.fsmonitor 'curl … | sh'``: config that runs commands."""
    out: list[Target] = []
    args = cmd.args
    i = 0
    while i < len(args) - 1:
        w = args[i]
        if w.text == "-c":
            item = args[i + 1]
            key, _eq, value = item.text.partition("=")
            i += 2
            if not EXEC_KEYS.match(key):
                continue
            if key.lower().startswith("alias.") and not value.startswith("!"):
                continue  # an alias to another git subcommand
            if item.dynamic or not value:
                ctx.unparsed(f"git -c {key}=… runs a command Airlock cannot see")
                continue
            out.extend(ctx.classify_source(Word(value.lstrip("!")), f"git -c {key}"))
            continue
        if not w.text.startswith("-"):
            rest = [a for a in args[i + 1 :] if not a.text.startswith("-")]
            if w.text == "config" and len(rest) > 1 and EXEC_KEYS.match(rest[0].text):
                root = _repository(cmd, ctx)
                out.append(Target(kind="repository", name=root, verb="git.config.exec",
                                  risk=Risk.DESTRUCTIVE, tool="git", locator=f"git:repo:{root}",
                                  detail=f"sets {rest[0].text}, which git runs as a command"))
            break
        i += 1
    return out


def _after_globals(args: Sequence[Word]) -> list[Word]:
    i = 0
    while i < len(args):
        t = args[i].text
        if t in GLOBAL_VALUE:
            i += 2
        elif t.startswith("-") and not args[i].dynamic:
            i += 1
        else:
            break
    return list(args[i:])


def _worktree(cmd: SimpleCommand, ctx: ClassifyContext) -> str:
    args = cmd.args
    for i, w in enumerate(args[:-1]):
        if w.text == "-C" and not args[i + 1].dynamic:
            return ctx.abspath(args[i + 1].text)
        if w.text == "--work-tree" and not args[i + 1].dynamic:
            return ctx.abspath(args[i + 1].text)
        if not w.text.startswith("-"):
            break
    return ctx.cwd


def _is_read(sub: str, rest: Sequence[Word], options: dict[str, list[Word | None]]) -> bool:
    reads = _READ_SUBCOMMANDS.get(sub, ())
    if any(o in options for o in reads):
        return True
    if rest and rest[0].text in reads:
        return True
    if sub in ("config",) and len(rest) == 1 and not options:
        return True  # `git config user.name` prints it
    return not rest and not any(o for o in options if o not in ("-v", "-vv", "-a", "-r"))


def _protected_branch(rest: Sequence[Word]) -> bool:
    for w in rest:
        ref = w.text.lstrip("+").split(":")[-1]
        if any(fnmatch.fnmatchcase(ref, p) for p in PROTECTED_BRANCHES.split("|")):
            return True
    return False


PACKS: list[Pack] = [
    GitPack(
        name="git",
        programs=("git",),
        rules=RULES,
        kind="repository",
        takes_value=frozenset(),
        default=Rule(verb="git.other", risk=Risk.WRITE),
        description="git: work tree and history",
    ),
]
