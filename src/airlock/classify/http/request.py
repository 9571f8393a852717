"""The request a client would send (:class:`HttpRequest`), and what the three clients'
argument readers share: option scanning the way getopt/argparse do it, URLs, body files."""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import quote_plus, urlsplit

from airlock.classify.command import DYNAMIC, ClassifyContext, Word
from airlock.classify.graphql import (
    SENTINEL,
    undynamic,
)

MAX_BODY_FILE = 64 * 1024  # bytes of a body file we read to classify it


class HttpParseError(ValueError):
    """The client's arguments cannot be turned into a request we understand.

    ``url`` is the URL when one was found, for the held target's name.
    """

    def __init__(self, reason: str, url: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.url = url


@dataclass
class HttpRequest:
    """One request as a client would send it. Unknown text is marked with ``DYNAMIC``."""

    method: str
    url: str
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: str | None = None
    body_unknown: bool = False  # (part of) the body comes from somewhere we cannot see
    body_source: str = ""  # where the body comes from: "file q.json", "stdin", "argument"
    form: list[tuple[str, str]] | None = None  # multipart / urlencoded form fields, if a form
    outputs: list[Word] = field(default_factory=list)  # local files it writes, replacing them
    # local files it writes without replacing what they hold: appends, and downloads that
    # take a fresh name rather than overwrite (wget's file.1, curl --no-clobber)
    additions: list[Word] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)  # curl -Q: FTP/SFTP commands
    # where the connection really goes instead of the URL's host (curl --connect-to,
    # --resolve): host names or addresses, DYNAMIC when unknown
    reroutes: list[str] = field(default_factory=list)

    def header(self, name: str) -> str | None:
        """The last value of a header (case-insensitive), None when absent."""
        found = None
        for k, v in self.headers:
            if k.lower() == name.lower():
                found = v
        return found

    @property
    def content_type(self) -> str:
        return (self.header("content-type") or "").split(";")[0].strip().lower()


# ---------------------------------------------------------------------------------------------
# option scanning (shared by the three clients)


@dataclass(frozen=True)
class OptionSpec:
    tool: str
    short: Mapping[str, tuple[str, bool]]  # letter → (long name, takes a value)
    long: Mapping[str, bool]  # long name → takes a value
    equals: bool  # --name=value is understood
    abbrev: bool  # unambiguous prefixes of long names are understood (getopt, argparse)
    negate: bool = True  # --no-NAME for flags


OptionItem = tuple[str, Word | None]  # ("--long-name", value) or ("", positional)


def word_like(text: str, like: Word) -> Word:
    return Word(text, dynamic=DYNAMIC in text, glob=like.glob)


def _lookup(name: str, spec: OptionSpec) -> tuple[str, bool]:
    """(canonical long name, takes a value) of ``--name``; raises when unknown or ambiguous."""
    if name in spec.long:
        return name, spec.long[name]
    if spec.negate and name.startswith("no-") and spec.long.get(name[3:]) is False:
        return name, False
    if spec.abbrev and name:
        cands = [k for k in spec.long if k.startswith(name)]
        if len(cands) == 1:
            return cands[0], spec.long[cands[0]]
        if len(cands) > 1 and len({spec.long[c] for c in cands}) > 1:
            raise HttpParseError(f"{spec.tool}: option --{name} is ambiguous")
        if cands:
            return cands[0], spec.long[cands[0]]
    raise HttpParseError(f"{spec.tool}: unknown option --{name}")


def scan_options(args: Sequence[Word], spec: OptionSpec) -> list[OptionItem]:
    out: list[OptionItem] = []
    i, n = 0, len(args)
    only_positionals = False
    while i < n:
        w = args[i]
        t = w.text
        i += 1
        if only_positionals or t == "-" or not t.startswith("-"):
            if not only_positionals and t.startswith(DYNAMIC):
                raise HttpParseError(
                    f"{spec.tool}: argument {w.shown!r} comes from a shell expansion "
                    "and could be an option"
                )
            out.append(("", w))
            continue
        if t == "--":
            only_positionals = True
            continue
        if t.startswith("--"):
            body = t[2:]
            if spec.equals and "=" in body:
                name, _, val = body.partition("=")
                canon, takes = _lookup(name, spec)
                out.append((f"--{canon}", word_like(val, w) if takes else None))
                continue
            canon, takes = _lookup(body, spec)
            if takes:
                if i >= n:
                    raise HttpParseError(f"{spec.tool}: option --{body} needs a value")
                out.append((f"--{canon}", args[i]))
                i += 1
            else:
                out.append((f"--{canon}", None))
            continue
        j = 1
        while j < len(t):
            ch = t[j]
            j += 1
            if ch not in spec.short:
                shown = t.replace(DYNAMIC, "$?")
                raise HttpParseError(f"{spec.tool}: unknown option -{ch} in {shown!r}")
            canon, takes = spec.short[ch]
            if not takes:
                out.append((f"--{canon}", None))
                continue
            rest = t[j:]
            if rest:
                out.append((f"--{canon}", word_like(rest, w)))
            elif i < n:
                out.append((f"--{canon}", args[i]))
                i += 1
            else:
                raise HttpParseError(f"{spec.tool}: option -{ch} needs a value")
            break
    return out


