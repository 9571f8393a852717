"""Files an agent must not read (live credentials) or write (Airlock's own guard).

Writes to Airlock's config, policy files and data dir, and to the agent tools' hook
settings, are flagged ``guard-tamper`` from every surface (the shell included, so an
agent cannot bypass an edit hook with ``echo … > .claude/settings.json``); reads of
files that hold live credentials are flagged ``secret-read``.
"""

from __future__ import annotations

import fnmatch
import itertools
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from airlock.action import Risk, Target
from airlock.classify.command import DYNAMIC, ClassifyContext, SimpleCommand, Word
from airlock.paths import NO_WORKSPACE, within

if TYPE_CHECKING:
    from airlock.classify.secret_search import Search

# Hook settings of the agent tools Airlock guards, relative to a project or the home dir.
HOOK_SETTINGS = (
    ".claude/settings.json", ".claude/settings.local.json", ".cursor/hooks.json",
    ".gemini/settings.json", ".codex/config.toml", ".codex/hooks.json",
)
GUARD_NAMES = ("airlock.toml", ".airlock.toml")

# Basenames (fnmatch) of files that hold live credentials.
SECRET_FILES = (
    ".env", ".env.*", "*.env", ".envrc", ".netrc", "_netrc", ".pgpass", ".my.cnf",
    "credentials", "credentials.json", "credentials.csv", "*.pem", "*.key", "id_rsa",
    "id_dsa", "id_ecdsa", "id_ed25519", "*.p12", "*.pfx", "*.keystore", "*.jks",
    "service-account*.json", ".git-credentials", ".npmrc", ".pypirc", "secrets.toml",
    "secrets.yml", "secrets.yaml", ".htpasswd", "kubeconfig", "terraform.tfstate",
    "*.tfstate", "*.tfvars",
)
NOT_SECRET = (".env.example", ".env.sample", ".env.template", ".env.dist", "*.pub",
              ".env.defaults", "*.example", "*.sample",
              # certificates are public (the private key beside them is not: key.pem,
              # privkey.pem, ca-key.pem stay secret)
              "cert.pem", "*[-_.]cert.pem", "cacert.pem", "chain.pem", "fullchain.pem",
              "*[-_.]chain.pem", "ca.pem", "*[-_.]ca.pem", "ca-bundle.pem")
SECRET_DIRS = ("/.aws/", "/.config/gcloud/", "/.azure/", "/.kube/", "/.docker/config.json",
               "/.railway/", "/.config/railway/", "/.fly/", "/.vercel/", "/.supabase/",
               "/.ssh/", "/.gnupg/", "/.config/gh/hosts.yml", "/.heroku/",
               "/.config/heroku/", "/.terraform.d/credentials")

READERS = frozenset({"cat", "tac", "less", "more", "head", "tail", "grep", "egrep", "rg",
                     "ag", "awk", "sed", "cut", "strings", "xxd", "od", "hexdump", "base64",
                     "cp", "scp", "rsync", "source", ".", "bat", "nl", "sort", "uniq", "jq",
                     "yq", "vim", "vi", "nano", "emacs", "code", "diff", "openssl",
                     "gpg", "tar", "zip", "nc", "curl", "wget", "python", "python3", "node",
                     "tee", "view", "xargs", "dd", "md5sum", "sha256sum", "file", "paste",
                     "column", "fold", "tr", "wc", "env", "printenv", "find"})


# Commands that print live credentials: (program, words that must appear in order among
# its arguments, options one of which must be present or None).
SECRET_COMMANDS: tuple[tuple[str, tuple[str, ...], tuple[str, ...] | None], ...] = (
    ("gh", ("auth", "token"), None),
    ("aws", ("secretsmanager", "get-secret-value"), None),
    ("aws", ("ssm", "get-parameter"), ("--with-decryption",)),
    ("aws", ("ssm", "get-parameters"), ("--with-decryption",)),
    ("aws", ("ssm", "get-parameters-by-path"), ("--with-decryption",)),
    ("aws", ("configure", "export-credentials"), None),
    ("aws", ("configure", "get", "aws_secret_access_key"), None),
    ("aws", ("ecr", "get-login-password"), None),
    ("aws", ("sts", "get-session-token"), None),
    ("gcloud", ("auth", "print-access-token"), None),
    ("gcloud", ("auth", "print-identity-token"), None),
    ("gcloud", ("auth", "application-default", "print-access-token"), None),
    ("gcloud", ("secrets", "versions", "access"), None),
    ("az", ("keyvault", "secret", "show"), None),
    ("az", ("keyvault", "secret", "download"), None),
    ("az", ("account", "get-access-token"), None),
    ("az", ("storage", "account", "keys", "list"), None),
    ("kubectl", ("get", "secret"), ("-o", "--output", "-ojson", "-oyaml", "-o=json",
                                     "-o=yaml", "--output=json", "--output=yaml")),
    ("kubectl", ("get", "secrets"), ("-o", "--output", "-ojson", "-oyaml", "-o=json",
                                      "-o=yaml", "--output=json", "--output=yaml")),
    ("heroku", ("config",), None),
    ("heroku", ("config:get",), None),
    ("railway", ("variables",), None),
    ("railway", ("variable", "list"), None),
    ("vercel", ("env", "pull"), None),
    ("netlify", ("env:list",), None),
    ("doppler", ("secrets",), None),
    ("op", ("read",), None),
    ("op", ("item", "get"), ("--reveal",)),
    ("vault", ("kv", "get"), None),
    ("vault", ("read",), None),
    ("security", ("find-generic-password",), ("-w",)),
    ("security", ("find-internet-password",), ("-w",)),
    ("fly", ("ssh", "issue"), None),
)


