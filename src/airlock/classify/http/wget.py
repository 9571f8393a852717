"""wget's (and wget2's) arguments → the request(s) it would send."""

from __future__ import annotations

import os
import re

from airlock.classify.command import DYNAMIC, ClassifyContext, Word
from airlock.classify.graphql import (
    SENTINEL,
)
from airlock.classify.http.curl import curl_header, in_dir
from airlock.classify.http.request import (
    HttpParseError,
    HttpRequest,
    OptionItem,
    OptionSpec,
    basic_auth,
    check_url,
    marked_dynamic,
    option_table,
    read_body_file,
    scan_options,
    split_url,
    word_like,
)
from airlock.classify.http.rest import is_real_output

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
_WGET_LONG = option_table(_WGET_VALUES, _WGET_FLAGS)
_WGET = OptionSpec(
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
    items = scan_options(args, _WGET)
    expanded: list[OptionItem] = []
    for name, value in items:
        if name == "--execute" and value is not None:
            key, eq, val = value.text.partition("=")
            opt = _WGETRC.get(re.sub(r"[-_\s]", "", key.lower()))
            if eq and opt:
                expanded.append((f"--{opt}", word_like(val.strip(), value)))
            continue
        expanded.append((name, value))

    urls: list[Word] = []
    method_word: Word | None = None
    body_word: Word | None = None
    body_file: Word | None = None
    post = spider = recursive = timestamping = False
    headers: list[tuple[str, str]] = []
    user = password = ""
    outputs: list[Word] = []  # -o log, --save-cookies…: rewritten
    appended: list[Word] = []  # -a log: appended to
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
                timestamping = timestamping or name == "--mirror"  # -m is -r -N -l inf
            elif name == "--timestamping":
                timestamping = True
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
            headers.extend(curl_header(text, None))
        elif name in ("--user", "--http-user"):
            user = text
        elif name in ("--password", "--http-password", "--http-passwd"):
            password = text
        elif name == "--output-document":
            output_document = value
        elif name in ("--output-file", "--save-cookies", "--rejected-log", "--hsts-file"):
            outputs.append(value)
        elif name == "--append-output":
            appended.append(value)
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
        headers.append(("Authorization", basic_auth(f"{user}:{password}")))

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
    for i, w in enumerate(urls):
        url = check_url(w, "wget")
        outs = list(outputs) if i == 0 else []
        adds = list(appended) if i == 0 else []
        if output_document is not None:
            if is_real_output(output_document):
                outs.append(output_document)  # -O truncates the file first
        elif recursive and not spider:
            # the tree is saved under PREFIX/HOST/ (the prefix is the working directory by
            # default); files already there are downloaded again over themselves
            parts = split_url(url)
            host = (parts.host if parts else "") or "index.html"
            outs.append(in_dir(Word(marked_dynamic(host), dynamic=SENTINEL in host), prefix))
        elif not spider and not recursive:
            parts = split_url(url)
            base = (os.path.basename(parts.path) if parts else "") or "index.html"
            saved = in_dir(Word(marked_dynamic(base), dynamic=SENTINEL in base), prefix)
            # an existing file is kept (the download is saved as name.1) unless -N
            (outs if timestamping else adds).append(saved)
        reqs.append(
            HttpRequest(
                method=method,
                url=url,
                headers=list(headers),
                body=body,
                body_unknown=body_unknown,
                body_source=source,
                outputs=outs,
                additions=adds,
            )
        )
    return reqs
