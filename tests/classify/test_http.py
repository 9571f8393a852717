from __future__ import annotations

import base64
import contextlib
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from airlock.action import Risk
from airlock.classify.command import DYNAMIC, ClassifyContext, Word
from airlock.classify.http import (
    HttpParseError,
    HttpRequest,
    classify_request,
    is_graphql_endpoint,
    parse_raw_request,
    request_from_curl,
    request_from_httpie,
    request_from_wget,
    requests_from_curl,
    requests_from_wget,
)
from airlock.classify.packs import build_registry, builtin_packs

INCIDENT_BODY = '{"query":"mutation { volumeDelete(volumeId: \\"3d2c42fb\\") }"}'
RAILWAY = "https://backboard.railway.app/graphql/v2"
REGISTRY = build_registry(builtin_packs())


def W(*texts: str) -> list[Word]:
    return [Word(t, dynamic=DYNAMIC in t) for t in texts]


def ctx(tmp_path) -> ClassifyContext:
    # the registry is where HTTP classification finds the pack that declares a host
    return ClassifyContext(cwd=str(tmp_path), home="/root", registry=REGISTRY)


# --------------------------------------------------------------------------------------------
# curl


def test_curl_plain_get():
    r = request_from_curl(W("https://example.com"))
    assert (r.method, r.url, r.body, r.body_unknown) == ("GET", "https://example.com", None, False)


def test_curl_scheme_less_url_defaults_to_http():
    assert request_from_curl(W("example.com/x")).url == "http://example.com/x"
    assert request_from_curl(W("localhost:8080")).url == "http://localhost:8080"


def test_curl_incident_request():
    args = W("-X", "POST", "-H", "Authorization: Bearer abc", "-d", INCIDENT_BODY, RAILWAY)
    r = request_from_curl(args)
    assert r.method == "POST"
    assert r.url == RAILWAY
    assert r.body == INCIDENT_BODY
    assert r.header("authorization") == "Bearer abc"
    assert r.content_type == "application/x-www-form-urlencoded"


@pytest.mark.parametrize(
    ("args", "method"),
    [
        (["-d", "a=b", "https://x.io"], "POST"),
        (["--data-raw", "@a", "https://x.io"], "POST"),
        (["--data-binary", "x", "https://x.io"], "POST"),
        (["--data-urlencode", "a=b c", "https://x.io"], "POST"),
        (["--json", "{}", "https://x.io"], "POST"),
        (["-F", "a=b", "https://x.io"], "POST"),
        (["-I", "https://x.io"], "HEAD"),
        (["--head", "https://x.io"], "HEAD"),
        (["-G", "-d", "a=b", "https://x.io"], "GET"),
        (["-T", "f.txt", "https://x.io"], "PUT"),
        (["-X", "DELETE", "https://x.io"], "DELETE"),
        (["-XDELETE", "https://x.io"], "DELETE"),
        (["--request", "patch", "https://x.io"], "PATCH"),
        (["-sSLX", "PUT", "https://x.io"], "PUT"),
        (["-sSLXPUT", "https://x.io"], "PUT"),
        (["-d", "x", "-X", "GET", "https://x.io"], "GET"),
    ],
)
def test_curl_methods(args, method):
    assert request_from_curl(W(*args)).method == method


def test_curl_data_parts_join_with_ampersand_json_parts_concatenate():
    assert request_from_curl(W("-d", "a=1", "-d", "b=2", "https://x.io")).body == "a=1&b=2"
    r = request_from_curl(W("--json", '{"a":', "--json", "1}", "https://x.io"))
    assert r.body == '{"a":1}'
    assert r.content_type == "application/json"
    assert r.header("accept") == "application/json"


def test_curl_data_urlencode():
    r = request_from_curl(W("--data-urlencode", "q=a b&c", "https://x.io"))
    assert r.body == "q=a+b%26c"


