"""Event triggers through HTTP (metadata only): create, replace, delete; errors as Hasura's."""

from __future__ import annotations

from typing import Any

import asyncpg
import httpx
import pytest

from tests.metadata_api.helpers import error, export, ok


async def table_entry(client: httpx.AsyncClient, name: str, schema: str = "public") -> dict[str, Any]:
    for entry in (await export(client))["sources"][0]["tables"]:
        if entry["table"] == {"name": name, "schema": schema}:
            return dict(entry)
    raise AssertionError(f"table {schema}.{name} is not tracked")


async def new_table(client: httpx.AsyncClient, name: str) -> None:
    sql = f"CREATE TABLE et.{name} (c1 int, c2 text)"
    await ok(client, {"type": "run_sql", "args": {"sql": sql}})
    await ok(client, {"type": "track_table", "args": {"schema": "et", "name": name}})


def create(name: str, table: str, **spec: Any) -> dict[str, Any]:
    args: dict[str, Any] = {"name": name, "table": {"schema": "et", "name": table}, **spec}
    args.setdefault("webhook", "http://127.0.0.1:5592")
    return {"type": "create_event_trigger", "args": args}


ALL = {"insert": {"columns": "*"}, "update": {"columns": "*"}, "delete": {"columns": "*"}}


@pytest.fixture(scope="module", autouse=True)
async def schema(client: httpx.AsyncClient) -> None:
    await ok(client, {"type": "run_sql", "args": {"sql": "CREATE SCHEMA et; CREATE TABLE et.untracked (c1 int)"}})


async def test_create_event_trigger_shows_in_export(client: httpx.AsyncClient) -> None:
    await new_table(client, "t_create")
    body = create(
        "t_create_all",
        "t_create",
        insert={"columns": "*", "payload": ["c1"]},
        update={"columns": ["c2"]},
        delete={"columns": "*"},
        headers=[{"name": "X-Header-From-Value", "value": "MyValue"}],
    )
    assert await ok(client, body) == {"message": "success"}
    entry = await table_entry(client, "t_create", "et")
    assert entry["event_triggers"] == [
        {
            "name": "t_create_all",
            "definition": {
                "delete": {"columns": "*"},
                "enable_manual": False,
                "insert": {"columns": "*", "payload": ["c1"]},
                "update": {"columns": ["c2"]},
            },
            "retry_conf": {"interval_sec": 10, "num_retries": 0, "timeout_sec": 60},
            "webhook": "http://127.0.0.1:5592",
            "headers": [{"name": "X-Header-From-Value", "value": "MyValue"}],
        }
    ]


async def test_pg_create_event_trigger_on_metadata_api(client: httpx.AsyncClient) -> None:
    await new_table(client, "t_meta")
    args = {
        "source": "default",
        "name": "t_meta_manual",
        "table": {"schema": "et", "name": "t_meta"},
        "enable_manual": True,
        "retry_conf": {"num_retries": 5, "interval_sec": 5},
        "webhook": "http://example/hook",
    }
    await ok(client, {"type": "pg_create_event_trigger", "args": args}, "/v1/metadata")
    (trigger,) = (await table_entry(client, "t_meta", "et"))["event_triggers"]
    assert trigger == {
        "name": "t_meta_manual",
        "definition": {"enable_manual": True},
        "retry_conf": {"interval_sec": 5, "num_retries": 5},
        "webhook": "http://example/hook",
    }


async def test_operation_specs_not_provided(client: httpx.AsyncClient) -> None:
    # The corpus's create_trigger_operation_specs_not_provided_err.yaml.
    await new_table(client, "t_nospec")
    body = {"type": "create_event_trigger", "args": {"name": "t1_1", "table": {"schema": "et", "name": "t_nospec"}}}
    assert await error(client, body) == {
        "error": "atleast one amongst insert/update/delete/enable_manual spec must be provided",
        "code": "parse-failed",
        "path": "$",
    }
    body = {**body, "type": "pg_create_event_trigger"}
    answer = await error(client, body, "/v1/metadata")
    assert answer["path"] == "$.args"
    body = create("t1_1", "t_nospec", enable_manual=False)
    answer = await error(client, body)
    assert answer["error"] == "atleast one amongst insert/update/delete/enable_manual spec must be provided"
    bulk = {"type": "bulk", "args": [create("t_ok", "t_nospec", **ALL), create("t1_1", "t_nospec")]}
    answer = await error(client, bulk)
    assert answer["path"] == "$[1]"


