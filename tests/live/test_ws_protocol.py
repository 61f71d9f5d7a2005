"""Protocol errors on the WebSocket transports: Hasura's close codes and messages, and the
server and other connections unaffected."""

from __future__ import annotations

import asyncio
import json

import pytest
import websockets

from tests.live.support import Client, ws_url
from tests.support.server import LivegresProcess


async def _raw(base_url: str, protocol: str) -> websockets.ClientConnection:
    return await websockets.connect(ws_url(base_url), subprotocols=[protocol])  # type: ignore[list-item]


async def _closed_with(conn: websockets.ClientConnection) -> tuple[int | None, str | None]:
    with pytest.raises(websockets.ConnectionClosed):
        for _ in range(10):
            await asyncio.wait_for(conn.recv(), 5)
    assert conn.close_code is not None
    return conn.close_code, conn.close_reason


async def test_subscribe_before_init_is_4401(blog: LivegresProcess) -> None:
    conn = await _raw(blog.url, "graphql-transport-ws")
    await conn.send(
        json.dumps({"type": "subscribe", "id": "1", "payload": {"query": "subscription { author { id } }"}})
    )
    assert await _closed_with(conn) == (4401, "Unauthorized")


async def test_invalid_message_is_4400(blog: LivegresProcess) -> None:
    conn = await _raw(blog.url, "graphql-transport-ws")
    await conn.send("not json")
    assert (await _closed_with(conn))[0] == 4400


async def test_second_init_is_4429(blog: LivegresProcess) -> None:
    client = await Client.open(blog.url)
    await client.send({"type": "connection_init"})
    assert await _closed_with(client.conn) == (4429, "Too many initialisation requests")


async def test_duplicate_id_is_4409(blog: LivegresProcess) -> None:
    client = await Client.open(blog.url)
    await client.subscribe("dup", "subscription { author { id } }")
    await client.subscribe("dup", "subscription { author { id } }")
    code, reason = await _closed_with(client.conn)
    assert (code, reason) == (4409, "Subscriber for dup already exists")


async def test_no_init_is_4408(blog: LivegresProcess) -> None:
    conn = await _raw(blog.url, "graphql-transport-ws")
    code, _ = await _closed_with(conn)
    assert code == 4408


async def test_legacy_bad_frames_get_connection_error_and_connection_stays(blog: LivegresProcess) -> None:
    client = await Client.open(blog.url, "graphql-ws")
    await client.conn.send("{not json")
    error = await client.receive()
    assert error["type"] == "connection_error"
    await client.send({"type": "bogus"})
    assert (await client.receive())["type"] == "connection_error"
    await client.subscribe("1", "subscription { author(where: {id: {_eq: 1}}) { id } }")
    assert (await client.next_data("1"))["data"]["author"] == [{"id": 1}]
    await client.close()


async def test_legacy_start_before_init_is_an_error_message(blog: LivegresProcess) -> None:
    conn = await _raw(blog.url, "graphql-ws")
    await conn.send(json.dumps({"type": "start", "id": "1", "payload": {"query": "subscription { author { id } }"}}))
    message = json.loads(await asyncio.wait_for(conn.recv(), 5))
    assert message["type"] == "error" and message["id"] == "1"
    assert message["payload"]["errors"][0]["extensions"]["code"] == "start-failed"
    await conn.close()


@pytest.mark.parametrize("protocol", ["graphql-transport-ws", "graphql-ws"])
async def test_invalid_document_is_an_operation_error(blog: LivegresProcess, protocol: str) -> None:
    client = await Client.open(blog.url, protocol)
    await client.subscribe("bad", "subscription { no_such_table { id } }")
    message = await client.receive()
    assert message["type"] == "error" and message["id"] == "bad"
    errors = message["payload"] if protocol == "graphql-transport-ws" else message["payload"]["errors"]
    assert errors[0]["extensions"]["code"] == "validation-failed"
    # the connection still serves other operations
    await client.subscribe("good", "subscription { author(where: {id: {_eq: 1}}) { id } }")
    assert (await client.next_data("good"))["data"]["author"] == [{"id": 1}]
    await client.close()