def prints_secrets(cmd: SimpleCommand) -> str | None:
    """The command prints live credentials (``gh auth token``,
    ``aws secretsmanager get-secret-value``…): a description, else None."""
    prog = cmd.program
    if prog == "flyctl":
        prog = "fly"
    words = [w.text for w in cmd.args if not w.dynamic]
    if prog == "printenv":
        # function-level: the hook runner's fast path imports this module for its guard
        # and secret-file checks, which need none of the credential patterns
        from airlock.classify.credentials import NOT_SECRET_NAME, SECRET_NAME

        names = [w for w in words if not w.startswith("-")]
        if not names:
            held = credential_names(agent_environ())
            if not held:
                return None
            shown = ", ".join(held[:3]) + (" …" if len(held) > 3 else "")
            return (f"printenv prints every variable, and the environment holds "
                    f"credentials ({shown}); print the variables you need by name")
        for n in names:
            if SECRET_NAME.search(n) and not NOT_SECRET_NAME.match(n):
                return f"printenv {n} prints a credential"
        return None
    for program, seq, needs in SECRET_COMMANDS:
        if program != prog:
            continue
        if not _in_order(seq, words):
            continue
        if prog == "railway" and any(w.startswith("--set") or w in ("set", "delete", "rm")
                                     for w in words):
            continue
        if needs is not None and not any(
            w == n or w.startswith(n + "=") or (n in ("-o", "--output") and w.startswith(n))
            for w in words for n in needs
        ):
            continue
        return f"{prog} {' '.join(seq)} prints live credentials"
    return None


_STDIN_LOGINS = frozenset({"docker", "podman", "nerdctl", "buildah", "skopeo", "helm",
                           "oras", "crane", "regctl"})
# whose registry each printer's credential is for: sent anywhere else it is exfiltrated
_REGISTRIES = {"aws": (".amazonaws.com",), "gcloud": ("gcr.io", ".pkg.dev"),
               "gh": ("ghcr.io",), "az": (".azurecr.io",)}


def _into_login(printer: str, argv: tuple[str, ...] | None) -> bool:
    """``aws ecr get-login-password | docker login --password-stdin ….amazonaws.com``:
    the credential goes straight into a login to its own provider's registry, never onto
    the agent's screen."""
    suffixes = _REGISTRIES.get(printer)
    if not argv or not suffixes:
        return False
    words = list(argv)
    if os.path.basename(words[0]) == "sudo":
        words = words[1:]
    if not words or os.path.basename(words[0]) not in _STDIN_LOGINS:
        return False
    rest = words[1:]
    if "login" not in rest or "--password-stdin" not in rest:
        return False
    servers, i = [], rest.index("login") + 1
    while i < len(rest):
        w = rest[i]
        if w in ("-u", "--username", "-p", "--password", "--cert-file", "--key-file",
                 "--ca-file", "--authfile", "--registry-config"):
            i += 2
            continue
        if not w.startswith("-"):
            servers.append(w.split("://", 1)[-1].split("/", 1)[0].lower())
        i += 1
    return len(servers) == 1 and servers[0].endswith(suffixes)


def _in_order(seq: tuple[str, ...], words: list[str]) -> bool:
    n = len(seq)
    return any(tuple(words[i : i + n]) == seq for i in range(len(words) - n + 1))


_NOT_SECRET_RE = re.compile("|".join(fnmatch.translate(p) for p in NOT_SECRET))
_SECRET_RE = re.compile("|".join(fnmatch.translate(p) for p in SECRET_FILES))
# a process's environment: /proc/self/environ, /proc/123/environ, /proc/1/task/1/environ
_PROC_ENVIRON = re.compile(r"/proc/[^/]+(/task/[^/]+)?/environ\Z")


def is_secret_file(path: str, extra: tuple[str, ...] = ()) -> bool:
    return is_secret_entry(path, os.path.isdir(path), extra)


def is_secret_entry(path: str, is_dir: bool, extra: tuple[str, ...] = ()) -> bool:
    """:func:`is_secret_file` for a path known to be a directory (``is_dir``) or not."""
    base = os.path.basename(path)
    if _NOT_SECRET_RE.match(base):
        return False
    if _SECRET_RE.match(base) or _PROC_ENVIRON.match(path):
        return True
    probe = path + ("/" if is_dir else "")
    if any(d in probe for d in SECRET_DIRS):
        return True
    return path in extra


def guard_paths(ctx: ClassifyContext) -> list[str]:
    """Absolute paths (and dirs) an agent may never write."""
    out: list[str] = []
    for root in {ctx.cwd, ctx.home, ctx.workspace()} - {NO_WORKSPACE}:
        for rel in (*HOOK_SETTINGS, *GUARD_NAMES):
            out.append(os.path.join(root, rel))
    if ctx.config is not None:
        out.extend(ctx.config.guarded_paths())
    out.extend(airlock_data_dirs(ctx))
    out.append(os.path.join(ctx.home, ".config", "airlock"))
    return out


