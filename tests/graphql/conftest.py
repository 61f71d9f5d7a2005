"""A small schema for the GraphQL tests: authors, articles, tags, tracked with relationships."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

SCHEMA = """
DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;
CREATE TABLE author (id serial PRIMARY KEY, name text NOT NULL, age int, big bigint, info jsonb);
CREATE TABLE article (
  id serial PRIMARY KEY, title text NOT NULL, rating int,
  published boolean NOT NULL DEFAULT false, author_id int REFERENCES author(id)
);
CREATE TABLE untracked (id int);
INSERT INTO author (name, age, big, info) VALUES
  ('Ann', 30, 9007199254740993, '{"city": "Oslo", "tags": ["a", "b"]}'),
  ('Bob', 40, 1, '{"city": "Rome"}'),
  ('Cid', NULL, NULL, NULL);
INSERT INTO article (title, rating, published, author_id) VALUES
  ('A1', 5, true, 1), ('A2', 3, false, 1), ('B1', 4, true, 2), ('B2', 4, true, 2), ('B3', 1, false, 2);
"""


async def post(client: httpx.AsyncClient, url: str, body: Any, **headers: str) -> httpx.Response:
    return await client.post(url, json=body, headers=headers)


async def gql(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """POST /v1/graphql; asserts HTTP 200 and returns the JSON body."""
    body: dict[str, Any] = {"query": query}
    if variables is not None:
        body["variables"] = variables
    response = await post(client, "/v1/graphql", body, **(headers or {}))
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def metadata(client: httpx.AsyncClient, kind: str, args: dict[str, Any]) -> None:
    response = await post(client, "/v1/metadata", {"type": kind, "args": args})
    assert response.status_code == 200, response.text


async def setup_schema(client: httpx.AsyncClient) -> None:
    await metadata(client, "clear_metadata", {})
    response = await post(client, "/v2/query", {"type": "run_sql", "args": {"sql": SCHEMA}})
    assert response.status_code == 200, response.text
    for table in ("author", "article"):
        await metadata(client, "pg_track_table", {"table": table})
    await metadata(
        client,
        "pg_create_object_relationship",
        {"table": "article", "name": "author", "using": {"foreign_key_constraint_on": "author_id"}},
    )
    await metadata(
        client,
        "pg_create_array_relationship",
        {
            "table": "author",
            "name": "articles",
            "using": {"foreign_key_constraint_on": {"table": "article", "column": "author_id"}},
        },
    )


@pytest.fixture(scope="module")
async def schema(client: httpx.AsyncClient) -> httpx.AsyncClient:
    """The module's client, with the schema above set up once."""
    await setup_schema(client)
    return client
