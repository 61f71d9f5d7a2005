"""Streaming subscriptions (``<table>_stream``), in process against the real database."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import httpx
import orjson
import pytest

from livegres.auth.session import Session
from livegres.graphql import GraphQLRequest
from livegres.live import Sink
from livegres.runtime import Runtime

SCHEMA = """
CREATE TABLE event (id serial PRIMARY KEY, kind text NOT NULL, at timestamptz NOT NULL DEFAULT now());
INSERT INTO event (kind) SELECT CASE WHEN i % 2 = 0 THEN 'even' ELSE 'odd' END FROM generate_series(1, 7) i;
"""
ADMIN = Session("admin", {})


@pytest.fixture(scope="module")
async def events(runtime: Runtime, client: httpx.AsyncClient) -> AsyncIterator[Runtime]:
    reply = await client.post("/v2/query", json={"type": "run_sql", "args": {"sql": SCHEMA}})
    assert reply.status_code == 200, reply.text
    body = {"type": "pg_track_table", "args": {"source": "default", "table": {"schema": "public", "name": "event"}}}
    reply = await client.post("/v1/metadata", json=body)
    assert reply.status_code == 200, reply.text
    await asyncio.sleep(0.2)
    yield runtime


async def _rows(sink: Sink, key: str = "s", timeout: float = 3.0) -> list[dict[str, object]]:
    message = await asyncio.wait_for(sink.get(), timeout)
    assert message.kind == "data", message
    rows: list[dict[str, object]] = orjson.loads(message.body)["data"][key]
    return rows


async def test_existing_rows_in_batches_then_new_rows(events: Runtime, database_url: str) -> None:
    sink = Sink()
    query = "subscription ($n: Int!) { s: event_stream(batch_size: $n, cursor: {initial_value: {id: 0}}) { id kind } }"
    sub = await events.live.subscribe(GraphQLRequest(query, {"n": 3}), ADMIN, sink)
    try:
        assert [r["id"] for r in await _rows(sink)] == [1, 2, 3]
        assert [r["id"] for r in await _rows(sink)] == [4, 5, 6]
        assert [r["id"] for r in await _rows(sink)] == [7]
        with pytest.raises(TimeoutError):  # no empty batches
            await asyncio.wait_for(sink.get(), 0.3)
        db = await asyncpg.connect(database_url)
        try:
            new = await db.fetchval("INSERT INTO event (kind) VALUES ('new') RETURNING id")
        finally:
            await db.close()
        assert await _rows(sink) == [{"id": new, "kind": "new"}]
    finally:
        events.live.unsubscribe(sub)


async def test_descending_cursor_with_where(events: Runtime) -> None:
    sink = Sink()
    query = (
        "subscription { s: event_stream(batch_size: 2, cursor: [{initial_value: {id: 6}, ordering: DESC}],"
        ' where: {kind: {_eq: "odd"}}) { id } }'
    )
    sub = await events.live.subscribe(GraphQLRequest(query), ADMIN, sink)
    try:
        assert await _rows(sink) == [{"id": 5}, {"id": 3}]
        assert await _rows(sink) == [{"id": 1}]
    finally:
        events.live.unsubscribe(sub)


async def test_slow_stream_consumer_loses_no_batch(events: Runtime) -> None:
    sink = Sink()
    query = "subscription { s: event_stream(batch_size: 1, cursor: {initial_value: {id: 0}}) { id } }"
    sub = await events.live.subscribe(GraphQLRequest(query), ADMIN, sink)
    try:
        await asyncio.sleep(0.5)  # the consumer does not read: the cursor waits for it
        ids = [(await _rows(sink))[0]["id"] for _ in range(5)]
        assert ids == [1, 2, 3, 4, 5]
        assert sink.replaced == 0
    finally:
        events.live.unsubscribe(sub)


async def test_stream_is_planned_again_when_the_metadata_changes(
    events: Runtime, client: httpx.AsyncClient, database_url: str
) -> None:
    """A stream whose role loses its select permission stops with an error instead of going on
    reading with the permission it started with."""
    permission = {"columns": ["id", "kind"], "filter": {"kind": {"_eq": "odd"}}}
    args = {"table": "event", "role": "reader", "permission": permission}
    reply = await client.post("/v1/metadata", json={"type": "pg_create_select_permission", "args": args})
    assert reply.status_code == 200, reply.text
    reader = Session("reader", {"x-hasura-role": "reader"})
    sink = Sink()
    query = "subscription { s: event_stream(batch_size: 100, cursor: {initial_value: {id: 0}}) { id kind } }"
    sub = await events.live.subscribe(GraphQLRequest(query), reader, sink)
    try:
        assert {r["kind"] for r in await _rows(sink)} == {"odd"}
        drop = {"type": "pg_drop_select_permission", "args": {"table": "event", "role": "reader"}}
        reply = await client.post("/v1/metadata", json=drop)
        assert reply.status_code == 200, reply.text
        message = await asyncio.wait_for(sink.get(), 5)
        assert message.kind == "error", message
        db = await asyncpg.connect(database_url)
        try:
            await db.execute("INSERT INTO event (kind) VALUES ('odd')")
        finally:
            await db.close()
        with pytest.raises(TimeoutError):  # nothing more after the error
            await asyncio.wait_for(sink.get(), 0.5)
    finally:
        events.live.unsubscribe(sub)
