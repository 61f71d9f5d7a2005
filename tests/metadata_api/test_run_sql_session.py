"""Pooled connections are not reset between requests, so ``run_sql`` must not leave an admin's
session changes (settings, cursors, listeners, session locks) behind for later requests."""

from __future__ import annotations

import httpx

from tests.metadata_api.helpers import ok


async def run_sql(client: httpx.AsyncClient, sql: str) -> object:
    body = {"type": "run_sql", "args": {"sql": sql}}
    return (await ok(client, body, "/v2/query"))["result"]


async def test_settings_changed_by_run_sql_do_not_leak(client: httpx.AsyncClient) -> None:
    await run_sql(client, "SET TimeZone = 'Asia/Tokyo'; SET search_path = nowhere")
    for _ in range(5):  # whichever pooled connection answers
        assert await run_sql(client, "SELECT current_setting('TimeZone'), current_setting('search_path')") == [
            ["current_setting", "current_setting"],
            ["UTC", '"$user", public'],
        ]
    await run_sql(client, "DROP TABLE IF EXISTS stamp; CREATE TABLE stamp (id int PRIMARY KEY, at timestamptz)")
    await run_sql(client, "INSERT INTO stamp VALUES (1, '2020-01-01T00:00:00Z')")
    await ok(client, {"type": "pg_track_table", "args": {"table": "stamp"}}, "/v1/metadata")
    await run_sql(client, "SET TimeZone = 'Asia/Tokyo'")
    answer = (await client.post("/v1/graphql", json={"query": "{ stamp { at } }"})).json()
    assert answer == {"data": {"stamp": [{"at": "2020-01-01T00:00:00+00:00"}]}}


async def test_session_locks_taken_by_run_sql_are_released(client: httpx.AsyncClient) -> None:
    await run_sql(client, "SELECT pg_advisory_lock(4242)")
    held = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = 4242"
    assert await run_sql(client, held) == [["count"], ["0"]]
