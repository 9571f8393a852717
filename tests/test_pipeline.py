"""Properties of the whole decision path: it never crashes, and nothing it could not
understand is ever allowed."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from airlock.action import Action
from airlock.config import Config
from airlock.pipeline import Checker

_CHECKER = Checker(Config())
_CWD = str(Path(__file__).resolve().parent.parent)

# shell-ish text: the characters that make shells interesting, plus anything at all
_CHARS = [*"rm -f/.*?$`'\"\\|&;<>(){}[]=!#~\n\tabcdefgpsqlcurl -X POST DROP TABLE", "\x00", "é"]
SHELLISH = st.text(alphabet=st.sampled_from(_CHARS), max_size=120)


def _check(kind: str, text: str) -> None:
    decision = _CHECKER.check(Action(command=text, kind=kind, cwd=_CWD))
    assert decision.decision in ("allow", "hold", "deny")
    if any(f.kind == "unparsed" for f in decision.flags):
        assert decision.decision != "allow", (text, decision.reasons)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(SHELLISH, st.text(max_size=120)))
def test_shell_decisions_never_crash_and_never_allow_what_was_not_understood(text: str) -> None:
    _check("shell", text)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=120))
def test_sql_decisions_never_crash_and_never_allow_what_was_not_understood(text: str) -> None:
    _check("sql", text)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=120))
def test_http_decisions_never_crash_and_never_allow_what_was_not_understood(text: str) -> None:
    _check("http", text)
