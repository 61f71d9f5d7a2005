"""Inherited roles (``add_inherited_role``) over HTTP to a real server, with Hasura's rules for
combining select permissions: the union of the rows; a column (or computed field) only some
roles may see is null on the rows those roles cannot see, also where it is filtered, ordered
or aggregated on; the largest limit; aggregations when any role allows them; the union of
the root fields; an explicit permission overrides; roles nest."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.permissions.conftest import bulk, data, error, metadata, run_sql, select_permission

SCHEMA = """
DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;
CREATE TABLE users (id int PRIMARY KEY, name text NOT NULL, email text, salary int);
CREATE TABLE note (id int PRIMARY KEY, user_id int REFERENCES users(id), body text);
CREATE TABLE post (id int PRIMARY KEY, title text);
CREATE FUNCTION users_shout(users) RETURNS text AS $$ SELECT upper($1.name) $$ LANGUAGE sql STABLE;
INSERT INTO users VALUES (1, 'Ann', 'ann@x', 100), (2, 'Bob', 'bob@x', 200), (3, 'Cid', 'cid@x', 300);
INSERT INTO note VALUES (1, 1, 'ann note'), (2, 2, 'bob note');
INSERT INTO post SELECT i, 'p' || i FROM generate_series(1, 6) AS i;
"""

SELF = {"id": {"_eq": "X-Hasura-User-Id"}}


def setup_steps() -> list[tuple[str, Any]]:
    return [
        ("pg_add_computed_field", {"table": "users", "name": "shout", "definition": {"function": "users_shout"}}),
        (
            "pg_create_array_relationship",
            {
                "table": "users",
                "name": "notes",
                "using": {"foreign_key_constraint_on": {"table": "note", "column": "user_id"}},
            },
        ),
        # self: every column of the user's own row; public: id and name of everyone.
        select_permission("users", "self", columns="*", filter=SELF, computed_fields=["shout"]),
        select_permission(
            "users",
            "public",
            columns=["id", "name"],
            filter={},
            allow_aggregations=True,
            query_root_fields=["select", "select_aggregate"],
        ),
        # Only self may read notes.
        select_permission("note", "self", columns="*", filter={"user_id": {"_eq": "X-Hasura-User-Id"}}),
        ("add_inherited_role", {"role_name": "member", "role_set": ["self", "public"]}),
        # An explicit permission of an inherited role wins over the inherited one.
        ("add_inherited_role", {"role_name": "member_override", "role_set": ["self", "public"]}),
        select_permission("users", "member_override", columns=["id"], filter={"id": {"_eq": 3}}),
        # Limits, aggregations and root fields.
        select_permission("post", "lim2", columns=["id", "title"], filter={}, limit=2, query_root_fields=["select"]),
        select_permission(
            "post",
            "lim3",
            columns=["id"],
            filter={"id": {"_gt": 1}},
            limit=3,
            allow_aggregations=True,
            query_root_fields=["select_by_pk", "select_aggregate"],
        ),
        select_permission("post", "nolim", columns=["id"], filter={"id": {"_lt": 3}}),
        ("add_inherited_role", {"role_name": "lim23", "role_set": ["lim2", "lim3"]}),
        ("add_inherited_role", {"role_name": "lim2_nolim", "role_set": ["lim2", "nolim"]}),
        # Nesting: an inherited role made of an inherited role.
        ("add_inherited_role", {"role_name": "outer", "role_set": ["member", "lim2"]}),
    ]


@pytest.fixture(scope="module")
async def api_ready(api: httpx.AsyncClient) -> httpx.AsyncClient:
    await metadata(api, "clear_metadata", {})
    await run_sql(api, SCHEMA)
    for table in ("users", "note", "post"):
        await metadata(api, "pg_track_table", {"table": table})
    await bulk(api, setup_steps())
    return api


async def type_fields(api: httpx.AsyncClient, role: str, name: str, **session: str) -> list[str] | None:
    query = f'{{ __type(name: "{name}") {{ fields {{ name }} }} }}'
    found = (await data(api, query, role, **session))["__type"]
    return None if found is None else sorted(f["name"] for f in found["fields"])


async def test_schema_is_the_union_of_the_roles(api_ready: httpx.AsyncClient) -> None:
    api = api_ready
    # Columns of either role, the computed field of self, the relationship to a table only self reads.
    assert await type_fields(api, "member", "users") == ["email", "id", "name", "notes", "salary", "shout"]
    assert await type_fields(api, "public", "users") == ["id", "name"]
    # Root fields: self lists none (all of them), so the union is all of them; the
    # aggregate comes from public.
    assert await type_fields(api, "member", "query_root") == [
        "note",
        "note_by_pk",
        "users",
        "users_aggregate",
        "users_by_pk",
    ]


async def test_rows_are_the_union_and_columns_are_null_where_not_permitted(api_ready: httpx.AsyncClient) -> None:
    query = "{ users(order_by: {id: asc}) { id name email salary } }"
    answer = await data(api_ready, query, "member", User_Id="1")
    assert answer == {
        "users": [
            {"id": 1, "name": "Ann", "email": "ann@x", "salary": 100},
            {"id": 2, "name": "Bob", "email": None, "salary": None},
            {"id": 3, "name": "Cid", "email": None, "salary": None},
        ]
    }


async def test_computed_fields_are_null_where_not_permitted(api_ready: httpx.AsyncClient) -> None:
    query = "{ users(order_by: {id: asc}) { id shout } }"
    answer = await data(api_ready, query, "member", User_Id="2")
    assert answer == {"users": [{"id": 1, "shout": None}, {"id": 2, "shout": "BOB"}, {"id": 3, "shout": None}]}


async def test_by_pk_nulls_columns_too(api_ready: httpx.AsyncClient) -> None:
    query = "{ a: users_by_pk(id: 2) { id email } b: users_by_pk(id: 1) { id email } }"
    answer = await data(api_ready, query, "member", User_Id="1")
    assert answer == {"a": {"id": 2, "email": None}, "b": {"id": 1, "email": "ann@x"}}


async def test_filtering_on_a_partly_visible_column_cannot_reveal_it(api_ready: httpx.AsyncClient) -> None:
    # Bob's email is null for Ann's member session: a where on it cannot find his row.
    query = '{ users(where: {email: {_eq: "bob@x"}}) { id } }'
    assert await data(api_ready, query, "member", User_Id="1") == {"users": []}
    query = "{ users(where: {salary: {_gt: 150}}) { id } }"
    assert await data(api_ready, query, "member", User_Id="1") == {"users": []}
    query = '{ users(where: {shout: {_eq: "CID"}}) { id } }'
    assert await data(api_ready, query, "member", User_Id="1") == {"users": []}
    # Ann's own value is visible, and filtering on it works.
    query = '{ users(where: {email: {_eq: "ann@x"}}) { id } }'
    assert await data(api_ready, query, "member", User_Id="1") == {"users": [{"id": 1}]}


async def test_ordering_on_a_partly_visible_column_cannot_reveal_it(api_ready: httpx.AsyncClient) -> None:
    # Hidden salaries order as nulls (first when descending), ties broken by id.
    query = "{ users(order_by: [{salary: desc}, {id: asc}]) { id } }"
    answer = await data(api_ready, query, "member", User_Id="1")
    assert answer == {"users": [{"id": 2}, {"id": 3}, {"id": 1}]}


async def test_aggregating_a_partly_visible_column_cannot_reveal_it(api_ready: httpx.AsyncClient) -> None:
    query = """{ users_aggregate { aggregate { count sum { salary } max { salary email } avg { salary } } } }"""
    answer = await data(api_ready, query, "member", User_Id="1")
    assert answer == {
        "users_aggregate": {
            "aggregate": {
                "count": 3,
                "sum": {"salary": 100},
                "max": {"salary": 100, "email": "ann@x"},
                "avg": {"salary": 100.0},
            }
        }
    }


async def test_distinct_on_a_partly_visible_column_cannot_reveal_it(api_ready: httpx.AsyncClient) -> None:
    # All hidden emails are null: distinct on email keeps one of them and Ann's row.
    query = "{ users(distinct_on: email, order_by: [{email: asc}, {id: asc}]) { id } }"
    answer = await data(api_ready, query, "member", User_Id="1")
    assert answer == {"users": [{"id": 1}, {"id": 2}]}


async def test_a_table_only_one_role_reads_keeps_that_roles_permission(api_ready: httpx.AsyncClient) -> None:
    query = "{ note { id body } users(order_by: {id: asc}) { id notes { id } } }"
    answer = await data(api_ready, query, "member", User_Id="2")
    assert answer == {
        "note": [{"id": 2, "body": "bob note"}],
        "users": [{"id": 1, "notes": []}, {"id": 2, "notes": [{"id": 2}]}, {"id": 3, "notes": []}],
    }


async def test_session_variables_of_every_role_are_required(api_ready: httpx.AsyncClient) -> None:
    err = await error(api_ready, "{ users { id } }", "member")
    assert err == {
        "message": 'missing session variables: "x-hasura-user-id"',
        "extensions": {"path": "$", "code": "not-found"},
    }


async def test_explicit_permission_overrides_the_inherited_one(api_ready: httpx.AsyncClient) -> None:
    api = api_ready
    assert await data(api, "{ users { id } }", "member_override") == {"users": [{"id": 3}]}
    err = await error(api, "{ users { id name } }", "member_override")
    assert err == {
        "message": "field \"name\" not found in type: 'users'",
        "extensions": {"path": "$.selectionSet.users.selectionSet.name", "code": "validation-failed"},
    }
    # Other tables are still inherited.
    assert await data(api, "{ note { id } }", "member_override", User_Id="1") == {"note": [{"id": 1}]}


async def test_limit_is_the_largest(api_ready: httpx.AsyncClient) -> None:
    query = "{ post(order_by: {id: asc}) { id } }"
    # lim2 (all rows, 2) and lim3 (id > 1, 3): all rows, at most 3.
    assert await data(api_ready, query, "lim23") == {"post": [{"id": 1}, {"id": 2}, {"id": 3}]}
    assert await data(api_ready, "{ post(order_by: {id: desc}, limit: 10) { id } }", "lim23") == {
        "post": [{"id": 6}, {"id": 5}, {"id": 4}]
    }


async def test_limit_ignores_roles_without_one(api_ready: httpx.AsyncClient) -> None:
    # Hasura combines limits as ``Maybe (Max Int)``: a role without a limit adds none, so the
    # limit of lim2 (2) stays the limit of the inherited role.
    query = "{ post(order_by: {id: asc}) { id } }"
    assert await data(api_ready, query, "lim2_nolim") == {"post": [{"id": 1}, {"id": 2}]}


async def test_aggregations_and_root_fields_are_combined(api_ready: httpx.AsyncClient) -> None:
    api = api_ready
    assert await type_fields(api, "lim2", "query_root") == ["post"]
    assert await type_fields(api, "lim23", "query_root") == ["post", "post_aggregate", "post_by_pk"]
    query = "{ post_aggregate { aggregate { count } } post_by_pk(id: 1) { id title } }"
    answer = await data(api, query, "lim23")
    assert isinstance(answer["post_aggregate"]["aggregate"]["count"], int)
    assert answer["post_by_pk"] == {"id": 1, "title": "p1"}
    # title is visible only on lim2's rows (all of them): never null here.
    answer = await data(api, "{ post(order_by: {id: desc}, limit: 1) { id title } }", "lim23")
    assert answer == {"post": [{"id": 6, "title": "p6"}]}


async def test_nested_inherited_roles(api_ready: httpx.AsyncClient) -> None:
    query = "{ users(order_by: {id: asc}) { id email } post(order_by: {id: asc}) { id } }"
    answer = await data(api_ready, query, "outer", User_Id="3")
    assert answer == {
        "users": [{"id": 1, "email": None}, {"id": 2, "email": None}, {"id": 3, "email": "cid@x"}],
        "post": [{"id": 1}, {"id": 2}],
    }
