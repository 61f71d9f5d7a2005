"""Errors of /v1/graphql: Hasura's messages, codes and paths, always with HTTP 200."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.graphql.conftest import gql, post


def error_of(answer: dict[str, Any]) -> tuple[str, str, str]:
    [error] = answer["errors"]
    return error["message"], error["extensions"]["code"], error["extensions"]["path"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (
            "{ author { id notPresentCol } }",
            ("field \"notPresentCol\" not found in type: 'author'", "validation-failed",
             "$.selectionSet.author.selectionSet.notPresentCol"),
        ),
        ("{ untracked { id } }", ("field \"untracked\" not found in type: 'query_root'", "validation-failed",
                                  "$.selectionSet.untracked")),
        (
            "{ author(where: {name: {_ne: 1}}) { id } }",
            ("field \"_ne\" not found in type: 'String_comparison_exp'", "validation-failed",
             "$.selectionSet.author.args.where.name._ne"),
        ),
        ("{ article(limit: -1) { id } }", ("unexpected negative value", "not-supported",
                                           "$.selectionSet.article.args.limit")),
        ('{ article(limit: "x") { id } }', ('expecting Integer value for "limit"', "validation-failed",
                                            "$.selectionSet.article.args.limit")),
        ("{ author { id @exclude } }", ('directive "exclude" is not defined in the schema', "validation-failed",
                                        "$.selectionSet.author.selectionSet")),
        ("query @include(if: true) { author { id } }", ('directive "include" is not allowed on a query',
                                                         "validation-failed", "$")),
        (
            "{ article(distinct_on: [author_id], order_by: {id: asc}) { id } }",
            ('"distinct_on" columns must match initial "order_by" columns', "validation-failed",
             "$.selectionSet.article.args"),
        ),
        ("{ author { id ", ("not a valid graphql query", "validation-failed", "$.query")),
        (
            "{ author { ...F } } fragment F on author { articles { ...G } } fragment G on article { author { ...F } }",
            ('cannot spread fragment "F" within itself via G,F', "validation-failed",
             "$.selectionSet.author.selectionSet.F.selectionSet.articles.selectionSet.G.selectionSet.author.selectionSet"),
        ),
        (r'{ author(where: {name: {_like: "An\\"}}) { id } }', ("LIKE pattern must not end with escape character",
                                                               "bad-request", "$")),
    ],
)  # fmt: skip
async def test_error_messages(schema: httpx.AsyncClient, query: str, expected: tuple[str, str, str]) -> None:
    assert error_of(await gql(schema, query)) == expected


async def test_variable_errors(schema: httpx.AsyncClient) -> None:
    query = "query ($id: Int!) { author_by_pk(id: $id) { id } }"
    message, code, _ = error_of(await gql(schema, query, {}))
    assert (message, code) == ('expecting a value for non-nullable variable: "id"', "validation-failed")
    _, code, _ = error_of(await gql(schema, query, {"id": "abc"}))
    assert code == "validation-failed"


async def test_data_exception(schema: httpx.AsyncClient) -> None:
    query = 'query ($a: Int) { author(where: {age: {_eq: $a}, big: {_eq: "x"}}) { id } }'
    assert error_of(await gql(schema, query, {"a": 1}))[1] == "data-exception"


async def test_bad_bodies(schema: httpx.AsyncClient) -> None:
    response = await schema.post("/v1/graphql", content=b"{nope", headers={"content-type": "application/json"})
    assert response.status_code == 200
    assert response.json()["errors"][0]["extensions"]["code"] == "invalid-json"
    response = await post(schema, "/v1/graphql", {"nope": 1})
    assert response.json()["errors"][0]["extensions"]["code"] == "parse-failed"
    response = await post(schema, "/v1/graphql", {"query": "{ author { id } }", "extensions": {"persistedQuery": {}}})
    assert error_of(response.json()) == ("Automatic Persisted Queries is not enabled", "not-supported", "$")
    response = await post(schema, "/v1/graphql", {"query": "mutation { x }"})
    assert response.json()["errors"][0]["extensions"]["code"] == "validation-failed"


async def test_sql_injection_through_a_variable(schema: httpx.AsyncClient) -> None:
    evil = "Ann'; DROP TABLE author; --"
    query = "query ($n: String!) { author(where: {name: {_eq: $n}}) { id } }"
    assert (await gql(schema, query, {"n": evil}))["data"] == {"author": []}
    query = "query ($n: [String!]!) { author(where: {name: {_in: $n}}) { id } }"
    assert (await gql(schema, query, {"n": ['x"}', "Bob", "{Ann}"]}))["data"] == {"author": [{"id": 2}]}
    assert (await gql(schema, "{ author_by_pk(id: 1) { name } }"))["data"] == {"author_by_pk": {"name": "Ann"}}
