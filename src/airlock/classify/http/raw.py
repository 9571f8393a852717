"""A request handed over as text (kind "http" actions: the HTTP proxy, ``airlock check``,
MCP tools): an HTTP/1.x message, ``METHOD URL``, or a JSON object → :class:`HttpRequest`."""

from __future__ import annotations

import json
import re

from airlock.classify.command import Word
from airlock.classify.http.request import HttpParseError, HttpRequest, check_url

_REQUEST_LINE = re.compile(r"^([A-Za-z][A-Za-z-]*)\s+(\S+)(?:\s+HTTP/\d(?:\.\d)?)?\s*$")


def parse_raw_request(text: str, *, default_scheme: str = "https") -> HttpRequest:
    """A request given as text: an HTTP/1.x message (``POST /graphql/v2 HTTP/1.1``, headers,
    blank line, body), a bare ``METHOD URL`` or ``URL``, or a JSON object
    ``{"method", "url", "headers", "body"}``. An origin-form target takes its host from the
    ``Host`` header. Raises :class:`HttpParseError` when it is none of these."""
    if not isinstance(text, str) or not text.strip():
        raise HttpParseError("http: empty request")
    stripped = text.strip()
    if stripped.startswith("{"):
        return _request_from_json(stripped, default_scheme)
    head, body = _split_message(text)
    lines = head.splitlines()
    first = lines[0].strip() if lines else ""
    m = _REQUEST_LINE.match(first)
    if m:
        method, target = m.group(1).upper(), m.group(2)
    elif first and " " not in first:
        method, target = "GET", first
    else:
        raise HttpParseError(f"http: not a request line: {first[:80]!r}")
    headers: list[tuple[str, str]] = []
    for line in lines[1:]:
        if not line.strip():
            continue
        if ":" not in line or line[:1].isspace():
            raise HttpParseError(f"http: not a header line: {line[:80]!r}")
        k, _, v = line.partition(":")
        headers.append((k.strip(), v.strip()))
    if target.startswith("/") or target == "*":
        host = next((v for k, v in headers if k.lower() == "host"), "")
        if not host:
            raise HttpParseError("http: origin-form request target without a Host header")
        target = f"{default_scheme}://{host}{target if target != '*' else '/'}"
    url = check_url(Word(target), "http", default_scheme)
    return HttpRequest(
        method=method,
        url=url,
        headers=headers,
        body=body,
        body_source="request" if body is not None else "",
    )


def _split_message(text: str) -> tuple[str, str | None]:
    for sep in ("\r\n\r\n", "\n\n"):
        if sep in text:
            head, _, body = text.partition(sep)
            return head, body
    return text, None


def _request_from_json(text: str, default_scheme: str) -> HttpRequest:
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise HttpParseError("http: request is not valid JSON") from None
    if not isinstance(data, dict) or not isinstance(data.get("url"), str):
        raise HttpParseError("http: a JSON request needs a 'url' string")
    method = data.get("method", "GET")
    if not isinstance(method, str) or not method.strip():
        raise HttpParseError("http: 'method' must be a string")
    raw_headers = data.get("headers") or {}
    headers: list[tuple[str, str]] = []
    if isinstance(raw_headers, dict):
        headers = [(str(k), str(v)) for k, v in raw_headers.items()]
    elif isinstance(raw_headers, list):
        for pair in raw_headers:
            if isinstance(pair, list | tuple) and len(pair) == 2:
                headers.append((str(pair[0]), str(pair[1])))
            else:
                raise HttpParseError("http: 'headers' must be an object or a list of pairs")
    else:
        raise HttpParseError("http: 'headers' must be an object or a list of pairs")
    body = data.get("body")
    if body is not None and not isinstance(body, str):
        body = json.dumps(body)
    url = check_url(Word(data["url"]), "http", default_scheme)
    return HttpRequest(
        method=method.strip().upper(),
        url=url,
        headers=headers,
        body=body,
        body_source="request" if body is not None else "",
    )
