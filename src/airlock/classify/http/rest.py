"""REST requests rated by method (a POST to a path that says ``delete`` is destructive),
other schemes (ftp, sftp, file…), downloads saved to files, and requests we cannot read."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl

from airlock.action import Risk, Target
from airlock.classify.command import DYNAMIC, ClassifyContext, Word
from airlock.classify.graphql import (
    looks_destructive,
)
from airlock.classify.http.request import HttpParseError, HttpRequest, Url, split_url

_METHOD_RISK = {
    "GET": Risk.READ, "HEAD": Risk.READ, "OPTIONS": Risk.READ, "TRACE": Risk.READ,
    "PROPFIND": Risk.READ, "REPORT": Risk.READ, "SEARCH": Risk.READ, "QUERY": Risk.READ,
    "POST": Risk.WRITE, "PUT": Risk.WRITE, "PATCH": Risk.WRITE, "MKCOL": Risk.WRITE,
    "COPY": Risk.WRITE, "MOVE": Risk.WRITE, "LOCK": Risk.WRITE, "UNLOCK": Risk.WRITE,
    "PROPPATCH": Risk.WRITE, "CONNECT": Risk.READ,
    "DELETE": Risk.DESTRUCTIVE, "PURGE": Risk.DESTRUCTIVE,
}  # fmt: skip
_OVERRIDE_HEADERS = ("x-http-method-override", "x-http-method", "x-method-override")


def method_overrides(req: HttpRequest, parts: Url) -> list[tuple[str, str]]:
    """(method, where) for each way the request asks the server to treat it as another
    method: the X-HTTP-Method-Override family of headers, and a ``_method`` field in the
    query, a form or the body (Rails, Laravel, Symfony...). "?" when it cannot be read."""
    found = [(v, f"the {h} header") for h in _OVERRIDE_HEADERS
             if (v := req.header(h)) is not None]
    fields = list(parse_qsl(parts.query, keep_blank_values=True))
    fields += list(req.form or [])
    body = req.body or ""
    if body.lstrip().startswith("{"):
        try:
            data = json.loads(body)
        except ValueError:
            data = None
        if isinstance(data, dict) and isinstance(data.get("_method"), str):
            fields.append(("_method", data["_method"]))
    elif "=" in body:
        fields += parse_qsl(body, keep_blank_values=True)
    found += [(v, "a _method field") for k, v in fields if k == "_method"]
    return [("?" if DYNAMIC in v else v.strip().upper(), where) for v, where in found]


def rest_target(req: HttpRequest, parts: Url, method: str, tool: str) -> Target:
    effective = method
    detail = ""
    for override, where in method_overrides(req, parts):
        worse = _METHOD_RISK.get(override, Risk.DESTRUCTIVE) >= _METHOD_RISK.get(
            effective, Risk.DESTRUCTIVE)
        if worse:  # the server may honour it: judge the request as the worse method
            effective = override
            detail = f"method overridden to {override} by {where}"
    risk = _METHOD_RISK.get(effective)
    if risk is None:
        risk = Risk.DESTRUCTIVE
        detail = f"unknown HTTP method {effective}" if effective != "?" else "unknown method"
    if risk == Risk.WRITE and _path_destructive(parts.path):
        risk = Risk.DESTRUCTIVE
        detail = f"{method} to a path that says it deletes"
    return Target(
        kind="url",
        name=parts.shown,
        verb=f"http.{method.lower()}",
        risk=risk,
        tool=tool,
        locator=parts.locator,
        detail=detail,
        unresolved=parts.dynamic,
    )


def _path_destructive(path: str) -> bool:
    segments = [s for s in path.split("/") if s][-2:]
    return any(looks_destructive(s) for s in segments)


def other_scheme_target(req: HttpRequest, parts: Url, tool: str) -> Target:
    scheme = parts.scheme
    if req.commands and scheme in ("ftp", "ftps", "sftp", "scp"):
        risk, verb, detail = Risk.DESTRUCTIVE, f"{scheme}.command", "; ".join(req.commands)
    elif req.body is not None or req.body_unknown:
        risk, verb, detail = Risk.WRITE, f"{scheme}.upload", req.body_source
    else:
        risk, verb, detail = Risk.READ, f"{scheme}.get", ""
    return Target(
        kind="url",
        name=parts.shown,
        verb=verb,
        risk=risk,
        tool=tool,
        locator=parts.locator,
        detail=detail[:300].replace(DYNAMIC, "$?"),
        unresolved=parts.dynamic,
    )


def is_real_output(w: Word) -> bool:
    """A file, not stdout/stderr: ``-``, ``%`` (curl --trace's stderr), /dev/null…"""
    return w.text not in ("-", "%", "/dev/null", "/dev/stdout", "/dev/stderr", "")


def output_target(w: Word, ctx: ClassifyContext, tool: str) -> Target:
    return Target(
        kind="file",
        name=w.shown,
        verb="fs.write",
        risk=Risk.WRITE,
        tool=tool,
        locator=ctx.abspath(w.text),
        detail="download saved here",
        unresolved=w.unknown,
    )


def unparsable_target(name: str, tool: str, detail: str) -> Target:
    return Target(
        kind="url",
        name=name or "?",
        verb="http.unknown",
        risk=Risk.DESTRUCTIVE,
        tool=tool,
        locator=name,
        detail=detail,
        unresolved=True,
    )


def held_target(exc: HttpParseError, tool: str) -> Target:
    """The worst-case target for a request we could not rebuild."""
    name = exc.url or "?"
    parts = split_url(name.replace("$?", DYNAMIC)) if exc.url else None
    locator = parts.locator if parts and parts.host else name
    return Target(
        kind="url",
        name=name,
        verb="http.unknown",
        risk=Risk.DESTRUCTIVE,
        tool=tool,
        locator=locator,
        detail=exc.reason,
        unresolved=True,
    )
