"""Capture and delivery against a real server: Hasura's payload, headers, UPDATE column rules,
retries with invocation logs, manual invocation, redelivery, and bad webhooks."""

from __future__ import annotations

import itertools
import time
from typing import Any

import pytest

from tests.events.conftest import query, run_sql
from tests.events.receiver import Receiver
from tests.support.server import LivegresProcess


def trigger(name: str, table: str, webhook: str, **spec: Any) -> dict[str, Any]:
    args = {"name": name, "table": {"schema": "public", "name": table}, "webhook": webhook, **spec}
    return {"type": "create_event_trigger", "args": args}


@pytest.fixture(scope="module")
def url(events_server: LivegresProcess) -> str:
    run_sql(events_server.url, "CREATE TABLE item (id serial PRIMARY KEY, name text, qty int, note text)")
    query(events_server.url, {"type": "track_table", "args": {"schema": "public", "name": "item"}})
    return events_server.url


def test_insert_update_delete_payloads(url: str, receiver: Receiver) -> None:
    query(
        url,
        trigger(
            "item_all",
            "item",
            receiver.url + "/hook",
            insert={"columns": "*"},
            update={"columns": ["qty"]},
            delete={"columns": "*", "payload": ["id", "name"]},
            headers=[
                {"name": "X-Value", "value": "MyValue"},
                {"name": "X-Env", "value_from_env": "LIVEGRES_TEST_HEADER"},
            ],
            retry_conf={"num_retries": 0, "interval_sec": 1, "timeout_sec": 5},
        ),
    )
    run_sql(url, "INSERT INTO item (name, qty) VALUES ('apple', 1)")
    run_sql(url, "UPDATE item SET note = 'not a listed column' WHERE name = 'apple'")
    run_sql(url, "UPDATE item SET qty = 1 WHERE name = 'apple'")  # no real change
    run_sql(url, "UPDATE item SET qty = 2 WHERE name = 'apple'")
    run_sql(url, "DELETE FROM item WHERE name = 'apple'")
    assert receiver.wait_for(lambda: len(receiver.bodies("item_all")) >= 3)
    time.sleep(0.5)
    bodies = sorted(receiver.bodies("item_all"), key=lambda b: ["INSERT", "UPDATE", "DELETE"].index(b["event"]["op"]))
    assert [b["event"]["op"] for b in bodies] == ["INSERT", "UPDATE", "DELETE"]
    insert, update, delete = bodies
    assert set(insert) == {"id", "created_at", "trigger", "table", "event", "delivery_info"}
    assert insert["trigger"] == {"name": "item_all"}
    assert insert["table"] == {"schema": "public", "name": "item"}
    assert insert["event"]["session_variables"] is None
    assert insert["event"]["data"] == {"old": None, "new": {"id": 1, "name": "apple", "qty": 1, "note": None}}
    assert insert["delivery_info"] == {"current_retry": 0, "max_retries": 0}
    assert update["event"]["data"]["old"]["qty"] == 1 and update["event"]["data"]["new"]["qty"] == 2
    assert delete["event"]["data"] == {"old": {"id": 1, "name": "apple"}, "new": None}
    received = [r for r in receiver.received if r.path == "/hook"]
    headers = {k.lower(): v for k, v in received[0].headers.items()}
    assert headers["x-value"] == "MyValue" and headers["x-env"] == "MyEnvValue"
    assert headers["content-type"] == "application/json"
    logs_query = {"type": "pg_get_event_invocation_logs", "args": {"name": "item_all"}}
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and len(query(url, logs_query, "/v1/metadata")) < 3:
        time.sleep(0.1)
    logs = query(url, logs_query, "/v1/metadata")
    assert len(logs) == 3 and {log["http_status"] for log in logs} == {200}
    events = query(
        url, {"type": "pg_get_event_logs", "args": {"name": "item_all", "status": "processed"}}, "/v1/metadata"
    )
    assert len(events) == 3 and all(e["delivered"] for e in events)
    query(url, {"type": "delete_event_trigger", "args": {"name": "item_all"}})


