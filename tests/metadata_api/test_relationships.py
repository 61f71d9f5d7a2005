"""Relationships through HTTP: create (every ``using`` form), drop, rename, comment; errors as Hasura's."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.metadata_api.helpers import error, export, ok, q

SCHEMA = """
CREATE TABLE author (id serial PRIMARY KEY, name text);
CREATE TABLE article (id serial PRIMARY KEY, title text, author_id int REFERENCES author(id), editor_id int);
CREATE TABLE tag (a int, b int, label text, PRIMARY KEY (a, b));
CREATE TABLE article_tag (
  article_id int REFERENCES article(id), tag_a int, tag_b int,
  FOREIGN KEY (tag_a, tag_b) REFERENCES tag(a, b)
);
CREATE FUNCTION author_name(author) RETURNS text AS $$ SELECT $1.name $$ LANGUAGE sql STABLE;
"""


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


def obj_rel(table: str, name: str, using: Any, **extra: Any) -> dict[str, Any]:
    return {"type": "create_object_relationship", "args": {"table": table, "name": name, "using": using, **extra}}


def arr_rel(table: str, name: str, using: Any, **extra: Any) -> dict[str, Any]:
    return {"type": "create_array_relationship", "args": {"table": table, "name": name, "using": using, **extra}}


def public(name: str) -> dict[str, str]:
    return {"name": name, "schema": "public"}


@pytest.fixture(autouse=True)
async def clean(client: httpx.AsyncClient) -> None:
    await q(client, {"type": "clear_metadata", "args": {}}, "/v1/metadata")
    await ok(
        client, {"type": "run_sql", "args": {"sql": "DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;"}}
    )
    await ok(client, {"type": "run_sql", "args": {"sql": SCHEMA}})
    for table in ("author", "article", "tag", "article_tag"):
        await ok(client, {"type": "track_table", "args": {"schema": "public", "name": table}})


# -- create ---------------------------------------------------------------------------------------


async def test_object_and_array_relationships_exported_in_hasuras_shape(client: httpx.AsyncClient) -> None:
    assert await ok(client, obj_rel("article", "author", {"foreign_key_constraint_on": "author_id"})) == {
        "message": "success"
    }
    assert await ok(
        client,
        arr_rel("author", "articles", {"foreign_key_constraint_on": {"table": "article", "column": "author_id"}}),
    ) == {"message": "success"}
    await ok(
        client,
        {
            "type": "pg_create_array_relationship",
            "args": {
                "source": "default",
                "table": {"schema": "public", "name": "article"},
                "name": "tags",
                "using": {"foreign_key_constraint_on": {"table": "article_tag", "columns": ["article_id"]}},
                "comment": "the tags",
            },
        },
        "/v1/metadata",
    )
    assert await table_entry(client, "article") == {
        "table": public("article"),
        "object_relationships": [{"name": "author", "using": {"foreign_key_constraint_on": "author_id"}}],
        "array_relationships": [
            {
                "name": "tags",
                "using": {"foreign_key_constraint_on": {"column": "article_id", "table": public("article_tag")}},
                "comment": "the tags",
            }
        ],
    }
    assert (await table_entry(client, "author"))["array_relationships"] == [
        {
            "name": "articles",
            "using": {"foreign_key_constraint_on": {"column": "author_id", "table": public("article")}},
        }
    ]


async def test_object_relationship_using_forms(client: httpx.AsyncClient) -> None:
    # Several columns of this table.
    await ok(client, obj_rel("article_tag", "tag", {"foreign_key_constraint_on": ["tag_a", "tag_b"]}))
    # A foreign key of the remote table pointing back here (one column, then the list form).
    await ok(
        client,
        obj_rel("author", "an_article", {"foreign_key_constraint_on": {"table": "article", "column": "author_id"}}),
    )
    await ok(
        client,
        obj_rel(
            "tag", "a_link", {"foreign_key_constraint_on": {"table": "article_tag", "columns": ["tag_b", "tag_a"]}}
        ),
    )
    # Manual configuration.
    manual = {"remote_table": "author", "column_mapping": {"editor_id": "id"}, "insertion_order": "before_parent"}
    await ok(client, obj_rel("article", "editor", {"manual_configuration": manual}))
    assert (await table_entry(client, "article_tag"))["object_relationships"] == [
        {"name": "tag", "using": {"foreign_key_constraint_on": ["tag_a", "tag_b"]}}
    ]
    assert (await table_entry(client, "author"))["object_relationships"] == [
        {
            "name": "an_article",
            "using": {"foreign_key_constraint_on": {"column": "author_id", "table": public("article")}},
        }
    ]
    assert (await table_entry(client, "tag"))["object_relationships"] == [
        {
            "name": "a_link",
            "using": {"foreign_key_constraint_on": {"columns": ["tag_b", "tag_a"], "table": public("article_tag")}},
        }
    ]
    assert (await table_entry(client, "article"))["object_relationships"] == [
        {
            "name": "editor",
            "using": {
                "manual_configuration": {
                    "column_mapping": {"editor_id": "id"},
                    "insertion_order": "before_parent",
                    "remote_table": public("author"),
                }
            },
        }
    ]
    inconsistent = await ok(client, {"type": "get_inconsistent_metadata", "args": {}}, "/v1/metadata")
    assert inconsistent == {"is_consistent": True, "inconsistent_objects": []}


async def test_array_relationship_manual_configuration(client: httpx.AsyncClient) -> None:
    manual = {"remote_table": {"schema": "public", "name": "article"}, "column_mapping": {"id": "editor_id"}}
    await ok(
        client,
        {
            "type": "pg_create_array_relationship",
            "args": {"table": "author", "name": "edited", "using": {"manual_configuration": manual}},
        },
        "/v1/metadata",
    )
    assert (await table_entry(client, "author"))["array_relationships"] == [
        {
            "name": "edited",
            "using": {
                "manual_configuration": {
                    "column_mapping": {"id": "editor_id"},
                    "insertion_order": None,
                    "remote_table": public("article"),
                }
            },
        }
    ]


# -- create: errors -------------------------------------------------------------------------------


async def test_table_not_tracked(client: httpx.AsyncClient) -> None:
    body = await error(client, obj_rel("nope", "author", {"foreign_key_constraint_on": "author_id"}))
    assert body == {"path": "$.args", "error": 'table "nope" does not exist in source: default', "code": "not-exists"}


@pytest.mark.parametrize(
    ("name", "setup"),
    [
        ("title", None),  # a column
        ("author", obj_rel("article", "author", {"foreign_key_constraint_on": "author_id"})),  # a relationship
    ],
)
async def test_name_already_a_field(client: httpx.AsyncClient, name: str, setup: Any) -> None:
    if setup is not None:
        await ok(client, setup)
    body = await error(client, obj_rel("article", name, {"foreign_key_constraint_on": "author_id"}))
    assert body == {
        "path": "$.args",
        "error": f'field with name "{name}" already exists in table "article"',
        "code": "already-exists",
    }


async def test_name_already_a_computed_field(client: httpx.AsyncClient) -> None:
    await ok(
        client,
        {
            "type": "add_computed_field",
            "args": {"table": "author", "name": "label", "definition": {"function": "author_name"}},
        },
    )
    using = {"foreign_key_constraint_on": {"table": "article", "column": "author_id"}}
    body = await error(client, arr_rel("author", "label", using))
    assert body == {
        "path": "$.args",
        "error": 'field with name "label" already exists in table "author"',
        "code": "already-exists",
    }


async def test_array_relationship_with_a_string_foreign_key_is_a_400(client: httpx.AsyncClient) -> None:
    """The corpus case graphql_query/basic/setup_invalid_fkey_relationship.yaml."""
    body = await error(
        client, arr_rel("author", "articles", {"foreign_key_constraint_on": "I should have been an object"})
    )
    assert body["error"] == "Expecting object { table, columns }."
    assert body["code"] == "parse-failed"
    assert body["path"].startswith("$.using")


async def test_array_relationship_with_a_string_foreign_key_path(client: httpx.AsyncClient) -> None:
    body = await error(client, arr_rel("author", "articles", {"foreign_key_constraint_on": "x"}))
    assert body["path"] == "$.using"


async def test_parse_errors_and_their_paths(client: httpx.AsyncClient) -> None:
    neither = "atleast one of foreign_key_constraint_on/manual_configuration should be present"
    body = await error(client, obj_rel("article", "author", {}))
    assert body == {"path": "$.using", "error": neither, "code": "parse-failed"}
    both = {"foreign_key_constraint_on": "author_id", "manual_configuration": {}}
    body = await error(client, obj_rel("article", "author", both))
    assert body["error"] == "only one of foreign_key_constraint_on/manual_configuration should be present"
    body = await error(client, obj_rel("article", "author", "author_id"))
    assert body == {"path": "$.using", "error": "using should be an object", "code": "parse-failed"}
    body = await error(client, {"type": "create_object_relationship", "args": "article"})
    assert body == {"path": "$", "error": "expecting an Object with key 'table'", "code": "parse-failed"}
    body = await error(client, {"type": "create_object_relationship", "args": {"name": "x", "using": {}}})
    assert body == {"path": "$", "error": 'key "table" not found', "code": "parse-failed"}
    two = {"table": "article", "column": "author_id", "columns": ["author_id"]}
    body = await error(client, arr_rel("author", "articles", {"foreign_key_constraint_on": two}))
    assert body["error"] == "expected exactly one of 'column' or 'columns'"
    # /v1/metadata keeps "args" in the path; a bulk element of /v1/query has its index.
    body = await error(
        client,
        {"type": "pg_create_object_relationship", "args": obj_rel("article", "author", {})["args"]},
        "/v1/metadata",
    )
    assert body == {"path": "$.args.using", "error": neither, "code": "parse-failed"}
    good = obj_rel("article", "author", {"foreign_key_constraint_on": "author_id"})
    body = await error(client, {"type": "bulk", "args": [good, obj_rel("article", "x", {})]})
    assert body == {"path": "$[1].using", "error": neither, "code": "parse-failed"}
    assert "object_relationships" not in await table_entry(client, "article")  # the bulk left nothing behind


async def test_no_foreign_key_is_an_inconsistent_object(client: httpx.AsyncClient) -> None:
    body = await error(client, obj_rel("article", "writer", {"foreign_key_constraint_on": "title"}))
    reason = (
        'Inconsistent object: in table "article": in relationship "writer": '
        "no foreign constraint exists on the given column(s)"
    )
    assert body == {
        "path": "$.args",
        "error": reason,
        "code": "invalid-configuration",
        "internal": [
            {
                "definition": {
                    "source": "default",
                    "table": public("article"),
                    "name": "writer",
                    "using": {"foreign_key_constraint_on": "title"},
                    "comment": None,
                },
                "name": "object_relation writer in table article in source default",
                "reason": reason,
                "type": "object_relation",
            }
        ],
    }
    assert "object_relationships" not in await table_entry(client, "article")


async def test_remote_table_not_tracked(client: httpx.AsyncClient) -> None:
    await ok(client, {"type": "untrack_table", "args": {"table": "article_tag"}})
    using = {"foreign_key_constraint_on": {"table": "article_tag", "column": "article_id"}}
    body = await error(client, arr_rel("article", "tags", using))
    assert body["code"] == "invalid-configuration"
    assert (
        body["error"]
        == 'Inconsistent object: in table "article": in relationship "tags": table "article_tag" is not tracked'
    )
    assert body["internal"][0]["type"] == "array_relation"
    manual = {"remote_table": "article_tag", "column_mapping": {"id": "article_id"}}
    body = await error(client, arr_rel("article", "tags", {"manual_configuration": manual}))
    assert (
        body["error"]
        == 'Inconsistent object: in table "article": in relationship "tags": table "article_tag" is not tracked'
    )


# -- drop -----------------------------------------------------------------------------------------


async def _with_relationships_and_permissions(client: httpx.AsyncClient) -> None:
    await ok(client, obj_rel("article", "author", {"foreign_key_constraint_on": "author_id"}))
    using = {"foreign_key_constraint_on": {"table": "article", "column": "author_id"}}
    await ok(client, arr_rel("author", "articles", using))
    await set_permissions(
        client,
        "article",
        "select",
        [
            {"role": "user", "permission": {"columns": "*", "filter": {"author": {"id": {"_eq": "X-Hasura-User-Id"}}}}},
            {"role": "guest", "permission": {"columns": ["id", "title"], "filter": {"title": {"_like": "%a%"}}}},
        ],
    )
    await set_permissions(
        client,
        "article",
        "update",
        [
            {
                "role": "user",
                "permission": {
                    "columns": ["title"],
                    "filter": {"id": {"_gt": 0}},
                    "check": {"_and": [{"_not": {"author": {"name": {"_eq": "x"}}}}]},
                },
            }
        ],
    )
    # Through author.articles, then article.author: depends on both relationships.
    await set_permissions(
        client,
        "author",
        "select",
        [{"role": "editor", "permission": {"columns": "*", "filter": {"articles": {"author": {"id": {"_eq": 1}}}}}}],
    )


async def test_drop_relationship(client: httpx.AsyncClient) -> None:
    await ok(client, obj_rel("article", "author", {"foreign_key_constraint_on": "author_id"}))
    body = {
        "type": "drop_relationship",
        "args": {"table": {"schema": "public", "name": "article"}, "relationship": "author"},
    }
    assert await ok(client, body) == {"message": "success"}
    assert "object_relationships" not in await table_entry(client, "article")
    body = await error(client, body)
    assert body == {"path": "$.args", "error": 'relationship "author" does not exist', "code": "not-exists"}


async def test_drop_relationship_errors(client: httpx.AsyncClient) -> None:
    body = await error(client, {"type": "drop_relationship", "args": {"table": "article", "relationship": "title"}})
    assert body == {
        "path": "$.args",
        "error": 'expecting a relationship; but, "title" is a postgres column; ',
        "code": "unexpected-payload",
    }
    body = await error(client, {"type": "drop_relationship", "args": {"table": "nope", "relationship": "x"}})
    assert body == {"path": "$.args", "error": 'table "nope" does not exist in source: default', "code": "not-exists"}
    body = await error(client, {"type": "pg_drop_relationship", "args": {"table": "article"}}, "/v1/metadata")
    assert body == {"path": "$.args", "error": 'key "relationship" not found', "code": "parse-failed"}


async def test_drop_relationship_used_by_permissions(client: httpx.AsyncClient) -> None:
    await _with_relationships_and_permissions(client)
    drop: dict[str, Any] = {"type": "pg_drop_relationship", "args": {"table": "article", "relationship": "author"}}
    body = await error(client, drop, "/v1/metadata")
    assert body == {
        "path": "$.args",
        "error": "cannot drop due to the following dependent objects : "
        "permission article.user.select, permission article.user.update, permission author.editor.select",
        "code": "dependency-error",
    }
    assert "object_relationships" in await table_entry(client, "article")  # nothing changed

    drop["args"]["cascade"] = True
    assert await ok(client, drop, "/v1/metadata") == {"message": "success"}
    article = await table_entry(client, "article")
    assert "object_relationships" not in article
    assert "update_permissions" not in article
    assert [p["role"] for p in article["select_permissions"]] == ["guest"]  # the unrelated one stays
    author = await table_entry(client, "author")
    assert "select_permissions" not in author
    assert [r["name"] for r in author["array_relationships"]] == ["articles"]


# -- rename and comment ---------------------------------------------------------------------------


async def test_rename_relationship_rewrites_permissions(client: httpx.AsyncClient) -> None:
    await _with_relationships_and_permissions(client)
    rename = {"type": "rename_relationship", "args": {"table": "article", "name": "author", "new_name": "writer"}}
    assert await ok(client, rename) == {"message": "success"}
    article = await table_entry(client, "article")
    assert article["object_relationships"] == [{"name": "writer", "using": {"foreign_key_constraint_on": "author_id"}}]
    by_role = {p["role"]: p["permission"] for p in article["select_permissions"]}
    assert by_role["user"]["filter"] == {"writer": {"id": {"_eq": "X-Hasura-User-Id"}}}
    assert article["update_permissions"][0]["permission"]["check"] == {
        "_and": [{"_not": {"writer": {"name": {"_eq": "x"}}}}]
    }
    author = await table_entry(client, "author")
    assert author["select_permissions"][0]["permission"]["filter"] == {"articles": {"writer": {"id": {"_eq": 1}}}}
    consistent = await ok(client, {"type": "get_inconsistent_metadata", "args": {}}, "/v1/metadata")
    assert consistent["is_consistent"] is True


async def test_rename_relationship_errors(client: httpx.AsyncClient) -> None:
    await ok(client, obj_rel("article", "author", {"foreign_key_constraint_on": "author_id"}))
    body = await error(
        client, {"type": "rename_relationship", "args": {"table": "article", "name": "author", "new_name": "title"}}
    )
    assert body == {
        "path": "$.args",
        "error": 'cannot rename relationship "author" to "title" in table "article" as a column/relationship '
        "with the name already exists",
        "code": "already-exists",
    }
    body = await error(
        client,
        {"type": "pg_rename_relationship", "args": {"table": "article", "name": "nope", "new_name": "x"}},
        "/v1/metadata",
    )
    assert body == {"path": "$.args", "error": 'relationship "nope" does not exist', "code": "not-exists"}


async def test_set_relationship_comment(client: httpx.AsyncClient) -> None:
    await ok(client, obj_rel("article", "author", {"foreign_key_constraint_on": "author_id"}))
    comment = {
        "type": "set_relationship_comment",
        "args": {"table": "article", "relationship": "author", "comment": "who"},
    }
    assert await ok(client, comment) == {"message": "success"}
    assert (await table_entry(client, "article"))["object_relationships"][0]["comment"] == "who"
    cleared = {"table": "article", "relationship": "author"}
    await ok(client, {"type": "pg_set_relationship_comment", "args": cleared}, "/v1/metadata")
    assert "comment" not in (await table_entry(client, "article"))["object_relationships"][0]
    body = await error(client, {"type": "set_relationship_comment", "args": {"table": "article", "relationship": "x"}})
    assert body == {"path": "$.args", "error": 'relationship "x" does not exist', "code": "not-exists"}
