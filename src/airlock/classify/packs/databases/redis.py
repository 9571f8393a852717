"""redis-cli and valkey-cli: one command from the arguments, or one per stdin line
(FLUSHALL, DEL, CONFIG SET …)."""

from __future__ import annotations

import shlex
from collections.abc import Callable

from airlock.action import Risk, Target
from airlock.classify.command import ClassifyContext, SimpleCommand, Word
from airlock.classify.packs.base import Pack
from airlock.classify.packs.databases.base import (
    CATASTROPHIC,
    DESTRUCTIVE,
    READ,
    WRITE,
    Conn,
    ConnBuilder,
    DbPack,
    Options,
    env_value,
    file_write,
    has_option,
    last_option,
    options_of,
    parse_url,
    stdin_of,
    word_set,
)
from airlock.classify.sql import SQL_WHITESPACE

_REDIS_TAKES = frozenset(
    {
        "-h",
        "-p",
        "-s",
        "-a",
        "-u",
        "-r",
        "-i",
        "-n",
        "-d",
        "-D",
        "-X",
        "-t",
        "--user",
        "--pass",
        "--pattern",
        "--quoted-pattern",
        "--count",
        "--rdb",
        "--functions-rdb",
        "--eval",
        "--cacert",
        "--cacertdir",
        "--cert",
        "--key",
        "--sni",
        "--tls-ciphers",
        "--tls-ciphersuites",
        "--memkeys-samples",
        "--pipe-timeout",
        "--intrinsic-latency",
        "--lru-test",
        "--keystats-samples",
        "--cursor",
        "--top",
    }
)

_REDIS_READ = word_set(
    """GET MGET KEYS SCAN EXISTS TYPE TTL PTTL EXPIRETIME PEXPIRETIME HGET HGETALL HKEYS HVALS
    HLEN HEXISTS HMGET HSCAN HSTRLEN HRANDFIELD HTTL HPTTL LRANGE LLEN LINDEX LPOS SMEMBERS
    SISMEMBER SMISMEMBER SCARD SSCAN SRANDMEMBER SINTER SUNION SDIFF SINTERCARD ZRANGE
    ZRANGEBYSCORE ZREVRANGE ZREVRANGEBYSCORE ZRANGEBYLEX ZREVRANGEBYLEX ZCARD ZSCORE ZMSCORE
    ZRANK ZREVRANK ZCOUNT ZLEXCOUNT ZSCAN ZRANDMEMBER ZDIFF ZINTER ZUNION ZINTERCARD STRLEN
    GETRANGE SUBSTR GETBIT BITCOUNT BITPOS BITFIELD_RO PFCOUNT GEOPOS GEODIST GEOHASH
    GEORADIUS_RO GEORADIUSBYMEMBER_RO GEOSEARCH XRANGE XREVRANGE XLEN XREAD XINFO XPENDING
    INFO PING ECHO DBSIZE TIME LASTSAVE ROLE RANDOMKEY DUMP OBJECT SELECT AUTH HELLO
    COMMAND MONITOR SUBSCRIBE PSUBSCRIBE SSUBSCRIBE UNSUBSCRIBE PUNSUBSCRIBE SUNSUBSCRIBE
    PUBSUB WAIT WAITAOF LCS SORT_RO QUIT MULTI EXEC DISCARD WATCH UNWATCH READONLY READWRITE
    LOLWUT EVAL_RO EVALSHA_RO FCALL_RO TOUCH"""
)