def option_table(values: str, flags: str) -> dict[str, bool]:
    table = dict.fromkeys(flags.split(), False)
    table.update(dict.fromkeys(values.split(), True))
    return table


# ---------------------------------------------------------------------------------------------
# helpers: files, URLs, encodings


def read_body_file(path: str, ctx: ClassifyContext | None) -> str | None:
    """A small regular file's text (relative to ctx.cwd), or None when we cannot see it."""
    if ctx is None:
        return None
    return ctx.read_small_file(path, MAX_BODY_FILE)


def quote_keep_dynamic(text: str) -> str:
    """URL-encode like curl --data-urlencode, keeping the DYNAMIC markers intact."""
    return DYNAMIC.join(quote_plus(part) for part in text.split(DYNAMIC))


def basic_auth(userpass: str) -> str:
    if ":" not in userpass:
        userpass += ":"
    raw = base64.b64encode(userpass.encode("utf-8", "replace")).decode("ascii")
    return f"Basic {raw}"


def with_query(url: str, parts: Sequence[str]) -> str:
    parts = [p for p in parts if p]
    if not parts:
        return url
    base, hash_, frag = url.partition("#")
    sep = "&" if "?" in base.replace(DYNAMIC, "") else "?"
    return base + sep + "&".join(parts) + (hash_ + frag)


def check_url(w: Word, tool: str, default_scheme: str = "http") -> str:
    """The URL a client would request for this word; raises when its host is unknown."""
    text = w.text.strip()
    if not text:
        raise HttpParseError(f"{tool}: empty URL")
    if text.startswith(DYNAMIC):
        raise HttpParseError(f"{tool}: URL {w.shown!r} comes from a shell expansion", w.shown)
    if not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", text):
        text = f"{default_scheme}://{text}"  # curl, wget and httpie all default to http://
    parts = split_url(text)
    if parts is None:
        raise HttpParseError(f"{tool}: cannot parse URL {w.shown!r}", w.shown)
    if not parts.host and parts.scheme != "file":
        raise HttpParseError(f"{tool}: URL {w.shown!r} has no host", w.shown)
    if SENTINEL in parts.host or SENTINEL in parts.scheme:
        raise HttpParseError(
            f"{tool}: the host of URL {w.shown!r} comes from a shell expansion", w.shown
        )
    return text


@dataclass(frozen=True)
class Url:
    scheme: str
    host: str
    port: str
    path: str
    query: str
    username: str
    password: str

    @property
    def locator(self) -> str:
        port = f":{self.port}" if self.port else ""
        return marked_dynamic(f"{self.scheme}://{self.host}{port}{self.path or '/'}")

    @property
    def shown(self) -> str:
        userinfo = ""
        if self.username:
            userinfo = self.username + (":***" if self.password else "") + "@"
        port = f":{self.port}" if self.port else ""
        q = f"?{self.query}" if self.query else ""
        return f"{self.scheme}://{userinfo}{self.host}{port}{self.path or '/'}{q}".replace(
            SENTINEL, "$?"
        )

    @property
    def dynamic(self) -> bool:
        return SENTINEL in self.path or SENTINEL in self.query or SENTINEL in self.port


def marked_dynamic(text: str) -> str:
    return text.replace(SENTINEL, DYNAMIC)


def split_url(url: str) -> Url | None:
    try:
        s = urlsplit(undynamic(url))
        host = s.hostname or ""
        netloc = s.netloc.rpartition("@")[2]
        port = ""
        if not netloc.endswith("]") and ":" in netloc:
            port = netloc.rpartition(":")[2]
        return Url(
            scheme=s.scheme.lower(),
            host=host.lower().rstrip("."),  # "db.example.com." is the same DNS name
            port=port,
            path=s.path,
            query=s.query,
            username=s.username or "",
            password=s.password or "",
        )
    except ValueError:
        return None