def test_curl_get_moves_data_to_query():
    r = request_from_curl(W("-G", "-d", "q=1", "--url-query", "r=2 3", "https://x.io/s?x=0"))
    assert r.method == "GET" and r.body is None
    assert r.url == "https://x.io/s?x=0&r=2+3&q=1"


def test_curl_form_fields():
    r = request_from_curl(W("-F", "a=1", "-F", "file=@photo.png;type=image/png", "https://x.io"))
    assert r.form == [("a", "1"), ("file", "<file photo.png>")]
    assert r.content_type == "multipart/form-data"
    assert "form file photo.png" in r.body_source


def test_curl_body_from_file_is_read(tmp_path):
    (tmp_path / "q.json").write_text(INCIDENT_BODY + "\n")
    r = request_from_curl(W("-d", "@q.json", RAILWAY), ctx(tmp_path))
    assert r.body == INCIDENT_BODY  # -d strips newlines
    assert not r.body_unknown
    assert r.body_source == "file q.json"
    r = request_from_curl(W("--data-binary", "@q.json", RAILWAY), ctx(tmp_path))
    assert r.body == INCIDENT_BODY + "\n"


def test_curl_body_from_missing_or_big_file_is_unknown(tmp_path):
    r = request_from_curl(W("-d", "@nope.json", RAILWAY), ctx(tmp_path))
    assert r.body_unknown and r.body_source == "file nope.json"
    (tmp_path / "big.json").write_text("x" * 100_000)
    assert request_from_curl(W("-d", "@big.json", RAILWAY), ctx(tmp_path)).body_unknown
    # without a context no file is read
    (tmp_path / "q.json").write_text("{}")
    assert request_from_curl(W("-d", "@q.json", RAILWAY)).body_unknown


def test_curl_body_from_stdin():
    r = request_from_curl(W("-d", "@-", RAILWAY), stdin=INCIDENT_BODY)
    assert r.body == INCIDENT_BODY and not r.body_unknown and r.body_source == "stdin"
    r = request_from_curl(W("-d", "@-", RAILWAY), stdin_unknown=True)
    assert r.body_unknown and r.body_source == "stdin"


def test_curl_upload_file_body_is_unknown():
    r = request_from_curl(W("-T", "dump.sql", "https://x.io/up"))
    assert r.body_unknown and r.body_source == "file dump.sql"


def test_curl_basic_auth_and_bearer():
    r = request_from_curl(W("-u", "me:secret", "--oauth2-bearer", "tok", "https://x.io"))
    basic = "Basic " + base64.b64encode(b"me:secret").decode()
    assert r.headers == [("Authorization", basic), ("Authorization", "Bearer tok")]


def test_curl_headers():
    r = request_from_curl(W("-H", "Content-Type: application/json", "-H", "X-Empty;", "x.io"))
    assert r.headers == [("Content-Type", "application/json"), ("X-Empty", "")]
    assert r.content_type == "application/json"


def test_curl_url_option_multiple_urls_and_next():
    reqs = requests_from_curl(
        W("--url", "https://a.io", "https://b.io", "--next", "-X", "DELETE", "https://c.io")
    )
    assert [(r.method, r.url) for r in reqs] == [
        ("GET", "https://a.io"),
        ("GET", "https://b.io"),
        ("DELETE", "https://c.io"),
    ]
    assert request_from_curl(W("https://a.io", "https://b.io")).url == "https://a.io"


def test_curl_double_dash_ends_options():
    assert request_from_curl(W("-s", "--", "-weird.io")).url == "http://-weird.io"


def test_curl_outputs():
    r = request_from_curl(W("-o", "out.html", "https://x.io/a"))
    assert [w.text for w in r.outputs] == ["out.html"]
    r = request_from_curl(W("-O", "--output-dir", "dl", "https://x.io/path/file.tgz"))
    assert [w.text for w in r.outputs] == ["dl/file.tgz"]


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["-s"],
        ["--no-such-option", "https://x.io"],
        ["-%", "https://x.io"],
        ["--data=x", "https://x.io"],  # curl has no --name=value
        ["-K", "cfg", "https://x.io"],
        ["-X"],
        ["--expand-url", "https://x.io"],
        ["-d"],
    ],
)
def test_curl_cannot_parse(args):
    with pytest.raises(HttpParseError):
        request_from_curl(W(*args))


