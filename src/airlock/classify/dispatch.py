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
from airlock.classify import credentials, guards, inline, scripts, unknown
from airlock.classify.command import (
    DYNAMIC,
    ClassifyContext,
    SimpleCommand,
    Word,
    split_options,
)
from airlock.classify.packs.base import Pack
from airlock.classify.shell import parse_script
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

    def source(self, source: Word, ctx: ClassifyContext, what: str) -> list[Target]:
        return _classify_source(source, ctx, self.registry, what)

    def command(self, cmd: SimpleCommand, ctx: ClassifyContext) -> list[Target]:
        return classify_command(cmd, ctx, self.registry)


def classify_command(cmd: SimpleCommand, ctx: ClassifyContext,
                     registry: dict[str, Pack]) -> list[Target]:
    if ctx.nested is None:
        ctx.nested = _Nested(registry)  # commands found inside this one come back here
    if cmd.cwd is not None and cmd.cwd != ctx.cwd:
        ctx = ctx.at(cmd.cwd)  # an earlier `cd` in the same action moved it
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
    if head.dynamic:
        ctx.unparsed(f"the program name comes from a variable or command output: {head.shown!r}")
        return [_unknown(cmd, ctx, "program name is not known")]
    prog = cmd.program
    runner = _runner(cmd)
    if runner is not None:
        return _classify_program(runner, ctx, registry)
    wrapper = WRAPPERS.get(prog)
    if wrapper is not None:
        inner = wrapper(cmd)
        if inner is None:
            return [program_target(cmd, ctx, Risk.READ)]
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
        found = inline.classify_interpreter(cmd, ctx)
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
    prog = cmd.program
    if prog in ("sed", "gsed"):
        _pos, opts = split_options(cmd.args, {"-e", "-f", "--expression", "--file"})
        if "-i" in opts or "--in-place" in opts or any(
            w.text.startswith("-i") and not w.dynamic for w in cmd.args
        ):
            script_consumed = "-e" in opts or "--expression" in opts or "-f" in opts
            files = _pos if script_consumed else _pos[1:]
            return path_targets(files, ctx, verb="fs.edit", risk=Risk.WRITE, tool="sed",
                                kind="file") or [program_target(cmd, ctx, Risk.WRITE)]
    if prog in ("awk", "gawk", "mawk", "nawk"):
        script = next((w for w in cmd.args if not w.text.startswith("-")), None)
        if script is not None and ("system(" in script.text or "|" in script.text
                                   or ">" in script.text):
            ctx.unparsed("awk program runs commands or writes files")
            return [_unknown(cmd, ctx, "awk program with system() or output redirection")]
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


def _env(cmd: SimpleCommand) -> SimpleCommand | None:
    args = cmd.args
    env = dict(cmd.env)
    i = 0
    while i < len(args):
        t = args[i].text
        if args[i].dynamic and "=" not in t:
            break
        if t in ("-u", "--unset", "-C", "--chdir", "-S", "--split-string"):
            if t in ("-S", "--split-string") and i + 1 < len(args):
                # env -S "rm -rf /": the string is split into a command line
                inner = SimpleCommand(argv=[Word(x) for x in args[i + 1].text.split()]
                                      + args[i + 2 :], env=env)
                return inner if inner.argv else None
            i += 2
            continue
        if t.startswith("-"):
            i += 1
            continue
        if "=" in t and not t.startswith("="):
            name, _, value = t.partition("=")
            env[name] = Word(value, args[i].dynamic)
            i += 1
            continue
        break
    rest = args[i:]
    if not rest:
        return None
    inner = cmd.with_argv(rest, "env")
    inner.env = env
    return inner


