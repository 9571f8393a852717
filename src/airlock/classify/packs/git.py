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
import shlex
from collections.abc import Sequence

from airlock.action import Risk, Target
from airlock.classify.command import (
    DYNAMIC,
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
    rule(  # -D is --delete --force
        "git.branch.delete",
        "destructive",
        "branch",
        flags=("-d|--delete", "-f|--force"),
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
    "--extcmd", "--tool", "--receive-pack",
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
    "difftool": "xtX",
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
        hidden = _hidden(cmd, ctx, self._long_options())
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
    r"protocol\..*allow|include\.path|includeif\..*|init\.templatedir|"
    r"submodule\..*\.update|core\.sshcommand|sendemail\..*(cmd|command)|"
    r"remote\..*\.(uploadpack|receivepack|proxy)|http\..*proxy)$"
)
# Keys whose value is not itself a command, but says where git finds code to run.
_INCLUDE = re.compile(r"(?i)^(include\.path|includeif\..*\.path)$")
_NOT_COMMANDS = re.compile(r"(?i)^(protocol\..*allow|ssh\.variant|http\..*proxy|"
                           r"remote\..*\.proxy|core\.gitproxy)$")

# Environment variables whose value git runs (as ``sh -c VALUE`` or as a program).
ENV_COMMANDS = ("GIT_SSH_COMMAND", "GIT_SSH", "GIT_EDITOR", "GIT_SEQUENCE_EDITOR", "GIT_PAGER",
                "PAGER", "EDITOR", "VISUAL", "GIT_EXTERNAL_DIFF", "GIT_PROXY_COMMAND",
                "GIT_ASKPASS", "SSH_ASKPASS")
ENV_CONFIG_FILES = ("GIT_CONFIG_GLOBAL", "GIT_CONFIG_SYSTEM", "GIT_CONFIG")
# Where git looks for code to run: a directory Airlock does not read.
ENV_HELD = ("GIT_EXEC_PATH", "GIT_TEMPLATE_DIR")
# Options of subcommands whose value is a command: rebase --exec, difftool --extcmd,
# clone/fetch/pull/ls-remote --upload-pack, push --receive-pack/--exec.
_EXEC_OPTIONS = ("--exec", "--extcmd", "--upload-pack", "--receive-pack")
_EXEC_SHORT = {"rebase": "-x", "difftool": "-x", "clone": "-u"}
MAX_INCLUDES = 8
MAX_HOOKS = 32


def _hidden(cmd: SimpleCommand, ctx: ClassifyContext, long_options: frozenset[str]
            ) -> list[Target]:
    """Commands git runs that the command line does not show as a subcommand: config
    given with ``-c`` or ``--config-env`` or in the environment (``GIT_CONFIG_*``,
    ``GIT_SSH_COMMAND``, ``GIT_EDITOR``…), config it sets (``git config core.fsmonitor
    …``), the subcommands' own runners (``rebase -x``, ``bisect run``, ``submodule
    foreach``, ``difftool -x``, ``--upload-pack``), ``ext::`` remotes and templates."""
    out: list[Target] = []
    args = cmd.args
    i = 0
    while i < len(args):
        w = args[i]
        t = w.text
        if t == "-c" and i + 1 < len(args):
            item = args[i + 1]
            key, _eq, text = item.text.partition("=")
            out.extend(_config_entry(key, Word(text, item.dynamic), ctx, f"git -c {key}"))
            i += 2
            continue
        if t.startswith("--config-env=") or (t == "--config-env" and i + 1 < len(args)):
            spec = t.split("=", 1)[1] if "=" in t else args[i + 1].text
            key, _eq, var = spec.rpartition("=")
            found = _variable(cmd, ctx, var) or Word(DYNAMIC, dynamic=True)
            out.extend(_config_entry(key, found, ctx, f"git --config-env {key}"))
            i += 1 if "=" in t else 2
            continue
        if t.startswith("--exec-path="):
            out.extend(_held(cmd, ctx, "git --exec-path: git runs its commands from a "
                                       "directory Airlock does not read"))
        if t in GLOBAL_VALUE:
            i += 2
            continue
        if not t.startswith("-") or w.dynamic:
            break
        i += 1
    out.extend(_environment(cmd, ctx))
    rest = list(args[i:])
    if not rest or rest[0].dynamic:
        return out
    sub, after = rest[0].text, rest[1:]
    for w in after:
        if w.text.startswith("ext::"):
            # git's ext transport runs the rest of the URL as a command
            argv = [Word(x, w.dynamic) for x in _ext_command(w.text)]
            out.extend(ctx.classify_command(cmd.with_argv(argv, "git-ext")) if argv
                       else _held(cmd, ctx, "git ext:: remote without a command"))
    if sub == "config":
        out.extend(_config_set(cmd, ctx, after))
    elif sub == "bisect" and after and after[0].text == "run":
        if len(after) > 1:
            out.extend(ctx.classify_command(cmd.with_argv(after[1:], "git-bisect-run")))
    elif sub == "submodule" and after and after[0].text == "foreach":
        words = list(after[1:])
        while words and words[0].text in ("--recursive", "--quiet", "-q"):
            words = words[1:]
        if words:
            # git runs `sh -c 'CMD "$@"' CMD ARGS`
            source = " ".join([words[0].text, *(shlex.quote(x.text) for x in words[1:])])
            out.extend(ctx.classify_source(Word(source, any(x.dynamic for x in words)),
                                           "git submodule foreach"))
    elif sub in ("init", "clone"):
        for w in after:
            if (w.text.startswith("--template=") and w.text != "--template=") or \
                    w.text == "--template":
                out.extend(_held(cmd, ctx, f"git {sub} --template: git copies hooks from a "
                                           "template directory into the repository"))
    short = _SHORT_VALUE.get(sub, "")
    after = _expand_long(after, sorted(_LONG_VALUE))
    _positionals, options = split_options(_getopt(after, short),
                                         _LONG_VALUE | {"-" + c for c in short})
    options = _unabbreviated(options, long_options)
    names: tuple[str, ...] = ("--exec",) if sub == "archive" else (
        *_EXEC_OPTIONS, _EXEC_SHORT.get(sub, "--"))
    for name in names:
        for given in options.get(name, []):
            if given is not None:
                out.extend(ctx.classify_source(given, f"git {sub} {name}"))
    return out


def _variable(cmd: SimpleCommand, ctx: ClassifyContext, name: str) -> Word | None:
    """An environment variable the git command sees, when the action set it."""
    if name in cmd.env:
        return cmd.env[name]
    if name in ctx.environ:
        return Word(ctx.environ[name])
    return None


def _environment(cmd: SimpleCommand, ctx: ClassifyContext) -> list[Target]:
    if not cmd.env and not ctx.environ:
        return []  # the common case
    out: list[Target] = []
    for name in ENV_COMMANDS:
        value = _variable(cmd, ctx, name)
        if value is not None and (value.text or value.dynamic):
            out.extend(ctx.classify_source(value, f"git with {name}"))
    for name in ENV_HELD:
        value = _variable(cmd, ctx, name)
        if value is not None and (value.text or value.dynamic):
            out.extend(_held(cmd, ctx, f"{name}: git runs code from a directory Airlock "
                                       "does not read"))
    for name in ENV_CONFIG_FILES:
        value = _variable(cmd, ctx, name)
        if value is not None and value.text != "/dev/null":
            out.extend(_config_file(value, ctx, f"git with {name}", 0))
    params = _variable(cmd, ctx, "GIT_CONFIG_PARAMETERS")
    if params is not None:
        try:
            items = [] if params.dynamic else shlex.split(params.text)
        except ValueError:
            items = []
        if params.dynamic or (params.text.strip() and not items):
            out.extend(_held(cmd, ctx, "GIT_CONFIG_PARAMETERS Airlock cannot read"))
        for item in items:
            name, _eq, text = item.partition("=")
            out.extend(_config_entry(name, Word(text), ctx, "GIT_CONFIG_PARAMETERS"))
    count = _variable(cmd, ctx, "GIT_CONFIG_COUNT")
    if count is not None:
        if count.dynamic or not count.text.strip().isdigit():
            return out + _held(cmd, ctx, "GIT_CONFIG_COUNT Airlock cannot read")
        for k in range(min(int(count.text), 64)):
            key_word = _variable(cmd, ctx, f"GIT_CONFIG_KEY_{k}")
            value = _variable(cmd, ctx, f"GIT_CONFIG_VALUE_{k}") or Word("")
            if key_word is None:
                continue
            if key_word.dynamic:
                out.extend(_held(cmd, ctx, f"GIT_CONFIG_KEY_{k} comes from a variable"))
                continue
            out.extend(_config_entry(key_word.text, value, ctx, f"GIT_CONFIG_KEY_{k}"))
    return out


def _config_entry(key: str, value: Word, ctx: ClassifyContext, what: str,
                  depth: int = 0) -> list[Target]:
    """One config entry git will use: the command it names, classified."""
    if not EXEC_KEYS.match(key) or _NOT_COMMANDS.match(key):
        return []
    low = key.lower()
    if low.startswith("alias.") and not value.dynamic and not value.text.startswith("!"):
        return []  # an alias to another git subcommand
    if _INCLUDE.match(key):
        return _config_file(value, ctx, what, depth + 1)
    if low == "core.hookspath":
        return _hooks(value, ctx, what)
    if value.dynamic:
        ctx.unparsed(f"{what}: runs a command Airlock cannot see")
        return []
    if low == "init.templatedir":
        if not value.text:
            return []
        ctx.unparsed(f"{what}: git copies hooks from {value.text} into new repositories")
        return []
    if not value.text:
        return []
    return ctx.classify_source(Word(value.text.removeprefix("!")), what)


def _config_file(path: Word, ctx: ClassifyContext, what: str, depth: int) -> list[Target]:
    """A git config file git reads (``include.path``, ``GIT_CONFIG_GLOBAL``): every entry
    that runs a command."""
    if path.dynamic:
        ctx.unparsed(f"{what}: git reads config from a file Airlock cannot name")
        return []
    if depth > MAX_INCLUDES:
        ctx.unparsed(f"{what}: config includes nested deeper than Airlock follows")
        return []
    full = ctx.abspath(path.text)
    if not os.path.exists(full):
        return []
    text = ctx.read_small_file(full)
    if text is None:
        ctx.unparsed(f"{what}: cannot read the git config {path.text}")
        return []
    try:
        entries = parse_config(text)
    except ValueError as exc:
        ctx.unparsed(f"{what}: a git config Airlock cannot parse ({exc})")
        return []
    out: list[Target] = []
    for key, value in entries:
        out.extend(_config_entry(key, Word(value), ctx.at(os.path.dirname(full))
                                 if _INCLUDE.match(key) else ctx, f"{what}: {key}", depth))
    return out


_SECTION = re.compile(r'\[\s*([A-Za-z0-9.-]+)(?:\s+"((?:[^"\\\n]|\\.)*)")?\s*\]')
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9-]*")


