"""At-least-once delivery under faults, with real ``livegres serve`` processes and a real
webhook receiver; every test counts events by id and asserts that none is lost."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.events.conftest import livegres, query, run_sql, sql, start_all, wait_until
from tests.events.receiver import Receiver
from tests.support.server import LivegresProcess


def event_ids(database_url: str, trigger: str) -> set[str]:
    rows = sql(database_url, f"SELECT id FROM hdb_catalog.event_log WHERE trigger_name = '{trigger}'")
    return {row["id"] for row in rows}


def setup_trigger(url: str, table: str, webhook: str, **retry: Any) -> None:
    run_sql(url, f"CREATE TABLE {table} (id serial PRIMARY KEY, n int)")
    query(url, {"type": "track_table", "args": {"schema": "public", "name": table}})
    args = {
        "name": table,
        "table": {"schema": "public", "name": table},
        "webhook": webhook,
        "insert": {"columns": "*"},
        "retry_conf": {"num_retries": 20, "interval_sec": 1, "timeout_sec": 60, **retry},
    }
    query(url, {"type": "create_event_trigger", "args": args})


@pytest.fixture
def log_dir(tmp_path: Path) -> Path:
    return tmp_path


@pytest.fixture
def fresh_receiver() -> Iterator[Receiver]:
    with Receiver() as r:
        yield r


def test_events_written_while_stopped_are_delivered_after_start(
    database_url: str, log_dir: Path, fresh_receiver: Receiver
) -> None:
    server = livegres(database_url, log_dir).start()
    try:
        setup_trigger(server.url, "offline", fresh_receiver.url)
    finally:
        server.stop()
    sql(database_url, "INSERT INTO offline (n) SELECT g FROM generate_series(1, 1000) g")
    expected = event_ids(database_url, "offline")
    assert len(expected) == 1000
    with livegres(database_url, log_dir, "second"):
        assert fresh_receiver.wait_for(lambda: set(fresh_receiver.ids("offline")) >= expected, timeout=30)
    assert set(fresh_receiver.ids("offline")) == expected


def test_webhook_down_for_a_while(database_url: str, log_dir: Path) -> None:
    receiver = Receiver()
    with livegres(database_url, log_dir) as server:
        setup_trigger(server.url, "down", receiver.url)
        run_sql(server.url, "INSERT INTO down (n) SELECT g FROM generate_series(1, 50) g")
        expected = event_ids(database_url, "down")
        assert len(expected) == 50
        failures = (
            "SELECT event_id, count(*) AS n FROM hdb_catalog.event_invocation_logs "
            "WHERE trigger_name = 'down' AND status = 1000 GROUP BY event_id"
        )

        def failed_twice() -> bool:
            rows = sql(database_url, failures)
            return {row["event_id"] for row in rows if row["n"] >= 2} == expected

        assert wait_until(failed_twice, 30)  # the webhook is down: every event fails, and is retried
        receiver.start()
        try:
            assert receiver.wait_for(lambda: set(receiver.ids("down")) >= expected, timeout=30)
        finally:
            receiver.stop()
        delivered = "SELECT count(*) AS n FROM hdb_catalog.event_log WHERE trigger_name = 'down' AND delivered"
        assert wait_until(lambda: sql(database_url, delivered)[0]["n"] == 50, 10)


def test_kill_9_mid_delivery_loses_nothing(database_url: str, log_dir: Path, fresh_receiver: Receiver) -> None:
    fresh_receiver.slow_seconds = 0.3
    server = livegres(database_url, log_dir, HASURA_GRAPHQL_EVENTS_HTTP_POOL_SIZE="20").start()
    try:
        setup_trigger(server.url, "crash", fresh_receiver.url + "/slow")
        run_sql(server.url, "INSERT INTO crash (n) SELECT g FROM generate_series(1, 200) g")
        expected = event_ids(database_url, "crash")
        assert fresh_receiver.wait_for(lambda: len(fresh_receiver.ids("crash")) >= 40, timeout=20)
    finally:
        server.stop(signal.SIGKILL)
    locked = sql(database_url, "SELECT count(*) AS n FROM hdb_catalog.event_log WHERE locked IS NOT NULL")
    assert locked[0]["n"] > 0  # the crash left events claimed by the dead instance
    fresh_receiver.slow_seconds = 0.0
    with livegres(database_url, log_dir, "restarted"):
        assert fresh_receiver.wait_for(lambda: set(fresh_receiver.ids("crash")) >= expected, timeout=30)
    assert set(fresh_receiver.ids("crash")) == expected


def test_three_instances_deliver_each_event_once(database_url: str, log_dir: Path, fresh_receiver: Receiver) -> None:
    servers: list[LivegresProcess] = [livegres(database_url, log_dir, f"instance{i}") for i in range(3)]
    try:
        start_all(servers)
        setup_trigger(servers[0].url, "shared", fresh_receiver.url)
        for server in servers:
            run_sql(server.url, "INSERT INTO shared (n) SELECT g FROM generate_series(1, 300) g")
        expected = event_ids(database_url, "shared")
        assert len(expected) == 900
        assert fresh_receiver.wait_for(lambda: set(fresh_receiver.ids("shared")) >= expected, timeout=30)
        # Every event is recorded as delivered (so no retry can still be on its way).
        pending = "SELECT count(*) AS n FROM hdb_catalog.event_log WHERE trigger_name = 'shared' AND NOT delivered"
        assert wait_until(lambda: sql(database_url, pending)[0]["n"] == 0, 15)
        time.sleep(0.3)
        counts = fresh_receiver.ids("shared")
        assert set(counts) == expected
        twice = [event_id for event_id, n in counts.items() if n > 1]
        logs = sql(
            database_url,
            "SELECT event_id, status, response::text FROM hdb_catalog.event_invocation_logs "
            f"WHERE event_id IN ({', '.join(repr(i) for i in twice) or 'NULL'})",
        )
        assert not twice, [dict(row) for row in logs]
    finally:
        for server in servers:
            server.stop()


def test_graceful_shutdown_finishes_or_unlocks_in_flight_events(
    database_url: str, log_dir: Path, fresh_receiver: Receiver
) -> None:
    fresh_receiver.slow_seconds = 0.5
    server = livegres(
        database_url,
        log_dir,
        HASURA_GRAPHQL_EVENTS_HTTP_POOL_SIZE="8",
        HASURA_GRAPHQL_GRACEFUL_SHUTDOWN_TIMEOUT="0.2",
    ).start()
    try:
        setup_trigger(server.url, "graceful", fresh_receiver.url + "/slow")
        run_sql(server.url, "INSERT INTO graceful (n) SELECT g FROM generate_series(1, 60) g")
        expected = event_ids(database_url, "graceful")
        assert fresh_receiver.wait_for(lambda: len(fresh_receiver.ids("graceful")) >= 8, timeout=20)
    finally:
        assert server.stop(signal.SIGTERM) == 0
    # Nothing stays claimed by the stopped instance, and some events are still to deliver.
    locked = sql(database_url, "SELECT count(*) AS n FROM hdb_catalog.event_log WHERE locked IS NOT NULL")
    assert locked[0]["n"] == 0
    pending = sql(database_url, "SELECT count(*) AS n FROM hdb_catalog.event_log WHERE NOT delivered")
    assert pending[0]["n"] > 0
    fresh_receiver.slow_seconds = 0.0
    with livegres(database_url, log_dir, "after"):
        assert fresh_receiver.wait_for(lambda: set(fresh_receiver.ids("graceful")) >= expected, timeout=30)
