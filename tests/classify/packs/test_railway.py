from __future__ import annotations

import pytest

from airlock.action import Risk
from airlock.classify.command import DYNAMIC, ClassifyContext, SimpleCommand, Word
from airlock.classify.graphql import parse_document
from airlock.classify.packs import rule
from airlock.classify.packs.railway import FIELDS, PACKS, RailwayPack, classify_graphql

(PACK,) = PACKS


def cmd(*argv: str, **kw) -> SimpleCommand:
    return SimpleCommand(argv=[Word(x, dynamic=DYNAMIC in x) for x in argv], **kw)


def ctx(tmp_path) -> ClassifyContext:
    return ClassifyContext(cwd=str(tmp_path), home="/root")


def run(tmp_path, *argv: str, **kw):
    c = ctx(tmp_path)
    return PACK.classify(cmd("railway", *argv, **kw), c), c


def gql(tmp_path, doc: str, variables: dict | None = None):
    c = ctx(tmp_path)
    return classify_graphql(parse_document(doc, variables), c), c


# --------------------------------------------------------------------------------------------
# CLI


def test_pack_identity():
    assert PACK.name == "railway"
    assert PACK.programs == ("railway",)
    assert isinstance(PACK, RailwayPack)


@pytest.mark.parametrize(
    ("argv", "verb", "risk", "kind", "name", "locator"),
    [
        ("volume delete --volume 3d2c42fb -y", "railway.volumeDelete", "catastrophic", "volume",
         "3d2c42fb", "railway:volume:3d2c42fb"),
        ("volume rm -v pgdata", "railway.volumeDelete", "catastrophic", "volume", "pgdata",
         "railway:volume:pgdata"),
        ("volume --service api delete --volume=vol1 --yes", "railway.volumeDelete",
         "catastrophic", "volume", "vol1", "railway:volume:vol1"),
        ("environment delete production -y", "railway.environmentDelete", "catastrophic",
         "environment", "production", "railway:environment:production"),
        ("env rm staging", "railway.environmentDelete", "catastrophic", "environment", "staging",
         "railway:environment:staging"),
        ("delete --project myproj --yes", "railway.projectDelete", "catastrophic", "project",
         "myproj", "railway:project:myproj"),
        ("project rm -p p1", "railway.projectDelete", "catastrophic", "project", "p1",
         "railway:project:p1"),
        ("bucket delete -b assets -y", "railway.bucketDelete", "catastrophic", "bucket", "assets",
         "railway:bucket:assets"),
        ("service delete --service api --yes", "railway.serviceDelete", "destructive", "service",
         "api", "railway:service:api"),
        ("down -s api -y", "railway.deploymentRemove", "destructive", "service", "api",
         "railway:service:api"),
        ("variable delete API_KEY", "railway.variableDelete", "destructive", "variable",
         "API_KEY", "railway:variable:API_KEY"),
        ("vars rm A", "railway.variableDelete", "destructive", "variable", "A",
         "railway:variable:A"),
        ("bucket credentials --reset -y", "railway.bucketCredentialsReset", "destructive",
         "bucket", "$?", None),
        ("volume upload ./a /data/a --volume v1 --yes", "railway.volume.upload", "destructive",
         "volume", "v1", "railway:volume:v1"),
        ("volume upload ./a /data/a --volume v1", "railway.volume.upload", "write", "volume",
         "v1", "railway:volume:v1"),
        ("functions delete", "railway.function.delete", "destructive", None, None, None),
        ("cdn rm", "railway.delete", "destructive", None, None, None),
        ("variables --set KEY=value", "railway.variableUpsert", "write", None, None, None),
        ("variable set KEY=value --skip-deploys", "railway.variableUpsert", "write", None, None,
         None),
        ("up --detach", "railway.deploy", "write", None, None, None),
        ("deploy -t postgres", "railway.deploy", "write", None, None, None),
        ("redeploy -y", "railway.deploy", "write", None, None, None),
        ("restart", "railway.deploy", "write", None, None, None),
        ("domain example.com", "railway.domain", "write", None, None, None),
        ("link", "railway.link", "write", None, None, None),
        ("environment new preview", "railway.environmentCreate", "write", None, None, None),
        ("environment production", "railway.environment.link", "write", None, None, None),
        ("service api", "railway.service.write", "write", None, None, None),
        ("volume add --mount-path /data", "railway.volume.write", "write", None, None, None),
        ("logs", "railway.read", "read", None, None, None),
        ("status --json", "railway.read", "read", None, None, None),
        ("list", "railway.read", "read", None, None, None),
        ("whoami", "railway.read", "read", None, None, None),
        ("variables", "railway.variable.list", "read", None, None, None),
        ("variables --kv -s api", "railway.variable.list", "read", None, None, None),
        ("connect postgres", "railway.connect", "read", None, None, None),
        ("service logs -s api", "railway.service.read", "read", None, None, None),
        ("volume list --json", "railway.volume.read", "read", None, None, None),
        ("project list", "railway.project.list", "read", None, None, None),
        ("deployment list", "railway.deployment.list", "read", None, None, None),
        ("bucket credentials", "railway.bucket.read", "read", None, None, None),
        ("run npm start", "railway.run", "write", None, None, None),
        ("local -- rm -rf /", "railway.run", "write", None, None, None),
        ("shell", "railway.shell", "write", None, None, None),
        ("some-new-command --flag", "railway.other", "write", None, None, None),
    ],
)  # fmt: skip
def test_cli_rules(tmp_path, argv, verb, risk, kind, name, locator):
    targets, c = run(tmp_path, *argv.split())
    (t,) = targets
    assert t.verb == verb
    assert t.risk == Risk.parse(risk)
    assert t.tool == "railway"
    if kind is not None:
        assert t.kind == kind
    if name is not None:
        assert t.name == name
    if locator is not None:
        assert t.locator == locator
    assert c.flags == []


