from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from airlock.action import Risk
from airlock.classify.command import DYNAMIC, ClassifyContext
from airlock.classify.graphql import (
    UNKNOWN,
    GraphQLParseError,
    classify_fields,
    field_risk,
    is_unknown,
    looks_destructive,
    operations_from_json,
    parse_document,
    parse_operations,
)


def ctx(tmp_path) -> ClassifyContext:
    return ClassifyContext(cwd=str(tmp_path), home="/root")


def test_root_fields_and_literal_arguments():
    fields = parse_document('mutation { volumeDelete(volumeId: "3d2c42fb") }')
    assert len(fields) == 1
    f = fields[0]
    assert (f.operation, f.name) == ("mutation", "volumeDelete")
    assert f.arguments == {"volumeId": "3d2c42fb"}
    assert f.arg("volumeId") == "3d2c42fb"


def test_only_root_fields_count():
    fields = parse_document("{ me { projects { edges { node { id } } } } }")
    assert [(f.operation, f.name) for f in fields] == [("query", "me")]


def test_variables_resolve_arguments():
    doc = "mutation($id: String!) { volumeDelete(volumeId: $id) }"
    (f,) = parse_document(doc, {"id": "3d2c42fb"})
    assert f.arg("volumeId") == "3d2c42fb"


def test_variable_default_value_applies_and_given_value_wins():
    doc = 'mutation($id: String = "dflt") { volumeDelete(volumeId: $id) }'
    assert parse_document(doc)[0].arg("volumeId") == "dflt"
    assert parse_document(doc, {"id": "given"})[0].arg("volumeId") == "given"


def test_missing_variable_is_unknown():
    (f,) = parse_document("mutation($id: String!) { volumeDelete(volumeId: $id) }")
    assert f.arg("volumeId") is UNKNOWN
    assert is_unknown(f.arguments)


def test_nested_input_objects_lists_and_scalars():
    doc = """mutation { variableDelete(input: {name: "A", n: 3, f: 1.5, ok: true,
              e: PROD, none: null, ids: ["a", "b"]}) }"""
    (f,) = parse_document(doc)
    assert f.arg("input.name") == "A"
    assert f.arg("input") == {
        "name": "A",
        "n": 3,
        "f": 1.5,
        "ok": True,
        "e": "PROD",
        "none": None,
        "ids": ["a", "b"],
    }
    assert f.arg("input.missing") is None
    assert f.arg("input.name.deeper") is None


def test_fragments_and_inline_fragments_at_the_root_expand():
    doc = """
    mutation M { ...Danger ... on Mutation { serviceDelete(id: "s") } }
    fragment Danger on Mutation { volumeDelete(volumeId: "v") }
    """
    names = [f.name for f in parse_document(doc)]
    assert names == ["volumeDelete", "serviceDelete"]


def test_self_referencing_fragment_does_not_loop():
    doc = "query { ...A } fragment A on Query { me ...A }"
    assert [f.name for f in parse_document(doc)] == ["me"]


def test_unknown_fragment_is_an_error():
    with pytest.raises(GraphQLParseError):
        parse_document("mutation { ...Nope }")


def test_aliases_keep_the_real_field_name():
    (f,) = parse_document('mutation { harmless: volumeDelete(volumeId: "v") }')
    assert f.name == "volumeDelete"
    assert f.alias == "harmless"


def test_every_operation_counts_unless_operation_name_picks_one():
    doc = 'query Q { me } mutation M { volumeDelete(volumeId: "v") }'
    assert [f.name for f in parse_document(doc)] == ["me", "volumeDelete"]
    assert [f.name for f in parse_document(doc, operation_name="Q")] == ["me"]
    # an operation name that matches nothing: the server errors, we stay pessimistic
    assert len(parse_document(doc, operation_name="Nope")) == 2


@pytest.mark.parametrize(
    "doc",
    [
        "mutation { volumeDelete(volumeId: ",
        "not graphql at all",
        "fragment F on Query { me }",
        "",
        '{"query": "x"}',
    ],
)
def test_invalid_documents_raise(doc):
    with pytest.raises(GraphQLParseError):
        parse_document(doc)


