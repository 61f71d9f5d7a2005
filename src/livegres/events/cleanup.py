"""Clean-up of delivered events and their logs: ``livegres events cleanup``.

Deletes, in batches (one short transaction each, so that delivery is never blocked for long),
the event-trigger events that are finished (delivered, failed or archived) and older than
``older_than_hours``, with their invocation logs; and the finished cron and one-off events
with theirs. Pending events are never touched. With ``triggers``, only those event triggers.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg
from croniter import croniter  # type: ignore[import-untyped]

from livegres.db import SERVER_SETTINGS
from livegres.metadata import model as m

_EVENTS = """
WITH doomed AS (
    SELECT id FROM hdb_catalog.event_log
    WHERE (delivered OR error OR archived) AND created_at < now()::timestamp - make_interval(hours => $1)
      AND ($3::text[] IS NULL OR trigger_name = ANY($3))
    LIMIT $2
    FOR UPDATE SKIP LOCKED
), logs AS (
    DELETE FROM hdb_catalog.event_invocation_logs WHERE $4 AND event_id IN (SELECT id FROM doomed) RETURNING 1
)
DELETE FROM hdb_catalog.event_log WHERE id IN (SELECT id FROM doomed) RETURNING (SELECT count(*) FROM logs)
"""
_SCHEDULED = """
WITH doomed AS (
    SELECT id FROM hdb_catalog.{table}
    WHERE status IN ('delivered', 'error', 'dead') AND scheduled_time < now() - make_interval(hours => $1)
    LIMIT $2
    FOR UPDATE SKIP LOCKED
)
DELETE FROM hdb_catalog.{table} WHERE id IN (SELECT id FROM doomed)
"""


@dataclass
class CleanupResult:
    events: int = 0
    invocation_logs: int = 0
    scheduled_events: int = 0


async def cleanup(
    conn: asyncpg.Connection,
    older_than_hours: int,
    batch_size: int = 10_000,
    triggers: Sequence[str] | None = None,
    invocation_logs: bool = True,
) -> CleanupResult:
    result = CleanupResult()
    names = list(triggers) if triggers else None
    while True:
        rows = await conn.fetch(_EVENTS, older_than_hours, batch_size, names, invocation_logs)
        result.events += len(rows)
        result.invocation_logs += int(rows[0][0]) if rows else 0
        if len(rows) < batch_size:
            break
    if names is None:
        for table in ("hdb_cron_events", "hdb_scheduled_events"):
            while True:
                status = await conn.execute(_SCHEDULED.format(table=table), older_than_hours, batch_size)
                deleted = int(status.split()[-1])
                result.scheduled_events += deleted
                if deleted < batch_size:
                    break
    return result


async def run_cleanup_configs(conn: asyncpg.Connection, triggers: Sequence[m.EventTrigger]) -> int:
    """Hasura's automatic clean-up: each trigger's ``cleanup_config`` run on its schedule, each
    scheduled time once across instances (the unique row in ``hdb_event_log_cleanups``)."""
    runs = 0
    now = datetime.now(UTC).replace(tzinfo=None)
    for trigger in triggers:
        config = trigger.cleanup_config or {}
        schedule, hours = config.get("schedule"), config.get("clear_older_than")
        if not isinstance(schedule, str) or not isinstance(hours, int) or config.get("paused") is True:
            continue
        if not croniter.is_valid(schedule):
            continue
        due: datetime = croniter(schedule, now).get_prev(datetime)
        if (now - due).total_seconds() > 3600:
            continue
        claimed = await conn.fetchval(
            """
            INSERT INTO hdb_catalog.hdb_event_log_cleanups (trigger_name, scheduled_at, status)
            VALUES ($1, $2, 'scheduled') ON CONFLICT (trigger_name, scheduled_at) DO NOTHING RETURNING id
            """,
            trigger.name,
            due,
        )
        if claimed is None:
            continue
        batch = config.get("batch_size")
        result = await cleanup(
            conn,
            hours,
            batch if isinstance(batch, int) and batch > 0 else 10_000,
            [trigger.name],
            invocation_logs=config.get("clean_invocation_logs") is True,
        )
        await conn.execute(
            "UPDATE hdb_catalog.hdb_event_log_cleanups SET status = 'completed', deleted_event_logs = $2, "
            "deleted_event_invocation_logs = $3 WHERE id = $1",
            claimed,
            result.events,
            result.invocation_logs,
        )
        runs += 1
    return runs


def add_arguments(parser: argparse.ArgumentParser) -> None:
    commands = parser.add_subparsers(dest="events_command", metavar="COMMAND")
    clean = commands.add_parser(
        "cleanup",
        help="delete delivered events and their logs older than N hours",
        description="Delete finished (delivered, failed or archived) events older than --older-than hours, "
        "with their invocation logs, in batches. Pending events are kept.",
    )
    clean.add_argument(
        "--database-url",
        default=None,
        help="the database holding hdb_catalog [env: HASURA_GRAPHQL_DATABASE_URL, DATABASE_URL]",
    )
    clean.add_argument("--older-than", type=int, required=True, metavar="HOURS", help="age in hours")
    clean.add_argument("--batch-size", type=int, default=10_000, metavar="N", help="rows per batch [10000]")
    clean.add_argument("--trigger", action="append", default=None, metavar="NAME", help="only this event trigger")


def main(args: argparse.Namespace) -> int:
    if args.events_command != "cleanup":
        print("livegres events: expected a command: cleanup", file=sys.stderr)
        return 2
    url = args.database_url or os.environ.get("HASURA_GRAPHQL_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if not url:
        print("livegres events cleanup: error: no database URL (--database-url)", file=sys.stderr)
        return 2
    if args.older_than < 0 or args.batch_size < 1:
        print("livegres events cleanup: error: --older-than >= 0 and --batch-size >= 1", file=sys.stderr)
        return 2

    async def run() -> CleanupResult:
        conn = await asyncpg.connect(url, server_settings=SERVER_SETTINGS)
        try:
            return await cleanup(conn, args.older_than, args.batch_size, args.trigger)
        finally:
            await conn.close()

    try:
        result = asyncio.run(run())
    except (OSError, asyncpg.PostgresError) as exc:
        print(f"livegres events cleanup: error: {exc}", file=sys.stderr)
        return 1
    print(
        f"deleted {result.events} events, {result.invocation_logs} invocation logs "
        f"and {result.scheduled_events} scheduled events"
    )
    return 0
