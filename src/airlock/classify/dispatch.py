"""One simple command → the targets it touches.

Order of business for each command the shell parser found:

1. peel wrappers (``sudo``, ``env``, ``nice``, ``timeout``, ``nohup``, ``xargs``,
   ``command``, ``exec``…) down to the real program;
2. follow code that hides inside strings: ``bash -c``, ``sh -c``, ``eval``, a shell
   reading a script from stdin, ``find -exec``, inline interpreter code
   (``python -c``, ``node -e``…);
3. hand the command to the pack that knows the program; a program no pack knows is
   looked up in the catalogue of harmless programs, else judged by its arguments
   (``unknown.py``);
4. look at what every command also does: output redirections (``> file``), raw
   credential literals, reads of secret files, writes to Airlock's own guard files.
"""

from __future__ import annotations

import itertools
import os
import shlex
from collections.abc import Callable
from dataclasses import dataclass

from airlock.action import Risk, Target
from airlock.classify import credentials, guards, scripts, unknown, wrappers
from airlock.classify.code import classify_interpreter
from airlock.classify.command import (
    DYNAMIC,
    UNKNOWN_CWD,
    ClassifyContext,
    SimpleCommand,
    Word,
)
from airlock.classify.packs.base import Pack
from airlock.classify.shell import parse_script
from airlock.classify.shell_state import is_mktemp_path, shell_args
from airlock.classify.targets import path_targets, program_target, redirect_targets
from airlock.paths import is_critical, within

SHELLS = frozenset({"bash", "sh", "zsh", "dash", "ksh", "ash", "busybox", "fish", "mksh"})
INTERPRETERS = frozenset({"python", "python2", "python3", "pypy", "pypy3", "node", "nodejs",
                          "deno", "bun", "perl", "ruby", "php", "Rscript", "lua", "osascript"})

# Programs that only read, print or compute: a READ of the workspace. (Paths they read
# are still checked for secret files.)
READ_ONLY = frozenset({
    "ls", "ll", "la", "dir", "cat", "tac", "less", "more", "head", "tail", "grep", "egrep",
    "fgrep", "rg", "ag", "ack", "wc", "sort", "uniq", "cut", "tr", "column", "nl", "fold",
    "fmt", "pr", "paste", "join", "comm", "diff", "cmp", "diff3", "sdiff", "colordiff",
    "file", "stat", "du", "df", "tree", "find", "locate", "which", "whereis", "type",
    "command", "hash", "echo", "printf", "pwd", "date", "cal", "whoami", "id", "groups",
    "uname", "hostname", "uptime", "ps", "pgrep", "top", "htop", "free", "vmstat", "iostat",
    "env", "printenv", "true", "false", "test", "[", "[[", "sleep", "basename", "dirname",
    "realpath", "readlink", "md5sum", "sha1sum", "sha256sum", "sha512sum", "cksum", "b2sum",
    "base64", "xxd", "od", "hexdump", "strings", "jq", "yq", "xq", "man", "info", "help",
    "apropos", "history", "alias", "jobs", "fg", "bg", "wait", "cd", "pushd", "popd", "dirs",
    "set", "shopt", "export", "declare", "local", "readonly", "typeset", ":", "seq", "yes",
    "expr", "bc", "dc", "factor", "numfmt", "lsof", "netstat", "ss", "ip", "ifconfig", "ping",
    "traceroute", "dig", "nslookup", "host", "whois", "nproc", "lscpu", "lsblk", "lsusb",
    "lspci", "getconf", "tput", "clear", "tty", "zcat", "zless", "zgrep", "bzcat",
    "xzcat", "lz4cat", "tldr", "awk", "gawk", "mawk", "nawk", "sed", "gsed", "bat", "fd",
    "exa", "eza", "delta", "sha224sum", "sum"
})

Handler = Callable[[SimpleCommand, ClassifyContext, dict[str, Pack]], list[Target]]


@dataclass(frozen=True, slots=True)
class _Nested:
    """What packs and inline code reach through ``ctx.classify_source`` and
    ``ctx.classify_command``: dispatch, with the registry it was given."""

    registry: dict[str, Pack]

    def source(self, source: Word, ctx: ClassifyContext, what: str,
               args: tuple[Word, ...] | None = None) -> list[Target]:
        return _classify_source(source, ctx, self.registry, what, args)

    def command(self, cmd: SimpleCommand, ctx: ClassifyContext) -> list[Target]:
        return classify_command(cmd, ctx, self.registry)


def classify_command(cmd: SimpleCommand, ctx: ClassifyContext,
                     registry: dict[str, Pack]) -> list[Target]:
    if ctx.nested is None:
        ctx.nested = _Nested(registry)  # commands found inside this one come back here
    ctx = wrappers.command_context(cmd, ctx)
    targets = _classify_program(cmd, ctx, registry)
    targets.extend(redirect_targets(cmd, ctx))
    credentials.check_command(cmd, ctx)
    guards.check_reads(cmd, ctx)
    return targets


