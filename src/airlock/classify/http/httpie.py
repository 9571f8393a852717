"""httpie's (``http``, ``https``) and xh's (``xh``, ``xhs``) arguments → the request."""

from __future__ import annotations

import itertools
import json
import os
import re
from typing import Any
from urllib.parse import quote_plus

from airlock.classify.command import DYNAMIC, ClassifyContext, Word
from airlock.classify.graphql import (
    SENTINEL,
    undynamic,
)
from airlock.classify.http.request import (
    HttpParseError,
    HttpRequest,
    OptionSpec,
    basic_auth,
    check_url,
    marked_dynamic,
    option_table,
    quote_keep_dynamic,
    read_body_file,
    scan_options,
    split_url,
    with_query,
    word_like,
)

_HTTPIE_VALUES = """
auth auth-type output session session-read-only verify cert cert-key cert-key-pass proxy
timeout max-redirects max-headers pretty style print history-print format-options
response-charset response-mime ssl ciphers default-scheme boundary raw bearer http-version
resolve interface unix-socket generate
"""
_HTTPIE_FLAGS = """
json form multipart headers body meta verbose all stream download continue quiet check-status
follow offline ignore-stdin ignore-netrc traceback debug sorted unsorted chunked compress help
version manual native-tls https curl curl-long path-as-is ipv4 ipv6
"""
_HTTPIE_SHORT = {
    "a": "auth", "A": "auth-type", "o": "output", "s": "style", "p": "print",
    "P": "history-print", "j": "json", "f": "form", "h": "headers", "b": "body", "m": "meta",
    "v": "verbose", "S": "stream", "d": "download", "c": "continue", "q": "quiet",
    "F": "follow", "I": "ignore-stdin", "x": "compress", "4": "ipv4", "6": "ipv6",
}  # fmt: skip
_HTTPIE_LONG = option_table(_HTTPIE_VALUES, _HTTPIE_FLAGS)
_HTTPIE = OptionSpec(
    tool="httpie",
    short={k: (v, _HTTPIE_LONG[v]) for k, v in _HTTPIE_SHORT.items()},
    long=_HTTPIE_LONG,
    equals=True,
    abbrev=True,
)
_ITEM_SEPARATORS = (":=@", "==@", "=@", ":@", "==", ":=", ":", "=", "@", ";")


def _split_item(text: str) -> tuple[str, str, str] | None:
    """``key<sep>value`` of an httpie request item, honouring backslash escapes."""
    key: list[str] = []
    i = 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            key.append(text[i + 1])
            i += 2
            continue
        for sep in _ITEM_SEPARATORS:
            if text.startswith(sep, i):
                return "".join(key), sep, text[i + len(sep) :]
        key.append(c)
        i += 1
    return None


def _set_nested(obj: dict[str, Any], key: str, value: Any) -> None:
    """httpie nested JSON keys: ``variables[id]=x`` → ``{"variables": {"id": "x"}}``."""
    m = re.fullmatch(r"([^\[\]]+)((?:\[[^\[\]]*\])+)", key)
    if not m:
        obj[key] = value
        return
    path = [m.group(1), *re.findall(r"\[([^\[\]]*)\]", m.group(2))]
    cur: Any = obj
    for part, nxt in itertools.pairwise(path):
        if isinstance(cur, dict):
            if not isinstance(cur.get(part), dict | list):
                cur[part] = [] if nxt == "" else {}
            cur = cur[part]
        elif isinstance(cur, list):
            cur.append([] if nxt == "" else {})
            cur = cur[-1]
    last = path[-1]
    if isinstance(cur, dict):
        cur[last] = value
    elif isinstance(cur, list):
        cur.append(value)