def test_curl_dynamic_url_raises_but_dynamic_path_is_kept():
    with pytest.raises(HttpParseError):
        request_from_curl([Word(DYNAMIC, dynamic=True)])
    with pytest.raises(HttpParseError) as exc:
        request_from_curl(W(f"https://{DYNAMIC}.example.com/x"))
    assert exc.value.url == "https://$?.example.com/x"
    r = request_from_curl(W(f"https://api.example.com/volumes/{DYNAMIC}", "-X", "DELETE"))
    assert DYNAMIC in r.url


def test_curl_dynamic_method_raises_with_url():
    with pytest.raises(HttpParseError) as exc:
        request_from_curl(W("-X", DYNAMIC, "https://x.io"))
    assert exc.value.url == "https://x.io"


def test_curl_dynamic_word_in_option_position_raises():
    with pytest.raises(HttpParseError):
        request_from_curl([Word(DYNAMIC, dynamic=True), Word("https://x.io")])


# --------------------------------------------------------------------------------------------
# wget


def test_wget_defaults():
    r = request_from_wget(W("-q", "https://x.io/install.sh"))
    assert (r.method, r.url, r.body) == ("GET", "https://x.io/install.sh", None)
    # wget keeps an existing file and saves the download as install.sh.1: an addition
    assert ([w.text for w in r.additions], r.outputs) == (["install.sh"], [])
    assert [w.text for w in request_from_wget(W("https://x.io/")).additions] == ["index.html"]
    assert request_from_wget(W("-qO-", "https://x.io/a")).outputs == []
    assert request_from_wget(W("-qO-", "https://x.io/a")).additions == []
    # -N downloads over the existing file
    assert [w.text for w in request_from_wget(W("-N", "https://x.io/a")).outputs] == ["a"]


@pytest.mark.parametrize(
    ("args", "method", "body"),
    [
        (["--method=DELETE", "https://x.io/a"], "DELETE", None),
        (["--method", "delete", "https://x.io/a"], "DELETE", None),
        (["--meth=PUT", "--body-data=x", "https://x.io/a"], "PUT", "x"),
        (["--post-data", "a=1", "https://x.io/a"], "POST", "a=1"),
        (["-e", "method = DELETE", "https://x.io/a"], "DELETE", None),
        (["--spider", "https://x.io/a"], "HEAD", None),
    ],
)
def test_wget_methods(args, method, body):
    r = request_from_wget(W(*args))
    assert (r.method, r.body) == (method, body)


def test_wget_headers_auth_and_output(tmp_path):
    (tmp_path / "b.json").write_text('{"a": 1}')
    r = request_from_wget(
        W(
            "--header=Content-Type: application/json",
            "--user=me",
            "--password=pw",
            "--post-file=b.json",
            "-O",
            "out.json",
            "https://x.io",
        ),
        ctx(tmp_path),
    )
    assert r.method == "POST" and r.body == '{"a": 1}'
    assert r.content_type == "application/json"
    assert r.header("authorization") == "Basic " + base64.b64encode(b"me:pw").decode()
    assert [w.text for w in r.outputs] == ["out.json"]


def test_wget_several_urls():
    assert len(requests_from_wget(W("https://a.io", "https://b.io"))) == 2


@pytest.mark.parametrize(
    "args", [[], ["-i", "urls.txt"], ["--unknown-thing", "https://x.io"], ["--config", "f", "x.io"]]
)
def test_wget_cannot_parse(args):
    with pytest.raises(HttpParseError):
        request_from_wget(W(*args))


