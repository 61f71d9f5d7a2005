"""Cron triggers and one-off scheduled events: generation, claiming, delivery.

- Cron triggers live in the metadata. Every instance generates their upcoming events into
  ``hdb_catalog.hdb_cron_events``; the unique index on ``(trigger_name, scheduled_time)`` and
  ``ON CONFLICT DO NOTHING`` make each scheduled time one event whatever the number of
  instances.
- One-off events are rows of ``hdb_catalog.hdb_scheduled_events`` (``create_scheduled_event``).
- An event is claimed when due by moving it from ``scheduled`` to ``locked`` (with
  ``locked_by``, the instance key of ``worker.Liveness``) under ``FOR UPDATE SKIP LOCKED``;
  events locked by an instance that is gone are claimed again. After the call it becomes
  ``delivered``, ``error`` (retries exhausted) or ``scheduled`` again with ``next_retry_at``;
  an event found later than its ``tolerance_seconds`` becomes ``dead``.
- The loop sleeps until the next due time (at most the fetch interval), or a NOTIFY.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import asyncpg
import orjson
from croniter import croniter  # type: ignore[import-untyped]

from livegres import log
from livegres.events import delivery
from livegres.events.cleanup import run_cleanup_configs
from livegres.events.worker import INSTANCE_LOCK_CLASS, Liveness, Worker, WorkerSettings
from livegres.metadata import model as m
from livegres.metadata.resolve import SchemaCache

GENERATE_AHEAD = timedelta(seconds=120)
GENERATE_EVERY = 10.0
MIN_UPCOMING = 3

_LIVE = """
    SELECT objid::bigint FROM pg_catalog.pg_locks
    WHERE locktype = 'advisory' AND classid = $3::oid AND objsubid = 2 AND granted
"""


def _claim(table: str, extra: str) -> str:
    return f"""
UPDATE hdb_catalog.{table} e SET status = 'locked', locked_by = $2
FROM (
    SELECT id FROM hdb_catalog.{table}
    WHERE (status = 'scheduled' AND coalesce(next_retry_at, scheduled_time) <= now())
       OR (status = 'locked' AND (locked_by IS NULL OR locked_by NOT IN ({_LIVE})))
    ORDER BY scheduled_time
    LIMIT $1
    FOR UPDATE SKIP LOCKED
) c
WHERE e.id = c.id
RETURNING e.id, e.scheduled_time, e.tries, e.created_at{extra}
"""


_CLAIM_CRON = _claim("hdb_cron_events", ", e.trigger_name")
_CLAIM_ONE_OFF = _claim(
    "hdb_scheduled_events",
    ", e.webhook_conf::text, e.retry_conf::text, e.payload::text, e.header_conf::text, e.comment",
)
_NEXT_DUE = """
SELECT least(
    (SELECT min(coalesce(next_retry_at, scheduled_time)) FROM hdb_catalog.hdb_cron_events WHERE status = 'scheduled'),
    (SELECT min(coalesce(next_retry_at, scheduled_time)) FROM hdb_catalog.hdb_scheduled_events
     WHERE status = 'scheduled'))