_REDIS_WRITE = word_set(
    """SET SETNX SETEX PSETEX MSET MSETNX APPEND INCR INCRBY INCRBYFLOAT DECR DECRBY GETSET
    GETEX SETRANGE SETBIT BITFIELD BITOP HSET HSETNX HMSET HINCRBY HINCRBYFLOAT HDEL HEXPIRE
    HPEXPIRE HPERSIST LPUSH RPUSH LPUSHX RPUSHX LINSERT LSET LPOP RPOP LREM LTRIM LMOVE
    BLMOVE RPOPLPUSH BRPOPLPUSH BLPOP BRPOP LMPOP BLMPOP SADD SREM SPOP SMOVE SINTERSTORE
    SUNIONSTORE SDIFFSTORE ZADD ZINCRBY ZREM ZREMRANGEBYSCORE ZREMRANGEBYRANK ZREMRANGEBYLEX
    ZPOPMIN ZPOPMAX BZPOPMIN BZPOPMAX ZMPOP BZMPOP ZRANGESTORE ZUNIONSTORE ZINTERSTORE
    ZDIFFSTORE PFADD PFMERGE GEOADD GEOSEARCHSTORE GEORADIUS GEORADIUSBYMEMBER XADD XDEL
    XTRIM XACK XCLAIM XAUTOCLAIM XREADGROUP XSETID PUBLISH SPUBLISH PERSIST RENAMENX MOVE
    SORT SAVE BGSAVE BGREWRITEAOF GETDEL"""
)

# Subcommands: (COMMAND, SUB) → (risk, detail); COMMAND alone for the rest of its family.
_REDIS_SUB: dict[tuple[str, str], tuple[Risk, str]] = {
    ("CONFIG", "GET"): (READ, ""),
    ("CONFIG", "SET"): (WRITE, "changes the server configuration"),
    ("CONFIG", "REWRITE"): (WRITE, "rewrites the configuration file"),
    ("CONFIG", "RESETSTAT"): (WRITE, ""),
    ("CLIENT", "KILL"): (DESTRUCTIVE, "ends other connections"),
    ("CLIENT", "PAUSE"): (WRITE, "pauses clients"),
    ("SCRIPT", "FLUSH"): (DESTRUCTIVE, "deletes every cached script"),
    ("SCRIPT", "KILL"): (DESTRUCTIVE, "kills a running script"),
    ("SCRIPT", "LOAD"): (WRITE, ""),
    ("SCRIPT", "EXISTS"): (READ, ""),
    ("FUNCTION", "FLUSH"): (DESTRUCTIVE, "deletes every function library"),
    ("FUNCTION", "DELETE"): (DESTRUCTIVE, "deletes a function library"),
    ("FUNCTION", "KILL"): (DESTRUCTIVE, "kills a running function"),
    ("FUNCTION", "LOAD"): (WRITE, ""),
    ("FUNCTION", "RESTORE"): (DESTRUCTIVE, "replaces function libraries"),
    ("FUNCTION", "LIST"): (READ, ""),
    ("FUNCTION", "DUMP"): (READ, ""),
    ("FUNCTION", "STATS"): (READ, ""),
    ("ACL", "DELUSER"): (CATASTROPHIC, "deletes users"),
    ("ACL", "SETUSER"): (DESTRUCTIVE, "changes a user's permissions"),
    ("ACL", "SAVE"): (WRITE, ""),
    ("ACL", "LOAD"): (WRITE, ""),
    ("MODULE", "LOAD"): (DESTRUCTIVE, "loads native code"),
    ("MODULE", "LOADEX"): (DESTRUCTIVE, "loads native code"),
    ("MODULE", "UNLOAD"): (DESTRUCTIVE, "unloads a module"),
    ("MODULE", "LIST"): (READ, ""),
    ("MEMORY", "PURGE"): (WRITE, ""),
    ("SLOWLOG", "RESET"): (WRITE, ""),
    ("LATENCY", "RESET"): (WRITE, ""),
    ("XGROUP", "DESTROY"): (DESTRUCTIVE, "deletes a consumer group"),
    ("XGROUP", "DELCONSUMER"): (WRITE, ""),
    ("CLUSTER", "RESET"): (CATASTROPHIC, "resets a cluster node"),
    ("CLUSTER", "FAILOVER"): (DESTRUCTIVE, "fails over the cluster"),
    ("CLUSTER", "FORGET"): (DESTRUCTIVE, "removes a node"),
    ("CLUSTER", "FLUSHSLOTS"): (DESTRUCTIVE, ""),
    ("CLUSTER", "DELSLOTS"): (DESTRUCTIVE, ""),
    ("CLUSTER", "DELSLOTSRANGE"): (DESTRUCTIVE, ""),
}
# CONFIG SET parameters under which data is lost or files written: persistence off
# (``appendonly no``, ``save ""``), an eviction policy (``allkeys-lru`` evicts any key),
# and where the dump goes (``dir``/``dbfilename``: the classic way to write files as
# redis).
_CONFIG_LOSES_DATA = frozenset({"appendonly", "save", "maxmemory-policy", "dir", "dbfilename",
                                "appendfilename", "appenddirname"})