@pytest.mark.parametrize(
    ("name", "path", "message"),
    [
        ("1abc", "$", "only alphanumeric and underscore and hyphens allowed for name"),
        ("a b", "$", "only alphanumeric and underscore and hyphens allowed for name"),
        ("_abc", "$", "only alphanumeric and underscore and hyphens allowed for name"),
        ("a" * 43, "$", "event trigger name can be at most 42 characters"),
        ("", "$.name", "empty string not allowed"),
    ],
)
async def test_bad_names(client: httpx.AsyncClient, name: str, path: str, message: str) -> None:
    body = create(name, "t_any", **ALL)
    assert await error(client, body) == {"path": path, "error": message, "code": "parse-failed"}


async def test_webhook_and_column_specifications(client: httpx.AsyncClient) -> None:
    body = create("t_hooks", "t_any", **ALL, webhook_from_env="HOOK_URL")
    assert await error(client, body) == {
        "path": "$",
        "error": "only one of webhook or webhook_from_env should be given",
        "code": "parse-failed",
    }
    body = create("t_hooks", "t_any", **ALL)
    del body["args"]["webhook"]
    assert (await error(client, body))["error"] == "must provide webhook or webhook_from_env"
    body = create("t_hooks", "t_any", update={"columns": []})
    assert (await error(client, body))["error"] == "found empty column specification"
    body = create("t_hooks", "t_any", delete={"columns": "*", "payload": []})
    assert (await error(client, body))["error"] == "found empty payload specification"
    body = create("t_hooks", "t_any", insert={"columns": "c1"})
    assert await error(client, body) == {
        "path": "$.insert.columns",
        "error": "only * or [] allowed",
        "code": "parse-failed",
    }
    body = create("t_hooks", "t_any", insert={"payload": "*"})
    assert (await error(client, body))["path"] == "$.insert"


async def test_table_and_columns_must_exist(client: httpx.AsyncClient) -> None:
    body = create("t_cols", "untracked", **ALL)
    assert await error(client, body) == {
        "path": "$.args",
        "error": 'table "et.untracked" does not exist in source: default',
        "code": "not-exists",
    }
    await new_table(client, "t_cols")
    body = create("t_cols", "t_cols", update={"columns": ["c1", "nope"]})
    assert await error(client, body) == {
        "path": "$.args",
        "error": 'column "nope" does not exist',
        "code": "not-exists",
    }
    body = create("t_cols", "t_cols", insert={"columns": "*", "payload": ["c2", "gone"]})
    assert (await error(client, body))["error"] == 'column "gone" does not exist'


async def test_trigger_names_are_unique(client: httpx.AsyncClient) -> None:
    await new_table(client, "t_uniq1")
    await new_table(client, "t_uniq2")
    await ok(client, create("t_uniq", "t_uniq1", **ALL))
    expected = {"path": "$.args", "error": 'Event trigger with name "t_uniq" already exists', "code": "already-exists"}
    assert await error(client, create("t_uniq", "t_uniq1", **ALL)) == expected
    assert await error(client, create("t_uniq", "t_uniq2", insert={"columns": "*"})) == expected


async def test_replace(client: httpx.AsyncClient) -> None:
    await new_table(client, "t_repl")
    await new_table(client, "t_repl_other")
    await ok(client, create("t_repl_cols", "t_repl", insert={"columns": "*"}, update={"columns": ["c2"]}))
    body = create(
        "t_repl_cols",
        "t_repl",
        update={"columns": ["c1"]},
        delete={"columns": "*"},
        webhook="http://127.0.0.1:5592/new",
        retry_conf={"num_retries": 5, "interval_sec": 5},
        replace=True,
    )
    assert await ok(client, body) == {"message": "success"}
    (trigger,) = (await table_entry(client, "t_repl", "et"))["event_triggers"]
    assert trigger == {
        "name": "t_repl_cols",
        "definition": {"delete": {"columns": "*"}, "enable_manual": False, "update": {"columns": ["c1"]}},
        "retry_conf": {"interval_sec": 5, "num_retries": 5},
        "webhook": "http://127.0.0.1:5592/new",
    }
    body = create("t_repl_cols", "t_repl_other", **ALL, replace=True)
    assert await error(client, body) == {
        "path": "$.args",
        "error": "cannot replace table or schema for trigger",
        "code": "not-supported",
    }
    body = create("t_repl_missing", "t_repl", **ALL, replace=True)
    assert await error(client, body) == {
        "path": "$.args",
        "error": 'event trigger "t_repl_missing" does not exist',
        "code": "not-exists",
    }


