"""The human approval UI: server-rendered Jinja2, session cookies, a CSRF token per form.

Every POST here needs a human session and that session's CSRF token; any request that
carries an ``Authorization`` header (an agent token, or anything else) is refused.
"""

from __future__ import annotations

import secrets
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from airlock.hold import states as S
from airlock.hold.identity import AuthError, authenticate, create_session, end_session
from airlock.hold.service import Refused, duration, human_size, readable, removes
from airlock.instance import Instance
from airlock.server import auth

router = APIRouter()
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
INDEX_REFRESH = 5  # seconds between reloads of the request list
MESSAGES = {"approved": "Your approval is recorded.", "rejected": "Request rejected.",
            "aborted": "Request aborted: it will not run."}


def _ctx(request: Request) -> Instance:
    ctx: Instance = request.app.state.ctx
    return ctx


def _when(ts: float | None) -> str:
    if ts is None:
        return "—"
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _ago(ts: float | None, now: float | None = None) -> str:
    if ts is None:
        return "—"
    left = max(0, int((now or time.time()) - ts))
    if left < 60:
        return f"{left} s ago"
    if left < 3600:
        return f"{left // 60} min ago"
    if left < 86400:
        return f"{left // 3600} h {left % 3600 // 60} min ago"
    return f"{left // 86400} d ago"


