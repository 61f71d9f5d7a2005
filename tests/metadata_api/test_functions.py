"""Tracked functions and computed fields through HTTP: tracking (v1, v2, /v1/metadata), customization,
function permissions, computed fields; the catalog checks and their errors as Hasura's."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.metadata_api.helpers import error, export, ok, q

SCHEMA = """
CREATE TABLE author (id serial PRIMARY KEY, first_name text NOT NULL, last_name text);
CREATE TABLE article (id serial PRIMARY KEY, title text, author_id int REFERENCES author(id));
CREATE TABLE untracked (id int);

CREATE FUNCTION search_articles(search text) RETURNS SETOF article
  AS $$ SELECT * FROM article WHERE title ilike '%' || search || '%' $$ LANGUAGE sql STABLE;
CREATE FUNCTION article_by_id(i int) RETURNS article AS $$ SELECT * FROM article WHERE id = i $$ LANGUAGE sql STABLE;
CREATE FUNCTION add_one(i int) RETURNS int AS $$ SELECT i + 1 $$ LANGUAGE sql STABLE;
CREATE FUNCTION overloaded(i int) RETURNS SETOF article AS $$ SELECT * FROM article $$ LANGUAGE sql STABLE;
CREATE FUNCTION overloaded(t text) RETURNS SETOF article AS $$ SELECT * FROM article $$ LANGUAGE sql STABLE;
CREATE FUNCTION me(hasura_session json) RETURNS SETOF author
  AS $$ SELECT * FROM author WHERE id = (hasura_session ->> 'x-hasura-user-id')::int $$ LANGUAGE sql STABLE;
CREATE FUNCTION me_jsonb(hasura_session jsonb) RETURNS SETOF author AS $$ SELECT * FROM author $$ LANGUAGE sql STABLE;
CREATE FUNCTION of_untracked() RETURNS SETOF untracked AS $$ SELECT * FROM untracked $$ LANGUAGE sql STABLE;
CREATE FUNCTION new_article(t text) RETURNS SETOF article
  AS $$ INSERT INTO article (title) VALUES (t) RETURNING * $$ LANGUAGE sql VOLATILE;
CREATE FUNCTION article() RETURNS SETOF article AS $$ SELECT * FROM article $$ LANGUAGE sql STABLE;

CREATE FUNCTION full_name(author) RETURNS text
  AS $$ SELECT $1.first_name || coalesce(' ' || $1.last_name, '') $$ LANGUAGE sql STABLE;
CREATE FUNCTION fetch_articles(search text, author_row author) RETURNS SETOF article
  AS $$ SELECT * FROM article WHERE author_id = author_row.id AND title ilike '%' || search || '%' $$
  LANGUAGE sql STABLE;
CREATE FUNCTION fetch_articles_volatile(search text, author_row author) RETURNS SETOF article
  AS $$ SELECT * FROM article WHERE author_id = author_row.id $$ LANGUAGE sql VOLATILE;
CREATE FUNCTION hello_world() RETURNS text AS $$ SELECT 'Hello, World!'::text $$ LANGUAGE sql STABLE;
CREATE FUNCTION test_session(author_row author, key text, session json) RETURNS text
  AS $$ SELECT $3 ->> $2 $$ LANGUAGE sql STABLE;
