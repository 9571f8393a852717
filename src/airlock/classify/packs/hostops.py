"""The machine itself: ``crontab``, ``systemctl``/``service``, the firewall
(``iptables``, ``ip6tables``, ``iptables-restore``, ``nft``), Debian's PostgreSQL
cluster tools (``pg_dropcluster``, ``pg_ctlcluster``) and signals to processes
(``kill``, ``pkill``, ``killall``).

Risk choices:

- ``crontab -r`` removes the whole table without asking: destructive. ``crontab FILE``
  and ``crontab -`` *replace* the whole table with what they are given: whatever was
  there and is not in the new text is gone, and Airlock cannot see whether it is (the
  usual ``crontab -l | … | crontab -`` keeps it, a plain file often does not):
  destructive. ``-l`` is a read; ``-e`` opens an editor: write.
- ``systemctl stop|disable|mask|kill`` take a service down (``disable``/``mask``: for
  good, across reboots), and ``poweroff|reboot|halt|kexec|isolate|rescue|emergency``
  take the machine down: destructive. ``start|restart|reload|enable|daemon-reload``:
  write. ``status``, ``show``, ``cat``, ``list-*``, ``is-*``: read. ``service X stop``
  likewise.
- Firewall: flushing rules (``-F``/``--flush``, ``nft flush ruleset|table|chain``),
  deleting chains or tables (``-X``, ``nft delete …``), changing a chain's default
  policy (``-P``: ``INPUT DROP`` locks out SSH) and replacing the ruleset
  (``iptables-restore`` without ``--noflush``, ``nft -f FILE`` whose file flushes or
  deletes, or cannot be read): destructive. Appending, inserting or deleting one rule is
  a write; listing is a read.
- ``pg_dropcluster`` deletes a cluster's data directory, and ``pg_ctlcluster … stop``
  takes the database down: destructive. (Unlike ``dropdb``, which names a host the
  inventory knows, a cluster is on this machine, whatever it is: held, not refused.)

- Signals: one process, a job or processes matched by name are writes (a dev server
  restarted); what can reach every process — ``kill -1``, PID 1 or 0, ``killall5``,
  ``pkill -u USER`` alone, a pattern that matches every name — is destructive, and a
  PID or pattern from a variable or command output is held (see :class:`ProcessPack`).

Locators: ``cron:user:<user>``, ``process:<pid or pattern>`` (``process:*`` for every
process), ``systemd:<unit>`` (``systemd:user:<unit>`` with
``--user``; ``-H host`` in the detail), ``netfilter:<family>:<table>``,
``postgresql-cluster:<version>/<name>``.
"""

from __future__ import annotations

from dataclasses import dataclass

from airlock.action import Risk, Target
from airlock.classify.command import ClassifyContext, SimpleCommand, split_options
from airlock.classify.packs.base import Pack, rule
from airlock.classify.packs.gcloud import flagset
from airlock.classify.packs.toolpack import ToolPack, value_of


@dataclass
class CrontabPack(Pack):
    def classify(self, cmd: SimpleCommand, ctx: ClassifyContext) -> list[Target]:
        positionals, options = split_options(cmd.args, self.takes_value)
        user = value_of(options, "-u") or "current"
        unknown = any(v is not None and v.dynamic for v in options.get("-u", []))
        if "-r" in options:
            verb, risk, detail = "crontab.remove", Risk.DESTRUCTIVE, "removes every entry"
        elif "-l" in options or "-V" in options or "--help" in options:
            verb, risk, detail = "crontab.list", Risk.READ, ""
        elif "-e" in options:
            verb, risk, detail = "crontab.edit", Risk.WRITE, "opens an editor"
        elif positionals or cmd.stdin is not None or cmd.stdin_unknown:
            verb, risk = "crontab.replace", Risk.DESTRUCTIVE
            detail = "replaces the whole table"
        else:
            verb, risk = "crontab.replace", Risk.DESTRUCTIVE
            detail = "replaces the table from stdin"
        return [Target(kind="crontab", name=user, verb=verb, risk=risk, tool="crontab",
                       locator=f"cron:user:{user}", detail=detail, unresolved=unknown)]