_REDIS_READ_FAMILIES = frozenset(
    {
        "CONFIG",
        "CLIENT",
        "ACL",
        "MEMORY",
        "SLOWLOG",
        "LATENCY",
        "CLUSTER",
        "MODULE",
        "SCRIPT",
        "FUNCTION",
        "XGROUP",
        "OBJECT",
        "COMMAND",
        "PUBSUB",
        "XINFO",
    }
)
_REDIS_READ_SUBS = frozenset(
    {
        "GET",
        "LIST",
        "INFO",
        "NODES",
        "SLOTS",
        "SHARDS",
        "KEYSLOT",
        "COUNTKEYSINSLOT",
        "GETKEYSINSLOT",
        "MYID",
        "MYSHARDID",
        "USERS",
        "WHOAMI",
        "GETUSER",
        "CAT",
        "LOG",
        "USAGE",
        "STATS",
        "DOCTOR",
        "LATEST",
        "HISTORY",
        "GRAPH",
        "HISTOGRAM",
        "LEN",
        "HELP",
        "ID",
        "GETNAME",
        "ENCODING",
        "FREQ",
        "IDLETIME",
        "REFCOUNT",
        "COUNT",
        "DOCS",
        "GETKEYS",
        "CHANNELS",
        "NUMSUB",
        "NUMPAT",
        "SHARDCHANNELS",
        "SHARDNUMSUB",
        "EXISTS",
        "DUMP",
        "CONSUMERS",
        "GROUPS",
        "STREAM",
        "LINKS",
        "COUNT-FAILURE-REPORTS",
        "MALLOC-STATS",
        "GENPASS",
        "DRYRUN",
        "TRACKINGINFO",
        "NO-EVICT",
        "NO-TOUCH",
        "SETNAME",
        "SETINFO",
        "REPLY",
        "TRACKING",
        "CACHING",
        "UNPAUSE",
        "CREATE",
        "SETID",
        "CREATECONSUMER",
    }
)