def _classify_program(cmd: SimpleCommand, ctx: ClassifyContext,
                      registry: dict[str, Pack]) -> list[Target]:
    if not cmd.argv:
        return []
    head = cmd.argv[0]
    if head.dynamic or is_mktemp_path(head.text):
        ctx.unparsed(f"the program name comes from a variable or command output: {head.shown!r}")
        return [_unknown(cmd, ctx, "program name is not known")]
    prog = cmd.program
    if "BASH_ENV" in cmd.env and prog not in SHELLS:
        # BASH_ENV=f make / ./x.sh: any bash the program starts reads f first
        without = cmd.with_argv(cmd.argv, "BASH_ENV")
        del without.env["BASH_ENV"]
        return _startup_files(cmd, ctx, registry, [], False) + \
            _classify_program(without, ctx, registry)
    carrier = CARRIERS.get(prog)
    if carrier is not None:
        found = carrier(cmd, ctx, registry)
        if found is not None:
            return found
    runner = _runner(cmd)
    if runner is not None:
        return _classify_program(runner, ctx, registry)
    wrapper = WRAPPERS.get(prog)
    if wrapper is not None:
        inner = wrapper(cmd)
        if inner is None:
            return [program_target(cmd, ctx, Risk.READ)]
        if inner.chdir is not None:
            ctx = wrappers.chdir_context(inner, ctx)
        return _classify_program(inner, ctx, registry)
    if prog in SHELLS:
        return _shell(cmd, ctx, registry)
    if prog == "eval":
        return _eval(cmd, ctx, registry)
    if prog in ("source", "."):
        if not cmd.args:
            return [program_target(cmd, ctx, Risk.READ)]
        return _script(cmd.args[0], cmd, ctx, registry)
    if prog == "alias":
        return _alias(cmd, ctx, registry)
    if prog == "find":
        return _find(cmd, ctx, registry)
    if prog in INTERPRETERS or _versioned_interpreter(prog):
        found = classify_interpreter(cmd, ctx)
        if found is not None:
            return found
    # ./x.sh, python x.py, make test, npm run build: what the file or recipe runs, and
    # what the command itself is (its program and arguments)
    ran = scripts.classify(cmd, ctx)
    if ran is not None:
        return ran + _by_program(cmd, ctx, registry)
    return _by_program(cmd, ctx, registry)


def _by_program(cmd: SimpleCommand, ctx: ClassifyContext,
                registry: dict[str, Pack]) -> list[Target]:
    prog = cmd.program
    pack = registry.get(prog)
    if pack is not None:
        return pack.classify(cmd, ctx) + _remote_command(cmd, ctx, registry)
    if prog in READ_ONLY:
        return _read_only(cmd, ctx)
    if prog == "ssh":
        return [program_target(cmd, ctx, Risk.WRITE), *_remote_command(cmd, ctx, registry)]
    # A program no pack knows: harmless if the catalogue lists it, else judged by its
    # arguments (destructive words, URLs, hosts, production names); a write in the
    # workspace when nothing in them says otherwise, never a read.
    return unknown.judge(cmd, ctx)


def _versioned_interpreter(prog: str) -> bool:
    return prog.startswith(("python3.", "python2.", "pypy3.", "ruby3.", "perl5.", "php8."))


def _unknown(cmd: SimpleCommand, ctx: ClassifyContext, why: str) -> Target:
    return Target(kind="command", name=cmd.text[:120], verb="shell.unknown",
                  risk=Risk.DESTRUCTIVE, tool="shell", locator="unknown:", detail=why,
                  unresolved=True)


def _read_only(cmd: SimpleCommand, ctx: ClassifyContext) -> list[Target]:
    # sed and awk are not here: their packs (``packs/streams.py``) read their scripts,
    # which can write files and run commands
    return [program_target(cmd, ctx, Risk.READ)]


# ---- wrappers ------------------------------------------------------------------------

def _skip_options(args: list[Word], with_value: frozenset[str], stop_at_nonopt: bool = True
                  ) -> list[Word]:
    i = 0
    while i < len(args):
        t = args[i].text
        if args[i].dynamic:
            return args[i:]
        if t == "--":
            return args[i + 1 :]
        if t.startswith("-") and len(t) > 1:
            if t in with_value or (t.startswith("--") and "=" not in t and t in with_value):
                i += 2
                continue
            i += 1
            continue
        if stop_at_nonopt:
            return args[i:]
        i += 1
    return []


def _wrap(name: str, with_value: frozenset[str] = frozenset(), positional_before: int = 0
          ) -> Callable[[SimpleCommand], SimpleCommand | None]:
    def peel(cmd: SimpleCommand) -> SimpleCommand | None:
        rest = _skip_options(cmd.args, with_value)
        rest = rest[positional_before:]
        if not rest:
            return None
        return cmd.with_argv(rest, name)
    return peel


def _timeout(cmd: SimpleCommand) -> SimpleCommand | None:
    rest = _skip_options(cmd.args, frozenset({"-s", "--signal", "-k", "--kill-after"}))
    return cmd.with_argv(rest[1:], "timeout") if len(rest) > 1 else None


WRAPPERS: dict[str, Callable[[SimpleCommand], SimpleCommand | None]] = {
    "sudo": wrappers.peel_sudo,
    "doas": wrappers.peel_sudo,
    "run0": wrappers.peel_sudo,
    "pkexec": wrappers.peel_sudo,
    "env": wrappers.peel_env,
    "nice": _wrap("nice", frozenset({"-n", "--adjustment"})),
    "ionice": _wrap("ionice", frozenset({"-c", "-n", "-p", "-t", "--class", "--classdata"})),
    "nohup": _wrap("nohup"),
    "time": _wrap("time", frozenset({"-f", "-o", "--format", "--output"})),
    "command": _wrap("command"),
    "builtin": _wrap("builtin"),
    "exec": _wrap("exec", frozenset({"-a"})),
    "stdbuf": _wrap("stdbuf", frozenset({"-i", "-o", "-e"})),
    "timeout": _timeout,
    "setsid": _wrap("setsid"),
    "chronic": _wrap("chronic"),
    "unbuffer": _wrap("unbuffer"),
    "caffeinate": _wrap("caffeinate", frozenset({"-t", "-w"})),
    "torsocks": _wrap("torsocks"),
    "proxychains": _wrap("proxychains", frozenset({"-f"})),
    "strace": _wrap("strace", frozenset({"-e", "-o", "-p", "-s", "-u"})),
    "ltrace": _wrap("ltrace", frozenset({"-e", "-o", "-p", "-s", "-u"})),
    "chroot": _wrap("chroot", frozenset({"--userspec", "--groups"}), positional_before=1),
}


