"""Who is calling: agent bearer tokens for the API, human sessions (+ CSRF) for the UI.

The two principals never substitute for each other: a request that carries an
``Authorization`` header is refused on every human route, whatever the header holds.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass

from fastapi import Request

from airlock.hold.identity import AgentPrincipal, Human, agent_for_token, session_human
from airlock.store.db import Store

SESSION_COOKIE = "airlock_session"
LOGIN_CSRF_COOKIE = "airlock_login_csrf"


@dataclass(frozen=True)
class HumanSession:
    human: Human
    csrf: str
    token: str


def bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def agent(store: Store, request: Request) -> AgentPrincipal | None:
    token = bearer(request)
    return agent_for_token(store, token) if token else None


def human(store: Store, request: Request) -> HumanSession | None:
    token = request.cookies.get(SESSION_COOKIE, "")
    found = session_human(store, token) if token else None
    if found is None:
        return None
    return HumanSession(found[0], found[1], token)


def csrf_ok(expected: str, given: object) -> bool:
    """Constant-time comparison of a submitted CSRF token with the expected one."""
    if not expected or not isinstance(given, str) or not given:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())


def new_login_csrf() -> str:
    return secrets.token_urlsafe(32)


def cookie_args(request: Request) -> dict[str, object]:
    return {"httponly": True, "samesite": "strict", "path": "/",
            "secure": request.url.scheme == "https"}
