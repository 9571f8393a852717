"""The request state machine and the action fingerprint."""

from __future__ import annotations

from airlock.action import Action
from airlock.fingerprint import fingerprint
from airlock.hold import states as S


def _row(state: str, **kw: float | None) -> dict[str, object]:
    base: dict[str, object] = {"state": state, "pending_until": 100.0, "cooldown_until": None,
                               "expires_at": None}
    base.update(kw)
    return base


def test_cooldown_deadline_is_absolute_so_effective_state_follows_the_clock() -> None:
    row = _row(S.COOLING, cooldown_until=50.0, expires_at=80.0)
    assert S.effective(row, 49.9) == S.COOLING
    assert S.effective(row, 50.0) == S.READY
    assert S.effective(row, 80.0) == S.EXPIRED


def test_pending_request_expires_when_nobody_answers() -> None:
    assert S.effective(_row(S.PENDING), 99) == S.PENDING
    assert S.effective(_row(S.PENDING), 100) == S.EXPIRED


def test_final_states_never_move() -> None:
    for state in S.FINAL:
        assert S.effective(_row(state, cooldown_until=0.0, expires_at=1.0), 1e12) == state
        assert not any(S.can_move(state, dst) for dst in S.STATES)


def test_only_cooled_approvals_become_executable() -> None:
    assert S.can_move(S.READY, S.EXECUTED) and S.can_move(S.COOLING, S.EXECUTED)
    assert not S.can_move(S.PENDING, S.EXECUTED)


def test_fingerprint_trims_but_keeps_inner_whitespace_scope_cwd_and_database() -> None:
    a = Action("  rm -rf /srv/x \n", cwd="/w")
    assert fingerprint(a) == fingerprint(Action("rm -rf /srv/x", cwd="/w"))
    # inner whitespace is meaning: 'a  b' and 'a b' are different directories
    assert fingerprint(Action("rm -rf 'a  b'", cwd="/w")) != fingerprint(
        Action("rm -rf 'a b'", cwd="/w"))
    assert fingerprint(a) != fingerprint(Action("rm -rf /srv/x", cwd="/other"))
    assert fingerprint(a) != fingerprint(Action("rm -rf /srv/x", cwd="/w", scope="staging"))
    sql = Action("drop table t", kind="sql", database="postgresql://db/a")
    assert fingerprint(sql) != fingerprint(Action("drop table t", kind="sql",
                                                  database="postgresql://db/b"))
    assert fingerprint(sql) != fingerprint(Action("drop table t", kind="shell",
                                                  database="postgresql://db/a"))
