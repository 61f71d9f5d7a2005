"""Subscriptions over HTTP: Server-Sent Events (graphql-sse, distinct connections) and
Apollo's multipart subscriptions, each seeing an update made with a plain SQL connection."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx

from tests.live.support import connect_db
from tests.support.server import LivegresProcess

QUERY = "subscription { author(where: {id: {_eq: 4}}) { id name } }"


async def _sse_events(response: httpx.Response) -> AsyncIterator[tuple[str, str]]:
    event, data = "", ""
    async for line in response.aiter_lines():
        if line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data = line[5:].strip()
        elif line == "" and event:
            yield event, data
            event, data = "", ""


async def test_sse_first_result_then_update(blog: LivegresProcess, database_url: str) -> None:
    async with (
        httpx.AsyncClient(timeout=10) as http,
        http.stream(
            "POST", blog.url + "/v1/graphql", json={"query": QUERY}, headers={"accept": "text/event-stream"}
        ) as r,
    ):
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        events = _sse_events(r)
        kind, data = await anext(events)
        assert kind == "next"
        assert json.loads(data)["data"]["author"][0]["id"] == 4
        db = await connect_db(database_url)
        try:
            await db.execute("UPDATE author SET name = 'sse update' WHERE id = 4")
        finally:
            await db.close()
        kind, data = await anext(events)
        assert (kind, json.loads(data)) == ("next", {"data": {"author": [{"id": 4, "name": "sse update"}]}})


async def test_sse_query_answers_and_completes(blog: LivegresProcess) -> None:
    body = {"query": "query { author(where: {id: {_eq: 1}}) { id } }"}
    async with (
        httpx.AsyncClient(timeout=10) as http,
        http.stream("POST", blog.url + "/v1/graphql", json=body, headers={"accept": "text/event-stream"}) as r,
    ):
        events = [e async for e in _sse_events(r)]
    assert events[0] == ("next", '{"data":{"author":[{"id":1}]}}')
    assert events[-1][0] == "complete"


async def test_sse_invalid_subscription_gets_errors_then_complete(blog: LivegresProcess) -> None:
    body = {"query": "subscription { nope { id } }"}
    async with (
        httpx.AsyncClient(timeout=10) as http,
        http.stream("POST", blog.url + "/v1/graphql", json=body, headers={"accept": "text/event-stream"}) as r,
    ):
        events = [e async for e in _sse_events(r)]
    assert events[0][0] == "next"
    assert json.loads(events[0][1])["errors"][0]["extensions"]["code"] == "validation-failed"
    assert events[-1][0] == "complete"


async def test_plain_post_still_refuses_subscriptions(blog: LivegresProcess) -> None:
    reply = httpx.post(blog.url + "/v1/graphql", json={"query": QUERY}, timeout=10)
    assert reply.status_code == 200
    assert reply.json()["errors"][0]["extensions"]["code"] == "not-supported"


async def test_multipart_first_result_then_update(blog: LivegresProcess, database_url: str) -> None:
    headers = {"accept": 'multipart/mixed;boundary="graphql";subscriptionSpec=1.0,application/json'}
    async with (
        httpx.AsyncClient(timeout=10) as http,
        http.stream("POST", blog.url + "/v1/graphql", json={"query": QUERY}, headers=headers) as r,
    ):
        assert r.headers["content-type"].startswith("multipart/mixed")
        parts = _multipart(r)
        first = await anext(parts)
        assert first["payload"]["data"]["author"][0]["id"] == 4
        db = await connect_db(database_url)
        try:
            await db.execute("UPDATE author SET name = 'multipart update' WHERE id = 4")
        finally:
            await db.close()
        second = await anext(parts)
        assert second == {"payload": {"data": {"author": [{"id": 4, "name": "multipart update"}]}}}


async def _multipart(response: httpx.Response) -> AsyncIterator[dict[str, Any]]:
    """Parts of a multipart/mixed stream with boundary ``graphql``, as Apollo Client reads them."""
    buffer = b""
    async for chunk in response.aiter_bytes():
        buffer += chunk
        while True:
            end = buffer.find(b"\r\n--graphql", 1)
            if end < 0:
                break
            part, buffer = buffer[:end], buffer[end:]
            _head, _, body = part.partition(b"\r\n\r\n")
            if body.strip():
                parsed = json.loads(body)
                if parsed:
                    yield parsed
            if buffer.startswith(b"\r\n--graphql--"):
                return
            buffer = buffer[len(b"\r\n--graphql") :] if buffer.startswith(b"\r\n--graphql") else buffer


async def test_sse_single_connection_mode(blog: LivegresProcess, database_url: str) -> None:
    async with httpx.AsyncClient(base_url=blog.url, timeout=10) as http:
        assert (await http.get("/v1/graphql", headers={"x-graphql-event-stream-token": "unknown"})).status_code == 404
        reserved = await http.put("/v1/graphql")
        assert reserved.status_code == 201
        token = {"x-graphql-event-stream-token": reserved.text}
        async with http.stream("GET", "/v1/graphql", headers={**token, "accept": "text/event-stream"}) as stream:
            events = _sse_events(stream)
            body = {"query": QUERY, "extensions": {"operationId": "op1"}}
            assert (await http.post("/v1/graphql", json=body, headers=token)).status_code == 202
            assert (await http.post("/v1/graphql", json=body, headers=token)).status_code == 409
            kind, data = await anext(events)
            first = json.loads(data)
            assert kind == "next" and first["id"] == "op1" and first["payload"]["data"]["author"][0]["id"] == 4
            db = await connect_db(database_url)
            try:
                await db.execute("UPDATE author SET name = 'single connection' WHERE id = 4")
            finally:
                await db.close()
            kind, data = await anext(events)
            assert json.loads(data) == {
                "id": "op1",
                "payload": {"data": {"author": [{"id": 4, "name": "single connection"}]}},
            }
            assert (await http.delete("/v1/graphql?operationId=op1", headers=token)).status_code == 200
            query = {"query": "query { author(where: {id: {_eq: 1}}) { id } }", "extensions": {"operationId": "q"}}
            assert (await http.post("/v1/graphql", json=query, headers=token)).status_code == 202
            assert await anext(events) == ("next", '{"id":"q","payload":{"data":{"author":[{"id":1}]}}}')
            assert await anext(events) == ("complete", '{"id":"q"}')


async def test_sse_subscription_ends_when_its_jwt_expires(database_url: str, tmp_path: Any) -> None:
    from tests.auth.support import hasura_claims, mint

    key = "k" * 32
    env = {
        "HASURA_GRAPHQL_ADMIN_SECRET": "s3cret",
        "HASURA_GRAPHQL_JWT_SECRET": json.dumps({"type": "HS256", "key": key}),
    }
    proc = LivegresProcess(["--database-url", database_url], env, log_path=tmp_path / "livegres.log")
    proc.start()
    admin = {"x-hasura-admin-secret": "s3cret"}
    try:
        async with httpx.AsyncClient(timeout=10) as http:
            setup = [
                ("/v1/metadata", {"type": "clear_metadata", "args": {}}),
                (
                    "/v2/query",
                    {"type": "run_sql", "args": {"sql": "CREATE TABLE IF NOT EXISTS note (id int PRIMARY KEY)"}},
                ),
                ("/v1/metadata", {"type": "pg_track_table", "args": {"table": "note"}}),
                (
                    "/v1/metadata",
                    {
                        "type": "pg_create_select_permission",
                        "args": {"table": "note", "role": "user", "permission": {"columns": "*", "filter": {}}},
                    },
                ),
            ]
            for url, body in setup:
                reply = await http.post(proc.url + url, json=body, headers=admin)
                assert reply.status_code == 200, reply.text
            token = mint(key, "HS256", hasura_claims("user"), lifetime=2)
            headers = {"accept": "text/event-stream", "authorization": f"Bearer {token}"}
            query = {"query": "subscription { note { id } }"}
            async with http.stream("POST", proc.url + "/v1/graphql", json=query, headers=headers) as r:
                events = [e async for e in _sse_events(r)]
        assert events[0] == ("next", '{"data":{"note":[]}}')
        assert events[1][0] == "next" and json.loads(events[1][1])["errors"][0]["extensions"]["code"] == "invalid-jwt"
        assert events[-1][0] == "complete"
    finally:
        proc.stop()
