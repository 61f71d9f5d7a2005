"""The metadata API's core through HTTP: envelopes, tracking, run_sql, bulk, export/replace, concurrency."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from livegres.metadata.service import DEFAULT_SOURCE_CONFIGURATION

FIXTURE = Path(__file__).parent.parent / "metadata" / "fixtures" / "hasura_export.json"


async def q(client: httpx.AsyncClient, body: Any, url: str = "/v1/query", **headers: str) -> httpx.Response:
    return await client.post(url, json=body, headers=headers)


async def sql(client: httpx.AsyncClient, text: str, cascade: bool = False) -> Any:
    response = await q(client, {"type": "run_sql", "args": {"sql": text, "cascade": cascade}}, "/v2/query")
    assert response.status_code == 200, response.text
    return response.json()


async def export(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await q(client, {"type": "export_metadata", "version": 2, "args": {}}, "/v1/metadata")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def tables_of(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    return list((await export(client))["metadata"]["sources"][0]["tables"])


@pytest.fixture(autouse=True)
async def clean(client: httpx.AsyncClient) -> None:
    await q(client, {"type": "clear_metadata", "args": {}}, "/v1/metadata")
    await sql(client, "DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;")
    await sql(
        client,
        "CREATE TABLE author (id serial PRIMARY KEY, name text); "
        "CREATE TABLE article (id serial PRIMARY KEY, title text, author_id int REFERENCES author(id));"
        "INSERT INTO author (name) VALUES ('Ann'), ('Bob');",
    )


# -- envelopes ------------------------------------------------------------------------------------


async def test_unknown_path_is_hasuras_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/nothing")
    assert response.status_code == 404
    assert response.json() == {"error": "resource does not exist", "path": "$", "code": "not-found"}


async def test_invalid_json(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/metadata", content=b"{not json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid-json"


async def test_non_admin_is_refused(client: httpx.AsyncClient) -> None:
    for url in ("/v1/metadata", "/v1/query", "/v2/query"):
        response = await q(client, {"type": "export_metadata", "args": {}}, url, **{"X-Hasura-Role": "user"})
        assert response.status_code == 400
        assert response.json() == {
            "path": "$.args",
            "error": "restricted access : admin only",
            "code": "access-denied",
        }


async def test_unknown_metadata_command(client: httpx.AsyncClient) -> None:
    response = await q(client, {"type": "track_table", "args": {}}, "/v1/metadata")
    assert response.status_code == 400
    assert response.json() == {
        "path": "$",
        "error": 'unknown metadata command "track_table"; "track" was not recognized as a valid backend name',
        "code": "parse-failed",
    }
    response = await q(client, {"type": "pg_frobnicate", "args": {}}, "/v1/metadata")
    assert response.json()["error"] == 'unknown metadata command "frobnicate" for backend pg'
    response = await q(client, {"type": "frobnicate", "args": {}}, "/v2/query")
    assert response.json() == {"path": "$", "error": "Unrecognised RQLQuery type: frobnicate", "code": "parse-failed"}


async def test_missing_args(client: httpx.AsyncClient) -> None:
    response = await q(client, {"type": "pg_track_table"}, "/v1/metadata")
    assert response.status_code == 400
    assert response.json() == {"path": "$", "error": 'key "args" not found', "code": "parse-failed"}


# -- tracking -------------------------------------------------------------------------------------


async def test_track_and_untrack(client: httpx.AsyncClient) -> None:
    response = await q(client, {"type": "track_table", "args": {"name": "author"}})
    assert (response.status_code, response.json()) == (200, {"message": "success"})
    assert await tables_of(client) == [{"table": {"name": "author", "schema": "public"}}]
    response = await q(client, {"type": "track_table", "args": {"name": "author"}})
    assert response.status_code == 400
    assert response.json() == {
        "path": "$.args",
        "error": 'view/table already tracked : "author"',
        "code": "already-tracked",
    }
    response = await q(client, {"type": "untrack_table", "args": {"table": "author"}})
    assert response.json() == {"message": "success"}
    response = await q(client, {"type": "untrack_table", "args": {"table": {"schema": "public", "name": "author"}}})
    assert response.status_code == 400
    assert response.json()["code"] == "already-untracked"


async def test_track_forms_and_pg_track_table(client: httpx.AsyncClient) -> None:
    assert (await q(client, {"type": "track_table", "args": "author"})).status_code == 200
    response = await q(
        client,
        {
            "type": "pg_track_table",
            "args": {
                "table": {"schema": "public", "name": "article"},
                "configuration": {"custom_name": "post", "column_config": {"title": {"custom_name": "heading"}}},
            },
        },
        "/v1/metadata",
    )
    assert response.status_code == 200, response.text
    article = next(t for t in await tables_of(client) if t["table"]["name"] == "article")
    assert article["configuration"]["custom_name"] == "post"
    assert article["configuration"]["column_config"] == {"title": {"custom_name": "heading"}}


async def test_tracking_a_missing_table(client: httpx.AsyncClient) -> None:
    response = await q(client, {"type": "pg_track_table", "args": {"table": "nope"}}, "/v1/metadata")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid-configuration"
    assert body["error"] == 'Inconsistent object: no such table/view exists in source: "nope"'
    assert body["internal"][0]["type"] == "table"
    assert await tables_of(client) == []


async def test_untrack_with_dependents_needs_cascade(client: httpx.AsyncClient) -> None:
    for name in ("author", "article"):
        await q(client, {"type": "track_table", "args": {"name": name}})
    response = await q(
        client,
        {
            "type": "pg_create_object_relationship",
            "args": {"table": "article", "name": "author", "using": {"foreign_key_constraint_on": "author_id"}},
        },
        "/v1/metadata",
    )
    if response.status_code != 200:
        pytest.skip("relationships are not available")
    response = await q(client, {"type": "untrack_table", "args": {"table": "author"}})
    assert response.status_code == 400
    assert response.json() == {
        "path": "$.args",
        "error": "cannot drop due to the following dependent objects : relationship article.author",
        "code": "dependency-error",
    }
    response = await q(client, {"type": "untrack_table", "args": {"table": "author", "cascade": True}})
    assert response.status_code == 200
    assert await tables_of(client) == [{"table": {"name": "article", "schema": "public"}}]


# -- run_sql --------------------------------------------------------------------------------------


async def test_run_sql_results_are_text(client: httpx.AsyncClient) -> None:
    body = await sql(
        client, "SELECT id, name, NULL::int AS nothing, true AS yes, ARRAY[1,2] AS arr FROM author ORDER BY id"
    )
    assert body == {
        "result_type": "TuplesOk",
        "result": [
            ["id", "name", "nothing", "yes", "arr"],
            ["1", "Ann", "NULL", "t", "{1,2}"],
            ["2", "Bob", "NULL", "t", "{1,2}"],
        ],
    }
    assert await sql(client, "CREATE TABLE x (a int); DROP TABLE x;") == {"result_type": "CommandOk", "result": None}


async def test_run_sql_error(client: httpx.AsyncClient) -> None:
    response = await q(client, {"type": "run_sql", "args": {"sql": "SELECT * FROM nowhere"}}, "/v2/query")
    assert response.status_code == 400
    body = response.json()
    assert (body["code"], body["error"], body["path"]) == ("postgres-error", "query execution failed", "$")
    assert body["internal"]["error"]["status_code"] == "42P01"
    response = await q(client, {"type": "run_sql", "args": {"sql": "SELECT * FROM nowhere"}}, "/v1/query")
    assert response.json()["path"] == "$.args"


async def test_run_sql_read_only(client: httpx.AsyncClient) -> None:
    response = await q(
        client, {"type": "run_sql", "args": {"sql": "DROP TABLE article", "read_only": True}}, "/v2/query"
    )
    assert response.status_code == 400
    assert response.json()["internal"]["error"]["status_code"] == "25006"
    assert (await sql(client, "SELECT count(*) FROM article"))["result"][1] == ["0"]


async def test_dropping_a_tracked_table_by_sql_follows_metadata(client: httpx.AsyncClient) -> None:
    for name in ("author", "article"):
        await q(client, {"type": "track_table", "args": {"name": name}})
    await sql(client, "DROP TABLE article")
    assert [t["table"]["name"] for t in await tables_of(client)] == ["author"]
    await sql(client, "ALTER TABLE author RENAME TO writer")
    assert [t["table"]["name"] for t in await tables_of(client)] == ["writer"]


async def test_run_sql_refuses_to_break_relationships_without_cascade(client: httpx.AsyncClient) -> None:
    for name in ("author", "article"):
        await q(client, {"type": "track_table", "args": {"name": name}})
    response = await q(
        client,
        {
            "type": "pg_create_object_relationship",
            "args": {"table": "article", "name": "author", "using": {"foreign_key_constraint_on": "author_id"}},
        },
        "/v1/metadata",
    )
    if response.status_code != 200:
        pytest.skip("relationships are not available")
    response = await q(client, {"type": "run_sql", "args": {"sql": "ALTER TABLE article DROP COLUMN author_id"}})
    assert response.status_code == 400
    assert response.json()["code"] == "dependency-error"
    assert "relationship article.author" in response.json()["error"]
    # The SQL was rolled back: the column is still there.
    assert (await sql(client, "SELECT count(author_id) FROM article"))["result_type"] == "TuplesOk"
    await sql(client, "ALTER TABLE article DROP COLUMN author_id", cascade=True)
    article = next(t for t in await tables_of(client) if t["table"]["name"] == "article")
    assert "object_relationships" not in article


# -- DML ------------------------------------------------------------------------------------------


async def test_dml_insert_select_count_update_delete(client: httpx.AsyncClient) -> None:
    await q(client, {"type": "track_table", "args": {"name": "author"}})
    response = await q(
        client,
        {"type": "insert", "args": {"table": "author", "objects": [{"name": "Cy"}], "returning": ["id", "name"]}},
    )
    assert response.json() == {"affected_rows": 1, "returning": [{"id": 3, "name": "Cy"}]}
    response = await q(
        client,
        {
            "type": "select",
            "args": {"table": "author", "columns": ["name"], "where": {"id": {"$gt": 1}}, "order_by": ["-id"]},
        },
    )
    assert response.json() == [{"name": "Cy"}, {"name": "Bob"}]
    response = await q(client, {"type": "count", "args": {"table": "author", "where": {"name": {"_like": "%o%"}}}})
    assert response.json() == {"count": 1}
    response = await q(
        client, {"type": "update", "args": {"table": "author", "where": {"id": 3}, "$set": {"name": "Cyd"}}}
    )
    assert response.json() == {"affected_rows": 1}
    response = await q(
        client,
        {"type": "delete", "args": {"table": "author", "where": {"name": "Cyd"}, "returning": ["id"]}},
    )
    assert response.json() == {"affected_rows": 1, "returning": [{"id": 3}]}
    response = await q(client, {"type": "select", "args": {"table": "article", "columns": ["id"]}})
    assert response.status_code == 400
    assert response.json() == {"path": "$.args.table", "error": 'table "article" does not exist', "code": "not-exists"}


async def test_dml_values_are_parameters(client: httpx.AsyncClient) -> None:
    await q(client, {"type": "track_table", "args": {"name": "author"}})
    nasty = "x'); DROP TABLE author; --$$\\ \u00e9"
    response = await q(client, {"type": "insert", "args": {"table": "author", "objects": [{"name": nasty}]}})
    assert response.json() == {"affected_rows": 1}
    response = await q(
        client, {"type": "select", "args": {"table": "author", "columns": ["name"], "where": {"name": nasty}}}
    )
    assert response.json() == [{"name": nasty}]


# -- bulk and atomicity ---------------------------------------------------------------------------


async def test_bulk_returns_each_result(client: httpx.AsyncClient) -> None:
    response = await q(
        client,
        {
            "type": "bulk",
            "args": [
                {"type": "track_table", "args": {"name": "author"}},
                {"type": "run_sql", "args": {"sql": "SELECT 1 AS one"}},
            ],
        },
    )
    assert response.json() == [{"message": "success"}, {"result_type": "TuplesOk", "result": [["one"], ["1"]]}]


async def test_a_failing_bulk_changes_nothing(client: httpx.AsyncClient) -> None:
    before = await export(client)
    response = await q(
        client,
        {
            "type": "bulk",
            "args": [
                {"type": "run_sql", "args": {"sql": "CREATE TABLE made_in_bulk (id int)"}},
                {"type": "track_table", "args": {"name": "author"}},
                {"type": "track_table", "args": {"name": "author"}},
            ],
        },
    )
    assert response.status_code == 400
    assert response.json()["path"] == "$.args[2].args"
    after = await export(client)
    assert after == before
    check = await sql(client, "SELECT to_regclass('made_in_bulk') IS NULL")
    assert check["result"][1] == ["t"]


async def test_bulk_keep_going_reports_each_error(client: httpx.AsyncClient) -> None:
    response = await q(
        client,
        {
            "type": "bulk_keep_going",
            "args": [
                {"type": "pg_track_table", "args": {"table": "author"}},
                {"type": "pg_track_table", "args": {"table": "author"}},
                {"type": "pg_track_table", "args": {"table": "article"}},
            ],
        },
        "/v1/metadata",
    )
    assert response.status_code == 200
    first, second, third = response.json()
    assert first == third == {"message": "success"}
    assert second["code"] == "already-tracked"
    assert [t["table"]["name"] for t in await tables_of(client)] == ["article", "author"]


async def test_a_failing_replace_metadata_leaves_the_previous_metadata(client: httpx.AsyncClient) -> None:
    await q(client, {"type": "track_table", "args": {"name": "author"}})
    before = await export(client)
    bad = {
        "version": 3,
        "sources": [
            {
                "name": "default",
                "kind": "postgres",
                "tables": [{"table": "gone"}],
                "configuration": DEFAULT_SOURCE_CONFIGURATION,
            }
        ],
    }
    response = await q(client, {"type": "replace_metadata", "args": bad}, "/v1/metadata")
    assert response.status_code == 400
    assert response.json()["error"] == "cannot continue due to inconsistent metadata"
    assert (await export(client))["metadata"] == before["metadata"]


async def test_replace_with_allowed_inconsistencies_and_healthz(client: httpx.AsyncClient) -> None:
    doc = {
        "version": 3,
        "sources": [
            {
                "name": "default",
                "kind": "postgres",
                "tables": [{"table": "gone"}],
                "configuration": DEFAULT_SOURCE_CONFIGURATION,
            }
        ],
    }
    response = await q(
        client,
        {"type": "replace_metadata", "version": 2, "args": {"allow_inconsistent_metadata": True, "metadata": doc}},
        "/v1/metadata",
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["is_consistent"] is False
    assert (
        body["inconsistent_objects"][0]["reason"] == 'Inconsistent object: no such table/view exists in source: "gone"'
    )
    health = await client.get("/healthz")
    assert (health.status_code, health.text) == (200, "WARN: inconsistent objects in schema")
    response = await q(client, {"type": "get_inconsistent_metadata", "args": {}}, "/v1/metadata")
    assert response.json()["is_consistent"] is False
    response = await q(client, {"type": "drop_inconsistent_metadata", "args": {}}, "/v1/metadata")
    assert response.json() == {"message": "success"}
    assert (await client.get("/healthz")).text == "OK"


async def test_resource_version_conflict(client: httpx.AsyncClient) -> None:
    version = (await export(client))["resource_version"]
    response = await client.post(
        "/v1/metadata",
        json={"type": "pg_track_table", "resource_version": version, "args": {"table": "author"}},
    )
    assert response.status_code == 200
    response = await client.post(
        "/v1/metadata",
        json={"type": "pg_track_table", "resource_version": version, "args": {"table": "article"}},
    )
    assert response.status_code == 409
    assert response.json() == {
        "path": "$",
        "error": f"metadata resource version referenced ({version}) did not match current version",
        "code": "conflict",
    }
    assert (await export(client))["resource_version"] == version + 1


async def test_reload_metadata(client: httpx.AsyncClient) -> None:
    response = await q(client, {"type": "reload_metadata", "args": {}}, "/v1/metadata")
    assert response.json() == {"message": "success", "is_consistent": True}


# -- round trips ----------------------------------------------------------------------------------


async def test_export_clear_replace_is_byte_identical(client: httpx.AsyncClient) -> None:
    for name in ("author", "article"):
        await q(client, {"type": "track_table", "args": {"name": name}})
    first = (await client.post("/v1/metadata", json={"type": "export_metadata", "args": {}})).content
    await q(client, {"type": "clear_metadata", "args": {}}, "/v1/metadata")
    assert await tables_of(client) == []
    response = await client.post("/v1/metadata", content=b'{"type":"replace_metadata","args":' + first + b"}")
    assert response.status_code == 200, response.text
    again = (await client.post("/v1/metadata", json={"type": "export_metadata", "args": {}})).content
    assert again == first


async def test_clear_keeps_the_default_source(client: httpx.AsyncClient) -> None:
    await q(client, {"type": "track_table", "args": {"name": "author"}})
    await q(client, {"type": "clear_metadata", "args": {}}, "/v1/metadata")
    metadata = (await export(client))["metadata"]
    assert metadata == {
        "version": 3,
        "sources": [
            {"name": "default", "kind": "postgres", "tables": [], "configuration": DEFAULT_SOURCE_CONFIGURATION}
        ],
    }


async def test_a_hasura_export_round_trips_byte_for_byte(client: httpx.AsyncClient, database_url: str) -> None:
    document = json.loads(FIXTURE.read_text())
    response = await q(
        client,
        {"type": "replace_metadata", "args": {"allow_inconsistent_metadata": True, "metadata": document}},
        "/v1/metadata",
    )
    assert response.status_code == 200, response.text
    exported = (await client.post("/v1/metadata", json={"type": "export_metadata", "args": {}})).content
    assert exported == json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()


async def test_two_handles_share_one_store(client: httpx.AsyncClient, database_url: str) -> None:
    """The stored document is what export shows: another reader sees the same JSON."""
    await q(client, {"type": "track_table", "args": {"name": "author"}})
    conn = await asyncpg.connect(database_url)
    try:
        stored = json.loads(await conn.fetchval("SELECT metadata::text FROM hdb_catalog.hdb_metadata"))
    finally:
        await conn.close()
    assert stored == (await export(client))["metadata"]


async def test_drop_and_add_the_default_source(client: httpx.AsyncClient) -> None:
    await q(client, {"type": "track_table", "args": {"name": "author"}})
    response = await q(client, {"type": "pg_drop_source", "args": {"name": "default"}}, "/v1/metadata")
    assert response.json() == {"message": "success"}
    assert (await export(client))["metadata"] == {"version": 3, "sources": []}
    response = await q(client, {"type": "pg_track_table", "args": {"table": "author"}}, "/v1/metadata")
    assert response.status_code == 400
    assert response.json()["error"] == 'source with name "default" does not exist'
    response = await q(
        client,
        {"type": "pg_add_source", "args": {"name": "default", "configuration": DEFAULT_SOURCE_CONFIGURATION}},
        "/v1/metadata",
    )
    assert response.json() == {"message": "success"}
    response = await q(
        client,
        {"type": "pg_add_source", "args": {"name": "default", "configuration": DEFAULT_SOURCE_CONFIGURATION}},
        "/v1/metadata",
    )
    assert (response.status_code, response.json()["code"]) == (400, "already-exists")
    response = await q(
        client, {"type": "pg_add_source", "args": {"name": "other", "configuration": {}}}, "/v1/metadata"
    )
    assert response.json()["code"] == "not-supported"
    response = await q(client, {"type": "pg_drop_source", "args": {"name": "other"}}, "/v1/metadata")
    assert (response.status_code, response.json()["code"]) == (400, "not-exists")
    assert (await q(client, {"type": "pg_track_table", "args": {"table": "author"}}, "/v1/metadata")).status_code == 200


async def test_enum_tables_must_have_the_enum_shape(client: httpx.AsyncClient) -> None:
    await sql(
        client,
        "CREATE TABLE colour (value text PRIMARY KEY, comment text); INSERT INTO colour VALUES ('red', 'Red');"
        "CREATE TABLE employee (id int PRIMARY KEY, name text, favourite text, paid date);",
    )
    for name in ("colour", "employee"):
        assert (await q(client, {"type": "track_table", "args": {"name": name}})).status_code == 200
    response = await q(client, {"type": "set_table_is_enum", "args": {"table": "colour", "is_enum": True}})
    assert response.json() == {"message": "success"}
    response = await q(client, {"type": "set_table_is_enum", "args": {"table": "employee", "is_enum": True}})
    assert response.status_code == 400
    assert response.json()["error"] == (
        'Inconsistent object: the table "employee" cannot be used as an enum for the following reasons:\n'
        '  • the table\u2019s primary key ("id") must have type "text", not type "integer"\n'
        "  • the table must have exactly one primary key and optionally one comment column, "
        "not 4 columns (favourite, id, name, paid)\n"
    )
    colour = next(t for t in await tables_of(client) if t["table"]["name"] == "colour")
    assert colour["is_enum"] is True


async def test_run_sql_refuses_to_break_a_permission_filter_without_cascade(client: httpx.AsyncClient) -> None:
    await q(client, {"type": "track_table", "args": {"name": "author"}})
    response = await q(
        client,
        {
            "type": "create_select_permission",
            "args": {
                "table": "author",
                "role": "user",
                "permission": {"columns": ["id"], "filter": {"name": {"_eq": "x"}}},
            },
        },
    )
    assert response.status_code == 200, response.text
    response = await q(client, {"type": "run_sql", "args": {"sql": "ALTER TABLE author DROP COLUMN name"}})
    assert response.status_code == 400
    assert response.json() == {
        "path": "$.args",
        "error": "cannot drop due to the following dependent objects : permission author.user.select",
        "code": "dependency-error",
    }
    await sql(client, "ALTER TABLE author DROP COLUMN name", cascade=True)
    author = next(t for t in await tables_of(client) if t["table"]["name"] == "author")
    assert "select_permissions" not in author


async def test_table_customization_commands(client: httpx.AsyncClient) -> None:
    await q(client, {"type": "track_table", "args": {"name": "author"}})
    response = await q(
        client,
        {
            "type": "pg_set_table_customization",
            "args": {
                "table": "author",
                "configuration": {"custom_name": "writer", "custom_root_fields": {"select": "writers"}},
            },
        },
        "/v1/metadata",
    )
    assert response.json() == {"message": "success"}
    author = (await tables_of(client))[0]
    assert author["configuration"]["custom_name"] == "writer"
    assert author["configuration"]["custom_root_fields"]["select"] == "writers"
    response = await q(
        client,
        {
            "type": "set_table_custom_fields",
            "version": 2,
            "args": {"table": "author", "custom_column_names": {"name": "fullName"}},
        },
    )
    assert response.json() == {"message": "success"}
    configuration = (await tables_of(client))[0]["configuration"]
    assert configuration["column_config"] == {"name": {"custom_name": "fullName"}}
    assert "custom_name" not in configuration
    response = await q(
        client,
        {"type": "pg_set_table_customization", "args": {"table": "article", "configuration": {}}},
        "/v1/metadata",
    )
    assert response.status_code == 400
    assert response.json() == {
        "path": "$.args",
        "error": 'table "article" does not exist in source: default',
        "code": "not-exists",
    }


async def test_bulk_atomic_applies_all_or_nothing(client: httpx.AsyncClient) -> None:
    for name in ("author", "article"):
        await q(client, {"type": "track_table", "args": {"name": name}})
    relationship = {
        "type": "pg_create_object_relationship",
        "args": {"table": "article", "name": "author", "using": {"foreign_key_constraint_on": "author_id"}},
    }
    broken = {
        "type": "pg_create_array_relationship",
        "args": {
            "table": "author",
            "name": "posts",
            "using": {"foreign_key_constraint_on": {"table": "article", "column": "title"}},
        },
    }
    response = await q(client, {"type": "bulk_atomic", "args": [relationship, broken]}, "/v1/metadata")
    assert response.status_code == 400
    article = next(t for t in await tables_of(client) if t["table"]["name"] == "article")
    assert "object_relationships" not in article
    response = await q(client, {"type": "bulk_atomic", "args": [relationship]}, "/v1/metadata")
    assert response.json() == {"message": "success"}
    article = next(t for t in await tables_of(client) if t["table"]["name"] == "article")
    assert [r["name"] for r in article["object_relationships"]] == ["author"]