# --------------------------------------------------------------------------------------------
# httpie / xh


def test_httpie_get_and_post_guessing():
    r = request_from_httpie(W("example.org"))
    assert (r.method, r.url, r.body) == ("GET", "http://example.org", None)
    r = request_from_httpie(W("example.org", "name=x"))
    assert r.method == "POST"
    assert json.loads(r.body or "") == {"name": "x"}
    assert r.content_type == "application/json"
    assert request_from_httpie(W("delete", "example.org/a")).method == "DELETE"


def test_httpie_items():
    r = request_from_httpie(
        W(
            "PUT",
            "api.io/x",
            "X-Token:abc",
            "q==a b",
            "n:=3",
            'vars:={"id": "v"}',
            "variables[id]=7",
            "s=str",
        )
    )
    assert r.method == "PUT"
    assert r.url == "http://api.io/x?q=a+b"
    assert r.header("x-token") == "abc"
    assert json.loads(r.body or "") == {
        "n": 3,
        "vars": {"id": "v"},
        "variables": {"id": "7"},
        "s": "str",
    }


def test_httpie_graphql_query_item():
    r = request_from_httpie(
        W(
            "POST",
            RAILWAY,
            'query=mutation { volumeDelete(volumeId: "3d2c42fb") }',
            "Authorization:Bearer abc",
        )
    )
    assert json.loads(r.body or "")["query"].startswith("mutation")


def test_httpie_form_scheme_shorthand_and_auth():
    r = request_from_httpie(W("-f", ":3000/login", "user=me"), program="http")
    assert r.url == "http://localhost:3000/login"
    assert r.form == [("user", "me")]
    assert r.content_type == "application/x-www-form-urlencoded"
    r = request_from_httpie(W("-a", "me:pw", "x.io"), program="https")
    assert r.url == "https://x.io"
    assert r.header("authorization") == "Basic " + base64.b64encode(b"me:pw").decode()
    r = request_from_httpie(W("-A", "bearer", "-a", "tok", "x.io"), program="xh")
    assert r.header("authorization") == "Bearer tok"


def test_httpie_raw_and_stdin_bodies():
    r = request_from_httpie(W("--raw", "hello", "x.io"))
    assert (r.method, r.body) == ("POST", "hello")
    r = request_from_httpie(W("x.io"), stdin='{"a": 1}')
    assert (r.method, r.body, r.body_source) == ("POST", '{"a": 1}', "stdin")
    r = request_from_httpie(W("x.io"), stdin_unknown=True)
    assert r.method == "POST" and r.body_unknown
    assert request_from_httpie(W("--ignore-stdin", "x.io"), stdin_unknown=True).method == "GET"


def test_httpie_file_items(tmp_path):
    (tmp_path / "q.graphql").write_text("{ me }")
    r = request_from_httpie(W("x.io/graphql", "query=@q.graphql"), ctx(tmp_path))
    assert json.loads(r.body or "") == {"query": "{ me }"}
    r = request_from_httpie(W("x.io/graphql", "query=@missing"), ctx(tmp_path))
    assert r.body_unknown


@pytest.mark.parametrize(
    "args", [[], ["--wat", "x.io"], ["x.io", "not-an-item"], ["x.io", "n:=not json"]]
)
def test_httpie_cannot_parse(args):
    with pytest.raises(HttpParseError):
        request_from_httpie(W(*args))


# --------------------------------------------------------------------------------------------
# classification


def req(method: str, url: str, body: str | None = None, **kw) -> HttpRequest:
    return HttpRequest(method=method, url=url, body=body, **kw)


