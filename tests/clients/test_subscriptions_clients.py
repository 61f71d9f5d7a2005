"""Real subscription clients against the real server, each seeing an update made by psql:
the graphql-ws client, Apollo Client over WebSocket and over multipart HTTP, the graphql-sse
client (JavaScript, run by Node.js), and Python's gql with its websockets transport."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
from typing import Any

import pytest

from tests.clients.conftest import JsClients
from tests.support.server import LivegresProcess

QUERY = "subscription ($id: Int!) { author(where: {id: {_eq: $id}}) { id name } }"


async def _psql_updates(database_url: str, author_id: int, label: str) -> None:
    """Rename the author with psql once a second until cancelled (the first rename may happen
    before the client has subscribed; any later one is then a change it must see)."""
    n = 0
    while True:
        await asyncio.sleep(1.0)
        n += 1
        sql = f"UPDATE author SET name = '{label} {n}' WHERE id = {author_id}"
        await asyncio.to_thread(
            subprocess.run, ["psql", database_url, "-v", "ON_ERROR_STOP=1", "-qc", sql], check=True, capture_output=True
        )


async def _with_updates(database_url: str, author_id: int, label: str, run: Any) -> Any:
    updater = asyncio.create_task(_psql_updates(database_url, author_id, label))
    try:
        return await run
    finally:
        updater.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await updater


def _names(results: list[dict[str, Any]]) -> list[str]:
    names = []
    for result in results:
        assert not result.get("errors"), result
        [row] = result["data"]["author"]
        names.append(row["name"])
    return names


@pytest.mark.parametrize(
    ("scenario", "extra", "author_id"),
    [
        ("sub_graphql_ws", {}, 1),
        ("sub_apollo", {"link": "ws"}, 2),
        ("sub_apollo", {"link": "multipart"}, 3),
        ("sub_sse", {}, 4),
        ("sub_sse", {"singleConnection": True}, 4),
    ],
    ids=["graphql-ws", "apollo-ws", "apollo-multipart", "graphql-sse", "graphql-sse-single-connection"],
)
async def test_js_client_sees_psql_update(
    js_clients: JsClients,
    blog: LivegresProcess,
    database_url: str,
    scenario: str,
    extra: dict[str, Any],
    author_id: int,
) -> None:
    label = f"{scenario} {extra.get('link', '')} {'single' if extra.get('singleConnection') else ''}".strip()
    payload = {"query": QUERY, "variables": {"id": author_id}, "changes": 1, "timeoutMs": 15000, **extra}
    answer = await _with_updates(
        database_url, author_id, label, js_clients.run(scenario, blog.url, payload, timeout=30)
    )
    assert answer["error"] is None, answer
    names = _names(answer["results"])
    assert len(set(names)) >= 2
    assert names[-1].startswith(label)


async def test_python_gql_websockets_sees_psql_update(blog: LivegresProcess, database_url: str) -> None:
    from gql import Client, gql
    from gql.transport.websockets import WebsocketsTransport

    url = blog.url.replace("http://", "ws://") + "/v1/graphql"
    for protocol in (WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL, WebsocketsTransport.APOLLO_SUBPROTOCOL):
        transport = WebsocketsTransport(url=url, subprotocols=[protocol])
        label = f"gql {protocol}"

        async def collect(transport: WebsocketsTransport = transport) -> list[str]:
            names: list[str] = []
            async with Client(transport=transport) as session:
                request = gql(QUERY)
                request.variable_values = {"id": 1}
                async for result in session.subscribe(request):
                    names.append(result["author"][0]["name"])
                    if len(set(names)) >= 2:
                        return names
            return names

        names = await _with_updates(database_url, 1, label, asyncio.wait_for(collect(), 20))
        assert len(set(names)) >= 2 and names[-1].startswith(label)
