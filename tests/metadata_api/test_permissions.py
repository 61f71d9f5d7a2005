"""Permissions and inherited roles through HTTP: create, drop, comment; errors as Hasura's."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from livegres.metadata import model as m
from livegres.metadata.commands.permissions import is_session_variable, validate_bool_exp
from livegres.metadata.resolve import SchemaCache
from tests.metadata_api.helpers import error, export, ok

SCHEMA = """
CREATE TABLE p_author (id serial PRIMARY KEY, name text, age int, info json, doc jsonb, tags text[]);
CREATE TABLE p_article (
  id serial PRIMARY KEY, title text, body text, published boolean,
  author_id int REFERENCES p_author(id), editor_id int
);
CREATE TABLE p_untracked (id int);
CREATE FUNCTION p_author_full_name(p_author) RETURNS text AS $$ SELECT $1.name $$ LANGUAGE sql STABLE;
CREATE FUNCTION p_author_articles(p_author) RETURNS SETOF p_article
  AS $$ SELECT * FROM p_article WHERE author_id = $1.id $$ LANGUAGE sql STABLE;
"""


async def table_entry(client: httpx.AsyncClient, name: str) -> dict[str, Any]:
    for entry in (await export(client))["sources"][0]["tables"]:
        if entry["table"] == {"name": name, "schema": "public"}:
            return dict(entry)
    raise AssertionError(f"table {name} is not tracked")


async def run_sql(client: httpx.AsyncClient, sql: str) -> None:
    await ok(client, {"type": "run_sql", "args": {"sql": sql}})


async def track(client: httpx.AsyncClient, name: str) -> None:
    await ok(client, {"type": "track_table", "args": {"schema": "public", "name": name}})


async def new_table(client: httpx.AsyncClient, name: str) -> None:
    await run_sql(client, f"CREATE TABLE {name} (id serial PRIMARY KEY, name text, owner_id int)")
    await track(client, name)


def select_perm(table: Any, role: str, permission: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "type": "create_select_permission",
        "args": {"table": table, "role": role, "permission": permission, **extra},
    }


def perm(kind: str, table: Any, role: str, permission: dict[str, Any]) -> dict[str, Any]:
    return {"type": f"create_{kind}_permission", "args": {"table": table, "role": role, "permission": permission}}


async def reason_of(client: httpx.AsyncClient, body: dict[str, Any]) -> str:
    """The reason of an ``invalid-configuration`` answer (after Hasura's context prefix)."""
    answer = await error(client, body)
    assert answer["code"] == "invalid-configuration", answer
    assert answer["path"] == "$.args"
    args = body["args"]
    prefix = f'Inconsistent object: in table "{args["table"]}": in permission for role "{args["role"]}": '
    assert answer["error"].startswith(prefix), answer["error"]
    assert [item["reason"] for item in answer["internal"]] == [answer["error"]]
    reason: str = answer["error"].removeprefix(prefix)
    return reason


@pytest.fixture(scope="module", autouse=True)
async def schema(client: httpx.AsyncClient) -> None:
    await run_sql(client, SCHEMA)
    await track(client, "p_author")
    await track(client, "p_article")
    # Relationships and computed fields through replace_metadata (independent of their commands).
    metadata = await export(client)
    for entry in metadata["sources"][0]["tables"]:
        if entry["table"]["name"] == "p_article":
            entry["object_relationships"] = [{"name": "author", "using": {"foreign_key_constraint_on": "author_id"}}]
        if entry["table"]["name"] == "p_author":
            entry["array_relationships"] = [
                {
                    "name": "articles",
                    "using": {"foreign_key_constraint_on": {"table": "p_article", "column": "author_id"}},
                }
            ]
            entry["computed_fields"] = [
                {"name": "full_name", "definition": {"function": "p_author_full_name"}},
                {"name": "written", "definition": {"function": "p_author_articles"}},
            ]
    await ok(client, {"type": "replace_metadata", "args": metadata}, "/v1/metadata")


# --- Select ----------------------------------------------------------------------------------


async def test_create_select_permission_shows_in_export(client: httpx.AsyncClient) -> None:
    await new_table(client, "p_sel1")
    body = select_perm(
        "p_sel1",
        "user",
        {"columns": ["id", "name"], "filter": {"$or": [{"id": "X-Hasura-User-Id"}, {"name": {"$eq": "x"}}]}},
        comment="mine",
    )
    assert await ok(client, body) == {"message": "success"}
    entry = await table_entry(client, "p_sel1")
    assert entry["select_permissions"] == [
        {
            "role": "user",
            "permission": {
                "columns": ["id", "name"],
                "filter": {"_or": [{"id": "X-Hasura-User-Id"}, {"name": {"$eq": "x"}}]},
            },
            "comment": "mine",
        }
    ]


async def test_pg_create_select_permission_on_metadata_api(client: httpx.AsyncClient) -> None:
    await new_table(client, "p_sel2")
    body = {
        "type": "pg_create_select_permission",
        "args": {
            "source": "default",
            "table": {"schema": "public", "name": "p_sel2"},
            "role": "editor",
            "permission": {"columns": "*", "filter": {}, "limit": 10, "allow_aggregations": True, "unknown": 1},
        },
    }
    assert await ok(client, body, "/v1/metadata") == {"message": "success"}
    entry = await table_entry(client, "p_sel2")
    assert entry["select_permissions"] == [
        {"role": "editor", "permission": {"columns": "*", "filter": {}, "limit": 10, "allow_aggregations": True}}
    ]


async def test_select_permission_already_defined(client: httpx.AsyncClient) -> None:
    await new_table(client, "p_sel3")
    body = select_perm("p_sel3", "user", {"columns": "*", "filter": {}})
    await ok(client, body)
    assert await error(client, body) == {
        "path": "$.args",
        "error": 'select permission already defined on table "p_sel3" with role "user"',
        "code": "already-exists",
    }


async def test_permission_for_admin_role(client: httpx.AsyncClient) -> None:
    body = select_perm("p_author", "admin", {"columns": "*", "filter": {"id": "X-Hasura-User-Id"}})
    assert await error(client, body) == {
        "path": "$.args",
        "error": 'select permission already defined on table "p_author" with role "admin"',
        "code": "already-exists",
    }


async def test_permission_on_untracked_table(client: httpx.AsyncClient) -> None:
    body = select_perm("p_untracked", "user", {"columns": "*", "filter": {}})
    assert await error(client, body) == {
        "path": "$.args",
        "error": 'table "p_untracked" does not exist in source: default',
        "code": "not-exists",
    }
    body = perm("insert", {"schema": "other", "name": "t"}, "user", {"check": {}})
    answer = await error(client, body)
    assert answer["error"] == 'table "other.t" does not exist in source: default'


async def test_unknown_column_is_inconsistent(client: httpx.AsyncClient) -> None:
    body = select_perm("p_author", "reader", {"columns": ["id", "nope"], "filter": {}})
    answer = await error(client, body)
    message = 'Inconsistent object: in table "p_author": in permission for role "reader": column "nope" does not exist'
    assert answer == {
        "path": "$.args",
        "error": message,
        "code": "invalid-configuration",
        "internal": [
            {
                "definition": {
                    "source": "default",
                    "table": {"name": "p_author", "schema": "public"},
                    "role": "reader",
                    "permission": {"columns": ["id", "nope"], "filter": {}},
                    "comment": None,
                },
                "name": "select_permission reader in table p_author in source default",
                "reason": message,
                "type": "select_permission",
            }
        ],
    }
    assert "select_permissions" not in await table_entry(client, "p_author")


async def test_columns_must_be_columns(client: httpx.AsyncClient) -> None:
    body = select_perm("p_article", "reader", {"columns": ["id", "author"], "filter": {}})
    assert await reason_of(client, body) == (
        'expecting a database column; but, "author" is a relationship; '
        "permissions for relationships are automatically inferred"
    )


@pytest.mark.parametrize(
    ("filter_", "reason"),
    [
        ({"nope": {"_eq": 1}}, '"nope" does not exist'),
        ({"id": {"_foo": 1}}, "Unknown operator: _foo"),
        ({"id": {"eq": 1}}, "Unknown operator: eq"),
        ({"_and": [{"id": {"_eq": 1}}, {"_not": {"bad": 1}}]}, '"bad" does not exist'),
        ({"_exists": {"_table": "p_untracked", "_where": {}}}, 'table "p_untracked" does not exist'),
        ({"_exists": {"_table": "p_article", "_where": {"nope": 1}}}, '"nope" does not exist'),
        ({"articles": {"nope": {"_eq": 1}}}, '"nope" does not exist'),
        ({"articles": {"author": {"name": {"_like": 1}, "zzz": 2}}}, '"zzz" does not exist'),
        ({"articles": 1}, "expecting an Object for boolean exp"),
        ({"id": {"_in": 1}}, "parsing [] failed, expected Array, but encountered Number"),
        ({"id": {"_in": "abc"}}, "parsing [] failed, expected Array, but encountered String"),
        ({"id": {"_is_null": "yes"}}, "parsing Bool failed, expected Boolean, but encountered String"),
        ({"info": {"_is_null": True}}, "JSON column can not be part of boolean expression"),
        ({"id": {"_ceq": "name"}}, 'incompatible column types: "id" has type "integer", but "name" has type "text"'),
        ({"id": {"_ceq": "nope"}}, 'column "nope" does not exist'),
        ({"id": {"_ceq": []}}, "path cannot be empty"),
        ({"id": {"_ceq": ["a", "b", "c"]}}, "Relationship references are not supported in column comparison RHS"),
        ({"id": {"_ceq": 1}}, "a boolean expression JSON must be either a string or an array"),
        (
            {"id": {"_ceq": "articles"}},
            'expecting a database column; but, "articles" is a relationship; '
            "column operators can only compare postgres columns",
        ),
        ({"doc": {"_cast": {"integer": {"_eq": 1}}}}, 'cannot cast column of type "jsonb" to type "integer"'),
        ({"full_name": {"_bad": "x"}}, "Unknown operator: _bad"),
        ({"written": {"nope": 1}}, '"nope" does not exist'),
        ({"articles": {"_or": {"id": 1}}}, "parsing [] failed, expected Array, but encountered Object"),
        ({"articles": {"_exists": {"_where": {}}}}, 'key "_table" not found'),
    ],
)
async def test_invalid_filters(client: httpx.AsyncClient, filter_: Any, reason: str) -> None:
    body = select_perm("p_author", "checker", {"columns": "*", "filter": filter_})
    assert await reason_of(client, body) == reason


@pytest.mark.parametrize(
    ("filter_", "path", "reason"),
    [
        (1, "$.permission.filter", "expecting an Object for boolean exp"),
        ({"_or": {"id": 1}}, "$.permission.filter._or", "parsing [] failed, expected Array, but encountered Object"),
        ({"_exists": {"_where": {}}}, "$.permission.filter._exists", 'key "_table" not found'),
        ({"_and": [{"_not": 3}]}, "$.permission.filter._and[0]._not", "expecting an Object for boolean exp"),
    ],
)
async def test_malformed_filters_fail_to_parse(client: httpx.AsyncClient, filter_: Any, path: str, reason: str) -> None:
    body = select_perm("p_author", "checker", {"columns": "*", "filter": filter_})
    assert await error(client, body) == {"path": path, "error": reason, "code": "parse-failed"}


async def test_valid_filters(client: httpx.AsyncClient) -> None:
    filters = [
        {"id": "X-Hasura-User-Id"},
        {"id": {"$eq": "x-hasura-user-id", "_neq": 3, "_in": [1, 2], "$nin": "X-Hasura-Allowed-Ids"}},
        {"name": {"_like": "a%", "_nilike": "b", "$similar": "c", "_regex": "d", "_is_null": False}},
        {"doc": {"_contains": {"a": 1}, "_has_key": "a", "_has_keys_any": ["a"], "_cast": {"text": {"_like": "%"}}}},
        {"tags": {"_contains": ["a"], "_contained_in": ["a", "b"]}},
        {"$and": [{"$not": {"age": {"_gt": 18}}}, {"age": {"_cgt": "id", "_clte": ["id"], "_ceq": ["$", "id"]}}]},
        {
            "_exists": {
                "_table": {"schema": "public", "name": "p_article"},
                "_where": {"author_id": {"_ceq": ["$", "id"]}},
            }
        },
        {"articles": {"author": {"id": {"_eq": "X-Hasura-User-Id"}}, "published": {"_eq": True}}},
        {"articles": {"_and": [{"title": {"_ilike": "%x%"}}, {"author_id": {"_ceq": ["$", "id"]}}]}},
        {"full_name": {"_eq": "x"}},
        {"written": {"title": {"_eq": "x"}}},
    ]
    for i, filter_ in enumerate(filters):
        await ok(client, select_perm("p_author", f"valid{i}", {"columns": "*", "filter": filter_}))


async def test_computed_fields_and_limit(client: httpx.AsyncClient) -> None:
    base = {"columns": "*", "filter": {}}
    body = select_perm("p_author", "cf", {**base, "computed_fields": ["full_name", "nope"]})
    assert await reason_of(client, body) == 'computed field "nope" does not exist'
    body = select_perm("p_author", "cf", {**base, "computed_fields": ["name"]})
    assert await reason_of(client, body) == 'expecting a computed field; but, "name" is a column'
    body = select_perm("p_author", "cf", {**base, "computed_fields": ["written"]})
    assert await reason_of(client, body) == (
        'select permissions on computed field "written" are auto-derived from the permissions on its '
        'returning table "p_article" and cannot be specified manually'
    )
    body = select_perm("p_author", "cf", {**base, "limit": -1})
    assert await reason_of(client, body) == "unexpected negative value"
    await ok(client, select_perm("p_author", "cf", {**base, "computed_fields": ["full_name"], "limit": 0}))
    entry = await table_entry(client, "p_author")
    (found,) = [p for p in entry["select_permissions"] if p["role"] == "cf"]
    assert found["permission"] == {"columns": "*", "computed_fields": ["full_name"], "filter": {}, "limit": 0}


async def test_parse_errors_have_hasura_paths(client: httpx.AsyncClient) -> None:
    body = select_perm("p_author", "x", {"columns": 5, "filter": {}})
    assert await error(client, body) == {
        "path": "$.permission.columns",
        "error": "parsing [] failed, expected Array, but encountered Number",
        "code": "parse-failed",
    }
    body = {"type": "pg_create_select_permission", "args": {"table": "p_author", "role": "x", "permission": {}}}
    assert await error(client, body, "/v1/metadata") == {
        "path": "$.args.permission",
        "error": 'key "columns" not found',
        "code": "parse-failed",
    }
    answer = await error(client, {"type": "create_select_permission", "args": {"table": "p_author", "role": "x"}})
    assert answer["path"] == "$"
    assert answer["code"] == "parse-failed"
    bulk = {"type": "bulk", "args": [select_perm("p_author", "y", {"columns": "*", "filter": []})]}
    answer = await error(client, bulk)
    assert answer["path"] == "$[0].permission.filter"


# --- Insert, update, delete --------------------------------------------------------------------


async def test_insert_permission(client: httpx.AsyncClient) -> None:
    await new_table(client, "p_ins1")
    permission = {"check": {"owner_id": "X-Hasura-User-Id"}, "set": {"owner_id": "X-Hasura-User-Id"}, "columns": "*"}
    await ok(client, perm("insert", "p_ins1", "user", permission))
    entry = await table_entry(client, "p_ins1")
    assert entry["insert_permissions"] == [{"role": "user", "permission": permission}]

    body = perm("insert", "p_ins1", "other", {"check": {}, "set": {"nope": 1}})
    assert await reason_of(client, body) == 'column "nope" does not exist'
    body = perm("insert", "p_ins1", "other", {"check": {}, "columns": ["id", "nope"]})
    assert await reason_of(client, body) == 'column "nope" does not exist'
    body = perm("insert", "p_ins1", "other", {"check": {"nope": {"_eq": 1}}, "columns": ["nope2"]})
    assert await reason_of(client, body) == '"nope" does not exist'
    body = perm("insert", "p_article", "other", {"check": {}, "columns": ["author"]})
    assert await reason_of(client, body) == (
        'expecting a database column; but, "author" is a relationship; '
        "Only table columns can have insert permissions defined, not relationships or other field types"
    )
    body = perm("insert", "p_article", "other", {"check": {}, "set": {"author": 1}})
    assert await reason_of(client, body) == (
        'expecting a database column; but, "author" is a relationship; column "author" not found in table "p_article"'
    )


async def test_update_permission(client: httpx.AsyncClient) -> None:
    await new_table(client, "p_upd1")
    permission = {"columns": ["name"], "filter": {"owner_id": "X-Hasura-User-Id"}, "check": {"name": {"_ne": ""}}}
    await ok(client, perm("update", "p_upd1", "user", permission))
    entry = await table_entry(client, "p_upd1")
    assert entry["update_permissions"] == [{"role": "user", "permission": permission}]

    body = perm("update", "p_upd1", "other", {"columns": "*", "filter": {}, "check": {"nope": 1}})
    assert await reason_of(client, body) == '"nope" does not exist'
    body = perm("update", "p_upd1", "other", {"columns": ["x"], "filter": {}})
    assert await reason_of(client, body) == 'column "x" does not exist'
    body = perm("update", "p_article", "other", {"columns": ["author"], "filter": {}})
    assert await reason_of(client, body) == (
        'expecting a database column; but, "author" is a relationship; Only table columns can be updated'
    )
    answer = await error(client, perm("update", "p_upd1", "user", permission))
    assert answer["error"] == 'update permission already defined on table "p_upd1" with role "user"'


async def test_delete_permission(client: httpx.AsyncClient) -> None:
    await new_table(client, "p_del1")
    await ok(client, perm("delete", "p_del1", "user", {"filter": {"owner_id": "X-Hasura-User-Id"}}))
    entry = await table_entry(client, "p_del1")
    assert entry["delete_permissions"] == [{"role": "user", "permission": {"filter": {"owner_id": "X-Hasura-User-Id"}}}]
    body = perm("delete", "p_del1", "other", {"filter": {"owner_id": {"_gt": 1, "_whatever": 2}}})
    assert await reason_of(client, body) == "Unknown operator: _whatever"


# --- Drop and comment ------------------------------------------------------------------------


async def test_drop_permissions(client: httpx.AsyncClient) -> None:
    await new_table(client, "p_drop1")
    permissions: list[tuple[str, dict[str, Any]]] = [
        ("insert", {"check": {}, "columns": "*"}),
        ("select", {"columns": "*", "filter": {}}),
        ("update", {"columns": "*", "filter": {}}),
        ("delete", {"filter": {}}),
    ]
    for kind, permission in permissions:
        await ok(client, perm(kind, "p_drop1", "user", permission))
    assert sorted(k for k in await table_entry(client, "p_drop1") if k.endswith("_permissions")) == [
        "delete_permissions",
        "insert_permissions",
        "select_permissions",
        "update_permissions",
    ]
    await ok(client, {"type": "drop_select_permission", "args": {"table": "p_drop1", "role": "user"}})
    await ok(
        client,
        {"type": "pg_drop_insert_permission", "args": {"table": {"name": "p_drop1"}, "role": "user"}},
        "/v1/metadata",
    )
    entry = await table_entry(client, "p_drop1")
    assert "select_permissions" not in entry
    assert "insert_permissions" not in entry
    assert "update_permissions" in entry

    body = {"type": "drop_select_permission", "args": {"table": "p_drop1", "role": "user"}}
    assert await error(client, body) == {
        "path": "$.args",
        "error": 'select permission on "p_drop1" for role "user" does not exist',
        "code": "bad-request",
    }
    body = {"type": "drop_update_permission", "args": {"table": "p_untracked", "role": "user"}}
    assert await error(client, body) == {
        "path": "$.args",
        "error": 'table "p_untracked" does not exist in source: default',
        "code": "not-exists",
    }


async def test_set_permission_comment(client: httpx.AsyncClient) -> None:
    await new_table(client, "p_cmt1")
    await ok(client, perm("delete", "p_cmt1", "user", {"filter": {}}))
    args = {"table": "p_cmt1", "role": "user", "type": "delete", "comment": "may delete"}
    await ok(client, {"type": "set_permission_comment", "args": args})
    entry = await table_entry(client, "p_cmt1")
    assert entry["delete_permissions"] == [{"role": "user", "permission": {"filter": {}}, "comment": "may delete"}]
    await ok(client, {"type": "pg_set_permission_comment", "args": {**args, "comment": None}}, "/v1/metadata")
    entry = await table_entry(client, "p_cmt1")
    assert entry["delete_permissions"] == [{"role": "user", "permission": {"filter": {}}}]

    body = {"type": "set_permission_comment", "args": {**args, "type": "select"}}
    assert await error(client, body) == {
        "path": "$.args",
        "error": '\'select\' permission on "p_cmt1" for role "user" does not exist',
        "code": "permission-denied",
    }
    body = {"type": "set_permission_comment", "args": {**args, "type": "upsert"}}
    assert await error(client, body) == {
        "path": "$.type",
        "error": "perm_type should be one of 'insert', 'select', 'update', 'delete'",
        "code": "parse-failed",
    }


# --- Inherited roles -------------------------------------------------------------------------


async def test_inherited_roles(client: httpx.AsyncClient) -> None:
    await new_table(client, "p_inh1")
    await ok(client, perm("select", "p_inh1", "inh_a", {"columns": "*", "filter": {}}))
    await ok(client, perm("delete", "p_inh1", "inh_b", {"filter": {}}))
    add = {"type": "add_inherited_role", "args": {"role_name": "inh_ab", "role_set": ["inh_a", "inh_b"]}}
    assert await ok(client, add, "/v1/metadata") == {"message": "success"}
    assert {"role_name": "inh_ab", "role_set": ["inh_a", "inh_b"]} in (await export(client))["inherited_roles"]

    body = {"type": "add_inherited_role", "args": {"role_name": "inh_x", "role_set": ["inh_ab", "zz", "yy"]}}
    message = (
        "Inconsistent object: in inherited role inh_x: the following parent role(s) are not found: yy, zz "
        'which are required to construct the inherited role: "inh_x"'
    )
    assert await error(client, body, "/v1/metadata") == {
        "path": "$.args",
        "error": message,
        "code": "invalid-configuration",
        "internal": [
            {
                "definition": {"role_name": "inh_x", "role_set": ["inh_ab", "zz", "yy"]},
                "name": "inherited_role inh_x",
                "reason": message,
                "type": "inherited_role",
            }
        ],
    }
    body = {"type": "add_inherited_role", "args": {"role_name": "inh_y", "role_set": ["inh_a", "inh_y"]}}
    assert await error(client, body, "/v1/metadata") == {
        "path": "$.args",
        "error": "an inherited role name cannot be in the role combination",
        "code": "invalid-params",
    }
    body = {"type": "add_inherited_role", "args": {"role_name": "inh_y"}}
    answer = await error(client, body, "/v1/metadata")
    assert (answer["path"], answer["code"]) == ("$.args", "parse-failed")

    # Dropping the only permission of a parent role would leave the inherited role inconsistent.
    drop = {"type": "drop_delete_permission", "args": {"table": "p_inh1", "role": "inh_b"}}
    answer = await error(client, drop, status=500)
    assert answer["code"] == "unexpected"
    assert answer["error"] == "cannot continue due to newly found inconsistent metadata"
    assert answer["internal"][0]["name"] == "inherited_role inh_ab"

    await ok(client, {"type": "drop_inherited_role", "args": {"role_name": "inh_ab"}}, "/v1/metadata")
    assert "inh_ab" not in [r["role_name"] for r in (await export(client)).get("inherited_roles", [])]
    await ok(client, drop)
    body = {"type": "drop_inherited_role", "args": {"role_name": "inh_ab"}}
    assert await error(client, body, "/v1/metadata") == {
        "path": "$.args",
        "error": '"inh_ab" inherited role doesn\'t exist',
        "code": "not-exists",
    }


async def test_inherited_roles_are_not_on_v1_query(client: httpx.AsyncClient) -> None:
    body = {"type": "add_inherited_role", "args": {"role_name": "r", "role_set": []}}
    answer = await error(client, body)
    assert answer["code"] == "parse-failed"


# --- The pure validator --------------------------------------------------------------------------


def test_validate_bool_exp_on_an_empty_cache() -> None:
    from livegres import catalog as cat

    catalog = cat.Catalog(server_version_num=160000, fingerprint="x", schemas=("public",), tables={})
    cache = SchemaCache(m.Metadata(), catalog)
    assert validate_bool_exp(cache, m.QualifiedName("public", "t"), {}) == 'table "t" does not exist'
    assert is_session_variable("X-HASURA-ROLE")
    assert not is_session_variable("hasura")
