"""Cron triggers and one-off scheduled events fire on time, once, with retries and logs."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.events.conftest import livegres, query, start_all
from tests.events.receiver import Receiver
from tests.support.server import LivegresProcess


def test_cron_and_one_off_fire_on_time_once_with_two_instances_and_errors(database_url: str, tmp_path: Path) -> None:
    a, b = start_all([livegres(database_url, tmp_path, "a"), livegres(database_url, tmp_path, "b")])
    try:
        with Receiver() as receiver:
            run_cron_and_one_off(a, receiver)
            cron_errors(b)
    finally:
        a.stop()
        b.stop()


def run_cron_and_one_off(a: LivegresProcess, receiver: Receiver) -> None:
    query(
        a.url,
        {
            "type": "create_cron_trigger",
            "args": {
                "name": "every_two_seconds",
                "webhook": receiver.url + "/cron",
                "schedule": "* * * * * */2",
                "payload": {"k": "v"},
                "include_in_metadata": True,
                "headers": [{"name": "X-Cron", "value": "yes"}],
            },
        },
        "/v1/metadata",
    )
    at = (datetime.now(UTC) + timedelta(seconds=2)).replace(microsecond=0)
    created = query(
        a.url,
        {
            "type": "create_scheduled_event",
            "args": {"webhook": receiver.url + "/once", "schedule_at": at.isoformat(), "payload": {"one": 1}},
        },
        "/v1/metadata",
    )
    failing = query(
        a.url,
        {
            "type": "create_scheduled_event",
            "args": {
                "webhook": receiver.url + "/fail",
                "schedule_at": datetime.now(UTC).isoformat(),
                "retry_conf": {"num_retries": 1, "retry_interval_seconds": 1},
            },
        },
        "/v1/metadata",
    )
    time.sleep(5.2)
    query(a.url, {"type": "delete_cron_trigger", "args": {"name": "every_two_seconds"}}, "/v1/metadata")
    cron = [r for r in receiver.received if r.path == "/cron"]
    once = [r for r in receiver.received if r.path == "/once"]
    # Each scheduled time fired once, within a second of its time, by one of the two instances.
    times = [r.body["scheduled_time"] for r in cron]
    assert len(cron) >= 2 and len(times) == len(set(times))
    for r in cron:
        scheduled = datetime.fromisoformat(r.body["scheduled_time"].replace("Z", "+00:00")).timestamp()
        assert 0 <= r.at - scheduled < 1.0
        assert r.body["payload"] == {"k": "v"} and r.body["name"] == "every_two_seconds"
        assert r.headers.get("X-Cron") == "yes"
    assert len(once) == 1
    assert once[0].body["id"] == created["event_id"] and once[0].body["payload"] == {"one": 1}
    assert 0 <= once[0].at - at.timestamp() < 1.0

    # Invocations are logged: the one-off event once (200), the failing one twice (500), then error.
    def invocations(event_id: str) -> list[int]:
        args = {"type": "one_off", "event_id": event_id}
        answer = query(a.url, {"type": "get_scheduled_event_invocations", "args": args}, "/v1/metadata")
        return [i["status"] for i in answer["invocations"]]

    assert invocations(created["event_id"]) == [200]
    assert invocations(failing["event_id"]) == [500, 500]
    events = query(a.url, {"type": "get_scheduled_events", "args": {"type": "one_off"}}, "/v1/metadata")
    status = {e["id"]: e["status"] for e in events["events"]}
    assert status == {created["event_id"]: "delivered", failing["event_id"]: "error"}
    exported = query(a.url, {"type": "export_metadata", "args": {}}, "/v1/metadata")
    assert "cron_triggers" not in exported or exported["cron_triggers"] == []


def cron_errors(server: LivegresProcess) -> None:
    args = {"name": "bad", "webhook": "http://127.0.0.1:1", "schedule": "not cron", "include_in_metadata": False}
    answer = query(server.url, {"type": "create_cron_trigger", "args": args}, "/v1/metadata", status=400)
    assert answer["code"] == "parse-failed"
    missing = query(server.url, {"type": "delete_cron_trigger", "args": {"name": "nope"}}, "/v1/metadata", 400)
    assert missing["code"] == "not-exists"
