"""Delivery of ``hdb_catalog.event_log``: claim, POST, record, retry.

Theory of operation:

- Each instance has a random ``instance key`` and holds the session advisory lock
  ``(INSTANCE_LOCK_CLASS, key)`` on its own connection, the one that also LISTENs on
  ``livegres_events``. An event is claimed by setting ``locked`` and ``locked_by = key`` in the
  same statement that selects it ``FOR UPDATE SKIP LOCKED``, so two instances never claim the
  same event. Events locked by an instance whose advisory lock is gone (it crashed, or lost its
  database connection) are claimable again at once: ``pg_locks`` says who is alive.
- The fetch loop claims up to ``batch_size`` events (holding at most ``pool_size +
  batch_size`` claimed events, so that the next batch is ready while ``pool_size`` calls are in
  flight), starts one task per event, and claims again at once while batches come back full; otherwise
  it sleeps until a NOTIFY (sent by the capture function at commit), a retry falling due, or
  ``fetch_interval``.
- A delivery task POSTs the payload (``delivery.post``) and hands the result to the recorder,
  which writes results in batches: the event row (delivered, error, tries, next_retry_at,
  unlocked) and one ``event_invocation_logs`` row per attempt, in one transaction.
- Stopping: no new claims; in-flight deliveries get ``graceful_timeout`` seconds, then are
  cancelled; every result is written and every event still locked by this instance unlocked.

An event is delivered at least once: its row is marked delivered only after the webhook
answered 2xx, and a crash at any point leaves it claimable by the next instance.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import asyncpg
import orjson

from livegres import log
from livegres.events import delivery
from livegres.events.capture import FILTER_KEY, ORDERED_KEY
from livegres.metadata import model as m
from livegres.metadata.resolve import SchemaCache

INSTANCE_LOCK_CLASS = 0x6C67  # advisory lock class of live instances ("lg")
NOTIFY_CHANNEL = "livegres_events"
DEFAULT_TIMEOUT = 60.0
_UNKNOWN_TRIGGER_DELAY = 1.0

_CLAIM = """
WITH live AS MATERIALIZED (
    SELECT objid::bigint AS key FROM pg_catalog.pg_locks
    WHERE locktype = 'advisory' AND classid = $3::oid AND objsubid = 2 AND granted
), candidates AS (
    SELECT l.id FROM hdb_catalog.event_log l
    WHERE l.delivered = 'f' AND l.error = 'f' AND l.archived = 'f'
      AND (l.next_retry_at IS NULL OR l.next_retry_at <= now()::timestamp)
      AND (l.locked IS NULL
           OR (l.locked_by IS NULL AND l.locked < now() - interval '5 minutes')
           OR l.locked_by NOT IN (SELECT key FROM live))
      AND (l.ordering_key IS NULL OR NOT EXISTS (
            SELECT 1 FROM hdb_catalog.event_log p
            WHERE p.trigger_name = l.trigger_name AND p.ordering_key = l.ordering_key AND p.seq < l.seq
              AND p.delivered = 'f' AND p.error = 'f' AND p.archived = 'f'))
    ORDER BY l.seq
    LIMIT $1
    FOR UPDATE OF l SKIP LOCKED
)
UPDATE hdb_catalog.event_log e SET locked = now(), locked_by = $2
FROM candidates c WHERE e.id = c.id
RETURNING e.id, e.trigger_name, e.tries, e.created_at < now()::timestamp - interval '1 minute' AS old,
json_build_object(
    'id', e.id,
    'created_at', e.created_at,
    'trigger', json_build_object('name', e.trigger_name),
    'table', json_build_object('schema', e.schema_name, 'name', e.table_name),
    'event', CASE WHEN jsonb_typeof(e.payload -> 'trace_context') = 'object' THEN e.payload
                  ELSE e.payload - 'trace_context' END
)::text AS body
"""

_RECORD = """
UPDATE hdb_catalog.event_log e
SET delivered = u.delivered, error = u.error, tries = e.tries + u.attempted,
    next_retry_at = CASE WHEN u.delay IS NULL THEN NULL
                         ELSE now()::timestamp + make_interval(secs => u.delay) END,
    locked = NULL, locked_by = NULL