def airlock_data_dirs(ctx: ClassifyContext) -> list[str]:
    """Airlock's data dirs: its state, keys, TOTP secrets and snapshots — ``AIRLOCK_HOME``
    and also the default location, even when ``AIRLOCK_HOME`` points elsewhere. No agent
    reads them, with any program."""
    # function-level: keeps the hook runner's secret-file check (fast path) from loading it
    from airlock.settings import default_home

    dirs = {default_home()}
    xdg = os.environ.get("XDG_DATA_HOME") or os.path.join(ctx.home, ".local", "share")
    dirs.add(os.path.join(xdg, "airlock"))
    if ctx.config is not None:
        dirs.add(ctx.config.data_dir)
    return sorted(dirs)


def _check_data_dir_reads(cmd: SimpleCommand, ctx: ClassifyContext) -> None:
    words = [w for w in cmd.args if not w.dynamic]
    words += [r.target for r in cmd.redirects if r.target is not None and r.op == "<"]
    dirs: list[str] | None = None  # found only when a word looks like a path
    for w in words:
        text = w.text.split("=", 1)[1] if w.text.startswith("-") and "=" in w.text else w.text
        if "/" not in text and not text.startswith("."):
            continue
        if dirs is None:
            dirs = airlock_data_dirs(ctx)
        path = ctx.abspath(text.lstrip("@"))
        for d in dirs:
            if within(path, d):
                ctx.flag("secret-read", f"reads {text}, inside Airlock's data dir "
                         "(keys, TOTP secrets, state)")
                return


def touches_guard(path: str, ctx: ClassifyContext, *, subtree: bool = False) -> bool:
    """``path`` is a guard file, inside a guarded dir, or (``subtree``: a recursive
    delete or chmod of it) an ancestor of one."""
    if not path:
        return False
    path = path.rstrip("/") or "/"
    for g in guard_paths(ctx):
        if within(path, g):
            return True
        if subtree and (g.startswith(path + "/") or path == "/"):
            return True
    return os.path.basename(path) in GUARD_NAMES


def check_targets(targets: list[Target], ctx: ClassifyContext) -> None:
    """Flag writes and deletes that hit a guard file."""
    for t in targets:
        if t.risk >= Risk.WRITE and t.locator.startswith("path:") and t.kind != "program":
            path = t.locator[5:]
            subtree = t.kind == "directory" and not t.unresolved and "*" not in t.name
            if touches_guard(path, ctx, subtree=subtree):
                ctx.flag("guard-tamper", f"{t.verb} on {t.name}: Airlock's own configuration "
                         "or an agent tool's hook settings")
            elif t.verb not in _DELETES and GIT_PLANTS.search(path):
                # git runs what a repository's config and hooks name, at its next command
                t.risk = max(t.risk, Risk.DESTRUCTIVE)
                t.detail = "plants code that git runs (a hook, or a command in its config)"
                ctx.unparsed(f"{t.verb} on {t.name}: git runs the hooks and config commands "
                             "a repository holds, and Airlock cannot see what they will be")


# A repository's config and hooks (also a submodule's or a worktree's): writing them
# plants commands git runs later (core.fsmonitor, core.pager, alias.x=!…, hooks/*).
GIT_PLANTS = re.compile(r"(?:^|/)\.git(?:/(?:modules|worktrees)/[^/]+)*"
                        r"(?:/config(?:\.worktree)?$|/hooks(?:/|$)|/?$)")
_DELETES = frozenset({"fs.delete", "fs.trash", "fs.shred"})


def check_reads(cmd: SimpleCommand, ctx: ClassifyContext) -> None:
    """Flag a command that reads a file holding live credentials: named, matched by a
    glob, searched by a recursive search, shown from git's history, streamed by tar, or
    the environment itself (``env``, ``printenv``, ``/proc/*/environ``). Commands run
    through wrappers (``sudo``, ``timeout``, ``nice``…) are looked at too."""
    # function-level: the hook runner's fast path imports this module and reads the
    # denylist itself, with its own home
    from airlock.classify.denylist import load_denylist

    extra = (tuple(ctx.config.secret_files) if ctx.config is not None else ()) + \
        load_denylist()
    for layer in _layers(cmd):
        _check_reads_one(layer, ctx, extra)


# Programs that run the command they are given (dispatch peels them for classification;
# here only the reader inside matters): ``sudo -u x cat .env``, ``timeout 5 head .env``.
_WRAPPERS = frozenset({"sudo", "doas", "run0", "pkexec", "env", "nice", "ionice", "nohup",
                       "time", "command", "builtin", "exec", "stdbuf", "timeout", "xargs",
                       "setsid", "chronic", "unbuffer", "flock", "watch", "caffeinate",
                       "torsocks", "proxychains", "strace", "ltrace", "chroot"})


