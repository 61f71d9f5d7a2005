"""``livegres events cleanup`` deletes finished events older than N hours, in batches."""

from __future__ import annotations

import subprocess
import sys
import time

from tests.events.conftest import query, run_sql, sql, wait_until
from tests.events.receiver import Receiver
from tests.support.server import LivegresProcess


def count(url: str, sql: str) -> int:
    return int(run_sql(url, sql)["result"][1][0])


def test_cleanup_deletes_old_finished_events_only(
    events_server: LivegresProcess, receiver: Receiver, database_url: str
) -> None:
    url = events_server.url
    run_sql(url, "CREATE TABLE logged (id serial PRIMARY KEY, n int)")
    query(url, {"type": "track_table", "args": {"schema": "public", "name": "logged"}})
    args = {"name": "logged", "table": "logged", "webhook": receiver.url, "insert": {"columns": "*"}}
    query(url, {"type": "create_event_trigger", "args": args})
    run_sql(url, "INSERT INTO logged (n) SELECT g FROM generate_series(1, 30) g")
    assert receiver.wait_for(lambda: len(receiver.ids("logged")) == 30)
    recorded = "SELECT count(*) FROM hdb_catalog.event_log WHERE trigger_name = 'logged' AND delivered"
    assert wait_until(lambda: count(url, recorded) == 30, 10)
    query(url, {"type": "delete_event_trigger", "args": {"name": "logged"}})
    # 20 old delivered events, 10 recent ones, and 5 old ones still pending.
    run_sql(
        url,
        "UPDATE hdb_catalog.event_log SET created_at = now() - interval '48 hours' "
        "WHERE id IN (SELECT id FROM hdb_catalog.event_log WHERE trigger_name = 'logged' ORDER BY seq LIMIT 20)",
    )
    # (inserted directly: a metadata request would archive the events of a trigger that does not exist)
    sql(
        database_url,
        "INSERT INTO hdb_catalog.event_log (schema_name, table_name, trigger_name, payload, created_at) "
        "SELECT 'public', 'logged', 'pending', '{}', now() - interval '48 hours' FROM generate_series(1, 5)",
    )
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "livegres",
            "events",
            "cleanup",
            "--database-url",
            database_url,
            "--older-than",
            "24",
            "--batch-size",
            "7",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "deleted 20 events, 20 invocation logs" in done.stdout
    assert count(url, "SELECT count(*) FROM hdb_catalog.event_log WHERE trigger_name = 'logged'") == 10
    assert count(url, "SELECT count(*) FROM hdb_catalog.event_invocation_logs WHERE trigger_name = 'logged'") == 10
    assert count(url, "SELECT count(*) FROM hdb_catalog.event_log WHERE trigger_name = 'pending'") == 5


def test_cleanup_config_runs_on_its_schedule(events_server: LivegresProcess, receiver: Receiver) -> None:
    url = events_server.url
    run_sql(url, "CREATE TABLE auto_clean (id serial PRIMARY KEY, n int)")
    query(url, {"type": "track_table", "args": {"schema": "public", "name": "auto_clean"}})
    cleanup_config = {"schedule": "* * * * * *", "clear_older_than": 24, "clean_invocation_logs": True}
    args = {
        "name": "auto_clean",
        "table": "auto_clean",
        "webhook": receiver.url,
        "insert": {"columns": "*"},
        "cleanup_config": cleanup_config,
    }
    query(url, {"type": "create_event_trigger", "args": args})
    run_sql(url, "INSERT INTO auto_clean (n) SELECT g FROM generate_series(1, 6) g")
    assert receiver.wait_for(lambda: len(receiver.ids("auto_clean")) == 6)
    recorded = "SELECT count(*) FROM hdb_catalog.event_log WHERE trigger_name = 'auto_clean' AND delivered"
    assert wait_until(lambda: count(url, recorded) == 6, 10)
    run_sql(
        url,
        "UPDATE hdb_catalog.event_log SET created_at = now() - interval '48 hours' WHERE id IN "
        "(SELECT id FROM hdb_catalog.event_log WHERE trigger_name = 'auto_clean' ORDER BY seq LIMIT 4)",
    )
    events = "SELECT count(*) FROM hdb_catalog.event_log WHERE trigger_name = 'auto_clean'"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and count(url, events) > 2:
        time.sleep(0.2)
    assert count(url, events) == 2
    assert count(url, "SELECT count(*) FROM hdb_catalog.event_invocation_logs WHERE trigger_name = 'auto_clean'") == 2
    runs = (
        "SELECT count(*) FROM hdb_catalog.hdb_event_log_cleanups WHERE status = 'completed' AND deleted_event_logs = 4"
    )
    assert count(url, runs) == 1
