"""What the database gateway decides for one statement, and how it is put on the record
(``pg_gateway.py`` is the wire side).

A statement is judged by ``pg_guard.escapes`` (refused whatever the policy), then by the
same classifier, resolver and policies as ``airlock check`` (the hold service's checker),
then by the token's grants (``DATABASE:KIND.VERB``, the verb without its ``sql.``). Allowed
reads and writes go through; anything held or denied by policy becomes a request of the
hold service, which claims an approved one once, behind the safety net.

Deciding is a pure function of the statement, the database and the scope, so decisions
are cached briefly: by exact text, and — for reads without any quoted text, which differ
only in numbers (``WHERE aid = 4711``) — by pglast's fingerprint, which ignores constants.

The ledger: a write, a refusal or a hold is on the record before the statement is
forwarded (write-ahead). Reads are grouped per session and per statement shape into one
``decided`` entry with a count, queued within :data:`READS_LINGER` (and before any later
non-read of the session, and at its end): reads may be grouped, decisions never lost —
short of a crash of the server in that second.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from pglast.parser import ParseError, fingerprint, parse_sql

from airlock.action import Action, Decision, Risk
from airlock.broker import pg_guard, tokens
from airlock.broker.pg_functions import Catalog, LookUp, called_in
from airlock.broker.recorder import Entry, Recorder, RecordError
from airlock.config import Database
from airlock.hold.service import HoldService, Refused

log = logging.getLogger("airlock.gateway")
CACHE = 4096  # decisions of recent statements
CACHE_TTL = 2.0  # a changed config or policy reaches cached statements within this
READS_LINGER = 1.0  # grouped reads are queued for the ledger within this
READS_MAX = 1000  # … or once this many are pending in a session
WRITE_VERBS = ("sql.delete", "sql.update")
# a parameter standing as a condition of its own (``WHERE $1``, ``… OR $2::boolean``): its
# value can make a bounded-looking write touch every row. ``WHERE id = $1`` cannot.
BARE_PARAM = re.compile(r"(?i)(?:\bwhere|\bor|\band|\bnot|\()\s*\(?\s*\$\d+\s*"
                        r"(?:::\s*\w+\s*)?(?:\)|\bor\b|\band\b|;|$)")
QUOTES = frozenset("'\"$\\")


def inline(sql: str, bind: Any) -> str:
    """``sql`` with its text-format parameters written in as literals (for deciding only)."""
    formats = bind.param_formats or [0]
    values = bind.param_values

    def literal(m: re.Match[str]) -> str:
        i = int(m.group(1)) - 1
        if not 0 <= i < len(values):
            return m.group(0)
        fmt = formats[i] if len(formats) > 1 else formats[0]
        value = values[i]
        if value is None:
            return "NULL"
        if fmt != 0:
            return m.group(0)
        text = bytes(value).decode("utf-8", "replace")
        return "'" + text.replace("'", "''") + "'"

    return re.sub(r"\$(\d+)\b", literal, sql)


class Expired(Exception):
    """The session's token expired: the connection ends."""


@dataclass
class Verdict:
    """The gateway's answer to one statement."""

    allow: bool
    message: str = ""  # why it is refused (what the client's error says)
    hint: str = ""
    entries: list[Entry] = field(default_factory=list)
    recheck: bool = False  # a write whose bound values may widen it: decide again at Bind


@dataclass
class Session:
    db: Database
    principal: tokens.TokenPrincipal
    peer: str
    token: str = ""
    checked: float = 0.0  # when the token was last found live (monotonic)
    statements: dict[str, str] = field(default_factory=dict)  # prepared name -> SQL
    recheck: set[str] = field(default_factory=set)
    discard: bool = False  # after a refusal in an extended-protocol batch, until Sync
    cancel_key: tuple[int, bytes] | None = None
    reads: dict[str, list[Any]] = field(default_factory=dict)  # shape -> [n, sql, targets]
    pending: int = 0
    timer: asyncio.TimerHandle | None = None

    @property
    def agent(self) -> str:
        return self.principal.agent.agent


