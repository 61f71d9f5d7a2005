"""Queries through POST /v1/graphql: selections, arguments, aggregates, fragments, variables."""

from __future__ import annotations

from typing import Any

import httpx

from tests.graphql.conftest import gql, post


async def test_columns_and_nested_relationships(schema: httpx.AsyncClient) -> None:
    answer = await gql(
        schema,
        "{ author(order_by: {id: asc}, limit: 2) { id name articles(order_by: {id: asc}) { title author { name } } } }",
    )
    assert answer == {
        "data": {
            "author": [
                {"id": 1, "name": "Ann", "articles": [{"title": "A1", "author": {"name": "Ann"}},
                                                       {"title": "A2", "author": {"name": "Ann"}}]},
                {"id": 2, "name": "Bob",
                 "articles": [{"title": t, "author": {"name": "Bob"}} for t in ("B1", "B2", "B3")]},
            ]
        }
    }  # fmt: skip


async def test_where_order_limit_offset(schema: httpx.AsyncClient) -> None:
    query = """{ article(where: {_and: [{rating: {_gte: 3}}, {title: {_like: "B%"}}]},
                         order_by: [{rating: desc}, {id: asc}], limit: 1, offset: 1) { id } }"""
    assert (await gql(schema, query))["data"] == {"article": [{"id": 4}]}
    query = '{ article(where: {_or: [{id: {_in: [1, 5]}}, {author: {name: {_eq: "Bob"}}, rating: {_lt: 4}}]}) { id } }'
    assert (await gql(schema, query))["data"] == {"article": [{"id": 1}, {"id": 5}]}
    query = "{ author(where: {_not: {age: {_is_null: true}}}, order_by: {id: desc}) { id } }"
    assert (await gql(schema, query))["data"] == {"author": [{"id": 2}, {"id": 1}]}
    query = '{ author(where: {info: {_has_key: "tags"}}) { id info(path: "$.city") } }'
    assert (await gql(schema, query))["data"] == {"author": [{"id": 1, "info": "Oslo"}]}


async def test_distinct_on_and_order_through_relationship(schema: httpx.AsyncClient) -> None:
    query = "{ article(distinct_on: [author_id], order_by: [{author_id: asc}, {rating: desc}]) { id } }"
    assert (await gql(schema, query))["data"] == {"article": [{"id": 1}, {"id": 3}]}
    query = "{ article(order_by: [{author: {name: desc}}, {id: asc}], limit: 2) { id } }"
    assert (await gql(schema, query))["data"] == {"article": [{"id": 3}, {"id": 4}]}
    query = "{ author(order_by: {articles_aggregate: {count: desc}}, limit: 1) { name } }"
    assert (await gql(schema, query))["data"] == {"author": [{"name": "Bob"}]}


async def test_by_pk(schema: httpx.AsyncClient) -> None:
    assert (await gql(schema, "{ author_by_pk(id: 2) { name } }"))["data"] == {"author_by_pk": {"name": "Bob"}}
    assert (await gql(schema, "{ author_by_pk(id: 99) { name } }"))["data"] == {"author_by_pk": None}


async def test_aggregates(schema: httpx.AsyncClient) -> None:
    query = """{ article_aggregate(where: {published: {_eq: true}}) {
        aggregate { count n: count(columns: [author_id], distinct: true) sum { rating } max { title } __typename }
        nodes { id } } }"""
    assert (await gql(schema, query))["data"] == {
        "article_aggregate": {
            "aggregate": {"count": 3, "n": 2, "sum": {"rating": 13}, "max": {"title": "B2"},
                          "__typename": "article_aggregate_fields"},
            "nodes": [{"id": 1}, {"id": 3}, {"id": 4}],
        }
    }  # fmt: skip
    query = "{ author(where: {id: {_eq: 2}}) { articles_aggregate { aggregate { avg { rating } } } } }"
    data = (await gql(schema, query))["data"]
    assert data == {"author": [{"articles_aggregate": {"aggregate": {"avg": {"rating": 3.0}}}}]}


async def test_fragments_directives_aliases_typename(schema: httpx.AsyncClient) -> None:
    query = """
    query Q($skip: Boolean!) {
      __typename
      first: author_by_pk(id: 1) { ...A ... on author { age } n: name @include(if: false) }
      second: author_by_pk(id: 2) { ...A articles(limit: 1) @skip(if: $skip) { id } }
    }
    fragment A on author { id name __typename }
    """
    data = (await gql(schema, query, {"skip": True}))["data"]
    assert data == {
        "__typename": "query_root",
        "first": {"id": 1, "name": "Ann", "__typename": "author", "age": 30},
        "second": {"id": 2, "name": "Bob", "__typename": "author"},
    }
    data = (await gql(schema, query, {"skip": False}))["data"]
    assert data["second"]["articles"] == [{"id": 3}]


