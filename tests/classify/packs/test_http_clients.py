from __future__ import annotations

import json

import pytest

from airlock.action import Risk
from airlock.classify.command import DYNAMIC, ClassifyContext, SimpleCommand, Word
from airlock.classify.packs import Pack, build_registry, builtin_packs, rule
from airlock.classify.packs.http_clients import PACKS

RAILWAY = "https://backboard.railway.app/graphql/v2"
INCIDENT = [
    "curl",
    "-X",
    "POST",
    "-H",
    "Authorization: Bearer abc",
    "-d",
    '{"query":"mutation { volumeDelete(volumeId: \\"3d2c42fb\\") }"}',
    "https://backboard.railway.app/graphql/v2",
]
BY_PROGRAM: dict[str, Pack] = {p: pack for pack in PACKS for p in pack.programs}
REGISTRY = build_registry(builtin_packs())


def cmd(*argv: str, **kw) -> SimpleCommand:
    return SimpleCommand(argv=[Word(x, dynamic=DYNAMIC in x) for x in argv], **kw)


def run(c: SimpleCommand, tmp_path):
    # the registry is where HTTP classification finds the pack that declares a host
    ctx = ClassifyContext(cwd=str(tmp_path), home="/root", registry=REGISTRY)
    targets = BY_PROGRAM[c.program].classify(c, ctx)
    return targets, ctx


def test_programs():
    assert set(BY_PROGRAM) == {"curl", "wget", "wget2", "http", "https", "xh", "xhs"}
    assert {p.name for p in PACKS} == {"curl", "wget", "httpie"}


def test_the_incident_is_catastrophic(tmp_path):
    targets, ctx = run(cmd(*INCIDENT), tmp_path)
    assert len(targets) == 1
    t = targets[0]
    assert t.risk == Risk.CATASTROPHIC
    assert t.verb == "railway.volumeDelete"
    assert t.name == "3d2c42fb"
    assert t.locator == "railway:volume:3d2c42fb"
    assert t.kind == "volume"
    assert not t.unresolved
    assert ctx.flags == []  # the Bearer token is another module's business


def test_the_incident_on_the_com_host_with_variables(tmp_path):
    body = json.dumps(
        {
            "query": "mutation($id: String!) { volumeDelete(volumeId: $id) }",
            "variables": {"id": "3d2c42fb"},
        }
    )
    targets, _ = run(
        cmd("curl", "--json", body, "https://backboard.railway.com/graphql/v2"), tmp_path
    )
    (t,) = targets
    assert (t.risk, t.name, t.locator) == (Risk.CATASTROPHIC, "3d2c42fb", "railway:volume:3d2c42fb")


def test_the_incident_through_a_heredoc(tmp_path):
    c = cmd("curl", "-d", "@-", RAILWAY, stdin=INCIDENT[6])
    (t,) = run(c, tmp_path)[0]
    assert t.risk == Risk.CATASTROPHIC and t.name == "3d2c42fb"


def test_the_incident_through_a_body_file(tmp_path):
    (tmp_path / "q.json").write_text(INCIDENT[6])
    (t,) = run(cmd("curl", "-d", "@q.json", RAILWAY), tmp_path)[0]
    assert t.risk == Risk.CATASTROPHIC and t.name == "3d2c42fb"


def test_volume_id_from_a_variable_is_still_catastrophic(tmp_path):
    body = '{"query":"mutation { volumeDelete(volumeId: \\"' + DYNAMIC + '\\") }"}'
    targets, ctx = run(cmd("curl", "-d", body, RAILWAY), tmp_path)
    (t,) = targets
    assert t.risk == Risk.CATASTROPHIC and t.unresolved
    assert t.verb == "railway.volumeDelete"
    assert t.name == "$?"
    assert ctx.flags == []  # understood; only the id is unknown (unresolved)


@pytest.mark.parametrize(
    "c",
    [
        cmd("curl", "-d", DYNAMIC, RAILWAY),
        cmd("curl", "-d", "@-", RAILWAY, stdin_unknown=True),
        cmd("curl", "-d", "@missing.json", RAILWAY),
        cmd("curl", "-d", '{"query": "mutation { volumeDel', RAILWAY),
    ],
)
def test_unknown_bodies_to_railway_are_held(c, tmp_path):
    targets, ctx = run(c, tmp_path)
    assert max(t.risk for t in targets) >= Risk.DESTRUCTIVE
    assert [f.kind for f in ctx.flags] == ["unparsed"]


def test_plain_curl_is_a_read(tmp_path):
    targets, ctx = run(cmd("curl", "https://example.com"), tmp_path)
    (t,) = targets
    assert (t.kind, t.risk, t.verb, t.tool) == ("url", Risk.READ, "http.get", "curl")
    assert ctx.flags == []