_UNIT = {"target": "args", "kind": "service", "locator": "systemd:{name}"}

_SYSTEMCTL_RULES = (
    rule("systemctl.help", "read", flags="--help|-h|--version"),
    rule("systemctl.{sub}", "destructive", "stop|disable|mask|kill|freeze", detail="the service "
         "goes down", **_UNIT),
    rule("systemctl.{sub}", "destructive", "poweroff|reboot|halt|kexec|isolate|rescue|"
         "emergency|suspend|hibernate|soft-reboot|default", kind="host", target="const:host",
         locator="systemd:host",
         detail="the machine goes down or changes state"),
    rule("systemctl.{sub}", "write", "start|restart|reload|try-restart|reload-or-restart|"
         "try-reload-or-restart|enable|reenable|unmask|thaw|preset|edit|revert|link|"
         "set-property|reset-failed|clean", **_UNIT),
    rule("systemctl.{sub}", "write", "daemon-reload|daemon-reexec|set-default|"
         "set-environment|unset-environment|import-environment|preset-all", kind="host",
         target="const:host", locator="systemd:host"),
    rule("systemctl.{sub}", "read", "*"),
)  # fmt: skip

_SERVICE_RULES = (
    rule("service.help", "read", flags="--help|-h|--version|--status-all"),
    rule("service.{sub}", "destructive", "stop|force-stop|disable", target="arg:0",
         kind="service", locator="systemd:{name}", detail="the service goes down"),
    rule("service.{sub}", "read", "status"),
    rule("service.{sub}", "write", "*", target="arg:0", kind="service",
         locator="systemd:{name}"),
)  # fmt: skip


@dataclass
class SystemdPack(ToolPack):
    """systemctl/service: units are ``systemd:<unit>``; ``--user`` units are the user's."""

    def classify(self, cmd: SimpleCommand, ctx: ClassifyContext) -> list[Target]:
        if self.name == "service":
            # service UNIT VERB: the unit stands first
            args = cmd.args
            if len(args) >= 2 and not args[0].text.startswith("-"):
                cmd = cmd.with_argv([cmd.argv[0], args[1], args[0], *args[2:]], "service")
        targets = super().classify(cmd, ctx)
        _, options = self.split(cmd)
        for t in targets:
            if "--user" in options and t.locator.startswith("systemd:"):
                t.locator = "systemd:user:" + t.locator[len("systemd:"):]
        return targets


# -- firewall --------------------------------------------------------------------------------

_FIREWALL_DESTROY = {
    "-F": "flushes the rules", "--flush": "flushes the rules",
    "-X": "deletes chains", "--delete-chain": "deletes chains",
    "-P": "changes a chain's default policy", "--policy": "changes a chain's default policy",
}
_FIREWALL_WRITE = ("-A", "--append", "-I", "--insert", "-D", "--delete", "-R", "--replace",
                   "-N", "--new-chain", "-E", "--rename-chain", "-Z", "--zero")
_IPT_VALUES = flagset(
    "-t --table -p --protocol -s --source -d --destination -i --in-interface -o"
    " --out-interface -j --jump -g --goto -m --match --dport --sport --dports --sports"
    " --comment --state --ctstate --to-destination --to-source --to-ports --log-prefix"
    " --set-mark --limit --limit-burst -w --wait -M --modprobe --reject-with --uid-owner"
)