async def test_environment_variables_must_be_set(client: httpx.AsyncClient) -> None:
    await new_table(client, "t_env")
    body = create("t_env_hook", "t_env", **ALL, webhook_from_env="LIVEGRES_TEST_MISSING_HOOK")
    del body["args"]["webhook"]
    message = (
        'Inconsistent object: in table "et.t_env": in event trigger "t_env_hook": '
        "environment variable 'LIVEGRES_TEST_MISSING_HOOK' not set"
    )
    answer = await error(client, body)
    assert answer["path"] == "$.args"
    assert answer["code"] == "invalid-configuration"
    assert answer["error"] == message
    (item,) = answer["internal"]
    assert item["type"] == "event_trigger"
    assert item["name"] == "event_trigger t_env_hook in table et.t_env in source default"
    assert item["reason"] == message
    assert item["definition"]["table"] == {"name": "t_env", "schema": "et"}
    assert item["definition"]["configuration"]["webhook_from_env"] == "LIVEGRES_TEST_MISSING_HOOK"

    # The server's environment has LIVEGRES_TEST_HOOK and LIVEGRES_TEST_HEADER (conftest.py).
    body["args"]["webhook_from_env"] = "LIVEGRES_TEST_HOOK"
    headers = [{"name": "X-From-Env", "value_from_env": "LIVEGRES_TEST_MISSING_HEADER"}]
    body["args"]["headers"] = headers
    answer = await error(client, body)
    assert answer["error"].endswith("environment variable 'LIVEGRES_TEST_MISSING_HEADER' not set")

    headers[0]["value_from_env"] = "LIVEGRES_TEST_HEADER"
    await ok(client, body)
    (trigger,) = (await table_entry(client, "t_env", "et"))["event_triggers"]
    assert trigger["webhook_from_env"] == "LIVEGRES_TEST_HOOK"
    assert trigger["headers"] == headers
    assert "webhook" not in trigger


async def test_delete_event_trigger(client: httpx.AsyncClient) -> None:
    await new_table(client, "t_del")
    await ok(client, create("t_del_a", "t_del", **ALL))
    await ok(client, create("t_del_b", "t_del", **ALL))
    assert await ok(client, {"type": "delete_event_trigger", "args": {"name": "t_del_a"}}) == {"message": "success"}
    names = [t["name"] for t in (await table_entry(client, "t_del", "et"))["event_triggers"]]
    assert names == ["t_del_b"]
    await ok(
        client, {"type": "pg_delete_event_trigger", "args": {"source": "default", "name": "t_del_b"}}, "/v1/metadata"
    )
    assert "event_triggers" not in await table_entry(client, "t_del", "et")
    body = {"type": "delete_event_trigger", "args": {"name": "t_del_a"}}
    assert await error(client, body) == {
        "path": "$.args",
        "error": 'event trigger "t_del_a" does not exist',
        "code": "not-exists",
    }
    answer = await error(client, {"type": "delete_event_trigger", "args": {}})
    assert answer == {"path": "$", "error": 'key "name" not found', "code": "parse-failed"}


async def test_create_and_delete_in_a_bulk(client: httpx.AsyncClient) -> None:
    # The corpus's event_triggers/create-delete/create_and_delete.yaml.
    await ok(client, {"type": "run_sql", "args": {"sql": "CREATE TABLE et.t_bulk (c1 int, c2 text)"}})
    table = {"schema": "et", "name": "t_bulk"}
    bulk = {
        "type": "bulk",
        "args": [
            {"type": "track_table", "args": table},
            create("t_bulk_1", "t_bulk", **ALL),
            {"type": "delete_event_trigger", "args": {"name": "t_bulk_1"}},
            {"type": "untrack_table", "args": {"table": table}},
        ],
    }
    assert await ok(client, bulk) == [{"message": "success"}] * 4


# -- database triggers follow the metadata --------------------------------------------------


async def db_triggers(client: httpx.AsyncClient, table: str) -> list[str]:
    sql = (
        "SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
        f"JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'et' AND c.relname = '{table}' "
        "AND NOT t.tgisinternal ORDER BY 1"
    )
    answer = await ok(client, {"type": "run_sql", "args": {"sql": sql}})
    return [row[0] for row in answer["result"][1:]]


async def test_database_triggers_are_created_replaced_dropped_and_repaired(
    client: httpx.AsyncClient, database_url: str
) -> None:
    await new_table(client, "synced")
    await ok(client, create("sync_t", "synced", insert={"columns": "*"}, update={"columns": ["c1"]}))
    assert await db_triggers(client, "synced") == ["notify_hasura_sync_t_INSERT", "notify_hasura_sync_t_UPDATE"]
    await ok(client, create("sync_t", "synced", delete={"columns": "*"}, replace=True))
    assert await db_triggers(client, "synced") == ["notify_hasura_sync_t_DELETE"]
    # Someone drops it by hand, outside Livegres: reload_metadata puts it back.
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute('DROP TRIGGER "notify_hasura_sync_t_DELETE" ON et.synced')
    finally:
        await conn.close()
    assert await db_triggers(client, "synced") == []
    await ok(client, {"type": "reload_metadata", "args": {}})
    assert await db_triggers(client, "synced") == ["notify_hasura_sync_t_DELETE"]
    await ok(client, {"type": "delete_event_trigger", "args": {"name": "sync_t"}})
    assert await db_triggers(client, "synced") == []
    # A failing command in a bulk leaves no trigger behind.
    bulk = {"type": "bulk", "args": [create("sync_b", "synced", insert={"columns": "*"}), {"type": "nope", "args": {}}]}
    await error(client, bulk)
    assert await db_triggers(client, "synced") == []
    # clear_metadata drops them all.
    await ok(client, create("sync_c", "synced", insert={"columns": "*"}))
    await ok(client, {"type": "clear_metadata", "args": {}})
    assert await db_triggers(client, "synced") == []