def test_delete_without_a_target_is_unresolved(tmp_path):
    (t,) = run(tmp_path, "volume", "delete", "--yes")[0]
    assert t.risk == Risk.CATASTROPHIC and t.unresolved
    (t,) = run(tmp_path, "down")[0]
    assert t.unresolved


def test_run_does_not_recurse_into_the_inner_command(tmp_path):
    targets, _ = run(tmp_path, "run", "curl", "-X", "DELETE", "https://api.io/x")
    assert [(t.verb, t.risk) for t in targets] == [("railway.run", Risk.WRITE)]


def test_environment_option_lands_in_the_detail(tmp_path):
    (t,) = run(tmp_path, "service", "delete", "-s", "api", "-e", "production", "-y")[0]
    assert "environment production" in t.detail


def test_ssh_with_a_command_is_destructive(tmp_path):
    (t,) = run(tmp_path, "ssh", "-s", "api", "--", "rm", "-rf", "/data")[0]
    assert (t.verb, t.risk, t.kind, t.name) == (
        "railway.ssh.exec",
        Risk.DESTRUCTIVE,
        "service",
        "api",
    )
    assert "rm -rf /data" in t.detail
    (t,) = run(tmp_path, "ssh")[0]
    assert (t.verb, t.risk) == ("railway.ssh", Risk.WRITE)


def test_connect_fed_from_stdin_is_destructive(tmp_path):
    (t,) = run(tmp_path, "connect", "postgres", stdin="DROP TABLE users;")[0]
    assert t.risk == Risk.DESTRUCTIVE
    (t,) = run(tmp_path, "connect", stdin_unknown=True)[0]
    assert t.risk == Risk.DESTRUCTIVE


def test_dynamic_subcommand_is_held(tmp_path):
    targets, c = run(tmp_path, DYNAMIC, "delete")
    (t,) = targets
    assert t.risk == Risk.DESTRUCTIVE and t.unresolved
    assert [f.kind for f in c.flags] == ["unparsed"]


def test_user_rules_come_first(tmp_path):
    custom = RailwayPack(
        name="railway",
        programs=("railway",),
        rules=PACK.rules,
        kind=PACK.kind,
        takes_value=PACK.takes_value,
        default=PACK.default,
        user_rules=(rule("railway.logs.custom", "write", "logs"),),
    )
    (t,) = custom.classify(cmd("railway", "logs"), ctx(tmp_path))
    assert t.verb == "railway.logs.custom"


# railway api: raw GraphQL through the CLI


def test_api_mutation(tmp_path):
    targets, c = run(tmp_path, "api", 'mutation { volumeDelete(volumeId: "3d2c42fb") }')
    (t,) = targets
    assert (t.verb, t.risk, t.locator) == (
        "railway.volumeDelete",
        Risk.CATASTROPHIC,
        "railway:volume:3d2c42fb",
    )
    assert c.flags == []


def test_api_variables(tmp_path):
    doc = "mutation($id: String!) { volumeDelete(volumeId: $id) }"
    (t,) = run(tmp_path, "api", doc, "--variables", '{"id": "v1"}')[0]
    assert t.name == "v1"
    (t,) = run(tmp_path, "api", doc, "--var", "id=v2")[0]
    assert t.name == "v2"
    (t,) = run(tmp_path, "api", doc, "--raw-var", "id=v3")[0]
    assert t.name == "v3"
    (tmp_path / "vars.json").write_text('{"id": "v4"}')
    (t,) = run(tmp_path, "api", doc, "--variables", "@vars.json")[0]
    assert t.name == "v4"
    (t,) = run(tmp_path, "api", doc)[0]
    assert (t.name, t.unresolved) == ("?", True)


