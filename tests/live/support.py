"""Helpers for the live-query tests: schema setup over the metadata API, a small WebSocket
client for both protocols, and psql-like writes through a plain asyncpg connection."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from typing import Any

import asyncpg
import httpx
import websockets

SCHEMA_SQL = """
DROP TABLE IF EXISTS article, author CASCADE;
CREATE TABLE author (id serial PRIMARY KEY, name text NOT NULL);
CREATE TABLE article (
  id serial PRIMARY KEY,
  title text NOT NULL,
  author_id int NOT NULL REFERENCES author(id),
  published boolean NOT NULL DEFAULT true
);
INSERT INTO author (name) SELECT 'author ' || i FROM generate_series(1, 5) i;
INSERT INTO article (title, author_id) SELECT 'article ' || i, 1 + (i % 5) FROM generate_series(1, 20) i;
"""


def metadata(base_url: str, body: Mapping[str, Any]) -> Any:
    reply = httpx.post(base_url + "/v1/metadata", json=body, timeout=30)
    assert reply.status_code == 200, reply.text
    return reply.json()


def run_sql(base_url: str, sql: str) -> Any:
    reply = httpx.post(base_url + "/v2/query", json={"type": "run_sql", "args": {"sql": sql}}, timeout=30)
    assert reply.status_code == 200, reply.text
    return reply.json()


def blog_commands() -> list[dict[str, Any]]:
    """Track the blog tables, their relationships, and the ``user`` role's permissions
    (a user reads only their own articles)."""

    def table(name: str) -> dict[str, Any]:
        return {"source": "default", "table": {"schema": "public", "name": name}}

    own_articles = {"columns": ["id", "title", "author_id"], "filter": {"author_id": {"_eq": "X-Hasura-User-Id"}}}
    return [
        {"type": "pg_track_table", "args": table("author")},
        {"type": "pg_track_table", "args": table("article")},
        {
            "type": "pg_create_object_relationship",
            "args": {**table("article"), "name": "author", "using": {"foreign_key_constraint_on": "author_id"}},
        },
        {
            "type": "pg_create_array_relationship",
            "args": {
                **table("author"),
                "name": "articles",
                "using": {"foreign_key_constraint_on": {"table": "article", "column": "author_id"}},
            },
        },
        {
            "type": "pg_create_select_permission",
            "args": {**table("article"), "role": "user", "permission": own_articles},
        },
        {
            "type": "pg_create_select_permission",
            "args": {**table("author"), "role": "user", "permission": {"columns": ["id", "name"], "filter": {}}},
        },
    ]


def setup_blog(base_url: str) -> None:
    metadata(base_url, {"type": "clear_metadata", "args": {}})
    run_sql(base_url, SCHEMA_SQL)
    metadata(base_url, {"type": "bulk", "args": blog_commands()})


def ws_url(base_url: str) -> str:
    return base_url.replace("http://", "ws://") + "/v1/graphql"


class Client:
    """One WebSocket connection speaking ``graphql-transport-ws`` or legacy ``graphql-ws``."""

    def __init__(self, conn: websockets.ClientConnection, protocol: str) -> None:
        self.conn = conn
        self.protocol = protocol
        self.legacy = protocol == "graphql-ws"

    @classmethod
    async def open(
        cls, base_url: str, protocol: str = "graphql-transport-ws", headers: Mapping[str, str] | None = None
    ) -> Client:
        conn = await websockets.connect(ws_url(base_url), subprotocols=[protocol])  # type: ignore[list-item]
        client = cls(conn, protocol)
        await client.send({"type": "connection_init", "payload": {"headers": dict(headers or {})}})
        ack = await client.receive()
        assert ack["type"] == "connection_ack", ack
        return client

    async def send(self, message: Mapping[str, Any]) -> None:
        await self.conn.send(json.dumps(message))

    async def receive(self, timeout: float = 5.0) -> dict[str, Any]:
        while True:
            raw = await asyncio.wait_for(self.conn.recv(), timeout)
            message: dict[str, Any] = json.loads(raw)
            if message["type"] in ("ka", "ping", "pong"):
                if message["type"] == "ping":
                    await self.send({"type": "pong"})
                continue
            return message

    async def subscribe(self, op_id: str, query: str, variables: Mapping[str, Any] | None = None) -> None:
        payload: dict[str, Any] = {"query": query}
        if variables is not None:
            payload["variables"] = dict(variables)
        await self.send({"type": "start" if self.legacy else "subscribe", "id": op_id, "payload": payload})

    async def stop(self, op_id: str) -> None:
        await self.send({"type": "stop" if self.legacy else "complete", "id": op_id})

    async def next_data(self, op_id: str, timeout: float = 5.0) -> Any:
        message = await self.receive(timeout)
        assert message.get("id") == op_id, message
        assert message["type"] == ("data" if self.legacy else "next"), message
        return message["payload"]

    async def nothing(self, seconds: float) -> None:
        """Assert that no operation message arrives within ``seconds``."""
        try:
            message = await self.receive(seconds)
        except TimeoutError:
            return
        raise AssertionError(f"unexpected message {message}")

    async def close(self) -> None:
        await self.conn.close()


async def connect_db(database_url: str) -> asyncpg.Connection:
    return await asyncpg.connect(database_url)