async def test_livegres_arguments_are_checked(client: httpx.AsyncClient) -> None:
    await ok(client, {"type": "clear_metadata", "args": {}})
    await ok(client, {"type": "run_sql", "args": {"sql": "CREATE TABLE et.keyed (id int PRIMARY KEY, c1 int)"}})
    await ok(client, {"type": "track_table", "args": {"schema": "et", "name": "keyed"}})
    await new_table(client, "nokey")
    await ok(client, {"type": "run_sql", "args": {"sql": "CREATE VIEW et.aview AS SELECT 1 AS c1"}})
    await ok(client, {"type": "track_table", "args": {"schema": "et", "name": "aview"}})
    # Ordered delivery needs a primary key.
    answer = await error(client, create("o1", "nokey", insert={"columns": "*"}, ordered=True))
    assert answer["code"] == "not-supported" and "primary key" in answer["error"]
    await ok(client, create("o2", "keyed", insert={"columns": "*"}, ordered=True))
    # Triggers only on tables.
    answer = await error(client, create("v1", "aview", insert={"columns": "*"}))
    assert answer["code"] == "not-supported"
    # Filters are checked when the trigger is created.
    bad = create("f1", "keyed", insert={"columns": "*"}, filter={"new": {"nope": {"_eq": 1}}})
    answer = await error(client, bad)
    assert answer["code"] == "parse-failed" and answer["path"] == "$.filter"
    bad = create("f1", "keyed", insert={"columns": "*"}, filter={"new": {"c1": {"_regex": "x"}}})
    assert (await error(client, bad))["code"] == "parse-failed"
    # A value that does not fit the column's type is refused now, not by every later write.
    bad = create("f1", "keyed", insert={"columns": "*"}, filter={"new": {"c1": {"_eq": "abc"}}})
    answer = await error(client, bad)
    assert answer["code"] == "parse-failed" and "does not fit the table" in answer["error"]
    bad = create("f1", "keyed", insert={"columns": "*"}, filter={"new": {"c1": {"_in": [1, 1e100]}}})
    assert (await error(client, bad))["code"] == "parse-failed"
    await ok(client, {"type": "run_sql", "args": {"sql": "INSERT INTO et.keyed VALUES (99, 1)"}})
    good = create("f1", "keyed", insert={"columns": "*"}, filter={"new": {"c1": {"_gt": 10}}})
    await ok(client, good)
    entry = await table_entry(client, "keyed", "et")
    exported = {t["name"]: t for t in entry["event_triggers"]}
    assert exported["f1"]["filter"] == {"new": {"c1": {"_gt": 10}}}
    assert exported["o2"]["ordered"] is True
    # Untracked tables are refused.
    answer = await error(client, create("u1", "untracked", insert={"columns": "*"}))
    assert answer["code"] == "not-exists"


async def test_filter_values_are_quoted(client: httpx.AsyncClient) -> None:
    await ok(client, {"type": "run_sql", "args": {"sql": "CREATE TABLE et.quoted (id int PRIMARY KEY, name text)"}})
    await ok(client, {"type": "track_table", "args": {"schema": "et", "name": "quoted"}})
    tricky = "O'Brien $lg$; DROP TABLE et.quoted; -- $$"
    condition = {"new": {"name": {"_in": [tricky, "plain"]}}}
    await ok(client, create("quoted_t", "quoted", insert={"columns": "*"}, filter=condition))
    sql = "INSERT INTO et.quoted VALUES (1, $$O'Brien $lg$; DROP TABLE et.quoted; -- $$ || '$$'), (2, 'other')"
    await ok(client, {"type": "run_sql", "args": {"sql": sql}})
    count = "SELECT count(*) FROM hdb_catalog.event_log WHERE trigger_name = 'quoted_t'"
    answer = await ok(client, {"type": "run_sql", "args": {"sql": count}})
    assert answer["result"][1] == ["1"]
    answer = await ok(client, {"type": "run_sql", "args": {"sql": "SELECT count(*) FROM et.quoted"}})
    assert answer["result"][1] == ["2"]