def test_api_document_from_file_and_stdin(tmp_path):
    (tmp_path / "q.graphql").write_text('mutation { projectDelete(id: "p1") }')
    (t,) = run(tmp_path, "api", "-f", "q.graphql")[0]
    assert (t.verb, t.name) == ("railway.projectDelete", "p1")
    (t,) = run(tmp_path, "api", stdin='mutation { serviceDelete(id: "s1") }')[0]
    assert (t.verb, t.name) == ("railway.serviceDelete", "s1")


@pytest.mark.parametrize(
    ("argv", "kw"),
    [
        (["api", "mutation { volumeDelete("], {}),
        (["api"], {"stdin_unknown": True}),
        (["api", "-f", "missing.graphql"], {}),
        (["api", "mutation { a }", "--variables", "@missing.json"], {}),
        (["api", DYNAMIC], {}),
    ],
)
def test_api_unknowns_are_held(tmp_path, argv, kw):
    targets, c = run(tmp_path, *argv, **kw)
    assert max(t.risk for t in targets) >= Risk.DESTRUCTIVE
    assert [f.kind for f in c.flags] == ["unparsed"]


def test_api_schema_is_a_read(tmp_path):
    (t,) = run(tmp_path, "api", "search", "volume")[0]
    assert t.risk == Risk.READ


# --------------------------------------------------------------------------------------------
# GraphQL API

PATCH_DOC = (
    'mutation($p: EnvironmentConfig!) { environmentPatchCommit(environmentId: "e1", patch: $p) }'
)


@pytest.mark.parametrize(
    ("doc", "verb", "risk", "kind", "name"),
    [
        ('mutation { volumeDelete(volumeId: "v1") }', "railway.volumeDelete", "catastrophic",
         "volume", "v1"),
        ('mutation { environmentDelete(id: "e1") }', "railway.environmentDelete", "catastrophic",
         "environment", "e1"),
        ('mutation { projectDelete(id: "p1") }', "railway.projectDelete", "catastrophic",
         "project", "p1"),
        ('mutation { serviceDelete(id: "s1", environmentId: "e") }', "railway.serviceDelete",
         "destructive", "service", "s1"),
        ('mutation { volumeInstanceBackupDelete(volumeInstanceId: "vi", '
         'volumeInstanceBackupId: "b1") { workflowId } }', "railway.volumeInstanceBackupDelete",
         "destructive", "backup", "b1"),
        ('mutation { deploymentRemove(id: "d1") }', "railway.deploymentRemove", "destructive",
         "deployment", "d1"),
        ('mutation { variableDelete(input: {projectId: "p", environmentId: "e", name: "K"}) }',
         "railway.variableDelete", "destructive", "variable", "K"),
        ('mutation { customDomainDelete(id: "cd1") }', "railway.customDomainDelete",
         "destructive", "domain", "cd1"),
        ('mutation { customDomainCreate(input: {domain: "a.io", projectId: "p"}) { id } }',
         "railway.customDomainCreate", "write", "domain", "a.io"),
        ('mutation { variableUpsert(input: {name: "K", value: "v"}) }', "railway.variableUpsert",
         "write", "variable", "K"),
        ('mutation { serviceCreate(input: {name: "api", projectId: "p"}) { id } }',
         "railway.serviceCreate", "write", "service", "api"),
        ('mutation { deploymentRedeploy(id: "d1") { id } }', "railway.deploymentRedeploy",
         "write", "deployment", "d1"),
        ('query { project(id: "p1") { name } }', "railway.project", "read", "project", "p1"),
        ("query { me { email } }", "railway.me", "read", "railway", "me"),
        ('mutation { widgetFrobnicate(id: "w1") }', "railway.widgetFrobnicate", "write",
         "railway", "w1"),
        ('mutation { volumeWipe(volumeId: "v9") }', "railway.volumeWipe", "destructive", "volume",
         "v9"),
        ('mutation { gadgetDelete(id: "g") }', "railway.gadgetDelete", "destructive", "railway",
         "g"),
    ],
)  # fmt: skip
def test_graphql_fields(tmp_path, doc, verb, risk, kind, name):
    targets, c = gql(tmp_path, doc)
    (t,) = targets
    assert (t.verb, t.risk, t.kind, t.name) == (verb, Risk.parse(risk), kind, name)
    assert t.tool == "railway"
    assert not t.unresolved
    assert c.flags == []


