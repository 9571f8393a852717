"""mongosh and mongo: ``--eval`` JS, script files and stdin. Method calls are recognised
from the token stream (``db.users.drop()``, ``deleteMany({})``, ``dropDatabase()``); an
unknown function or method is held.

The Database Tools beside them: ``mongodump``/``mongoexport`` read (their output file is
a write), ``mongorestore``/``mongoimport`` write, and with ``--drop`` (or ``mongoimport
--mode delete``) destroy."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from airlock.action import Risk, Target
from airlock.classify.command import ClassifyContext, SimpleCommand, Word, split_options
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
    file_write,
    has_option,
    last_option,
    options_of,
    parse_url,
    read_script,
    stdin_of,
    word_set,
)

_MONGO_TAKES = frozenset(
    {
        "--eval",
        "-f",
        "--file",
        "--host",
        "--port",
        "-u",
        "--username",
        "-p",
        "--password",
        "--authenticationDatabase",
        "--authenticationMechanism",
        "--apiVersion",
        "--tlsCAFile",
        "--tlsCertificateKeyFile",
        "--tlsCertificateKeyFilePassword",
        "--awsAccessKeyId",
        "--awsSecretAccessKey",
        "--awsSessionToken",
        "--gssapiServiceName",
        "--sspiHostnameCanonicalization",
        "--browser",
        "--oidcFlows",
        "--oidcRedirectUri",
        "--json",
        "--tlsCRLFile",
        "--tlsCertificateSelector",
        "--db",
    }
)

_JS_TOKEN = re.compile(
    r"""(?P<ws>\s+)|(?P<comment>//[^\n]*|/\*.*?\*/)
    |(?P<str>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`(?:[^`\\]|\\.)*`)
    |(?P<name>[$A-Za-z_][$\w]*)|(?P<num>\d[\w.]*)
    |(?P<punct>=>|\.\.\.|[=!]==?|[<>]=?|&&|\|\||\?\?|[{}()\[\];,.:?=+\-*/%&|^~!])""",
    re.X | re.S,
)

# method → (risk, verb suffix, what); None risk = decided by code below
_MONGO_METHODS: dict[str, Risk] = {
    "dropDatabase": CATASTROPHIC,
    "dropAllUsers": CATASTROPHIC,
    "dropUser": CATASTROPHIC,
    "drop": DESTRUCTIVE,
    "dropIndex": DESTRUCTIVE,
    "dropIndexes": DESTRUCTIVE,
    "dropRole": DESTRUCTIVE,
    "dropAllRoles": DESTRUCTIVE,
    "revokeRolesFromUser": DESTRUCTIVE,
    "revokePrivilegesFromRole": DESTRUCTIVE,
    "killOp": DESTRUCTIVE,
    "shutdownServer": DESTRUCTIVE,
    "fsyncLock": WRITE,
    "fsyncUnlock": WRITE,
    "insertOne": WRITE,
    "insertMany": WRITE,
    "insert": WRITE,
    "save": WRITE,
    "updateOne": WRITE,
    "replaceOne": WRITE,
    "findOneAndUpdate": WRITE,
    "findOneAndReplace": WRITE,
    "findOneAndDelete": WRITE,
    "findAndModify": WRITE,
    "deleteOne": WRITE,
    "createCollection": WRITE,
    "createIndex": WRITE,
    "createIndexes": WRITE,
    "ensureIndex": WRITE,
    "createView": WRITE,
    "createUser": WRITE,
    "updateUser": WRITE,
    "changeUserPassword": WRITE,
    "createRole": WRITE,
    "updateRole": WRITE,
    "grantRolesToUser": WRITE,
    "grantPrivilegesToRole": WRITE,
    "grantRolesToRole": WRITE,
    "setProfilingLevel": WRITE,
    "compact": WRITE,
    "reIndex": WRITE,
    "hideIndex": WRITE,
    "unhideIndex": WRITE,
    "renameCollection": WRITE,
    "bulkWrite": WRITE,
    "deleteMany": WRITE,
    "remove": WRITE,
    "updateMany": WRITE,
    "update": WRITE,
    "aggregate": READ,
    "runCommand": READ,
    "adminCommand": READ,
}
_MONGO_READ_METHODS = word_set(
    """find findOne countDocuments estimatedDocumentCount count distinct getIndexes
    getIndexKeys getIndexSpecs stats dataSize storageSize totalSize totalIndexSize explain
    getCollectionNames getCollectionInfos getCollection getSiblingDB getName getMongo
    getDBNames hostInfo serverStatus serverBuildInfo version isMaster hello currentOp
    printCollectionStats getUsers getUser getRoles getRole watch toArray forEach map limit
    skip sort project projection pretty hasNext next tryNext itcount size batchSize hint
    maxTimeMS collation comment readPref readConcern allowDiskUse noCursorTimeout returnKey
    showRecordId min max tailable close isClosed isExhausted objsLeftInBatch getDB
    latencyStats getShardDistribution isCapped getReplicationInfo printReplicationInfo
    printSecondaryReplicationInfo printShardingStatus status conf config help
    listCollections listDatabases getProfilingStatus getLogComponents serverCmdLineOpts
    getCollectionInfo filter reduce join push pop slice includes indexOf keys values entries
    length toString toFixed valueOf getTime toISOString toJSON stringify parse log
    getTimestamp str valueOf concat split trim toLowerCase toUpperCase startsWith endsWith
    replace some every findLast sum floor ceil round abs getBalancerState
    isBalancerRunning getFullYear getMonth getDate now hex toHexString equals"""
)
_MONGO_FUNCTIONS = word_set(
    """print printjson printjsononeline tojson tojsononeline ObjectId ISODate Date NumberLong
    NumberInt NumberDecimal Decimal128 UUID BinData Timestamp MinKey MaxKey DBRef RegExp
    String Number Boolean Array Object parseInt parseFloat isNaN sleep Math JSON Int32 Long
    Double MD5 HexData Symbol Error Map Set Promise"""
)
_JS_KEYWORDS = word_set(
    """if for while switch catch return typeof function do else try finally new const let var
    of in await async throw case default break continue delete void instanceof yield class
    this true false null undefined"""
)
_MONGO_RUNCOMMAND_READ = word_set(
    """ping serverStatus listDatabases listCollections buildInfo isMaster ismaster hello
    dbStats collStats count find aggregate getParameter connectionStatus hostInfo currentOp
    replSetGetStatus getLog listIndexes whatsmyuri explain usersInfo rolesInfo
    getCmdLineOpts top validate dataSize features"""
)
_MONGO_RUNCOMMAND_RISK: dict[str, Risk] = {
    "dropDatabase": CATASTROPHIC,
    "dropAllUsersFromDatabase": CATASTROPHIC,
    "dropUser": CATASTROPHIC,
    "drop": DESTRUCTIVE,
    "delete": DESTRUCTIVE,
    "dropIndexes": DESTRUCTIVE,
    "shutdown": DESTRUCTIVE,
    "killOp": DESTRUCTIVE,
    "replSetStepDown": DESTRUCTIVE,
    "replSetReconfig": DESTRUCTIVE,
    "compact": WRITE,
    "insert": WRITE,
    "update": DESTRUCTIVE,
    "create": WRITE,
    "createIndexes": WRITE,
    "renameCollection": WRITE,
    "setParameter": WRITE,
    "fsync": WRITE,
}


@dataclass
class _Tok:
    kind: str
    text: str


def js_tokens(text: str) -> list[_Tok] | None:
    """Tokens of a JavaScript snippet, or None where we cannot tokenize it."""
    toks: list[_Tok] = []
    pos = 0
    while pos < len(text):
        m = _JS_TOKEN.match(text, pos)
        if m is None:
            return None
        kind = m.lastgroup or ""
        if kind not in ("ws", "comment"):
            toks.append(_Tok(kind, m.group(0)))
        pos = m.end()
    return toks


def _str_value(tok: _Tok) -> str:
    return tok.text[1:-1] if tok.kind == "str" else tok.text


def _matching(toks: Sequence[_Tok], i: int) -> int:
    """Index of the bracket closing the one at ``i`` (len(toks) when unbalanced)."""
    pairs = {"(": ")", "[": "]", "{": "}"}
    opening = toks[i].text
    closing = pairs[opening]
    depth = 0
    for j in range(i, len(toks)):
        if toks[j].text == opening:
            depth += 1
        elif toks[j].text == closing:
            depth -= 1
            if depth == 0:
                return j
    return len(toks)


def _opening(toks: Sequence[_Tok], j: int) -> int:
    """Index of the bracket opening the one that closes at ``j`` (-1 when unbalanced)."""
    pairs = {")": "(", "]": "[", "}": "{"}
    closing = toks[j].text
    opening = pairs[closing]
    depth = 0
    for i in range(j, -1, -1):
        if toks[i].text == closing:
            depth += 1
        elif toks[i].text == opening:
            depth -= 1
            if depth == 0:
                return i
    return -1


class MongoPack(DbPack):
    """mongosh / mongo: JavaScript from --eval, script files and stdin."""

    def classify_db(self, cmd: SimpleCommand, ctx: ClassifyContext) -> list[Target]:
        positionals, options = split_options(cmd.args, _MONGO_TAKES)
        tool = cmd.program if cmd.program in self.programs else self.name
        files = [w for w in positionals if w.unknown or w.text.endswith(".js")]
        conn_words = [w for w in positionals if w not in files]
        conn = self._conn(cmd, ctx, options, conn_words[0] if conn_words else None)
        run = _MongoRun(tool)
        targets: list[Target] = []

        def unparsed(detail: str) -> None:
            ctx.unparsed(f"{tool}: {detail}")

        if has_option(options, "--nodb") and not options_of(options, "--eval") and not files:
            return [conn.target("mongo.session", READ, tool, "--nodb")]
        evals = options_of(options, "--eval")
        for word in evals:
            if word is None or word.unknown:
                unparsed("--eval: the script comes from a variable or command we cannot see")
            else:
                targets.extend(run.script(word.text, conn, unparsed))
        for word in [*files, *[w for w in options_of(options, "-f", "--file") if w is not None]]:
            text = None if word.unknown else read_script(ctx, word.text)
            if text is None:
                unparsed(f"script {word.shown}: cannot see it")
            else:
                targets.extend(run.script(text, conn, unparsed))
        if not evals and not files and not has_option(options, "-f", "--file"):
            stdin = stdin_of(cmd, ctx)
            if stdin.problem:
                unparsed(stdin.problem)
            elif stdin.text is not None:
                targets.extend(run.script(stdin.text, conn, unparsed))
        if not targets:
            targets.append(conn.target("mongo.session", READ, tool, "interactive session"))
        return targets

    @staticmethod
    def _conn(
        cmd: SimpleCommand, ctx: ClassifyContext, options: Options, first: Word | None
    ) -> Conn:
        b = ConnBuilder("mongodb")
        host_word = last_option(options, "--host")
        for word in (first, host_word):
            if word is None:
                continue
            if word.unknown:
                b.conn.unresolved = True
                continue
            text = word.text
            if text.startswith(("mongodb://", "mongodb+srv://")):
                fields = parse_url(text) or {}
                if text.startswith("mongodb+srv://"):
                    b.conn.scheme = "mongodb+srv"
                b.offer_fields(fields)
            elif word is host_word:
                if "/" in text or "," in text or text.count(":") != 1:
                    b.offer("host", text)  # replica set "rs0/h1,h2", several hosts, IPv6
                else:
                    host, _, port = text.partition(":")
                    b.offer("host", host)
                    b.offer("port", port)
            elif "/" not in text and ":" not in text and "." not in text:
                b.offer("dbname", text)  # mongosh mydb
            else:
                hostport, _, db = text.partition("/")  # mongosh host[:port][/db]
                host, _, port = hostport.partition(":")
                b.offer("host", host)
                b.offer("port", port)
                b.offer("dbname", db)
        b.offer("port", last_option(options, "--port"))
        b.offer("user", last_option(options, "-u", "--username"))
        b.offer("dbname", last_option(options, "--db"))
        if not b.conn.dbname:
            b.conn.dbname = "test"
        return b.conn


class _MongoRun:
    """Analysis of the JavaScript one mongosh invocation runs."""

    def __init__(self, tool: str) -> None:
        self.tool = tool

    def script(self, text: str, conn: Conn, unparsed: Callable[[str], None]) -> list[Target]:
        targets: list[Target] = []
        segment: list[str] = []
        state = {"db": conn.dbname}

        def run() -> None:
            if segment:
                targets.extend(self._js("\n".join(segment), conn, state, unparsed))
                segment.clear()

        for line in text.splitlines():
            stripped = line.strip().rstrip(";").strip()
            if m := re.fullmatch(r"use\s+([\w.-]+)", stripped):
                run()
                state["db"] = m.group(1)
            elif re.fullmatch(r"show\s+\w+|it|exit|quit|exit\(\)|quit\(\)", stripped):
                run()
                targets.append(self._target(conn, state["db"], "", "mongo.show", READ))
            else:
                segment.append(line)
        run()
        return targets

    def _target(
        self,
        conn: Conn,
        db: str,
        coll: str,
        verb: str,
        risk: Risk,
        detail: str = "",
        unresolved: bool = False,
    ) -> Target:
        locator = Conn(conn.scheme, conn.host, conn.port, conn.user, db).locator
        if coll:
            return Target(
                kind="collection",
                name=f"collection {db}.{coll}",
                verb=verb,
                risk=risk,
                reversible=risk <= WRITE,
                tool=self.tool,
                locator=locator,
                detail=detail,
                unresolved=unresolved or conn.unresolved,
            )
        return Target(
            kind="database",
            name=f"database {db}",
            verb=verb,
            risk=risk,
            reversible=risk <= WRITE,
            tool=self.tool,
            locator=locator,
            detail=detail,
            unresolved=unresolved or conn.unresolved,
        )

    def _js(
        self, text: str, conn: Conn, state: dict[str, str], unparsed: Callable[[str], None]
    ) -> list[Target]:
        toks = js_tokens(text)
        if toks is None:
            unparsed("cannot tokenize the script")
            return [
                self._target(
                    conn, state["db"], "", "mongo.script", DESTRUCTIVE, "script not analysed"
                )
            ]
        if any(t.kind == "str" and t.text.startswith("`") and "${" in t.text for t in toks):
            unparsed("template strings with ${…} are not analysed")
        declared = {
            toks[i + 1].text
            for i, t in enumerate(toks[:-1])
            if t.text in ("function", "const", "let", "var") and toks[i + 1].kind == "name"
        }
        targets: list[Target] = []
        for i, tok in enumerate(toks):
            nxt = toks[i + 1].text if i + 1 < len(toks) else ""
            if tok.text == "db" and nxt == "[" and not (i > 0 and toks[i - 1].text == "."):
                close = _matching(toks, i + 1)
                if not (close == i + 3 and toks[i + 2].kind == "str"):
                    unparsed("collection named by an expression")
            if nxt != "(":
                continue
            if tok.kind != "name":
                if tok.text == "]":
                    unparsed("call of a computed method")
                continue
            method = tok.text
            prev = toks[i - 1].text if i > 0 else ""
            if prev != ".":
                if prev == "function" or method in _JS_KEYWORDS or method in declared:
                    continue
                if method not in _MONGO_FUNCTIONS:
                    unparsed(f"call of unknown function {method}()")
                continue
            receiver_db, coll, unresolved, receiver = self._receiver(toks, i - 1, state["db"])
            if receiver in ("rs", "sh") and method not in _MONGO_READ_METHODS:
                unparsed(f"{receiver}.{method}() is not analysed")
                targets.append(
                    self._target(
                        conn,
                        receiver_db,
                        "",
                        f"mongo.{receiver}.{method}",
                        DESTRUCTIVE,
                        f"{receiver}.{method}()",
                    )
                )
                continue
            if method in _MONGO_METHODS:
                targets.extend(
                    self._method(toks, i, method, conn, receiver_db, coll, unresolved, unparsed)
                )
            elif method not in _MONGO_READ_METHODS:
                unparsed(f"call of unknown method {method}()")
            elif method in (
                "find",
                "findOne",
                "countDocuments",
                "count",
                "distinct",
                "estimatedDocumentCount",
                "stats",
                "getIndexes",
                "watch",
            ):
                targets.append(
                    self._target(
                        conn, receiver_db, coll, f"mongo.{method}", READ, unresolved=unresolved
                    )
                )
        if not targets:
            targets.append(self._target(conn, state["db"], "", "mongo.eval", READ))
        return targets

    @staticmethod
    def _receiver(toks: Sequence[_Tok], dot: int, db: str) -> tuple[str, str, bool, str]:
        """(database, collection, unresolved, receiver word) of the call whose '.' is ``dot``.

        ``db.users.drop()`` → users; ``db.getCollection("x").drop()`` → x;
        ``db["x"].drop()`` → x; ``db.getSiblingDB("y").dropDatabase()`` → database y.
        """
        j = dot - 1
        if j < 0:
            return db, "", True, ""
        tok = toks[j]
        if tok.kind == "name" and (j == 0 or toks[j - 1].text != "."):
            if tok.text == "db":
                return db, "", False, "db"
            return db, "?", True, tok.text
        if tok.kind == "name" and j >= 2 and toks[j - 1].text == ".":
            owner = _MongoRun._receiver(toks, j - 1, db)
            if owner[3] == "db" and not owner[1]:
                return owner[0], tok.text, False, "collection"
            return owner[0], "?", True, tok.text
        if tok.text == ")":
            start = _opening(toks, j)
            if start >= 2 and toks[start - 1].kind == "name" and toks[start - 2].text == ".":
                call = toks[start - 1].text
                args = toks[start + 1 : j]
                owner = _MongoRun._receiver(toks, start - 2, db)
                literal = len(args) == 1 and args[0].kind == "str"
                if call == "getCollection":
                    if literal:
                        return owner[0], _str_value(args[0]), False, "collection"
                    return owner[0], "?", True, "collection"
                if call == "getSiblingDB":
                    if literal:
                        return _str_value(args[0]), "", False, "db"
                    return "?", "", True, "db"
                return owner  # a cursor method: find(...).sort(...) keeps its collection
            return db, "?", True, ""
        if tok.text == "]":
            start = _opening(toks, j)
            args = toks[start + 1 : j]
            if (
                start >= 1
                and toks[start - 1].text == "db"
                and len(args) == 1
                and (args[0].kind == "str")
            ):
                return db, _str_value(args[0]), False, "collection"
            return db, "?", True, ""
        return db, "?", True, ""

    def _method(
        self,
        toks: Sequence[_Tok],
        i: int,
        method: str,
        conn: Conn,
        db: str,
        coll: str,
        unresolved: bool,
        unparsed: Callable[[str], None],
    ) -> list[Target]:
        close = _matching(toks, i + 1)
        args = toks[i + 2 : close]
        texts = [t.text for t in args]
        empty_filter = not args or (
            texts[:2] == ["{", "}"] and (len(texts) == 2 or texts[2] == ",")
        )
        risk = _MONGO_METHODS[method]
        detail = f"{method}()"
        verb = f"mongo.{method}"
        if method in ("deleteMany", "remove") and empty_filter:
            risk, detail = DESTRUCTIVE, f"{method} with an empty filter deletes every document"
        elif method in ("updateMany", "update") and empty_filter:
            risk, detail = DESTRUCTIVE, f"{method} with an empty filter changes every document"
        elif method == "aggregate":
            words = {_str_value(t) for t in args}
            if "$out" in words:
                risk, detail = DESTRUCTIVE, "$out replaces the target collection"
            elif "$merge" in words:
                risk, detail = WRITE, "$merge writes into a collection"
        elif method == "bulkWrite":
            if {"deleteMany", "replaceOne", "updateMany"} & {_str_value(t) for t in args}:
                risk, detail = DESTRUCTIVE, "bulkWrite with deleteMany/updateMany/replaceOne"
        elif method == "renameCollection" and "true" in texts:
            risk, detail = DESTRUCTIVE, "renameCollection with dropTarget"
        elif method == "grantRolesToUser" and {"root", "'root'", '"root"'} & set(texts):
            risk, detail = DESTRUCTIVE, "grants the root role"
        elif method in ("runCommand", "adminCommand"):
            name = ""
            if len(args) >= 2 and texts[0] == "{" and args[1].kind in ("name", "str"):
                name = _str_value(args[1])
            elif args and args[0].kind == "str":
                name = _str_value(args[0])
            if name in _MONGO_RUNCOMMAND_RISK:
                risk, detail = _MONGO_RUNCOMMAND_RISK[name], f"{method}({{{name}}})"
            elif name in _MONGO_RUNCOMMAND_READ:
                risk, detail = READ, f"{method}({{{name}}})"
            else:
                unparsed(f"{method}({name or '…'}) is not analysed")
                risk, detail = DESTRUCTIVE, f"{method}({name or '…'}) not analysed"
            verb = f"mongo.command.{name or 'unknown'}"
        on_db = method in (
            "dropDatabase",
            "dropAllUsers",
            "dropUser",
            "dropRole",
            "dropAllRoles",
            "createUser",
            "updateUser",
            "createRole",
            "grantRolesToUser",
            "revokeRolesFromUser",
            "runCommand",
            "adminCommand",
            "killOp",
            "shutdownServer",
            "fsyncLock",
            "fsyncUnlock",
            "setProfilingLevel",
            "createCollection",
            "createView",
            "changeUserPassword",
            "updateRole",
            "grantPrivilegesToRole",
            "revokePrivilegesFromRole",
            "grantRolesToRole",
        )
        if (
            method
            in (
                "dropUser",
                "createUser",
                "updateUser",
                "grantRolesToUser",
                "revokeRolesFromUser",
                "changeUserPassword",
            )
            and args
            and (args[0].kind == "str")
        ):
            user = _str_value(args[0])
            locator = Conn(conn.scheme, conn.host, conn.port, conn.user, db).locator
            return [
                Target(
                    kind="role",
                    name=f"user {user}",
                    verb=verb,
                    risk=risk,
                    reversible=risk <= WRITE,
                    tool=self.tool,
                    locator=locator,
                    detail=detail,
                    unresolved=conn.unresolved,
                )
            ]
        if on_db or not coll:
            return [self._target(conn, db, "", verb, risk, detail, unresolved and db == "?")]
        return [self._target(conn, db, coll, verb, risk, detail, unresolved)]


_TOOLS_TAKES = _MONGO_TAKES | frozenset({
    "--uri", "-h", "-d", "-c", "--collection", "-o", "--out", "-q", "--query", "--queryFile",
    "--nsInclude", "--nsExclude", "--nsFrom", "--nsTo", "--type", "--fields", "-f",
    "--fieldFile", "--mode", "--upsertFields", "-j", "--numParallelCollections",
    "--numInsertionWorkersPerCollection", "--readPreference", "--writeConcern", "--file",
    "--sort", "--limit", "--skip", "--excludeCollection", "--excludeCollectionsWithPrefix",
    "--config", "--dir", "--collectionsDir",
})


class MongoToolsPack(DbPack):
    """The MongoDB Database Tools: ``mongodump``/``mongoexport`` read;
    ``mongorestore``/``mongoimport`` write, and destroy with ``--drop`` (each collection
    is dropped before it is restored) or ``mongoimport --mode delete``."""

    def classify_db(self, cmd: SimpleCommand, ctx: ClassifyContext) -> list[Target]:
        _, options = split_options(cmd.args, _TOOLS_TAKES)
        tool = cmd.program if cmd.program in self.programs else self.name
        # the tools' short and long spellings of what mongosh calls --host and --db
        for short, long in (("-h", "--host"), ("-d", "--db")):
            options.setdefault(long, []).extend(options.get(short, []))
        conn = MongoPack._conn(cmd, ctx, options, last_option(options, "--uri"))
        if has_option(options, "--help", "--version"):
            return [conn.target("mongo.help", READ, tool, "--help/--version")]
        if tool in ("mongodump", "mongoexport"):
            targets = [conn.target("mongo.dump", READ, tool, f"{tool} reads the database")]
            for word in options_of(options, "-o", "--out"):
                if word is not None and word.text != "-":
                    targets.append(file_write(ctx, word, tool, f"{tool} writes here")
                                   or conn.target("mongo.dump", READ, tool, ""))
            return targets
        mode = last_option(options, "--mode")
        if has_option(options, "--drop"):
            return [conn.target(f"{tool}.drop", DESTRUCTIVE, tool,
                                "drops each collection before loading it")]
        if mode is not None and (mode.unknown or mode.text == "delete"):
            return [conn.target(f"{tool}.delete", DESTRUCTIVE, tool,
                                "--mode delete removes the matching documents")]
        if has_option(options, "--dryRun"):
            return [conn.target(f"{tool}.dry-run", READ, tool, "--dryRun")]
        return [conn.target(f"{tool}.load", WRITE, tool, "inserts documents")]


PACKS: list[Pack] = [
    MongoPack(
        name="mongosh",
        programs=("mongosh", "mongo"),
        kind="database",
        description="MongoDB shell: --eval, script files, stdin",
    ),
    MongoToolsPack(
        name="mongo-tools",
        programs=("mongodump", "mongoexport", "mongorestore", "mongoimport"),
        kind="database",
        description="MongoDB Database Tools: dump and export (read), restore and import",
    ),
]
