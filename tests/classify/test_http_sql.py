"""SQL sent through HTTP APIs is classified as SQL (http/sql_apis.py and its readers):
the SQL decides, whichever client spells the request and however the body arrives."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from airlock.action import Risk
from airlock.classify.command import DYNAMIC, ClassifyContext
from airlock.classify.http import HttpRequest, classify_request
from airlock.classify.http.postgrest import row_scope
from airlock.classify.http.request import split_url
from airlock.classify.http.sql_apis import SQL_APIS, match_sql_api
from airlock.classify.http.sql_run import at_path, looks_like_sql, read_body
from airlock.classify.packs import build_registry, builtin_packs
from tests.support import decide

REGISTRY = build_registry(builtin_packs())
D1 = "https://api.cloudflare.com/client/v4/accounts/4f2a/d1/database/7c1e9a2b"
SUPABASE = "https://api.supabase.com/v1/projects/qwertyuiopasdfghjklz/database/query"
REST = "https://qwertyuiopasdfghjklz.supabase.co/rest/v1"
HASURA = "https://hasura.acme.dev"
TURSO = "https://app-db-acme.turso.io/v2/pipeline"


def ctx(tmp_path: Path) -> ClassifyContext:
    return ClassifyContext(cwd=str(tmp_path), home="/root", registry=REGISTRY)


def post(url: str, body: object, headers: list[tuple[str, str]] | None = None) -> HttpRequest:
    """A POST with a JSON body (a str body is sent as it is)."""
    text = body if isinstance(body, str) else json.dumps(body)
    return HttpRequest(method="POST", url=url, body=text,
                       headers=[("Content-Type", "application/json"), *(headers or [])])


def rate(r: HttpRequest, tmp_path: Path) -> tuple[Risk, list[str], bool]:
    c = ctx(tmp_path)
    targets = classify_request(r, c, tool="curl")
    worst = max(t.risk for t in targets)
    return worst, [t.verb for t in targets], any(f.kind == "unparsed" for f in c.flags)


# --------------------------------------------------------------------------------------------
# each service: where its SQL is, and the SQL decides


@pytest.mark.parametrize(("url", "body", "verb"), [
    (SUPABASE, {"query": "DROP TABLE users"}, "sql.drop_table"),
    ("https://api.supabase.com/v1/projects/qwertyuiopasdfghjklz/database/migrations",
     {"name": "x", "query": "ALTER TABLE users DROP COLUMN email"}, "sql.drop_column"),
    (f"{D1}/query", {"sql": "DROP TABLE users"}, "sql.drop_table"),
    (f"{D1}/raw", {"batch": [{"sql": "select 1"}, {"sql": "DELETE FROM s"}]},
     "sql.delete_all_rows"),
    (f"{HASURA}/v2/query", {"type": "run_sql", "args": {"sql": "TRUNCATE users"}},
     "sql.truncate"),
    (f"{HASURA}/v2/query", {"type": "bulk", "args": [
        {"type": "run_sql", "args": {"sql": "select 1"}},
        {"type": "bulk", "args": [{"type": "pg_run_sql", "args": {"sql": "DROP TABLE t"}}]}]},
     "sql.drop_table"),
    ("https://ep-x-1.us-east-2.aws.neon.tech/sql", {"query": "DELETE FROM users"},
     "sql.delete_all_rows"),
    ("https://ep-x-1.us-east-2.aws.neon.tech/sql",
     {"queries": [{"query": "select 1"}, {"query": "DROP TABLE users"}]}, "sql.drop_table"),
    (TURSO, {"requests": [{"type": "execute", "stmt": {"sql": "DROP TABLE users"}}]},
     "sql.drop_table"),
    (TURSO, {"requests": [{"type": "batch", "batch": {"steps": [
        {"stmt": {"sql": "select 1"}}, {"stmt": {"sql": "DELETE FROM users"}}]}}]},
     "sql.delete_all_rows"),
    (TURSO, {"requests": [{"type": "sequence", "sql": "select 1; drop table users"}]},
     "sql.drop_table"),
    ("https://app-db-acme.turso.io/", {"statements": [{"q": "DROP TABLE users"}]},
     "sql.drop_table"),
    ("https://aws.connect.psdb.cloud/psdb.v1alpha1.Database/Execute",
     {"query": "DROP TABLE users", "session": None}, "sql.drop_table"),
    ("https://acme.snowflakecomputing.com/api/v2/statements",
     {"statement": "DROP TABLE analytics.events"}, "sql.drop_table"),
    ("https://dbc-1.cloud.databricks.com/api/2.0/sql/statements",
     {"statement": "TRUNCATE TABLE sales", "warehouse_id": "w"}, "sql.truncate"),
    ("https://bigquery.googleapis.com/bigquery/v2/projects/acme-data/jobs",
     {"configuration": {"query": {"query": "DROP TABLE `acme-data.app.users`"}}},
     "sql.drop_table"),
    ("https://ws-1.us-east-1.xata.sh/db/app:main/sql", {"statement": "DROP TABLE users"},
     "sql.drop_table"),
])
def test_destructive_sql_through_each_service_is_destructive(url, body, verb, tmp_path):
    risk, verbs, unparsed = rate(post(url, body), tmp_path)
    assert risk >= Risk.DESTRUCTIVE and verb in verbs and not unparsed


@pytest.mark.parametrize(("url", "body"), [
    (SUPABASE, {"query": "select id from users limit 5"}),
    (f"{D1}/query", {"sql": "SELECT * FROM users WHERE id = ?", "params": ["1"]}),
    (f"{HASURA}/v2/query", {"type": "run_sql", "args": {"sql": "select count(*) from t"}}),
    ("https://ep-x-1.us-east-2.aws.neon.tech/sql", {"query": "SELECT $1::int", "params": [1]}),
    (TURSO, {"requests": [{"type": "execute", "stmt": {"sql": "SELECT 1"}},
                          {"type": "describe", "sql": "DROP TABLE users"},
                          {"type": "close"}]}),
    ("https://aws.connect.psdb.cloud/psdb.v1alpha1.Database/Execute",
     {"query": "select 1 from dual"}),
    ("https://bigquery.googleapis.com/bigquery/v2/projects/acme-data/queries",
     {"query": "SELECT count(*) FROM `acme-data.app.users`"}),
])
def test_a_select_through_each_service_is_a_read(url, body, tmp_path):
    risk, verbs, unparsed = rate(post(url, body), tmp_path)
    assert (risk, unparsed) == (Risk.READ, False), verbs


def test_the_locator_names_the_project_or_database(tmp_path):
    c = ctx(tmp_path)
    [t] = classify_request(post(SUPABASE, {"query": "drop table t"}), c, tool="curl")
    assert t.locator == "supabase:project:qwertyuiopasdfghjklz"
    [t] = classify_request(post(f"{D1}/query", {"sql": "drop table t"}), c, tool="curl")
    assert t.locator == "cloudflare:d1:7c1e9a2b"
    [t] = classify_request(post(f"{REST}/rpc/exec_sql", {"sql": "drop table t"}), c, tool="c")
    assert t.locator == "supabase:project:qwertyuiopasdfghjklz"
    # Neon: the database named in the header, without its password
    r = post("https://proxy.acme.dev/sql", {"query": "drop table t"}, headers=[
        ("Neon-Connection-String", "postgresql://app:s3cret@db.prod.internal:5432/app")])
    [t] = classify_request(r, c, tool="curl")
    assert t.locator == "postgresql://app@db.prod.internal:5432/app"
    assert "s3cret" not in t.locator


# --------------------------------------------------------------------------------------------
# what cannot be read is held


@pytest.mark.parametrize("r", [
    post(f"{D1}/query", f'{{"sql": "DROP TABLE {DYNAMIC}"}}'),
    post(f"{D1}/query", DYNAMIC),
    HttpRequest("POST", f"{D1}/query", body=None, body_unknown=True, body_source="file q.json"),
    post(f"{D1}/query", {"sql": "select 1"}, headers=[("Content-Encoding", "gzip")]),
    post(f"{D1}/query", '{"sql": "select 1", "sql": "drop table users"}'),
    post(f"{D1}/query", '{"sql": "select 1", "SQL": "drop table users"}'),
    post(f"{D1}/query", {"sql": ["DROP TABLE users"]}),
    post(f"{D1}/query", "DROP TABLE users"),  # not JSON: the service may read it anyway
    post(f"{D1}/import", {"action": "ingest", "etag": "e", "filename": "dump.sql"}),
    post(TURSO, {"requests": [{"type": "execute", "stmt": {"sql_id": 4}}]}),
    post(TURSO, {"requests": [{"type": "Execute", "stmt": {"sql": "select 1"}}]}),
    post(f"{HASURA}/v2/query", {"type": "run_sql", "args": {"sql": 7}}),
    post(f"{HASURA}/v2/query", '{"type": "run' + DYNAMIC + '", "args": {}}'),
    post(f"{HASURA}/v2/query", {"type": "run_sql", "args": {"sql": "DROP TABLE ((("}}),
    post(f"{REST}/rpc/exec_sql", {"sql": f"delete from {DYNAMIC}"}),
])
def test_sql_airlock_cannot_read_is_held(r, tmp_path):
    risk, _verbs, unparsed = rate(r, tmp_path)
    assert risk >= Risk.DESTRUCTIVE and unparsed


def test_sql_stored_and_run_in_the_same_pipeline_is_read(tmp_path):
    body = {"requests": [{"type": "store_sql", "sql_id": 1, "sql": "DELETE FROM users"},
                         {"type": "execute", "stmt": {"sql_id": 1}}]}
    risk, verbs, unparsed = rate(post(TURSO, body), tmp_path)
    assert (risk, verbs, unparsed) == (Risk.DESTRUCTIVE, ["sql.delete_all_rows"], False)


# --------------------------------------------------------------------------------------------
# PostgREST: rows by verb and filter


@pytest.mark.parametrize(("method", "path", "verb", "risk"), [
    ("GET", "/users?select=*", "sql.select", Risk.READ),
    ("HEAD", "/users", "sql.select", Risk.READ),
    ("POST", "/users", "sql.insert", Risk.WRITE),
    ("PUT", "/users?id=eq.1", "sql.upsert", Risk.WRITE),
    ("DELETE", "/users?id=eq.1", "sql.delete", Risk.WRITE),
    ("DELETE", "/users?id=in.(1,2,3)", "sql.delete", Risk.WRITE),
    ("DELETE", "/users?or=(id.eq.1,id.eq.2)", "sql.delete", Risk.WRITE),
    ("DELETE", "/users?deleted_at=not.is.null", "sql.delete", Risk.WRITE),
    ("PATCH", "/users?id=eq.1", "sql.update", Risk.WRITE),
    ("DELETE", "/users", "sql.delete_all_rows", Risk.DESTRUCTIVE),
    ("DELETE", "/users/", "sql.delete_all_rows", Risk.DESTRUCTIVE),
    ("DELETE", "/users?select=id&order=id&limit=10", "sql.delete_all_rows", Risk.DESTRUCTIVE),
    ("DELETE", "/users?email=like.*", "sql.delete_all_rows", Risk.DESTRUCTIVE),
    ("DELETE", "/users?email=ilike.%25", "sql.delete_all_rows", Risk.DESTRUCTIVE),
    ("DELETE", "/users?or=()", "sql.delete_all_rows", Risk.DESTRUCTIVE),
    ("DELETE", "/users?posts.id=eq.1", "sql.delete_all_rows", Risk.DESTRUCTIVE),
    ("DELETE", "/users?id=1", "sql.delete_all_rows", Risk.DESTRUCTIVE),  # not a filter
    ("PATCH", "/users", "sql.update_all_rows", Risk.DESTRUCTIVE),
])
def test_postgrest_rows_by_verb_and_filter(method, path, verb, risk, tmp_path):
    r = HttpRequest(method, REST + path, body='{"a": 1}' if method in ("POST", "PATCH",
                                                                         "PUT") else None)
    [t] = classify_request(r, ctx(tmp_path), tool="curl")
    assert (t.verb, t.risk, t.name) == (verb, risk, "users")


def test_postgrest_on_any_host_behind_rest_v1(tmp_path):
    r = HttpRequest("DELETE", "http://localhost:54321/rest/v1/todos")
    [t] = classify_request(r, ctx(tmp_path), tool="curl")
    assert (t.verb, t.locator) == ("sql.delete_all_rows", "http://localhost:54321/rest/v1/todos")


def test_postgrest_method_override_is_judged_as_the_worse_method(tmp_path):
    r = HttpRequest("POST", REST + "/users", headers=[("X-HTTP-Method-Override", "DELETE")])
    [t] = classify_request(r, ctx(tmp_path), tool="curl")
    assert t.verb == "sql.delete_all_rows"


def test_a_filter_airlock_cannot_read_is_not_a_narrow_delete(tmp_path):
    [t] = classify_request(HttpRequest("DELETE", f"{REST}/users?{DYNAMIC}"), ctx(tmp_path),
                           tool="curl")
    assert t.risk == Risk.DESTRUCTIVE and t.unresolved
    [t] = classify_request(HttpRequest("DELETE", f"{REST}/users?id=eq.{DYNAMIC}"),
                           ctx(tmp_path), tool="curl")
    assert t.risk == Risk.WRITE  # an eq filter, whatever the value


@given(column=st.from_regex(r"[a-z][a-z_]{0,12}", fullmatch=True).filter(
           lambda c: c not in ("select", "order", "limit", "offset", "columns", "on_conflict",
                               "or", "and")),
       value=st.from_regex(r"[A-Za-z0-9_-]{1,12}", fullmatch=True),
       shaping=st.lists(st.sampled_from(["select=id", "order=id.desc", "limit=5"]), max_size=3))
@settings(max_examples=60)
def test_one_eq_filter_makes_any_query_narrow(column, value, shaping):
    assert row_scope("&".join(shaping))[0] == "all"
    assert row_scope("&".join([*shaping, f"{column}=eq.{value}"]))[0] == "narrow"


def test_postgrest_rpc_sql_in_a_get_query_or_a_single_string_body(tmp_path):
    r = HttpRequest("GET", f"{REST}/rpc/exec_sql?sql=drop%20table%20users")
    assert [t.verb for t in classify_request(r, ctx(tmp_path), tool="c")] == ["sql.drop_table"]
    r = post(f"{REST}/rpc/exec_sql", '"TRUNCATE audit_log"',
             headers=[("Prefer", "params=single-object")])
    assert [t.verb for t in classify_request(r, ctx(tmp_path), tool="c")] == ["sql.truncate"]


@pytest.mark.parametrize(("function", "args", "verbs"), [
    ("exec_sql", {"sql": "select now()"}, ["sql.select"]),
    ("exec_sql", {"query": "drop table users"}, ["sql.drop_table"]),
    ("run_query", {"q": "truncate audit_log"}, ["sql.truncate"]),
    ("get_daily_stats", {"day": "2024-05-01"}, ["postgrest.rpc"]),
    ("search", {"term": "select a plan"}, ["postgrest.rpc"]),  # never lowered to a read
    ("log_event", {"message": "DROP TABLE users"}, ["postgrest.rpc", "sql.drop_table"]),
    ("log_event", {"message": "drop shipping is over"}, ["postgrest.rpc"]),
])
def test_postgrest_rpc_arguments_that_are_sql(function, args, verbs, tmp_path):
    targets = classify_request(post(f"{REST}/rpc/{function}", args), ctx(tmp_path), tool="c")
    assert [t.verb for t in targets] == verbs


# --------------------------------------------------------------------------------------------
# Hasura operations


@pytest.mark.parametrize(("op", "verb", "risk"), [
    ({"type": "pg_drop_source", "args": {"name": "default", "cascade": True}},
     "hasura.pg_drop_source", Risk.DESTRUCTIVE),
    ({"type": "untrack_table", "args": {"table": "users"}}, "hasura.untrack_table",
     Risk.DESTRUCTIVE),
    ({"type": "replace_metadata", "args": {}}, "hasura.replace_metadata", Risk.DESTRUCTIVE),
    ({"type": "drop_inconsistent_metadata", "args": {}}, "hasura.drop_inconsistent_metadata",
     Risk.DESTRUCTIVE),
    ({"type": "pg_delete_event_trigger", "args": {"name": "t"}},
     "hasura.pg_delete_event_trigger", Risk.DESTRUCTIVE),
    ({"type": "export_metadata", "args": {}}, "hasura.export_metadata", Risk.READ),
    ({"type": "get_inconsistent_metadata", "args": {}}, "hasura.get_inconsistent_metadata",
     Risk.READ),
    ({"type": "pg_track_table", "args": {"table": "notes"}}, "hasura.pg_track_table",
     Risk.WRITE),
    ({"type": "reload_metadata", "args": {}}, "hasura.reload_metadata", Risk.WRITE),
    ({"type": "delete", "args": {"table": "users", "where": {}}}, "sql.delete_all_rows",
     Risk.DESTRUCTIVE),
    ({"type": "update", "args": {"table": "users", "$set": {"a": 1}}}, "sql.update_all_rows",
     Risk.DESTRUCTIVE),
    ({"type": "delete", "args": {"table": "users", "where": {"id": {"$eq": 1}}}}, "sql.delete",
     Risk.WRITE),
    ({"type": "select", "args": {"table": "users", "columns": ["*"]}}, "sql.select",
     Risk.READ),
])
def test_hasura_operations(op, verb, risk, tmp_path):
    targets = classify_request(post(f"{HASURA}/v1/metadata", op), ctx(tmp_path), tool="c")
    assert [(t.verb, t.risk) for t in targets] == [(verb, risk)]


def test_hasura_v1_query_on_any_host_only_when_the_body_is_an_operation(tmp_path):
    # an unrelated API at /v1/query: rated as plain HTTP
    [t] = classify_request(post("https://api.acme.dev/v1/query", {"filter": "x"}),
                           ctx(tmp_path), tool="c")
    assert (t.verb, t.risk) == ("http.post", Risk.WRITE)
    r = HttpRequest("POST", "https://api.acme.dev/v1/query", body_unknown=True)
    c = ctx(tmp_path)
    [t] = classify_request(r, c, tool="c")
    assert t.verb == "http.post" and not c.flags


# --------------------------------------------------------------------------------------------
# any other API: a field named for SQL


@pytest.mark.parametrize(("url", "body", "held"), [
    ("https://admin.acme.dev/api/sql", {"sql": "DROP TABLE users"}, True),
    ("https://admin.acme.dev/api/run", {"job": {"statement": "TRUNCATE users"}}, True),
    ("https://admin.acme.dev/api/run", {"sql": "DROP TABLE `users`"}, True),  # MySQL quoting
    ("https://admin.acme.dev/api/run", {"query": "DELETE FROM users"}, True),
    ("https://admin.acme.dev/api/sql", {"sql": "select * from users"}, False),
    ("https://search.acme.dev/api", {"q": "drop shipping suppliers"}, False),
    ("https://search.acme.dev/api", {"query": "delete my account"}, False),
    ("https://notes.acme.dev/api", {"text": "DROP TABLE users"}, False),
    ("https://notes.acme.dev/api", {"sql": "the quick brown fox"}, False),
])
def test_sql_named_fields_of_other_apis(url, body, held, tmp_path):
    risk, _verbs, _unparsed = rate(post(url, body), tmp_path)
    assert (risk >= Risk.DESTRUCTIVE) == held


def test_sql_named_field_that_destroys_but_cannot_be_read_is_held(tmp_path):
    risk, _verbs, unparsed = rate(post("https://admin.acme.dev/api/sql",
                                       {"sql": "TRUNCATE TABLE users REUSE STORAGE DROP ALL"}),
                                  tmp_path)
    assert risk >= Risk.DESTRUCTIVE and unparsed


def test_a_search_query_string_is_prose_but_a_posted_one_may_be_sql(tmp_path):
    get = HttpRequest("GET", "https://api.github.com/search/issues?q=drop+table+users")
    assert rate(get, tmp_path)[0] == Risk.READ
    posted = HttpRequest("POST", "https://ch.acme.dev:8123/?query=DROP+TABLE+events")
    assert rate(posted, tmp_path)[0] == Risk.DESTRUCTIVE


# --------------------------------------------------------------------------------------------
# matching: path and host spellings servers treat as the same


@pytest.mark.parametrize("url", [
    f"{D1}/query", f"{D1}/query/", "https://api.cloudflare.com//client/v4/accounts/4f2a/d1/"
    "database/7c1e9a2b/./query", "https://API.CLOUDFLARE.COM./client/v4/accounts/4f2a/d1/"
    "database/7c1e9a2b/%71uery", "https://api.cloudflare.com/client/v4/accounts/4f2a/x/../d1/"
    "database/7c1e9a2b/query",
])
def test_path_and_host_spellings_match_the_service(url, tmp_path):
    _risk, verbs, _ = rate(post(url, {"sql": "DROP TABLE users"}), tmp_path)
    assert verbs == ["sql.drop_table"]


def test_the_host_header_names_the_service(tmp_path):
    r = post("https://104.16.0.1/client/v4/accounts/4f2a/d1/database/7c1e9a2b/query",
             {"sql": "DROP TABLE users"}, headers=[("Host", "api.cloudflare.com")])
    assert rate(r, tmp_path)[1] == ["sql.drop_table"]


def test_hosted_services_are_matched_on_their_hosts_only(tmp_path):
    r = post("https://api.acme.dev/client/v4/accounts/a/d1/database/d/query", {"sql": "x"})
    parts = split_url(r.url)
    assert parts is not None and match_sql_api(r, parts) is None
    assert all(api.service and api.reader for api in SQL_APIS)


# --------------------------------------------------------------------------------------------
# the decoders


@given(st.text(max_size=200))
@settings(max_examples=200)
def test_reading_any_body_never_raises(text):
    body = read_body(HttpRequest("POST", "https://x.io/", body=text))
    assert body.unknown or body.data is not None or body.raw is not None


@given(st.text(max_size=300))
@settings(max_examples=150)
def test_any_body_to_a_sql_service_is_rated_or_held(text):
    c = ClassifyContext(cwd="/", home="/root", registry=REGISTRY)
    targets = classify_request(HttpRequest("POST", f"{D1}/query", body=text), c, tool="c")
    assert targets
    if any(f.kind == "unparsed" for f in c.flags):  # held, with a target saying why
        assert max(t.risk for t in targets) >= Risk.DESTRUCTIVE


@given(sql=st.text(min_size=1, max_size=40), depth=st.integers(0, 3))
def test_at_path_finds_the_value_at_any_nesting(sql, depth):
    keys = [f"k{i}" for i in range(depth)] + ["sql"]
    data: object = sql
    for k in reversed(keys):
        data = {k: data}
    assert [v for _, v in at_path(data, ".".join(keys))] == [sql]
    assert [v for _, v in at_path({"batch": [{"sql": sql}, {"x": 1}]}, "batch[].sql")] == [sql]


@pytest.mark.parametrize(("text", "sql"), [
    ("DROP TABLE users", True), ("  /* c */ -- x\n delete from t", True),
    ("(select 1)", True), ("with x as (select 1) select * from x", True),
    ("hello world", False), ("dropping the ball", False), ("", False),
])
def test_looks_like_sql(text, sql):
    assert looks_like_sql(text) == sql


# --------------------------------------------------------------------------------------------
# end to end: the same request whichever way it is spelt


SPELLINGS = [
    f"""curl {D1}/query -d '{{"sql":"DROP TABLE users"}}'""",
    f"""curl {D1}/query --json '{{"sql":"DROP TABLE users"}}'""",
    f"""curl {D1}/query --data-binary @body.json""",
    f"""curl {D1}/query -d @- <<'EOF'\n{{"sql": "DROP TABLE users"}}\nEOF""",
    f"""curl {D1}/query --data-urlencode 'sql=DROP TABLE users'""",
    f"""http POST {D1}/query sql='DROP TABLE users'""",
    f"""http POST {D1}/query sql=@drop.sql""",
    f"""http POST {D1}/query < body.json""",
    f"""xh {D1}/query sql='DROP TABLE users'""",
    f"""wget -qO- --post-data '{{"sql":"DROP TABLE users"}}' {D1}/query""",
    f"""wget -qO- --post-file body.json {D1}/query""",
    f"""sh -c 'curl {D1}/query -d "{{\\"sql\\":\\"DROP TABLE users\\"}}"'""",
    f"""SQL='DROP TABLE users'; curl {D1}/query --json "{{\\"sql\\":\\"$SQL\\"}}\"""",
]


@pytest.mark.parametrize("command", SPELLINGS)
def test_every_spelling_of_the_request_is_held(command, workspace):
    (workspace / "body.json").write_text('{"sql": "DROP TABLE users"}\n')
    (workspace / "drop.sql").write_text("DROP TABLE users\n")
    d = decide(command, cwd=workspace)
    assert d.decision == "hold", d.reasons
    assert any(t.verb == "sql.drop_table" for t in d.targets), [t.verb for t in d.targets]


@pytest.mark.parametrize("command", [s.replace("DROP TABLE users", "SELECT * FROM users")
                                     for s in SPELLINGS])
def test_every_spelling_of_a_select_is_allowed(command, workspace):
    (workspace / "body.json").write_text('{"sql": "SELECT * FROM users"}\n')
    (workspace / "drop.sql").write_text("SELECT * FROM users\n")
    d = decide(command, cwd=workspace)
    assert d.decision == "allow", d.reasons