def test_session_variables_come_from_hasura_user(url: str, receiver: Receiver) -> None:
    query(url, trigger("item_session", "item", receiver.url + "/session", insert={"columns": "*"}))
    sql = (
        'SELECT set_config(\'hasura.user\', \'{"x-hasura-role": "user", "x-hasura-user-id": "7"}\', true);'
        " INSERT INTO item (name, qty) VALUES ('pear', 3)"
    )
    run_sql(url, sql)
    assert receiver.wait_for(lambda: len(receiver.bodies("item_session")) == 1)
    body = receiver.bodies("item_session")[0]
    assert body["event"]["session_variables"] == {"x-hasura-role": "user", "x-hasura-user-id": "7"}
    query(url, {"type": "delete_event_trigger", "args": {"name": "item_session"}})


def test_failing_webhook_is_retried_and_logged(url: str, receiver: Receiver) -> None:
    query(
        url,
        trigger(
            "item_fail",
            "item",
            receiver.url + "/fail",
            insert={"columns": "*"},
            retry_conf={"num_retries": 2, "interval_sec": 1},
        ),
    )
    run_sql(url, "INSERT INTO item (name) VALUES ('fig')")
    assert receiver.wait_for(lambda: len(receiver.bodies("item_fail")) >= 3, timeout=15)
    time.sleep(1.2)  # no fourth call comes
    bodies = receiver.bodies("item_fail")
    assert [b["delivery_info"]["current_retry"] for b in bodies] == [0, 1, 2]
    assert all(b["delivery_info"]["max_retries"] == 2 for b in bodies)
    assert len({b["id"] for b in bodies}) == 1
    by_id = {"type": "pg_get_event_by_id", "args": {"event_id": bodies[0]["id"]}}
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not query(url, by_id, "/v1/metadata")["event"]["error"]:
        time.sleep(0.1)
    event = query(url, by_id, "/v1/metadata")
    assert event["event"]["error"] is True and event["event"]["tries"] == 3
    assert [i["http_status"] for i in event["invocations"]] == [500, 500, 500]
    # Redelivery sends it again (and it fails again).
    query(url, {"type": "pg_redeliver_event", "args": {"event_id": bodies[0]["id"]}}, "/v1/metadata")
    assert receiver.wait_for(lambda: len(receiver.bodies("item_fail")) >= 4, timeout=10)
    query(url, {"type": "delete_event_trigger", "args": {"name": "item_fail"}})


def test_manual_invocation(url: str, receiver: Receiver) -> None:
    query(url, trigger("item_manual", "item", receiver.url + "/manual", enable_manual=True))
    query(url, trigger("item_no_manual", "item", receiver.url + "/manual", insert={"columns": "*"}))
    answer = query(url, {"type": "invoke_event_trigger", "args": {"name": "item_manual", "payload": {"k": "v"}}})
    refused = query(
        url, {"type": "invoke_event_trigger", "args": {"name": "item_no_manual", "payload": {}}}, status=400
    )
    assert refused["code"] == "not-supported"
    assert receiver.wait_for(lambda: len(receiver.bodies("item_manual")) == 1)
    body = receiver.bodies("item_manual")[0]
    assert body["id"] == answer["event_id"]
    assert body["event"]["op"] == "MANUAL" and body["event"]["data"] == {"old": None, "new": {"k": "v"}}
    for name in ("item_manual", "item_no_manual"):
        query(url, {"type": "delete_event_trigger", "args": {"name": name}})


BAD_WEBHOOKS = {
    "bad_refused": ("http://127.0.0.1:1/nothing-listens", "connection failed"),
    "bad_dns": ("http://no-such-host.invalid/hook", "connection failed"),
    "bad_timeout": ("{receiver}/slow", "timeout"),
    "bad_redirects": ("{receiver}/loop", "too many redirects"),
}


def test_bad_webhooks_are_recorded_failures(url: str, receiver: Receiver) -> None:
    for name, (hook, _) in BAD_WEBHOOKS.items():
        retry = {"num_retries": 1, "interval_sec": 1, "timeout_sec": 1}
        query(url, trigger(name, "item", hook.format(receiver=receiver.url), insert={"columns": "*"}, retry_conf=retry))
    run_sql(url, "INSERT INTO item (name) VALUES ('bad')")

    def logged(name: str) -> list[Any]:
        return list(query(url, {"type": "pg_get_event_invocation_logs", "args": {"name": name}}, "/v1/metadata"))

    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and any(len(logged(name)) < 2 for name in BAD_WEBHOOKS):
        time.sleep(0.2)
    for name, (_, expected) in BAD_WEBHOOKS.items():
        logs = logged(name)
        assert len(logs) == 2, name
        assert all(log["http_status"] == 1000 for log in logs), name
        assert expected in logs[0]["response"]["data"]["message"], name
        events = query(url, {"type": "pg_get_event_logs", "args": {"name": name}}, "/v1/metadata")
        assert events[0]["error"] is True and events[0]["tries"] == 2
        query(url, {"type": "delete_event_trigger", "args": {"name": name}})