@pytest.mark.parametrize(
    ("method", "risk"),
    [
        ("GET", Risk.READ),
        ("HEAD", Risk.READ),
        ("OPTIONS", Risk.READ),
        ("POST", Risk.WRITE),
        ("PUT", Risk.WRITE),
        ("PATCH", Risk.WRITE),
        ("DELETE", Risk.DESTRUCTIVE),
        ("PURGE", Risk.DESTRUCTIVE),
        ("FROBNICATE", Risk.DESTRUCTIVE),
    ],
)
def test_rest_risk_by_method(tmp_path, method, risk):
    (t,) = classify_request(req(method, "https://api.io/v1/things/1"), ctx(tmp_path), tool="curl")
    assert t.risk == risk
    assert t.verb == f"http.{method.lower()}"
    assert t.kind == "url"


def test_rest_name_and_locator(tmp_path):
    c = ctx(tmp_path)
    (t,) = classify_request(req("DELETE", "https://me:pw@API.io/v1/x?force=1"), c, tool="curl")
    assert t.locator == "https://api.io/v1/x"
    assert t.name == "https://me:***@api.io/v1/x?force=1"
    assert t.tool == "curl"
    assert c.flags == []


def test_rest_post_to_a_deleting_path_is_destructive(tmp_path):
    (t,) = classify_request(req("POST", "https://api.io/v1/db/7/purge"), ctx(tmp_path), tool="c")
    assert t.risk == Risk.DESTRUCTIVE
    (t,) = classify_request(req("POST", "https://api.io/dropbox/upload"), ctx(tmp_path), tool="c")
    assert t.risk == Risk.WRITE


def test_rest_method_override_header(tmp_path):
    r = req("POST", "https://api.io/x", headers=[("X-HTTP-Method-Override", "DELETE")])
    (t,) = classify_request(r, ctx(tmp_path), tool="curl")
    assert t.risk == Risk.DESTRUCTIVE


def test_rest_dynamic_path_is_unresolved(tmp_path):
    (t,) = classify_request(req("DELETE", f"https://api.io/v/{DYNAMIC}"), ctx(tmp_path), tool="c")
    assert t.unresolved and t.risk == Risk.DESTRUCTIVE
    assert t.name == "https://api.io/v/$?"


def test_generic_graphql_body(tmp_path):
    body = json.dumps({"query": 'mutation { deleteUser(id: "u") } '})
    (t,) = classify_request(req("POST", "https://api.io/graphql", body), ctx(tmp_path), tool="c")
    assert (t.kind, t.name, t.risk, t.verb) == (
        "graphql",
        "deleteUser",
        Risk.DESTRUCTIVE,
        "graphql.mutation.deleteUser",
    )
    assert t.locator == "https://api.io/graphql"


def test_graphql_found_by_body_even_off_a_graphql_path(tmp_path):
    body = json.dumps({"query": 'mutation { dropTable(name: "t") }'})
    (t,) = classify_request(req("POST", "https://api.io/v1/q", body), ctx(tmp_path), tool="c")
    assert t.kind == "graphql" and t.risk == Risk.DESTRUCTIVE


def test_json_api_with_a_query_field_is_rest(tmp_path):
    body = json.dumps({"query": "red shoes"})
    c = ctx(tmp_path)
    (t,) = classify_request(req("POST", "https://shop.io/search", body), c, tool="c")
    assert (t.kind, t.risk) == ("url", Risk.WRITE)
    assert c.flags == []


def test_graphql_content_type_and_get_query(tmp_path):
    r = req(
        "POST",
        "https://api.io/gql",
        "mutation { a }",
        headers=[("Content-Type", "application/graphql")],
    )
    (t,) = classify_request(r, ctx(tmp_path), tool="c")
    assert (t.name, t.risk) == ("a", Risk.WRITE)
    (t,) = classify_request(
        req("GET", "https://api.io/graphql?query=%7B%20me%20%7D"), ctx(tmp_path), tool="c"
    )
    assert (t.kind, t.name, t.risk) == ("graphql", "me", Risk.READ)


def test_graphql_urlencoded_form_body(tmp_path):
    r = req("POST", "https://api.io/graphql", "query=mutation%20%7B%20wipe%20%7D")
    (t,) = classify_request(r, ctx(tmp_path), tool="c")
    assert (t.name, t.risk) == ("wipe", Risk.DESTRUCTIVE)