# Tools that run another command, often with credentials injected into its
# environment: (program, subcommand words) → options that take a value. The inner
# command is what matters (`railway run -- curl … volumeDelete`).
RUNNERS: dict[tuple[str, ...], frozenset[str]] = {
    ("railway", "run"): frozenset({"-s", "--service", "-e", "--environment", "-p",
                                   "--project"}),
    ("doppler", "run"): frozenset({"-p", "--project", "-c", "--config", "--token",
                                   "--command"}),
    ("op", "run"): frozenset({"--env-file", "--account"}),
    ("infisical", "run"): frozenset({"--env", "--path", "--projectId", "--token",
                                     "--command"}),
    ("aws-vault", "exec"): frozenset({"-d", "--duration", "--region"}),
    ("uv", "run"): frozenset({"--with", "--python", "-p", "--project", "--directory",
                              "--package", "--env-file", "--extra", "--group"}),
    ("poetry", "run"): frozenset(),
    ("pipenv", "run"): frozenset(),
    ("pdm", "run"): frozenset(),
    ("hatch", "run"): frozenset(),
    ("bundle", "exec"): frozenset(),
    ("pnpm", "exec"): frozenset(),
    ("pnpm", "dlx"): frozenset(),
    ("yarn", "exec"): frozenset(),
    ("npx",): frozenset({"-p", "--package", "-c", "--call"}),
    ("bunx",): frozenset(),
    ("dotenv",): frozenset({"-f", "-e", "-v"}),
    ("env-cmd",): frozenset({"-f", "--file", "-e", "--environments"}),
}


def _runner(cmd: SimpleCommand) -> SimpleCommand | None:
    """The inner command of ``railway run …``, ``doppler run -- …``, ``npx …`` etc."""
    prog = cmd.program
    args = cmd.args
    for key, with_value in RUNNERS.items():
        if key[0] != prog:
            continue
        subs = key[1:]
        if len(args) < len(subs) or any(a.text != s for a, s in zip(args, subs, strict=False)):
            continue
        rest = args[len(subs):]
        if prog == "aws-vault":  # aws-vault exec PROFILE -- cmd
            rest = _skip_options(rest, with_value)[1:]
        inner = _skip_options(rest, with_value)
        if prog == "dotenv" and inner[:1] and inner[0].text == "run":
            inner = _skip_options(inner[1:], with_value)
        if not inner:
            return None
        return cmd.with_argv(inner, "-".join(key))
    return None


# ---- commands run somewhere else: containers, pods, machines ---------------------------

_DOCKER_EXEC_VALUE = frozenset({"-e", "--env", "-u", "--user", "-w", "--workdir",
                                "--env-file", "--detach-keys"})
_DOCKER_RUN_VALUE = _DOCKER_EXEC_VALUE | frozenset({
    "-v", "--volume", "--mount", "--name", "-p", "--publish", "--entrypoint", "--network",
    "--net", "--platform", "-l", "--label", "--cpus", "-m", "--memory", "--restart", "-h",
    "--hostname", "--add-host", "--device", "--cap-add", "--cap-drop", "--security-opt",
    "--tmpfs", "--ulimit", "--log-driver", "--log-opt", "--pull", "--gpus", "--shm-size",
    "--volumes-from", "--pid", "--ipc", "--dns", "--link", "--expose", "--cidfile",
    "--runtime", "--stop-signal", "--stop-timeout", "--health-cmd", "-c", "--cpu-shares",
    "--group-add", "--init-path", "--ip", "--mac-address", "--memory-swap", "--userns",
    "--uts", "--workdir", "--label-file", "--cgroupns", "--attach", "-a"})
_SSH_VALUE = frozenset({"-p", "-i", "-l", "-o", "-F", "-J", "-L", "-R", "-D", "-b", "-c",
                        "-E", "-e", "-I", "-m", "-O", "-Q", "-S", "-W", "-w", "-B"})