def clock(seconds: float | None) -> str:
    """A countdown: ``9:59`` (``1:02:03`` past an hour, ``42 s`` under a minute)."""
    total = max(0, int(-(-(seconds or 0) // 1)))
    if total < 60:
        return f"{total} s"
    h, rest = divmod(total, 3600)
    m, sec = divmod(rest, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"


templates.env.filters["when"] = _when
templates.env.filters["ago"] = _ago
templates.env.filters["duration"] = duration
templates.env.filters["clock"] = clock
templates.env.filters["readable"] = readable
templates.env.filters["removes"] = removes
templates.env.filters["size"] = human_size
RISKY = ("destructive", "catastrophic")
templates.env.globals["RISKY"] = RISKY


def _page(request: Request, name: str, status: int = 200, **data: Any) -> HTMLResponse:
    nonce = secrets.token_urlsafe(16)
    response = templates.TemplateResponse(request, name, {"nonce": nonce, **data},
                                          status_code=status)
    response.headers["Content-Security-Policy"] = (
        f"default-src 'none'; style-src 'unsafe-inline'; script-src 'nonce-{nonce}'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
    return response


def _safe_next(target: str) -> str:
    return target if target.startswith("/") and not target.startswith("//") else "/"


def _to_login(request: Request) -> RedirectResponse:
    return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/") -> Response:
    token = auth.new_login_csrf()
    response = _page(request, "login.html", csrf=token, next=_safe_next(next), error="")
    response.set_cookie(auth.LOGIN_CSRF_COOKIE, token, max_age=900,
                        **auth.cookie_args(request))  # type: ignore[arg-type]
    return response


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request) -> Response:
    ctx = _ctx(request)
    form = await request.form()
    nxt = _safe_next(str(form.get("next", "/")))
    expected = request.cookies.get(auth.LOGIN_CSRF_COOKIE, "")
    if auth.bearer(request) is not None:
        return HTMLResponse("agent tokens cannot log in as a human", status_code=403)
    if not auth.csrf_ok(expected, form.get("csrf")):
        return HTMLResponse("forged or missing CSRF token", status_code=403)
    hold = ctx.settings.hold
    # the socket peer (uvicorn runs with proxy_headers off): for the ledger only, as the
    # limit keys on the password, which an agent lacks, not on an address it can pick
    source = request.client.host if request.client is not None else ""
    try:
        human = await run_in_threadpool(
            authenticate, ctx.store, ctx.ledger, str(form.get("username", "")),
            str(form.get("password", "")), str(form.get("code", "")),
            hold.login_failures, hold.login_window, via="web", source=source)
    except AuthError as exc:
        return _page(request, "login.html", status=401, csrf=expected, next=nxt,
                     error=str(exc))
    token, _csrf = await run_in_threadpool(create_session, ctx.store, human,
                                           hold.session_ttl)
    with ctx.store.write() as conn:
        ctx.ledger.append(conn, "login", human.username, payload={"via": "web"})
    response = RedirectResponse(nxt, status_code=303)
    response.set_cookie(auth.SESSION_COOKIE, token, max_age=int(hold.session_ttl),
                        **auth.cookie_args(request))  # type: ignore[arg-type]
    response.delete_cookie(auth.LOGIN_CSRF_COOKIE, path="/")
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    ctx = _ctx(request)
    session = auth.human(ctx.store, request)
    form = await request.form()
    if session is not None and auth.csrf_ok(session.csrf, form.get("csrf")):
        end_session(ctx.store, session.token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(auth.SESSION_COOKIE, path="/")
    return response


@router.get("/", response_class=HTMLResponse)
def index(request: Request) -> Response:
    ctx = _ctx(request)
    session = auth.human(ctx.store, request)
    if session is None:
        return _to_login(request)
    waiting = ctx.service.list(only_open=True, limit=200)
    recent = ctx.service.list(only_open=False, limit=30)
    return _page(request, "index.html", me=session.human, csrf=session.csrf,
                 open=waiting, closed=[r for r in recent if r["state"] not in S.OPEN],
                 now=time.time(), refresh=INDEX_REFRESH)


@router.get("/r/{rid}", response_class=HTMLResponse)
def request_page(request: Request, rid: str, msg: str = "") -> Response:
    ctx = _ctx(request)
    session = auth.human(ctx.store, request)
    if session is None:
        return _to_login(request)
    try:
        view = ctx.service.view(rid)
    except Refused as exc:
        return HTMLResponse(exc.message, status_code=exc.status)
    return _render_request(request, session, view, message=MESSAGES.get(msg, ""))


def _render_request(request: Request, session: auth.HumanSession, view: dict[str, Any],
                    message: str = "", error: str = "", status: int = 200) -> HTMLResponse:
    me = session.human.username
    may_approve = me in view["can_approve"]
    why_not = ""
    if view["state"] == S.PENDING and not may_approve:
        if me == view["owner"]:
            why_not = ("You cannot approve this request: you own the agent that asked for it. "
                       "A different human must.")
        elif me == view["agent"]:
            why_not = "You cannot approve this request: it is yours. A different human must."
        elif me in view["approvals"]:
            why_not = ("You approved this request already; the next approval must come from a "
                       "different human.")
    return _page(request, "request.html", status=status, me=session.human, csrf=session.csrf,
                 r=view, may_approve=may_approve, why_not=why_not, message=message,
                 error=error, now=time.time(), action=readable(view["action"]))


async def _human_post(request: Request, rid: str, op: str) -> Response:
    ctx = _ctx(request)
    if auth.bearer(request) is not None:
        return HTMLResponse("agent tokens cannot approve, reject or abort: a human must, "
                            "signed in to the web UI or the CLI", status_code=403)
    session = auth.human(ctx.store, request)
    if session is None:
        return HTMLResponse("sign in as a human first", status_code=401)
    form = await request.form()
    if not auth.csrf_ok(session.csrf, form.get("csrf")):
        return HTMLResponse("forged or missing CSRF token", status_code=403)
    svc = ctx.service
    try:
        if op == "approve":
            await run_in_threadpool(svc.approve, session.human, rid,
                                    str(form.get("confirm_name", "")))
        elif op == "reject":
            await run_in_threadpool(svc.reject, session.human, rid, str(form.get("reason", "")))
        else:
            await run_in_threadpool(svc.abort, session.human, rid, str(form.get("reason", "")))
    except Refused as exc:
        try:
            view = await run_in_threadpool(svc.view, rid)
        except Refused:
            return HTMLResponse(exc.message, status_code=exc.status)
        return _render_request(request, session, view, error=exc.message, status=exc.status)
    done = {"approve": "approved", "reject": "rejected", "abort": "aborted"}[op]
    return RedirectResponse(f"/r/{rid}?msg={done}", status_code=303)


@router.post("/r/{rid}/approve")
async def approve(request: Request, rid: str) -> Response:
    return await _human_post(request, rid, "approve")


@router.post("/r/{rid}/reject")
async def reject(request: Request, rid: str) -> Response:
    return await _human_post(request, rid, "reject")


@router.post("/r/{rid}/abort")
async def abort(request: Request, rid: str) -> Response:
    return await _human_post(request, rid, "abort")
