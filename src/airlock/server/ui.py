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
from airlock.hold.service import Refused
from airlock.server import auth
from airlock.server.context import ServerContext

router = APIRouter()
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
MESSAGES = {"approved": "Your approval is recorded.", "rejected": "Request rejected.",
            "aborted": "Request aborted: it will not run."}


def _ctx(request: Request) -> ServerContext:
    ctx: ServerContext = request.app.state.ctx
    return ctx


def _when(ts: float | None) -> str:
    if ts is None:
        return "—"
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


templates.env.filters["when"] = _when


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
    try:
        human = await run_in_threadpool(
            authenticate, ctx.store, ctx.ledger, str(form.get("username", "")),
            str(form.get("password", "")), str(form.get("code", "")),
            hold.login_failures, hold.login_window)
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
    rows = ctx.service.list(only_open=False, limit=50)
    return _page(request, "index.html", me=session.human, csrf=session.csrf,
                 open=[r for r in rows if r["state"] in S.OPEN],
                 closed=[r for r in rows if r["state"] not in S.OPEN])


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
    own = session.human.username in (view["agent"], view["owner"])
    short = view["required_approvers"] > view["humans"]
    return _page(request, "request.html", status=status, me=session.human, csrf=session.csrf,
                 r=view, own=own, short_of_humans=short, message=message, error=error,
                 now=time.time())


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
