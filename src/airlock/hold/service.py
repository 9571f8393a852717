"""The hold service: what the HTTP API, the web UI and the CLI all call.

- :meth:`HoldService.submit` — an agent's action: allow / deny / hold (a request), or
  ``allow`` exactly once when an approved, cooled-down request with the same
  fingerprint and agent exists (the claim is one conditional UPDATE) *and* the signed
  ledger backs it: the request row alone never allows (a row edited behind Airlock's
  back is ``tamper-detected``, and the agent is refused).
- :meth:`approve`, :meth:`reject`, :meth:`abort` — a :class:`Human`'s second key.
- :meth:`tick` — persists deadline transitions (ready, expired) and records them.

Every step is appended to the ledger in the same transaction as the state change.
"""

from __future__ import annotations

import hmac
import json
import os
import secrets
import signal
import threading
import time
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import Connection, and_, func, insert, or_, select, update

from airlock.action import Action, Decision, Risk, Target
from airlock.fingerprint import canonical, fingerprint
from airlock.hold import states as S
from airlock.hold.identity import AgentPrincipal, Human, human_names
from airlock.hold.notify import Notifier
from airlock.hold.settings import ServeSettings
from airlock.ledger import CLOSING, Ledger, public_hex, request_entries, signed_approval
from airlock.store.db import Store
from airlock.store.models import approvals, requests

SAFETY_NET_NONE = "no destructive target: nothing to snapshot"


class Refused(Exception):
    """The operation is not allowed; ``status`` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 409) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class _Forged(Exception):
    """The request row says claimable; the signed ledger does not back it."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class NotFound(Refused):
    def __init__(self, rid: str) -> None:
        super().__init__(f"no request {rid!r}", 404)


@dataclass(frozen=True)
class Plan:
    confirm_name: str
    environment: str
    production: bool
    approvers: int
    cooldown: float


def _token(claimed_at: float) -> str:
    """A claim's token as written in its lock file: its ``claimed_at``, exactly."""
    return repr(float(claimed_at))


class _Claim:
    """This call's claim of one request (``claiming``, ``claimed_at`` = ``token``): a
    heartbeat keeps ``updated_at`` fresh and the lock file held on this host says the
    claimer lives, for as long as the safety net runs."""

    def __init__(self, store: Store, rid: str, token: float, lock: Any) -> None:
        self.store = store
        self.rid = rid
        self.token = token
        self._lock = lock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def mine(self) -> tuple[Any, ...]:
        """The WHERE clause that matches the row only while it is this call's claim."""
        return (requests.c.id == self.rid, requests.c.state == S.CLAIMING,
                requests.c.claimed_at == self.token)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._beat, name=f"airlock-claim-{self.rid}",
                                        daemon=True)
        self._thread.start()

    def _beat(self) -> None:
        while not self._stop.wait(S.CLAIM_HEARTBEAT):
            try:
                with self.store.write() as conn:
                    res = conn.execute(update(requests).where(*self.mine())
                                       .values(updated_at=time.time()))
                if res.rowcount != 1:
                    return  # no longer ours (aborted, expired, taken over)
            except Exception:  # noqa: BLE001 - the next beat retries; the lease decides
                continue

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def release(self) -> None:
        self.stop()
        self._lock.release()


def _fault(point: str) -> None:
    """Crash-test hook: die by SIGKILL at a named point (set only by the test-suite)."""
    if os.environ.get("AIRLOCK_TEST_FAULT") == point:
        os.kill(os.getpid(), signal.SIGKILL)


def eligible(humans: list[str], approvals: list[str], agent: str,
             owner: str | None) -> list[str]:
    """The humans who may still approve a request: not the agent's owner (nor a human
    named like the agent), and nobody who approved it already."""
    return [h for h in humans if h not in (agent, owner) and h not in approvals]


def approval_problem(required: int, approvals: list[str], humans: list[str], agent: str,
                     owner: str | None) -> str:
    """Why a pending request can never gather its approvals as things stand, or ``""``."""
    left = eligible(humans, approvals, agent, owner)
    missing = required - len(approvals)
    if missing <= len(left):
        return ""
    why = [f"the agent's owner ({owner}) may not approve it"] if owner in humans else []
    if approvals:
        why.append(f"{', '.join(approvals)} approved already (nobody counts twice)")
    who = (f"only {len(left)} human{'s' if len(left) != 1 else ''} "
           f"({', '.join(left)}) may" if left else "no human may")
    needs = f"{required} different approvers" if required != 1 else "1 approver"
    return (f"no one can complete this approval yet: it needs {needs}, and {who} approve it"
            + (f" ({'; '.join(why)})" if why else "")
            + ": an admin must add a human (`airlock admin create NAME --as ADMIN`), "
            "or someone rejects it")


MEASURE_ENTRIES = 200_000  # a directory delete's plan counts at most this many entries
MEASURE_SECONDS = 1.0  # ... or for this long


def measured(plan: list[dict[str, Any]], decision: Decision) -> list[dict[str, Any]]:
    """``plan`` with, on each directory target, what deleting it would remove
    (``contents``: files, dirs, bytes, complete), from a bounded walk of the tree that
    follows no symlink. Advisory: the snapshot taken at claim time is what counts."""
    paths = {t.name: t.locator[len("path:"):] for t in decision.targets
             if t.locator.startswith("path:")}
    deadline = time.monotonic() + MEASURE_SECONDS
    for item in plan:
        path = paths.get(str(item.get("target", "")))
        if item.get("net") != "directory" or path is None:
            continue
        contents = _walk(os.path.abspath(path), deadline)
        if contents is not None:
            item["contents"] = contents
    return plan