def _remote_command(cmd: SimpleCommand, ctx: ClassifyContext,
                    registry: dict[str, Pack]) -> list[Target]:
    """The command a container, pod or remote machine would run (``docker exec api
    rm -rf /data``, ``kubectl exec … -- cmd``, ``fly ssh console -C 'cmd'``, ``ssh host
    cmd``). Its paths are the other side's, which resolve to ``unknown`` here unless
    they are temp dirs: destructive commands there are held like any unknown target.
    ``docker run -v /:/host`` also hands the host's critical directories to the
    container, which is held on its own."""
    prog = cmd.program
    args = cmd.args
    words = [w.text for w in args]
    inner: list[Word] = []
    source: Word | None = None
    out: list[Target] = []
    if prog in ("docker", "podman", "nerdctl") and words[:1] in (["exec"], ["run"], ["container"]):
        rest = args[1:]
        if words[0] == "container" and words[1:2] in (["exec"], ["run"]):
            rest = args[2:]
        verb = words[1] if words[0] == "container" else words[0]
        with_value = _DOCKER_RUN_VALUE if verb == "run" else _DOCKER_EXEC_VALUE
        i = 0
        while i < len(rest):
            t = rest[i].text
            if t == "--":
                i += 1
                break
            if not t.startswith("-") or rest[i].dynamic:
                break
            name, eq, value = t.partition("=")
            if name in ("-v", "--volume", "--mount"):
                mount = value if eq else (rest[i + 1].text if i + 1 < len(rest) else "")
                out.extend(_host_mount(mount, ctx, prog))
            i += 1 if eq or name not in with_value else 2
        inner = rest[i + 1 :]  # after the container or image
    elif prog in ("kubectl", "oc") and "exec" in words and "--" in words:
        inner = args[words.index("--") + 1 :]
    elif prog in ("fly", "flyctl") and words[:2] == ["ssh", "console"]:
        for i, t in enumerate(words):
            if t in ("-C", "--command") and i + 1 < len(args):
                source = args[i + 1]
            elif t.startswith("--command="):
                source = Word(t.split("=", 1)[1], args[i].dynamic)
    elif prog == "ssh":
        rest = _skip_options(args, _SSH_VALUE)
        if len(rest) > 1:
            dynamic = any(w.dynamic for w in rest[1:])
            source = Word(" ".join(w.text for w in rest[1:]), dynamic)
    if source is not None:
        out.extend(_classify_source(source, ctx, registry, f"{prog} remote command"))
    elif inner:
        out.extend(_classify_program(cmd.with_argv(inner, prog), ctx, registry))
    return out


def _host_mount(spec: str, ctx: ClassifyContext, prog: str) -> list[Target]:
    """``-v /:/host`` or ``--mount type=bind,source=/etc,…``: the host path exposed."""
    if "source=" in spec or "src=" in spec:
        fields = dict(p.partition("=")[::2] for p in spec.split(","))
        host = fields.get("source") or fields.get("src") or ""
    else:
        host = spec.split(":", 1)[0]
    if not host.startswith(("/", "~", ".")):
        return []  # a named volume
    path = ctx.abspath(host)
    readonly = spec.endswith(":ro") or ",readonly" in spec or ",ro" in spec
    ws = ctx.workspace()
    if readonly or within(path, ws) or not is_critical(path, home=ctx.home, workspace=ws):
        return []  # a project mounted into its container is routine
    return [Target(kind="directory", name=path, verb=f"{prog}.mount_host", risk=Risk.DESTRUCTIVE,
                   tool=prog, locator=f"path:{path}",
                   detail="gives a container write access to a system or home directory")]


# ---- code hidden in strings -----------------------------------------------------------

def _classify_source(source: Word, ctx: ClassifyContext, registry: dict[str, Pack],
                     what: str, args: tuple[Word, ...] | None = None) -> list[Target]:
    if source.dynamic:
        ctx.unparsed(f"{what}: the code comes from a variable or command output")
        return [Target(kind="command", name=source.shown[:120], verb="shell.unknown",
                       risk=Risk.DESTRUCTIVE, tool="shell", locator="unknown:",
                       detail=f"{what} with code Airlock cannot see", unresolved=True)]
    inner_ctx = ctx.deeper()
    inner_ctx.shell_args = args  # $0 $1 … (bash -c CMD NAME ARGS), None: unknown
    targets: list[Target] = []
    for inner in parse_script(source.text, inner_ctx):
        targets.extend(classify_command(inner, inner_ctx, registry))
    return targets


_SHELL_LONG_VALUE = frozenset({"--rcfile", "--init-file"})
_FISH_VALUE = frozenset({"-c", "--command", "-C", "--init-command", "-p", "--profile", "-d",
                         "--debug", "-o", "--debug-output", "-f", "--features"})


