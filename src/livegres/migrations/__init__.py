"""Versioned SQL migrations of Livegres's own schema, ``hdb_catalog``.

Files are ``<set>/<NNNN>_<name>.sql``, applied in order, each in the same transaction as
the record of it in ``hdb_catalog.livegres_migrations``. A transaction-scoped advisory lock
serialises instances that start at once: the second waits, then finds nothing to do.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

import asyncpg

from livegres import log

_LOCK_KEY = 0x6C697665  # "live": the advisory lock id of the migration run


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def load(migration_set: str) -> list[Migration]:
    folder = resources.files(__package__).joinpath(migration_set)
    found = []
    for entry in folder.iterdir():
        if not entry.name.endswith(".sql"):
            continue
        number, _, rest = entry.name.partition("_")
        found.append(Migration(int(number), rest.removesuffix(".sql"), entry.read_text()))
    found.sort(key=lambda m: m.version)
    return found


async def migrate(conn: asyncpg.Connection, migration_set: str = "metadata") -> list[int]:
    """Apply the missing migrations of ``migration_set``; returns the versions applied."""
    applied: list[int] = []
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", _LOCK_KEY)
        await conn.execute(
            """
            CREATE SCHEMA IF NOT EXISTS hdb_catalog;
            CREATE TABLE IF NOT EXISTS hdb_catalog.livegres_migrations (
                migration_set text NOT NULL,
                version integer NOT NULL,
                name text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (migration_set, version)
            );
            """
        )
        done = {
            row["version"]
            for row in await conn.fetch(
                "SELECT version FROM hdb_catalog.livegres_migrations WHERE migration_set = $1",
                migration_set,
            )
        }
        for migration in load(migration_set):
            if migration.version in done:
                continue
            await conn.execute(migration.sql)
            await conn.execute(
                "INSERT INTO hdb_catalog.livegres_migrations (migration_set, version, name) VALUES ($1, $2, $3)",
                migration_set,
                migration.version,
                migration.name,
            )
            applied.append(migration.version)
    if applied:
        log.info("hdb_catalog migrated", migration_set=migration_set, versions=applied)
    return applied