def _layers(cmd: SimpleCommand) -> list[SimpleCommand]:
    """``cmd`` and the command a wrapper runs: from the first argument that names a
    reader, ``git`` or a wrapper (``sudo timeout 5 cat .env`` → ``cat .env``). Taking an
    option's value for the program (``sudo -u cat x``) can only add a check."""
    out = [cmd]
    while len(out) < 8 and out[-1].program in _WRAPPERS:
        args = out[-1].args
        k = next((i for i, w in enumerate(args) if not w.dynamic and (
            os.path.basename(w.text) in READERS or os.path.basename(w.text) in _WRAPPERS
            or os.path.basename(w.text) in ("git", "rgrep", "zgrep", "fgrep", "set",
                                             "bsdtar", "gtar")
            or os.path.basename(w.text).startswith("python"))), None)
        if k is None:
            break
        argv = list(args[k:])
        if out[-1].program == "xargs":  # its input: words we cannot see
            argv.append(Word(DYNAMIC, dynamic=True))
        inner = SimpleCommand(argv=argv, env=dict(out[-1].env),
                              redirects=list(out[-1].redirects), stdin=out[-1].stdin,
                              stdin_unknown=out[-1].stdin_unknown, cwd=out[-1].cwd)
        out.append(inner)
    return out


def _check_reads_one(cmd: SimpleCommand, ctx: ClassifyContext, extra: tuple[str, ...]) -> None:
    candidates: list[Word] = []
    globs: list[Word] = []
    if cmd.program in READERS or cmd.program.startswith("python"):
        for w in read_operands(cmd):
            if w.text.startswith("-"):
                continue
            if w.glob and not w.dynamic:
                globs.append(w)
            elif not w.unknown:
                candidates.append(w)
    for r in cmd.redirects:
        if r.op in ("<",) and r.target is not None and not r.target.unknown:
            candidates.append(r.target)
        elif r.op == "<" and r.target is not None and r.target.glob and not r.target.dynamic:
            globs.append(r.target)
    for w in cmd.args:
        # curl -d @.env, --data-binary @file
        if w.text.startswith("@") and len(w.text) > 1 and not w.unknown:
            candidates.append(Word(w.text[1:]))
    for w in candidates:
        path = ctx.abspath(w.text)
        if is_secret_file(path, extra):
            ctx.flag("secret-read", f"reads {w.text}, a file that holds live credentials")
    for w in globs:
        _check_glob(w, ctx, extra)
    _check_data_dir_reads(cmd, ctx)
    printed = prints_secrets(cmd)
    if printed and not _into_login(cmd.program, cmd.stdout_into):
        ctx.flag("secret-read", printed)
    _check_search(cmd, ctx, extra)
    _check_git_show(cmd, ctx, extra)
    _check_tar_stream(cmd, ctx, extra)
    _check_environment_dump(cmd, ctx)


# --------------------------------------------------------------------------- globs

MAX_GLOB_MATCHES = 5000


def _check_glob(w: Word, ctx: ClassifyContext, extra: tuple[str, ...]) -> None:
    """A glob a reader is given (``cat .en?``, ``cat tools/*/*.env``): expanded against
    the filesystem as the shell would (relative to the command's cwd)."""
    import glob as globmod

    pattern = w.text
    if ctx.cwd_unknown and not os.path.isabs(pattern) and not pattern.startswith("~"):
        return
    full = ctx.abspath(pattern)
    if _PROC_ENVIRON.match(full):
        ctx.flag("secret-read", f"reads {w.shown}, which matches files that hold live "
                 "credentials")
        return
    for i, match in enumerate(globmod.iglob(full)):
        if i >= MAX_GLOB_MATCHES:
            ctx.flag("secret-read", f"reads {w.shown}, which matches more than "
                     f"{MAX_GLOB_MATCHES} files: too many to check for live credentials")
            return
        if is_secret_file(match, extra):
            shown = os.path.relpath(match, ctx.cwd) if within(match, ctx.cwd) else match
            ctx.flag("secret-read", f"reads {w.shown}, which matches {shown}, a file that "
                     "holds live credentials")
            return


# --------------------------------------------------------------------------- searches

_GREPS = frozenset({"grep", "egrep", "fgrep", "rgrep", "zgrep"})
_GREP_VALUE_SHORT = "efmABCdD"
_GREP_VALUE_LONG = frozenset({
    "--regexp", "--file", "--max-count", "--after-context", "--before-context", "--context",
    "--directories", "--devices", "--include", "--exclude", "--exclude-dir",
    "--exclude-from", "--label", "--binary-files", "--color", "--colour"})
_RG_VALUE_SHORT = "ABCdEefgjMmrtT"
_RG_VALUE_LONG = frozenset({
    "--glob", "--iglob", "--type", "--type-not", "--type-add", "--type-clear", "--regexp",
    "--file", "--max-count", "--max-depth", "--maxdepth", "--replace", "--encoding",
    "--threads", "--max-columns", "--context", "--after-context", "--before-context",
    "--max-filesize", "--ignore-file", "--pre", "--pre-glob", "--sort", "--sortr",
    "--colors", "--path-separator", "--engine", "--dfa-size-limit", "--regex-size-limit",
    "--context-separator", "--field-context-separator", "--field-match-separator",
    "--hostname-bin", "--hyperlink-format", "--color", "--colour"})
_AG_VALUE_SHORT = "ABCGgmp"
_AG_VALUE_LONG = frozenset({
    "--file-search-regex", "--ignore", "--ignore-dir", "--after", "--before", "--context",
    "--max-count", "--depth", "--path-to-ignore", "--pager", "--workers"})