def _shell(cmd: SimpleCommand, ctx: ClassifyContext, registry: dict[str, Pack]) -> list[Target]:
    """``bash -c CMD [ARG0 ARGS]``, ``sh -ec``, ``zsh -lc``, ``bash -c -- CMD``, ``bash
    x.sh ARGS``, ``bash -s ARGS < x.sh``, ``fish -c CMD``: the code the shell runs, and
    the files it reads before it (``BASH_ENV``, ``ENV``, ``--rcfile``,
    ``$ZDOTDIR/.zshenv``, exported functions ``BASH_FUNC_x%%``)."""
    args = cmd.args
    prog = cmd.program
    if prog == "busybox" and args:
        return _classify_program(cmd.with_argv(args, "busybox"), ctx, registry)
    command_mode = interactive = stdin_mode = False
    sources: list[Word] = []  # fish -c CMD, -C CMD
    rcfiles: list[Word] = []
    i = 0
    while i < len(args):
        w = args[i]
        t = w.text
        if w.dynamic:
            break
        if t in ("--", "-"):
            i += 1
            break
        name, eq, val = t.partition("=")
        if prog == "fish" and name in _FISH_VALUE:
            given = Word(val) if eq else (args[i + 1] if i + 1 < len(args) else None)
            i += 1 if eq else 2
            if name in ("-c", "--command", "-C", "--init-command"):
                if given is None:
                    ctx.unparsed(f"{prog} {name} without a command")
                    return [_unknown(cmd, ctx, "shell -c without a command")]
                sources.append(given)
                command_mode = command_mode or name in ("-c", "--command")
            continue
        if t.startswith("--"):
            if name in _SHELL_LONG_VALUE:
                given = Word(val) if eq else (args[i + 1] if i + 1 < len(args) else None)
                if given is not None:
                    rcfiles.append(given)
                i += 1 if eq else 2
                continue
            interactive = interactive or t == "--interactive"
            i += 1
            continue
        if t.startswith(("-", "+")) and len(t) > 1:
            letters = t[1:]
            if t[0] == "-":
                command_mode = command_mode or "c" in letters
                interactive = interactive or "i" in letters
                stdin_mode = stdin_mode or "s" in letters  # bash -s ARGS: code on stdin
            i += 1 + letters.count("o") + letters.count("O")  # -o NAME, -O NAME
            continue
        break
    rest = args[i:]
    interactive = interactive or (not command_mode and not rest and cmd.stdin is None)
    targets = _startup_files(cmd, ctx, registry, rcfiles, interactive)
    for source in sources:
        targets.extend(_classify_source(source, ctx, registry, f"{prog} -c"))
    if sources:
        return targets
    if command_mode:
        if not rest:
            ctx.unparsed(f"{prog} -c without a command")
            return [*targets, _unknown(cmd, ctx, "shell -c without a command")]
        # bash -c CMD NAME ARGS: NAME is $0, ARGS are $1…
        return targets + _classify_source(rest[0], ctx, registry, f"{prog} -c",
                                          shell_args(rest[1:] or [Word(prog)]))
    if rest and not stdin_mode:
        return targets + _script(rest[0], cmd, ctx, registry, shell_args(rest))
    if cmd.stdin is not None and not cmd.stdin_unknown:
        return targets + _classify_source(Word(cmd.stdin), ctx, registry,
                                          f"{prog} reading stdin")
    if cmd.stdin_unknown:
        ctx.unparsed(f"{prog} runs a script from a pipe or file Airlock cannot see")
        return [*targets, _unknown(cmd, ctx, "script piped into a shell")]
    return [*targets, program_target(cmd, ctx, Risk.WRITE)]  # an interactive shell


_PROMPTS = ("PROMPT_COMMAND", "PS0", "PS1", "PS2", "PS4")


def _startup_files(cmd: SimpleCommand, ctx: ClassifyContext, registry: dict[str, Pack],
                   rcfiles: list[Word], interactive: bool) -> list[Target]:
    """What a shell runs before its own code: ``BASH_ENV`` (bash, every non-interactive
    run), ``ENV`` (an interactive ``sh``/``ksh``), ``--rcfile``/``--init-file``,
    ``$ZDOTDIR/.zshenv`` and the other zsh startup files, functions imported from the
    environment (``BASH_FUNC_ls%%='() { …; }'``), and prompt strings that run commands.
    The variables are the command's prefixes (``BASH_ENV=x bash``) or literal assignments
    earlier in the action (``export BASH_ENV=x; bash``)."""
    prog = cmd.program
    env = cmd.env
    if not env and not ctx.environ and not rcfiles:
        return []  # the common case

    def var(name: str) -> Word | None:
        if name in env:
            return env[name]
        return Word(ctx.environ[name]) if name in ctx.environ else None

    files: list[tuple[str, Word]] = [("--rcfile", w) for w in rcfiles]
    if prog == "bash" or "BASH_ENV" in env:
        found = var("BASH_ENV")
        if found is not None:
            files.append(("BASH_ENV", found))
    if interactive:
        found = var("ENV")
        if found is not None:
            files.append(("ENV", found))
    if prog == "zsh":
        zdot = var("ZDOTDIR")
        if zdot is not None:
            for name in (".zshenv", ".zprofile", ".zshrc", ".zlogin"):
                files.append(("ZDOTDIR", Word(os.path.join(zdot.text, name), zdot.dynamic)))
    targets: list[Target] = []
    for what, w in files:
        if w.dynamic or "$" in w.text or "`" in w.text:
            ctx.unparsed(f"{prog} reads {what} {w.shown!r}, a file Airlock cannot name "
                         "(it comes from a variable, or the shell expands it)")
            targets.append(_unknown(cmd, ctx, f"{what} names a file Airlock cannot see"))
            continue
        if w.text:
            found_targets = scripts.shell_script(w, cmd, ctx)
            targets.extend(found_targets or [])
    names = list(env) + [n for n in ctx.environ if n not in env]
    for name in names:
        if name.startswith("BASH_FUNC_"):
            body = var(name) or Word("")
            fn = name[len("BASH_FUNC_"):].rstrip("%") or "f"
            # the function runs when the code calls it: walk it as called
            targets.extend(_classify_source(Word(f"{fn} {body.text}\n{fn}", body.dynamic),
                                            ctx, registry, f"{prog} imports function {fn}"))
        elif name in _PROMPTS:
            text = var(name) or Word("")
            if name == "PROMPT_COMMAND" or "$(" in text.text or "`" in text.text:
                source = text if name == "PROMPT_COMMAND" else Word(": " + text.text,
                                                                     text.dynamic)
                targets.extend(_classify_source(source, ctx, registry, f"{prog} {name}"))
    return targets