@pytest.mark.parametrize("protocol", ["graphql-transport-ws", "graphql-ws"])
async def test_query_over_websocket_answers_once_and_completes(blog: LivegresProcess, protocol: str) -> None:
    client = await Client.open(blog.url, protocol)
    await client.subscribe("q", "query { author(where: {id: {_eq: 3}}) { id name } }")
    data = await client.next_data("q")
    assert data["data"]["author"][0]["id"] == 3
    done = await client.receive()
    assert done == {"type": "complete", "id": "q"}
    await client.close()


async def test_missing_session_variable_is_not_found(blog: LivegresProcess) -> None:
    client = await Client.open(blog.url, headers={"x-hasura-role": "user"})
    await client.subscribe("1", "subscription { article { id } }")
    message = await client.receive()
    assert message["type"] == "error"
    assert message["payload"][0]["extensions"]["code"] == "not-found"
    await client.close()


async def test_oversized_message_closes_only_that_connection(blog: LivegresProcess) -> None:
    other = await Client.open(blog.url)
    big = await Client.open(blog.url)
    await big.conn.send(
        json.dumps({"type": "subscribe", "id": "x", "payload": {"query": "{" + " " * (5 * 1024 * 1024)}})
    )
    code, _ = await _closed_with(big.conn)
    assert code == 1009
    await other.subscribe("1", "subscription { author(where: {id: {_eq: 1}}) { id } }")
    assert (await other.next_data("1"))["data"]["author"] == [{"id": 1}]
    await other.close()


async def test_several_root_fields_need_the_directive(blog: LivegresProcess) -> None:
    client = await Client.open(blog.url, "graphql-ws")
    try:
        await client.subscribe(
            "1", "subscription { a: author(where: {id: {_eq: 1}}) { id } b: article(limit: 1) { id } }"
        )
        message = await client.receive()
        assert message["type"] == "error"
        assert message["payload"]["errors"] == [
            {
                "message": "subscriptions must select one top level field",
                "extensions": {"path": "$", "code": "validation-failed"},
            }
        ]
        query = (
            "subscription @_multiple_top_level_fields { a: author(where: {id: {_eq: 1}}) { id }"
            " b: author(where: {id: {_eq: 2}}) { id } }"
        )
        await client.subscribe("2", query)
        assert (await client.next_data("2")) == {"data": {"a": [{"id": 1}], "b": [{"id": 2}]}}
    finally:
        await client.close()


async def test_legacy_stop_without_id_is_connection_error(blog: LivegresProcess) -> None:
    client = await Client.open(blog.url, "graphql-ws")
    await client.send({"type": "stop"})
    assert (await client.receive())["type"] == "connection_error"
    await client.close()


async def test_graphql_transport_ws_ping_pong(blog: LivegresProcess) -> None:
    client = await Client.open(blog.url)
    await client.send({"type": "ping", "payload": {"x": 1}})
    while True:
        raw = json.loads(await asyncio.wait_for(client.conn.recv(), 5))
        if raw["type"] == "pong":
            assert raw["payload"] == {"x": 1}
            break
    await client.close()


async def test_operation_flood_is_refused_past_the_limit_and_others_unaffected(blog: LivegresProcess) -> None:
    from livegres.server.ws import MAX_OPERATIONS

    flood = await Client.open(blog.url, "graphql-ws")
    other = await Client.open(blog.url)
    try:
        query = "subscription { author(where: {id: {_eq: 1}}) { id } }"
        for i in range(MAX_OPERATIONS + 20):
            await flood.send({"type": "start", "id": f"op{i}", "payload": {"query": query}})
        refused = 0
        data = 0
        while data + refused < MAX_OPERATIONS + 20:
            message = await flood.receive(timeout=30)
            if message["type"] == "error":
                assert message["payload"]["errors"][0]["extensions"]["code"] == "start-failed"
                refused += 1
            elif message["type"] == "data":
                data += 1
        assert refused == 20 and data == MAX_OPERATIONS
        await other.subscribe("1", query)
        assert (await other.next_data("1"))["data"]["author"] == [{"id": 1}]
    finally:
        await flood.close()
        await other.close()
