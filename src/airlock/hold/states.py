"""The request state machine.

::

    pending ──approve×N──► approved ──► cooling ──(deadline)──► ready ──claim──► executed
       │                                  │                       │
       ├─reject─► rejected                ├─abort─► aborted        ├─abort─► aborted
       ├─abort──► aborted                 │                       └─(ttl)──► expired
       └─(ttl)──► expired                 └─(claim fails)─► failed

``approved`` is the instant the last required approval lands; in the same transaction
the request becomes ``cooling`` (or ``ready`` when the cooldown is zero). Deadlines are
absolute timestamps in the row, so the state a row is *effectively* in can always be
computed from the row and the clock: a restart never skips a cooldown, and nothing
depends on a timer having fired.
"""

from __future__ import annotations

from typing import Any, Final

PENDING: Final = "pending"
APPROVED: Final = "approved"
COOLING: Final = "cooling"
READY: Final = "ready"
EXECUTED: Final = "executed"
REJECTED: Final = "rejected"
ABORTED: Final = "aborted"
EXPIRED: Final = "expired"
FAILED: Final = "failed"

STATES: Final = (PENDING, APPROVED, COOLING, READY, EXECUTED, REJECTED, ABORTED, EXPIRED,
                 FAILED)
OPEN: Final = (PENDING, APPROVED, COOLING, READY)
FINAL: Final = (EXECUTED, REJECTED, ABORTED, EXPIRED, FAILED)
# States in which an approved action may be claimed once its cooldown deadline passed.
CLAIMABLE: Final = (APPROVED, COOLING, READY)

TRANSITIONS: Final[dict[str, frozenset[str]]] = {
    PENDING: frozenset({APPROVED, COOLING, READY, REJECTED, ABORTED, EXPIRED}),
    APPROVED: frozenset({COOLING, READY, ABORTED}),
    COOLING: frozenset({READY, EXECUTED, ABORTED, EXPIRED, FAILED}),
    READY: frozenset({EXECUTED, ABORTED, EXPIRED, FAILED}),
}


def can_move(src: str, dst: str) -> bool:
    return dst in TRANSITIONS.get(src, frozenset())


def effective(row: Any, now: float) -> str:
    """The state ``row`` is in at ``now``, applying any deadline that has passed."""
    state = str(row["state"])
    if state == PENDING:
        return EXPIRED if now >= float(row["pending_until"]) else PENDING
    if state in CLAIMABLE:
        if row["expires_at"] is not None and now >= float(row["expires_at"]):
            return EXPIRED
        if row["cooldown_until"] is not None and now < float(row["cooldown_until"]):
            return COOLING
        return READY
    return state