def _script(path: Word, cmd: SimpleCommand, ctx: ClassifyContext,
            registry: dict[str, Pack], args: tuple[Word, ...] | None = None) -> list[Target]:
    """``bash script.sh``, ``source env.sh``: read the script and classify what it runs
    (``scripts.py``). A script that does not exist runs nothing: a write in the
    workspace, as the program would be."""
    found = scripts.shell_script(path, cmd, ctx, args)
    if found is not None:
        return found
    return path_targets([path], ctx, verb="shell.run_script", risk=Risk.WRITE,
                        tool=cmd.program, kind="file")


def _alias(cmd: SimpleCommand, ctx: ClassifyContext, registry: dict[str, Pack]) -> list[Target]:
    """``alias ll='rm -rf /'``: the body runs whenever the alias is used, so classify it."""
    targets: list[Target] = []
    for w in cmd.args:
        name, eq, body = w.text.partition("=")
        if eq and body:
            targets.extend(_classify_source(Word(body, w.dynamic), ctx, registry,
                                            f"alias {name}"))
    return targets or [program_target(cmd, ctx, Risk.READ)]


def _eval(cmd: SimpleCommand, ctx: ClassifyContext, registry: dict[str, Pack]) -> list[Target]:
    if not cmd.args:
        return []
    dynamic = any(w.dynamic for w in cmd.args)
    source = Word(" ".join(w.text for w in cmd.args), dynamic=dynamic)
    return _classify_source(source, ctx, registry, "eval")


# ---- commands carried by builtins: trap, coproc, hash, enable; xargs; make -f - ------------

def _trap(cmd: SimpleCommand, ctx: ClassifyContext, registry: dict[str, Pack]
          ) -> list[Target] | None:
    """``trap 'ACTION' SIGNAL…``: the action runs when the signal comes — at the end
    (``EXIT``) or at any point — with the values variables have then, which a later line
    may have changed: they are unknown to it. ``trap -p``, ``trap - SIG`` and ``trap ''
    SIG`` run nothing."""
    args = cmd.args
    if args and args[0].text == "--" and not args[0].dynamic:
        args = args[1:]
    if len(args) < 2 or (args[0].text.startswith("-") and not args[0].dynamic):
        return [program_target(cmd, ctx, Risk.READ)]  # list, print or reset
    action = args[0]
    if not action.dynamic and not action.text.strip():
        return [program_target(cmd, ctx, Risk.READ)]  # ignore the signals
    run_ctx = ctx.at(ctx.cwd)
    run_ctx.environ.clear()
    return _classify_source(action, run_ctx, registry, "trap")


def _coproc(cmd: SimpleCommand, ctx: ClassifyContext, registry: dict[str, Pack]
            ) -> list[Target] | None:
    """``coproc CMD ARGS``, ``coproc NAME { CMD; }``: the command runs in the
    background. tree-sitter reads ``coproc`` as a command whose words follow it (the
    rest of a ``{ …; }`` body comes as the next commands, already classified); a
    ``coproc ( … )`` subshell is not handed over at all, so a bare ``coproc`` is held."""
    rest = list(cmd.args)
    if len(rest) >= 2 and rest[1].text in ("{", "(") and not rest[1].dynamic:
        rest = rest[2:]  # coproc NAME { CMD
    elif rest and rest[0].text in ("{", "(") and not rest[0].dynamic:
        rest = rest[1:]
    if not rest:
        ctx.unparsed("coproc: the command it runs is not one Airlock can see")
        return [_unknown(cmd, ctx, "coproc without a simple command")]
    return _classify_program(cmd.with_argv(rest, "coproc"), ctx, registry)


def _hash(cmd: SimpleCommand, ctx: ClassifyContext, registry: dict[str, Pack]
          ) -> list[Target] | None:
    """``hash -p /bin/rm ls``: from then on ``ls`` runs ``/bin/rm``, so every later
    command is not what it says. Held unless the path names the same program."""
    words = cmd.args
    for i, w in enumerate(words):
        if w.text.startswith("-") and "p" in w.text and not w.dynamic:
            path = words[i + 1] if i + 1 < len(words) else None
            names = [n for n in words[i + 2 :] if not n.text.startswith("-")]
            if path is None or path.dynamic or any(n.dynamic for n in names) or any(
                    os.path.basename(path.text) != n.text for n in names):
                shown = path.shown if path is not None else "?"
                ctx.unparsed(f"hash -p {shown} renames a program: later commands do not "
                             "run what their name says")
                return [_unknown(cmd, ctx, "hash -p binds a name to another program")]
    return [program_target(cmd, ctx, Risk.READ)]


def _enable(cmd: SimpleCommand, ctx: ClassifyContext, registry: dict[str, Pack]
            ) -> list[Target] | None:
    """``enable -f lib.so NAME`` loads code from a shared object as a builtin."""
    if any((w.text.startswith("-") and "f" in w.text) or w.dynamic for w in cmd.args):
        ctx.unparsed("enable -f loads a builtin from a shared object Airlock cannot read")
        return [_unknown(cmd, ctx, "enable -f loads compiled code")]
    return None


_XARGS_VALUE = "aEILnPdsJRS"  # GNU and BSD short options that take a value
_XARGS_OPTIONAL = "eil"  # GNU: -i[R], -e[EOF], -l[N]: a value only when attached
_XARGS_LONG_VALUE = frozenset({"--arg-file", "--delimiter", "--max-args", "--max-procs",
                               "--max-chars", "--process-slot-var"})
MAX_XARGS_COMMANDS = 16