"""


def validate_schedule(schedule: str) -> bool:
    """A cron expression of 5 fields (Hasura), or 6 with seconds last."""
    return len(schedule.split()) in (5, 6) and bool(croniter.is_valid(schedule))


def upcoming(schedule: str, start: datetime, until: datetime, at_least: int = MIN_UPCOMING) -> list[datetime]:
    it = croniter(schedule, start)
    times: list[datetime] = []
    while len(times) < 1000:
        when: datetime = it.get_next(datetime)
        if when > until and len(times) >= at_least:
            break
        times.append(when)
    return times


async def generate_cron_events(conn: asyncpg.Connection, triggers: tuple[m.CronTrigger, ...]) -> int:
    """Insert the upcoming events of every cron trigger (each time once, across instances)."""
    now = datetime.now(UTC).replace(microsecond=0)
    names: list[str] = []
    times: list[datetime] = []
    for trigger in triggers:
        if not validate_schedule(trigger.schedule):
            continue
        for when in upcoming(trigger.schedule, now, now + GENERATE_AHEAD):
            names.append(trigger.name)
            times.append(when)
    if not names:
        return 0
    result = await conn.execute(
        """
        INSERT INTO hdb_catalog.hdb_cron_events (trigger_name, scheduled_time)
        SELECT * FROM unnest($1::text[], $2::timestamptz[])
        ON CONFLICT (trigger_name, scheduled_time) DO NOTHING
        """,
        names,
        times,
    )
    return int(result.split()[-1])


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class _Job:
    table: str
    log_table: str
    id: str
    tries: int
    retry: m.CronRetryConf
    scheduled_time: datetime
    target: delivery.Target
    payload: dict[str, Any]


class ScheduledWorker(Worker):
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
        self._tasks: set[asyncio.Task[None]] = set()
        self._loop_task: asyncio.Task[None] | None = None
        self._generated_at = 0.0
        self._generated_for: object = None
        liveness.listeners.append(self._wake.set)

    def start(self) -> None:
        self._loop_task = asyncio.create_task(self._loop(), name="scheduled-events")

    async def _loop(self) -> None:
        while True:
            try:
                await self._tick()
            except asyncio.CancelledError:
                raise
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as exc:
                log.warn("scheduled events: database error; retrying", error=str(exc))
                await asyncio.sleep(1.0)
                continue
            except Exception as exc:
                log.error("scheduled events failed", error=repr(exc))
                await asyncio.sleep(1.0)
                continue
            await self._sleep()

    async def _tick(self) -> None:
        cache = self._get_cache()
        triggers = cache.metadata.cron_triggers
        if time.monotonic() - self._generated_at > GENERATE_EVERY or self._generated_for is not triggers:
            async with self._pool.acquire() as conn:
                await generate_cron_events(conn, triggers)
            self._generated_at = time.monotonic()
            self._generated_for = triggers
        cleanups = _event_triggers(cache)
        if cleanups:
            async with self._pool.acquire() as conn:
                await run_cleanup_configs(conn, cleanups)
        by_name = {t.name: t for t in triggers}
        limit = self._settings.batch_size
        for row in await self._pool.fetch(_CLAIM_CRON, limit, self._live.key, INSTANCE_LOCK_CLASS):
            trigger = by_name.get(row["trigger_name"])
            if trigger is not None and not _matches(trigger.schedule, row["scheduled_time"]):
                trigger = None  # generated for a schedule that has been replaced since
            if trigger is None:
                await self._pool.execute(
                    "UPDATE hdb_catalog.hdb_cron_events SET status = 'dead', locked_by = NULL WHERE id = $1", row["id"]
                )
                continue
            payload = {
                "scheduled_time": _iso(row["scheduled_time"]),
                "payload": trigger.payload,
                "name": trigger.name,
                "id": row["id"],
                "comment": trigger.comment,
            }
            target = delivery.resolve_target(
                trigger.webhook, None, trigger.headers, float(trigger.retry_conf.timeout_seconds)
            )
            self._spawn(
                _Job(
                    "hdb_cron_events",
                    "hdb_cron_event_invocation_logs",
                    row["id"],
                    row["tries"],
                    trigger.retry_conf,
                    row["scheduled_time"],
                    target,
                    payload,
                )
            )
        for row in await self._pool.fetch(_CLAIM_ONE_OFF, limit, self._live.key, INSTANCE_LOCK_CLASS):
            retry = _one_off_retry(row["retry_conf"])
            webhook = orjson.loads(row["webhook_conf"])
            headers = _one_off_headers(row["header_conf"])
            target = delivery.resolve_target(
                webhook if isinstance(webhook, str) else None,
                webhook.get("from_env") if isinstance(webhook, dict) else None,
                headers,
                float(retry.timeout_seconds),
            )
            payload = {
                "scheduled_time": _iso(row["scheduled_time"]),
                "payload": orjson.loads(row["payload"]) if row["payload"] is not None else None,
                "created_at": _iso(row["created_at"]),
                "id": row["id"],
                "comment": row["comment"],
                "name": None,
            }
            self._spawn(
                _Job(
                    "hdb_scheduled_events",
                    "hdb_scheduled_event_invocation_logs",
                    row["id"],
                    row["tries"],
                    retry,
                    row["scheduled_time"],
                    target,
                    payload,
                )
            )

    async def _sleep(self) -> None:
        self._wake.clear()
        timeout = self._settings.fetch_interval
        with contextlib.suppress(OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
            due: datetime | None = await self._pool.fetchval(_NEXT_DUE)
            if due is not None:
                timeout = min(timeout, max(0.0, (due - datetime.now(UTC)).total_seconds()))
        timeout = min(timeout, GENERATE_EVERY)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout)

    def _spawn(self, job: _Job) -> None:
        task = asyncio.create_task(self._deliver(job), name="scheduled-delivery")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver(self, job: _Job) -> None:
        late = (datetime.now(UTC) - job.scheduled_time).total_seconds()
        if job.tries == 0 and late > float(job.retry.tolerance_seconds):
            await self._pool.execute(
                f"UPDATE hdb_catalog.{job.table} SET status = 'dead', locked_by = NULL WHERE id = $1", job.id
            )
            return
        try:
            async with self._http_slots:
                attempt = await delivery.post(self._client, job.target, job.payload)
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                await self._pool.execute(
                    f"UPDATE hdb_catalog.{job.table} SET status = 'scheduled', locked_by = NULL WHERE id = $1", job.id
                )
            raise
        if attempt.ok:
            status, delay = "delivered", None
        elif job.tries + 1 > job.retry.num_retries:
            status, delay = "error", None
        else:
            status = "scheduled"
            delay = attempt.retry_after if attempt.retry_after is not None else float(job.retry.retry_interval_seconds)
            asyncio.get_running_loop().call_later(delay + 0.05, self._wake.set)
        for backoff in (0.1, 0.5, 1, 2, 5, 5, 5):
            try:
                async with self._pool.acquire() as conn, conn.transaction():
                    await conn.execute(
                        f"""
                        UPDATE hdb_catalog.{job.table}
                        SET status = $2, tries = tries + 1, locked_by = NULL,
                            next_retry_at = CASE WHEN $3::float8 IS NULL THEN NULL
                                                 ELSE now() + make_interval(secs => $3::float8) END
                        WHERE id = $1
                        """,
                        job.id,
                        status,
                        delay,
                    )
                    await conn.execute(
                        f"INSERT INTO hdb_catalog.{job.log_table} (event_id, status, request, response)"
                        " VALUES ($1, $2, $3::json, $4::json)",
                        job.id,
                        attempt.status,
                        attempt.request,
                        orjson.dumps(attempt.response).decode(),
                    )
                return
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.warn("recording a scheduled event failed; retrying", error=str(exc))
                await asyncio.sleep(backoff)

    async def stop(self) -> None:
        if self._loop_task is not None:
            self._loop_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._loop_task
        if self._tasks:
            _done, late = await asyncio.wait(set(self._tasks), timeout=self._settings.graceful_timeout)
            for task in late:
                task.cancel()
            if late:
                await asyncio.wait(late, timeout=5)


def _matches(schedule: str, when: datetime) -> bool:
    try:
        return bool(croniter.match(schedule, when.astimezone(UTC)))
    except (ValueError, KeyError, TypeError):
        return False


def _event_triggers(cache: SchemaCache) -> list[m.EventTrigger]:
    return [
        trigger
        for source in cache.metadata.sources
        if isinstance(source, m.Source)
        for table in source.tables
        for trigger in table.event_triggers
        if trigger.cleanup_config
    ]


def _one_off_retry(raw: str | None) -> m.CronRetryConf:
    value = orjson.loads(raw) if raw else None
    if not isinstance(value, dict):
        return m.CronRetryConf()
    known = ("num_retries", "retry_interval_seconds", "timeout_seconds", "tolerance_seconds")
    return m.CronRetryConf(**{k: value[k] for k in known if isinstance(value.get(k), int | float)})


def _one_off_headers(raw: str | None) -> tuple[m.Header, ...]:
    value = orjson.loads(raw) if raw else None
    if not isinstance(value, list):
        return ()
    out = []
    for item in value:
        if isinstance(item, dict) and isinstance(item.get("name"), str):
            out.append(
                m.Header(
                    name=item["name"],
                    value=item.get("value") if isinstance(item.get("value"), str) else None,
                    value_from_env=item.get("value_from_env") if isinstance(item.get("value_from_env"), str) else None,
                )
            )
    return tuple(out)


def next_times(schedule: str, count: int) -> list[str]:
    it = croniter(schedule, datetime.now(UTC))
    return [_iso(it.get_next(datetime)) for _ in range(count)]
