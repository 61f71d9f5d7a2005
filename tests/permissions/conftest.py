"""Select permission tests: metadata set up over HTTP, GraphQL requests with role headers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

import httpx
import pytest

from tests.support.server import LivegresProcess


@pytest.fixture(scope="module")
async def api(server: LivegresProcess) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client of the module's real ``livegres serve`` process."""
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as c:
        yield c


async def metadata(client: httpx.AsyncClient, kind: str, args: Any) -> Any:
    response = await client.post("/v1/metadata", json={"type": kind, "args": args})
    assert response.status_code == 200, response.text
    return response.json()


async def run_sql(client: httpx.AsyncClient, sql: str) -> Any:
    response = await client.post("/v2/query", json={"type": "run_sql", "args": {"sql": sql}})
    assert response.status_code == 200, response.text
    return response.json()


async def bulk(client: httpx.AsyncClient, steps: list[tuple[str, Any]]) -> None:
    for kind, args in steps:
        await metadata(client, kind, args)


def select_permission(table: str, role: str, **permission: Any) -> tuple[str, Any]:
    return ("pg_create_select_permission", {"table": table, "role": role, "permission": permission})


async def gql(
    client: httpx.AsyncClient,
    query: str,
    role: str | None = None,
    variables: dict[str, Any] | None = None,
    session: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """POST /v1/graphql as ``role`` with the session variables ``session`` (names without the
    ``x-hasura-`` prefix, ``_`` for ``-``: ``User_Id`` is ``X-Hasura-User-Id``); asserts HTTP
    200 and returns the body."""
    headers = {} if role is None else {"X-Hasura-Role": role}
    for key, value in (session or {}).items():
        headers["X-Hasura-" + key.replace("_", "-")] = value
    body: dict[str, Any] = {"query": query}
    if variables is not None:
        body["variables"] = variables
    response = await client.post("/v1/graphql", json=body, headers=headers)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def data(client: httpx.AsyncClient, query: str, role: str | None = None, **session: str) -> Any:
    """The ``data`` of a query that must succeed."""
    answer = await gql(client, query, role, session=session)
    assert "errors" not in answer, answer
    return answer["data"]


async def error(client: httpx.AsyncClient, query: str, role: str | None = None, **session: str) -> dict[str, Any]:
    """The single error of a query that must fail (and return no data)."""
    answer = await gql(client, query, role, session=session)
    assert "data" not in answer, answer
    assert len(answer["errors"]) == 1, answer
    found: dict[str, Any] = answer["errors"][0]
    return found