def parse_config(text: str) -> list[tuple[str, str]]:
    """``(section[.subsection].name, value)`` for each variable of a git config file, as
    git reads it: ``[section "sub"]`` headers (a variable may follow on the same line),
    ``name = value``, a bare ``name`` (true), ``"quoted"`` parts, ``\\`` escapes and line
    continuations, ``#``/``;`` comments."""
    out: list[tuple[str, str]] = []
    section = ""
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c in " \t\r\n":
            i += 1
        elif c in "#;":
            end = text.find("\n", i)
            i = n if end < 0 else end
        elif c == "[":
            m = _SECTION.match(text, i)
            if m is None:
                raise ValueError("a section header git would refuse")
            section = m.group(1).lower()
            if m.group(2) is not None:
                section += "." + re.sub(r"\\(.)", r"\1", m.group(2))
            i = m.end()
        else:
            m = _NAME.match(text, i)
            if m is None or not section:
                raise ValueError("a line git would refuse")
            name = m.group(0).lower()
            i = m.end()
            while i < n and text[i] in " \t":
                i += 1
            value = "true"
            if i < n and text[i] == "=":
                value, i = _config_value(text, i + 1)
            out.append((f"{section}.{name}", value))
    return out


def _config_value(text: str, i: int) -> tuple[str, int]:
    out: list[str] = []
    quoted = False
    n = len(text)
    while i < n:
        c = text[i]
        if c == "\n" and not quoted:
            break
        if c == "\\" and i + 1 < n:
            nxt = text[i + 1]
            if nxt == "\n":
                i += 2
                continue
            out.append({"n": "\n", "t": "\t", "b": "\b"}.get(nxt, nxt))
            i += 2
            continue
        if c == '"':
            quoted = not quoted
        elif c in "#;" and not quoted:
            while i < n and text[i] != "\n":
                i += 1
            break
        else:
            out.append(c)
        i += 1
    return "".join(out).strip(), i


