"""HTTP clients' arguments → the request they would send → what it would do.

``request_from_curl`` / ``request_from_wget`` / ``request_from_httpie`` rebuild the request
(method, URL, headers, body) from a client's arguments the way the client itself would;
``classify_request`` rates it:

- REST by method: GET/HEAD/OPTIONS read, POST/PUT/PATCH write, DELETE destructive (a POST to
  a path that says ``delete``/``purge``… is destructive too);
- GraphQL (a JSON body with a ``query``, ``application/graphql``, a multipart ``operations``
  field, or ``?query=`` on a GraphQL endpoint) by its root fields, see :mod:`.graphql`;
- APIs known by host are handed to their provider pack (Railway's backboard → ``railway``).

What cannot be rebuilt raises :class:`HttpParseError`; what cannot be read (a body in a file
we cannot see, on stdin from a pipe) is ``body_unknown``, and a GraphQL endpoint with an
unknown body is held (``ctx.unparsed``).
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, quote_plus, urlsplit

from airlock.action import Risk, Target
from airlock.classify.command import DYNAMIC, ClassifyContext, Word
from airlock.classify.graphql import (
    SENTINEL,
    GraphQLOperation,
    GraphQLParseError,
    classify_fields,
    looks_destructive,
    operations_from_json,
    parse_operations,
    undynamic,
)

MAX_BODY_FILE = 64 * 1024  # bytes of a body file we read to classify it
RAILWAY_HOSTS = frozenset({"backboard.railway.app", "backboard.railway.com"})


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
    outputs: list[Word] = field(default_factory=list)  # local files the client writes
    commands: list[str] = field(default_factory=list)  # curl -Q: FTP/SFTP commands

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
class _Spec:
    tool: str
    short: Mapping[str, tuple[str, bool]]  # letter → (long name, takes a value)
    long: Mapping[str, bool]  # long name → takes a value
    equals: bool  # --name=value is understood
    abbrev: bool  # unambiguous prefixes of long names are understood (getopt, argparse)
    negate: bool = True  # --no-NAME for flags


_Item = tuple[str, Word | None]  # ("--long-name", value) or ("", positional)


def _word(text: str, like: Word) -> Word:
    return Word(text, dynamic=DYNAMIC in text, glob=like.glob)


def _lookup(name: str, spec: _Spec) -> tuple[str, bool]:
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


def _scan(args: Sequence[Word], spec: _Spec) -> list[_Item]:
    out: list[_Item] = []
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
                out.append((f"--{canon}", _word(val, w) if takes else None))
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
                out.append((f"--{canon}", _word(rest, w)))
            elif i < n:
                out.append((f"--{canon}", args[i]))
                i += 1
            else:
                raise HttpParseError(f"{spec.tool}: option -{ch} needs a value")
            break
    return out


def _table(values: str, flags: str) -> dict[str, bool]:
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


def _quote_keep_dynamic(text: str) -> str:
    """URL-encode like curl --data-urlencode, keeping the DYNAMIC markers intact."""
    return DYNAMIC.join(quote_plus(part) for part in text.split(DYNAMIC))


def _basic(userpass: str) -> str:
    if ":" not in userpass:
        userpass += ":"
    raw = base64.b64encode(userpass.encode("utf-8", "replace")).decode("ascii")
    return f"Basic {raw}"


def _with_query(url: str, parts: Sequence[str]) -> str:
    parts = [p for p in parts if p]
    if not parts:
        return url
    base, hash_, frag = url.partition("#")
    sep = "&" if "?" in base.replace(DYNAMIC, "") else "?"
    return base + sep + "&".join(parts) + (hash_ + frag)


def _check_url(w: Word, tool: str, default_scheme: str = "http") -> str:
    """The URL a client would request for this word; raises when its host is unknown."""
    text = w.text.strip()
    if not text:
        raise HttpParseError(f"{tool}: empty URL")
    if text.startswith(DYNAMIC):
        raise HttpParseError(f"{tool}: URL {w.shown!r} comes from a shell expansion", w.shown)
    if not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", text):
        text = f"{default_scheme}://{text}"  # curl, wget and httpie all default to http://
    parts = _split(text)
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
class _Url:
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
        return _dyn(f"{self.scheme}://{self.host}{port}{self.path or '/'}")

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


def _dyn(text: str) -> str:
    return text.replace(SENTINEL, DYNAMIC)


def _split(url: str) -> _Url | None:
    try:
        s = urlsplit(undynamic(url))
        host = s.hostname or ""
        netloc = s.netloc.rpartition("@")[2]
        port = ""
        if not netloc.endswith("]") and ":" in netloc:
            port = netloc.rpartition(":")[2]
        return _Url(
            scheme=s.scheme.lower(),
            host=host.lower(),
            port=port,
            path=s.path,
            query=s.query,
            username=s.username or "",
            password=s.password or "",
        )
    except ValueError:
        return None


# ---------------------------------------------------------------------------------------------
# curl

_CURL_VALUES = """
abstract-unix-socket alt-svc aws-sigv4 cacert capath cert cert-type ciphers config
connect-timeout connect-to continue-at cookie cookie-jar create-file-mode crlfile curves data
data-ascii data-binary data-raw data-urlencode delegation dns-interface dns-ipv4-addr
dns-ipv6-addr dns-servers doh-url dump-header ech egd-file engine etag-compare etag-save
expect100-timeout form form-string ftp-account ftp-alternative-to-user ftp-method ftp-port
ftp-ssl-ccc-mode happy-eyeballs-timeout-ms haproxy-clientip header hostpubmd5 hostpubsha256
hsts interface ip-tos ipfs-gateway json keepalive-cnt keepalive-time key key-type knownhosts krb
krb4 libcurl limit-rate local-port login-options mail-auth mail-from mail-rcpt max-filesize
max-redirs max-time netrc-file noproxy oauth2-bearer output output-dir parallel-max
parallel-max-host pass pinnedpubkey preproxy proto proto-default proto-redir proxy proxy-cacert
proxy-capath proxy-cert proxy-cert-type proxy-ciphers proxy-crlfile proxy-header proxy-key
proxy-key-type proxy-pass proxy-pinnedpubkey proxy-service-name proxy-tls13-ciphers
proxy-tlsauthtype proxy-tlspassword proxy-tlsuser proxy-user proxy1.0 pubkey quote random-file
range rate referer request request-target resolve retry retry-delay retry-max-time sasl-authzid
service-name sigalgs socks4 socks4a socks5 socks5-gssapi-service socks5-hostname speed-limit
speed-time ssl-sessions stderr telnet-option tftp-blksize time-cond tls-max tls13-ciphers
tlsauthtype tlspassword tlsuser trace trace-ascii trace-config unix-socket upload-file
upload-flags url url-query user user-agent variable vlan-priority write-out
"""
_CURL_FLAGS = """
alpn anyauth append basic buffer ca-native cert-status clobber compressed compressed-ssh
create-dirs crlf digest disable disable-eprt disable-epsv disallow-username-in-url
doh-cert-status doh-insecure dump-ca-embed eprt epsv fail fail-early fail-with-body false-start
follow form-escape ftp-create-dirs ftp-pasv ftp-pret ftp-skip-pasv-ip ftp-ssl ftp-ssl-ccc
ftp-ssl-control ftp-ssl-reqd get globoff haproxy-protocol head help http0.9 http1.0 http1.1 http2
http2-prior-knowledge http3 http3-only ignore-content-length include insecure ipv4 ipv6
junk-session-cookies keepalive list-only location location-trusted mail-rcpt-allowfails manual
metalink mptcp negotiate netrc netrc-optional next npn ntlm ntlm-wb out-null parallel
parallel-immediate path-as-is post301 post302 post303 progress-bar progress-meter proxy-anyauth
proxy-basic proxy-ca-native proxy-digest proxy-http2 proxy-insecure proxy-negotiate proxy-ntlm
proxy-ssl-allow-beast proxy-ssl-auto-client-cert proxy-tlsv1 proxytunnel raw remote-header-name
remote-name remote-name-all remote-time remove-on-error retry-all-errors retry-connrefused
sasl-ir sessionid show-error show-headers silent skip-existing socks5-basic socks5-gssapi
socks5-gssapi-nec ssl ssl-allow-beast ssl-auto-client-cert ssl-no-revoke ssl-reqd
ssl-revoke-best-effort sslv2 sslv3 styled-output suppress-connect-headers tcp-fastopen
tcp-nodelay test-event tftp-no-options tls-earlydata tlsv1 tlsv1.0 tlsv1.1 tlsv1.2 tlsv1.3
tr-encoding trace-ids trace-time use-ascii verbose version wdebug xattr
"""
_CURL_SHORT = {
    "a": "append", "N": "buffer", "E": "cert", "K": "config", "C": "continue-at", "b": "cookie",
    "c": "cookie-jar", "d": "data", "q": "disable", "D": "dump-header", "f": "fail", "F": "form",
    "P": "ftp-port", "G": "get", "g": "globoff", "I": "head", "H": "header", "h": "help",
    "0": "http1.0", "1": "tlsv1", "2": "sslv2", "3": "sslv3", "4": "ipv4", "6": "ipv6",
    "k": "insecure", "j": "junk-session-cookies", "l": "list-only", "L": "location",
    "M": "manual", "m": "max-time", "n": "netrc", ":": "next", "o": "output", "Z": "parallel",
    "#": "progress-bar", "x": "proxy", "U": "proxy-user", "p": "proxytunnel", "Q": "quote",
    "r": "range", "e": "referer", "J": "remote-header-name", "O": "remote-name",
    "R": "remote-time", "X": "request", "S": "show-error", "i": "include", "s": "silent",
    "Y": "speed-limit", "y": "speed-time", "t": "telnet-option", "z": "time-cond",
    "T": "upload-file", "B": "use-ascii", "u": "user", "A": "user-agent", "v": "verbose",
    "V": "version", "w": "write-out",
}  # fmt: skip
_CURL_LONG = _table(_CURL_VALUES, _CURL_FLAGS)
_CURL = _Spec(
    tool="curl",
    short={k: (v, _CURL_LONG[v]) for k, v in _CURL_SHORT.items()},
    long=_CURL_LONG,
    equals=False,  # curl has no --name=value
    abbrev=False,
)
_CURL_DATA = ("--data", "--data-ascii", "--data-binary", "--data-raw", "--data-urlencode", "--json")


def request_from_curl(
    args: list[Word],
    ctx: ClassifyContext | None = None,
    *,
    stdin: str | None = None,
    stdin_unknown: bool = False,
) -> HttpRequest:
    """The (first) request ``curl ARGS`` would send. See :func:`requests_from_curl`."""
    return requests_from_curl(args, ctx, stdin=stdin, stdin_unknown=stdin_unknown)[0]


def requests_from_curl(
    args: list[Word],
    ctx: ClassifyContext | None = None,
    *,
    stdin: str | None = None,
    stdin_unknown: bool = False,
) -> list[HttpRequest]:
    """Every request ``curl ARGS`` would send: one per URL, per ``--next`` group.

    ``ctx`` (when given) lets ``-d @file`` read a small file relative to ``ctx.cwd``;
    ``stdin`` is the text known to arrive on stdin (``-d @-``).
    """
    items = _scan(args, _CURL)
    groups: list[list[_Item]] = [[]]
    for item in items:
        if item[0] == "--next":
            groups.append([])
        else:
            groups[-1].append(item)
    reqs: list[HttpRequest] = []
    for group in groups:
        reqs.extend(_curl_group(group, ctx, stdin, stdin_unknown))
    if not reqs:
        raise HttpParseError("curl: no URL")
    return reqs


def _curl_group(
    items: list[_Item],
    ctx: ClassifyContext | None,
    stdin: str | None,
    stdin_unknown: bool,
) -> list[HttpRequest]:
    urls: list[Word] = []
    method_word: Word | None = None
    head = get = remote_name = False
    data: list[tuple[str, Word]] = []
    forms: list[tuple[str, Word]] = []
    upload: Word | None = None
    headers: list[tuple[str, str]] = []
    queries: list[str] = []
    outputs: list[Word] = []
    output_dir: str | None = None
    commands: list[str] = []
    for name, value in items:
        if name in ("", "--url"):
            if value is not None:
                urls.append(value)
            continue
        if value is None:
            if name == "--head":
                head = True
            elif name == "--get":
                get = True
            elif name in ("--remote-name", "--remote-name-all"):
                remote_name = True
            continue
        text = value.text
        if name == "--config":
            raise HttpParseError("curl: reads more options from a config file (-K)")
        if name == "--request":
            method_word = value
        elif name in _CURL_DATA:
            data.append((name, value))
        elif name in ("--form", "--form-string"):
            forms.append((name, value))
        elif name == "--upload-file":
            upload = value
        elif name == "--header":
            headers.extend(_curl_header(text, ctx))
        elif name == "--user":
            headers.append(("Authorization", _basic(text)))
        elif name == "--oauth2-bearer":
            headers.append(("Authorization", f"Bearer {text}"))
        elif name == "--user-agent":
            headers.append(("User-Agent", text))
        elif name == "--referer":
            headers.append(("Referer", text))
        elif name == "--cookie" and "=" in text:
            headers.append(("Cookie", text))
        elif name == "--url-query":
            queries.append(text[1:] if text.startswith("+") else _urlencode_arg(text, ctx))
        elif name == "--output":
            outputs.append(value)
        elif name == "--output-dir":
            output_dir = text
        elif name == "--quote":
            commands.append(text)
    if not urls:
        return []

    if method_word is not None:
        if DYNAMIC in method_word.text:
            raise HttpParseError(
                "curl: the HTTP method comes from a shell expansion", urls[0].shown
            )
        method = method_word.text.strip().upper()
    elif head:
        method = "HEAD"
    elif get:
        method = "GET"
    elif data or forms:
        method = "POST"
    elif upload is not None:
        method = "PUT"
    else:
        method = "GET"

    body: str | None = None
    body_unknown = False
    sources: list[str] = []
    form: list[tuple[str, str]] | None = None
    if data:
        body, body_unknown, sources = _curl_body(data, ctx, stdin)
        has = {k.lower() for k, _ in headers}
        if any(n == "--json" for n, _ in data):
            if "content-type" not in has:
                headers.append(("Content-Type", "application/json"))
            if "accept" not in has:
                headers.append(("Accept", "application/json"))
        elif "content-type" not in has and not get:
            headers.append(("Content-Type", "application/x-www-form-urlencoded"))
        if get:
            queries.append(body or "")
            body = None
    if forms:
        form, form_unknown, form_sources = _curl_form(forms, ctx)
        body_unknown = body_unknown or form_unknown
        sources.extend(form_sources)
        body = "&".join(f"{k}={_quote_keep_dynamic(v)}" for k, v in form)
        if "content-type" not in {k.lower() for k, _ in headers}:
            headers.append(("Content-Type", "multipart/form-data"))
    if upload is not None:
        body_unknown = True
        src = upload.shown
        sources.append("stdin" if src in ("-", ".") else f"file {src}")

    reqs: list[HttpRequest] = []
    for i, w in enumerate(urls):
        url = _with_query(_check_url(w, "curl"), queries)
        outs: list[Word] = []
        if i < len(outputs):
            outs.append(_in_dir(outputs[i], output_dir))
        elif remote_name:
            parts = _split(url)
            base = os.path.basename(parts.path) if parts else ""
            if base:
                outs.append(_in_dir(Word(_dyn(base), dynamic=SENTINEL in base), output_dir))
        reqs.append(
            HttpRequest(
                method=method,
                url=url,
                headers=list(headers),
                body=body,
                body_unknown=body_unknown,
                body_source=", ".join(sources) or ("argument" if body is not None else ""),
                form=form,
                outputs=outs,
                commands=list(commands),
            )
        )
    return reqs


def _in_dir(w: Word, directory: str | None) -> Word:
    if not directory or w.text.startswith("/") or w.text == "-":
        return w
    return Word(os.path.join(directory, w.text), dynamic=w.dynamic or DYNAMIC in directory)


def _curl_header(text: str, ctx: ClassifyContext | None) -> list[tuple[str, str]]:
    if text.startswith("@"):
        content = read_body_file(text[1:], ctx)
        if content is None:
            return []
        out: list[tuple[str, str]] = []
        for line in content.splitlines():
            out.extend(_curl_header(line, None))
        return out
    if ":" in text:
        k, _, v = text.partition(":")
        return [(k.strip(), v.strip())]
    if text.endswith(";"):
        return [(text[:-1].strip(), "")]
    return []


def _urlencode_arg(text: str, ctx: ClassifyContext | None) -> str:
    """``--data-urlencode`` / ``--url-query`` content → encoded text (DYNAMIC when unreadable)."""
    if "=" in text:
        name, _, content = text.partition("=")
        return f"{name}={_quote_keep_dynamic(content)}" if name else _quote_keep_dynamic(content)
    if "@" in text:
        name, _, path = text.partition("@")
        from_file = read_body_file(path, ctx)
        enc = DYNAMIC if from_file is None else _quote_keep_dynamic(from_file)
        return f"{name}={enc}" if name else enc
    return _quote_keep_dynamic(text)


def _curl_body(
    data: list[tuple[str, Word]],
    ctx: ClassifyContext | None,
    stdin: str | None,
) -> tuple[str, bool, list[str]]:
    body = ""
    unknown = False
    sources: list[str] = []
    for n, (name, w) in enumerate(data):
        text = w.text
        part: str | None
        if name == "--data-urlencode":
            if "=" not in text and "@" in text:
                path = text.partition("@")[2]
                sources.append("stdin" if path == "-" else f"file {w.shown.partition('@')[2]}")
                if path == "-":
                    part = (
                        None
                        if stdin is None
                        else _urlencode_arg(text.partition("@")[0] + "=" + stdin, ctx)
                    )
                else:
                    part = _urlencode_arg(text, ctx)
                    if DYNAMIC in part and read_body_file(path, ctx) is None:
                        part = None
            else:
                part = _urlencode_arg(text, ctx)
        elif name != "--data-raw" and text.startswith("@"):
            path = text[1:]
            if path == "-":
                sources.append("stdin")
                part = stdin
            else:
                sources.append(f"file {w.shown[1:]}")
                part = read_body_file(path, ctx)
            if part is not None and name in ("--data", "--data-ascii"):
                part = part.replace("\r", "").replace("\n", "")
        else:
            part = text
        if part is None:
            unknown = True
            part = DYNAMIC
        if n:
            body += "" if name == "--json" else "&"
        body += part
    return body, unknown, sources


_FORM_SUFFIX = re.compile(r";(type|filename|headers|encoder)=.*$", re.S)


def _curl_form(
    forms: list[tuple[str, Word]], ctx: ClassifyContext | None
) -> tuple[list[tuple[str, str]], bool, list[str]]:
    fields: list[tuple[str, str]] = []
    unknown = False
    sources: list[str] = []
    for opt, w in forms:
        name, eq, value = w.text.partition("=")
        if not eq:
            continue
        if opt == "--form" and value[:1] in ("@", "<"):
            path = _FORM_SUFFIX.sub("", value[1:])
            if value[0] == "@":  # a file upload: its content is data, not the request's shape
                sources.append(f"form file {path.replace(DYNAMIC, '$?')}")
                fields.append((name, f"<file {path}>"))
                continue
            content = read_body_file(path, ctx)
            sources.append(f"form field from file {path.replace(DYNAMIC, '$?')}")
            if content is None:
                unknown = True
                content = DYNAMIC
            fields.append((name, content))
            continue
        if opt == "--form":
            value = _FORM_SUFFIX.sub("", value)
        fields.append((name, value))
    return fields, unknown, sources


# ---------------------------------------------------------------------------------------------
# wget

_WGET_VALUES = """
accept accept-regex append-output base bind-address bind-dns-address body-data body-file
ca-certificate ca-directory certificate certificate-type ciphers compression config
connect-timeout crl-file cut-dirs default-page directory-prefix dns-servers dns-timeout domains
dot-style egd-file exclude-directories exclude-domains execute follow-tags ftp-password ftp-user
header hsts-file http-passwd http-password http-user ignore-tags include-directories input-file
input-metalink level limit-rate load-cookies local-encoding rejected-log max-redirect
metalink-index method no output-document output-file password pinnedpubkey post-data post-file
prefer-family preferred-location private-key private-key-type progress proxy-passwd
proxy-password proxy-user quota random-file read-timeout referer regex-type reject reject-regex
remote-encoding report-speed retry-on-http-error save-cookies secure-protocol start-pos timeout
tries use-askpass user user-agent wait waitretry warc-dedup warc-file warc-header warc-max-size
warc-tempdir proxy__compat
"""
_WGET_FLAGS = """
adjust-extension ask-password auth-no-challenge background backup-converted backups cache
check-certificate clobber content-disposition content-on-error continue convert-file-only
convert-links cookies debug delete-after directories dns-cache dont-remove-listing follow-ftp
force-directories force-html ftps-clear-data-connection ftps-fallback-to-ftp ftps-implicit
ftps-resume-ssl glob help host-directories hsts html-extension htmlify http-keep-alive
https-only ignore-case ignore-length inet4-only inet6-only iri keep-badhash keep-session-cookies
metalink-over-http mirror netrc no-clobber no-config no-parent page-requisites parent passive-ftp
preserve-permissions protocol-directories proxy quiet random-wait recursive relative
remove-listing restrict-file-names retr-symlinks retry-connrefused save-headers server-response
show-progress span-hosts spider strict-comments timestamping if-modified-since trust-server-names
unlink use-server-timestamps verbose version warc-cdx warc-compression warc-digests
warc-keep-log xattr
"""
_WGET_SHORT = {
    "A": "accept", "E": "adjust-extension", "a": "append-output", "b": "background",
    "K": "backup-converted", "B": "base", "c": "continue", "k": "convert-links", "d": "debug",
    "P": "directory-prefix", "D": "domains", "X": "exclude-directories", "e": "execute",
    "x": "force-directories", "F": "force-html", "h": "help", "I": "include-directories",
    "4": "inet4-only", "6": "inet6-only", "i": "input-file", "l": "level", "m": "mirror",
    "n": "no", "O": "output-document", "o": "output-file", "p": "page-requisites", "q": "quiet",
    "Q": "quota", "r": "recursive", "R": "reject", "L": "relative", "S": "server-response",
    "H": "span-hosts", "T": "timeout", "N": "timestamping", "t": "tries", "U": "user-agent",
    "v": "verbose", "V": "version", "w": "wait", "Y": "proxy__compat",
}  # fmt: skip
_WGET_LONG = _table(_WGET_VALUES, _WGET_FLAGS)
_WGET = _Spec(
    tool="wget",
    short={k: (v, _WGET_LONG[v]) for k, v in _WGET_SHORT.items()},
    long=_WGET_LONG,
    equals=True,
    abbrev=True,
)
# ``-e name=value`` (.wgetrc commands) that change the request
_WGETRC = {
    "method": "method", "bodydata": "body-data", "bodyfile": "body-file",
    "postdata": "post-data", "postfile": "post-file", "header": "header",
    "input": "input-file", "outputdocument": "output-document", "httpuser": "http-user",
    "httppassword": "http-password", "user": "user", "password": "password",
}  # fmt: skip


def request_from_wget(
    args: list[Word],
    ctx: ClassifyContext | None = None,
    *,
    stdin: str | None = None,
    stdin_unknown: bool = False,
) -> HttpRequest:
    """The (first) request ``wget ARGS`` would send. See :func:`requests_from_wget`."""
    return requests_from_wget(args, ctx, stdin=stdin, stdin_unknown=stdin_unknown)[0]


def requests_from_wget(
    args: list[Word],
    ctx: ClassifyContext | None = None,
    *,
    stdin: str | None = None,
    stdin_unknown: bool = False,
) -> list[HttpRequest]:
    """Every request ``wget ARGS`` would send, one per URL."""
    items = _scan(args, _WGET)
    expanded: list[_Item] = []
    for name, value in items:
        if name == "--execute" and value is not None:
            key, eq, val = value.text.partition("=")
            opt = _WGETRC.get(re.sub(r"[-_\s]", "", key.lower()))
            if eq and opt:
                expanded.append((f"--{opt}", _word(val.strip(), value)))
            continue
        expanded.append((name, value))

    urls: list[Word] = []
    method_word: Word | None = None
    body_word: Word | None = None
    body_file: Word | None = None
    post = spider = recursive = False
    headers: list[tuple[str, str]] = []
    user = password = ""
    outputs: list[Word] = []
    output_document: Word | None = None
    prefix: str | None = None
    for name, value in expanded:
        if name == "":
            if value is not None:
                urls.append(value)
            continue
        if value is None:
            if name == "--spider":
                spider = True
            elif name in ("--recursive", "--mirror"):
                recursive = True
            continue
        text = value.text
        if name == "--input-file":
            raise HttpParseError("wget: reads its URLs from a file (-i)")
        if name == "--config":
            raise HttpParseError("wget: reads more options from a config file (--config)")
        if name == "--method":
            method_word = value
        elif name in ("--body-data", "--post-data"):
            body_word, body_file = value, None
            post = post or name == "--post-data"
        elif name in ("--body-file", "--post-file"):
            body_file, body_word = value, None
            post = post or name == "--post-file"
        elif name == "--header":
            headers.extend(_curl_header(text, None))
        elif name in ("--user", "--http-user"):
            user = text
        elif name in ("--password", "--http-password", "--http-passwd"):
            password = text
        elif name == "--output-document":
            output_document = value
        elif name in ("--output-file", "--append-output"):
            outputs.append(value)
        elif name == "--directory-prefix":
            prefix = text
        elif name == "--user-agent":
            headers.append(("User-Agent", text))
        elif name == "--referer":
            headers.append(("Referer", text))
    if not urls:
        raise HttpParseError("wget: no URL")
    if method_word is not None:
        if DYNAMIC in method_word.text:
            raise HttpParseError(
                "wget: the HTTP method comes from a shell expansion", urls[0].shown
            )
        method = method_word.text.strip().upper()
    elif post:
        method = "POST"
    elif spider:
        method = "HEAD"
    else:
        method = "GET"
    if user:
        headers.append(("Authorization", _basic(f"{user}:{password}")))

    body: str | None = None
    body_unknown = False
    source = ""
    if body_word is not None:
        body, source = body_word.text, "argument"
    elif body_file is not None:
        source = "stdin" if body_file.text == "-" else f"file {body_file.shown}"
        body = stdin if body_file.text == "-" else read_body_file(body_file.text, ctx)
        if body is None:
            body_unknown = True
    if (
        body is not None
        and method == "POST"
        and "content-type" not in {k.lower() for k, _ in headers}
    ):
        headers.append(("Content-Type", "application/x-www-form-urlencoded"))

    reqs: list[HttpRequest] = []
    for w in urls:
        url = _check_url(w, "wget")
        outs = list(outputs)
        if output_document is not None:
            if _is_real_output(output_document):
                outs.append(output_document)
        elif not spider and not recursive:
            parts = _split(url)
            base = (os.path.basename(parts.path) if parts else "") or "index.html"
            outs.append(_in_dir(Word(_dyn(base), dynamic=SENTINEL in base), prefix))
        reqs.append(
            HttpRequest(
                method=method,
                url=url,
                headers=list(headers),
                body=body,
                body_unknown=body_unknown,
                body_source=source,
                outputs=outs,
            )
        )
    return reqs


# ---------------------------------------------------------------------------------------------
# httpie (http, https) and xh (xh, xhs)

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
_HTTPIE_LONG = _table(_HTTPIE_VALUES, _HTTPIE_FLAGS)
_HTTPIE = _Spec(
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
    items = _scan(args, _HTTPIE)
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
    url = _check_url(_word(text, url_word), program, scheme)

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
            queries.append(f"{_quote_keep_dynamic(key)}={_quote_keep_dynamic(value)}")
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
            body = "&".join(f"{k}={_quote_keep_dynamic(v)}" for k, v in form)
            ctype = (
                "multipart/form-data"
                if files or "--multipart" in opts
                else ("application/x-www-form-urlencoded")
            )
        else:
            body = _dyn(json.dumps(_undyn_tree(data)))
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
            headers.append(("Authorization", _basic(auth)))

    if method is None:
        method = "POST" if (body is not None or body_unknown) else "GET"
    outputs = [v for v in opts.get("--output", []) if v is not None]
    return HttpRequest(
        method=method,
        url=_with_query(url, queries),
        headers=headers,
        body=body,
        body_unknown=body_unknown,
        body_source=", ".join(sources) or ("argument" if body is not None else ""),
        form=form,
        outputs=outputs,
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


# ---------------------------------------------------------------------------------------------
# a request handed over as text (kind "http" actions: the HTTP proxy, ``airlock check``)

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
    url = _check_url(Word(target), "http", default_scheme)
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
    url = _check_url(Word(data["url"]), "http", default_scheme)
    return HttpRequest(
        method=method.strip().upper(),
        url=url,
        headers=headers,
        body=body,
        body_source="request" if body is not None else "",
    )


# ---------------------------------------------------------------------------------------------
# classification

_METHOD_RISK = {
    "GET": Risk.READ, "HEAD": Risk.READ, "OPTIONS": Risk.READ, "TRACE": Risk.READ,
    "PROPFIND": Risk.READ, "REPORT": Risk.READ, "SEARCH": Risk.READ, "QUERY": Risk.READ,
    "POST": Risk.WRITE, "PUT": Risk.WRITE, "PATCH": Risk.WRITE, "MKCOL": Risk.WRITE,
    "COPY": Risk.WRITE, "MOVE": Risk.WRITE, "LOCK": Risk.WRITE, "UNLOCK": Risk.WRITE,
    "PROPPATCH": Risk.WRITE, "CONNECT": Risk.READ,
    "DELETE": Risk.DESTRUCTIVE, "PURGE": Risk.DESTRUCTIVE,
}  # fmt: skip
_OVERRIDE_HEADERS = ("x-http-method-override", "x-http-method", "x-method-override")
_GRAPHQL_TYPES = ("application/graphql", "application/graphql+json")


def is_graphql_endpoint(url: str) -> bool:
    """A URL that serves GraphQL by its looks: a ``graphql``/``gql`` path segment or a
    provider host known to speak only GraphQL."""
    parts = _split(url)
    if parts is None:
        return False
    if parts.host in RAILWAY_HOSTS:
        return True
    segments = [s.lower() for s in parts.path.split("/") if s]
    return any(s in ("graphql", "gql") or s.endswith(".graphql") for s in segments)


@dataclass
class _Gql:
    kind: str  # "none" | "ops" | "unknown"
    ops: list[GraphQLOperation] = field(default_factory=list)
    reason: str = ""


def _graphql_in(req: HttpRequest, parts: _Url, endpoint: bool, method: str) -> _Gql:
    """Whether the request carries GraphQL, and which operations."""
    # 1. a form: GraphQL multipart request spec ("operations") or a plain "query" field
    if req.form is not None:
        fields = dict(req.form)
        if "operations" in fields:
            return _from_json_text(fields["operations"], endpoint=True, what="operations field")
        if "query" in fields:
            return _Gql("ops", [_op_from_fields(fields)])
    # 2. a body we know
    if req.body is not None and not req.body_unknown:
        if req.content_type in _GRAPHQL_TYPES:
            return _Gql("ops", [GraphQLOperation(query=req.body)])
        gql = _from_json_text(req.body, endpoint=endpoint, what="body")
        if gql.kind != "none":
            return gql
        stripped = req.body.strip()
        if stripped and stripped[0] not in "{[":
            fields = _form_fields(req.body)
            if "query" in fields:
                return _Gql("ops", [_op_from_fields(fields)])
        if endpoint and method not in ("GET", "HEAD", "OPTIONS"):
            if DYNAMIC in req.body:
                return _Gql("unknown", reason="GraphQL request body is partly unknown")
            if stripped.startswith(("query", "mutation", "subscription", "{")):
                return _Gql("ops", [GraphQLOperation(query=req.body)])
            return _Gql("unknown", reason="body of a GraphQL request is not a GraphQL request")
    # 3. a body we cannot see
    if req.body_unknown and endpoint:
        src = req.body_source or "somewhere we cannot see"
        return _Gql("unknown", reason=f"GraphQL request body comes from {src}")
    # 4. GraphQL over GET: ?query=…
    if parts.query:
        fields = _form_fields(parts.query)
        if "query" in fields:
            return _Gql("ops", [_op_from_fields(fields)])
    return _Gql("none")


def _form_fields(text: str) -> dict[str, str]:
    try:
        parsed = parse_qs(undynamic(text), keep_blank_values=True)
    except ValueError:
        return {}
    return {k: v[-1] for k, v in parsed.items() if v}


def _op_from_fields(fields: Mapping[str, str]) -> GraphQLOperation:
    variables: Any = None
    if fields.get("variables"):
        try:
            variables = json.loads(undynamic(fields["variables"]))
        except (ValueError, RecursionError):
            variables = None
    return GraphQLOperation(
        query=fields.get("query"),
        variables=variables if isinstance(variables, Mapping) else None,
        operation_name=fields.get("operationName") or None,
    )


def _from_json_text(text: str, *, endpoint: bool, what: str) -> _Gql:
    try:
        data = json.loads(undynamic(text))
    except (ValueError, RecursionError):
        if endpoint and text.lstrip().startswith(("{", "[")):
            why = "is partly unknown" if DYNAMIC in text else "is not valid JSON"
            return _Gql("unknown", reason=f"GraphQL request {what} {why}")
        return _Gql("none")
    ops = operations_from_json(data)
    if ops:
        return _Gql("ops", ops)
    if endpoint:
        return _Gql("unknown", reason=f"JSON {what} of a GraphQL request holds no query")
    return _Gql("none")


def classify_request(req: HttpRequest, ctx: ClassifyContext, *, tool: str) -> list[Target]:
    """The targets of one HTTP request: its URL (REST) or its GraphQL root fields."""
    targets = [_output_target(w, ctx, tool) for w in req.outputs if _is_real_output(w)]
    parts = _split(req.url)
    if parts is None or (not parts.host and parts.scheme != "file"):
        ctx.unparsed(f"{tool}: cannot parse URL {req.url.replace(DYNAMIC, '$?')!r}")
        targets.append(_held_target(req.url.replace(DYNAMIC, "$?"), tool, "unparsable URL"))
        return targets
    method = req.method.upper()
    if parts.scheme not in ("http", "https"):
        targets.append(_other_scheme_target(req, parts, tool))
        return targets
    endpoint = is_graphql_endpoint(req.url)
    gql = _graphql_in(req, parts, endpoint, method)
    if gql.kind == "ops":
        try:
            fields = parse_operations(gql.ops)
        except GraphQLParseError as exc:
            if endpoint or any("mutation" in (op.query or "") for op in gql.ops):
                gql = _Gql("unknown", reason=str(exc))
            else:
                gql = _Gql("none")  # a JSON API with a "query" field that is not GraphQL
        else:
            if parts.host in RAILWAY_HOSTS:
                from airlock.classify.packs import railway

                targets.extend(railway.classify_graphql(fields, ctx, via=tool))
            else:
                targets.extend(classify_fields(fields, ctx, tool=tool, endpoint=parts.locator))
            return targets
    if gql.kind == "unknown":
        ctx.unparsed(f"{tool}: {gql.reason} ({parts.shown})")
        targets.append(
            Target(
                kind="url",
                name=parts.shown,
                verb=f"http.{method.lower()}",
                risk=Risk.DESTRUCTIVE,
                tool=tool,
                locator=parts.locator,
                detail=f"{gql.reason}: cannot tell which GraphQL operation runs",
                unresolved=True,
            )
        )
        return targets
    targets.append(_rest_target(req, parts, method, tool))
    return targets


def _rest_target(req: HttpRequest, parts: _Url, method: str, tool: str) -> Target:
    effective = method
    detail = ""
    if method == "POST":
        for h in _OVERRIDE_HEADERS:
            override = req.header(h)
            if override and DYNAMIC not in override:
                effective = override.strip().upper()
                detail = f"method overridden to {effective} by a header"
            elif override:
                effective = "?"
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


def _other_scheme_target(req: HttpRequest, parts: _Url, tool: str) -> Target:
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


def _is_real_output(w: Word) -> bool:
    return w.text not in ("-", "/dev/null", "/dev/stdout", "/dev/stderr", "")


def _output_target(w: Word, ctx: ClassifyContext, tool: str) -> Target:
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


def _held_target(name: str, tool: str, detail: str) -> Target:
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
    parts = _split(name.replace("$?", DYNAMIC)) if exc.url else None
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