@dataclass
class _Known:
    until: float
    escapes: list[str]
    decision: Decision
    shape: str  # what grouped reads are counted under
    calls: frozenset[str] = frozenset()  # functions it runs that are not PostgreSQL's own


class Judge:
    """Decides statements for the gateway's sessions; one per gateway."""

    def __init__(self, service: HoldService, recorder: Recorder, catalog: Catalog) -> None:
        self.service = service
        self.recorder = recorder
        self.catalog = catalog
        self._cache: OrderedDict[tuple[str, str | None, str], _Known] = OrderedDict()

    # ---- classification (pure, cached) ----------------------------------------------

    def _known(self, s: Session, sql: str) -> _Known:
        now = time.monotonic()
        exact = (s.db.name, s.principal.scope, sql)
        hit = self._cache.get(exact)
        if hit is not None and hit.until > now:
            return hit
        shape_key = None
        if not QUOTES.intersection(sql):
            try:
                shape_key = (s.db.name, s.principal.scope, "\x00" + fingerprint(sql))
            except ParseError:
                pass
            else:
                hit = self._cache.get(shape_key)
                if hit is not None and hit.until > now:
                    return hit
        action = Action(command=sql, kind="sql", dialect="postgresql", database=s.db.locator,
                        scope=s.principal.scope, agent=s.agent)
        decision = self.service._checker().check(action)
        try:
            tree = parse_sql(sql)  # once, for both questions below
        except ParseError:
            tree = ()  # the checker has held what does not parse
        known = _Known(now + CACHE_TTL, pg_guard.escapes_in(tree), decision,
                       shape_key[2] if shape_key else sql,
                       called_in(tree) if decision.decision == "allow" else frozenset())
        self._cache[exact] = known
        if shape_key is not None and not known.escapes and decision.decision == "allow" \
                and decision.risk == Risk.READ:
            self._cache[shape_key] = known  # numbers do not change what a read does
        while len(self._cache) > CACHE:
            self._cache.popitem(last=False)
        return known

    # ---- verdicts --------------------------------------------------------------------

    def submitted(self, s: Session, sql: str) -> Entry:
        return ("submitted", s.agent, None, {
            "action": {"kind": "sql", "command": sql[:4000], "database": s.db.name,
                       "scope": s.principal.scope},
            "token_id": s.principal.token_id, "via": "gateway"})

    def verdict(self, s: Session, sql: str) -> Verdict | None:
        """The verdict when it needs nothing that blocks (None: ask the hold service).
        An allowed read is counted in the session's group, not returned with entries."""
        if s.principal.expires_at < time.time():
            raise Expired("the Airlock token expired")
        known = self._known(s, sql)
        decision = known.decision
        why = list(known.escapes)
        if not why:
            for t in decision.targets:
                env = t.env if t.env not in ("", "unknown") else None
                refused = s.principal.permits(s.db.name, t.kind, t.verb.removeprefix("sql."),
                                              t.risk, env, True)
                if refused:
                    why.append(f"{t.verb} on {t.kind} {t.name}: {refused}")
        if why:
            denied = Decision("deny", max(decision.risk, Risk.DESTRUCTIVE), decision.targets,
                              why, decision.flags, ["gateway"]).to_json()
            return Verdict(False, "Airlock denied this statement: " + "; ".join(why),
                           entries=[self.submitted(s, sql),
                                    ("decided", "airlock", None, denied)])
        if decision.decision != "allow":
            return None
        if known.calls:
            volatile = self._volatile(s, known.calls)
            if volatile:
                why = [f"calls {name}(), a VOLATILE function that is not PostgreSQL's own: "
                       "it may change data and Airlock cannot see what it does" for name in
                       volatile]
                denied = Decision("deny", Risk.DESTRUCTIVE, decision.targets, why,
                                  decision.flags, ["gateway"]).to_json()
                return Verdict(False, "Airlock denied this statement: " + "; ".join(why),
                               hint="If the function only reads, a human can declare it "
                                    "STABLE (ALTER FUNCTION … STABLE); else a human runs it.",
                               entries=[self.submitted(s, sql),
                                        ("decided", "airlock", None, denied)])
        if decision.risk == Risk.READ:
            self._count_read(s, known, sql)
            return Verdict(True)
        decided = {"decision": "allow", "risk": decision.risk.label,
                   "targets": [t.to_json() for t in decision.targets]}
        recheck = "$" in sql and any(t.verb in WRITE_VERBS for t in decision.targets) and \
            BARE_PARAM.search(sql) is not None
        return Verdict(True, recheck=recheck, entries=[self.submitted(s, sql),
                                                       ("decided", "airlock", None, decided)])

    def _volatile(self, s: Session, calls: frozenset[str]) -> list[str]:
        """The VOLATILE ones among ``calls``; raises :class:`LookUp` when the database's
        catalog must be asked first (the caller does, in a worker thread, then asks
        again)."""
        missing = self.catalog.pending(s.db, calls)
        if missing:
            raise LookUp(missing)
        return self.catalog.volatile(s.db, calls)

    def held(self, s: Session, sql: str) -> Verdict:
        """Held or denied by policy: the hold service makes the request, or claims an
        approved one (its safety net runs first). Blocks: runs in a worker thread."""
        try:
            answer = self.service.submit(s.principal.agent, {
                "command": sql, "kind": "sql", "dialect": "postgresql",
                "database": s.db.locator})
        except Refused as exc:
            return Verdict(False, f"Airlock refused this statement: {exc.message}")
        rid = answer.get("request")
        if answer["decision"] == "allow":
            self.recorder.append("forwarded", "airlock", rid, {
                "via": "gateway", "database": s.db.name, "agent": s.agent,
                "token_id": s.principal.token_id, "statement": sql[:4000]})
            return Verdict(True)
        reasons = "; ".join(answer.get("reasons", [])[:3])
        if answer["decision"] == "hold":
            return Verdict(False, f"Airlock held this statement as request {rid} for human "
                                  f"approval at {answer.get('url')}: {reasons}",
                           hint="Once a human has approved it, run this identical statement "
                                "again: it runs once. Do not look for other credentials or "
                                "other ways to do this.")
        return Verdict(False, f"Airlock denied this statement: {reasons}")

    def refusal(self, s: Session, what: str, why: str) -> list[Entry]:
        denied = Decision("deny", Risk.DESTRUCTIVE, [], [why], [], ["gateway"]).to_json()
        return [self.submitted(s, what), ("decided", "airlock", None, denied)]

    async def record(self, s: Session, entries: list[Entry]) -> str | None:
        """Commit ``entries`` (after the session's grouped reads); None, or why not."""
        self.flush_reads(s)
        try:
            pending = self.recorder.submit(entries)
        except RecordError as exc:
            return str(exc)
        self.recorder.hurry()
        try:
            await asyncio.wrap_future(pending)
        except Exception as exc:  # noqa: BLE001 - not on the record
            log.error("ledger: %s", exc)
            return "the ledger could not record it"
        return None

    # ---- grouped reads ---------------------------------------------------------------

    def _count_read(self, s: Session, known: _Known, sql: str) -> None:
        group = s.reads.get(known.shape)
        if group is None:
            s.reads[known.shape] = [1, sql, known.decision]
        else:
            group[0] += 1
        s.pending += 1
        if s.pending >= READS_MAX:
            self.flush_reads(s)
        elif s.timer is None:
            s.timer = asyncio.get_running_loop().call_later(READS_LINGER, self.flush_reads, s)

    def flush_reads(self, s: Session) -> None:
        """Queue the session's pending reads as one ``decided`` entry per shape."""
        if s.timer is not None:
            s.timer.cancel()
            s.timer = None
        if not s.reads:
            return
        entries: list[Entry] = []
        for n, sql, decision in s.reads.values():
            entries.append(("decided", "airlock", None, {
                "decision": "allow", "risk": "read", "statements": n, "agent": s.agent,
                "targets": [t.to_json() for t in decision.targets],
                **self.submitted(s, sql)[3]}))
        s.reads.clear()
        s.pending = 0
        try:
            self.recorder.submit(entries, paced=True)
        except RecordError as exc:  # the writer has stopped: the server is going down
            log.error("ledger: %d grouped reads not recorded: %s", len(entries), exc)
