"""A program no pack knows: the catalogue, then its arguments.

Dispatch hands a command here when no pack (built-in or ``[[packs]]``) answers for its
program and it is not a read-only utility. Then, in this order:

1. a program in the catalogue (:mod:`airlock.classify.catalogue`) is a write in the
   workspace (``make``, ``pytest``, ``npm install``), as it always was;
2. otherwise Airlock does not know what the program does, and judges it by its words:

   - a destructive word as a subcommand or in a subcommand (``delete``, ``db:reset``,
     ``purge-cache``) or as a ``--flag`` name (``--delete``, ``--force-delete``), or a
     subcommand that comes from a variable → **destructive**, on the program itself
     (``program:NAME``, an environment Airlock does not know): held;
   - a URL or a host it is pointed at (``postgres://db.prod.internal/app``, ``--host
     api.acme.com``; loopback excepted) → a destructive target at that URL or host:
     resolve finds it in the inventory, and only a sandbox lets it through; a production
     name (``--env prod``, ``--profile production``, ``RAILS_ENV=production``,
     ``acme-prod``) → a destructive target in that environment (``env:NAME``): held;
   - nothing of the sort → a write in the workspace (allowed), with the verb
     ``NAME.unknown`` saying Airlock does not know the program.

   ``pnpm``, ``yarn`` and ``bun`` run a package's bin when a subcommand is none of
   theirs (``pnpm drizzle-kit push --force``): that command is judged as well, as if it
   had been typed. So are Django's commands through the interpreter (``python
   manage.py migrate shop zero``, ``python -m django flush``).

Every such target's detail names the words that decided it and how to teach Airlock
the program (a ``[[packs]]`` entry in airlock.toml, docs/packs.md).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from airlock.action import Risk, Target
from airlock.classify import catalogue
from airlock.classify.command import DYNAMIC, ClassifyContext, SimpleCommand, Word
from airlock.classify.targets import program_target

# Words that say a subcommand destroys something: matched as whole words of a subcommand
# (split at - _ : .), so ``db:reset`` and ``delete-user`` count, ``deleted`` and
# ``undelete`` do not.
DESTRUCTIVE_VERBS = frozenset({
    "delete", "del", "destroy", "drop", "dropdb", "purge", "prune", "reset", "wipe",
    "wipeout", "remove", "rm", "rmi", "rb", "rmdir", "truncate", "flush", "flushall",
    "flushdb", "forget", "clean", "cleanup", "uninstall", "disable", "deactivate",
    "revoke", "terminate", "erase", "nuke", "kill", "killall", "unpublish", "yank", "shred",
    "obliterate", "teardown", "decommission", "deprovision", "deregister", "unregister",
    "evict", "expunge", "scrub", "zap",
})
# As the name of a --flag, fewer words count: ``--disable-telemetry``, ``--clean`` (a
# clean build) and ``--reset-cache`` are everyday options of build tools.
DESTRUCTIVE_FLAGS = frozenset({
    "delete", "destroy", "drop", "purge", "prune", "wipe", "truncate", "erase", "nuke",
    "obliterate", "shred", "rm", "remove", "uninstall", "terminate", "revoke", "unpublish",
    "expunge",
})
# A flag that starts with one of these says the opposite: ``--no-delete``, ``--keep-…``.
NEGATIONS = frozenset({"no", "skip", "keep", "without", "dont", "never", "preserve",
                       "prevent", "protect", "avoid", "safe", "exclude", "ignore"})
# Words of a name that say production: ``prod``, ``acme-prod-db``, ``--env=production``.
PRODUCTION = frozenset({"prod", "production", "prd"})
# Environment variables that name where a program acts (``RAILS_ENV=production``);
# ``NODE_ENV=production`` is a build mode, not a place.
_ENV_VAR = re.compile(r"(?:^|_)(?:ENV|ENVIRONMENT|STAGE|PROFILE|TIER)$")
_NOT_A_PLACE = frozenset({"NODE_ENV", "BABEL_ENV", "FLASK_ENV"})
# Options whose value is a host (``--host db.prod.internal``, ``--endpoint=…``).
HOST_OPTIONS = frozenset({"host", "hostname", "server", "endpoint", "addr", "address",
                          "url", "uri", "dsn", "remote"})
LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1", "0.0.0.0", "[::1]", "ip6-localhost"})

_SPLIT = re.compile(r"[-_:.]+")
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_WORDLIKE = re.compile(r"^[A-Za-z][A-Za-z0-9_:.-]*$")
_HOSTLIKE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.-]*(?::\d{1,5})?$")
_FILE_EXT = re.compile(
    r"\.(?:py|js|mjs|cjs|ts|tsx|jsx|sh|bash|rb|pl|php|lua|go|rs|java|kt|c|h|cc|cpp|hpp|cs|"
    r"sql|txt|json|ya?ml|toml|ini|cfg|conf|env|md|rst|csv|tsv|log|xml|html?|css|scss|lock|"
    r"gz|tgz|zip|tar|bz2|xz|png|jpe?g|gif|svg|pdf|db|sqlite3?|bak|out|tf|tfvars|hcl|proto)$",
    re.IGNORECASE)
MAX_WORDS = 64  # a command line longer than this is judged on its first words
# package managers whose unknown subcommand runs the bin of that name (`pnpm tsc`)
BIN_RUNNERS = frozenset({"pnpm", "yarn", "bun"})

TEACH = ("teach Airlock what {prog} does with a [[packs]] entry in airlock.toml "
         "(docs/packs.md)")


def judge(cmd: SimpleCommand, ctx: ClassifyContext) -> list[Target]:
    """The targets of ``cmd``, whose program has no pack and is not read-only."""
    prog = cmd.program
    args = cmd.args[:MAX_WORDS]
    if catalogue.harmless(prog, _subcommand(args)):
        return [program_target(cmd, ctx, Risk.WRITE)]
    found = _Findings()
    _scan(args, found)
    for name, value in cmd.env.items():
        if name in _NOT_A_PLACE or value.dynamic:
            continue
        if _URL.match(value.text):
            found.url(value.text, f"{name}=…")
        elif _ENV_VAR.search(name) and _production(value.text):
            found.places.append((value.text, f"{name}={value.text}"))
    teach = TEACH.format(prog=prog)
    who = (f"{prog} is in Airlock's catalogue, but not with this subcommand"
           if prog in catalogue.CATALOGUE else f"{prog} is a program Airlock does not know")
    out: list[Target] = []
    if found.destructive:
        words = ", ".join(repr(w) for w in found.destructive)
        first = _SPLIT.split(found.destructive[0].lstrip("-").lower())
        verb_word = next((w for w in first if w in DESTRUCTIVE_VERBS | DESTRUCTIVE_FLAGS),
                         "unknown")
        out.append(Target(
            kind="program", name=prog, verb=f"{prog}.unknown.{verb_word}",
            risk=Risk.DESTRUCTIVE, tool=prog, locator=f"program:{prog}",
            detail=f"{who}, and {words} says it "
                   f"destroys something; {teach}"))
    if found.dynamic_verb:
        out.append(Target(
            kind="program", name=prog, verb=f"{prog}.unknown.dynamic",
            risk=Risk.DESTRUCTIVE, tool=prog, locator=f"program:{prog}", unresolved=True,
            detail=f"{who}, and its subcommand comes "
                   f"from a variable or command output; {teach}"))
    for locator, host, said in found.remotes:
        out.append(Target(
            kind="host", name=host, verb=f"{prog}.unknown", risk=Risk.DESTRUCTIVE,
            tool=prog, locator=locator,
            detail=f"{who}, pointed at {said}: "
                   f"unless the inventory puts {host} in a sandbox it counts as "
                   f"production; {teach}"))
    for place, said in found.places:
        out.append(Target(
            kind="environment", name=place, verb=f"{prog}.unknown", risk=Risk.DESTRUCTIVE,
            tool=prog, locator=f"env:{place}",
            detail=f"{who}, aimed at production "
                   f"({said}); {teach}"))
    ran = _package_bin(cmd, args, ctx) or _python_tool(cmd, args, ctx)
    if out or ran:
        return out + ran
    target = program_target(cmd, ctx, Risk.WRITE)
    target.verb = f"{prog}.unknown"
    target.detail = (f"{prog} is a program Airlock does not know; nothing in its arguments "
                     "says it destroys something or acts outside the workspace")
    return [target]


def _package_bin(cmd: SimpleCommand, args: list[Word], ctx: ClassifyContext) -> list[Target]:
    """``pnpm drizzle-kit push --force``, ``yarn prisma migrate reset``, ``bun knex …``:
    a subcommand these package managers do not have runs the package's bin of that name
    (after a package.json script of that name, which scripts.py reads): that command is
    judged too, by its own pack. Nothing when the subcommand is not a plain name."""
    if cmd.program not in BIN_RUNNERS or ctx.nested is None:
        return []
    at = next((i for i, w in enumerate(args) if not w.text.startswith("-") or w.dynamic), None)
    if at is None or args[at].dynamic or not _WORDLIKE.match(args[at].text):
        return []
    if ctx.depth > ctx.MAX_DEPTH:
        ctx.unparsed(f"{cmd.program} {args[at].text}: nested deeper than Airlock follows")
        return []
    return ctx.nested.command(cmd.with_argv(list(args[at:]), f"{cmd.program}-bin"),
                              ctx.deeper())


_PYTHON = re.compile(r"^python(?:\d+(?:\.\d+)*)?$")
_PYTHON_VALUE = frozenset({"-W", "-X", "-Q"})


def _python_tool(cmd: SimpleCommand, args: list[Word], ctx: ClassifyContext) -> list[Target]:
    """``python manage.py migrate shop zero`` and ``python -m django flush`` are Django's
    commands, whichever way the interpreter is reached: judged by the django pack too."""
    if not _PYTHON.match(cmd.program) or ctx.nested is None or ctx.depth > ctx.MAX_DEPTH:
        return []
    i = 0
    while i < len(args) and args[i].text.startswith("-") and not args[i].dynamic:
        if args[i].text == "-m" and i + 1 < len(args) and args[i + 1].text == "django":
            inner = [Word("django-admin"), *args[i + 2:]]
            return ctx.nested.command(cmd.with_argv(inner, "python-m"), ctx.deeper())
        i += 2 if args[i].text in _PYTHON_VALUE else 1
    if i < len(args) and not args[i].dynamic and args[i].text.rsplit("/", 1)[-1] == "manage.py":
        inner = [Word("manage.py"), *args[i + 1:]]
        return ctx.nested.command(cmd.with_argv(inner, "python"), ctx.deeper())
    return []


class _Findings:
    __slots__ = ("_seen", "destructive", "dynamic_verb", "places", "remotes")

    def __init__(self) -> None:
        self.destructive: list[str] = []
        self.dynamic_verb = False
        self.remotes: list[tuple[str, str, str]] = []  # (locator, host, the words)
        self.places: list[tuple[str, str]] = []  # (environment name, the words)
        self._seen: set[str] = set()

    def url(self, text: str, said: str) -> None:
        try:
            parts = urlsplit(text.replace(DYNAMIC, ""))
            host = parts.hostname or ""
            port = f":{parts.port}" if parts.port else ""
        except ValueError:
            host, port, parts = text, "", urlsplit("")
        scheme = parts.scheme.lower()
        if not host or scheme == "file" or host in LOOPBACK or host.endswith(".localhost"):
            return
        locator = f"{scheme}://{host}{port}{parts.path or '/'}"
        if locator not in self._seen:
            self._seen.add(locator)
            self.remotes.append((locator, host, said if said.endswith("…") else
                                 _redact(text)))

    def host(self, value: str, said: str) -> None:
        host = value.rsplit(":", 1)[0] if value.count(":") == 1 else value
        if host.lower() in LOOPBACK or host.endswith(".localhost"):
            return
        locator = f"host://{value}"
        if locator not in self._seen:
            self._seen.add(locator)
            self.remotes.append((locator, host, said))

    def place(self, name: str, said: str) -> None:
        if name not in self._seen:
            self._seen.add(name)
            self.places.append((name, said))


def _subcommand(args: list[Word]) -> str | None:
    """The first word that is not an option (``DYNAMIC`` when it comes from a variable)."""
    for w in args:
        if w.dynamic:
            return DYNAMIC
        if w.text == "--":
            return None
        if not w.text.startswith("-"):
            return w.text
    return None


def _scan(args: list[Word], found: _Findings) -> None:
    positional_seen = False
    options_done = False
    for i, w in enumerate(args):
        t = w.text
        if w.dynamic:
            if not positional_seen and not options_done and t == DYNAMIC:
                found.dynamic_verb = True
            positional_seen = True
            continue
        if t == "--" and not options_done:
            options_done = True
            continue
        if not options_done and t.startswith("-") and len(t) > 1:
            _option(t, args[i + 1] if i + 1 < len(args) else None, found)
            continue
        positional_seen = True
        _positional(t, found)


def _option(t: str, nxt: Word | None, found: _Findings) -> None:
    long = t.startswith("--")
    name, eq, value = t.lstrip("-").partition("=")
    if not long and len(name) < 3 and not eq:
        # short options: -e prod is the only form judged (an environment)
        if name == "e" and nxt is not None and not nxt.dynamic and _production(nxt.text):
            found.place(nxt.text, f"{t} {nxt.text}")
        return
    tokens = [x for x in _SPLIT.split(name.lower()) if x]
    if tokens and tokens[0] not in NEGATIONS:
        if any(x in DESTRUCTIVE_FLAGS for x in tokens):
            found.destructive.append(f"--{name}" if long else f"-{name}")
        if any(x in PRODUCTION for x in tokens):
            found.place(name, t)
    if not eq:
        if nxt is None or nxt.dynamic or nxt.text.startswith("-"):
            return
        value = nxt.text
        said = f"{t} {value}"
    else:
        said = t
    if not value:
        return
    if _URL.match(value):
        found.url(value, _redact(said))
    elif tokens and tokens[-1] in HOST_OPTIONS and _HOSTLIKE.match(value):
        found.host(value, said)
    elif _production(value):
        found.place(value, said)
    elif eq and _WORDLIKE.match(value) and not _FILE_EXT.search(value) and any(
            x in DESTRUCTIVE_VERBS for x in _SPLIT.split(value.lower())):
        found.destructive.append(t)  # --action=delete


def _positional(t: str, found: _Findings) -> None:
    if _URL.match(t):
        found.url(t, _redact(t))
        return
    if not _WORDLIKE.match(t) or _FILE_EXT.search(t):
        return  # a path, a file, a number, an expression: not a subcommand
    tokens = _SPLIT.split(t.lower())
    if any(x in DESTRUCTIVE_VERBS for x in tokens):
        found.destructive.append(t)
    if any(x in PRODUCTION for x in tokens):
        found.place(t, t)


def _production(value: str) -> bool:
    if not _WORDLIKE.match(value) or _FILE_EXT.search(value):
        return False
    return any(x in PRODUCTION for x in _SPLIT.split(value.lower()))


def _redact(text: str) -> str:
    """A URL as shown in a reason: without its password."""
    return re.sub(r"(://[^/:@\s]*:)[^@/\s]*@", r"\1***@", text)


__all__ = ["DESTRUCTIVE_FLAGS", "DESTRUCTIVE_VERBS", "judge"]
