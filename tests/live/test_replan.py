"""``HASURA_GRAPHQL_CLOSE_WEBSOCKETS_ON_METADATA_CHANGE=false``: a metadata change re-plans
live queries instead of closing connections; one that no longer validates ends with its error."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import httpx
import orjson
import pytest

from livegres.app import create_app
from livegres.auth.session import Session
from livegres.config import Settings
from livegres.graphql import GraphQLRequest
from livegres.live import Sink
from livegres.runtime import Runtime
from tests.live.support import SCHEMA_SQL, blog_commands

USER = Session("user", {"x-hasura-role": "user", "x-hasura-user-id": "1"})


@pytest.fixture(scope="module")
async def replanning(database_url: str) -> AsyncIterator[tuple[Runtime, httpx.AsyncClient]]:
    rt = Runtime(Settings(database_url=database_url, pg_connections=5, close_websockets_on_metadata_change=False))
    await rt.start()
    transport = httpx.ASGITransport(app=create_app(rt, manage_runtime=False))
    async with httpx.AsyncClient(transport=transport, base_url="http://livegres") as client:
        assert (
            await client.post("/v2/query", json={"type": "run_sql", "args": {"sql": SCHEMA_SQL}})
        ).status_code == 200
        assert (await client.post("/v1/metadata", json={"type": "bulk", "args": blog_commands()})).status_code == 200
        yield rt, client
    await rt.stop()


async def test_metadata_change_replans_or_ends_subscriptions(
    replanning: tuple[Runtime, httpx.AsyncClient], database_url: str
) -> None:
    rt, client = replanning
    keeps, loses = Sink(), Sink()
    query = "subscription { article(order_by: {id: asc}, limit: 1) { id } }"
    a = await rt.live.subscribe(GraphQLRequest(query), USER, keeps)
    b = await rt.live.subscribe(GraphQLRequest("subscription { article { title } }"), USER, loses)
    first = orjson.loads((await asyncio.wait_for(keeps.get(), 3)).body)["data"]["article"]
    await asyncio.wait_for(loses.get(), 3)
    table = {"source": "default", "table": {"schema": "public", "name": "article"}}
    own = {"columns": ["id", "author_id"], "filter": {"author_id": {"_eq": "X-Hasura-User-Id"}}}
    commands = [
        {"type": "pg_drop_select_permission", "args": {**table, "role": "user"}},
        {"type": "pg_create_select_permission", "args": {**table, "role": "user", "permission": own}},
    ]
    reply = await client.post("/v1/metadata", json={"type": "bulk", "args": commands})
    assert reply.status_code == 200, reply.text
    ended = await asyncio.wait_for(loses.get(), 5)
    assert ended.kind == "error"
    assert orjson.loads(ended.body)[0]["extensions"]["code"] == "validation-failed"
    db = await asyncpg.connect(database_url)
    try:
        await db.execute("DELETE FROM article WHERE id = (SELECT min(id) FROM article WHERE author_id = 1)")
    finally:
        await db.close()
    while True:  # the re-planned subscription first gets the current result again
        pushed = await asyncio.wait_for(keeps.get(), 5)
        assert pushed.kind == "data"
        if orjson.loads(pushed.body)["data"]["article"] != first:
            break
    rt.live.unsubscribe(a)
    rt.live.unsubscribe(b)
