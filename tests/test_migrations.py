"""hdb_catalog migrations: idempotent, and applied once when instances start together."""

from __future__ import annotations

import asyncio

import asyncpg

from livegres import migrations
from tests.support.postgres import create_database, drop_database


async def test_migrations_are_idempotent(pg_admin_url: str) -> None:
    url = await create_database(pg_admin_url)
    try:
        conn = await asyncpg.connect(url)
        try:
            first = await migrations.migrate(conn)
            assert first == [m.version for m in migrations.load("metadata")]
            assert await migrations.migrate(conn) == []
            tables = {
                r["tablename"]
                for r in await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname='hdb_catalog'")
            }
            assert {"hdb_version", "hdb_metadata", "livegres_migrations"} <= tables
        finally:
            await conn.close()
    finally:
        await drop_database(pg_admin_url, url)


async def test_concurrent_migrations_apply_once(pg_admin_url: str) -> None:
    url = await create_database(pg_admin_url)
    try:
        conns = [await asyncpg.connect(url) for _ in range(6)]
        try:
            results = await asyncio.gather(*(migrations.migrate(c) for c in conns))
            applied = [r for r in results if r]
            assert len(applied) == 1
            rows = await conns[0].fetchval("SELECT count(*) FROM hdb_catalog.livegres_migrations")
            assert rows == len(migrations.load("metadata"))
            assert await conns[0].fetchval("SELECT count(*) FROM hdb_catalog.hdb_version") == 1
        finally:
            for c in conns:
                await c.close()
    finally:
        await drop_database(pg_admin_url, url)