def test_table_risks_match_the_brief():
    catastrophic = {"volumeDelete", "environmentDelete", "projectDelete"}
    destructive = {
        "serviceDelete",
        "volumeInstanceBackupDelete",
        "deploymentRemove",
        "variableDelete",
        "customDomainDelete",
    }
    write = {"customDomainCreate", "variableUpsert", "serviceCreate", "deploymentRedeploy"}
    assert all(FIELDS[n].risk == Risk.CATASTROPHIC for n in catastrophic)
    assert all(FIELDS[n].risk == Risk.DESTRUCTIVE for n in destructive)
    assert all(FIELDS[n].risk == Risk.WRITE for n in write)


def test_id_through_variables_and_input(tmp_path):
    (t,) = gql(
        tmp_path,
        "mutation($id: String!) { volumeDelete(volumeId: $id) }",
        {"id": "3d2c42fb"},
    )[0]
    assert (t.name, t.locator) == ("3d2c42fb", "railway:volume:3d2c42fb")
    (t,) = gql(tmp_path, 'mutation { volumeDelete(input: {volumeId: "v7"}) }')[0]
    assert t.name == "v7"


def test_missing_id_is_unresolved(tmp_path):
    (t,) = gql(tmp_path, "mutation($id: String!) { volumeDelete(volumeId: $id) }")[0]
    assert (t.name, t.unresolved, t.risk) == ("?", True, Risk.CATASTROPHIC)
    (t,) = gql(tmp_path, "mutation { volumeDelete }")[0]
    assert (t.name, t.unresolved) == ("?", True)


def test_dynamic_id_is_unresolved(tmp_path):
    (t,) = gql(tmp_path, f'mutation {{ volumeDelete(volumeId: "{DYNAMIC}") }}')[0]
    assert t.unresolved and t.name == "$?" and t.risk == Risk.CATASTROPHIC


def test_dynamic_mutation_name_is_catastrophic_and_held(tmp_path):
    targets, c = gql(tmp_path, f'mutation {{ {DYNAMIC}(id: "x") }}')
    (t,) = targets
    assert t.risk == Risk.CATASTROPHIC and t.unresolved
    assert [f.kind for f in c.flags] == ["unparsed"]


def test_batch_ids_give_one_target_each(tmp_path):
    doc = (
        'mutation { volumeInstanceBackupBatchDelete(volumeInstanceId: "vi", '
        'volumeInstanceBackupIds: ["b1", "b2"]) { workflowId } }'
    )
    targets, _ = gql(tmp_path, doc)
    assert [t.name for t in targets] == ["b1", "b2"]


def test_environment_patch_deleting_a_volume_is_catastrophic(tmp_path):
    doc = PATCH_DOC
    patch = {"volumes": {"3d2c42fb": {"isDeleted": True}}, "services": {"s1": {"isDeleted": True}}}
    targets, _ = gql(tmp_path, doc, {"p": patch})
    by_kind = {t.kind: t for t in targets}
    assert by_kind["volume"].risk == Risk.CATASTROPHIC
    assert by_kind["volume"].locator == "railway:volume:3d2c42fb"
    assert by_kind["service"].risk == Risk.DESTRUCTIVE
    assert by_kind["environment"].risk == Risk.WRITE


def test_environment_patch_not_visible_is_held(tmp_path):
    doc = PATCH_DOC
    targets, c = gql(tmp_path, doc)
    assert max(t.risk for t in targets) >= Risk.DESTRUCTIVE
    assert [f.kind for f in c.flags] == ["unparsed"]


def test_variable_collection_replace_is_destructive(tmp_path):
    doc = 'mutation { variableCollectionUpsert(input: {environmentId: "e1", replace: true}) }'
    (t,) = gql(tmp_path, doc)[0]
    assert t.risk == Risk.DESTRUCTIVE and t.name == "e1"


def test_cli_and_api_share_locators(tmp_path):
    (cli,) = run(tmp_path, "volume", "delete", "--volume", "3d2c42fb")[0]
    (api,) = gql(tmp_path, 'mutation { volumeDelete(volumeId: "3d2c42fb") }')[0]
    assert cli.locator == api.locator == "railway:volume:3d2c42fb"
    assert cli.verb == api.verb == "railway.volumeDelete"
    assert cli.risk == api.risk == Risk.CATASTROPHIC


def test_via_is_recorded(tmp_path):
    c = ctx(tmp_path)
    (t,) = classify_graphql(parse_document("query { me }"), c, via="curl")
    assert "via curl" in t.detail
