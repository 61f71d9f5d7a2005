"""Metadata persistence in ``hdb_catalog.hdb_metadata``, with Hasura's ``resource_version``.

One row (id 1) holds the whole metadata document and its ``resource_version``, which grows by
one on every write. A write names the version it was based on; if another writer got there
first the write fails with Hasura's 409 ``conflict``. Every write sends
``NOTIFY livegres_metadata, '<version>'`` in the same transaction, so other instances reload
at once; ``MetadataWatcher`` also polls the version (1 s by default) in case a notification is
missed (a dropped listener connection, a writer that is not Livegres).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import orjson

from livegres import log
from livegres.errors import QueryError

CHANNEL = "livegres_metadata"


async def load(conn: asyncpg.Connection) -> tuple[int, dict[str, Any] | None]:
    """(resource_version, metadata JSON) of the stored document; (0, None) when none is stored."""
    row = await conn.fetchrow("SELECT resource_version, metadata::text AS m FROM hdb_catalog.hdb_metadata")
    if row is None:
        return 0, None
    return int(row["resource_version"]), orjson.loads(row["m"])


async def current_version(conn: asyncpg.Connection) -> int:
    value = await conn.fetchval("SELECT resource_version FROM hdb_catalog.hdb_metadata")
    return int(value) if value is not None else 0


async def save(conn: asyncpg.Connection, metadata: dict[str, Any], based_on: int) -> int:
    """Store ``metadata`` if the stored version is still ``based_on``; returns the new version.

    Must run inside the caller's transaction, so that the write and whatever else the command
    did (DDL, event trigger installation) commit together."""
    text = orjson.dumps(metadata).decode()
    if based_on == 0:
        version = await conn.fetchval(
            "INSERT INTO hdb_catalog.hdb_metadata (id, metadata, resource_version) VALUES (1, $1::json, 1)"
            " ON CONFLICT (id) DO NOTHING RETURNING resource_version",
            text,
        )
    else:
        version = await conn.fetchval(
            "UPDATE hdb_catalog.hdb_metadata SET metadata = $1::json, resource_version = resource_version + 1"
            " WHERE id = 1 AND resource_version = $2 RETURNING resource_version",
            text,
            based_on,
        )
    if version is None:
        stored = await current_version(conn)
        raise QueryError(
            "conflict",
            f"resource version mismatch: expected {stored}, got {based_on}"
            if based_on
            else "metadata was changed concurrently; retry",
            status=409,
        )
    await conn.execute("SELECT pg_notify($1, $2)", CHANNEL, str(version))
    return int(version)


class MetadataWatcher:
    """Calls ``on_change(version)`` when the stored resource_version differs from the known one.

    Listens on ``CHANNEL`` with its own connection and polls every ``interval`` seconds; the
    listener connection is re-opened when it drops."""

    def __init__(
        self,
        url: str,
        pool: asyncpg.Pool,
        known_version: Callable[[], int],
        on_change: Callable[[int], Awaitable[None]],
        interval: float = 1.0,
    ) -> None:
        self._url = url
        self._pool = pool
        self._known = known_version
        self._on_change = on_change
        self._interval = interval
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._listener: asyncpg.Connection | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="metadata-watcher")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None
        await self._close_listener()

    async def _close_listener(self) -> None:
        if self._listener is not None:
            with contextlib.suppress(Exception):
                await self._listener.close()
            self._listener = None

    def _notified(self, *_: object) -> None:
        self._wake.set()

    async def _ensure_listener(self) -> None:
        if self._listener is not None and not self._listener.is_closed():
            return
        await self._close_listener()
        try:
            conn = await asyncpg.connect(self._url, timeout=5)
            await conn.add_listener(CHANNEL, self._notified)
            self._listener = conn
        except (TimeoutError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
            self._listener = None

    async def _run(self) -> None:
        while True:
            await self._ensure_listener()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._interval):
                    await self._wake.wait()
            self._wake.clear()
            try:
                async with self._pool.acquire() as conn:
                    version = await current_version(conn)
            except (TimeoutError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                continue
            if version != self._known():
                try:
                    await self._on_change(version)
                except Exception as exc:  # keep watching whatever one reload did
                    log.error("reloading metadata failed", error=str(exc))