@dataclass
class FirewallPack(Pack):
    """iptables/ip6tables (and -restore); nft."""

    def classify(self, cmd: SimpleCommand, ctx: ClassifyContext) -> list[Target]:
        prog = cmd.program
        family = "ip6" if prog.startswith("ip6") else "ip"
        if prog == "nft":
            return self.nft(cmd, ctx)
        _, options = split_options(cmd.args, self.takes_value)
        table = value_of(options, "-t|--table") or "filter"
        if prog.endswith("-restore"):
            if "-n" in options or "--noflush" in options or "-t" in options or "--test" in options:
                verb, risk, detail = "iptables.restore.noflush", Risk.WRITE, "adds rules"
            else:
                verb, risk, detail = "iptables.restore", Risk.DESTRUCTIVE, "replaces the ruleset"
            table = "*"
        elif prog.endswith("-save") or any(o in options for o in ("-L", "--list", "-S",
                                                                    "--list-rules", "-C",
                                                                    "--check", "-h", "--help",
                                                                    "-V", "--version")):
            verb, risk, detail = "iptables.list", Risk.READ, ""
        else:
            hit = next((o for o in _FIREWALL_DESTROY if o in options), None)
            if hit is not None:
                verb = f"iptables.{hit.lstrip('-')}"
                risk, detail = Risk.DESTRUCTIVE, _FIREWALL_DESTROY[hit]
            elif any(o in options for o in _FIREWALL_WRITE):
                verb, risk, detail = "iptables.rule", Risk.WRITE, ""
            else:
                verb, risk, detail = "iptables.other", Risk.WRITE, ""
        return [Target(kind="firewall", name=table, verb=verb, risk=risk, tool=prog,
                       locator=f"netfilter:{family}:{table}", detail=detail)]

    def nft(self, cmd: SimpleCommand, ctx: ClassifyContext) -> list[Target]:
        positionals, options = split_options(cmd.args, frozenset({"-f", "--file", "-I",
                                                                  "--includepath", "-D",
                                                                  "--define"}))

        def target(verb: str, risk: Risk, detail: str = "", unknown: bool = False) -> Target:
            return Target(kind="firewall", name="ruleset", verb=verb, risk=risk, tool="nft",
                          locator="netfilter:nft:ruleset", detail=detail, unresolved=unknown)

        if any(o in options for o in ("-h", "--help", "-v", "--version", "-c", "--check")):
            return [target("nft.check", Risk.READ)]
        texts: list[str] = []
        for v in options.get("-f", []) + options.get("--file", []):
            text = ctx.read_small_file(v.text) if v is not None and not v.dynamic else None
            if text is None:
                ctx.unparsed("nft -f: the ruleset file cannot be read")
                return [target("nft.file", Risk.DESTRUCTIVE, "ruleset not inspected", True)]
            texts.append(text)
        if any(w.dynamic for w in positionals):
            ctx.unparsed("nft: the command comes from a variable or command output")
            return [target("nft.unknown", Risk.DESTRUCTIVE, "command not known", True)]
        texts.append(" ".join(w.text for w in positionals))
        worst: Target | None = None
        for text in texts:
            for line in text.replace(";", "\n").splitlines():
                words = line.split("#", 1)[0].split()
                if not words:
                    continue
                head = words[0]
                if head in ("flush", "delete", "destroy", "reset"):
                    found = target(f"nft.{head}", Risk.DESTRUCTIVE, " ".join(words[:3]))
                elif head in ("list", "describe", "monitor", "include", "define", "}", "{"):
                    found = target(f"nft.{head}", Risk.READ)
                else:
                    found = target(f"nft.{head}", Risk.WRITE, " ".join(words[:3]))
                if worst is None or found.risk > worst.risk:
                    worst = found
        return [worst or target("nft.interactive", Risk.WRITE)]


# -- pg_dropcluster / pg_ctlcluster ----------------------------------------------------------


