"""The live-query subsystem: subscriptions in, results out through each subscriber's sink.

``LiveQueries.subscribe`` prepares the operation with the query engine (cached parse,
validation, permissions, SQL), binds its values, and adds the subscriber to the poller of
its plan, in the cohort of its values. The change feed (``livegres.live.feed``) routes each
notification to the pollers that read the changed table:

- a plan that pins the table's column to a cohort value (``livegres.live.analysis``)
  refreshes only the cohorts whose value is among the changed rows' old or new values;
- any other plan reading the table refreshes all its cohorts (at most once per
  ``min_full_interval``; changes arriving meanwhile are coalesced into one refresh).

Plans that read something without a change feed (a view, a table Livegres may not add
triggers to, SQL functions), every plan in ``poll`` mode, and every plan while the feed's
connection is down are refreshed every ``refetch_interval`` instead. After the feed
reconnects, every poller refreshes once, since notifications may have been missed.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import asyncpg
import orjson

from livegres import catalog as cat
from livegres import log
from livegres.auth.session import Session
from livegres.catalog.model import QualifiedName
from livegres.errors import QueryError
from livegres.graphql import GraphQLRequest, QueryEngine
from livegres.live import feed
from livegres.live.analysis import Dependencies, dependencies, tables_read
from livegres.live.multiplex import CohortValues, cohort_values
from livegres.live.poller import Poller, Stats, Subscriber
from livegres.live.sink import Message, Sink
from livegres.live.stream import CURSOR_FIELD, CURSOR_VARIABLE, StreamPlan, plan_stream
from livegres.metadata.resolve import SchemaCache
from livegres.sql import BindError, MissingSessionVariable, bind

Mode = Literal["push", "poll"]

_UNEXPECTED = QueryError("unexpected", "internal error", status=500)

# A partitioned table is polled: writes that target a partition directly do not fire the
# parent's statement triggers.
_FEED_KINDS = frozenset({cat.TableKind.TABLE})


@dataclass(frozen=True, slots=True)
class LiveSettings:
    mode: Mode = "push"
    refetch_interval: float = 1.0
    batch_size: int = 100
    min_full_interval: float = 0.05
    close_on_metadata_change: bool = True
    concurrency: int = 8


@dataclass(eq=False, slots=True)
class Subscription:
    """A client's live query, as the transport holds it."""

    request: GraphQLRequest
    session: Session
    sink: Sink
    wrap: Callable[[bytes], bytes] | None = None
    poller: Poller | None = None
    values: CohortValues = ()
    subscriber: Subscriber | None = None
    closed: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