_GIT_GREP_VALUE_SHORT = "efABCmO"
_GIT_GREP_VALUE_LONG = frozenset({
    "--max-depth", "--threads", "--context", "--after-context", "--before-context",
    "--max-count", "--file", "--regexp"})


@dataclass(slots=True)
class _Parsed:
    """A search command's arguments: options (name → values), operands (pattern first
    unless ``-e``/``-f`` gave one)."""

    opts: list[tuple[str, str | None]] = field(default_factory=list)
    operands: list[Word] = field(default_factory=list)
    value_words: list[Word] = field(default_factory=list)
    dynamic: bool = False

    def has(self, *names: str) -> bool:
        return any(n in names for n, _ in self.opts)

    def values(self, *names: str) -> list[str]:
        return [v for n, v in self.opts if n in names and v is not None]

    def count(self, name: str) -> int:
        return sum(1 for n, _ in self.opts if n == name)


def _parse_opts(args: list[Word], short_value: str, long_value: frozenset[str]) -> _Parsed:
    p = _Parsed()
    i = 0
    ended = False
    while i < len(args):
        w = args[i]
        t = w.text
        if ended or not t.startswith("-") or t == "-":
            if w.dynamic and t.startswith(DYNAMIC):
                p.dynamic = True
            p.operands.append(w)
            i += 1
            continue
        if w.dynamic:
            p.dynamic = True
        if t == "--":
            ended = True
            i += 1
            continue
        if t.startswith("--"):
            name, eq, value = t.partition("=")
            if eq:
                p.opts.append((name, value))
            elif name in long_value and i + 1 < len(args):
                p.opts.append((name, args[i + 1].text))
                p.value_words.append(args[i + 1])
                i += 1
            else:
                p.opts.append((name, None))
            i += 1
            continue
        j = 1
        while j < len(t):
            c = t[j]
            if c in short_value:
                value = t[j + 1 :]
                if not value and i + 1 < len(args):
                    value = args[i + 1].text
                    p.value_words.append(args[i + 1])
                    i += 1
                p.opts.append(("-" + c, value))
                break
            p.opts.append(("-" + c, None))
            j += 1
        i += 1
    return p


def _search_spec(cmd: SimpleCommand, ctx: ClassifyContext) -> tuple[Search, _Parsed] | None:
    """How a recursive search command walks, or None when it is not one."""
    from airlock.classify.secret_search import RG_TYPES, Search

    prog = cmd.program
    args = list(cmd.args)
    if prog == "git":
        sub = _git_sub(args)
        if sub is None or args[sub].text != "grep":
            return None
        p = _parse_opts(args[sub + 1 :], _GIT_GREP_VALUE_SHORT, _GIT_GREP_VALUE_LONG)
        pattern_given = p.has("-e", "-f", "--regexp", "--file")
        rest = p.operands if pattern_given else p.operands[1:]
        excluded: list[str] = []
        for w in rest:  # git grep foo -- . ':(exclude).env' / ':!.env' / ':^.env'
            m = re.match(r":(?:!|\^|\(exclude\)|\(top,exclude\))(.+)", w.text)
            if m and not w.dynamic:
                excluded += ["/" + m.group(1).strip("/"), "/" + m.group(1).strip("/") + "/**"]
        named = [w for w in rest if not w.dynamic and os.path.exists(ctx.abspath(w.text))]
        paths = tuple(ctx.abspath(w.text) for w in named) or (ctx.cwd,)
        if p.has("--no-index"):
            return Search(roots=paths, tool="git grep --no-index",
                          excludes=tuple(excluded)), p
        if p.has("--untracked"):
            ign = () if p.has("--no-exclude-standard") else (".gitignore",)
            return Search(roots=paths, tool="git grep --untracked", ignore_files=ign,
                          skip_dirs=(".git",), excludes=tuple(excluded)), p
        return Search(roots=paths, tool="git grep", tracked_only=True,
                      excludes=tuple(excluded)), p
    if prog in _GREPS:
        p = _parse_opts(args, _GREP_VALUE_SHORT, _GREP_VALUE_LONG)
        recursive = prog == "rgrep" or p.has("-r", "-R", "--recursive",
                                               "--dereference-recursive") or \
            "recurse" in p.values("-d", "--directories")
        if not recursive:
            return None
        pattern_given = p.has("-e", "-f", "--regexp", "--file")
        files = p.operands if pattern_given else p.operands[1:]
        roots = _roots(files, ctx)
        if roots is None:
            return None
        return Search(roots=roots, tool=prog + " -r",
                      includes=tuple(p.values("--include")),
                      excludes=tuple(p.values("--exclude")),
                      exclude_dirs=tuple(p.values("--exclude-dir")),
                      follow=p.has("-R", "--dereference-recursive")), p
    if prog == "rg":
        p = _parse_opts(args, _RG_VALUE_SHORT, _RG_VALUE_LONG)
        if p.has("--files", "--type-list", "--version", "-V", "--help", "-h"):
            return None  # lists names only
        u = p.count("-u") + 2 * p.count("--unrestricted")
        hidden = (u >= 2 or p.has("--hidden", "-.")) and not p.has("--no-hidden")
        no_ignore = u >= 1 or p.has("--no-ignore")
        ignore: tuple[str, ...] = ()
        if not no_ignore:
            ignore = (".ignore", ".rgignore") if p.has("--no-ignore-vcs") else \
                (".gitignore", ".ignore", ".rgignore")
            if p.has("--no-ignore-dot"):
                ignore = tuple(n for n in ignore if n == ".gitignore")
        globs = p.values("-g", "--glob", "--iglob")
        includes = [g for g in globs if not g.startswith("!")]
        excludes = [g[1:] for g in globs if g.startswith("!")]
        for t in p.values("-t", "--type"):
            includes.extend(RG_TYPES.get(t, (f"*.{t}",)))
        for t in p.values("-T", "--type-not"):
            excludes.extend(RG_TYPES.get(t, (f"*.{t}",)))
        pattern_given = p.has("-e", "-f", "--regexp", "--file")
        files = p.operands if pattern_given else p.operands[1:]
        roots = _roots(files, ctx)
        if roots is None:
            return None
        depth = _int(p.values("-d", "--max-depth", "--maxdepth"))
        return Search(roots=roots, tool="rg", hidden=hidden, ignore_files=ignore,
                      includes=tuple(includes), excludes=tuple(excludes),
                      follow=p.has("-L", "--follow"), max_depth=depth, overrides=True), p
    if prog == "ag":
        p = _parse_opts(args, _AG_VALUE_SHORT, _AG_VALUE_LONG)
        if p.has("-g", "-l", "--list-file-types", "--version", "--help", "-h") and \
                p.has("-g"):
            return None  # ag -g PATTERN lists file names
        unrestricted = p.has("-u", "--unrestricted")
        hidden = unrestricted or p.has("--hidden")
        skip_vcs = unrestricted or p.has("-U", "--skip-vcs-ignores")
        ignore = () if unrestricted else \
            ((".ignore", ".agignore") if skip_vcs else (".gitignore", ".ignore", ".agignore"))
        regex = next(iter(p.values("-G", "--file-search-regex")), None)
        files = p.operands[1:]
        roots = _roots(files, ctx)
        if roots is None:
            return None
        return Search(roots=roots, tool="ag", hidden=hidden, ignore_files=ignore,
                      excludes=tuple(p.values("--ignore")),
                      exclude_dirs=tuple(p.values("--ignore-dir")),
                      include_regex=regex, follow=p.has("-f", "--follow"),
                      max_depth=_int(p.values("--depth"))), p
    return None