def request_from_httpie(
    args: list[Word],
    ctx: ClassifyContext | None = None,
    *,
    program: str = "http",
    stdin: str | None = None,
    stdin_unknown: bool = False,
) -> HttpRequest:
    """The request ``http|https|xh|xhs ARGS`` would send: ``[METHOD] URL [ITEM …]``."""
    items = scan_options(args, _HTTPIE)
    positionals: list[Word] = []
    opts: dict[str, list[Word | None]] = {}
    for name, item in items:
        if name:
            opts.setdefault(name, []).append(item)
        elif item is not None:
            positionals.append(item)
    if not positionals:
        raise HttpParseError(f"{program}: no URL")

    def last(name: str) -> str | None:
        vals = [v for v in opts.get(name, []) if v is not None]
        return vals[-1].text if vals else None

    method: str | None = None
    if len(positionals) >= 2 and re.fullmatch(r"[A-Za-z]+", positionals[0].text):
        method = positionals[0].text.upper()
        positionals = positionals[1:]
    url_word, rest = positionals[0], positionals[1:]

    scheme = "https" if program in ("https", "xhs") or "--https" in opts else "http"
    scheme = last("--default-scheme") or scheme
    text = url_word.text
    if text.startswith(":"):  # httpie shorthand: ":3000/x" → localhost:3000/x
        text = "localhost" + (text if text[1:2].isdigit() else text[1:])
    url = check_url(word_like(text, url_word), program, scheme)

    headers: list[tuple[str, str]] = []
    queries: list[str] = []
    data: dict[str, Any] = {}
    files: list[str] = []
    sources: list[str] = []
    body_unknown = False
    for w in rest:
        parsed = _split_item(w.text)
        if parsed is None:
            raise HttpParseError(f"{program}: {w.shown!r} is not a request item", url)
        key, sep, value = parsed
        if sep == ":":
            if value:
                headers.append((key, value.strip()))
        elif sep == ";":
            headers.append((key, ""))
        elif sep == ":@":
            content = read_body_file(value, ctx)
            if content is not None:
                headers.append((key, content.strip()))
        elif sep == "==":
            queries.append(f"{quote_keep_dynamic(key)}={quote_keep_dynamic(value)}")
        elif sep == "==@":
            content = read_body_file(value, ctx)
            queries.append(f"{key}={DYNAMIC if content is None else quote_plus(content)}")
        elif sep == "=":
            _set_nested(data, key, value)
        elif sep in ("=@", ":=@"):
            sources.append(f"file {value.replace(DYNAMIC, '$?')}")
            content = read_body_file(value, ctx)
            if content is None:
                body_unknown = True
                _set_nested(data, key, DYNAMIC)
            elif sep == "=@":
                _set_nested(data, key, content)
            else:
                _set_nested(data, key, _json_item(content, program, url))
        elif sep == ":=":
            _set_nested(data, key, _json_item(value, program, url))
        elif sep == "@":
            files.append(key)
            sources.append(f"form file {value.replace(DYNAMIC, '$?')}")

    body: str | None = None
    form: list[tuple[str, str]] | None = None
    raw = last("--raw")
    form_mode = "--form" in opts or "--multipart" in opts or bool(files)
    if raw is not None:
        body = raw
        sources.append("argument")
    elif data or files:
        if form_mode:
            form = [(k, v if isinstance(v, str) else json.dumps(v)) for k, v in data.items()]
            form += [(k, "<file>") for k in files]
            body = "&".join(f"{k}={quote_keep_dynamic(v)}" for k, v in form)
            ctype = (
                "multipart/form-data"
                if files or "--multipart" in opts
                else ("application/x-www-form-urlencoded")
            )
        else:
            body = marked_dynamic(json.dumps(_undyn_tree(data)))
            ctype = "application/json"
        if "content-type" not in {k.lower() for k, _ in headers}:
            headers.append(("Content-Type", ctype))
    elif "--ignore-stdin" not in opts and (stdin is not None or stdin_unknown):
        sources.append("stdin")
        body = stdin
        body_unknown = stdin is None

    auth = last("--auth")
    bearer = last("--bearer")
    if bearer is not None:
        headers.append(("Authorization", f"Bearer {bearer}"))
    elif auth is not None:
        if (last("--auth-type") or "basic").lower() == "bearer":
            headers.append(("Authorization", f"Bearer {auth}"))
        else:
            headers.append(("Authorization", basic_auth(auth)))

    if method is None:
        method = "POST" if (body is not None or body_unknown) else "GET"
    outputs = [v for v in opts.get("--output", []) if v is not None]
    additions: list[Word] = []
    if "--download" in opts and not outputs:
        # saved under a name from the URL (or the server); an existing file is kept and
        # the download takes a fresh name (name-1)
        parts = split_url(url)
        base = (os.path.basename(parts.path) if parts else "") or "index.html"
        additions.append(Word(marked_dynamic(base), dynamic=SENTINEL in base))
    return HttpRequest(
        method=method,
        url=with_query(url, queries),
        headers=headers,
        body=body,
        body_unknown=body_unknown,
        body_source=", ".join(sources) or ("argument" if body is not None else ""),
        form=form,
        outputs=outputs,
        additions=additions,
    )


def _json_item(text: str, program: str, url: str) -> Any:
    try:
        return json.loads(undynamic(text))
    except ValueError:
        if DYNAMIC in text:
            return SENTINEL
        raise HttpParseError(f"{program}: invalid JSON in a := item", url) from None
    except RecursionError:
        raise HttpParseError(f"{program}: JSON in a := item nests too deeply", url) from None


def _undyn_tree(value: Any) -> Any:
    if isinstance(value, str):
        return undynamic(value)
    if isinstance(value, dict):
        return {undynamic(str(k)): _undyn_tree(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_undyn_tree(v) for v in value]
    return value