def _hooks(directory: Word, ctx: ClassifyContext, what: str) -> list[Target]:
    """``core.hooksPath=DIR``: the hooks git runs are the files there, read as scripts."""
    if directory.dynamic:
        ctx.unparsed(f"{what}: git runs hooks from a directory Airlock cannot name")
        return []
    full = ctx.abspath(directory.text)
    if not os.path.isdir(full):
        return []
    try:
        names = sorted(os.listdir(full))
    except OSError:
        ctx.unparsed(f"{what}: cannot list the hooks in {directory.text}")
        return []
    if len(names) > MAX_HOOKS:
        ctx.unparsed(f"{what}: more hooks in {directory.text} than Airlock reads")
        return []
    out: list[Target] = []
    for name in names:
        path = os.path.join(full, name)
        if name.endswith(".sample") or not os.path.isfile(path):
            continue
        try:
            with open(path, "rb") as fh:
                head = fh.read(4096)
        except OSError:
            head = b"\x00"
        if b"\x00" in head:
            ctx.unparsed(f"{what}: the hook {name} is a program Airlock cannot read")
            continue
        out.extend(ctx.classify_command(SimpleCommand(argv=[Word(path)])))
    return out


def _config_set(cmd: SimpleCommand, ctx: ClassifyContext, after: Sequence[Word]
                ) -> list[Target]:
    """``git config [--global|--file F] KEY VALUE`` (and ``git config set KEY VALUE``):
    setting a key whose value git runs plants a command for later."""
    positionals, options = split_options(after, frozenset(
        {"-f", "--file", "--blob", "--type", "--default", "--comment", "--value"}))
    if any(o in options for o in ("--unset", "--unset-all", "--remove-section",
                                  "--rename-section", "-l", "--list", "--get",
                                  "--get-all", "--get-regexp", "--get-urlmatch", "-e",
                                  "--edit")):
        return []
    words = list(positionals)
    if words and words[0].text == "set" and not words[0].dynamic:
        words = words[1:]
    if len(words) < 2 or not EXEC_KEYS.match(words[0].text) or _NOT_COMMANDS.match(
            words[0].text):
        return []
    key, value = words[0].text, words[1]
    if key.lower().startswith("alias.") and not value.dynamic \
            and not value.text.startswith("!"):
        return []
    root = _repository(cmd, ctx)
    return [Target(kind="repository", name=root, verb="git.config.exec",
                   risk=Risk.DESTRUCTIVE, tool="git", locator=f"git:repo:{root}",
                   detail=f"sets {key}, which git runs as a command")]