CREATE FUNCTION text_session(author_row author, session text) RETURNS text AS $$ SELECT session $$ LANGUAGE sql STABLE;
CREATE FUNCTION author_pair(author) RETURNS record AS $$ SELECT $1.id, $1.first_name $$ LANGUAGE sql STABLE;
CREATE FUNCTION author_untracked(author) RETURNS SETOF untracked AS $$ SELECT * FROM untracked $$ LANGUAGE sql STABLE;
"""


async def functions(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    return list((await export(client))["sources"][0].get("functions", []))


async def table_entry(client: httpx.AsyncClient, name: str) -> dict[str, Any]:
    for entry in (await export(client))["sources"][0]["tables"]:
        if entry["table"] == {"name": name, "schema": "public"}:
            return dict(entry)
    raise AssertionError(f"table {name} is not tracked")


async def set_permissions(client: httpx.AsyncClient, table: str, kind: str, entries: list[dict[str, Any]]) -> None:
    """Give ``table`` these ``kind`` permissions (through replace_metadata: independent of the permission commands)."""
    metadata = await export(client)
    for entry in metadata["sources"][0]["tables"]:
        if entry["table"]["name"] == table:
            entry[f"{kind}_permissions"] = entries
    await ok(client, {"type": "replace_metadata", "args": metadata}, "/v1/metadata")


def public(name: str) -> dict[str, str]:
    return {"name": name, "schema": "public"}


def track_v2(function: Any, configuration: Any = None, url: str = "/v1/query") -> dict[str, Any]:
    args: dict[str, Any] = {"function": function}
    if configuration is not None:
        args["configuration"] = configuration
    if url == "/v1/metadata":
        return {"type": "pg_track_function", "args": args}
    return {"type": "track_function", "version": 2, "args": args}


def add_cf(name: str, definition: dict[str, Any], table: Any = "author") -> dict[str, Any]:
    return {"type": "add_computed_field", "args": {"table": table, "name": name, "definition": definition}}


def function_inconsistency(reason: str, function: str, **definition: Any) -> dict[str, Any]:
    return {
        "path": "$.args",
        "error": reason,
        "code": "invalid-configuration",
        "internal": [
            {
                "definition": {"source": "default", "function": public(function), **definition},
                "name": f"function {function} in source default",
                "reason": reason,
                "type": "function",
            }
        ],
    }


def cf_inconsistency(reason: str, name: str, function: str, **definition: Any) -> dict[str, Any]:
    return {
        "path": "$.args",
        "error": reason,
        "code": "invalid-configuration",
        "internal": [
            {
                "definition": {
                    "source": "default",
                    "table": public("author"),
                    "name": name,
                    "definition": {"function": public(function), **definition},
                    "comment": None,
                },
                "name": f"computed_field {name} in table author in source default",
                "reason": reason,
                "type": "computed_field",
            }
        ],
    }


@pytest.fixture(autouse=True)
async def clean(client: httpx.AsyncClient) -> None:
    await q(client, {"type": "clear_metadata", "args": {}}, "/v1/metadata")
    await ok(
        client, {"type": "run_sql", "args": {"sql": "DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;"}}
    )
    await ok(client, {"type": "run_sql", "args": {"sql": SCHEMA}})
    for table in ("author", "article"):
        await ok(client, {"type": "track_table", "args": {"schema": "public", "name": table}})


# -- tracking -------------------------------------------------------------------------------------


async def test_track_function_v1_forms(client: httpx.AsyncClient) -> None:
    assert await ok(client, {"type": "track_function", "args": {"schema": "public", "name": "search_articles"}}) == {
        "message": "success"
    }
    assert await ok(client, {"type": "track_function", "args": "article_by_id"}) == {"message": "success"}
    assert await functions(client) == [{"function": public("article_by_id")}, {"function": public("search_articles")}]


async def test_track_function_v2_forms(client: httpx.AsyncClient) -> None:
    await ok(client, track_v2(public("me"), {"session_argument": "hasura_session"}))
    configuration = {
        "custom_name": "findArticles",
        "custom_root_fields": {"function": "find_articles", "function_aggregate": "find_articles_agg"},
        "exposed_as": "query",
    }
    body = track_v2("search_articles", configuration, "/v1/metadata")
    body["args"].update(source="default", comment="search them")
    await ok(client, body, "/v1/metadata")
    await ok(client, track_v2("new_article", {"exposed_as": "mutation"}, "/v1/metadata"), "/v1/metadata")
    assert await functions(client) == [
        {"function": public("me"), "configuration": {"custom_root_fields": {}, "session_argument": "hasura_session"}},
        {
            "function": public("new_article"),
            "configuration": {"custom_root_fields": {}, "exposed_as": "mutation"},
        },
        {
            "function": public("search_articles"),
            "configuration": {
                "custom_name": "findArticles",
                "custom_root_fields": {"function": "find_articles", "function_aggregate": "find_articles_agg"},
                "exposed_as": "query",
            },
            "comment": "search them",
        },
    ]


async def test_track_function_errors_before_the_catalog(client: httpx.AsyncClient) -> None:
    await ok(client, {"type": "track_function", "args": "search_articles"})
    body = await error(client, {"type": "track_function", "args": "search_articles"})
    assert body == {"path": "$.args", "error": 'function already tracked: "search_articles"', "code": "already-tracked"}
    body = await error(client, {"type": "track_function", "args": {"schema": "public", "name": "article"}})
    assert body == {"path": "$.args", "error": 'table with name "article" already exists', "code": "not-supported"}
    other_source = {"type": "pg_track_function", "args": {"function": "me", "source": "pg2"}}
    body = await error(client, other_source, "/v1/metadata")
    assert body == {"path": "$.args", "error": '"pg2" is not a known pg source', "code": "not-exists"}


async def test_track_function_parse_errors(client: httpx.AsyncClient) -> None:
    body = await error(client, {"type": "track_function", "args": 3})
    assert body == {"path": "$", "error": "expecting a string/object for QualifiedObject", "code": "parse-failed"}
    body = await error(client, track_v2("me", {"exposed_as": "subscription"}, "/v1/metadata"), "/v1/metadata")
    assert body["code"] == "parse-failed"
    assert body["path"] == "$.args.configuration.exposed_as"
    body = await error(client, {"type": "pg_track_function", "args": {"configuration": {}}}, "/v1/metadata")
    assert body == {"path": "$.args", "error": 'key "function" not found', "code": "parse-failed"}
    assert await functions(client) == []


@pytest.mark.parametrize(
    ("function", "configuration", "reason"),
    [
        ("nope", None, 'in function "nope": no such function exists: "nope"'),
        (
            "overloaded",
            None,
            'in function "overloaded": function "overloaded" is overloaded. Overloaded functions are not supported',
        ),
        (
            "add_one",
            None,
            'in function "add_one": the function "add_one" cannot be tracked for the following reasons:\n'
            '  • the function does not return a "COMPOSITE" type\n'
            "  • the function does not return a table\n",
        ),
        (
            "me_jsonb",
            {"session_argument": "hasura_session"},
            'in function "me_jsonb": the function "me_jsonb" cannot be tracked because '
            'given session argument "hasura_session" is not of type json',
        ),
        (
            "me",
            {"session_argument": "session"},
            'in function "me": the function "me" cannot be tracked because '
            'given session argument "session" not the input argument of the function',
        ),
        (
            "search_articles",
            {"exposed_as": "mutation"},
            'in function "search_articles": the function "search_articles" cannot be tracked because the function was '
            "requested to be exposed as a mutation, but is not marked VOLATILE. Maybe the function was given the wrong "
            "volatility when it was defined?",
        ),
        ("of_untracked", None, 'table "untracked" is not tracked'),
    ],
)
async def test_track_function_checked_against_the_catalog(
    client: httpx.AsyncClient, function: str, configuration: Any, reason: str
) -> None:
    body = await error(client, track_v2(function, configuration))
    extra = {"configuration": {"custom_root_fields": {}, **configuration}} if configuration else {}
    assert body == function_inconsistency(f"Inconsistent object: {reason}", function, **extra)
    assert await functions(client) == []


async def test_untrack_function(client: httpx.AsyncClient) -> None:
    await ok(client, {"type": "track_function", "args": "search_articles"})
    await ok(client, {"type": "track_function", "args": "article_by_id"})
    assert await ok(client, {"type": "untrack_function", "args": {"schema": "public", "name": "search_articles"}}) == {
        "message": "success"
    }
    body = {"type": "pg_untrack_function", "args": {"function": "article_by_id", "source": "default"}}
    assert await ok(client, body, "/v1/metadata") == {"message": "success"}
    assert await functions(client) == []
    body = await error(client, body, "/v1/metadata")
    assert body == {
        "path": "$.args",
        "error": 'function "article_by_id" does not exist in source: default',
        "code": "not-exists",
    }


async def test_set_function_customization(client: httpx.AsyncClient) -> None:
    await ok(client, {"type": "track_function", "args": "me"})
    customize: dict[str, Any] = {
        "type": "pg_set_function_customization",
        "args": {"function": "me", "configuration": {"custom_name": "whoAmI", "session_argument": "hasura_session"}},
    }
    assert await ok(client, customize, "/v1/metadata") == {"message": "success"}
    assert await functions(client) == [
        {
            "function": public("me"),
            "configuration": {"custom_name": "whoAmI", "custom_root_fields": {}, "session_argument": "hasura_session"},
        }
    ]
    customize["args"]["configuration"] = {"session_argument": "nope"}
    body = await error(client, customize, "/v1/metadata")
    assert body["code"] == "invalid-configuration"
    assert body["error"] == (
        'Inconsistent object: in function "me": the function "me" cannot be tracked because '
        'given session argument "nope" not the input argument of the function'
    )
    customize["args"]["function"] = "search_articles"
    body = await error(client, customize, "/v1/metadata")
    assert body == {
        "path": "$.args",
        "error": 'function "search_articles" does not exist in source: default',
        "code": "not-exists",
    }
    body = await error(client, {"type": "pg_set_function_customization", "args": {"function": "me"}}, "/v1/metadata")
    assert body == {"path": "$.args", "error": 'key "configuration" not found', "code": "parse-failed"}


async def test_function_permissions(client: httpx.AsyncClient) -> None:
    await ok(client, {"type": "track_function", "args": "search_articles"})
    await set_permissions(client, "article", "select", [{"role": "user", "permission": {"columns": "*", "filter": {}}}])
    create = {"type": "pg_create_function_permission", "args": {"function": "search_articles", "role": "user"}}
    assert await ok(client, create, "/v1/metadata") == {"message": "success"}
    assert await functions(client) == [{"function": public("search_articles"), "permissions": [{"role": "user"}]}]
    body = await error(client, create, "/v1/metadata")
    assert body == {
        "path": "$.args",
        "error": 'permission of role "user" already exists for function "search_articles" in source: "default"',
        "code": "already-exists",
    }
    body = await error(
        client,
        {"type": "pg_create_function_permission", "args": {"function": "search_articles", "role": "guest"}},
        "/v1/metadata",
    )
    assert body == {
        "path": "$.args",
        "error": 'function permission can only be added when the function\'s return table "article" '
        'has select permission configured for role: "guest"',
        "code": "not-supported",
    }
    drop = {"type": "pg_drop_function_permission", "args": {"function": "search_articles", "role": "user"}}
    assert await ok(client, drop, "/v1/metadata") == {"message": "success"}
    assert await functions(client) == [{"function": public("search_articles")}]
    body = await error(client, drop, "/v1/metadata")
    assert body == {
        "path": "$.args",
        "error": 'permission of role "user" does not exist for function "search_articles" in source: "default"',
        "code": "not-exists",
    }


# -- computed fields ------------------------------------------------------------------------------


async def test_add_computed_fields(client: httpx.AsyncClient) -> None:
    assert await ok(client, add_cf("full_name", {"function": "full_name"})) == {"message": "success"}
    await ok(client, add_cf("get_articles", {"function": public("fetch_articles"), "table_argument": "author_row"}))
    body = {
        "type": "pg_add_computed_field",
        "args": {
            "source": "default",
            "table": public("author"),
            "name": "test_session",
            "definition": {"function": "test_session", "session_argument": "session"},
            "comment": "from the session",
        },
    }
    await ok(client, body, "/v1/metadata")
    assert (await table_entry(client, "author"))["computed_fields"] == [
        {"name": "full_name", "definition": {"function": public("full_name")}},
        {"name": "get_articles", "definition": {"function": public("fetch_articles"), "table_argument": "author_row"}},
        {
            "name": "test_session",
            "definition": {"function": public("test_session"), "session_argument": "session"},
            "comment": "from the session",
        },
    ]
    inconsistent = await ok(client, {"type": "get_inconsistent_metadata", "args": {}}, "/v1/metadata")
    assert inconsistent["is_consistent"] is True


async def test_add_computed_field_table_and_name_errors(client: httpx.AsyncClient) -> None:
    body = await error(client, add_cf("full_name", {"function": "full_name"}, table="random"))
    assert body == {
        "path": "$.args.table",
        "error": 'table "random" does not exist in source: default',
        "code": "not-exists",
    }
    body = await error(client, add_cf("first_name", {"function": "full_name"}))
    reason = "Inconsistent object: field definition conflicts with postgres column"
    assert body == cf_inconsistency(reason, "first_name", "full_name")
    await ok(client, add_cf("full_name", {"function": "full_name"}))
    body = await error(client, add_cf("full_name", {"function": "full_name"}))
    assert body == {
        "path": "$.args",
        "error": 'field with name "full_name" already exists in table "author"',
        "code": "already-exists",
    }
    body = await error(client, {"type": "add_computed_field", "args": {"table": "author", "name": "x"}})
    assert body == {"path": "$", "error": 'key "definition" not found', "code": "parse-failed"}


@pytest.mark.parametrize(
    ("name", "definition", "reason"),
    [
        ("full_name", {"function": "random_function"}, 'no such function exists: "random_function"'),
        (
            "full_name",
            {"function": "full_name", "table_argument": "random"},
            'the computed field "full_name" cannot be added to table "author" because '
            '"random" is not an input argument of the function "full_name"',
        ),
        (
            "get_articles",
            {"function": "fetch_articles_volatile", "table_argument": "random"},
            'the computed field "get_articles" cannot be added to table "author" for the following reasons:\n'
            '  • the function "fetch_articles_volatile" is of type VOLATILE; cannot be added as a computed field\n'
            '  • "random" is not an input argument of the function "fetch_articles_volatile"\n',
        ),
        (
            "hello_world",
            {"function": "hello_world"},
            'the computed field "hello_world" cannot be added to table "author" because '
            'the function "hello_world" has no input arguments',
        ),
        (
            "get_articles",
            {"function": "fetch_articles"},
            'the computed field "get_articles" cannot be added to table "author" for the following reasons:\n'
            '  • first argument of the function "fetch_articles" is not COMPOSITE type\n'
            '  • first argument of the function "fetch_articles" of type "pg_catalog.text" '
            "is not the table to which the computed field is being added\n",
        ),
        (
            "session",
            {"function": "text_session", "session_argument": "session"},
            'the computed field "session" cannot be added to table "author" because '
            '"session" argument of the function "text_session" is not of type JSON',
        ),
        (
            "pair",
            {"function": "author_pair"},
            'the computed field "pair" cannot be added to table "author" because '
            'the function "author_pair" returning type record is not a BASE type',
        ),
        (
            "others",
            {"function": "author_untracked"},
            'the computed field "others" cannot be added to table "author" because '
            'the function "author_untracked" returning set of table "untracked" '
            "is not tracked or not found in database",
        ),
        (
            "search",
            {"function": "fetch_articles", "table_argument": "search"},
            'the computed field "search" cannot be added to table "author" for the following reasons:\n'
            '  • "search" argument of the function "fetch_articles" is not COMPOSITE type\n'
            '  • "search" argument of the function "fetch_articles" of type "pg_catalog.text" '
            "is not the table to which the computed field is being added\n",
        ),
    ],
)
async def test_add_computed_field_checked_against_the_catalog(
    client: httpx.AsyncClient, name: str, definition: dict[str, Any], reason: str
) -> None:
    body = await error(client, add_cf(name, definition))
    full = f'Inconsistent object: in table "author": in computed field "{name}": {reason}'
    function = definition["function"]
    rest = {key: value for key, value in definition.items() if key != "function"}
    assert body == cf_inconsistency(full, name, function, **rest)
    assert "computed_fields" not in await table_entry(client, "author")


async def test_drop_computed_field(client: httpx.AsyncClient) -> None:
    await ok(client, add_cf("full_name", {"function": "full_name"}))
    body = await error(client, {"type": "drop_computed_field", "args": {"table": "random", "name": "full_name"}})
    assert body == {
        "path": "$.args.table",
        "error": 'table "random" does not exist in source: default',
        "code": "not-exists",
    }
    body = await error(client, {"type": "drop_computed_field", "args": {"table": "author", "name": "random"}})
    assert body == {"path": "$.args.name", "error": 'computed field "random" does not exist', "code": "not-exists"}
    drop = {"type": "pg_drop_computed_field", "args": {"table": "author", "name": "full_name"}}
    assert await ok(client, drop, "/v1/metadata") == {"message": "success"}
    assert "computed_fields" not in await table_entry(client, "author")


async def test_drop_computed_field_used_by_permissions(client: httpx.AsyncClient) -> None:
    await ok(client, add_cf("full_name", {"function": "full_name"}))
    await ok(client, add_cf("get_articles", {"function": "fetch_articles", "table_argument": "author_row"}))
    await set_permissions(
        client,
        "author",
        "select",
        [
            {"role": "user", "permission": {"columns": "*", "computed_fields": ["full_name"], "filter": {}}},
            {"role": "guest", "permission": {"columns": ["id"], "filter": {"full_name": {"_eq": "Ann"}}}},
            {"role": "other", "permission": {"columns": ["id"], "filter": {"id": {"_eq": 1}}}},
        ],
    )
    drop: dict[str, Any] = {"type": "drop_computed_field", "args": {"table": "author", "name": "full_name"}}
    body = await error(client, drop)
    assert body == {
        "path": "$.args",
        "error": "cannot drop due to the following dependent objects : "
        "permission author.guest.select, permission author.user.select",
        "code": "dependency-error",
    }
    drop["args"]["cascade"] = True
    assert await ok(client, drop) == {"message": "success"}
    author = await table_entry(client, "author")
    assert [c["name"] for c in author["computed_fields"]] == ["get_articles"]
    assert [p["role"] for p in author["select_permissions"]] == ["other"]
    assert await ok(client, {"type": "drop_computed_field", "args": {"table": "author", "name": "get_articles"}}) == {
        "message": "success"
    }
