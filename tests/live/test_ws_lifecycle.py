"""Connection lifecycle on a server with JWT authentication: the session comes from
``connection_init`` headers, a connection whose JWT expires is closed, and a metadata change
closes WebSockets with 1012 (``HASURA_GRAPHQL_CLOSE_WEBSOCKETS_ON_METADATA_CHANGE``)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import jwt
import pytest
import websockets

from tests.live.support import SCHEMA_SQL, Client, blog_commands, ws_url
from tests.support.server import LivegresProcess

SECRET = "admin-secret-for-tests"
KEY = "a-jwt-signing-key-of-at-least-32-characters"
ADMIN = {"x-hasura-admin-secret": SECRET}


def _token(user_id: int, expires_in: float) -> str:
    claims = {
        "sub": str(user_id),
        "exp": int(time.time() + expires_in),
        "https://hasura.io/jwt/claims": {
            "x-hasura-default-role": "user",
            "x-hasura-allowed-roles": ["user"],
            "x-hasura-user-id": str(user_id),
        },
    }
    return jwt.encode(claims, KEY, algorithm="HS256")


@pytest.fixture(scope="module")
def jwt_server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LivegresProcess]:
    env = {
        "HASURA_GRAPHQL_ADMIN_SECRET": SECRET,
        "HASURA_GRAPHQL_JWT_SECRET": json.dumps({"type": "HS256", "key": KEY}),
    }
    log: Path = tmp_path_factory.mktemp("jwt") / "livegres.log"
    with LivegresProcess(["--database-url", database_url], env=env, log_path=log) as proc:
        reply = httpx.post(proc.url + "/v2/query", json={"type": "run_sql", "args": {"sql": SCHEMA_SQL}}, headers=ADMIN)
        assert reply.status_code == 200, reply.text
        reply = httpx.post(proc.url + "/v1/metadata", json={"type": "bulk", "args": blog_commands()}, headers=ADMIN)
        assert reply.status_code == 200, reply.text
        yield proc


async def test_jwt_session_from_connection_init(jwt_server: LivegresProcess) -> None:
    client = await Client.open(jwt_server.url, headers={"Authorization": "Bearer " + _token(3, 60)})
    try:
        await client.subscribe("1", "subscription { article { author_id } }")
        rows = (await client.next_data("1"))["data"]["article"]
        assert rows and {r["author_id"] for r in rows} == {3}
    finally:
        await client.close()


async def test_bad_credentials_close_4403(jwt_server: LivegresProcess) -> None:
    conn = await websockets.connect(ws_url(jwt_server.url), subprotocols=["graphql-transport-ws"])  # type: ignore[list-item]
    await conn.send(json.dumps({"type": "connection_init", "payload": {"headers": {"Authorization": "Bearer nope"}}}))
    with pytest.raises(websockets.ConnectionClosed):
        await asyncio.wait_for(conn.recv(), 5)
    assert conn.close_code == 4403


async def test_expired_jwt_closes_the_connection(jwt_server: LivegresProcess) -> None:
    client = await Client.open(jwt_server.url, headers={"Authorization": "Bearer " + _token(2, 2)})
    await client.subscribe("1", "subscription { article { id } }")
    await client.next_data("1")
    with pytest.raises(websockets.ConnectionClosed):
        for _ in range(10):
            await client.receive(timeout=6)
    assert client.conn.close_code == 4403


async def test_metadata_change_closes_with_1012(jwt_server: LivegresProcess) -> None:
    client = await Client.open(jwt_server.url, headers=ADMIN)
    await client.subscribe("1", "subscription { author(where: {id: {_eq: 1}}) { id } }")
    await client.next_data("1")
    body = {"type": "pg_drop_select_permission", "args": {"table": "author", "role": "user"}}
    reply = httpx.post(jwt_server.url + "/v1/metadata", json=body, headers=ADMIN)
    assert reply.status_code == 200, reply.text
    with pytest.raises(websockets.ConnectionClosed):
        for _ in range(10):
            await client.receive(timeout=5)
    assert client.conn.close_code == 1012