def _xargs(cmd: SimpleCommand, ctx: ClassifyContext, registry: dict[str, Pack]
           ) -> list[Target] | None:
    targets: list[Target] = []
    for inner in _xargs_commands(cmd, ctx):
        targets.extend(_classify_program(inner, ctx, registry))
    return targets


def _xargs_commands(cmd: SimpleCommand, ctx: ClassifyContext) -> list[SimpleCommand]:
    """The commands ``xargs`` runs: the template with its input appended, or put where
    the replace string is (``-I R``, ``-i``, ``--replace``: one command per input line;
    BSD ``-J R``: every input in place of the one argument ``R``). The input is stdin
    when it is known (``echo / | xargs rm -rf``) or the ``-a FILE`` Airlock reads; split
    by xargs' rules (quotes and backslashes, shlex's POSIX rules); what it cannot see or
    split the same way (``-0``, ``-d``) is one unknown argument."""
    args = cmd.args
    replace: str | None = None
    bsd_replace: str | None = None
    delimited = False
    arg_file: Word | None = None
    i = 0
    while i < len(args):
        w = args[i]
        t = w.text
        if w.dynamic or not t.startswith("-") or t == "-":
            break
        if t == "--":
            i += 1
            break
        nxt = args[i + 1] if i + 1 < len(args) else None
        if t.startswith("--"):
            name, eq, val = t.partition("=")
            given = Word(val) if eq else nxt
            if name in ("--null", "--delimiter"):
                delimited = True
            elif name == "--replace":
                replace = val if eq else "{}"
            elif name == "--arg-file":
                arg_file = given
            i += 2 if name in _XARGS_LONG_VALUE and not eq else 1
            continue
        step = 1
        for j, ch in enumerate(t[1:], 1):
            attached = t[j + 1 :]
            if ch in _XARGS_VALUE:
                given = Word(attached) if attached else nxt
                step = 1 if attached else 2
                val = given.text if given is not None else ""
                if ch == "I":
                    replace = val
                elif ch == "J":
                    bsd_replace = val
                elif ch == "d":
                    delimited = True
                elif ch == "a":
                    arg_file = given
                break
            if ch in _XARGS_OPTIONAL:
                if ch == "i":
                    replace = attached or "{}"
                break
            if ch == "0":
                delimited = True
        i += step
    rest = args[i:] or [Word("echo")]
    text: str | None = None
    if arg_file is not None:
        text = None if arg_file.dynamic else ctx.read_small_file(arg_file.text)
    elif cmd.stdin is not None and not cmd.stdin_unknown:
        text = cmd.stdin
    known: list[str] | None = None
    if text is not None and not delimited:
        if replace:
            known = [line.strip() for line in text.splitlines() if line.strip()]
        else:
            try:
                known = shlex.split(text)
            except ValueError:
                known = None
    if known is not None and not 0 < len(known) <= 64:
        known = None
    unknown = Word(DYNAMIC, dynamic=True)
    argvs: list[list[Word]]
    if replace:
        if known is not None and len(known) <= MAX_XARGS_COMMANDS:
            argvs = [[Word(w.text.replace(replace, value)) if replace in w.text else w
                      for w in rest] for value in known]
        else:
            argvs = [[Word(w.text.replace(replace, DYNAMIC), True) if replace in w.text
                      else w for w in rest]]
    elif bsd_replace:
        items = [Word(k, glob=any(c in "*?[" for c in k)) for k in known] \
            if known is not None else [unknown]
        argvs = [[x for w in rest for x in (items if w.text == bsd_replace else [w])]]
    else:
        argvs = [[*rest, *(Word(k, glob=any(c in "*?[" for c in k)) for k in known)]
                 if known is not None else [*rest, unknown]]
    out: list[SimpleCommand] = []
    for argv in argvs:
        inner = cmd.with_argv(argv, "xargs")
        inner.stdin = None
        inner.stdin_unknown = False
        out.append(inner)
    return out


def _make_stdin(cmd: SimpleCommand, ctx: ClassifyContext, registry: dict[str, Pack]
                ) -> list[Target] | None:
    """``… | make -f -``: the makefile is stdin. Known text is read as a makefile would
    be (``scripts.py``); stdin Airlock cannot see is held. Other make commands: None
    (``scripts.py`` reads their makefiles)."""
    args = cmd.args
    reads_stdin = False
    for i, w in enumerate(args):
        t = w.text
        nxt = args[i + 1].text if i + 1 < len(args) and not args[i + 1].dynamic else ""
        if t in ("-f-", "--file=-", "--makefile=-") or (
                nxt == "-" and (t in ("--file", "--makefile") or
                                (t.startswith("-") and not t.startswith("--")
                                 and t.endswith("f")))):
            reads_stdin = True
    if args and args[-1].text in ("-f", "--file", "--makefile") and cmd.stdin is not None:
        # `make -f - <<EOF`: tree-sitter drops a `-` before `<<`; make itself would refuse
        # a -f without a file, so this is the heredoc makefile
        reads_stdin = True
    if not reads_stdin:
        return None
    if cmd.stdin is None or cmd.stdin_unknown:
        ctx.unparsed("make -f -: the makefile comes from stdin, which Airlock cannot see")
        return [_unknown(cmd, ctx, "make reads a makefile from stdin")]
    goals: list[str] = []
    overrides: dict[str, str] = {}
    skip = False
    for w in args:
        t = w.text
        if skip:
            skip = False
            continue
        if w.dynamic or t in ("-C", "--directory", "-I", "--include-dir", "-E") or \
                t.startswith(("--eval", "--directory=", "-C")) or \
                (t.startswith(("-f", "--file", "--makefile")) and t not in (
                    "-f", "-f-", "--file", "--makefile", "--file=-", "--makefile=-")):
            ctx.unparsed(f"make -f - with {w.shown}: Airlock reads a makefile from stdin "
                         "only on its own")
            return [_unknown(cmd, ctx, "make reads a makefile from stdin")]
        if t in ("-f", "--file", "--makefile", "-o", "-W", "-l", "-j", "-O"):
            skip = t not in ("-j", "-l", "-O")
            continue
        if t.startswith("-"):
            continue
        name, eq, value = t.partition("=")
        if eq:
            overrides[name] = value
        else:
            goals.append(t)
    mk = scripts._Makefile(cmd, ctx, ctx.cwd, overrides)
    mk._parse(cmd.stdin, "<stdin>")
    if not mk.problem:
        mk.run_shells()
        for goal in goals or ([mk.default] if mk.default else []):
            mk.follow(goal)
    if mk.problem:
        ctx.unparsed(mk.problem)
        return [_unknown(cmd, ctx, mk.problem)]
    return [*mk.targets, program_target(cmd, ctx, Risk.WRITE)]