def _roots(files: list[Word], ctx: ClassifyContext) -> tuple[str, ...] | None:
    """The searched paths (globs expanded; the cwd when none is named); None when all
    are unknown (a variable, ``xargs`` input: not seen, so no tree is walked)."""
    import glob as globmod

    if not files:
        return (ctx.cwd,)
    out: list[str] = []
    for w in files:
        if w.dynamic:
            continue
        if w.glob:
            out.extend(itertools.islice(globmod.iglob(ctx.abspath(w.text)), MAX_GLOB_MATCHES))
        else:
            out.append(ctx.abspath(w.text))
    if not out and any(w.dynamic for w in files):
        return None
    return tuple(out)


def _int(values: list[str]) -> int | None:
    for v in values:
        if v.isdigit():
            return int(v)
    return None


def search_secrets(search: Search, extra: tuple[str, ...] = ()) -> tuple[list[str], bool]:
    """(secret files ``search`` would read, whether the walk finished)."""
    from airlock.classify.secret_search import find_secret_reads

    out = find_secret_reads(search, lambda p, d: is_secret_entry(p, d, extra))
    return out.found, out.complete


_EXCLUDE_HINT = ("exclude it: grep -r --exclude=NAME, rg -g '!NAME', ag --ignore NAME; or "
                 "search a narrower path")
_EXCLUDE_HINTS = {
    "the": "give a glob or type that leaves it out, e.g. glob '*.py', or a narrower path",
    "git": "search a narrower path, or exclude it: git grep PATTERN -- . ':!NAME'",
    "tar": "exclude it with --exclude=NAME, or archive a narrower path",
}


def describe_search_refusal(search: Search, found: list[str], complete: bool,
                            cwd: str) -> str:
    """Why a search is a secret read, and how to narrow it."""
    from airlock.classify.secret_search import WALK_MAX_ENTRIES

    if found:
        names = ", ".join(os.path.relpath(f, cwd) if within(f, cwd) else f for f in found)
        hold = "holds" if len(found) == 1 else "hold"
        return (f"{search.tool} searches {names}, which {hold} live credentials "
                f"({_EXCLUDE_HINTS.get(search.tool.split()[0], _EXCLUDE_HINT)})")
    return (f"{search.tool} searches a tree too large to check for files that hold live "
            f"credentials (more than {WALK_MAX_ENTRIES} entries); search a narrower path")


def _check_search(cmd: SimpleCommand, ctx: ClassifyContext, extra: tuple[str, ...]) -> None:
    if ctx.cwd_unknown:
        return
    spec = _search_spec(cmd, ctx)
    if spec is None:
        return
    search, _ = spec
    found, complete = search_secrets(search, extra)
    if found or not complete:
        ctx.flag("secret-read", describe_search_refusal(search, found, complete, ctx.cwd))


# --------------------------------------------------------------------------- git history