def _xargs(cmd: SimpleCommand) -> SimpleCommand | None:
    with_value = frozenset({"-I", "-i", "-n", "-P", "-d", "-E", "-e", "-L", "-l", "-s", "-a",
                            "--max-args", "--max-procs", "--delimiter", "--arg-file",
                            "--replace", "--max-lines", "--max-chars"})
    args = cmd.args
    replace: str | None = None
    delimited = False  # -0 / -d: input split by another rule than ours
    i = 0
    while i < len(args):
        t = args[i].text
        if t == "--":
            i += 1
            break
        if not t.startswith("-") or args[i].dynamic:
            break
        if t in ("-0", "--null", "-d", "--delimiter") or t.startswith(("-d", "--delimiter=")):
            delimited = True
        if t in ("-I", "--replace") and i + 1 < len(args):
            replace = args[i + 1].text
        elif t.startswith("-I") and len(t) > 2:
            replace = t[2:]
        if t in with_value:
            i += 2
        else:
            i += 1
    rest = args[i:] or [Word("echo")]
    unknown = Word(DYNAMIC, dynamic=True)
    # what arrives on stdin, when we know it (`echo / | xargs rm -rf`): xargs splits it
    # into words honouring quotes and backslashes (shlex's POSIX rules), or with -I takes
    # each line whole; anything we cannot split the same way stays unknown
    known: list[str] | None = None
    if cmd.stdin is not None and not cmd.stdin_unknown and not delimited:
        if replace:
            known = [line.strip() for line in cmd.stdin.splitlines() if line.strip()]
        else:
            try:
                known = shlex.split(cmd.stdin)
            except ValueError:
                known = None
    if known is not None and not 0 < len(known) <= 64:
        known = None
    if replace:
        value = known[0] if known is not None and len(known) == 1 else None
        argv = [(Word(w.text.replace(replace, value)) if value is not None
                 else Word(w.text.replace(replace, DYNAMIC), True)) if replace in w.text else w
                for w in rest]
    else:
        argv = [*rest, *(Word(k, glob=any(c in "*?[" for c in k)) for k in known)] \
            if known is not None else [*rest, unknown]
    inner = cmd.with_argv(argv, "xargs")
    inner.stdin = None
    inner.stdin_unknown = False
    return inner


def _timeout(cmd: SimpleCommand) -> SimpleCommand | None:
    rest = _skip_options(cmd.args, frozenset({"-s", "--signal", "-k", "--kill-after"}))
    return cmd.with_argv(rest[1:], "timeout") if len(rest) > 1 else None


def _sudo(cmd: SimpleCommand) -> SimpleCommand | None:
    rest = _skip_options(cmd.args, frozenset({"-u", "-g", "-h", "-p", "-C", "-D", "-r", "-t",
                                              "-U", "--user", "--group", "--host",
                                              "--prompt", "--chdir"}))
    if not rest:
        return None
    inner = cmd.with_argv(rest, cmd.program)
    # sudo VAR=x cmd
    while inner.argv and "=" in inner.argv[0].text and not inner.argv[0].text.startswith("="):
        name, _, value = inner.argv[0].text.partition("=")
        if not name.isidentifier():
            break
        inner.env[name] = Word(value, inner.argv[0].dynamic)
        inner.argv = inner.argv[1:]
    return inner if inner.argv else None


WRAPPERS: dict[str, Callable[[SimpleCommand], SimpleCommand | None]] = {
    "sudo": _sudo,
    "doas": _sudo,
    "run0": _sudo,
    "pkexec": _sudo,
    "env": _env,
    "nice": _wrap("nice", frozenset({"-n", "--adjustment"})),
    "ionice": _wrap("ionice", frozenset({"-c", "-n", "-p", "-t", "--class", "--classdata"})),
    "nohup": _wrap("nohup"),
    "time": _wrap("time", frozenset({"-f", "-o", "--format", "--output"})),
    "command": _wrap("command"),
    "builtin": _wrap("builtin"),
    "exec": _wrap("exec", frozenset({"-a"})),
    "stdbuf": _wrap("stdbuf", frozenset({"-i", "-o", "-e"})),
    "timeout": _timeout,
    "xargs": _xargs,
    "setsid": _wrap("setsid"),
    "chronic": _wrap("chronic"),
    "unbuffer": _wrap("unbuffer"),
    "flock": _wrap("flock", frozenset({"-w", "-E", "--timeout"}), positional_before=1),
    "watch": _wrap("watch", frozenset({"-n", "-d", "--interval"})),
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
                     what: str) -> list[Target]:
    if source.dynamic:
        ctx.unparsed(f"{what}: the code comes from a variable or command output")
        return [Target(kind="command", name=source.shown[:120], verb="shell.unknown",
                       risk=Risk.DESTRUCTIVE, tool="shell", locator="unknown:",
                       detail=f"{what} with code Airlock cannot see", unresolved=True)]
    inner_ctx = ctx.deeper()
    targets: list[Target] = []
    for inner in parse_script(source.text, inner_ctx):
        targets.extend(classify_command(inner, inner_ctx, registry))
    return targets