def test_dynamic_argument_is_unknown():
    doc = f'mutation {{ volumeDelete(volumeId: "{DYNAMIC}") }}'
    (f,) = parse_document(doc)
    assert is_unknown(f.arg("volumeId"))
    assert not f.dynamic


def test_dynamic_field_name():
    (f,) = parse_document(f"mutation {{ {DYNAMIC}(id: 1) }}")
    assert f.dynamic
    assert f.shown == "$?"
    assert field_risk(f) == Risk.DESTRUCTIVE


@pytest.mark.parametrize(
    "name",
    [
        "volumeDelete",
        "deleteUser",
        "VOLUMEDELETE",
        "removeMember",
        "projectDestroy",
        "dropTable",
        "purgeCache",
        "wipeData",
        "truncateLogs",
        "resetDatabase",
        "revokeToken",
        "delete_user",
    ],
)
def test_destructive_names(name):
    assert looks_destructive(name)


@pytest.mark.parametrize(
    "name", ["createUser", "updateProject", "dropdownOptions", "presetCreate", "serviceConnect"]
)
def test_non_destructive_names(name):
    assert not looks_destructive(name)


def test_field_risk_by_operation():
    fields = parse_document(
        'mutation { volumeDelete(volumeId: "v") serviceCreate(input: {}) }'
        " query { me } subscription { logs }"
    )
    assert [field_risk(f) for f in fields] == [Risk.DESTRUCTIVE, Risk.WRITE, Risk.READ, Risk.READ]


def test_operations_from_json_shapes():
    (op,) = operations_from_json({"query": "{ me }", "variables": {"a": 1}, "operationName": "X"})
    assert (op.query, dict(op.variables or {}), op.operation_name) == ("{ me }", {"a": 1}, "X")
    batch = operations_from_json([{"query": "{ a }"}, {"query": "{ b }"}])
    assert batch is not None and len(batch) == 2
    (encoded,) = operations_from_json({"query": "{ a }", "variables": '{"id": "x"}'})
    assert dict(encoded.variables or {}) == {"id": "x"}
    (persisted,) = operations_from_json({"extensions": {"persistedQuery": {}}})
    assert persisted.query is None
    assert operations_from_json({"name": "x"}) is None
    assert operations_from_json({"query": 3}) is None
    assert operations_from_json("text") is None
    assert operations_from_json([]) is None


def test_parse_operations_rejects_persisted_queries():
    ops = operations_from_json({"extensions": {"persistedQuery": {"sha256Hash": "abc"}}})
    assert ops is not None
    with pytest.raises(GraphQLParseError):
        parse_operations(ops)


def test_classify_fields_generic(tmp_path):
    c = ctx(tmp_path)
    fields = parse_document('mutation { deleteUser(id: "u1") addStar(id: 2) } query { viewer }')
    targets = classify_fields(fields, c, tool="curl", endpoint="https://api.example.com/graphql")
    assert [(t.name, t.risk, t.verb) for t in targets] == [
        ("deleteUser", Risk.DESTRUCTIVE, "graphql.mutation.deleteUser"),
        ("addStar", Risk.WRITE, "graphql.mutation.addStar"),
        ("viewer", Risk.READ, "graphql.query.viewer"),
    ]
    assert all(t.kind == "graphql" and t.tool == "curl" for t in targets)
    assert all(t.locator == "https://api.example.com/graphql" for t in targets)
    assert "u1" in targets[0].detail
    assert c.flags == []


def test_classify_fields_dynamic_mutation_name_is_held(tmp_path):
    c = ctx(tmp_path)
    targets = classify_fields(
        parse_document(f"mutation {{ {DYNAMIC} }}"), c, tool="curl", endpoint="https://x/graphql"
    )
    assert targets[0].risk == Risk.DESTRUCTIVE and targets[0].unresolved
    assert [f.kind for f in c.flags] == ["unparsed"]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_parse_document_only_raises_its_own_error(text):
    with contextlib.suppress(GraphQLParseError):
        parse_document(text)