def test_curl_download_to_a_file(tmp_path):
    targets, _ = run(cmd("/usr/bin/curl", "-fsSL", "-o", "x.sh", "https://ex.io/x.sh"), tmp_path)
    assert [(t.kind, t.risk) for t in targets] == [("file", Risk.WRITE), ("url", Risk.READ)]


def test_curl_delete(tmp_path):
    (t,) = run(cmd("curl", "-X", "DELETE", "https://api.io/v1/buckets/b1"), tmp_path)[0]
    assert (t.risk, t.verb, t.locator) == (
        Risk.DESTRUCTIVE,
        "http.delete",
        "https://api.io/v1/buckets/b1",
    )


@pytest.mark.parametrize(
    "c",
    [
        cmd("curl"),
        cmd("curl", "--frobnicate", "https://x.io"),
        cmd("curl", DYNAMIC),
        cmd("curl", "-X", DYNAMIC, "https://x.io"),
        cmd("wget", "-i", "urls.txt"),
        cmd("http", "x.io", "bad-item"),
    ],
)
def test_unparsable_arguments_are_held(c, tmp_path):
    targets, ctx = run(c, tmp_path)
    (t,) = targets
    assert (t.kind, t.risk, t.unresolved) == ("url", Risk.DESTRUCTIVE, True)
    assert [f.kind for f in ctx.flags] == ["unparsed"]


def test_held_target_keeps_the_url_when_known(tmp_path):
    (t,) = run(cmd("curl", "-X", DYNAMIC, "https://x.io/a"), tmp_path)[0]
    assert t.name == "https://x.io/a"
    assert t.locator == "https://x.io/a"


def test_wget(tmp_path):
    targets, _ = run(cmd("wget", "--method=DELETE", "-O", "/dev/null", "https://x.io/a"), tmp_path)
    assert [(t.kind, t.risk) for t in targets] == [("url", Risk.DESTRUCTIVE)]
    targets, _ = run(cmd("wget2", "-q", "https://x.io/a.tgz"), tmp_path)
    assert [(t.kind, t.risk) for t in targets] == [("file", Risk.WRITE), ("url", Risk.READ)]


@pytest.mark.parametrize("program", ["http", "https", "xh", "xhs"])
def test_httpie_and_xh_railway_mutation(program, tmp_path):
    c = cmd(
        program,
        "POST",
        RAILWAY,
        'query=mutation { environmentDelete(id: "env-1") }',
        "Authorization:Bearer x",
    )
    (t,) = run(c, tmp_path)[0]
    assert (t.verb, t.risk, t.locator) == (
        "railway.environmentDelete",
        Risk.CATASTROPHIC,
        "railway:environment:env-1",
    )


def test_httpie_get_is_read(tmp_path):
    (t,) = run(cmd("https", "api.io/users"), tmp_path)[0]
    assert (t.risk, t.name) == (Risk.READ, "https://api.io/users")


def test_httpie_body_from_pipe(tmp_path):
    c = cmd("http", RAILWAY, stdin=INCIDENT[6])
    (t,) = run(c, tmp_path)[0]
    assert t.verb == "railway.volumeDelete"


def test_generic_graphql_through_curl(tmp_path):
    c = cmd(
        "curl", "-d", '{"query":"mutation { deleteRepository(id: 1) }"}', "https://gh.io/graphql"
    )
    (t,) = run(c, tmp_path)[0]
    assert (t.kind, t.risk, t.verb) == (
        "graphql",
        Risk.DESTRUCTIVE,
        "graphql.mutation.deleteRepository",
    )


def test_user_rules_come_first(tmp_path):
    (pack,) = [p for p in PACKS if p.name == "curl"]
    custom = type(pack)(
        name=pack.name,
        programs=pack.programs,
        kind=pack.kind,
        user_rules=(rule("curl.internal", "read", "*internal.corp*", kind="url"),),
    )
    ctx = ClassifyContext(cwd=str(tmp_path), home="/root")
    (t,) = custom.classify(cmd("curl", "https://internal.corp/x"), ctx)
    assert t.verb == "curl.internal"
    (t,) = custom.classify(cmd("curl", "-X", "DELETE", "https://other.io/x"), ctx)
    assert t.verb == "http.delete"


# ---- the files a client writes ---------------------------------------------------------------


def run_at(c: SimpleCommand, cwd, home: str = "/nonexistent"):
    """Classify where ``cwd`` is (not a temp dir), with a home elsewhere."""
    ctx = ClassifyContext(cwd=str(cwd), home=home, registry=REGISTRY)
    return BY_PROGRAM[c.program].classify(c, ctx)