def test_big_response_is_truncated_in_the_log(url: str, receiver: Receiver) -> None:
    query(url, trigger("item_big", "item", receiver.url + "/big", insert={"columns": "*"}))
    run_sql(url, "INSERT INTO item (name) VALUES ('big')")
    deadline = time.monotonic() + 10
    logs: list[Any] = []
    while time.monotonic() < deadline and not logs:
        logs = query(url, {"type": "pg_get_event_invocation_logs", "args": {"name": "item_big"}}, "/v1/metadata")
        time.sleep(0.1)
    assert logs and logs[0]["http_status"] == 200
    assert len(logs[0]["response"]["data"]["body"]) < 100_000
    query(url, {"type": "delete_event_trigger", "args": {"name": "item_big"}})


def test_filter_is_evaluated_in_the_database(url: str, receiver: Receiver) -> None:
    condition = {"_or": [{"new": {"qty": {"_gt": 10}}}, {"old": {"qty": {"_gt": 10}}}]}
    query(
        url,
        trigger(
            "item_big_qty",
            "item",
            receiver.url + "/filtered",
            insert={"columns": "*"},
            update={"columns": "*"},
            filter=condition,
        ),
    )
    run_sql(url, "INSERT INTO item (name, qty) VALUES ('small', 5), ('large', 50)")
    run_sql(url, "UPDATE item SET qty = 6 WHERE name = 'small'")
    run_sql(url, "UPDATE item SET qty = 7 WHERE name = 'large'")
    assert receiver.wait_for(lambda: len(receiver.bodies("item_big_qty")) >= 2)
    time.sleep(0.5)
    seen = [(b["event"]["op"], b["event"]["data"]["new"]["name"]) for b in receiver.bodies("item_big_qty")]
    assert sorted(seen) == [("INSERT", "large"), ("UPDATE", "large")]
    stored = run_sql(url, "SELECT count(*) FROM hdb_catalog.event_log WHERE trigger_name = 'item_big_qty'")
    assert stored["result"][1] == ["2"]
    query(url, {"type": "delete_event_trigger", "args": {"name": "item_big_qty"}})


def test_ordered_trigger_delivers_one_key_in_commit_order(url: str, receiver: Receiver) -> None:
    receiver.slow_seconds = 0.05
    query(
        url,
        trigger("item_ordered", "item", receiver.url + "/slow", update={"columns": ["qty"]}, ordered=True),
    )
    run_sql(url, "INSERT INTO item (name, qty) VALUES ('o1', 0), ('o2', 0)")
    for i in range(1, 11):
        run_sql(url, f"UPDATE item SET qty = {i} WHERE name IN ('o1', 'o2')")
    assert receiver.wait_for(lambda: len(receiver.bodies("item_ordered")) >= 20, timeout=20)
    received = [r for r in receiver.received if r.path == "/slow"]
    for name in ("o1", "o2"):
        mine = [r for r in received if r.body["event"]["data"]["new"]["name"] == name]
        assert [r.body["event"]["data"]["new"]["qty"] for r in mine] == list(range(1, 11))
        # One at a time: each call starts after the previous one was answered.
        gaps = [b.at - a.at for a, b in itertools.pairwise(mine)]
        assert min(gaps) >= 0.05
    query(url, {"type": "delete_event_trigger", "args": {"name": "item_ordered"}})


def test_deleting_a_trigger_archives_its_pending_events(url: str, receiver: Receiver) -> None:
    retry = {"num_retries": 5, "interval_sec": 100}
    query(url, trigger("item_gone", "item", receiver.url + "/fail", insert={"columns": "*"}, retry_conf=retry))
    run_sql(url, "INSERT INTO item (name) VALUES ('gone')")
    assert receiver.wait_for(lambda: len(receiver.bodies("item_gone")) == 1)
    query(url, {"type": "delete_event_trigger", "args": {"name": "item_gone"}})
    rows = run_sql(url, "SELECT archived, delivered FROM hdb_catalog.event_log WHERE trigger_name = 'item_gone'")
    assert rows["result"][1:] == [["t", "f"]]
