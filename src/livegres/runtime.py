"""The running engine's state: settings and database pools, opened and closed together."""

from __future__ import annotations

import asyncio
import contextlib

import asyncpg

from livegres import db, migrations
from livegres.auth import Authenticator
from livegres.config import Settings
from livegres.events import capture
from livegres.events.service import EventsService
from livegres.events.worker import WorkerSettings
from livegres.graphql import QueryEngine
from livegres.live import LiveQueries, LiveSettings, feed
from livegres.metadata.resolve import SchemaCache
from livegres.metadata.service import MetadataService
from livegres.pipeline import Pipeline
from livegres.schema.enums import load_enum_values


class Runtime:
    """Everything a request may need, created once at startup.

    ``start()`` waits for the database(s), opens the pools and migrates ``hdb_catalog``;
    ``stop()`` closes what ``start()`` opened. Both are safe to call more than once.
    """

    def __init__(self, settings: Settings) -> None:
        if settings.database_url is None:
            raise ValueError("Runtime needs a database URL (start the embedded PostgreSQL first)")
        self.settings = settings
        self.database_url: str = settings.database_url
        self.metadata_url: str = settings.metadata_database_url or settings.database_url
        self._pool: asyncpg.Pool | None = None
        self._metadata_pool: asyncpg.Pool | None = None
        self._metadata: MetadataService | None = None
        self._pipeline: Pipeline | None = None
        self._live: LiveQueries | None = None
        self.events: EventsService | None = None
        self.engine = QueryEngine(stringify_numeric_types=settings.stringify_numeric_types)
        self.authenticator = Authenticator.from_settings(settings)

    @property
    def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise RuntimeError("the runtime is not started")
        return self._pool

    @property
    def metadata_pool(self) -> asyncpg.Pool:
        if self._metadata_pool is None:
            raise RuntimeError("the runtime is not started")
        return self._metadata_pool

    @property
    def metadata(self) -> MetadataService:
        if self._metadata is None:
            raise RuntimeError("the runtime is not started")
        return self._metadata

    @property
    def pipeline(self) -> Pipeline:
        """The GraphQL request path (``livegres.pipeline``) over ``engine`` and the pool."""
        if self._pipeline is None:
            raise RuntimeError("the runtime is not started")
        return self._pipeline

    @property
    def live(self) -> LiveQueries:
        """Subscriptions (``livegres.live``)."""
        if self._live is None:
            raise RuntimeError("the runtime is not started")
        return self._live

    @property
    def started(self) -> bool:
        return self._pool is not None

    async def start(self) -> None:
        if self.started:
            return
        timeout = self.settings.db_connect_timeout
        try:
            await db.wait_for_database(self.database_url, timeout)
            self._pool = await db.create_pool(self.database_url, self.settings.pg_connections)
            if self.metadata_url == self.database_url:
                self._metadata_pool = self._pool
            else:
                await db.wait_for_database(self.metadata_url, timeout, "metadata database")
                self._metadata_pool = await db.create_pool(self.metadata_url, 5)
            async with self.metadata_pool.acquire() as conn:
                await migrations.migrate(conn, "metadata")
            async with self.pool.acquire() as conn:
                await feed.install_function(conn)
            self._metadata = MetadataService(self.pool, self.metadata_pool, self.metadata_url)
            await self._metadata.load()
            await self._schema_changed(self._metadata.current)
            self._metadata.listeners.append(self._schema_changed)
            self._pipeline = Pipeline(
                self.engine,
                self.pool,
                dev_mode=self.settings.dev_mode,
                admin_internal_errors=self.settings.admin_internal_errors,
            )
            await self._start_live()
            self._metadata.watch(self.settings.metadata_poll_interval / 1000)
            await self._start_events()
        except BaseException:
            await self.stop()
            raise

    async def _start_events(self) -> None:
        """Event triggers: the event tables in the source database, trigger sync, the workers."""
        if self.metadata_pool is not self.pool:
            async with self.pool.acquire() as conn:
                await migrations.migrate(conn, "metadata")
        self.metadata.sync_hooks.append(capture.sync)
        settings = WorkerSettings(
            database_url=self.database_url,
            pool_size=self.settings.events_http_pool_size,
            batch_size=self.settings.events_fetch_batch_size,
            fetch_interval=self.settings.events_fetch_interval / 1000,
            graceful_timeout=self.settings.graceful_shutdown_timeout,
        )
        self.events = EventsService(self.pool, settings, lambda: self.metadata.current)
        await self.events.start()

    async def _start_live(self) -> None:
        s = self.settings
        live_settings = LiveSettings(
            mode="poll" if s.live_queries_mode == "poll" else "push",
            refetch_interval=s.live_queries_refetch_interval / 1000,
            batch_size=s.live_queries_batch_size,
            min_full_interval=s.live_queries_min_refresh_interval / 1000,
            close_on_metadata_change=s.close_websockets_on_metadata_change,
            concurrency=max(1, s.pg_connections // 2),
        )
        self._live = LiveQueries(self.engine, self.pool, self.database_url, live_settings)
        self.metadata.listeners.append(self._live.on_schema_change)
        await self._live.start()

    async def _schema_changed(self, cache: SchemaCache) -> None:
        """A new schema cache: read its enum tables' rows, then rebuild the GraphQL schemas."""
        self.engine.on_schema_change(cache, await load_enum_values(self.pool, cache))

    async def stop(self) -> None:
        if self._live is not None:
            await self._live.stop()
            self._live = None
        await self.authenticator.aclose()
        if self.events is not None:
            await self.events.stop()
            self.events = None
        if self._metadata is not None:
            await self._metadata.stop()
            self._metadata = None
        self._pipeline = None
        pools = {id(p): p for p in (self._pool, self._metadata_pool) if p is not None}
        self._pool = self._metadata_pool = None
        for pool in pools.values():
            with contextlib.suppress(Exception):
                await asyncio.wait_for(pool.close(), 10)

    async def database_answers(self, timeout: float) -> bool:
        if self._pool is None:
            return False
        try:
            async with asyncio.timeout(timeout):
                return bool(await self._pool.fetchval("SELECT true"))
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError):
            return False
