"""Pollers and cohorts: one multiplexed statement refreshes many subscribers.

- A ``Subscriber`` is one subscription of one client, with its ``Sink``.
- A ``Cohort`` groups the subscribers of a poller whose bound values are equal (the GraphQL
  variables and the session variables the plan uses): one row of the multiplexed statement,
  one result, hashed; its subscribers get a result only when the hash changes, except a new
  subscriber, which always gets the current result at once.
- A ``Poller`` serves one compiled plan (role and SQL text): it refreshes the cohorts marked
  dirty (or all of them), ``batch_size`` cohorts per statement, in its own task. Marks that
  arrive while a refresh runs are coalesced into the next one.

A new cohort's first run validates its values: when a batch fails (a value that does not
parse as its type), each new cohort runs alone and the failing ones end with the error.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import itertools
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import orjson

from livegres import log
from livegres.catalog.model import QualifiedName
from livegres.errors import QueryError
from livegres.live.analysis import Dependencies, normalise
from livegres.live.multiplex import CohortValues, multiplexed_sql, vars_json
from livegres.live.sink import Message, Sink
from livegres.pipeline import database_error
from livegres.sql import CompiledQuery

_ids = itertools.count(1)

_UNAVAILABLE = (
    OSError,
    TimeoutError,
    asyncpg.InterfaceError,
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.exceptions.OperatorInterventionError,
)
"""PostgreSQL errors that mean the database is unreachable or restarting: retry, never fail
the subscribers (as any error that is not PostgreSQL's own)."""


@dataclass(eq=False, slots=True)
class Subscriber:
    sink: Sink
    fresh: bool = True
    wrap: Callable[[bytes], bytes] | None = None
    """Turns the ``data`` JSON into the message body (default ``{"data": ...}``)."""


@dataclass(eq=False, slots=True)
class Cohort:
    id: int
    values: CohortValues
    vars: str
    subscribers: set[Subscriber] = field(default_factory=set)
    digest: bytes | None = None
    data: bytes | None = None
    routes: dict[QualifiedName, str | None] = field(default_factory=dict)


@dataclass(slots=True)
class Stats:
    statements: int = 0
    refreshes: int = 0
    pushes: int = 0


class Poller:
    def __init__(
        self,
        key: tuple[Any, ...],
        compiled: CompiledQuery,
        deps: Dependencies,
        *,
        pool: asyncpg.Pool,
        gate: asyncio.Semaphore,
        batch_size: int,
        interval: float | None,
        min_full_interval: float,
        stats: Stats,
        on_empty: Callable[[Poller], None],
    ) -> None:
        self.key = key
        self.compiled = compiled
        self.sql = multiplexed_sql(compiled)
        self.deps = deps
        self.pool = pool
        self.gate = gate
        self.batch_size = batch_size
        self.interval = interval
        """Seconds between refreshes of every cohort; None: refresh only when marked."""
        self.min_full_interval = min_full_interval
        self.pushable = False
        """Whether every table the plan reads has the change feed."""
        self.stats = stats
        self.on_empty = on_empty
        self.cohorts: dict[CohortValues, Cohort] = {}
        self.by_id: dict[int, Cohort] = {}
        self.routes: dict[QualifiedName, dict[str | None, set[Cohort]]] = {t: {} for t in deps.pins}
        self.joining: set[Cohort] = set()
        self.dirty: set[Cohort] = set()
        self.dirty_all = False
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._last_full = 0.0

    # -- membership --------------------------------------------------------------------

    def add(self, values: CohortValues, subscriber: Subscriber) -> None:
        cohort = self.cohorts.get(values)
        if cohort is None:
            cohort = Cohort(next(_ids), values, vars_json(values))
            for table, pin in self.deps.pins.items():
                value = normalise(values[pin.slot], pin.type_name)
                cohort.routes[table] = value
                self.routes[table].setdefault(value, set()).add(cohort)
            self.cohorts[values] = cohort
            self.by_id[cohort.id] = cohort
            self.joining.add(cohort)
            self._wake.set()
        cohort.subscribers.add(subscriber)
        if cohort.data is not None and cohort not in self.joining:
            self._push(cohort, subscriber, cohort.data)
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="livegres-poller")

    def remove(self, values: CohortValues, subscriber: Subscriber) -> None:
        cohort = self.cohorts.get(values)
        if cohort is None:
            return
        cohort.subscribers.discard(subscriber)
        if not cohort.subscribers:
            self._drop(cohort)
        if not self.cohorts:
            self.close()
            self.on_empty(self)

    def _drop(self, cohort: Cohort) -> None:
        self.cohorts.pop(cohort.values, None)
        self.by_id.pop(cohort.id, None)
        self.joining.discard(cohort)
        self.dirty.discard(cohort)
        for table, value in cohort.routes.items():
            found = self.routes[table].get(value)
            if found is not None:
                found.discard(cohort)
                if not found:
                    del self.routes[table][value]

    def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None

    # -- marking -----------------------------------------------------------------------

    def mark_all(self) -> None:
        self.dirty_all = True
        self._wake.set()

    def mark_values(self, table: QualifiedName, values: Iterable[str]) -> None:
        """A change of ``table`` touching rows whose pinned column holds one of ``values``."""
        routes = self.routes.get(table)
        if routes is None:
            self.mark_all()
            return
        hit = False
        for value in (*values, None):
            found = routes.get(value)
            if found:
                self.dirty.update(found)
                hit = True
        if hit:
            self._wake.set()

    # -- the refresh task --------------------------------------------------------------

    async def _run(self) -> None:
        backoff = 0.1
        while True:
            if self.interval is None:
                await self._wake.wait()
            else:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.interval)
                if not self._wake.is_set():
                    self.dirty_all = True
            self._wake.clear()
            joining, self.joining = self.joining, set()
            full = self.dirty_all
            if full:
                wait = self._last_full + self.min_full_interval - time.monotonic()
                if wait > 0 and not joining:
                    await asyncio.sleep(wait)
                # (cohorts that joined during the sleep get their first run next time)
                targets = [c for c in self.cohorts.values() if c not in joining and c not in self.joining]
                self._last_full = time.monotonic()
            else:
                targets = [c for c in self.dirty if c not in joining]
            self.dirty_all = False
            self.dirty = set()
            try:
                if joining:
                    await self._first(sorted(joining, key=lambda c: c.id))
                if targets:
                    await self._refresh(targets)
                backoff = 0.1
            except asyncio.CancelledError:
                raise
            except asyncpg.PostgresError as exc:
                if not isinstance(exc, _UNAVAILABLE):
                    # The statement itself fails (not its values: those are checked on the
                    # first run): every cohort gets the error.
                    log.log("error", "livequery-poller-log", {"message": "refresh failed", "error": repr(exc)})
                    self._fail(list(self.cohorts.values()), _internal(exc))
                else:
                    backoff = await self._retry(joining, exc, backoff)
            except Exception as exc:
                # The database is unreachable or the connection broke (asyncpg raises OSError,
                # InterfaceError, InternalClientError...): keep everything dirty and retry;
                # subscribers get fresh results once it answers again.
                backoff = await self._retry(joining, exc, backoff)
            if not self.cohorts:
                self._task = None
                return

    async def _retry(self, joining: set[Cohort], exc: BaseException, backoff: float) -> float:
        log.log("warn", "livequery-poller-log", {"message": "database unavailable, retrying", "error": repr(exc)})
        self.joining |= {c for c in joining if c.values in self.cohorts}
        self.dirty_all = True
        self._wake.set()
        await asyncio.sleep(backoff)
        return min(backoff * 2, 2.0)

    async def _fetch(self, cohorts: Sequence[Cohort]) -> list[tuple[int, bytes | None]]:
        async with self.gate:
            self.stats.statements += 1
            rows = await self.pool.fetch(self.sql, [c.id for c in cohorts], [c.vars for c in cohorts])
        return [(r[0], r[1]) for r in rows]

    async def _refresh(self, cohorts: Sequence[Cohort]) -> None:
        self.stats.refreshes += 1
        for start in range(0, len(cohorts), self.batch_size):
            batch = [c for c in cohorts[start : start + self.batch_size] if c.values in self.cohorts]
            if not batch:
                continue
            try:
                self._deliver(await self._fetch(batch))
            except asyncpg.PostgresError as exc:
                if isinstance(exc, _UNAVAILABLE):
                    raise
                # A value that only fails on some data (a bad regex meeting a new row): run
                # the batch's cohorts one by one, so only the failing one gets the error.
                await self._one_by_one(batch)

    async def _first(self, cohorts: Sequence[Cohort]) -> None:
        for start in range(0, len(cohorts), self.batch_size):
            batch = [c for c in cohorts[start : start + self.batch_size] if c.values in self.cohorts]
            if not batch:
                continue
            try:
                rows = await self._fetch(batch)
            except asyncpg.PostgresError as exc:
                if isinstance(exc, _UNAVAILABLE):
                    raise
                await self._one_by_one(batch)
                continue
            self._deliver(rows)

    async def _one_by_one(self, batch: Sequence[Cohort]) -> None:
        rows: list[tuple[int, bytes | None]] = []
        for cohort in batch:
            try:
                rows.extend(await self._fetch([cohort]))
            except asyncpg.PostgresError as error:
                if isinstance(error, _UNAVAILABLE):
                    raise
                self._fail([cohort], database_error(error))
        self._deliver(rows)

    def _deliver(self, rows: Iterable[tuple[int, bytes | None]]) -> None:
        for cohort_id, text in rows:
            cohort = self.by_id.get(cohort_id)
            if cohort is None:
                continue
            data = text if text is not None else b"null"
            digest = hashlib.blake2b(data, digest_size=16).digest()
            changed = digest != cohort.digest
            cohort.digest, cohort.data = digest, data
            for subscriber in list(cohort.subscribers):
                if changed or subscriber.fresh:
                    self._push(cohort, subscriber, data)

    def _push(self, cohort: Cohort, subscriber: Subscriber, data: bytes) -> None:
        subscriber.fresh = False
        self.stats.pushes += 1
        body = subscriber.wrap(data) if subscriber.wrap is not None else b'{"data":' + data + b"}"
        subscriber.sink.put(Message("data", body))

    def _fail(self, cohorts: Sequence[Cohort], error: QueryError) -> None:
        for cohort in cohorts:
            for subscriber in list(cohort.subscribers):
                subscriber.sink.put(Message("error", orjson.dumps([error.to_graphql_json(False)])))
            self._drop(cohort)
        if not self.cohorts:
            self.on_empty(self)


def _internal(exc: Exception) -> QueryError:
    if isinstance(exc, asyncpg.PostgresError):
        return database_error(exc)
    return QueryError("unexpected", "internal error", status=500, internal={"error": repr(exc)})