@dataclass
class PgClusterPack(Pack):
    def classify(self, cmd: SimpleCommand, ctx: ClassifyContext) -> list[Target]:
        positionals, options = split_options(cmd.args, frozenset({"-o", "--options", "-m",
                                                                  "--mode"}))
        words = [w.text for w in positionals]
        name = "/".join(words[:2]) if words else "?"
        unknown = any(w.dynamic for w in positionals[:2]) or len(words) < 2
        if "--help" in options or "-h" in options:
            verb, risk, detail = f"{cmd.program}.help", Risk.READ, ""
        elif cmd.program == "pg_dropcluster":
            verb, risk = "pg_dropcluster", Risk.DESTRUCTIVE
            detail = "deletes the cluster's data directory"
        else:
            action = words[2] if len(words) > 2 else ""
            verb = f"pg_ctlcluster.{action or 'other'}"
            risk = Risk.DESTRUCTIVE if action == "stop" else Risk.WRITE
            detail = "the database goes down" if action == "stop" else ""
        return [Target(kind="database", name=name, verb=verb, risk=risk, tool=cmd.program,
                       locator=f"postgresql-cluster:{name}", detail=detail, unresolved=unknown)]


# -- kill / pkill / killall -------------------------------------------------------------------

_PKILL_VALUES = frozenset({"-u", "--euid", "-U", "--uid", "-g", "--pgroup", "-G", "--group",
                           "-P", "--parent", "-s", "--session", "-t", "--terminal", "-F",
                           "--pidfile", "--ns", "--nslist", "--signal", "-q", "--queue",
                           "-O", "--older", "--env", "-c", "--cgroup"})
_KILLALL_VALUES = frozenset({"-s", "--signal", "-u", "--user", "-o", "--older-than", "-y",
                             "--younger-than", "-n", "--ns", "-Z", "--context"})
_KILL_VALUES = frozenset({"-s", "--signal", "-n", "-q", "--queue", "--timeout"})
# a pattern that matches every process name
_MATCH_ALL = frozenset({"", ".", ".*", "^", "$", "^.*$", ".+", "^.", "*"})


