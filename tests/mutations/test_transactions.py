"""All mutation fields of a request run in one transaction, through the real server process:
a later failure undoes the earlier fields, and triggers read the session from ``hasura.user``."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest

from tests.live.support import Client
from tests.mutations.conftest import USER, gql, run_sql, setup_schema
from tests.support.server import LivegresProcess


@pytest.fixture(scope="module")
async def live(server: LivegresProcess) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the real ``livegres serve`` process, with the test schema."""
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as c:
        await setup_schema(c)
        yield c


@pytest.fixture
async def fresh(live: httpx.AsyncClient) -> httpx.AsyncClient:
    from tests.mutations.conftest import DATA

    await run_sql(live, DATA)
    return live


async def _state(db: asyncpg.Connection) -> list[tuple[object, ...]]:
    rows = await db.fetch("SELECT 'author', id, name, rating FROM author UNION ALL SELECT 'article', id, title, 0 "
                          "FROM article ORDER BY 1, 2")  # fmt: skip
    return [tuple(r) for r in rows]


async def test_failed_field_rolls_back_every_field(fresh: httpx.AsyncClient, db: asyncpg.Connection) -> None:
    before = await _state(db)
    query = """mutation {
      a: insert_author_one(object: {name: "Cat"}) { id }
      b: update_author(where: {name: {_eq: "Ann"}}, _inc: {rating: 10}) { affected_rows }
      c: delete_article(where: {id: {_eq: 3}}) { affected_rows }
      d: insert_article_one(object: {title: "orphan", author_id: 99}) { id }
    }"""
    answer = await gql(fresh, query)
    assert "data" not in answer
    assert answer["errors"][0]["extensions"]["code"] == "constraint-violation"
    assert answer["errors"][0]["message"].startswith("Foreign key violation. ")
    assert await _state(db) == before
    assert await db.fetchval("SELECT count(*) FROM audit") == 0
    # the same fields without the failing one are all written, in order
    query = query.replace('d: insert_article_one(object: {title: "orphan", author_id: 99}) { id }', "")
    answer = await gql(fresh, query.replace('"Ann"', '"Cat"'))
    # (the failed request used a sequence value: sequences are not transactional)
    new_id = await db.fetchval("SELECT id FROM author WHERE name = 'Cat'")
    assert answer["data"] == {"a": {"id": new_id}, "b": {"affected_rows": 1}, "c": {"affected_rows": 1}}
    assert await db.fetchval("SELECT rating FROM author WHERE name = 'Cat'") == 10


async def test_failed_permission_check_writes_nothing(fresh: httpx.AsyncClient, db: asyncpg.Connection) -> None:
    before = await _state(db)
    query = """mutation {
      a: insert_author_one(object: {name: "Cat", rating: 1}) { id }
      b: insert_author_one(object: {name: "Dan", rating: 11}) { id }
    }"""
    answer = await gql(fresh, query, headers=USER)
    assert answer["errors"][0]["extensions"]["code"] == "permission-error"
    assert answer["errors"][0]["message"] == "check constraint of an insert/update permission has failed"
    assert await _state(db) == before


async def test_trigger_reads_hasura_user(fresh: httpx.AsyncClient, db: asyncpg.Connection) -> None:
    headers = {**USER, "x-hasura-custom": "yes"}
    answer = await gql(fresh, 'mutation { insert_author_one(object: {name: "Cat"}) { id owner } }', headers=headers)
    assert answer["data"] == {"insert_author_one": {"id": 3, "owner": "1"}}
    await gql(fresh, 'mutation { update_author(where: {name: {_eq: "Cat"}}, _set: {rating: 2}) { affected_rows } }')
    rows = await db.fetch("SELECT op, hasura_user::text, user_id FROM audit ORDER BY id")
    assert [(r["op"], json.loads(r["hasura_user"]), r["user_id"]) for r in rows] == [
        ("INSERT", {"x-hasura-role": "user", "x-hasura-user-id": "1", "x-hasura-custom": "yes"}, "1"),
        ("UPDATE", {"x-hasura-role": "admin"}, None),
    ]
    # outside a mutation's transaction the setting is gone
    assert await db.fetchval("SELECT nullif(current_setting('hasura.user', true), '')") is None


async def test_before_trigger_reads_hasura_user(fresh: httpx.AsyncClient, db: asyncpg.Connection) -> None:
    query = """mutation {
      insert_article_one(object: {title: "t", author_id: 1, comments: {data: [{body: "a"}, {body: "b"}]}}) {
        comments(order_by: {id: asc}) { body created_by }
      }
    }"""
    answer = await gql(fresh, query, headers={"x-hasura-user-id": "42"})
    assert answer["data"] == {
        "insert_article_one": {"comments": [{"body": "a", "created_by": "42"}, {"body": "b", "created_by": "42"}]}
    }
    assert await db.fetchval("SELECT count(*) FROM comment WHERE created_by = '42'") == 2


async def test_mutations_over_websocket(
    server: LivegresProcess, fresh: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    for n, protocol in enumerate(("graphql-transport-ws", "graphql-ws")):
        client = await Client.open(server.url, protocol, headers=USER)
        try:
            await client.subscribe(
                "m", "mutation ($n: String!) { insert_author_one(object: {name: $n}) { name owner } }", {"n": f"W{n}"}
            )
            payload = await client.next_data("m")
            assert payload == {"data": {"insert_author_one": {"name": f"W{n}", "owner": "1"}}}
        finally:
            await client.close()
    rows = await db.fetch("SELECT op, hasura_user ->> 'x-hasura-role', user_id FROM audit ORDER BY id")
    assert [tuple(r) for r in rows] == [("INSERT", "user", "1"), ("INSERT", "user", "1")]
    assert await db.fetchval("SELECT count(*) FROM author WHERE name IN ('W0', 'W1')") == 2


async def test_get_requests_cannot_mutate(fresh: httpx.AsyncClient, db: asyncpg.Connection) -> None:
    before = await _state(db)
    query = 'mutation { insert_author_one(object: {name: "Get"}) { id } }'
    response = await fresh.get("/v1/graphql", params={"query": query})
    assert response.status_code == 200
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "method-not-allowed"
    assert await _state(db) == before
    # queries still work over GET
    answer = (await fresh.get("/v1/graphql", params={"query": "{ author(order_by: {id: asc}) { name } }"})).json()
    assert answer == {"data": {"author": [{"name": "Ann"}, {"name": "Bob"}]}}