def written(targets):
    return [(t.name, t.risk, t.detail) for t in targets if t.verb == "fs.write"]


REPLACED = "replaces an existing file outside the workspace"


@pytest.mark.parametrize("argv", [
    ("curl", "-o", "{f}", "https://example.com/x"),
    ("curl", "--output", "{f}", "https://example.com/x"),
    ("curl", "-D", "{f}", "https://example.com/x"),
    ("curl", "--dump-header", "{f}", "https://example.com/x"),
    ("curl", "-c", "{f}", "https://example.com/x"),
    ("curl", "--trace-ascii", "{f}", "https://example.com/x"),
    ("curl", "--stderr", "{f}", "https://example.com/x"),
    ("curl", "--libcurl", "{f}", "https://example.com/x"),
    ("curl", "--etag-save", "{f}", "https://example.com/x"),
    ("curl", "-w", "%output{{{f}}}%{{http_code}}", "https://example.com/x"),
    ("wget", "-O", "{f}", "https://example.com/x"),
    ("wget", "--output-document={f}", "https://example.com/x"),
    ("wget", "-o", "{f}", "https://example.com/x"),
    ("wget", "--save-cookies", "{f}", "https://example.com/x"),
    ("http", "-o", "{f}", "https://example.com/x"),
    ("http", "--download", "--output", "{f}", "https://example.com/x"),
])
def test_replacing_an_existing_file_outside_the_workspace_is_destructive(argv, workspace):
    outside = workspace.parent / "srv"
    outside.mkdir(exist_ok=True)
    existing = outside / "config.yml"
    existing.write_text("live: true\n")
    c = cmd(*(a.format(f=existing) for a in argv))
    [(name, risk, detail)] = [w for w in written(run_at(c, workspace)) if "config" in w[0]]
    assert (name, risk, detail) == (str(existing), Risk.DESTRUCTIVE, REPLACED)
    # the same file not there yet: a write
    fresh = outside / "new.yml"
    c = cmd(*(a.format(f=fresh) for a in argv))
    [(_, risk, _)] = [w for w in written(run_at(c, workspace)) if "new.yml" in w[0]]
    assert risk == Risk.WRITE


@pytest.mark.parametrize("argv", [
    ("curl", "--no-clobber", "-o", "{f}", "https://example.com/x"),
    ("curl", "-w", "%output{{>>{f}}}%{{http_code}}", "https://example.com/x"),
    ("wget", "-a", "{f}", "https://example.com/x"),
])
def test_appending_or_keeping_an_existing_file_is_a_write(argv, workspace):
    outside = workspace.parent / "srv"
    outside.mkdir(exist_ok=True)
    existing = outside / "keep.log"
    existing.write_text("old\n")
    c = cmd(*(a.format(f=existing) for a in argv))
    [(_, risk, _)] = [w for w in written(run_at(c, workspace)) if "keep.log" in w[0]]
    assert risk == Risk.WRITE


def test_downloads_into_the_workspace_are_writes(workspace):
    (workspace / "tool.tgz").write_text("old")
    for argv in (("curl", "-O", "https://example.com/tool.tgz"),
                 ("curl", "-o", "tool.tgz", "https://example.com/tool.tgz"),
                 ("wget", "https://example.com/tool.tgz"),
                 ("wget", "-r", "https://example.com/"),
                 ("http", "--download", "https://example.com/tool.tgz")):
        ws = written(run_at(cmd(*argv), workspace))
        assert ws and all(r == Risk.WRITE for _, r, _ in ws), (argv, ws)


def test_downloads_over_system_files_are_held_wherever_the_home_is(workspace):
    for argv in (("curl", "-o", "/etc/hosts", "https://x.io/h"),
                 ("wget", "-r", "-P", "/etc", "https://x.io/")):
        ws = written(run_at(cmd(*argv), workspace, home="/root"))
        assert [r for _, r, _ in ws] == [Risk.DESTRUCTIVE], argv


def test_stdout_and_dev_null_are_not_files(workspace):
    for argv in (("curl", "-o", "-", "https://x.io/"), ("curl", "-o", "/dev/null", "https://x.io/"),
                 ("curl", "-D", "-", "https://x.io/"), ("curl", "--trace", "%", "https://x.io/"),
                 ("wget", "-qO-", "https://x.io/")):
        assert written(run_at(cmd(*argv), workspace)) == [], argv


def test_sql_through_an_api_is_rated_by_the_client_packs(tmp_path):
    c = cmd("curl", "https://api.cloudflare.com/client/v4/accounts/a/d1/database/d/query",
            "--json", '{"sql": "DROP TABLE users"}')
    [t] = run(c, tmp_path)[0]
    assert (t.verb, t.locator) == ("sql.drop_table", "cloudflare:d1:d")