def _shell(cmd: SimpleCommand, ctx: ClassifyContext, registry: dict[str, Pack]) -> list[Target]:
    args = cmd.args
    if cmd.program == "busybox" and args:
        return _classify_program(cmd.with_argv(args, "busybox"), ctx, registry)
    i = 0
    while i < len(args):
        t = args[i].text
        if args[i].dynamic:
            break
        if t == "-c" or (t.startswith("-") and not t.startswith("--") and "c" in t[1:]):
            if i + 1 >= len(args):
                ctx.unparsed(f"{cmd.program} -c without a command")
                return [_unknown(cmd, ctx, "shell -c without a command")]
            return _classify_source(args[i + 1], ctx, registry, f"{cmd.program} -c")
        if t in ("-o", "+o", "-O", "+O", "--rcfile", "--init-file"):
            i += 2
            continue
        if t.startswith(("-", "+")):
            i += 1
            continue
        break
    rest = args[i:]
    if rest:
        return _script(rest[0], cmd, ctx, registry)
    if cmd.stdin is not None and not cmd.stdin_unknown:
        return _classify_source(Word(cmd.stdin), ctx, registry, f"{cmd.program} reading stdin")
    if cmd.stdin_unknown:
        ctx.unparsed(f"{cmd.program} runs a script from a pipe or file Airlock cannot see")
        return [_unknown(cmd, ctx, "script piped into a shell")]
    return [program_target(cmd, ctx, Risk.WRITE)]  # an interactive shell


def _script(path: Word, cmd: SimpleCommand, ctx: ClassifyContext,
            registry: dict[str, Pack]) -> list[Target]:
    """``bash script.sh``, ``source env.sh``: read the script and classify what it runs
    (``scripts.py``). A script that does not exist runs nothing: a write in the
    workspace, as the program would be."""
    found = scripts.shell_script(path, cmd, ctx)
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


_FIND_TESTS = frozenset({"-name", "-iname", "-path", "-ipath", "-regex", "-iregex", "-type",
                         "-mtime", "-mmin", "-atime", "-amin", "-ctime", "-cmin", "-newer",
                         "-size", "-user", "-group", "-perm", "-empty", "-wholename",
                         "-iwholename", "-links", "-inum", "-samefile", "-lname", "-ilname"})
_FIND_VALUE = _FIND_TESTS - {"-empty"} | {"-maxdepth", "-mindepth", "-printf", "-fprint",
                                         "-fprintf", "-fls", "-newerXY"}


def _find(cmd: SimpleCommand, ctx: ClassifyContext, registry: dict[str, Pack]) -> list[Target]:
    args = cmd.args
    roots: list[Word] = []
    i = 0
    while i < len(args) and args[i].text in ("-H", "-L", "-P", "-O1", "-O2", "-O3", "-D"):
        i += 2 if args[i].text == "-D" else 1
    while i < len(args) and not (args[i].text.startswith(("-", "(", "!")) and not args[i].dynamic):
        roots.append(args[i])
        i += 1
    if not roots:
        roots = [Word(".")]
    expr = args[i:]
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
            inner: list[Word] = []
            while k < len(expr) and expr[k].text not in (";", "+"):
                w = expr[k]
                if "{}" in w.text:
                    # each found path lies under the root and matches the -name test
                    root = roots[0]
                    found = os.path.join(root.text, name_pattern)
                    w = Word(w.text.replace("{}", found), root.dynamic, glob=True)
                inner.append(w)
                k += 1
            if inner:
                targets.extend(_classify_program(cmd.with_argv(inner, "find"), ctx, registry))
            j = k
        elif t in _FIND_VALUE:
            j += 1
        j += 1
    if not targets:
        targets.append(program_target(cmd, ctx, Risk.READ))
    return targets