def test_graphql_multipart_operations(tmp_path):
    ops = json.dumps({"query": "mutation($f: Upload!) { fileDelete(file: $f) }"})
    r = req("POST", "https://api.io/upload", form=[("operations", ops), ("0", "<file a>")])
    (t,) = classify_request(r, ctx(tmp_path), tool="c")
    assert (t.name, t.risk) == ("fileDelete", Risk.DESTRUCTIVE)


@pytest.mark.parametrize(
    "body",
    [
        '{"query": "mutation { volumeDelete(volumeId: "}',  # invalid JSON
        '{"query": "mutation { volumeDelete(volumeId: "}"}',  # invalid GraphQL
        '{"operationName": "X", "extensions": {}}',  # persisted query
        '{"foo": 1}',
        "garbage",
    ],
)
def test_unparsable_graphql_at_an_endpoint_is_held(tmp_path, body):
    c = ctx(tmp_path)
    (t,) = classify_request(req("POST", "https://api.io/graphql", body), c, tool="curl")
    assert t.risk == Risk.DESTRUCTIVE and t.unresolved
    assert [f.kind for f in c.flags] == ["unparsed"]


def test_unknown_body_to_graphql_endpoint_is_held(tmp_path):
    c = ctx(tmp_path)
    r = req("POST", "https://api.io/graphql", body_unknown=True, body_source="file q.json")
    (t,) = classify_request(r, c, tool="curl")
    assert t.risk == Risk.DESTRUCTIVE
    assert "file q.json" in c.flags[0].detail


def test_unknown_body_to_rest_endpoint_is_a_write(tmp_path):
    c = ctx(tmp_path)
    r = req("POST", "https://api.io/things", body_unknown=True, body_source="stdin")
    (t,) = classify_request(r, c, tool="curl")
    assert t.risk == Risk.WRITE and c.flags == []


def test_railway_host_goes_to_the_railway_pack(tmp_path):
    (t,) = classify_request(req("POST", RAILWAY, INCIDENT_BODY), ctx(tmp_path), tool="curl")
    assert (t.risk, t.verb, t.name, t.locator) == (
        Risk.CATASTROPHIC,
        "railway.volumeDelete",
        "3d2c42fb",
        "railway:volume:3d2c42fb",
    )
    for host in ("backboard.railway.com", "backboard.railway.app"):
        assert is_graphql_endpoint(f"https://{host}/graphql/v2")


def test_graphql_endpoint_detection():
    assert is_graphql_endpoint("https://api.github.com/graphql")
    assert is_graphql_endpoint("https://x.io/api/gql/")
    assert not is_graphql_endpoint("https://x.io/api/v1/users")


def test_output_files_are_write_targets(tmp_path):
    r = req("GET", "https://x.io/a", outputs=[Word("out.html"), Word("-"), Word("/dev/null")])
    targets = classify_request(r, ctx(tmp_path), tool="curl")
    assert [(t.kind, t.risk, t.locator) for t in targets] == [
        ("file", Risk.WRITE, str(tmp_path / "out.html")),
        ("url", Risk.READ, "https://x.io/a"),
    ]


def test_other_schemes(tmp_path):
    (t,) = classify_request(req("GET", "file:///etc/hosts"), ctx(tmp_path), tool="curl")
    assert (t.verb, t.risk) == ("file.get", Risk.READ)
    r = req("GET", "sftp://h/x", commands=["rm /x"])
    (t,) = classify_request(r, ctx(tmp_path), tool="curl")
    assert t.risk == Risk.DESTRUCTIVE
    r = req("PUT", "ftp://h/x", body_unknown=True, body_source="file a")
    (t,) = classify_request(r, ctx(tmp_path), tool="curl")
    assert t.risk == Risk.WRITE