_GIT_GLOBAL_VALUE = frozenset({"-C", "-c", "--git-dir", "--work-tree", "--namespace",
                               "--exec-path", "--super-prefix", "--config-env"})
_GIT_SHOWS = frozenset({"show", "cat-file", "log", "diff", "blame", "annotate", "whatchanged",
                        "grep", "archive", "difftool"})


def _git_sub(args: list[Word]) -> int | None:
    i = 0
    while i < len(args):
        t = args[i].text
        if args[i].dynamic:
            return None
        if t in _GIT_GLOBAL_VALUE:
            i += 2
            continue
        if t.startswith("-"):
            i += 1
            continue
        return i
    return None


def _check_git_show(cmd: SimpleCommand, ctx: ClassifyContext, extra: tuple[str, ...]) -> None:
    """``git show HEAD:.env``, ``git cat-file -p HEAD:.env``, ``git log -p -- .env``,
    ``git diff .env``: a secret file's content out of git."""
    if cmd.program != "git":
        return
    args = list(cmd.args)
    sub = _git_sub(args)
    if sub is None or args[sub].text not in _GIT_SHOWS or args[sub].text == "grep":
        return
    if args[sub].text == "archive" and not ctx.cwd_unknown and not any(
            w.text in ("-o", "--remote", "--list", "-l") or w.text.startswith(
                ("--output", "-o", "--remote=")) for w in args[sub + 1 :]):
        # git archive HEAD | tar xO: the tracked files, streamed (the index stands in
        # for the tree it archives)
        from airlock.classify.secret_search import Search

        search = Search(roots=(ctx.cwd,), tool="git archive", tracked_only=True)
        found, complete = search_secrets(search, extra)
        if found or not complete:
            ctx.flag("secret-read", describe_search_refusal(search, found, complete, ctx.cwd)
                     .replace("searches", "streams"))
            return
    for w in args[sub + 1 :]:
        t = w.text
        if w.dynamic or (t.startswith("-") and ":" not in t):
            continue
        if t.startswith("-"):  # --output=… etc.: not a path
            continue
        _rev, colon, path = t.partition(":")
        target = path if colon and path else t
        if is_secret_entry(ctx.abspath(target), False, extra):
            ctx.flag("secret-read", f"git {args[sub].text} {t} shows a file that holds "
                     "live credentials")
            return


# --------------------------------------------------------------------------- tar

def _check_tar_stream(cmd: SimpleCommand, ctx: ClassifyContext,
                      extra: tuple[str, ...]) -> None:
    """``tar c DIR | tar xO``: a tar written to stdout carries the secret files under
    DIR (named ones are already plain reads)."""
    from airlock.classify.secret_search import Search

    if cmd.program not in ("tar", "bsdtar", "gtar") or ctx.cwd_unknown:
        return
    args = list(cmd.args)
    if not args:
        return
    create = False
    archive: str | None = None
    operands: list[Word] = []
    excludes: list[str] = []
    chdir = ctx.cwd
    roots: list[str] = []
    i = 0
    first = args[0].text
    if first and not first.startswith("-"):  # old style: tar czf ARCHIVE …
        create = "c" in first
        i = 1
        if "f" in first and len(args) > 1:
            archive = args[1].text
            i = 2
    while i < len(args):
        w = args[i]
        t = w.text
        if t.startswith("--"):
            name, eq, value = t.partition("=")
            if name == "--create":
                create = True
            elif name in ("--file", "--exclude", "--directory"):
                if not eq and i + 1 < len(args):
                    value = args[i + 1].text
                    i += 1
                if name == "--file":
                    archive = value
                elif name == "--exclude":
                    excludes.append(value)
                else:
                    chdir = os.path.join(chdir, value)
        elif t.startswith("-") and len(t) > 1:
            letters = t[1:]
            if "c" in letters:
                create = True
            for k, c in enumerate(letters):
                if c in "fC":
                    value = letters[k + 1 :]
                    if not value and i + 1 < len(args):
                        value = args[i + 1].text
                        i += 1
                    if c == "f":
                        archive = value
                    else:
                        chdir = os.path.join(chdir, value)
                    break
        else:
            operands.append(w)
            if not w.unknown:
                roots.append(os.path.normpath(os.path.join(chdir, t)))
        i += 1
    if not create or archive not in (None, "-", "/dev/stdout"):
        return
    search = Search(roots=tuple(roots), tool="tar", excludes=tuple(excludes))
    found, complete = search_secrets(search, extra)
    if found or not complete:
        ctx.flag("secret-read", describe_search_refusal(search, found, complete, ctx.cwd)
                 .replace("searches", "streams"))


# --------------------------------------------------------------------------- environment

_URL_PASSWORD = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@]*:[^/\s@]+@")


def credential_names(environ: Mapping[str, str]) -> list[str]:
    """Names of variables in ``environ`` that look like they hold credentials
    (``*_TOKEN``, ``*_SECRET``, ``*_PASSWORD``, ``AWS_SECRET_ACCESS_KEY``…, or a URL
    with a password such as ``DATABASE_URL=postgres://u:pw@host/db``)."""
    from airlock.classify.credentials import NOT_SECRET_NAME, SECRET_NAME

    out = []
    for name, value in environ.items():
        if not value:
            continue
        if (SECRET_NAME.search(name) and not NOT_SECRET_NAME.match(name)) or \
                _URL_PASSWORD.match(value):
            out.append(name)
    return sorted(out)


