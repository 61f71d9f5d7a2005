"""The events side of one running instance: trigger sync at startup, and the workers."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

import asyncpg

from livegres import log
from livegres.events import capture, delivery
from livegres.events.scheduled import ScheduledWorker
from livegres.events.worker import EventWorker, Liveness, WorkerSettings
from livegres.metadata.resolve import SchemaCache


class EventsService:
    def __init__(self, pool: asyncpg.Pool, settings: WorkerSettings, get_cache: Callable[[], SchemaCache]) -> None:
        self._pool = pool
        self._settings = settings
        self._get_cache = get_cache
        self._live = Liveness(settings.database_url)
        self._client = delivery.new_client(settings.pool_size)
        self.worker: EventWorker | None = None
        self.scheduled: ScheduledWorker | None = None

    @property
    def enabled(self) -> bool:
        """``HASURA_GRAPHQL_EVENTS_FETCH_INTERVAL=0`` turns delivery off on this instance."""
        return self._settings.fetch_interval > 0

    async def repair(self) -> None:
        """Create or fix the database triggers the metadata asks for (someone may have dropped them)."""
        try:
            async with self._pool.acquire() as conn, conn.transaction():
                changed = await capture.sync(conn, self._get_cache())
            if changed:
                log.info("event triggers synchronised with the metadata", changed=changed)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            log.error("could not synchronise event triggers", error=str(exc))

    async def start(self) -> None:
        await self.repair()
        if not self.enabled:
            log.info("event delivery is off on this instance (events fetch interval is 0)")
            return
        await self._live.connect()
        slots = asyncio.Semaphore(self._settings.pool_size)
        shared = (self._pool, self._settings, self._get_cache, self._client, self._live, slots)
        self.worker = EventWorker(*shared)
        self.worker.start()
        self.scheduled = ScheduledWorker(*shared)
        self.scheduled.start()

    async def stop(self) -> None:
        stops = [w.stop() for w in (self.worker, self.scheduled) if w is not None]
        if stops:
            await asyncio.gather(*stops, return_exceptions=True)
        self.worker = self.scheduled = None
        await self._live.close()
        with contextlib.suppress(Exception):
            await self._client.close()
