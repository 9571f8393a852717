"""Data stores without SQL: Kafka's admin scripts, ``etcdctl`` and ``cqlsh`` (Cassandra).

Risk choices:

- ``kafka-topics --delete`` drops a topic and its messages; ``kafka-consumer-groups
  --delete``, ``--delete-offsets`` and ``--reset-offsets --execute`` lose consumer
  positions; ``kafka-delete-records`` deletes messages; ``kafka-configs --alter
  --add-config`` of a retention or cleanup setting (``retention.ms=1000`` is the
  documented way to purge a topic): destructive. ``--create`` and other ``--alter`` changes
  are writes, ``--list``/``--describe`` reads.
- ``etcdctl del`` (``--prefix``/``--from-key``: a whole range, Kubernetes' state lives
  here), ``compaction`` (history before the revision is gone), ``member remove``,
  ``lease revoke`` (its keys go with it), ``user|role delete``, ``auth disable`` and
  ``txn`` (whose body is not read): destructive. ``defrag`` blocks the member for a
  while but loses nothing: write.
- ``cqlsh -e``/``-f``/stdin: each CQL statement by its leading keywords — ``DROP``,
  ``TRUNCATE``, ``DELETE``, ``ALTER … DROP`` destructive; ``INSERT``, ``UPDATE``,
  ``CREATE``, other ``ALTER`` statements, ``GRANT``… writes; ``SELECT``, ``DESCRIBE``,
  ``USE``, ``SHOW`` reads. A statement we do
  not recognise, a file we cannot read, or a session whose input we cannot see is held.

Locators: ``kafka:<bootstrap servers>/topic/<topic>``, ``etcd:<endpoints>/<key>``,
``cassandra://<host>:<port>/<keyspace>``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from airlock.action import Risk, Target
from airlock.classify.command import ClassifyContext, SimpleCommand, Word, split_options
from airlock.classify.packs.base import Pack, rule
from airlock.classify.packs.databases.base import stdin_of
from airlock.classify.packs.gcloud import flagset, with_values
from airlock.classify.packs.toolpack import Options, ToolPack, value_of

# -- kafka -----------------------------------------------------------------------------------

_TOPIC = {"target": "opt:--topic", "kind": "topic", "locator": "{base}/topic/{name}"}
_GROUP = {"target": "opt:--group", "kind": "consumer-group", "locator": "{base}/group/{name}"}

_KAFKA_TOPICS_RULES = (
    rule("kafka.help", "read", flags="--help|--version"),
    rule("kafka.topics.delete", "destructive", flags="--delete",
         detail="the topic and its messages are gone", **_TOPIC),
    rule("kafka.topics.create", "write", flags="--create", **_TOPIC),
    rule("kafka.topics.alter", "write", flags="--alter", **_TOPIC),
    rule("kafka.topics.read", "read"),
)  # fmt: skip

_KAFKA_GROUPS_RULES = (
    rule("kafka.help", "read", flags="--help|--version"),
    rule("kafka.groups.reset-offsets", "read", flags="--reset-offsets", without="--execute",
         detail="dry run", **_GROUP),
    rule("kafka.groups.reset-offsets", "destructive", flags="--reset-offsets",
         detail="consumers lose their positions", **_GROUP),
    rule("kafka.groups.delete-offsets", "destructive", flags="--delete-offsets", **_GROUP),
    rule("kafka.groups.delete", "destructive", flags="--delete", **_GROUP),
    rule("kafka.groups.read", "read"),
)  # fmt: skip

_KAFKA_RECORDS_RULES = (
    rule("kafka.help", "read", flags="--help|--version"),
    rule("kafka.delete-records", "destructive", target="opt:--offset-json-file", kind="topic",
         locator="{base}/records/{name}", detail="messages before the offsets are deleted"),
)  # fmt: skip

_KAFKA_CONFIGS_RULES = (
    rule("kafka.help", "read", flags="--help|--version"),
    # the documented way to purge a topic: retention down to nothing, and Kafka deletes
    rule("kafka.configs.retention", "destructive", flags=("--alter", "--add-config"),
         args=(), target="opt:--entity-name", kind="config", locator="{base}/config/{name}",
         detail="a retention or cleanup setting: Kafka deletes what falls outside it"),
    rule("kafka.configs.alter", "write", flags="--alter", target="opt:--entity-name",
         kind="config", locator="{base}/config/{name}"),
    rule("kafka.configs.read", "read"),
)  # fmt: skip

# -- etcdctl ---------------------------------------------------------------------------------

_KEY = {"target": "arg:0", "kind": "key", "locator": "{base}/{name}"}

_ETCD_RULES = (
    rule("etcdctl.help", "read", flags="--help|-h"),
    rule("etcdctl.help", "read", "help|version|completion"),
    rule("etcdctl.del.range", "destructive", "del|delete", flags="--prefix|--from-key",
         detail="every key in the range", **_KEY),
    rule("etcdctl.del", "destructive", "del|delete", **_KEY),
    rule("etcdctl.compaction", "destructive", "compaction|compact", kind="cluster",
         detail="history before the revision is gone"),
    rule("etcdctl.member.remove", "destructive", "member", "remove", kind="member",
         target="arg:0", locator="{base}/member/{name}"),
    rule("etcdctl.lease.revoke", "destructive", "lease", "revoke", kind="lease",
         target="arg:0", locator="{base}/lease/{name}", detail="its keys are deleted"),
    rule("etcdctl.{sub}", "destructive", "user|role", "delete", kind="{kind}",
         target="arg:0", locator="{base}/{group}/{name}"),
    rule("etcdctl.auth.disable", "destructive", "auth", "disable", kind="cluster"),
    rule("etcdctl.txn", "destructive", "txn", kind="cluster",
         detail="the transaction's body is not inspected"),
    rule("etcdctl.snapshot.restore", "destructive", "snapshot", "restore", kind="cluster"),
    rule("etcdctl.put", "write", "put", **_KEY),
    rule("etcdctl.{sub}", "read", "get|watch|check", **_KEY),
    rule("etcdctl.{sub}", "read", "*", "list|status|health|get|hashkv|timetolive|leases|"
         "save|keep-alive"),
    rule("etcdctl.{sub}", "read", "endpoint|alarm"),
    rule("etcdctl.{sub}", "write", "*", "*", kind="cluster"),
    rule("etcdctl.{sub}", "write", "*", kind="cluster"),
)  # fmt: skip

# settings under which Kafka deletes messages: retention, and the cleanup policy
_RETENTION = re.compile(r"(?:^|[,\[])\s*(?:local\.)?(?:retention\.|log\.retention\.|"
                        r"cleanup\.policy|delete\.retention)", re.IGNORECASE)

_KAFKA_VALUES = flagset(
    "--bootstrap-server --zookeeper --topic --partitions --replication-factor --config"
    " --command-config --group --offset-json-file --to-datetime --to-offset --shift-by"
    " --by-duration --delete-config --add-config --entity-type --entity-name --entity-default"
    " --admin.config --replica-assignment --timeout --state --to-earliest-by-duration"
)


@dataclass
class KafkaPack(ToolPack):
    """A Kafka admin script (or etcdctl): the servers are the base, else ``fallback``."""

    fallback: str = "localhost:9092"

    def classify(self, cmd: SimpleCommand, ctx: ClassifyContext) -> list[Target]:
        targets = super().classify(cmd, ctx)
        if targets and targets[0].verb == "kafka.configs.retention":
            _, options = self.split(cmd)
            added = ",".join(v.text for v in options.get("--add-config", []) if v is not None)
            known = all(v is not None and not v.dynamic for v in options["--add-config"])
            if known and not _RETENTION.search(added):
                for t in targets:  # another setting: an ordinary change
                    t.verb, t.risk, t.detail = "kafka.configs.alter", Risk.WRITE, ""
        return targets

    def app(self, cmd: SimpleCommand, options: Options, ctx: ClassifyContext) -> Word | None:
        found = super().app(cmd, options, ctx)
        if found is None:
            return Word(self.fallback)
        text = re.sub(r"https?://", "", found.text)
        return Word(text.rstrip("/"), found.dynamic, found.glob)


# -- cqlsh -----------------------------------------------------------------------------------

_CQL_READ = ("SELECT", "DESCRIBE", "DESC", "USE", "SHOW", "LIST", "CONSISTENCY",
             "SERIAL", "TRACING", "EXPAND", "PAGING", "CAPTURE", "HELP", "EXIT", "QUIT",
             "LOGIN", "CLEAR", "CLS", "SOURCE", "COPY")
_CQL_WRITE = ("INSERT", "UPDATE", "CREATE", "ALTER", "GRANT", "REVOKE", "BEGIN", "APPLY")
_CQL_DESTROY = ("DROP", "TRUNCATE", "DELETE")
_CQL_KINDS = ("KEYSPACE", "SCHEMA", "TYPE", "ROLE", "USER", "MATERIALIZED", "INDEX",
              "FUNCTION", "AGGREGATE", "TRIGGER")


def split_cql(text: str) -> list[str]:
    """Statements of a CQL script: ``;``-separated, quotes and comments respected."""
    out: list[str] = []
    cur: list[str] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c in "'\"":
            j = i + 1
            while j < n and not (text[j] == c and text[j + 1 : j + 2] != c):
                j += 2 if text[j] == c else 1
            cur.append(text[i : j + 1])
            i = j + 1
            continue
        if text.startswith("$$", i):
            j = text.find("$$", i + 2)
            j = n if j < 0 else j + 2
            cur.append(text[i:j])
            i = j
            continue
        if text.startswith(("--", "//"), i):
            j = text.find("\n", i)
            i = n if j < 0 else j
            continue
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            i = n if j < 0 else j + 2
            continue
        if c == ";":
            out.append("".join(cur).strip())
            cur = []
        else:
            cur.append(c)
        i += 1
    out.append("".join(cur).strip())
    return [s for s in out if s]


def cql_statement(stmt: str) -> tuple[str, Risk, str] | None:
    """(verb, risk, object) of one CQL statement, None when not recognised."""
    words = re.findall(r"[A-Za-z_][\w.\"]*", stmt)
    if not words:
        return None
    head = words[0].upper()
    obj = ""
    if head in ("DROP", "TRUNCATE", "CREATE", "ALTER"):
        rest = [w for w in words[1:] if w.upper() not in ("IF", "EXISTS", "NOT", "TABLE",
                                                          "COLUMNFAMILY")]
        if head == "TRUNCATE" or (head == "ALTER" and rest and rest[0].upper() not in _CQL_KINDS):
            obj = rest[0] if rest else ""  # TRUNCATE t, ALTER TABLE t …
        else:
            obj = " ".join(rest[:2])  # DROP KEYSPACE k, ALTER TYPE t

    elif head == "DELETE" and "FROM" in (w.upper() for w in words):
        idx = [w.upper() for w in words].index("FROM")
        obj = words[idx + 1] if idx + 1 < len(words) else ""
    if head == "ALTER" and any(w.upper() == "DROP" for w in words[2:]):
        return "cql.alter.drop", Risk.DESTRUCTIVE, obj  # ALTER TABLE t DROP col: data gone
    if head in _CQL_DESTROY:
        return f"cql.{head.lower()}", Risk.DESTRUCTIVE, obj
    if head in _CQL_WRITE:
        return f"cql.{head.lower()}", Risk.WRITE, obj
    if head in _CQL_READ:
        if head == "COPY" and " FROM " in f" {stmt.upper()} ":
            return "cql.copy", Risk.WRITE, obj
        return f"cql.{head.lower()}", Risk.READ, obj
    return None


_CQLSH_VALUES = flagset(
    "-u --username -p --password -k --keyspace -f --file -e --execute --cqlshrc --cqlversion"
    " --protocol-version --encoding --connect-timeout --request-timeout -b --secure-connect-bundle"
)


@dataclass
class CqlshPack(Pack):
    """cqlsh [HOST [PORT]] -e/-f/stdin: statements by their leading keywords."""

    def classify(self, cmd: SimpleCommand, ctx: ClassifyContext) -> list[Target]:
        positionals, options = split_options(cmd.args, self.takes_value)
        options = with_values(options)
        if "--help" in options or "-h" in options or "--version" in options:
            return [self.target(cmd, positionals, options, "cqlsh.help", Risk.READ, "")]
        scripts: list[tuple[str, str]] = []
        for v in options.get("-e", []) + options.get("--execute", []):
            if v is None or v.dynamic:
                ctx.unparsed("cqlsh -e: the statement comes from a variable or command")
                return [self.target(cmd, positionals, options, "cqlsh.execute",
                                    Risk.DESTRUCTIVE, "statement not known")]
            scripts.append(("-e", v.text))
        for v in options.get("-f", []) + options.get("--file", []):
            text = ctx.read_small_file(v.text) if v is not None and not v.dynamic else None
            if text is None:
                ctx.unparsed("cqlsh -f: the file cannot be read")
                return [self.target(cmd, positionals, options, "cqlsh.file", Risk.DESTRUCTIVE,
                                    "file not inspected")]
            scripts.append(("-f", text))
        if not scripts:
            stdin = stdin_of(cmd, ctx)
            if stdin.text is None:
                if stdin.problem:
                    ctx.unparsed(f"cqlsh: {stdin.problem}")
                else:
                    ctx.unparsed("cqlsh: an interactive session")
                return [self.target(cmd, positionals, options, "cqlsh.session",
                                    Risk.DESTRUCTIVE, "statements not known")]
            scripts.append(("stdin", stdin.text))
        targets: list[Target] = []
        for _, text in scripts:
            for stmt in split_cql(text):
                found = cql_statement(stmt)
                if found is None:
                    ctx.unparsed(f"cqlsh: statement not recognised: {stmt[:60]!r}")
                    targets.append(self.target(cmd, positionals, options, "cql.unknown",
                                               Risk.DESTRUCTIVE, stmt[:60]))
                    continue
                verb, risk, obj = found
                targets.append(self.target(cmd, positionals, options, verb, risk, obj))
        return targets or [self.target(cmd, positionals, options, "cqlsh.empty", Risk.READ, "")]

    def target(self, cmd: SimpleCommand, positionals: list[Word], options: Options, verb: str,
               risk: Risk, obj: str) -> Target:
        host = positionals[0] if positionals else None
        port = positionals[1].text if len(positionals) > 1 else "9042"
        env_host = cmd.env.get("CQLSH_HOST")
        host_text = host.text if host is not None else (
            env_host.text if env_host is not None else "localhost")
        keyspace = value_of(options, "-k|--keyspace") or ""
        unknown = (host is not None and host.dynamic) or (env_host is not None
                                                          and env_host.dynamic)
        return Target(kind="table" if obj else "database", name=obj or host_text, verb=verb,
                      risk=risk, tool="cqlsh", locator=f"cassandra://{host_text}:{port}/"
                      f"{keyspace}", detail=obj, unresolved=unknown)


PACKS: list[Pack] = [
    KafkaPack(
        name="kafka-topics",
        programs=("kafka-topics", "kafka-topics.sh"),
        rules=_KAFKA_TOPICS_RULES,
        kind="topic",
        takes_value=_KAFKA_VALUES,
        default=rule("kafka.topics.read", "read"),
        prefix="kafka:",
        app_options="--bootstrap-server|--zookeeper",
        description="Kafka topics",
    ),
    KafkaPack(
        name="kafka-consumer-groups",
        programs=("kafka-consumer-groups", "kafka-consumer-groups.sh"),
        rules=_KAFKA_GROUPS_RULES,
        kind="consumer-group",
        takes_value=_KAFKA_VALUES,
        default=rule("kafka.groups.read", "read"),
        prefix="kafka:",
        app_options="--bootstrap-server",
        description="Kafka consumer groups",
    ),
    KafkaPack(
        name="kafka-delete-records",
        programs=("kafka-delete-records", "kafka-delete-records.sh"),
        rules=_KAFKA_RECORDS_RULES,
        kind="topic",
        takes_value=_KAFKA_VALUES,
        default=rule("kafka.delete-records", "destructive"),
        prefix="kafka:",
        app_options="--bootstrap-server",
        description="Kafka record deletion",
    ),
    KafkaPack(
        name="kafka-configs",
        programs=("kafka-configs", "kafka-configs.sh"),
        rules=_KAFKA_CONFIGS_RULES,
        kind="config",
        takes_value=_KAFKA_VALUES,
        default=rule("kafka.configs.read", "read"),
        prefix="kafka:",
        app_options="--bootstrap-server|--zookeeper",
        description="Kafka configs",
    ),
    KafkaPack(
        name="etcdctl",
        programs=("etcdctl",),
        rules=_ETCD_RULES,
        kind="key",
        takes_value=flagset(
            "--endpoints --cacert --cert --key --user --password --dial-timeout"
            " --command-timeout -w --write-out --limit --rev --lease --prev-kv --sort-by"
            " --order --data-dir --name --initial-cluster --initial-advertise-peer-urls"
            " --initial-cluster-token --peer-urls --discovery-srv"
        ),
        default=rule("etcdctl.other", "write"),
        prefix="etcd:",
        fallback="127.0.0.1:2379",
        app_options="--endpoints",
        app_env="ETCDCTL_ENDPOINTS",
        description="etcd",
    ),
    CqlshPack(
        name="cqlsh",
        programs=("cqlsh",),
        kind="database",
        takes_value=_CQLSH_VALUES,
        description="Cassandra's CQL shell",
    ),
]