class RedisPack(DbPack):
    """redis-cli: one command from arguments, or one per stdin line."""

    def classify_db(self, cmd: SimpleCommand, ctx: ClassifyContext) -> list[Target]:
        options: Options = {}
        items = list(cmd.args)
        i = 0
        while (
            i < len(items)
            and not items[i].dynamic
            and items[i].text.startswith("-")
            and (len(items[i].text) > 1)
        ):
            name = items[i].text
            if name.startswith("--") and "=" in name:
                key, _, value = name.partition("=")
                options.setdefault(key, []).append(Word(value))
            elif name in _REDIS_TAKES and i + 1 < len(items):
                options.setdefault(name, []).append(items[i + 1])
                i += 1
            else:
                options.setdefault(name, []).append(None)
            i += 1
        command = items[i:]
        conn = self._conn(cmd, ctx, options)
        targets: list[Target] = []

        def unparsed(detail: str) -> None:
            ctx.unparsed(f"redis-cli: {detail}")

        if has_option(options, "--eval"):
            unparsed("--eval runs a Lua script that is not analysed")
            targets.append(self._db(conn, "redis.eval", DESTRUCTIVE, "Lua script"))
        if has_option(options, "--pipe"):
            unparsed("--pipe sends raw protocol that is not analysed")
            targets.append(self._db(conn, "redis.pipe", DESTRUCTIVE, "raw protocol from stdin"))
        if has_option(options, "--cluster"):
            sub = (last_option(options, "--cluster") or Word("")).text.lower()
            if sub in ("check", "info", "help"):
                targets.append(self._db(conn, f"redis.cluster.{sub}", READ))
            else:
                unparsed(f"--cluster {sub} is not analysed")
                targets.append(self._db(conn, "redis.cluster", DESTRUCTIVE, f"--cluster {sub}"))
            command = []
        for word in options_of(options, "--rdb", "--functions-rdb"):
            targets.append(self._db(conn, "redis.dump", READ, "--rdb reads the whole dataset"))
            if word is not None:
                t = file_write(ctx, word, "redis-cli", "--rdb writes a dump file")
                if t is not None:
                    targets.append(t)
        scans = (
            "--scan",
            "--bigkeys",
            "--memkeys",
            "--hotkeys",
            "--keystats",
            "--stat",
            "--latency",
            "--latency-history",
            "--latency-dist",
            "--replica",
            "--lru-test",
            "--intrinsic-latency",
            "-v",
            "--version",
            "--help",
        )
        if any(has_option(options, o) for o in scans):
            targets.append(self._db(conn, "redis.inspect", READ))
        if command:
            targets.extend(self.command(command, conn, unparsed))
        elif not targets:
            stdin = stdin_of(cmd, ctx)
            if stdin.problem:
                unparsed(stdin.problem)
                targets.append(self._db(conn, "redis.commands", READ, "commands from stdin"))
            elif stdin.text is not None:
                for line in stdin.text.splitlines():
                    if not line.strip(SQL_WHITESPACE):
                        continue
                    try:
                        words = [Word(w) for w in shlex.split(line)]
                    except ValueError:
                        unparsed(f"cannot read command line {line[:60]!r}")
                        continue
                    targets.extend(self.command(words, conn, unparsed))
        if not targets:
            targets.append(self._db(conn, "redis.session", READ, "interactive session"))
        return targets

    @staticmethod
    def _conn(cmd: SimpleCommand, ctx: ClassifyContext, options: Options) -> Conn:
        b = ConnBuilder("redis")
        uri = last_option(options, "-u")
        if uri is not None:
            if uri.unknown:
                b.conn.unresolved = True
            else:
                fields = parse_url(uri.text) or {}
                b.offer_fields({k: v for k, v in fields.items() if k != "user"})
        b.offer("host", last_option(options, "-h"))
        b.offer("port", last_option(options, "-p"))
        b.offer("dbname", last_option(options, "-n"))
        socket = last_option(options, "-s")
        if socket is not None:
            b.offer("host", socket)
        url, _ = env_value(cmd, ctx, "REDIS_URL")
        if url.startswith(("redis://", "rediss://")):
            b.offer_fields({k: v for k, v in (parse_url(url) or {}).items() if k != "user"})
        if not b.conn.dbname:
            b.conn.dbname = "0"
        return b.conn

    @staticmethod
    def _db(conn: Conn, verb: str, risk: Risk, detail: str = "", whole: bool = False) -> Target:
        where = f"{conn.host or 'localhost'}:{conn.port or '6379'}"
        locator = conn.locator.rsplit("/", 1)[0] if whole else conn.locator
        name = f"redis {where} (all databases)" if whole else f"redis {where} db {conn.dbname}"
        return Target(
            kind="database",
            name=name,
            verb=verb,
            risk=risk,
            reversible=risk <= WRITE,
            tool="redis-cli",
            locator=locator,
            detail=detail,
            unresolved=conn.unresolved,
        )

    def command(
        self, words: list[Word], conn: Conn, unparsed: Callable[[str], None]
    ) -> list[Target]:
        """Targets of one redis command; ``SELECT n`` switches ``conn``'s database."""
        head = words[0]
        if head.unknown:
            unparsed("the command name comes from a variable")
            return [self._db(conn, "redis.unknown", DESTRUCTIVE, "command not visible")]
        name = head.text.upper()
        args = words[1:]
        sub = args[0].text.upper() if args and not args[0].unknown else ""
        if name == "SELECT" and args and not args[0].unknown:
            conn.dbname = args[0].text
            return [self._db(conn, "redis.select", READ)]
        if name == "FLUSHALL":
            return [
                self._db(
                    conn,
                    "redis.flushall",
                    CATASTROPHIC,
                    "FLUSHALL deletes every key in every database",
                    whole=True,
                )
            ]
        if name == "FLUSHDB":
            return [self._db(conn, "redis.flushdb", DESTRUCTIVE, "FLUSHDB deletes every key")]
        if name in ("DEL", "UNLINK"):
            return [
                self._key(conn, w, f"redis.{name.lower()}", DESTRUCTIVE, name) for w in args
            ] or [self._db(conn, f"redis.{name.lower()}", DESTRUCTIVE)]
        if name in ("RENAME", "RESTORE", "COPY", "MIGRATE", "SWAPDB"):
            replaces = name in ("RENAME", "SWAPDB", "MIGRATE") or any(
                w.text.upper() == "REPLACE" for w in args
            )
            risk = DESTRUCTIVE if replaces else WRITE
            detail = f"{name} can overwrite or remove data" if replaces else name
            key = args[0] if args else Word("?")
            return [self._key(conn, key, f"redis.{name.lower()}", risk, detail)]
        if name in ("EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT"):
            key = args[0] if args else Word("?")
            when = args[1] if len(args) > 1 else None
            gone = (
                when is None
                or when.unknown
                or not when.text.lstrip("-").isdigit()
                or (int(when.text) <= 0)
            )
            risk = DESTRUCTIVE if gone else WRITE
            detail = "expires the key now" if gone else "sets a time to live"
            return [self._key(conn, key, f"redis.{name.lower()}", risk, detail)]
        if name in ("REPLICAOF", "SLAVEOF"):
            if sub == "NO" and len(args) > 1 and args[1].text.upper() == "ONE":
                return [self._db(conn, "redis.replicaof", WRITE, "promotes to primary")]
            return [
                self._db(
                    conn,
                    "redis.replicaof",
                    CATASTROPHIC,
                    "REPLICAOF discards the whole dataset to sync from another server",
                    whole=True,
                )
            ]
        if name == "SHUTDOWN":
            return [self._db(conn, "redis.shutdown", DESTRUCTIVE, "stops the server", whole=True)]
        if name in ("DEBUG", "FAILOVER"):
            return [self._db(conn, f"redis.{name.lower()}", DESTRUCTIVE, name, whole=True)]
        if name in ("EVAL", "EVALSHA", "FCALL"):
            return [
                self._db(conn, f"redis.{name.lower()}", DESTRUCTIVE, "script body is not analysed")
            ]
        if name == "CONFIG" and sub == "SET":
            params = args[1::2]
            if any(w.unknown or w.text.lower() in _CONFIG_LOSES_DATA for w in params):
                return [self._db(conn, "redis.config.set", DESTRUCTIVE,
                                 "a persistence, eviction or file setting: keys can be lost or "
                                 "files written on the server", whole=True)]
        if (name, sub) in _REDIS_SUB:
            risk, detail = _REDIS_SUB[(name, sub)]
            return [self._db(conn, f"redis.{name.lower()}.{sub.lower()}", risk, detail)]
        if name in _REDIS_READ_FAMILIES and (sub in _REDIS_READ_SUBS or not sub):
            return [
                self._db(conn, f"redis.{name.lower()}" + (f".{sub.lower()}" if sub else ""), READ)
            ]
        if name in _REDIS_READ:
            return [self._db(conn, f"redis.{name.lower()}", READ)]
        if name in _REDIS_WRITE:
            key = args[0] if args else Word("?")
            return [self._key(conn, key, f"redis.{name.lower()}", WRITE, "")]
        unparsed(f"unknown command {head.text[:40]}")
        return [self._db(conn, f"redis.{name.lower()[:40]}", WRITE, "unknown command")]

    @staticmethod
    def _key(conn: Conn, key: Word, verb: str, risk: Risk, detail: str) -> Target:
        return Target(
            kind="key",
            name=f"key {key.shown}",
            verb=verb,
            risk=risk,
            reversible=risk <= WRITE,
            tool="redis-cli",
            locator=conn.locator,
            detail=detail,
            unresolved=key.unknown or conn.unresolved,
        )


PACKS: list[Pack] = [
    RedisPack(
        name="redis-cli",
        programs=("redis-cli", "valkey-cli"),
        kind="database",
        description="Redis client: FLUSHALL, DEL, CONFIG SET …",
    ),
]
