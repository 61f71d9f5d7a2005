"""Enum tables (``is_enum``): their rows become a GraphQL enum used by referencing columns."""

from __future__ import annotations

import httpx

from tests.graphql.conftest import gql, metadata, post

SCHEMA = """
DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;
CREATE TABLE colour (value text PRIMARY KEY, comment text);
INSERT INTO colour VALUES ('red', 'Like fire'), ('green', NULL), ('not a name', 'skipped');
CREATE TABLE shirt (id serial PRIMARY KEY, colour text NOT NULL REFERENCES colour(value));
INSERT INTO shirt (colour) VALUES ('red'), ('green'), ('red');
"""


async def test_enum_table_values_are_a_graphql_enum(client: httpx.AsyncClient) -> None:
    await metadata(client, "clear_metadata", {})
    response = await post(client, "/v2/query", {"type": "run_sql", "args": {"sql": SCHEMA}})
    assert response.status_code == 200, response.text
    await metadata(client, "pg_track_table", {"table": "colour", "is_enum": True})
    await metadata(client, "pg_track_table", {"table": "shirt"})
    enum = await gql(client, '{ __type(name: "colour_enum") { kind enumValues { name description } } }')
    assert enum["data"]["__type"] == {
        "kind": "ENUM",
        "enumValues": [{"name": "green", "description": None}, {"name": "red", "description": "Like fire"}],
    }
    field = await gql(client, '{ __type(name: "shirt") { fields { name type { ofType { name } } } } }')
    types = {f["name"]: f["type"]["ofType"]["name"] for f in field["data"]["__type"]["fields"]}
    assert types["colour"] == "colour_enum"
    answer = await gql(client, "{ shirt(where: {colour: {_eq: red}}, order_by: {id: asc}) { id colour } }")
    assert answer == {"data": {"shirt": [{"id": 1, "colour": "red"}, {"id": 3, "colour": "red"}]}}
    wrong = await gql(client, "{ shirt(where: {colour: {_eq: blue}}) { id } }")
    assert wrong["errors"][0]["extensions"]["code"] == "validation-failed"


async def test_new_enum_rows_show_after_reload(client: httpx.AsyncClient) -> None:
    response = await post(
        client, "/v2/query", {"type": "run_sql", "args": {"sql": "INSERT INTO colour VALUES ('blue', NULL)"}}
    )
    assert response.status_code == 200, response.text
    await metadata(client, "reload_metadata", {})
    answer = await gql(client, "{ shirt(where: {colour: {_eq: blue}}) { id } }")
    assert answer == {"data": {"shirt": []}}