def _walk(root: str, deadline: float) -> dict[str, Any] | None:
    try:
        st = os.lstat(root)
    except OSError:
        return None  # absent (nothing to remove) or unreadable to the server
    if not os.path.isdir(root) or os.path.islink(root):
        return {"files": 1, "dirs": 0, "bytes": st.st_size, "complete": True}
    files = dirs = size = seen = 0
    complete = True
    stack = [root]
    while stack:
        top = stack.pop()
        try:
            with os.scandir(top) as it:
                for entry in it:
                    seen += 1
                    if seen > MEASURE_ENTRIES or (seen % 512 == 0
                                                  and time.monotonic() > deadline):
                        return {"files": files, "dirs": dirs, "bytes": size,
                                "complete": False}
                    try:
                        if entry.is_dir(follow_symlinks=False):
                            dirs += 1
                            stack.append(entry.path)
                        else:
                            files += 1
                            if entry.is_file(follow_symlinks=False):
                                size += entry.stat(follow_symlinks=False).st_size
                    except OSError:
                        complete = False
        except OSError:
            complete = False
    return {"files": files, "dirs": dirs, "bytes": size, "complete": complete}


def human_size(n: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if n < 1024 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TB"  # unreachable


def duration(seconds: float | None) -> str:
    """``45 s``, ``10 min``, ``1 min 30 s``, ``2 h``: a cooldown as a human reads it."""
    total = max(0, round(seconds or 0))
    if total < 60:
        return f"{total} s"
    h, rest = divmod(total, 3600)
    m, sec = divmod(rest, 60)
    parts = ([f"{h} h"] if h else []) + ([f"{m} min"] if m else []) + \
        ([f"{sec} s"] if sec else [])
    return " ".join(parts)


def readable(action: dict[str, Any]) -> dict[str, Any]:
    """What the page shows of an action: an MCP call as server, tool and each argument
    (strings as they are, the rest as indented JSON) rather than its canonical JSON."""
    command = str(action.get("command", ""))
    if action.get("kind") != "mcp":
        return {"mcp": False, "text": command, "short": " ".join(command.split())}
    try:
        call = json.loads(command)
    except ValueError:
        call = None
    if not isinstance(call, dict):
        return {"mcp": False, "text": command, "short": " ".join(command.split())}
    found = call.get("arguments")
    args: dict[str, Any] = found if isinstance(found, dict) else {}
    shown = [(str(k), v if isinstance(v, str) else json.dumps(v, indent=2, ensure_ascii=False))
             for k, v in args.items()]
    tool = f"{call.get('server') or '?'} / {call.get('tool') or '?'}"
    brief = ", ".join(f"{k}={' '.join(v.split())}" for k, v in shown)
    return {"mcp": True, "server": str(call.get("server") or ""),
            "tool": str(call.get("tool") or ""), "arguments": shown, "text": command,
            "short": f"{tool}({brief})"}


def removes(contents: dict[str, Any]) -> str:
    """``1,204 files in 31 directories, 48.2 MB`` (``at least …`` when the walk stopped)."""
    files, dirs = int(contents.get("files", 0)), int(contents.get("dirs", 0))
    text = (f"{files:,} file{'s' if files != 1 else ''}"
            + (f" in {dirs:,} director{'ies' if dirs != 1 else 'y'}" if dirs else "")
            + f", {human_size(float(contents.get('bytes', 0)))}")
    return text if contents.get("complete", True) else f"at least {text}"


class Checks(Protocol):
    """What the hold service asks to decide an action: the pipeline's ``Checker`` (or
    the server's lazily rebuilt one), anything with this one method."""

    def check(self, action: Action) -> Decision: ...


class HoldService:
    def __init__(self, store: Store, ledger: Ledger, settings: ServeSettings,
                 checker: Checks | None, notifier: Notifier | None = None,
                 base_url: str = "http://127.0.0.1:8750") -> None:
        self.store = store
        self.ledger = ledger
        self.settings = settings
        self.hold = settings.hold
        self.checker = checker
        self.notifier = notifier or Notifier([])
        self.base_url = base_url.rstrip("/")
        self._protector: Any = None

    def protector(self) -> Any:
        """The protect stage (built on first use from the config's data dir)."""
        if self._protector is None:
            from airlock.protect.engine import Protector
            from airlock.protect.settings import load

            cfg = self.settings.config
            self._protector = Protector(load(cfg.data_dir, cfg.path))
        return self._protector

    # ---- agent side ------------------------------------------------------------------

    def action_from(self, agent: AgentPrincipal, body: dict[str, Any]) -> Action:
        from airlock.hold.client import WireError, action_from_wire

        try:
            fields = action_from_wire(body)
        except WireError as exc:
            raise Refused(str(exc), 400) from None
        # The token's scope binds; an agent may only narrow an unscoped token.
        fields["scope"] = agent.scope or fields["scope"] or self.settings.config.scope
        return Action(agent=agent.agent, **fields)

    def submit(self, agent: AgentPrincipal, body: dict[str, Any]) -> dict[str, Any]:
        action = self.action_from(agent, body)
        # decided first: the fingerprint binds the contents of what the decision read
        decision = self._decide(action)
        fp = fingerprint(action, decision.inputs)
        now = time.time()
        with self.store.read() as conn:
            rows = conn.execute(
                select(requests).where(requests.c.agent == agent.agent,
                                       requests.c.fingerprint == fp,
                                       requests.c.state.in_(S.OPEN))
                .order_by(requests.c.created_at.desc())).mappings().all()
        for row in rows:
            state = self._effective(row, now)
            if state == S.CLAIMING:  # an identical call holds the claim right now
                return self._already_claimed(row["id"], agent, fp, action, S.CLAIMING)
            if state == S.READY:
                answer = self._claim_ready(row, agent, fp, action)
                if answer is not None:
                    return answer
                continue  # aborted or expired meanwhile
            if state in (S.PENDING, S.COOLING):
                with self.store.write() as conn:
                    self.ledger.append(conn, "submitted", agent.agent, row["id"],
                                       {"action": self._action_json(action), "fingerprint": fp,
                                        "note": f"already held ({state})"})
                view = self.view(row["id"])
                answer = self._hold_answer(view, fp)
                if view["approval_problem"]:
                    answer["warnings"] = [view["approval_problem"]]
                    answer["reasons"] = [view["approval_problem"], *answer.get("reasons", [])]
                return answer
        rid = secrets.token_hex(5) if decision.decision == "hold" else None
        # the safety net's plan, with what a directory delete would remove: measured
        # before the write transaction, which must not wait for a walk of a tree
        net_plan = measured(self._plan_net(decision), decision) if rid is not None else []
        warning = ""
        with self.store.write() as conn:
            self.ledger.append(conn, "submitted", agent.agent, rid,
                               {"action": self._action_json(action), "fingerprint": fp,
                                "token_id": agent.token_id})
            self.ledger.append(conn, "decided", "airlock", rid, decision.to_json())
            if rid is not None:
                plan = self.plan(decision, rid)
                warning = approval_problem(plan.approvers, [], human_names(conn),
                                           agent.agent, agent.owner)
                conn.execute(insert(requests).values(
                    id=rid, agent=agent.agent, owner=agent.owner, token_id=agent.token_id,
                    fingerprint=fp, action_json=json.dumps(self._action_json(action)),
                    decision_json=json.dumps(decision.to_json()), state=S.PENDING,
                    confirm_name=plan.confirm_name, environment=plan.environment,
                    required_approvers=plan.approvers, cooldown_seconds=plan.cooldown,
                    created_at=now, updated_at=now, pending_until=now + self.hold.pending_ttl,
                    cooldown_until=None, expires_at=None, claimed_at=None, ended_by=None))
                self.ledger.append(conn, "held", "airlock", rid,
                                   {"environment": plan.environment,
                                    "approvers": plan.approvers, "cooldown": plan.cooldown,
                                    "confirm_name": plan.confirm_name,
                                    "safety_net": net_plan,
                                    **({"warning": warning} if warning else {})})
        out: dict[str, Any] = {"fingerprint": fp, **decision.to_json()}
        if rid is not None:
            self.notifier.notify(f"Airlock: {agent.agent} is waiting for approval",
                                 f"{action.command}\n{self.url(rid)}")
            out["request"] = rid
            out["url"] = self.url(rid)
            out["state"] = S.PENDING
            out["confirm_name"] = plan.confirm_name
            if warning:  # first, so that every surface that shows a few reasons shows it
                out["warnings"] = [warning]
                out["reasons"] = [warning, *out.get("reasons", [])]
        return out

    def _checker(self) -> Checks:
        if self.checker is None:  # an instance built to read state, not to decide
            raise RuntimeError("this Airlock instance was built without a checker")
        return self.checker

    def _decide(self, action: Action) -> Decision:
        try:
            return self._checker().check(action)
        except Exception as exc:  # noqa: BLE001 - fail closed: undecidable is held
            return Decision("hold", Risk.CATASTROPHIC, [],
                            [f"airlock could not decide ({type(exc).__name__}); held"])

    def _plan_net(self, decision: Decision) -> list[dict[str, Any]]:
        try:
            plan: list[dict[str, Any]] = self.protector().plan(decision.targets)
            return plan
        except Exception as exc:  # noqa: BLE001 - the plan is advisory; protect() decides
            return [{"does": f"cannot plan the safety net: {exc}"}]

    def _protect(self, row: Any, agent: AgentPrincipal, fp: str, action: Action,
                 claim: _Claim) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        """Snapshot and verify every destructive target of a request this call has
        claimed (``claiming``). On failure the request becomes ``failed`` with the reason,
        and the answer is a refusal."""
        rid = row["id"]
        try:
            protector = self.protector()
            from airlock.protect import journal

            last = [0.0]

            def report(phase: str, done: int, total: int) -> None:
                now = time.monotonic()
                if now - last[0] > 0.5:
                    last[0] = now
                    journal.write_progress(protector.settings.journal_dir, rid,
                                           {"phase": phase, "done": done, "total": total,
                                            "at": time.time()})

            records: list[dict[str, Any]] = protector.protect(
                self._checker().check(action).targets, rid, report)
        except Exception as exc:  # noqa: BLE001 - fail closed: no verified snapshot, no run
            reason = str(exc) or type(exc).__name__
            now = time.time()
            with self.store.write() as conn:
                res = conn.execute(update(requests).where(*claim.mine())
                                   .values(state=S.FAILED, updated_at=now, ended_by="airlock"))
                if res.rowcount == 1:
                    self.ledger.append(conn, "protect-failed", "airlock", rid,
                                       {"reason": reason[:1000]})
                    self.ledger.append(conn, S.FAILED, "airlock", rid,
                                       {"from": S.CLAIMING, "reason": "safety net failed"})
            self.notifier.notify(f"Airlock: request {rid} failed: no safety net",
                                 f"{reason}\n{self.url(rid)}")
            return [], {"decision": "deny", "fingerprint": fp, "request": rid,
                        "state": S.FAILED, "url": self.url(rid),
                        "reasons": ["the safety net could not be put in place, so the approved "
                                    f"action may not run: {reason}"]}
        with self.store.write() as conn:
            self.ledger.append(conn, "protected", "airlock", rid, {"records": records})
        return records, None

    # ---- the signed ledger backs every claim ------------------------------------------

    def _ledger_problem(self, conn: Connection, rid: str, agent: str, fp: str,
                        now: float) -> str | None:
        """Why the signed ledger does not let ``agent`` claim request ``rid`` for the
        action ``fp`` at ``now``, or None. The ledger's values decide, never the row's:
        one ``approved`` entry, intact and signed at its own entry by this server's key,
        for this fingerprint and agent, cooled down and not expired, and nothing after
        that closed the request. One indexed query, one checkpoint lookup, one signature
        check.

        An approval recorded before approvals were signed at their own entry has no such
        signature (nor fingerprint and agent in its entry), so it is refused: it expires
        within ``approval_ttl`` of its cooldown anyway, and a human approves again."""
        entries = request_entries(conn, rid)
        ended = [e for e in entries if e["kind"] in CLOSING]
        if ended:
            return f"the ledger records it as {ended[0]['kind']} (entry {ended[0]['seq']})"
        keys = [public_hex(self.ledger.key)] if self.ledger.key is not None else []
        approval, why = signed_approval(conn, entries, keys)
        if approval is None:
            return why
        seq = approval["seq"]
        if approval["fingerprint"] != fp or approval["agent"] != agent:
            return f"its signed approval (entry {seq}) is for another action or agent"
        try:
            cooled, expires = float(approval["cooldown_until"]), float(approval["expires_at"])
        except (TypeError, ValueError):
            return f"its signed approval (entry {seq}) has no readable deadlines"
        if now < cooled:
            return f"its signed cooldown (entry {seq}) has not passed"
        if now >= expires:
            return f"its signed approval (entry {seq}) has expired"
        return None

    def _ledger_backs(self, rid: str, agent: str, fp: str) -> tuple[bool, str | None]:
        """(whether ``rid`` is still claimable, why its row is forged or None). The ledger
        is read before the row: a real claim, abort or expiry changes both in one
        transaction, so a row still claimable after the ledger closed it was edited."""
        now = time.time()
        with self.store.read() as conn:
            problem = self._ledger_problem(conn, rid, agent, fp, now)
            row = conn.execute(select(requests).where(requests.c.id == rid)
                               ).mappings().first()
        if row is None or self._effective(row, now) != S.READY:
            return False, None
        return True, problem

    def _tampered(self, row: Any, agent: AgentPrincipal, fp: str,
                  reason: str) -> dict[str, Any]:
        """A claimable row the signed ledger does not back: on the record, the request
        ``failed``, nothing snapshotted or run, and the agent refused."""
        rid = row["id"]
        now = time.time()
        with self.store.write() as conn:
            self.ledger.append(conn, "tamper-detected", "airlock", rid,
                               {"reason": reason[:1000], "agent": agent.agent,
                                "fingerprint": fp, "stored_state": row["state"]})
            res = conn.execute(update(requests).where(requests.c.id == rid,
                                                      requests.c.state.in_(S.CLAIMABLE))
                               .values(state=S.FAILED, updated_at=now, ended_by="airlock"))
            if res.rowcount == 1:
                self.ledger.append(conn, S.FAILED, "airlock", rid,
                                   {"from": row["state"], "reason": "tamper detected"})
        self.notifier.notify(f"Airlock: request {rid} was tampered with",
                             f"its stored state does not match the signed ledger: {reason}\n"
                             f"{self.url(rid)}")
        return {"decision": "deny", "fingerprint": fp, "request": rid, "state": S.FAILED,
                "url": self.url(rid),
                "reasons": [f"request {rid}: its stored state does not match the signed "
                            f"ledger ({reason}); it was not approved through Airlock, so "
                            "nothing runs"]}

    # ---- the claim: one caller, one snapshot, one allow ------------------------------
    #
    #   _ledger_backs (the signed ledger, before anything)
    #   -> _begin_claim: ready -> claiming, one conditional UPDATE (+ the ledger again);
    #      whoever loses it is refused as "already claimed", nothing else happens
    #   -> _protect: the safety net, by the claimer alone (heartbeat + lock file held)
    #   -> _finish_claim: claiming -> executed (+ the ledger a third time) -> allow

    def _effective(self, row: Any, now: float) -> str:
        """:func:`S.effective`, knowing whether a ``claiming`` row's claimer died here."""
        gone = row["state"] == S.CLAIMING and self._claimer_gone(row)
        return S.effective(row, now, claimer_gone=gone)

    def _claims_dir(self) -> str:
        return os.path.join(self.settings.config.data_dir, "protect")

    def _claimer_gone(self, row: Any) -> bool:
        from airlock.protect.journal import claimer_gone

        token = row["claimed_at"]
        return token is not None and claimer_gone(self._claims_dir(), row["id"],
                                                  _token(float(token)))

    def _claim_ready(self, row: Any, agent: AgentPrincipal, fp: str, action: Action
                     ) -> dict[str, Any] | None:
        """The answer to an agent whose action matches the ready request ``row``: allow
        (this call claimed it, its safety net is in place), a refusal (tampered with, the
        safety net failed, or another identical call claimed it first), or None when the
        request was aborted or expired meanwhile."""
        rid = row["id"]
        # The row says approved: the signed ledger must say so too, before the safety net
        # (no snapshot for a forged row) and again in each step of the claim.
        claimable, forged = self._ledger_backs(rid, agent.agent, fp)
        if forged is not None:
            return self._tampered(row, agent, fp, forged)
        if not claimable:
            return self._lost(rid, agent, fp, action)
        try:
            claim = self._begin_claim(row, agent, fp)
        except _Forged as exc:
            return self._tampered(row, agent, fp, exc.reason)
        if claim == "busy":  # an identical call on this host is claiming it right now
            return self._already_claimed(rid, agent, fp, action, S.CLAIMING)
        if not isinstance(claim, _Claim):
            return self._lost(rid, agent, fp, action)
        try:
            # G4: the safety net first (snapshot -> verify -> record); only then allow.
            protected, refusal = self._protect(row, agent, fp, action, claim)
            if refusal is not None:
                return refusal
            claim.stop()
            try:
                claimed = self._finish_claim(claim, agent, fp, action)
            except _Forged as exc:
                return self._tampered(row, agent, fp, exc.reason)
        finally:
            claim.release()
        if not claimed:  # aborted, expired or taken over while the snapshot ran
            return self._lost(rid, agent, fp, action)
        return {"decision": "allow", "fingerprint": fp, "request": rid,
                "safety_net": protected,
                "reasons": [f"approved request {rid}: this exact action may run once, now"]}

    def _lost(self, rid: str, agent: AgentPrincipal, fp: str, action: Action
              ) -> dict[str, Any] | None:
        """This call saw ``rid`` ready but did not get to claim it: refused when another
        call holds or made the claim; None (go on, as for a closed request) otherwise."""
        with self.store.read() as conn:
            row = conn.execute(select(requests).where(requests.c.id == rid)
                               ).mappings().first()
        if row is None:
            return None
        state = self._effective(row, time.time())
        if state in (S.CLAIMING, S.EXECUTED):
            return self._already_claimed(rid, agent, fp, action, state)
        return None

    def _already_claimed(self, rid: str, agent: AgentPrincipal, fp: str, action: Action,
                         state: str) -> dict[str, Any]:
        """The refusal for an identical call that lost the race for one approval."""
        how = ("is being claimed right now by another identical call (its safety net is "
               "being put in place)" if state == S.CLAIMING
               else "was already claimed by another identical call")
        with self.store.write() as conn:
            self.ledger.append(conn, "submitted", agent.agent, rid,
                               {"action": self._action_json(action), "fingerprint": fp,
                                "token_id": agent.token_id,
                                "note": f"refused: already claimed ({state})"})
        return {"decision": "deny", "fingerprint": fp, "request": rid, "state": state,
                "url": self.url(rid),
                "reasons": [f"approved request {rid} {how}: an approval lets the action run "
                            "once, so this call may not run (ask a human for a new approval "
                            "if it must run again)"]}

    def _begin_claim(self, row: Any, agent: AgentPrincipal, fp: str
                     ) -> _Claim | str | None:
        """Take the claim of ``row`` (``claiming``, with this call's token): the claim
        when this call won it; ``"busy"`` when another call on this host is claiming it
        right now; None when another call has it or it is no longer claimable. Raises
        :class:`_Forged` (nothing claimed) when the signed ledger does not back the row.
        A ``claiming`` row whose claimer is gone is taken over."""
        from airlock.protect.journal import ClaimLock

        rid = row["id"]
        now = time.time()
        token = now
        free: Any = requests.c.state.in_(S.UNCLAIMED)
        stale = and_(requests.c.state == S.CLAIMING,
                     requests.c.updated_at <= now - S.CLAIM_LEASE)
        if row["state"] == S.CLAIMING and row["claimed_at"] is not None \
                and self._claimer_gone(row):
            free = or_(free, stale, and_(requests.c.state == S.CLAIMING,
                                         requests.c.claimed_at == row["claimed_at"]))
        else:
            free = or_(free, stale)
        # The lock file first, its token written: from the claim's commit on, a claimer
        # killed at any point is seen gone at once (its lock free, its token in the file).
        lock = ClaimLock(self._claims_dir(), rid)
        if lock.acquire(_token(token)) == "busy":
            return "busy"
        try:
            with self.store.write() as conn:
                if self.store.postgres:
                    locked = conn.execute(
                        select(requests.c.id).where(requests.c.id == rid, free)
                        .with_for_update(skip_locked=True)).first()
                    if locked is None:
                        lock.release()
                        return None
                res = conn.execute(
                    update(requests).where(requests.c.id == rid,
                                           requests.c.agent == agent.agent,
                                           requests.c.fingerprint == fp, free,
                                           requests.c.cooldown_until <= now,
                                           requests.c.expires_at > now)
                    .values(state=S.CLAIMING, claimed_at=token, updated_at=now))
                if res.rowcount != 1:
                    lock.release()
                    return None
                problem = self._ledger_problem(conn, rid, agent.agent, fp, now)
                if problem is not None:
                    raise _Forged(problem)  # rolls the claim back
                self.ledger.append(conn, S.CLAIMING, agent.agent, rid,
                                   {"fingerprint": fp, "token_id": agent.token_id,
                                    "from": row["state"]})
        except BaseException:
            lock.release()
            raise
        _fault("claiming-after-commit")
        claim = _Claim(self.store, rid, token, lock)
        claim.start()
        return claim

    def _finish_claim(self, claim: _Claim, agent: AgentPrincipal, fp: str,
                      action: Action) -> bool:
        """``claiming`` -> ``executed`` for this call's claim: True when done, False when
        the claim is no longer this call's (aborted, expired, taken over); raises
        :class:`_Forged` (rolled back) when the signed ledger does not back it."""
        rid = claim.rid
        now = time.time()
        with self.store.write() as conn:
            res = conn.execute(
                update(requests).where(*claim.mine(), requests.c.agent == agent.agent,
                                       requests.c.fingerprint == fp,
                                       requests.c.expires_at > now)
                .values(state=S.EXECUTED, updated_at=now))
            if res.rowcount != 1:
                return False
            problem = self._ledger_problem(conn, rid, agent.agent, fp, now)
            if problem is not None:
                raise _Forged(problem)  # rolls the claim back
            _fault("claim-before-commit")
            self.ledger.append(conn, "submitted", agent.agent, rid,
                               {"action": self._action_json(action), "fingerprint": fp,
                                "token_id": agent.token_id})
            # signed at its own entry: cutting it off the tail later breaks a signature
            self.ledger.append_signed(conn, "execution-claimed", agent.agent, rid,
                                      {"fingerprint": fp, "token_id": agent.token_id})
        _fault("claim-after-commit")
        self.notifier.notify(f"Airlock: approved request {rid} executed",
                             f"claimed by {agent.agent}\n{self.url(rid)}")
        return True

    def _hold_answer(self, view: dict[str, Any], fp: str) -> dict[str, Any]:
        decision = view["decision"]
        return {**decision, "decision": "hold", "fingerprint": fp, "request": view["id"],
                "url": view["url"], "state": view["state"],
                "cooldown_remaining": view["cooldown_remaining"]}

    # ---- the plan a human sees -------------------------------------------------------

    def plan(self, decision: Decision, rid: str) -> Plan:
        targets = [t for t in decision.targets if not t.local] or list(decision.targets)
        worst: Target | None = max(targets, key=lambda t: (t.risk, t.production),
                                   default=None)
        production = not targets or any(t.production and not t.sandbox for t in targets)
        sandbox = bool(targets) and all(t.sandbox for t in targets)
        if worst is None:
            confirm, env = rid, "unknown"
        else:
            confirm, env = (worst.resource or worst.name), (worst.env or "unknown")
        if production:
            cooldown = self.hold.cooldown_production
        elif sandbox:
            cooldown = self.hold.cooldown_sandbox
        else:
            cooldown = self.hold.cooldown_default
        approvers = self.hold.production_approvers if production else self.hold.default_approvers
        return Plan(confirm, env, production, approvers, cooldown)

    def url(self, rid: str) -> str:
        return f"{self.base_url}/r/{rid}"

    @staticmethod
    def _action_json(action: Action) -> dict[str, Any]:
        return {**canonical(action), "agent": action.agent}

    # ---- reading ---------------------------------------------------------------------

    def view(self, rid: str, conn: Connection | None = None) -> dict[str, Any]:
        if conn is None:
            with self.store.read() as c:
                return self.view(rid, c)
        row = conn.execute(select(requests).where(requests.c.id == rid)).mappings().first()
        if row is None:
            raise NotFound(rid)
        names = conn.execute(select(approvals.c.username).where(approvals.c.request_id == rid)
                             .order_by(approvals.c.at)).scalars().all()
        return self._render(row, list(names), human_names(conn), self._net_entries(conn, rid))

    def _net_entries(self, conn: Connection, rid: str) -> dict[str, Any]:
        """The safety net of a request, from the ledger: its plan, then what was done, and
        whether it was undone since (``airlock undo``)."""
        from airlock.store.models import ledger as ledger_t

        out: dict[str, Any] = {}
        rows = conn.execute(select(ledger_t.c.kind, ledger_t.c.payload, ledger_t.c.at,
                                   ledger_t.c.actor)
                            .where(ledger_t.c.request_id == rid,
                                   ledger_t.c.kind.in_(("held", "protected", "protect-failed",
                                                        "undone")))
                            .order_by(ledger_t.c.seq)).all()
        for kind, payload, at, actor in rows:
            body = json.loads(payload)
            if kind == "held":
                out["plan"] = body.get("safety_net", [])
            elif kind == "protected":
                out["records"] = body.get("records", [])
            elif kind == "undone":
                out["undone"] = {"at": at, "by": actor}
            else:
                out["failed"] = body.get("reason", "")
        return out

    def _render(self, row: Any, approvers: list[str], humans: list[str],
                net: dict[str, Any] | None = None) -> dict[str, Any]:
        now = time.time()
        state = self._effective(row, now)
        remaining = 0.0
        if state == S.COOLING and row["cooldown_until"] is not None:
            remaining = max(0.0, float(row["cooldown_until"]) - now)
        net = net or {}
        pending = state == S.PENDING
        required = int(row["required_approvers"])
        return {
            "id": row["id"], "state": state, "stored_state": row["state"],
            # what a human reads: ``undone`` once ``airlock undo`` restored what it removed
            "shown_state": "undone" if state == S.EXECUTED and net.get("undone") else state,
            "undone": net.get("undone"),
            # who may still approve it (not the agent's owner, nobody twice), and why it can
            # never gather its approvals as things stand
            "can_approve": eligible(humans, approvers, row["agent"], row["owner"])
            if pending else [],
            "approval_problem": approval_problem(required, approvers, humans, row["agent"],
                                                 row["owner"]) if pending else "",
            "agent": row["agent"], "owner": row["owner"], "fingerprint": row["fingerprint"],
            "action": json.loads(row["action_json"]),
            "decision": json.loads(row["decision_json"]),
            "confirm_name": row["confirm_name"], "environment": row["environment"],
            "required_approvers": row["required_approvers"], "approvals": approvers,
            "humans": len(humans), "cooldown_seconds": row["cooldown_seconds"],
            "cooldown_until": row["cooldown_until"], "cooldown_remaining": remaining,
            "expires_at": row["expires_at"], "pending_until": row["pending_until"],
            "created_at": row["created_at"], "claimed_at": row["claimed_at"],
            "ended_by": row["ended_by"], "url": self.url(row["id"]),
            "safety_net": self._net_summary(net),
            "safety_net_plan": net.get("plan", []),
            "safety_net_records": net.get("records"),
            "safety_net_failed": net.get("failed"),
            "safety_net_progress": self._net_progress(row["id"], state),
        }

    @staticmethod
    def _net_summary(net: dict[str, Any]) -> str:
        if net.get("failed"):
            return f"FAILED, so the action was not allowed: {net['failed']}"
        if net.get("records") is not None:
            done = [f"{r['kind']} snapshot {r['snapshot']} of {r['target']} verified "
                    f"({r['size']} bytes, sha256 {r['sha256'][:12]})"
                    for r in net["records"] if r.get("snapshot")]
            return "; ".join(done) or "nothing needed a snapshot"
        plan = [str(p.get("does", "")) + (f" (it removes {removes(p['contents'])})"
                                           if p.get("contents") else "")
                for p in net.get("plan", [])]
        return "; ".join(plan) if plan else SAFETY_NET_NONE

    def _net_progress(self, rid: str, state: str) -> dict[str, Any] | None:
        if state not in (S.READY, S.CLAIMING) or self._protector is None:
            return None
        from airlock.protect import journal

        progress: dict[str, Any] | None = journal.read_progress(
            self._protector.settings.journal_dir, rid)
        return progress

    def list(self, only_open: bool = True, limit: int = 100) -> list[dict[str, Any]]:
        with self.store.read() as conn:
            q = select(requests).order_by(requests.c.created_at.desc()).limit(limit)
            if only_open:
                q = q.where(requests.c.state.in_(S.OPEN))
            rows = conn.execute(q).mappings().all()
            humans = human_names(conn)
            out = []
            for row in rows:
                names = conn.execute(select(approvals.c.username)
                                     .where(approvals.c.request_id == row["id"])
                                     ).scalars().all()
                out.append(self._render(row, list(names), humans,
                                        self._net_entries(conn, row["id"])))
        return [r for r in out if not only_open or r["state"] in S.OPEN]

    # ---- human side ------------------------------------------------------------------

    def _locked_row(self, conn: Connection, rid: str) -> Any:
        q = select(requests).where(requests.c.id == rid)
        if self.store.postgres:
            q = q.with_for_update()
        row = conn.execute(q).mappings().first()
        if row is None:
            raise NotFound(rid)
        return row

    def _refuse(self, human: Human, rid: str, what: str, message: str,
                status: int = 409) -> Refused:
        with self.store.write() as conn:
            self.ledger.append(conn, "refused", human.username, rid,
                               {"operation": what, "reason": message})
        return Refused(message, status)

    def approve(self, human: Human, rid: str, typed_name: str) -> dict[str, Any]:
        """One human's approval. Raises :class:`Refused` with the reason when not allowed."""
        problem: tuple[str, int] | None = None
        with self.store.write() as conn:
            row = self._locked_row(conn, rid)
            now = time.time()
            state = S.effective(row, now)
            done = conn.execute(select(approvals.c.username).where(
                approvals.c.request_id == rid)).scalars().all()
            if state != S.PENDING:
                problem = (f"request {rid} is {state}: only a pending request can be "
                           "approved (an approval is single use)", 409)
            elif human.username in (row["agent"], row["owner"]):
                problem = ("you cannot approve your own request: a different human must "
                           "turn the second key", 403)
            elif not typed_name.strip():
                problem = ("type the target's name to approve (a checkbox is not enough)", 422)
            elif not hmac.compare_digest(typed_name.strip().encode(),
                                         str(row["confirm_name"]).encode()):
                problem = ("the name you typed is not the target's name; nothing approved",
                           422)
            elif human.username in done:
                problem = ("you already approved this request; the next approval must come "
                           "from a different human", 409)
            if problem is None:
                conn.execute(insert(approvals).values(request_id=rid, human_id=human.id,
                                                      username=human.username, at=now))
                self.ledger.append(conn, "approval", human.username, rid,
                                   {"fingerprint": row["fingerprint"]})
                if len(done) + 1 >= int(row["required_approvers"]):
                    cool_until = now + float(row["cooldown_seconds"])
                    expires = cool_until + self.hold.approval_ttl
                    new_state = S.READY if row["cooldown_seconds"] <= 0 else S.COOLING
                    conn.execute(update(requests).where(requests.c.id == rid,
                                                        requests.c.state == S.PENDING)
                                 .values(state=new_state, cooldown_until=cool_until,
                                         expires_at=expires, updated_at=now))
                    # everything a claim is checked against, signed at this very entry
                    self.ledger.append_signed(
                        conn, "approved", human.username, rid,
                        {"fingerprint": row["fingerprint"], "agent": row["agent"],
                         "approvers": [*done, human.username],
                         "required_approvers": int(row["required_approvers"]),
                         "cooldown_until": cool_until, "expires_at": expires})
                    if new_state == S.READY:
                        self.ledger.append(conn, "ready", "airlock", rid, {})
                view = self.view(rid, conn)
        if problem is not None:
            raise self._refuse(human, rid, "approve", *problem)
        return view

    def reject(self, human: Human, rid: str, reason: str = "") -> dict[str, Any]:
        return self._end(human, rid, S.REJECTED, (S.PENDING,), reason)

    def abort(self, human: Human, rid: str, reason: str = "") -> dict[str, Any]:
        return self._end(human, rid, S.ABORTED, S.OPEN, reason)

    def _end(self, human: Human, rid: str, dst: str, allowed: tuple[str, ...],
             reason: str) -> dict[str, Any]:
        verb = {S.REJECTED: "reject", S.ABORTED: "abort"}[dst]
        problem = None
        with self.store.write() as conn:
            row = self._locked_row(conn, rid)
            state = S.effective(row, time.time())
            if state not in allowed:
                problem = f"request {rid} is {state}: it can no longer be {dst}"
            else:
                res = conn.execute(update(requests).where(requests.c.id == rid,
                                                          requests.c.state == row["state"])
                                   .values(state=dst, ended_by=human.username,
                                           updated_at=time.time()))
                if res.rowcount != 1:
                    problem = f"request {rid} changed meanwhile; nothing done"
                else:
                    self.ledger.append(conn, dst, human.username, rid,
                                       {"from": state, "reason": reason[:500]})
                    view = self.view(rid, conn)
        if problem is not None:
            raise self._refuse(human, rid, verb, problem)
        self.notifier.notify(f"Airlock: request {rid} {dst} by {human.username}", self.url(rid))
        return view

    # ---- deadlines -------------------------------------------------------------------

    def tick(self, batch: int = 100) -> int:
        """Persist the deadline transitions that have passed, and give back the claims
        whose claimer is gone (``claiming`` -> ``ready``: nothing ran); returns how many."""
        now = time.time()
        due = or_(and_(requests.c.state == S.PENDING, requests.c.pending_until <= now),
                  and_(requests.c.state.in_(S.CLAIMABLE), requests.c.expires_at <= now),
                  and_(requests.c.state.in_((S.APPROVED, S.COOLING)),
                       requests.c.cooldown_until <= now))
        with self.store.read() as conn:
            n_due = conn.execute(select(func.count()).select_from(requests).where(due)
                                 ).scalar_one()
            claiming = conn.execute(select(requests).where(requests.c.state == S.CLAIMING)
                                    ).mappings().all()
        gone = [r["id"] for r in claiming if self._effective(r, now) != S.CLAIMING]
        if not n_due and not gone:
            return 0
        if gone:
            due = or_(due, requests.c.id.in_(gone))
        moved = 0
        with self.store.write() as conn:
            q = select(requests).where(due).limit(batch)
            if self.store.postgres:
                q = q.with_for_update(skip_locked=True)
            for row in conn.execute(q).mappings().all():
                new = self._effective(row, now)
                if new == row["state"] or not S.can_move(row["state"], new):
                    continue
                same = [requests.c.id == row["id"], requests.c.state == row["state"]]
                values: dict[str, Any] = {"state": new, "updated_at": now}
                body: dict[str, Any] = {"from": row["state"]}
                if row["state"] == S.CLAIMING:  # the very claim that was seen gone
                    same += [requests.c.claimed_at == row["claimed_at"],
                             requests.c.updated_at == row["updated_at"]]
                    if new == S.READY:
                        values["claimed_at"] = None
                        body["reason"] = ("its claimer is gone (process ended or no heartbeat "
                                          "for the lease); nothing was allowed, the approval "
                                          "stands")
                res = conn.execute(update(requests).where(*same).values(**values))
                if res.rowcount == 1:
                    moved += 1
                    self.ledger.append(conn, new, "airlock", row["id"], body)
        return moved
