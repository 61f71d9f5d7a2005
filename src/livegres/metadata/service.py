"""The metadata service: the current schema cache, and the requests that change it.

Theory of operation:

- ``cache`` is the current ``SchemaCache`` (metadata resolved against the catalog) and
  ``resource_version`` the stored version it came from. Both are replaced together, never
  changed in place; ``listeners`` are told of every new cache.
- A request runs in ONE transaction on the source database. Commands that may write take a
  transaction-scoped advisory lock (one writer at a time across every instance), re-read the
  stored version, and reload first if another instance wrote since. Nothing is visible to
  anyone until the transaction commits, so a failing command (or a failing element of a
  bulk) leaves the previous metadata and database intact.
- After each command the new metadata is resolved; an object that became inconsistent
  because of the command is an error (Hasura's ``buildSchemaCacheFor``), unless the command
  checks consistency itself (``run_sql``, ``replace_metadata`` and the like).
- ``watch()`` keeps the cache current when other instances or other clients change things:
  the stored metadata version (LISTEN/NOTIFY plus polling) and the catalog fingerprint
  (schema changes made with psql or migrations).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg

from livegres import catalog as cat
from livegres import log
from livegres.errors import QueryError, json_path
from livegres.metadata import model as m
from livegres.metadata import store
from livegres.metadata.commands import COMMANDS, Context
from livegres.metadata.commands.base import Api, Command
from livegres.metadata.resolve import SchemaCache, resolve

_WRITE_LOCK = 0x6C6D6574  # "lmet": the advisory lock id of metadata writes

DEFAULT_SOURCE_CONFIGURATION: dict[str, Any] = {
    "connection_info": {
        "database_url": {"from_env": "HASURA_GRAPHQL_DATABASE_URL"},
        "isolation_level": "read-committed",
        "pool_settings": {
            "connection_lifetime": 600,
            "idle_timeout": 180,
            "max_connections": 50,
            "retries": 1,
        },
        "use_prepared_statements": True,
    }
}

# Commands that judge consistency themselves instead of failing on a new inconsistency.
_SELF_CHECKING = {
    "run_sql",
    "pg_run_sql",
    "replace_metadata",
    "replace_metadata_v2",
    "reload_metadata",
    "drop_inconsistent_metadata",
    "clear_metadata",
}
_BULK = {"bulk", "bulk_atomic", "bulk_keep_going", "concurrent_bulk"}

Listener = Callable[[SchemaCache], Awaitable[None] | None]
SyncHook = Callable[[asyncpg.Connection, SchemaCache], Awaitable[object]]
"""Runs inside a metadata write's transaction, before it commits (event trigger sync)."""


def empty_metadata() -> m.Metadata:
    return m.Metadata(sources=(m.Source(name=m.DEFAULT_SOURCE, configuration=DEFAULT_SOURCE_CONFIGURATION),))


