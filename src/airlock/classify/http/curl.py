"""curl's arguments → the request(s) it would send, the way curl itself reads them."""

from __future__ import annotations

import os
import re

from airlock.classify.command import DYNAMIC, ClassifyContext, Word
from airlock.classify.graphql import (
    SENTINEL,
)
from airlock.classify.http.request import (
    HttpParseError,
    HttpRequest,
    OptionItem,
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
_CURL_LONG = option_table(_CURL_VALUES, _CURL_FLAGS)
_CURL = OptionSpec(
    tool="curl",
    short={k: (v, _CURL_LONG[v]) for k, v in _CURL_SHORT.items()},
    long=_CURL_LONG,
    equals=False,  # curl has no --name=value
    abbrev=False,
)
_CURL_DATA = ("--data", "--data-ascii", "--data-binary", "--data-raw", "--data-urlencode", "--json")
# options naming a local file curl writes (truncating it first) besides the download
_CURL_WRITES = frozenset({"--dump-header", "--cookie-jar", "--trace", "--trace-ascii",
                          "--stderr", "--libcurl", "--etag-save", "--hsts", "--alt-svc"})
# -w '%output{file}' (curl 8.3+) sends the rest of the write-out to a file; {>>file} appends
_WRITE_OUT_FILE = re.compile(r"%output\{(>>)?([^}]*)\}")


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
    items = scan_options(args, _CURL)
    groups: list[list[OptionItem]] = [[]]
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
    items: list[OptionItem],
    ctx: ClassifyContext | None,
    stdin: str | None,
    stdin_unknown: bool,
) -> list[HttpRequest]:
    urls: list[Word] = []
    method_word: Word | None = None
    head = get = remote_name = no_clobber = False
    written: list[Word] = []  # -D, -c, --trace…: files written besides the download
    appended: list[Word] = []
    data: list[tuple[str, Word]] = []
    forms: list[tuple[str, Word]] = []
    upload: Word | None = None
    headers: list[tuple[str, str]] = []
    queries: list[str] = []
    outputs: list[Word] = []
    output_dir: str | None = None
    commands: list[str] = []
    reroutes: list[str] = []
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
            elif name in ("--no-clobber", "--clobber"):
                no_clobber = name == "--no-clobber"
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
            headers.extend(curl_header(text, ctx))
        elif name == "--user":
            headers.append(("Authorization", basic_auth(text)))
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
        elif name in _CURL_WRITES:
            written.append(value)
        elif name == "--write-out":
            for m in _WRITE_OUT_FILE.finditer(text):
                (appended if m.group(1) else written).append(word_like(m.group(2), value))
        elif name == "--connect-to":  # HOST1:PORT1:HOST2:PORT2 → goes to HOST2
            reroutes.append(_reroute(text, 2))
        elif name == "--resolve":  # [+]HOST:PORT:ADDR[,ADDR]… → goes to ADDR
            fields = text.lstrip("+").split(":", 2)
            addrs = fields[2].split(",") if len(fields) == 3 else [DYNAMIC]
            reroutes.extend(_reroute(a, 0) for a in addrs)
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
        body = "&".join(f"{k}={quote_keep_dynamic(v)}" for k, v in form)
        if "content-type" not in {k.lower() for k, _ in headers}:
            headers.append(("Content-Type", "multipart/form-data"))
    if upload is not None:
        body_unknown = True
        src = upload.shown
        sources.append("stdin" if src in ("-", ".") else f"file {src}")

    reqs: list[HttpRequest] = []
    for i, w in enumerate(urls):
        url = with_query(check_url(w, "curl"), queries)
        outs: list[Word] = []
        if i < len(outputs):
            outs.append(in_dir(outputs[i], output_dir))
        elif remote_name:
            parts = split_url(url)
            base = os.path.basename(parts.path) if parts else ""
            if base:
                saved = Word(marked_dynamic(base), dynamic=SENTINEL in base)
                outs.append(in_dir(saved, output_dir))
        # --no-clobber: an existing file is kept, the download takes a name.1
        adds = outs if no_clobber else []
        outs = [] if no_clobber else outs
        if i == 0:  # headers, cookies, traces: one file for the whole group
            outs = outs + written
            adds = adds + appended
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
                additions=adds,
                commands=list(commands),
                reroutes=list(reroutes),
            )
        )
    return reqs


def _reroute(text: str, index: int) -> str:
    """The host a --connect-to (field ``index`` of HOST1:PORT1:HOST2:PORT2) or --resolve
    address names; DYNAMIC when it cannot be read ("" for --connect-to's "same host")."""
    if DYNAMIC in text:
        return DYNAMIC
    if index == 0:
        return text.strip().strip("[]").lower().rstrip(".")
    fields = text.split(":")
    return fields[index].strip().strip("[]").lower().rstrip(".") if len(fields) > index \
        else DYNAMIC


def in_dir(w: Word, directory: str | None) -> Word:
    if not directory or w.text.startswith("/") or w.text == "-":
        return w
    return Word(os.path.join(directory, w.text), dynamic=w.dynamic or DYNAMIC in directory)


def curl_header(text: str, ctx: ClassifyContext | None) -> list[tuple[str, str]]:
    if text.startswith("@"):
        content = read_body_file(text[1:], ctx)
        if content is None:
            return []
        out: list[tuple[str, str]] = []
        for line in content.splitlines():
            out.extend(curl_header(line, None))
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
        return f"{name}={quote_keep_dynamic(content)}" if name else quote_keep_dynamic(content)
    if "@" in text:
        name, _, path = text.partition("@")
        from_file = read_body_file(path, ctx)
        enc = DYNAMIC if from_file is None else quote_keep_dynamic(from_file)
        return f"{name}={enc}" if name else enc
    return quote_keep_dynamic(text)


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
