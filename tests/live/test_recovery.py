"""A database restart: subscribers stay connected and get fresh results once it is back."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from livegres.embedded import EmbeddedPostgres, bin_dir
from tests.live.support import Client, setup_blog
from tests.support.server import LivegresProcess


@pytest.fixture(scope="module")
def own_postgres() -> Iterator[EmbeddedPostgres]:
    """A PostgreSQL server of this test's own, since it gets restarted (in a folder outside
    pytest's temporary root, which other test runs may make unreadable to its user)."""
    folder = Path(tempfile.mkdtemp(prefix="livegres-restart-"))
    folder.chmod(0o755)
    pg = EmbeddedPostgres(folder / "pg")
    pg.start()
    try:
        yield pg
    finally:
        pg.stop()
        shutil.rmtree(folder, ignore_errors=True)


async def test_subscription_survives_database_restart(own_postgres: EmbeddedPostgres, tmp_path: Path) -> None:
    url = own_postgres.url
    with LivegresProcess(["--database-url", url], log_path=tmp_path / "livegres.log") as server:
        setup_blog(server.url)
        client = await Client.open(server.url)
        try:
            await client.subscribe("1", "subscription { author(where: {id: {_eq: 1}}) { name } }")
            assert (await client.next_data("1"))["data"]["author"] == [{"name": "author 1"}]
            await asyncio.to_thread(_restart, own_postgres)
            db = await asyncpg.connect(url)
            try:
                await db.execute("UPDATE author SET name = 'after restart' WHERE id = 1")
            finally:
                await db.close()
            pushed = await client.next_data("1", timeout=15)
            assert pushed == {"data": {"author": [{"name": "after restart"}]}}
        finally:
            await client.close()


def _restart(pg: EmbeddedPostgres) -> None:
    """``pg_ctl restart -m fast``: every connection is cut, the server comes back on its port."""
    args = [str(bin_dir() / "pg_ctl"), "-D", str(pg.pgdata), "-l", str(pg.logfile), "-m", "fast", "-w", "restart"]
    result = pg._run(args, timeout=60)
    assert result.returncode == 0, result.stderr
