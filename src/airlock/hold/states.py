"""The request state machine.

::

    pending ──approve×N──► approved ──► cooling ──(deadline)──► ready ──claim──► claiming
       │                                  │                       │
       ├─reject─► rejected                ├─abort─► aborted        ├─abort─► aborted
       ├─abort──► aborted                 │                       └─(ttl)──► expired
       └─(ttl)──► expired                 └─(claim fails)─► failed

    claiming ──snapshot verified──► executed
       ├─safety net failed──► failed
       ├─abort──► aborted
       ├─(ttl)──► expired
       └─claimer gone──► ready (nothing ran; the approval stands)

``approved`` is the instant the last required approval lands; in the same transaction
the request becomes ``cooling`` (or ``ready`` when the cooldown is zero). Deadlines are
absolute timestamps in the row, so the state a row is *effectively* in can always be
computed from the row and the clock: a restart never skips a cooldown, and nothing
depends on a timer having fired.

``claiming`` is the per-request lock of a claim, taken by one conditional UPDATE before
the safety net runs: exactly one caller (thread, process or replica) holds it, snapshots,
and then turns it into ``executed`` (one more conditional UPDATE). ``claimed_at`` is the
claim's own token, ``updated_at`` its heartbeat. A claim whose claimer is gone (killed,
crashed) is ``ready`` again: at once when its claimer's lock file on this host is free
(see ``protect.journal``), else once the heartbeat is :data:`CLAIM_LEASE` seconds old.
Nothing ran meanwhile (the agent is allowed only after ``executed`` is committed), so the
approval is not lost and nothing runs twice.
"""

from __future__ import annotations

from typing import Any, Final

PENDING: Final = "pending"
APPROVED: Final = "approved"
COOLING: Final = "cooling"
READY: Final = "ready"
CLAIMING: Final = "claiming"
EXECUTED: Final = "executed"
REJECTED: Final = "rejected"
ABORTED: Final = "aborted"
EXPIRED: Final = "expired"
FAILED: Final = "failed"

STATES: Final = (PENDING, APPROVED, COOLING, READY, CLAIMING, EXECUTED, REJECTED, ABORTED,
                 EXPIRED, FAILED)
OPEN: Final = (PENDING, APPROVED, COOLING, READY, CLAIMING)
FINAL: Final = (EXECUTED, REJECTED, ABORTED, EXPIRED, FAILED)
# States in which an approved action may be claimed once its cooldown deadline passed
# (``claiming``: by its claimer only, or by anyone once the claimer is gone).
CLAIMABLE: Final = (APPROVED, COOLING, READY, CLAIMING)
# Where a new claim may start from (a live ``claiming`` row is someone else's claim).
UNCLAIMED: Final = (APPROVED, COOLING, READY)

# Seconds without a heartbeat after which a claim counts as abandoned; the claimer beats
# every CLAIM_HEARTBEAT seconds while its safety net runs.
CLAIM_LEASE: Final = 60.0
CLAIM_HEARTBEAT: Final = 10.0

TRANSITIONS: Final[dict[str, frozenset[str]]] = {
    PENDING: frozenset({APPROVED, COOLING, READY, REJECTED, ABORTED, EXPIRED}),
    APPROVED: frozenset({COOLING, READY, CLAIMING, ABORTED}),
    COOLING: frozenset({READY, CLAIMING, EXECUTED, ABORTED, EXPIRED, FAILED}),
    READY: frozenset({CLAIMING, EXECUTED, ABORTED, EXPIRED, FAILED}),
    CLAIMING: frozenset({EXECUTED, FAILED, ABORTED, EXPIRED, READY}),
}


def can_move(src: str, dst: str) -> bool:
    return dst in TRANSITIONS.get(src, frozenset())


def lease_over(row: Any, now: float) -> bool:
    """A ``claiming`` row whose heartbeat is older than :data:`CLAIM_LEASE`."""
    return float(row["updated_at"] or 0.0) + CLAIM_LEASE <= now


def effective(row: Any, now: float, claimer_gone: bool = False) -> str:
    """The state ``row`` is in at ``now``, applying any deadline that has passed.
    ``claimer_gone``: a ``claiming`` row's claimer is known to be dead (its lock is free)."""
    state = str(row["state"])
    if state == PENDING:
        return EXPIRED if now >= float(row["pending_until"]) else PENDING
    if state in CLAIMABLE:
        if row["expires_at"] is not None and now >= float(row["expires_at"]):
            return EXPIRED
        if row["cooldown_until"] is not None and now < float(row["cooldown_until"]):
            return COOLING
        if state == CLAIMING and not (claimer_gone or lease_over(row, now)):
            return CLAIMING
        return READY
    return state
