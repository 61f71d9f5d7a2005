"""``--live-queries-mode poll``: Hasura's interval polling, no triggers on the tables."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.live.support import Client, connect_db, setup_blog
from tests.support.server import LivegresProcess


@pytest.fixture(scope="module")
def polling(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LivegresProcess]:
    log: Path = tmp_path_factory.mktemp("poll") / "livegres.log"
    args = ["--database-url", database_url, "--live-queries-mode", "poll"]
    env = {"HASURA_GRAPHQL_LIVE_QUERIES_MULTIPLEXED_REFETCH_INTERVAL": "200"}
    with LivegresProcess(args, env=env, log_path=log) as proc:
        setup_blog(proc.url)
        yield proc


async def test_polling_pushes_changes_without_triggers(polling: LivegresProcess, database_url: str) -> None:
    client = await Client.open(polling.url, "graphql-ws")
    db = await connect_db(database_url)
    try:
        await client.subscribe("1", "subscription { author(where: {id: {_eq: 3}}) { name } }")
        await client.next_data("1")
        await db.execute("UPDATE author SET name = 'polled' WHERE id = 3")
        assert await client.next_data("1", timeout=3) == {"data": {"author": [{"name": "polled"}]}}
        triggers = await db.fetchval("SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'livegres_live_%'")
        assert triggers == 0
    finally:
        await db.close()
        await client.close()
