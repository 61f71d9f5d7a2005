"""Request helpers shared by the metadata API tests."""

from __future__ import annotations

from typing import Any

import httpx


async def q(client: httpx.AsyncClient, body: Any, url: str = "/v1/query") -> httpx.Response:
    return await client.post(url, json=body)


async def ok(client: httpx.AsyncClient, body: Any, url: str = "/v1/query") -> Any:
    response = await q(client, body, url)
    assert response.status_code == 200, response.text
    return response.json()


async def error(client: httpx.AsyncClient, body: Any, url: str = "/v1/query", status: int = 400) -> Any:
    response = await q(client, body, url)
    assert response.status_code == status, response.text
    return response.json()


async def export(client: httpx.AsyncClient) -> dict[str, Any]:
    body: dict[str, Any] = await ok(client, {"type": "export_metadata", "args": {}}, "/v1/metadata")
    return body