Carrier = Callable[[SimpleCommand, ClassifyContext, dict[str, Pack]], list[Target] | None]
CARRIERS: dict[str, Carrier] = {
    "trap": _trap,
    "coproc": _coproc,
    "hash": _hash,
    "enable": _enable,
    "xargs": _xargs,
    "make": _make_stdin,
    "gmake": _make_stdin,
}


_FIND_TESTS = frozenset({"-name", "-iname", "-path", "-ipath", "-regex", "-iregex", "-type",
                         "-mtime", "-mmin", "-atime", "-amin", "-ctime", "-cmin", "-newer",
                         "-size", "-user", "-group", "-perm", "-empty", "-wholename",
                         "-iwholename", "-links", "-inum", "-samefile", "-lname", "-ilname"})
_FIND_VALUE = _FIND_TESTS - {"-empty"} | {"-maxdepth", "-mindepth", "-printf", "-newerXY",
                                         "-regextype", "-context", "-used", "-uid", "-gid",
                                         "-fstype", "-xtype"}
_FIND_WRITES = {"-fprint": 1, "-fprint0": 1, "-fls": 1, "-fprintf": 2}  # FILE [FORMAT]


def _find(cmd: SimpleCommand, ctx: ClassifyContext, registry: dict[str, Pack]) -> list[Target]:
    """``find ROOT… EXPR``: ``-delete`` deletes the matches under every root; ``-exec``,
    ``-execdir``, ``-ok`` run their command once per match (``{}`` is a match under each
    root in turn); ``-fprint FILE`` writes FILE. Roots from ``-files0-from`` are unknown."""
    args = cmd.args
    roots: list[Word] = []
    i = 0
    while i < len(args) and args[i].text in ("-H", "-L", "-P", "-O1", "-O2", "-O3", "-D"):
        i += 2 if args[i].text == "-D" else 1
    while i < len(args) and not (args[i].text.startswith(("-", "(", "!")) and not args[i].dynamic):
        roots.append(args[i])
        i += 1
    expr = args[i:]
    if any(w.text == "-files0-from" for w in expr):
        roots = [Word(DYNAMIC, dynamic=True)]  # the roots are in a file
    if not roots:
        roots = [Word(".")]
    filtered = any(w.text in _FIND_TESTS for w in expr)
    # what the matches are called: the -name test when there is one, else anything
    name_pattern = "*"
    for a, b in itertools.pairwise(expr):
        if a.text in ("-name", "-iname") and not b.dynamic and "/" not in b.text:
            name_pattern = b.text
            break
    targets: list[Target] = []
    j = 0
    while j < len(expr):
        t = expr[j].text
        if t == "-delete":
            for root in roots:
                matches = Word(os.path.join(root.text, name_pattern), root.dynamic,
                               glob=True) if filtered else root
                targets.extend(path_targets([matches], ctx, verb="fs.delete", risk=Risk.WRITE,
                                            tool="find", kind="directory", recursive=True,
                                            delete=True))
        elif t in ("-exec", "-execdir", "-ok", "-okdir"):
            k = j + 1
            template: list[Word] = []
            while k < len(expr) and expr[k].text not in (";", "+"):
                template.append(expr[k])
                k += 1
            for root in roots if template else []:
                # each found path lies under the root and matches the -name test
                found = os.path.join(root.text, name_pattern)
                inner = [Word(w.text.replace("{}", found), w.dynamic or root.dynamic,
                              glob=True) if "{}" in w.text else w for w in template]
                run = cmd.with_argv(inner, "find")
                if t in ("-execdir", "-okdir"):
                    run.cwd = UNKNOWN_CWD if root.dynamic else ctx.abspath(root.text)
                targets.extend(_classify_program(run, ctx.at(run.cwd) if run.cwd else ctx,
                                                 registry))
            j = k
        elif t in _FIND_WRITES and j + 1 < len(expr):
            targets.extend(path_targets([expr[j + 1]], ctx, verb="fs.write", risk=Risk.WRITE,
                                        tool="find", kind="file"))
            j += _FIND_WRITES[t]
        elif t in _FIND_VALUE or t == "-files0-from":
            j += 1
        j += 1
    if not targets:
        targets.append(program_target(cmd, ctx, Risk.READ))
    return targets