class LiveQueries:
    def __init__(self, engine: QueryEngine, pool: asyncpg.Pool, database_url: str, settings: LiveSettings) -> None:
        self.engine = engine
        self.pool = pool
        self.settings = settings
        self.stats = Stats()
        self.pollers: dict[tuple[Any, ...], Poller] = {}
        self.by_table: dict[QualifiedName, set[Poller]] = {}
        self.subscriptions: set[Subscription] = set()
        self.streams: set[Subscription] = set()
        """Streaming subscriptions (their current step is an inner subscription)."""
        self.installer = feed.Installer(pool)
        self.listener = feed.Listener(database_url, self.on_change, self.on_feed_state)
        self.gate = asyncio.Semaphore(settings.concurrency)
        self.on_metadata_close: set[Callable[[], None]] = set()
        """Transports' callbacks closing their connections when the metadata changes."""
        self._tasks: set[asyncio.Task[None]] = set()

    # -- lifecycle ---------------------------------------------------------------------

    async def start(self) -> None:
        if self.settings.mode == "push":
            self.listener.start()

    async def stop(self) -> None:
        log.log("info", "livequery-poller-log", {"message": "live queries stopped", **dataclasses.asdict(self.stats)})
        await self.listener.stop()
        for poller in list(self.pollers.values()):
            poller.close()
        self.pollers.clear()
        self.by_table.clear()
        for task in list(self._tasks):
            task.cancel()

    # -- subscriptions -----------------------------------------------------------------

    async def subscribe(
        self,
        request: GraphQLRequest,
        session: Session,
        sink: Sink,
        wrap: Callable[[bytes], bytes] | None = None,
    ) -> Subscription:
        """Start a live query; its results arrive in ``sink``. Raises ``QueryError`` for a
        request that cannot run (nothing is started then)."""
        doc = self.engine.document(request, session.role, subscriptions=True)
        stream = plan_stream(doc, self.engine.coerce(doc, request.variables), request)
        sub = Subscription(request, session, sink, wrap)
        if stream is not None:
            await self._start_stream(sub, stream)
            return sub
        await self._attach(sub)
        self.subscriptions.add(sub)
        return sub

    async def _start_stream(self, sub: Subscription, plan: StreamPlan, cursor: Any = None) -> None:
        """Start (or, after a metadata change, restart from ``cursor``) a streaming subscription."""
        inner = self._stream_step(sub, plan, plan.cursor if cursor is None else cursor)
        await self._attach(inner)
        sub.extra["plan"] = plan
        sub.extra["inner"] = inner
        task = asyncio.get_running_loop().create_task(self._stream(sub, plan, inner))
        sub.extra["stream"] = task
        self.streams.add(sub)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _stream_step(self, sub: Subscription, plan: StreamPlan, cursor: Any) -> Subscription:
        variables = {**(plan.request.variables or {}), CURSOR_VARIABLE: cursor}
        request = GraphQLRequest(plan.request.query, variables, plan.request.operation_name)
        return Subscription(request, sub.session, Sink())

    async def _stream(self, sub: Subscription, plan: StreamPlan, inner: Subscription) -> None:
        try:
            while not sub.closed:
                message = await inner.sink.get()
                if message.kind != "data":
                    sub.sink.put(message)
                    return
                rows = orjson.loads(message.body)["data"][plan.alias]
                if not rows:  # as Hasura: a stream sends batches of rows, never an empty one
                    continue
                cursor = rows[-1].get(CURSOR_FIELD)
                for row in rows:
                    row.pop(CURSOR_FIELD, None)
                data = orjson.dumps({plan.alias: rows})
                sub.sink.put(Message("data", sub.wrap(data) if sub.wrap else b'{"data":' + data + b"}"))
                if cursor is None:
                    continue
                await sub.sink.taken()
                self._detach(inner)
                sub.extra["cursor"] = cursor
                inner = self._stream_step(sub, plan, cursor)
                sub.extra["inner"] = inner
                try:
                    await self._attach(inner)
                except QueryError as exc:
                    sub.sink.put(Message("error", orjson.dumps([exc.to_graphql_json(False)])))
                    return
        finally:
            self._detach(inner)

    def unsubscribe(self, sub: Subscription) -> None:
        """Stop at once: the subscriber leaves its cohort (and an empty poller stops)."""
        sub.closed = True
        self.subscriptions.discard(sub)
        self.streams.discard(sub)
        self._detach(sub)
        task = sub.extra.get("stream")
        if task is not None:
            task.cancel()
        inner = sub.extra.get("inner")
        if inner is not None:
            self._detach(inner)

    async def _attach(self, sub: Subscription) -> None:
        prepared = self.engine.prepare(sub.request, sub.session.role, subscriptions=True)
        plan = prepared.plan
        if plan.compiled is None:
            data = self.engine.data_json(prepared, None)
            sub.sink.put(Message("data", sub.wrap(data) if sub.wrap else b'{"data":' + data + b"}"))
            return
        try:
            args = bind(plan.compiled, prepared.variables, sub.session.variables)
        except MissingSessionVariable as exc:
            raise QueryError("not-found", str(exc)) from None
        except BindError as exc:
            raise QueryError("validation-failed", str(exc)) from None
        deps = self._dependencies(plan.operation, plan.compiled)
        pushed = await self._feedable(deps)
        key = (plan.compiled.text,)
        poller = self.pollers.get(key)
        if poller is None:
            poller = Poller(
                key,
                plan.compiled,
                deps,
                pool=self.pool,
                gate=self.gate,
                batch_size=self.settings.batch_size,
                interval=None if pushed and self.listener.connected else self.settings.refetch_interval,
                min_full_interval=self.settings.min_full_interval,
                stats=self.stats,
                on_empty=self._forget,
            )
            poller.pushable = pushed
            self.pollers[key] = poller
            for table in deps.tables:
                self.by_table.setdefault(table, set()).add(poller)
        if plan.introspection:
            wrap = sub.wrap

            def merged(data: bytes, prepared: Any = prepared, wrap: Any = wrap) -> bytes:
                full = self.engine.data_json(prepared, data)
                return wrap(full) if wrap else b'{"data":' + full + b"}"

            subscriber = Subscriber(sub.sink, wrap=merged)
        else:
            subscriber = Subscriber(sub.sink, wrap=sub.wrap)
        sub.poller, sub.values, sub.subscriber = poller, cohort_values(args), subscriber
        poller.add(sub.values, subscriber)

    def _detach(self, sub: Subscription) -> None:
        if sub.poller is not None and sub.subscriber is not None:
            sub.poller.remove(sub.values, sub.subscriber)
        sub.poller = sub.subscriber = None

    def _forget(self, poller: Poller) -> None:
        if self.pollers.get(poller.key) is poller:
            del self.pollers[poller.key]
        for table in poller.deps.tables:
            found = self.by_table.get(table)
            if found is not None:
                found.discard(poller)
                if not found:
                    del self.by_table[table]

    # -- the change feed ---------------------------------------------------------------

    def _reported(self, table: QualifiedName) -> tuple[str, ...]:
        """The columns the feed reports for ``table``: primary and foreign key columns and
        the columns of its relationships' mappings."""
        cache = self.engine.cache
        info = cache.tables.get(table) if cache is not None else None
        if info is None:
            return ()
        t = info.table
        columns: set[str] = set(t.primary_key.columns if t.primary_key else ())
        for fk in t.foreign_keys:
            columns.update(fk.columns)
        for rel in info.relationships.values():
            columns.update(local for local, _ in rel.mapping)
        return tuple(sorted(c for c in columns if c in t.columns))

    def _dependencies(self, operation: Any, compiled: Any) -> Dependencies:
        cache = self.engine.cache
        types: dict[QualifiedName, dict[str, str]] = {}
        if cache is not None:
            for table in tables_read(operation):
                info = cache.tables.get(table)
                if info is not None:
                    types[table] = {c: info.table.columns[c].type.name.name for c in self._reported(table)}
        return dependencies(operation, compiled, types)

    async def _feedable(self, deps: Dependencies) -> bool:
        """Whether every table ``deps`` reads has the change feed (installing it if needed)."""
        if self.settings.mode != "push" or deps.opaque:
            return False
        cache = self.engine.cache
        wanted: dict[QualifiedName, tuple[str, ...]] = {}
        for table in deps.tables:
            info = cache.tables.get(table) if cache is not None else None
            if info is None or info.table.kind not in _FEED_KINDS:
                return False
            wanted[table] = self._reported(table)
        installed = await self.installer.ensure(wanted)
        return installed >= set(wanted)

    def on_change(self, change: feed.Change) -> None:
        for poller in self.by_table.get(change.table, ()):
            pin = poller.deps.pins.get(change.table)
            if pin is None or change.keys is None or pin.column not in change.keys:
                poller.mark_all()
            else:
                poller.mark_values(change.table, change.keys[pin.column])

    def on_feed_state(self, connected: bool) -> None:
        for poller in self.pollers.values():
            poller.interval = None if connected and poller.pushable else self.settings.refetch_interval
            poller.mark_all()

    # -- metadata ----------------------------------------------------------------------

    def on_schema_change(self, cache: SchemaCache) -> None:
        """Metadata listener: close every WebSocket (Hasura's default), or re-plan each
        subscription."""
        self.installer.reset()
        only_unclosable = self.settings.close_on_metadata_change
        if only_unclosable:
            for close in list(self.on_metadata_close):
                close()
        task = asyncio.get_running_loop().create_task(self._replan(only_unclosable))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _restart_stream(self, sub: Subscription) -> None:
        """A stream under new metadata: its step is planned again from the cursor it has
        reached, so it never reads with permissions that no longer hold."""
        task = sub.extra.get("stream")
        if isinstance(task, asyncio.Task):
            task.cancel()
            await asyncio.wait({task})
        inner = sub.extra.get("inner")
        if isinstance(inner, Subscription):
            self._detach(inner)
        self.streams.discard(sub)
        try:
            await self._start_stream(sub, sub.extra["plan"], sub.extra.get("cursor"))
        except QueryError as exc:
            sub.sink.put(Message("error", orjson.dumps([exc.to_graphql_json(False)])))
        except Exception:
            sub.sink.put(Message("error", orjson.dumps([_UNEXPECTED.to_graphql_json(False)])))

    async def _replan(self, only_unclosable: bool) -> None:
        """Plan every subscription again (with ``only_unclosable``: those whose transport has
        no connection to close on a metadata change, i.e. SSE and multipart streams)."""
        for sub in list(self.streams):
            if sub.closed:
                self.streams.discard(sub)
            elif not (only_unclosable and sub.extra.get("closable")):
                await self._restart_stream(sub)
        for sub in list(self.subscriptions):
            if sub.closed or (only_unclosable and sub.extra.get("closable")):
                continue
            self._detach(sub)
            try:
                await self._attach(sub)
            except QueryError as exc:
                sub.sink.put(Message("error", orjson.dumps([exc.to_graphql_json(False)])))
                self.subscriptions.discard(sub)
            except Exception:
                sub.sink.put(Message("error", orjson.dumps([_UNEXPECTED.to_graphql_json(False)])))
                self.subscriptions.discard(sub)
