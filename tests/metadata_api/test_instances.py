"""Several instances on one database, and schema changes made outside Livegres."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from tests.support.postgres import create_database, drop_database
from tests.support.server import LivegresProcess


@pytest.fixture
def two_servers(pg_admin_url: str, tmp_path: Path) -> Iterator[tuple[LivegresProcess, LivegresProcess, str]]:
    import asyncio

    url = asyncio.run(create_database(pg_admin_url))
    first = LivegresProcess(["--database-url", url], log_path=tmp_path / "a.log").start()
    second = LivegresProcess(["--database-url", url], log_path=tmp_path / "b.log").start()
    try:
        yield first, second, url
    finally:
        first.stop()
        second.stop()
        asyncio.run(drop_database(pg_admin_url, url))


def _tables(server: LivegresProcess) -> list[str]:
    body = httpx.post(server.url + "/v1/metadata", json={"type": "export_metadata", "args": {}}).json()
    return [t["table"]["name"] for t in body["sources"][0]["tables"]]


def _wait_for(predicate: object, timeout: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if predicate():  # type: ignore[operator]
            return time.monotonic() - started
        time.sleep(0.02)
    raise AssertionError(f"not true within {timeout}s")


def test_a_change_through_one_instance_is_seen_by_the_other_within_a_second(
    two_servers: tuple[LivegresProcess, LivegresProcess, str],
) -> None:
    first, second, _ = two_servers
    response = httpx.post(
        first.url + "/v2/query", json={"type": "run_sql", "args": {"sql": "CREATE TABLE shared (id int)"}}
    )
    assert response.status_code == 200
    response = httpx.post(first.url + "/v1/metadata", json={"type": "pg_track_table", "args": {"table": "shared"}})
    assert response.status_code == 200, response.text
    changed_at = time.monotonic()
    _wait_for(lambda: _tables(second) == ["shared"], timeout=5)
    assert time.monotonic() - changed_at < 1.0
    # And the other way round, with optimistic concurrency between them.
    version = httpx.post(
        second.url + "/v1/metadata", json={"type": "export_metadata", "version": 2, "args": {}}
    ).json()["resource_version"]
    response = httpx.post(
        second.url + "/v1/metadata",
        json={"type": "pg_untrack_table", "resource_version": version, "args": {"table": "shared"}},
    )
    assert response.status_code == 200, response.text
    _wait_for(lambda: _tables(first) == [], timeout=1)


def test_a_table_dropped_with_psql_is_reported_inconsistent(
    two_servers: tuple[LivegresProcess, LivegresProcess, str],
) -> None:
    import asyncio

    first, _, url = two_servers
    httpx.post(first.url + "/v2/query", json={"type": "run_sql", "args": {"sql": "CREATE TABLE doomed (id int)"}})
    assert (
        httpx.post(first.url + "/v1/metadata", json={"type": "pg_track_table", "args": {"table": "doomed"}}).status_code
        == 200
    )

    async def drop() -> None:
        conn = await asyncpg.connect(url)
        await conn.execute("DROP TABLE doomed")
        await conn.close()

    asyncio.run(drop())

    def inconsistent() -> bool:
        body = httpx.post(first.url + "/v1/metadata", json={"type": "get_inconsistent_metadata", "args": {}}).json()
        return body["is_consistent"] is False

    _wait_for(inconsistent, timeout=5)
    assert httpx.get(first.url + "/healthz").text == "WARN: inconsistent objects in schema"