# --------------------------------------------------------------------------------------------
# properties

_CURL_WORDS = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        [
            "-X", "-d", "-H", "-F", "-G", "-I", "-T", "-u", "-o", "-O", "--json", "--url",
            "--next", "--", "-sSL", "-XPOST", "--data-urlencode", "-d@-", "@x", "https://x.io",
            "https://backboard.railway.app/graphql/v2", INCIDENT_BODY, "a=@f", "q==1", ":3000",
            "x:=1", "POST", "--method=DELETE", "-e", "method=PUT", "-O-", DYNAMIC,
            f"https://x.io/{DYNAMIC}", f'{{"query": "mutation {{ {DYNAMIC} }}"}}',
        ]
    ),
)  # fmt: skip
_WORD_LISTS = st.lists(
    st.builds(lambda t, d: Word(t, dynamic=d or DYNAMIC in t), _CURL_WORDS, st.booleans()),
    max_size=8,
)


@settings(max_examples=400, deadline=None)
@given(_WORD_LISTS)
def test_request_from_curl_only_raises_http_parse_error(words):
    with contextlib.suppress(HttpParseError):
        request_from_curl(words)


@settings(max_examples=200, deadline=None)
@given(_WORD_LISTS, st.sampled_from(["wget", "http", "https"]))
def test_other_clients_only_raise_http_parse_error(words, client):
    try:
        if client == "wget":
            request_from_wget(words)
        else:
            request_from_httpie(words, program=client)
    except HttpParseError:
        pass


@settings(max_examples=300, deadline=None)
@given(_WORD_LISTS, st.one_of(st.none(), st.text(max_size=40)))
def test_classify_never_crashes_on_what_the_parser_accepts(words, stdin):
    c = ClassifyContext(cwd="/nonexistent", home="/root")
    for build in (requests_from_curl, requests_from_wget):
        try:
            reqs = build(words, c, stdin=stdin)
        except HttpParseError:
            continue
        for r in reqs:
            for t in classify_request(r, c, tool="curl"):
                assert isinstance(t.risk, Risk)


# --------------------------------------------------------------------------------------------
# requests handed over as text (kind "http")


def test_parse_raw_http_message(tmp_path):
    text = (
        "POST /graphql/v2 HTTP/1.1\r\nHost: backboard.railway.app\r\n"
        f"Authorization: Bearer abc\r\nContent-Type: application/json\r\n\r\n{INCIDENT_BODY}"
    )
    r = parse_raw_request(text)
    assert (r.method, r.url, r.body) == ("POST", RAILWAY, INCIDENT_BODY)
    assert r.header("authorization") == "Bearer abc"
    (t,) = classify_request(r, ctx(tmp_path), tool="http")
    assert (t.verb, t.risk, t.locator) == (
        "railway.volumeDelete",
        Risk.CATASTROPHIC,
        "railway:volume:3d2c42fb",
    )


@pytest.mark.parametrize(
    ("text", "method", "url"),
    [
        ("https://x.io/a", "GET", "https://x.io/a"),
        ("delete https://x.io/a", "DELETE", "https://x.io/a"),
        ("GET http://x.io/a HTTP/1.0\nAccept: */*\n", "GET", "http://x.io/a"),
        ('{"method": "put", "url": "https://x.io", "body": {"a": 1}}', "PUT", "https://x.io"),
    ],
)
def test_parse_raw_request_forms(text, method, url):
    r = parse_raw_request(text)
    assert (r.method, r.url) == (method, url)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "GET /x HTTP/1.1\n\n",
        "this is not a request",
        "GET https://x.io\nbad header",
        "{",
    ],
)
def test_parse_raw_request_rejects(text):
    with pytest.raises(HttpParseError):
        parse_raw_request(text)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=120))
def test_parse_raw_request_only_raises_http_parse_error(text):
    with contextlib.suppress(HttpParseError):
        parse_raw_request(text)