FROM unnest($1::text[], $2::bool[], $3::bool[], $4::int[], $5::float8[]) AS u(id, delivered, error, attempted, delay)
WHERE e.id = u.id
"""

_LOG = """
INSERT INTO hdb_catalog.event_invocation_logs (trigger_name, event_id, status, request, response)
SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::json[], $5::json[])
"""

MAX_RETRY_DELAY = 7 * 24 * 3600.0
"""Retries are never scheduled further out than a week (a huge ``interval_sec`` would not fit a timestamp)."""


@dataclass(slots=True)
class Outcome:
    """What to write about one claimed event."""

    id: str
    trigger: str
    delivered: bool = False
    error: bool = False
    attempted: int = 1
    delay: float | None = None
    attempt: delivery.Attempt | None = None


@dataclass(frozen=True, slots=True)
class WorkerSettings:
    database_url: str
    pool_size: int = 100
    batch_size: int = 100
    fetch_interval: float = 1.0
    graceful_timeout: float = 60.0


def triggers_by_name(cache: SchemaCache) -> dict[str, m.EventTrigger]:
    return {
        trigger.name: trigger
        for source in cache.metadata.sources
        if isinstance(source, m.Source)
        for table in source.tables
        for trigger in table.event_triggers
    }


def event_body(row: asyncpg.Record, trigger: m.EventTrigger) -> bytes:
    """Hasura's payload: built by the claim query, plus ``delivery_info`` (which needs the trigger)."""
    info = f',"delivery_info":{{"current_retry":{row["tries"]},"max_retries":{trigger.retry_conf.num_retries}}}}}'
    body: str = row["body"]
    return (body[:-1] + info).encode()


# The server drops the liveness connection of an instance that vanished without closing it (a
# network partition, a frozen host) after about 25 seconds, which releases its lock.
_LIVENESS_SETTINGS = {
    "TimeZone": "UTC",
    "tcp_keepalives_idle": "10",
    "tcp_keepalives_interval": "5",
    "tcp_keepalives_count": "3",
}


@dataclass
class Liveness:
    """The instance's key, its advisory lock and its LISTEN connection."""

    database_url: str
    key: int = field(default_factory=lambda: random.randint(1, 2**31 - 1))
    conn: asyncpg.Connection | None = None
    listeners: list[Callable[[], None]] = field(default_factory=list)

    async def connect(self) -> None:
        conn = await asyncpg.connect(self.database_url, server_settings=_LIVENESS_SETTINGS)
        await conn.execute("SELECT pg_advisory_lock($1, $2)", INSTANCE_LOCK_CLASS, self.key)
        await conn.add_listener(NOTIFY_CHANNEL, self._notified)
        self.conn = conn

    def _notified(self, *_args: Any) -> None:
        for listener in self.listeners:
            listener()

    async def ensure(self) -> None:
        """Reconnect when the connection was lost (its lock went with it)."""
        if self.conn is not None and not self.conn.is_closed():
            return
        if self.conn is not None:
            self.conn.terminate()
            self.conn = None
        await self.connect()

    async def close(self) -> None:
        if self.conn is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.conn.close(), 5)
            self.conn = None