async def test_variables_with_defaults_and_structural_variables(schema: httpx.AsyncClient) -> None:
    query = """query ($min: Int = 4, $where: article_bool_exp!, $order: [article_order_by!], $ids: [Int!]) {
        article(where: {_and: [{rating: {_gte: $min}}, $where, {id: {_in: $ids}}]}, order_by: $order) { id } }"""
    variables: dict[str, Any] = {"where": {"published": {"_eq": True}}, "order": [{"id": "desc"}], "ids": [1, 2, 3, 4]}
    answer = await gql(schema, query, variables)
    assert answer.get("data") == {"article": [{"id": 4}, {"id": 3}, {"id": 1}]}, answer
    assert (await gql(schema, query, variables))["data"] == {"article": [{"id": 4}, {"id": 3}, {"id": 1}]}
    variables = {"min": 1, "where": {"published": {"_eq": False}}, "order": [{"id": "asc"}], "ids": [2, 5]}
    assert (await gql(schema, query, variables))["data"] == {"article": [{"id": 2}, {"id": 5}]}


async def test_stringified_and_json_values(schema: httpx.AsyncClient) -> None:
    data = (await gql(schema, "{ author_by_pk(id: 1) { big info } }"))["data"]
    assert data == {"author_by_pk": {"big": 9007199254740993, "info": {"city": "Oslo", "tags": ["a", "b"]}}}


async def test_batching(schema: httpx.AsyncClient) -> None:
    body = [{"query": "{ author_by_pk(id: 1) { id } }"}, {"query": "{ nope }"}]
    response = await post(schema, "/v1/graphql", body)
    answer = response.json()
    assert response.status_code == 200
    assert answer[0] == {"data": {"author_by_pk": {"id": 1}}}
    assert answer[1]["errors"][0]["extensions"]["code"] == "validation-failed"


async def test_operation_name(schema: httpx.AsyncClient) -> None:
    document = "query A { author_by_pk(id: 1) { id } } query B { author_by_pk(id: 2) { id } }"
    response = await post(schema, "/v1/graphql", {"query": document, "operationName": "B"})
    assert response.json() == {"data": {"author_by_pk": {"id": 2}}}
    response = await post(schema, "/v1/graphql", {"query": document})
    assert response.json()["errors"][0]["message"] == (
        "exactly one operation has to be present in the document when operationName is not specified"
    )
    response = await post(schema, "/v1/graphql", {"query": document, "operationName": "C"})
    assert response.json()["errors"][0]["message"] == 'no such operation found in the document: "C"'


async def test_introspection(schema: httpx.AsyncClient) -> None:
    answer = await gql(
        schema, '{ __schema { queryType { name } } t: __type(name: "author") { name } author_by_pk(id: 1) { id } }'
    )
    assert answer == {
        "data": {"__schema": {"queryType": {"name": "query_root"}}, "t": {"name": "author"}, "author_by_pk": {"id": 1}}
    }
    answer = await gql(schema, "query ($n: String!) { __type(name: $n) { fields { name } } }", {"n": "article"})
    names = [f["name"] for f in answer["data"]["__type"]["fields"]]
    assert "author" in names and "title" in names


async def test_get_and_v1alpha1(schema: httpx.AsyncClient) -> None:
    response = await schema.get("/v1/graphql", params={"query": "{ author_by_pk(id: 3) { name } }"})
    assert response.json() == {"data": {"author_by_pk": {"name": "Cid"}}}
    response = await post(schema, "/v1alpha1/graphql", {"query": "{ author_by_pk(id: 3) { name } }"})
    assert response.status_code == 200
    response = await post(schema, "/v1alpha1/graphql", {"query": "{ nope }"})
    assert response.status_code == 400
    assert response.json() == {
        "errors": [{"path": "$.selectionSet.nope", "error": "field \"nope\" not found in type: 'query_root'",
                    "code": "validation-failed"}]
    }  # fmt: skip


async def test_explain(schema: httpx.AsyncClient) -> None:
    body = {"query": {"query": "query ($id: Int!) { a: author_by_pk(id: $id) { name } }", "variables": {"id": 1}}}
    response = await post(schema, "/v1/graphql/explain", body)
    assert response.status_code == 200, response.text
    [entry] = response.json()
    assert entry["field"] == "a" and "SELECT" in entry["sql"]
    assert any("Scan" in line for line in entry["plan"])