class MetadataService:
    def __init__(self, pool: asyncpg.Pool, metadata_pool: asyncpg.Pool, metadata_url: str) -> None:
        self._pool = pool
        self._metadata_pool = metadata_pool
        self._metadata_url = metadata_url
        self._lock = asyncio.Lock()
        self.cache: SchemaCache | None = None
        self.resource_version = 0
        self.listeners: list[Listener] = []
        self.sync_hooks: list[SyncHook] = []
        self._watcher: store.MetadataWatcher | None = None
        self._catalog_task: asyncio.Task[None] | None = None

    # -- loading ------------------------------------------------------------------------------

    @property
    def current(self) -> SchemaCache:
        if self.cache is None:
            raise RuntimeError("metadata is not loaded")
        return self.cache

    async def load(self) -> None:
        """Read the stored metadata (storing the initial document on first start) and the catalog."""
        async with self._metadata_pool.acquire() as mconn:
            version, document = await store.load(mconn)
            if document is None:
                async with mconn.transaction():
                    await mconn.execute("SELECT pg_advisory_xact_lock($1)", _WRITE_LOCK)
                    version, document = await store.load(mconn)
                    if document is None:
                        document = empty_metadata().to_json()
                        version = await store.save(mconn, document, 0)
        metadata = m.parse_metadata(document)
        async with self._pool.acquire() as conn:
            catalog = await cat.load_catalog(conn)
        await self._install(resolve(metadata, catalog), version)

    async def _install(self, cache: SchemaCache, version: int) -> None:
        self.cache = cache
        self.resource_version = version
        for listener in self.listeners:
            result = listener(cache)
            if result is not None:
                await result

    async def reload_from_store(self, _version: int | None = None) -> None:
        async with self._lock:
            async with self._metadata_pool.acquire() as mconn:
                version, document = await store.load(mconn)
            if document is None or version == self.resource_version:
                return
            metadata = m.parse_metadata(document)
            await self._install(resolve(metadata, self.current.catalog), version)
            log.info("metadata reloaded", resource_version=version)

    async def reload_catalog(self) -> None:
        async with self._lock:
            async with self._pool.acquire() as conn:
                catalog = await cat.load_catalog(conn)
            if catalog.fingerprint != self.current.catalog.fingerprint:
                await self._install(resolve(self.current.metadata, catalog), self.resource_version)
                log.info("database schema change detected; catalog reloaded")

    # -- watching -----------------------------------------------------------------------------

    def watch(self, interval: float = 1.0) -> None:
        self._watcher = store.MetadataWatcher(
            self._metadata_url,
            self._metadata_pool,
            lambda: self.resource_version,
            self.reload_from_store,
            interval,
        )
        self._watcher.start()
        self._catalog_task = asyncio.create_task(self._watch_catalog(interval), name="catalog-watcher")

    async def _watch_catalog(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            try:
                async with self._pool.acquire() as conn:
                    fingerprint = await cat.catalog_fingerprint(conn)
                if fingerprint != self.current.catalog.fingerprint:
                    await self.reload_catalog()
            except (TimeoutError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                continue
            except Exception as exc:
                log.error("catalog watcher failed", error=str(exc))

    async def stop(self) -> None:
        if self._watcher is not None:
            await self._watcher.stop()
        if self._catalog_task is not None:
            self._catalog_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._catalog_task

    # -- requests -----------------------------------------------------------------------------

    async def handle(self, api: Api, body: Any) -> tuple[int, Any]:
        """Run one request of ``api`` (its parsed JSON body); returns (HTTP status, answer)."""
        if not isinstance(body, dict):
            found = {list: "Array", str: "String", bool: "Boolean", type(None): "Null"}.get(type(body), "Number")
            raise QueryError("parse-failed", f"expected Object, encountered {found}", path="$")
        if not isinstance(body.get("type"), str):
            raise QueryError("parse-failed", 'key "type" not found', path="$")
        mutates = self._mutates(api, body)
        requested_version = body.get("resource_version")
        if mutates:
            async with self._lock:
                return await self._run_request(api, body, requested_version, write=True)
        return await self._run_request(api, body, None, write=False)

    def _lookup(self, api: Api, kind: str, version: Any, path: str) -> Command:
        commands = COMMANDS[api]
        found = (commands.get(f"{kind}_v2") if version == 2 else None) or commands.get(kind)
        if found is not None:
            return found
        if api == "metadata":
            prefix, _, rest = kind.partition("_")
            if prefix != "pg" or not rest:
                raise QueryError(
                    "parse-failed",
                    f'unknown metadata command "{kind}"; "{prefix}" was not recognized as a valid backend name',
                    path=path,
                )
            raise QueryError("parse-failed", f'unknown metadata command "{rest}" for backend pg', path=path)
        if api == "v2query":
            raise QueryError("parse-failed", f"Unrecognised RQLQuery type: {kind}", path=path)
        raise QueryError("parse-failed", f'unknown query type "{kind}"', path=json_path("type"))

    def _mutates(self, api: Api, body: dict[str, Any]) -> bool:
        kind = body.get("type")
        if kind in _BULK:
            items = body.get("args")
            return isinstance(items, list) and any(
                isinstance(item, dict) and self._mutates(api, item) for item in items
            )
        command = COMMANDS[api].get(str(kind))
        return command is None or command.mutates

    async def _run_request(self, api: Api, body: dict[str, Any], requested: Any, *, write: bool) -> tuple[int, Any]:
        base = self.current
        async with self._pool.acquire() as conn, conn.transaction():
            stored = self.resource_version
            if write:
                async with self._metadata_conn(conn) as mconn:
                    await mconn.execute("SELECT pg_advisory_xact_lock($1)", _WRITE_LOCK)
                    stored, document = await store.load(mconn)
                if stored != self.resource_version and document is not None:
                    base = resolve(m.parse_metadata(document), await cat.load_catalog(conn))
            ctx = Context(
                conn=conn,
                metadata=base.metadata,
                catalog=base.catalog,
                api=api,
                resource_version=stored,
                parse_path=() if api == "query" else ("args",),
                exec_path=() if api == "v2query" else ("args",),
                reload_catalog=cat.load_catalog,
            )
            status, answer = await self._run(ctx, body, envelope=())
            if not (ctx.modified or ctx.catalog_changed):
                return status, answer
            if ctx.modified and requested is not None and requested != stored:
                raise QueryError(
                    "conflict",
                    f"metadata resource version referenced ({requested}) did not match current version",
                    path="$",
                    status=409,
                )
            for hook in self.sync_hooks:
                await hook(conn, ctx.cache())
            version = stored
            if ctx.modified:
                async with self._metadata_conn(conn) as mconn:
                    version = await store.save(mconn, ctx.metadata.to_json(), stored)
            new_cache = ctx.cache()
        await self._install(new_cache, version)
        return status, answer

    @contextlib.asynccontextmanager
    async def _metadata_conn(self, conn: asyncpg.Connection) -> Any:
        """The metadata database connection: the request's own when both databases are one."""
        if self._metadata_pool is self._pool:
            yield conn
            return
        async with self._metadata_pool.acquire() as mconn, mconn.transaction():
            yield mconn

    async def _run(self, ctx: Context, body: Any, envelope: tuple[str | int, ...]) -> tuple[int, Any]:
        """Run one element (a command or a bulk); ``envelope`` is where it sits in the request."""
        where = json_path(*envelope)
        if not isinstance(body, dict):
            raise QueryError("parse-failed", "expected Object", path=where)
        kind = body.get("type")
        if not isinstance(kind, str):
            raise QueryError("parse-failed", 'key "type" not found', path=where)
        if kind in _BULK:
            return await self._bulk(ctx, kind, body, envelope)
        command = self._lookup(ctx.api, kind, body.get("version"), where)
        if "args" not in body and kind not in ("export_metadata", "clear_metadata", "reload_metadata"):
            raise QueryError("parse-failed", 'key "args" not found', path=where)
        args = body.get("args", {})
        before = {(i.type, i.name) for i in ctx.cache().inconsistencies}
        answer = await command.handler(ctx, args)
        if ctx.modified and command.name not in _SELF_CHECKING:
            _fail_on_new_inconsistencies(ctx, before)
        if isinstance(answer, tuple):
            return answer
        return 200, answer

    async def _bulk(
        self, ctx: Context, kind: str, body: dict[str, Any], envelope: tuple[str | int, ...]
    ) -> tuple[int, Any]:
        items = body.get("args")
        if not isinstance(items, list):
            raise QueryError("parse-failed", "expected Array", path=json_path(*envelope, "args"))
        parse_base, exec_base = ctx.parse_path, ctx.exec_path
        results: list[Any] = []
        try:
            for i, item in enumerate(items):
                inner = (*envelope, i) if ctx.api == "query" else (*envelope, "args", i)
                ctx.parse_path = (*parse_base, i) if ctx.api == "query" else (*exec_base, i, "args")
                ctx.exec_path = (*exec_base, i) if ctx.api == "v2query" else (*exec_base, i, "args")
                if kind == "bulk_keep_going":
                    snapshot = ctx.metadata
                    try:
                        async with ctx.conn.transaction():
                            results.append((await self._run(ctx, item, inner))[1])
                    except QueryError as exc:
                        ctx.metadata = snapshot
                        results.append(exc.to_metadata_json(True))
                    continue
                results.append((await self._run(ctx, item, inner))[1])
        finally:
            ctx.parse_path, ctx.exec_path = parse_base, exec_base
        if kind == "bulk_atomic":
            return 200, {"message": "success"}
        return 200, results


def _fail_on_new_inconsistencies(ctx: Context, before: set[tuple[str, str]]) -> None:
    new = [i for i in ctx.cache().inconsistencies if (i.type, i.name) not in before]
    if new:
        raise ctx.error(
            "invalid-configuration",
            ", ".join(i.reason for i in new),
            internal=[i.to_json() for i in new],
        )