def agent_environ() -> Mapping[str, str]:
    """The environment the agent's commands run in: this process's (the hook and
    ``airlock check`` inherit the agent's)."""
    return os.environ


def _dumps_environment(cmd: SimpleCommand) -> bool:
    prog = cmd.program
    words = [w.text for w in cmd.args]
    if prog == "env":
        i = 0
        while i < len(words):
            t = words[i]
            if t in ("-i", "--ignore-environment", "-"):
                return False  # prints only what the command line sets
            if t in ("-u", "--unset", "-C", "--chdir"):
                i += 2
                continue
            if t.startswith("-") or ("=" in t and not t.startswith("=")):
                i += 1
                continue
            return False  # runs a command (classified as that command)
        return True
    if prog in ("export", "declare", "typeset"):
        return all(w.startswith("-") and set(w[1:]) <= set("px") for w in words)
    if prog == "set":
        return not words
    return False


def _check_environment_dump(cmd: SimpleCommand, ctx: ClassifyContext) -> None:
    """``env``, ``export -p``, ``set``, ``declare -x``: every variable printed; a secret
    read when the environment holds credentials (``printenv`` with no names is judged
    in :func:`prints_secrets`)."""
    if not _dumps_environment(cmd):
        return
    names = credential_names(agent_environ())
    if names:
        shown = ", ".join(names[:3]) + (" …" if len(names) > 3 else "")
        ctx.flag("secret-read", f"{cmd.program} prints every variable, and the environment "
                 f"holds credentials ({shown}); print the variables you need by name")


# openssl subcommands that only ever output certificates (a private key in their input
# is not printed: ``x509`` loads the certificate of a PEM file and nothing else), and
# their options naming a certificate to read or a file to write.
_OPENSSL_CERT_ONLY = frozenset({"x509", "crl", "verify", "crl2pkcs7"})
_OPENSSL_CERT_FILES = frozenset({"-in", "-CAfile", "-untrusted", "-trusted", "-CRLfile",
                                 "-certfile", "-out"})


def read_operands(cmd: SimpleCommand) -> list[Word]:
    """The arguments of a reader that it may read (and show): not the destination of
    ``cp``/``scp``/``rsync`` (copying ``.env.example`` to ``.env.local`` writes
    ``.env.local``), not ``tee``'s files (it writes them), not the certificates of
    ``openssl x509``. Sources are always kept: ``cp .env /dev/stdout`` still reads
    ``.env``."""
    args = cmd.args
    prog = cmd.program
    if prog == "tee":
        return []
    if prog in ("cp", "scp", "rsync"):
        if prog == "cp" and any(
            w.dynamic or w.text.startswith("--t")
            or (w.text.startswith("-") and not w.text.startswith("--") and "t" in w.text)
            for w in args
        ):
            return list(args)  # cp -t DIR: every operand is a source
        operands = [i for i, w in enumerate(args) if not w.text.startswith("-")]
        if len(operands) >= 2 and operands[-1] == len(args) - 1:
            return list(args[:-1])
        return list(args)
    if prog == "openssl":
        return _openssl_reads(args)
    if prog in _GREPS or prog in ("rg", "ag"):
        return _search_reads(cmd)
    return list(args)


# options of grep, rg and ag whose value names a file they read
_SEARCH_FILE_OPTS = frozenset({"-f", "--file", "--exclude-from", "--ignore-file",
                               "--path-to-ignore", "-p"})


def _search_reads(cmd: SimpleCommand) -> list[Word]:
    """What grep, rg or ag read: their file operands and pattern files, not the pattern
    (``grep -r .env src`` searches for the text ".env") nor globs (``-g '!.env'``)."""
    prog = cmd.program
    if prog == "rg":
        p = _parse_opts(list(cmd.args), _RG_VALUE_SHORT, _RG_VALUE_LONG)
    elif prog == "ag":
        p = _parse_opts(list(cmd.args), _AG_VALUE_SHORT, _AG_VALUE_LONG)
    else:
        p = _parse_opts(list(cmd.args), _GREP_VALUE_SHORT, _GREP_VALUE_LONG)
    if p.dynamic:
        return list(cmd.args)
    files = [Word(v) for n, v in p.opts if n in _SEARCH_FILE_OPTS and v]
    given = prog != "ag" and p.has("-e", "-f", "--regexp", "--file")
    if prog == "rg" and p.has("--files"):
        given = True  # rg --files PATH…: no pattern
    return files + (p.operands if given else p.operands[1:])


def _openssl_reads(args: list[Word]) -> list[Word]:
    sub = next((i for i, w in enumerate(args) if not w.text.startswith("-")), None)
    if sub is None or args[sub].text not in _OPENSSL_CERT_ONLY or args[sub].dynamic:
        return list(args)
    out: list[Word] = []
    skip = False
    for i, w in enumerate(args):
        if skip:
            skip = False
            continue
        if i > sub and w.text in _OPENSSL_CERT_FILES:
            skip = True
            continue
        if i > sub and args[sub].text == "verify" and not w.text.startswith("-"):
            continue  # openssl verify CERT…
        out.append(w)
    return out