def _ext_command(url: str) -> list[str]:
    """``ext::sh -c touch% /tmp/x``: the command git's ext transport runs, as words (an
    unescaped space separates them; ``% `` is a space in a word, ``%%`` a percent sign,
    ``%s``/``%S`` the service name, ``%G…``/``%V…`` an option git drops)."""
    words: list[str] = []
    cur: list[str] = []
    i = 5
    while i < len(url):
        c = url[i]
        if c == "%" and i + 1 < len(url):
            nxt = url[i + 1]
            cur.append({" ": " ", "%": "%", "s": "git-upload-pack",
                        "S": "git-upload-pack"}.get(nxt, ""))
            i += 2
            continue
        if c == " ":
            if cur:
                words.append("".join(cur))
            cur = []
        else:
            cur.append(c)
        i += 1
    if cur:
        words.append("".join(cur))
    return words


def _expand_long(args: Sequence[Word], names: Sequence[str]) -> list[Word]:
    """``--exe CMD`` is ``--exec CMD`` to git (a unique prefix of a long option)."""
    out: list[Word] = []
    for w in args:
        name, eq, val = w.text.partition("=")
        if w.dynamic or not name.startswith("--") or len(name) < 4 or name in names:
            out.append(w)
            continue
        full = [n for n in names if n.startswith(name)]
        out.append(Word(full[0] + eq + val) if len(full) == 1 else w)
    return out


def _held(cmd: SimpleCommand, ctx: ClassifyContext, why: str) -> list[Target]:
    ctx.unparsed(why)
    return [Target(kind="command", name=cmd.text[:120], verb="git.hidden",
                   risk=Risk.DESTRUCTIVE, tool="git", locator="unknown:", detail=why,
                   unresolved=True)]


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