@dataclass
class ProcessPack(Pack):
    """Signals to processes. One named process, a job (``%1``), a process group or
    processes matched by name are an everyday write (a dev server is restarted). What can
    reach every process is destructive: ``kill -1`` (every process the user may signal;
    as root, the machine), PID 1 (init: the machine or the container), PID 0 (the
    caller's own process group, the agent included), ``killall5``, and ``pkill``/
    ``killall`` by user alone or with a pattern that matches every name. A PID or pattern
    Airlock cannot see (``kill $PID``, ``kill $(lsof -t -i:3000)``) could be any of those:
    held."""

    def classify(self, cmd: SimpleCommand, ctx: ClassifyContext) -> list[Target]:
        prog = cmd.program
        if prog == "killall5":
            return [self._all(prog, "signals every process on the machine")]
        if prog == "kill":
            return self._kill(cmd)
        values = _PKILL_VALUES if prog == "pkill" else _KILLALL_VALUES
        positionals, options = split_options(cmd.args, values)
        if any(o in options for o in ("-h", "--help", "-V", "--version", "-l", "--list")):
            return [self._one(prog, f"{prog}.help", Risk.READ, prog)]
        selectors = [o for o in ("-u", "--euid", "-U", "--uid", "--user", "-g", "--pgroup",
                                 "-G", "--group", "-s", "--session", "-t", "--terminal",
                                 "-P", "--parent") if o in options]
        # pkill -9 / killall -KILL: a signal spelt as a cluster of one
        names = [w for w in positionals]
        if any(w.dynamic for w in names):
            return [self._one(prog, f"{prog}.dynamic", Risk.DESTRUCTIVE, "$?", unknown=True,
                              detail="the process pattern comes from a variable or command")]
        if not names and selectors:
            return [self._all(prog, "every process of the selected user, group or session")]
        if any(w.text in _MATCH_ALL for w in names):
            return [self._all(prog, "the pattern matches every process")]
        return [self._one(prog, f"{prog}.signal", Risk.WRITE, " ".join(w.text for w in names)
                          or prog)]

    def _kill(self, cmd: SimpleCommand) -> list[Target]:
        args = list(cmd.args)
        targets: list[Target] = []
        i, signal_seen, options_done = 0, False, False
        while i < len(args):
            w = args[i]
            t = w.text
            i += 1
            if w.dynamic:
                targets.append(self._one("kill", "kill.dynamic", Risk.DESTRUCTIVE, w.shown,
                                         unknown=True,
                                         detail="the process comes from a variable or "
                                                "command output (it could be -1 or 1)"))
                continue
            if not options_done and t == "--":
                options_done = True
                continue
            if not options_done and t in ("-l", "-L", "--list", "--table", "--help", "-h"):
                return [self._one("kill", "kill.list", Risk.READ, "signals")]
            if not options_done and t in _KILL_VALUES:
                i += 1  # -s TERM, -n 9
                signal_seen = True
                continue
            if (not options_done and not signal_seen and t.startswith("-") and len(t) > 1
                    and not t.startswith("--")):
                signal_seen = True  # -9, -KILL, -SIGTERM: the signal, not a process
                continue
            if not options_done and t.startswith("--"):
                continue  # --verbose, --timeout=…
            if t in ("-1",):
                targets.append(self._all("kill", "-1 signals every process the user may "
                                                 "(as root: the machine)"))
            elif t in ("1", "0"):
                targets.append(self._all("kill", "PID 1 is init (the machine or container)"
                                         if t == "1" else
                                         "PID 0 is the caller's own process group"))
            else:
                targets.append(self._one("kill", "kill.signal", Risk.WRITE, t))
        return targets or [self._one("kill", "kill.signal", Risk.READ, "nothing")]

    @staticmethod
    def _one(tool: str, verb: str, risk: Risk, name: str, unknown: bool = False,
             detail: str = "") -> Target:
        return Target(kind="process", name=name, verb=verb, risk=risk, tool=tool,
                      locator=f"process:{name}", detail=detail, unresolved=unknown,
                      reversible=risk <= Risk.WRITE)

    @staticmethod
    def _all(tool: str, detail: str) -> Target:
        return Target(kind="host", name="every process", verb=f"{tool}.all",
                      risk=Risk.DESTRUCTIVE, tool=tool, locator="process:*", detail=detail)


PACKS: list[Pack] = [
    CrontabPack(name="crontab", programs=("crontab",), kind="crontab",
                takes_value=frozenset({"-u"}), description="cron tables"),
    SystemdPack(
        name="systemctl",
        programs=("systemctl",),
        rules=_SYSTEMCTL_RULES,
        kind="service",
        takes_value=flagset("-H --host -M --machine -t --type -p --property -s --signal"
                            " --state --root -n --lines -o --output --job-mode --kill-whom"),
        default=rule("systemctl.other", "write"),
        prefix="systemd:",
        context=(("host", "-H|--host", ""),),
        description="systemd units",
    ),
    SystemdPack(
        name="service",
        programs=("service",),
        rules=_SERVICE_RULES,
        kind="service",
        default=rule("service.other", "write"),
        prefix="systemd:",
        description="SysV-style service control",
    ),
    FirewallPack(
        name="iptables",
        programs=("iptables", "ip6tables", "iptables-legacy", "ip6tables-legacy",
                  "iptables-nft", "ip6tables-nft", "iptables-restore", "ip6tables-restore",
                  "iptables-save", "ip6tables-save", "nft"),
        kind="firewall",
        takes_value=_IPT_VALUES,
        description="netfilter firewall (iptables, nftables)",
    ),
    PgClusterPack(name="pg_cluster", programs=("pg_dropcluster", "pg_ctlcluster"),
                  kind="database", description="Debian PostgreSQL cluster tools"),
    ProcessPack(name="kill", programs=("kill", "pkill", "killall", "killall5"),
                kind="process", description="signals to processes"),
]
