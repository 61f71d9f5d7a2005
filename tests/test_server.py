"""Operational endpoints through the in-process app."""

from __future__ import annotations

import logging

import httpx
import pytest

import livegres


async def test_healthz_answers_ok(client: httpx.AsyncClient) -> None:
    for path in ("/healthz", "/hasura/healthz"):
        response = await client.get(path)
        assert response.status_code == 200
        assert response.text == "OK"


async def test_version(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/version")
    assert response.status_code == 200
    assert response.json() == {"version": livegres.__version__, "server_type": "ce"}


async def test_every_response_has_a_request_id(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert len(response.headers["x-request-id"]) >= 32
    response = await client.get("/healthz", headers={"x-request-id": "abc-123"})
    assert response.headers["x-request-id"] == "abc-123"


async def test_one_json_access_log_line_per_request(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="livegres"):
        await client.get("/v1/version?x=1", headers={"x-request-id": "req-1"})
    records = [r for r in caplog.records if getattr(r, "log_type", None) == "http-log"]
    assert len(records) == 1
    detail = records[0].detail  # type: ignore[attr-defined]
    assert detail["request_id"] == "req-1"
    assert detail["http_info"]["status"] == 200
    assert detail["http_info"]["method"] == "GET"
    assert detail["http_info"]["url"] == "/v1/version?x=1"
    assert detail["operation"]["response_size"] > 0


async def test_unknown_path_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/no/such/path")
    assert response.status_code == 404