class Worker:
    """What an instance's event-trigger and scheduled-event workers share: the pool, the
    settings, the current metadata, the HTTP client and its slots (one limit,
    ``HASURA_GRAPHQL_EVENTS_HTTP_POOL_SIZE``, on the webhook calls of both), and liveness."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        settings: WorkerSettings,
        get_cache: Callable[[], SchemaCache],
        client: aiohttp.ClientSession,
        liveness: Liveness,
        http_slots: asyncio.Semaphore,
    ) -> None:
        self._pool = pool
        self._settings = settings
        self._get_cache = get_cache
        self._client = client
        self._live = liveness
        self._http_slots = http_slots
        self._wake = asyncio.Event()


class EventWorker(Worker):
    def __init__(
        self,
        pool: asyncpg.Pool,
        settings: WorkerSettings,
        get_cache: Callable[[], SchemaCache],
        client: aiohttp.ClientSession,
        liveness: Liveness,
        http_slots: asyncio.Semaphore,
    ) -> None:
        super().__init__(pool, settings, get_cache, client, liveness, http_slots)
        self._slot_free = asyncio.Event()
        self._inflight: dict[str, asyncio.Task[None]] = {}
        self._results: asyncio.Queue[Outcome] = asyncio.Queue()
        self._stopping = False
        self._loop_task: asyncio.Task[None] | None = None
        self._recorder_task: asyncio.Task[None] | None = None
        self._full_batches = 0
        self._indexed: dict[str, m.EventTrigger] = {}
        self._indexed_cache: SchemaCache | None = None
        liveness.listeners.append(self._wake.set)

    def start(self) -> None:
        self._loop_task = asyncio.create_task(self._fetch_loop(), name="event-fetcher")
        self._recorder_task = asyncio.create_task(self._record_loop(), name="event-recorder")

    def wake(self) -> None:
        self._wake.set()

    # -- fetching -----------------------------------------------------------------------------

    async def _fetch_loop(self) -> None:
        backoff = 0.1
        while not self._stopping:
            try:
                await self._live.ensure()
                # Up to a batch more than the HTTP pool is claimed, so that the next batch is
                # ready while the current one is being delivered.
                free = self._settings.pool_size + self._settings.batch_size - len(self._inflight)
                # Claim in reasonable batches: wait for a quarter of a batch of free room.
                wanted = max(1, self._settings.batch_size // 4)
                if free < wanted:
                    self._slot_free.clear()
                    await self._slot_free.wait()
                    continue
                limit = min(self._settings.batch_size, free)
                self._wake.clear()
                rows = await self._pool.fetch(_CLAIM, limit, self._live.key, INSTANCE_LOCK_CLASS)
                backoff = 0.1
                for row in rows:
                    self._inflight[row["id"]] = asyncio.create_task(self._deliver(row), name="event-delivery")
                if len(rows) == limit:
                    # More may be waiting: claim again as soon as a delivery slot is free.
                    if limit == self._settings.batch_size:
                        self._full_batches += 1
                        if self._full_batches == 3:
                            log.warn("events processor may not be keeping up with events generation")
                    continue
                self._full_batches = 0
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self._settings.fetch_interval)
            except asyncio.CancelledError:
                raise
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as exc:
                log.warn("event fetch failed; retrying", error=str(exc))
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
            except Exception as exc:  # a bug must not stop delivery for good
                log.error("event fetch failed", error=repr(exc))
                await asyncio.sleep(1.0)

    # -- delivering ---------------------------------------------------------------------------

    async def _deliver(self, row: asyncpg.Record) -> None:
        event_id: str = row["id"]
        try:
            outcome = await self._attempt(row)
        except asyncio.CancelledError:
            self._results.put_nowait(Outcome(event_id, row["trigger_name"], attempted=0))
            raise
        except Exception as exc:  # never lose the event: unlock it for a later try
            log.error("event delivery failed", event_id=event_id, error=repr(exc))
            outcome = Outcome(event_id, row["trigger_name"], attempted=0, delay=_UNKNOWN_TRIGGER_DELAY)
        finally:
            self._inflight.pop(event_id, None)
            self._slot_free.set()
        self._results.put_nowait(outcome)

    async def _attempt(self, row: asyncpg.Record) -> Outcome:
        name = row["trigger_name"]
        cache = self._get_cache()
        if cache is not self._indexed_cache:
            self._indexed, self._indexed_cache = triggers_by_name(cache), cache
        trigger = self._indexed.get(name)
        if trigger is None:
            # Not (yet) in this instance's metadata: another instance may just have created it,
            # or its metadata is still to be applied. Kept, and looked at again later.
            delay = _UNKNOWN_TRIGGER_DELAY if not row["old"] else 60.0
            return Outcome(row["id"], name, attempted=0, delay=delay)
        conf = trigger.retry_conf
        timeout = float(conf.timeout_sec) if conf.timeout_sec is not None else DEFAULT_TIMEOUT
        target = delivery.resolve_target(trigger.webhook, trigger.webhook_from_env, trigger.headers, timeout)
        async with self._http_slots:
            attempt = await delivery.post(self._client, target, event_body(row, trigger))
        outcome = Outcome(row["id"], name, attempt=attempt)
        if attempt.ok:
            outcome.delivered = True
        elif row["tries"] + 1 > conf.num_retries:
            outcome.error = True
        else:
            delay = attempt.retry_after if attempt.retry_after is not None else float(conf.interval_sec)
            delay = min(max(delay, 0.0), MAX_RETRY_DELAY)
            outcome.delay = delay
            # (a little after: the retry time is counted from when the result is written)
            asyncio.get_running_loop().call_later(delay + 0.05, self._wake.set)
        return outcome

    # -- recording ----------------------------------------------------------------------------

    async def _record_loop(self) -> None:
        while True:
            first = await self._results.get()
            batch = [first]
            while not self._results.empty() and len(batch) < 1000:
                batch.append(self._results.get_nowait())
            try:
                await self._write(batch)
            except Exception as exc:  # never let one bad batch stop all recording
                log.error("could not record event results", error=repr(exc), events=len(batch))
            finally:
                for _ in batch:
                    self._results.task_done()

    async def _write(self, batch: list[Outcome]) -> None:
        backoff = 0.1
        while True:
            try:
                await write_outcomes(self._pool, batch)
                return
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as exc:
                if self._stopping and backoff > 2:
                    log.error("could not record event results", error=str(exc), events=len(batch))
                    return
                log.warn("recording event results failed; retrying", error=str(exc))
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)

    # -- stopping -----------------------------------------------------------------------------

    async def stop(self) -> None:
        self._stopping = True
        self._wake.set()
        self._slot_free.set()
        if self._loop_task is not None:
            self._loop_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._loop_task
        pending = list(self._inflight.values())
        if pending:
            _done, late = await asyncio.wait(pending, timeout=self._settings.graceful_timeout)
            for task in late:
                task.cancel()
            if late:
                await asyncio.wait(late, timeout=5)
        # Let the recorder write what it has (it is never cancelled in the middle of a batch).
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._results.join(), 10)
        if self._recorder_task is not None:
            self._recorder_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._recorder_task
        rest: list[Outcome] = []
        while not self._results.empty():
            rest.append(self._results.get_nowait())
        if rest:
            await self._write(rest)
        with contextlib.suppress(Exception):
            await self._pool.execute(
                "UPDATE hdb_catalog.event_log SET locked = NULL, locked_by = NULL WHERE locked_by = $1 "
                "AND delivered = 'f' AND error = 'f'",
                self._live.key,
            )


async def write_outcomes(pool: asyncpg.Pool, batch: list[Outcome]) -> None:
    logged = [o for o in batch if o.attempt is not None]
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(
            _RECORD,
            [o.id for o in batch],
            [o.delivered for o in batch],
            [o.error for o in batch],
            [o.attempted for o in batch],
            [o.delay for o in batch],
        )
        if logged:
            await conn.execute(
                _LOG,
                [o.trigger for o in logged],
                [o.id for o in logged],
                [o.attempt.status for o in logged if o.attempt],
                [o.attempt.request for o in logged if o.attempt],
                [orjson.dumps(o.attempt.response).decode() for o in logged if o.attempt],
            )


__all__ = ["FILTER_KEY", "ORDERED_KEY", "EventWorker", "Liveness", "WorkerSettings"]
