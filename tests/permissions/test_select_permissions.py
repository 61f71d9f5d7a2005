"""Select permissions as a client sees them, over HTTP to a real server: the role's schema,
its introspection, Hasura's errors for hidden fields and missing session variables, row
filters on every read (roots, ``_by_pk``, relationships, aggregates, ``where`` and
``order_by`` through relationships), limits, aggregations, root field lists, session
variables (any case, arrays, injection attempts)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.permissions.conftest import bulk, data, error, gql, metadata, run_sql, select_permission

SCHEMA = """
DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;
CREATE TABLE users (id int PRIMARY KEY, name text NOT NULL, email text, org text);
CREATE TABLE article (
  id int PRIMARY KEY, title text NOT NULL, body text, published boolean NOT NULL,
  rating int, author_id int REFERENCES users(id), info jsonb
);
CREATE TABLE comment (
  id int PRIMARY KEY, article_id int NOT NULL REFERENCES article(id), user_id int REFERENCES users(id),
  body text, hidden boolean NOT NULL DEFAULT false
);
CREATE TABLE audit (id int PRIMARY KEY, article_id int REFERENCES article(id), note text);
CREATE TABLE reviewer (user_id int PRIMARY KEY, active boolean NOT NULL);
CREATE FUNCTION article_title_length(article) RETURNS int AS $$ SELECT length($1.title) $$ LANGUAGE sql STABLE;
CREATE FUNCTION article_title_shout(article) RETURNS text AS $$ SELECT upper($1.title) $$ LANGUAGE sql STABLE;
INSERT INTO users VALUES (1, 'Ann', 'ann@x', 'red'), (2, 'Bob', 'bob@x', 'red'), (3, 'Cid', 'cid@x', 'blue');
INSERT INTO article VALUES
  (1, 'A1', 'ann one', true, 5, 1, '{"k": 1}'),
  (2, 'A2 draft', 'ann two', false, 3, 1, '{"k": 2}'),
  (3, 'B1', 'bob one', true, 4, 2, NULL),
  (4, 'B2 draft', 'bob two', false, 2, 2, NULL),
  (5, 'C1', 'cid one', true, 1, 3, NULL),
  (6, 'C2 draft', 'cid two', false, 5, 3, NULL);
INSERT INTO comment VALUES
  (1, 1, 2, 'nice', false), (2, 1, 1, 'spam', true), (3, 2, 1, 'note to self', false),
  (4, 3, 1, 'good', false), (5, 4, 2, 'wip', false), (6, 6, 3, 'todo', false);
INSERT INTO audit VALUES (1, 1, 'checked'), (2, 2, 'flagged');
INSERT INTO reviewer VALUES (2, true), (3, false);
"""

ARTICLE_COLUMNS = ["id", "title", "published", "rating", "author_id"]
OWN_OR_PUBLISHED = {"_or": [{"published": {"_eq": True}}, {"author_id": {"_eq": "X-Hasura-User-Id"}}]}


def relationships() -> list[tuple[str, Any]]:
    def obj(table: str, name: str, column: str) -> tuple[str, Any]:
        return (
            "pg_create_object_relationship",
            {"table": table, "name": name, "using": {"foreign_key_constraint_on": column}},
        )

    def arr(table: str, name: str, remote: str, column: str) -> tuple[str, Any]:
        using = {"foreign_key_constraint_on": {"table": remote, "column": column}}
        return ("pg_create_array_relationship", {"table": table, "name": name, "using": using})

    return [
        obj("article", "author", "author_id"),
        arr("users", "articles", "article", "author_id"),
        arr("article", "comments", "comment", "article_id"),
        obj("comment", "article", "article_id"),
        obj("comment", "user", "user_id"),
        arr("article", "audits", "audit", "article_id"),
        obj("audit", "article", "article_id"),
    ]


def permissions() -> list[tuple[str, Any]]:
    computed = [
        ("pg_add_computed_field", {"table": "article", "name": name, "definition": {"function": function}})
        for name, function in (("title_length", "article_title_length"), ("shout", "article_title_shout"))
    ]
    return [
        *computed,
        # user: own or published articles, some columns, one of two computed fields, aggregations.
        select_permission(
            "article",
            "user",
            columns=ARTICLE_COLUMNS,
            filter=OWN_OR_PUBLISHED,
            computed_fields=["title_length"],
            allow_aggregations=True,
        ),
        select_permission("users", "user", columns=["id", "name"], filter={"org": {"_eq": "X-Hasura-Org"}}),
        # comments through relationship traversal: visible when not hidden and on a visible article.
        select_permission(
            "comment",
            "user",
            columns="*",
            filter={"hidden": {"_eq": False}, "article": OWN_OR_PUBLISHED},
            allow_aggregations=True,
        ),
        # anonymous: published articles, two columns, at most 2 rows, only the list root field.
        select_permission(
            "article",
            "anonymous",
            columns=["id", "title"],
            filter={"published": {"_eq": True}},
            limit=2,
            query_root_fields=["select"],
            subscription_root_fields=[],
        ),
        # editor: an array session variable.
        select_permission("article", "editor", columns="*", filter={"author_id": {"_in": "X-Hasura-Allowed-Ids"}}),
        # reviewer: _exists with an upper-case session variable, and a filter on a computed field.
        select_permission(
            "article",
            "reviewer",
            columns=["id", "title"],
            filter={
                "_exists": {
                    "_table": "reviewer",
                    "_where": {"_and": [{"user_id": {"_eq": "X-HASURA-USER-ID"}}, {"active": {"_eq": True}}]},
                },
                "title_length": {"_eq": 2},
            },
        ),
        # finder: a text session variable (for injection attempts), a lower-case name, _not.
        select_permission(
            "article",
            "finder",
            columns=["id", "title"],
            filter={"_not": {"title": {"_neq": "x-hasura-title"}}},
        ),
        # ranked: a session variable on an int column, jsonb containment.
        select_permission(
            "article",
            "ranked",
            columns=["id"],
            filter={"_and": [{"rating": {"_gte": "X-Hasura-Min-Rating"}}, {"info": {"_contains": {"k": 1}}}]},
        ),
        # reader: may aggregate users but not articles; nopk: cannot see the primary key.
        select_permission("article", "reader", columns=["id", "title", "author_id"], filter={}),
        select_permission("users", "reader", columns=["id", "name"], filter={}, allow_aggregations=True),
        select_permission("article", "nopk", columns=["title"], filter={}, allow_aggregations=True),
        # capped: one article per read, also through relationships; _cgt compares two columns;
        # _nin with an array session variable.
        select_permission("users", "capped", columns=["id", "name"], filter={}),
        select_permission(
            "article",
            "capped",
            columns=["id", "rating"],
            filter={"_and": [{"rating": {"_cgt": "id"}}, {"author_id": {"_nin": "X-Hasura-Blocked-Ids"}}]},
            limit=1,
        ),
        # by_pk_only: only the _by_pk root field, no aggregations.
        select_permission(
            "article",
            "by_pk_only",
            columns=["id", "title"],
            filter={},
            query_root_fields=["select_by_pk"],
            subscription_root_fields=["select"],
        ),
        select_permission("users", "by_pk_only", columns=["id"], filter={}, subscription_root_fields=[]),
    ]


@pytest.fixture(scope="module")
async def api_ready(api: httpx.AsyncClient) -> httpx.AsyncClient:
    await metadata(api, "clear_metadata", {})
    await run_sql(api, SCHEMA)
    for table in ("users", "article", "comment", "audit", "reviewer"):
        await metadata(api, "pg_track_table", {"table": table})
    await bulk(api, relationships())
    await bulk(api, permissions())
    return api


async def type_fields(api: httpx.AsyncClient, role: str, name: str) -> list[str] | None:
    query = f'{{ __type(name: "{name}") {{ fields {{ name }} }} }}'
    found = (await data(api, query, role))["__type"]
    return None if found is None else sorted(f["name"] for f in found["fields"])


# -- the role's schema -------------------------------------------------------------------


async def test_introspection_shows_only_what_the_role_may_see(api_ready: httpx.AsyncClient) -> None:
    api = api_ready
    assert await type_fields(api, "user", "article") == sorted(
        [*ARTICLE_COLUMNS, "author", "comments", "comments_aggregate", "title_length"]
    )
    assert await type_fields(api, "user", "users") == ["articles", "articles_aggregate", "id", "name"]
    assert await type_fields(api, "user", "comment") == sorted(
        ["id", "article_id", "user_id", "body", "hidden", "article", "user"]
    )
    # The audit table has no permission for the role: no type, no root fields, no relationship to it.
    assert await type_fields(api, "user", "audit") is None
    roots = await type_fields(api, "user", "query_root")
    assert roots == sorted(
        [
            "article",
            "article_aggregate",
            "article_by_pk",
            "comment",
            "comment_aggregate",
            "comment_by_pk",
            "users",
            "users_by_pk",
        ]
    )
    # anonymous: two columns, no relationships (no permission on users/comment), only the list root field.
    assert await type_fields(api, "anonymous", "article") == ["id", "title"]
    assert await type_fields(api, "anonymous", "query_root") == ["article"]
    assert await type_fields(api, "anonymous", "users") is None
    assert await type_fields(api, "anonymous", "article_aggregate") is None


async def test_role_without_permissions_has_the_placeholder_root(api_ready: httpx.AsyncClient) -> None:
    query = "{ __schema { queryType { fields { name } } subscriptionType { name } mutationType { name } } }"
    assert await data(api_ready, query, "nobody") == {
        "__schema": {
            "queryType": {"fields": [{"name": "no_queries_available"}]},
            "subscriptionType": None,
            "mutationType": None,
        }
    }


async def test_schema_of_a_role_has_nothing_of_hidden_tables(api_ready: httpx.AsyncClient) -> None:
    query = "{ __schema { types { name } } }"
    names = {t["name"] for t in (await data(api_ready, query, "anonymous"))["__schema"]["types"]}
    assert "article" in names
    assert not {n for n in names if n.startswith(("users", "comment", "audit", "reviewer"))}, names
    assert "article_aggregate" not in names
    # The admin sees every table.
    admin_names = {t["name"] for t in (await data(api_ready, query))["__schema"]["types"]}
    assert {"users", "comment", "audit", "reviewer", "article_aggregate"} <= admin_names


async def test_aggregate_fields_follow_allow_aggregations(api_ready: httpx.AsyncClient) -> None:
    api = api_ready
    # reader may aggregate users but not articles: no article_aggregate, no articles_aggregate
    # relationship, no aggregate predicate or aggregate order on articles.
    assert await type_fields(api, "reader", "query_root") == [
        "article",
        "article_by_pk",
        "users",
        "users_aggregate",
        "users_by_pk",
    ]
    assert await type_fields(api, "reader", "users") == ["articles", "id", "name"]
    query = '{ __type(name: "%s") { inputFields { name } } }'
    where = (await data(api, query % "users_bool_exp", "reader"))["__type"]["inputFields"]
    assert sorted(f["name"] for f in where) == ["_and", "_not", "_or", "articles", "id", "name"]
    order = (await data(api, query % "users_order_by", "reader"))["__type"]["inputFields"]
    assert sorted(f["name"] for f in order) == ["id", "name"]
    err = await error(api, "{ users { articles_aggregate { aggregate { count } } } }", "reader")
    assert err == {
        "message": "field \"articles_aggregate\" not found in type: 'users'",
        "extensions": {"path": "$.selectionSet.users.selectionSet.articles_aggregate", "code": "validation-failed"},
    }
    # The aggregate types of the user role only hold the columns it may see.
    assert await type_fields(api, "user", "article_sum_fields") == ["author_id", "id", "rating"]
    assert await type_fields(api, "user", "article_max_fields") == ["author_id", "id", "rating", "title"]


async def test_by_pk_needs_the_primary_key_columns(api_ready: httpx.AsyncClient) -> None:
    assert await type_fields(api_ready, "nopk", "query_root") == ["article", "article_aggregate"]
    assert await data(api_ready, "{ article_aggregate { aggregate { count } } }", "nopk") == {
        "article_aggregate": {"aggregate": {"count": 6}}
    }


async def test_filter_and_order_inputs_only_name_visible_columns(api_ready: httpx.AsyncClient) -> None:
    api = api_ready
    query = '{ __type(name: "%s") { inputFields { name } } }'
    where = (await data(api, query % "article_bool_exp", "anonymous"))["__type"]["inputFields"]
    assert sorted(f["name"] for f in where) == ["_and", "_not", "_or", "id", "title"]
    order = (await data(api, query % "article_order_by", "anonymous"))["__type"]["inputFields"]
    assert sorted(f["name"] for f in order) == ["id", "title"]
    where = (await data(api, query % "article_bool_exp", "user"))["__type"]["inputFields"]
    names = {f["name"] for f in where}
    assert {"author", "comments", "title_length"} <= names
    assert not names & {"body", "info", "audits", "shout"}


@pytest.mark.parametrize(
    ("role", "query", "path", "message"),
    [
        (
            "user",
            "{ article { id body } }",
            "$.selectionSet.article.selectionSet.body",
            "field \"body\" not found in type: 'article'",
        ),
        (
            "user",
            "{ article { id shout } }",
            "$.selectionSet.article.selectionSet.shout",
            "field \"shout\" not found in type: 'article'",
        ),
        (
            "user",
            "{ article { id audits { note } } }",
            "$.selectionSet.article.selectionSet.audits",
            "field \"audits\" not found in type: 'article'",
        ),
        ("user", "{ audit { id } }", "$.selectionSet.audit", "field \"audit\" not found in type: 'query_root'"),
        (
            "user",
            "{ users { id email } }",
            "$.selectionSet.users.selectionSet.email",
            "field \"email\" not found in type: 'users'",
        ),
        (
            "anonymous",
            "{ article_by_pk(id: 1) { id } }",
            "$.selectionSet.article_by_pk",
            "field \"article_by_pk\" not found in type: 'query_root'",
        ),
        (
            "anonymous",
            "{ article_aggregate { aggregate { count } } }",
            "$.selectionSet.article_aggregate",
            "field \"article_aggregate\" not found in type: 'query_root'",
        ),
        (
            "anonymous",
            "{ article { id author { name } } }",
            "$.selectionSet.article.selectionSet.author",
            "field \"author\" not found in type: 'article'",
        ),
        (
            "by_pk_only",
            "{ article { id } }",
            "$.selectionSet.article",
            "field \"article\" not found in type: 'query_root'",
        ),
        ("nobody", "{ article { id } }", "$.selectionSet.article", "field \"article\" not found in type: 'query_root'"),
    ],
)
async def test_hidden_field_is_a_validation_error(
    api_ready: httpx.AsyncClient, role: str, query: str, path: str, message: str
) -> None:
    err = await error(api_ready, query, role, User_Id="1", Org="red")
    assert err == {"message": message, "extensions": {"path": path, "code": "validation-failed"}}


@pytest.mark.parametrize(
    ("query", "path", "message"),
    [
        (
            '{ article(where: {body: {_eq: "x"}}) { id } }',
            "$.selectionSet.article.args.where.body",
            "field \"body\" not found in type: 'article_bool_exp'",
        ),
        (
            "{ article(order_by: {body: asc}) { id } }",
            "$.selectionSet.article.args.order_by.body",
            "field \"body\" not found in type: 'article_order_by'",
        ),
        (
            '{ article(where: {audits: {note: {_eq: "x"}}}) { id } }',
            "$.selectionSet.article.args.where.audits",
            "field \"audits\" not found in type: 'article_bool_exp'",
        ),
    ],
)
async def test_hidden_column_in_arguments_is_a_validation_error(
    api_ready: httpx.AsyncClient, query: str, path: str, message: str
) -> None:
    err = await error(api_ready, query, "user", User_Id="1", Org="red")
    assert err["extensions"] == {"path": path, "code": "validation-failed"}
    assert err["message"] == message


# -- filters on every read -----------------------------------------------------------------


async def test_root_field_returns_only_permitted_rows(api_ready: httpx.AsyncClient) -> None:
    rows = await data(api_ready, "{ article(order_by: {id: asc}) { id } }", "user", User_Id="1", Org="red")
    assert rows == {"article": [{"id": i} for i in (1, 2, 3, 5)]}
    rows = await data(api_ready, "{ article(order_by: {id: asc}) { id } }", "user", User_Id="3", Org="red")
    assert rows == {"article": [{"id": i} for i in (1, 3, 5, 6)]}
    # A where the role writes is combined with the filter, never replaces it.
    query = "{ article(where: {_or: [{published: {_eq: false}}, {id: {_gt: 0}}]}, order_by: {id: asc}) { id } }"
    assert await data(api_ready, query, "user", User_Id="2", Org="red") == {
        "article": [{"id": i} for i in (1, 3, 4, 5)]
    }


async def test_by_pk_of_a_forbidden_row_is_null(api_ready: httpx.AsyncClient) -> None:
    query = "{ a: article_by_pk(id: 2) { id title } b: article_by_pk(id: 4) { id title } }"
    assert await data(api_ready, query, "user", User_Id="1", Org="red") == {
        "a": {"id": 2, "title": "A2 draft"},
        "b": None,
    }


async def test_nested_relationships_are_filtered(api_ready: httpx.AsyncClient) -> None:
    # users of org "red" (Ann, Bob); their articles as the user sees them; Cid's row is hidden.
    query = "{ users(order_by: {id: asc}) { id articles(order_by: {id: asc}) { id comments { id } } } }"
    answer = await data(api_ready, query, "user", User_Id="1", Org="red")
    assert answer == {
        "users": [
            {"id": 1, "articles": [{"id": 1, "comments": [{"id": 1}]}, {"id": 2, "comments": [{"id": 3}]}]},
            {"id": 2, "articles": [{"id": 3, "comments": [{"id": 4}]}]},
        ]
    }
    # An object relationship to a hidden row is null.
    query = "{ article(order_by: {id: asc}) { id author { name } } }"
    answer = await data(api_ready, query, "user", User_Id="1", Org="blue")
    assert answer == {
        "article": [
            {"id": 1, "author": None},
            {"id": 2, "author": None},
            {"id": 3, "author": None},
            {"id": 5, "author": {"name": "Cid"}},
        ]
    }
    # Comments reached from a comment's article: the article of a comment is filtered too.
    query = "{ comment(order_by: {id: asc}) { id article { id } } }"
    answer = await data(api_ready, query, "user", User_Id="2", Org="red")
    assert answer == {
        "comment": [{"id": 1, "article": {"id": 1}}, {"id": 4, "article": {"id": 3}}, {"id": 5, "article": {"id": 4}}]
    }


async def test_aggregates_count_only_permitted_rows(api_ready: httpx.AsyncClient) -> None:
    query = """{ article_aggregate { aggregate { count sum { rating } max { rating } min { id } }
                 nodes { id } } }"""
    answer = await data(api_ready, query, "user", User_Id="1", Org="red")
    assert answer == {
        "article_aggregate": {
            "aggregate": {"count": 4, "sum": {"rating": 13}, "max": {"rating": 5}, "min": {"id": 1}},
            "nodes": [{"id": 1}, {"id": 2}, {"id": 3}, {"id": 5}],
        }
    }
    query = "{ article(where: {id: {_eq: 1}}) { comments_aggregate { aggregate { count } } } }"
    answer = await data(api_ready, query, "user", User_Id="1", Org="red")
    assert answer == {"article": [{"comments_aggregate": {"aggregate": {"count": 1}}}]}


async def test_where_through_relationships_cannot_reveal_hidden_rows(api_ready: httpx.AsyncClient) -> None:
    api = api_ready
    # Cid (org blue) is hidden from a red user: filtering articles on his name finds nothing.
    query = '{ article(where: {author: {name: {_eq: "Cid"}}}) { id } }'
    assert await data(api, query, "user", User_Id="1", Org="red") == {"article": []}
    assert await data(api, query, "user", User_Id="1", Org="blue") == {"article": [{"id": 5}]}
    # The hidden comment 2 ("spam") on article 1 cannot be found through where.
    query = '{ article(where: {comments: {body: {_eq: "spam"}}}) { id } }'
    assert await data(api, query, "user", User_Id="1", Org="red") == {"article": []}
    # Nor through an aggregate predicate: article 1 has one visible comment, not two.
    query = "{ article(where: {comments_aggregate: {count: {predicate: {_eq: 2}}}}) { id } }"
    assert await data(api, query, "user", User_Id="1", Org="red") == {"article": []}
    query = "{ article(where: {comments_aggregate: {count: {predicate: {_eq: 1}}}}, order_by: {id: asc}) { id } }"
    assert await data(api, query, "user", User_Id="1", Org="red") == {"article": [{"id": 1}, {"id": 2}, {"id": 3}]}
    # Comments on Bob's draft (article 4) are hidden from Ann: its comment does not pass the
    # relationship filter, whatever the where.
    query = "{ comment(where: {article: {id: {_eq: 4}}}) { id } }"
    assert await data(api, query, "user", User_Id="1", Org="red") == {"comment": []}


async def test_order_by_through_relationships_cannot_reveal_hidden_rows(api_ready: httpx.AsyncClient) -> None:
    api = api_ready
    # Authors of org blue are hidden: ordering by author name sorts them as null (last ascending).
    query = "{ article(order_by: [{author: {name: desc_nulls_last}}, {id: asc}]) { id } }"
    answer = await data(api, query, "user", User_Id="1", Org="blue")
    assert answer == {"article": [{"id": 5}, {"id": 1}, {"id": 2}, {"id": 3}]}
    # Counting comments for the order counts visible comments only: article 1 has one
    # visible comment (the spam one is hidden), article 2 and 3 one each: ties broken by id.
    query = "{ article(order_by: [{comments_aggregate: {count: desc}}, {id: desc}]) { id } }"
    answer = await data(api, query, "user", User_Id="1", Org="red")
    assert answer == {"article": [{"id": 3}, {"id": 2}, {"id": 1}, {"id": 5}]}
    # The hidden comment on article 1 is by user 1: the smallest visible user_id there is 2.
    query = "{ article(order_by: [{comments_aggregate: {min: {user_id: asc}}}, {id: asc}]) { id } }"
    answer = await data(api, query, "user", User_Id="1", Org="red")
    assert answer == {"article": [{"id": 2}, {"id": 3}, {"id": 1}, {"id": 5}]}


# -- limits, aggregations, root fields ---------------------------------------------------


async def test_limit_is_a_ceiling(api_ready: httpx.AsyncClient) -> None:
    api = api_ready
    query = "{ article(order_by: {id: asc}) { id } }"
    assert await data(api, query, "anonymous") == {"article": [{"id": 1}, {"id": 3}]}
    query = "{ article(order_by: {id: desc}, limit: 10) { id } }"
    assert await data(api, query, "anonymous") == {"article": [{"id": 5}, {"id": 3}]}
    query = "{ article(order_by: {id: asc}, limit: 1) { id } }"
    assert await data(api, query, "anonymous") == {"article": [{"id": 1}]}
    query = "{ article(order_by: {id: asc}, offset: 1) { id } }"
    assert await data(api, query, "anonymous") == {"article": [{"id": 3}, {"id": 5}]}


async def test_limit_applies_to_relationships(api_ready: httpx.AsyncClient) -> None:
    # capped sees articles whose rating is above their id (1, 2, 3) not by blocked authors.
    query = "{ users(order_by: {id: asc}) { id articles(order_by: {id: desc}) { id } } }"
    answer = await data(api_ready, query, "capped", Blocked_Ids="{}")
    assert answer == {
        "users": [{"id": 1, "articles": [{"id": 2}]}, {"id": 2, "articles": [{"id": 3}]}, {"id": 3, "articles": []}]
    }
    answer = await data(api_ready, query, "capped", Blocked_Ids="{1}")
    assert answer == {
        "users": [{"id": 1, "articles": []}, {"id": 2, "articles": [{"id": 3}]}, {"id": 3, "articles": []}]
    }
    query = "{ article(order_by: {id: desc}) { id } }"
    assert await data(api_ready, query, "capped", Blocked_Ids="{2,3}") == {"article": [{"id": 2}]}


async def test_root_field_lists(api_ready: httpx.AsyncClient) -> None:
    api = api_ready
    # by_pk_only: the _by_pk field in queries, the list field only in subscriptions.
    assert await data(api, "{ article_by_pk(id: 2) { title } }", "by_pk_only") == {
        "article_by_pk": {"title": "A2 draft"}
    }
    assert await type_fields(api, "by_pk_only", "query_root") == ["article_by_pk", "users", "users_by_pk"]
    assert await type_fields(api, "by_pk_only", "subscription_root") == ["article"]
    # The root fields a permission leaves out are root fields only: the table is still read
    # through relationships.
    query = "{ users(where: {id: {_lt: 3}}, order_by: {id: asc}) { id articles(order_by: {id: asc}) { id } } }"
    assert await data(api, query, "by_pk_only") == {
        "users": [{"id": 1, "articles": [{"id": 1}, {"id": 2}]}, {"id": 2, "articles": [{"id": 3}, {"id": 4}]}]
    }
    # user lists no root fields: every one of them, streams included, in subscriptions.
    streams = [f"{t}{suffix}" for t in ("article", "comment") for suffix in ("", "_aggregate", "_by_pk", "_stream")]
    assert await type_fields(api, "user", "subscription_root") == [*streams, "users", "users_by_pk", "users_stream"]
    # anonymous has an empty subscription list: no subscription root at all.
    answer = await data(api, "{ __schema { subscriptionType { name } } }", "anonymous")
    assert answer == {"__schema": {"subscriptionType": None}}


async def test_computed_fields_in_permission_and_selection(api_ready: httpx.AsyncClient) -> None:
    api = api_ready
    query = "{ article(where: {title_length: {_gt: 2}}, order_by: {id: asc}) { id title_length } }"
    answer = await data(api, query, "user", User_Id="1", Org="red")
    assert answer == {"article": [{"id": 2, "title_length": 8}]}
    # reviewer: active reviewers (_exists) see articles whose title has two characters.
    query = "{ article(order_by: {id: asc}) { id } }"
    assert await data(api, query, "reviewer", User_Id="2") == {"article": [{"id": i} for i in (1, 3, 5)]}
    # an inactive reviewer, or a user who is not a reviewer, sees nothing.
    assert await data(api, query, "reviewer", User_Id="3") == {"article": []}
    assert await data(api, query, "reviewer", User_Id="1") == {"article": []}


# -- session variables -------------------------------------------------------------------


async def test_session_variable_names_are_case_insensitive(api_ready: httpx.AsyncClient) -> None:
    query = "{ article(order_by: {id: asc}) { id } }"
    for header in ("X-Hasura-User-Id", "x-hasura-user-id", "X-HASURA-USER-ID"):
        response = await api_ready.post(
            "/v1/graphql", json={"query": query}, headers={"x-hasura-role": "reviewer", header: "2"}
        )
        assert response.json() == {"data": {"article": [{"id": i} for i in (1, 3, 5)]}}, header


async def test_array_session_variable(api_ready: httpx.AsyncClient) -> None:
    query = "{ article(order_by: {id: asc}) { id } }"
    assert await data(api_ready, query, "editor", Allowed_Ids="{1,3}") == {"article": [{"id": i} for i in (1, 2, 5, 6)]}
    assert await data(api_ready, query, "editor", Allowed_Ids="{2}") == {"article": [{"id": 3}, {"id": 4}]}
    assert await data(api_ready, query, "editor", Allowed_Ids="{}") == {"article": []}
    # PostgreSQL's array syntax, quoted elements and spaces included (the value is cast by PostgreSQL).
    assert await data(api_ready, query, "editor", Allowed_Ids='{"2", 3}') == {
        "article": [{"id": i} for i in (3, 4, 5, 6)]
    }
    # A JSON array is not PostgreSQL's array syntax: Hasura's error is PostgreSQL's.
    err = await error(api_ready, query, "editor", Allowed_Ids="[1,2]")
    assert err == {"message": 'malformed array literal: "[1,2]"', "extensions": {"path": "$", "code": "data-exception"}}


async def test_session_variable_cast_to_the_column_type(api_ready: httpx.AsyncClient) -> None:
    query = "{ article { id } }"
    assert await data(api_ready, query, "ranked", Min_Rating="5") == {"article": [{"id": 1}]}
    assert await data(api_ready, query, "ranked", Min_Rating="6") == {"article": []}


@pytest.mark.parametrize(
    "value",
    [
        "A1' OR '1'='1",
        "A1'; DROP TABLE article; --",
        "x-hasura-user-id",
        '") OR true --',
        "A1\\' OR 1=1 --",
    ],
)
async def test_text_session_variable_is_a_bound_value(api_ready: httpx.AsyncClient, value: str) -> None:
    answer = await data(api_ready, "{ article { id title } }", "finder", Title=value)
    assert answer == {"article": []}
    # The table is still there, and an exact value matches exactly one row.
    assert await data(api_ready, "{ article { id title } }", "finder", Title="A1") == {
        "article": [{"id": 1, "title": "A1"}]
    }


@pytest.mark.parametrize("value", ["1 OR 1=1", "1; DELETE FROM article", "{1,2,3}", "99999999999999999999"])
async def test_badly_typed_session_variable_is_an_error_not_a_leak(api_ready: httpx.AsyncClient, value: str) -> None:
    err = await error(api_ready, "{ article { id } }", "ranked", Min_Rating=value)
    assert err["extensions"]["code"] == "data-exception", err
    assert "internal" not in err["extensions"]
    assert await data(api_ready, "{ article_aggregate { aggregate { count } } }") == {
        "article_aggregate": {"aggregate": {"count": 6}}
    }


async def test_array_session_variable_injection(api_ready: httpx.AsyncClient) -> None:
    err = await error(api_ready, "{ article { id } }", "editor", Allowed_Ids="{1) OR (1=1}")
    assert err["extensions"]["code"] == "data-exception", err
    answer = await data(api_ready, "{ article { id } }", "finder", Title="{A1,B1}")
    assert answer == {"article": []}


async def test_missing_session_variable_is_not_found(api_ready: httpx.AsyncClient) -> None:
    err = await error(api_ready, "{ article { id } }", "user")
    assert err == {
        "message": 'missing session variables: "x-hasura-user-id"',
        "extensions": {"path": "$", "code": "not-found"},
    }
    # A variable needed only by a nested relationship's table is required as well.
    err = await error(api_ready, "{ article { id author { name } } }", "user", User_Id="1")
    assert err == {
        "message": 'missing session variables: "x-hasura-org"',
        "extensions": {"path": "$", "code": "not-found"},
    }
    # Present but empty is a value, not a missing variable (no match, no error).
    assert await data(api_ready, "{ article { id } }", "finder", Title="") == {"article": []}


async def test_filters_apply_to_variables_and_fragments(api_ready: httpx.AsyncClient) -> None:
    query = """query Q($id: Int!) { article_by_pk(id: $id) { ...F } list: article(where: {id: {_eq: $id}}) { ...F } }
               fragment F on article { id }"""
    answer = await gql(api_ready, query, "user", {"id": 4}, {"User_Id": "1", "Org": "red"})
    assert answer == {"data": {"article_by_pk": None, "list": []}}
    answer = await gql(api_ready, query, "user", {"id": 4}, {"User_Id": "2", "Org": "red"})
    assert answer == {"data": {"article_by_pk": {"id": 4}, "list": [{"id": 4}]}}


async def test_permission_changes_apply_to_the_next_request(api_ready: httpx.AsyncClient) -> None:
    api = api_ready
    query = "{ article(order_by: {id: asc}) { id } }"
    err = await error(api, query, "temp")
    assert err["extensions"] == {"path": "$.selectionSet.article", "code": "validation-failed"}
    await bulk(api, [select_permission("article", "temp", columns=["id"], filter={"rating": {"_eq": 5}})])
    assert await data(api, query, "temp") == {"article": [{"id": 1}, {"id": 6}]}
    await metadata(api, "pg_drop_select_permission", {"table": "article", "role": "temp"})
    await bulk(api, [select_permission("article", "temp", columns=["id"], filter={"rating": {"_lt": 2}})])
    assert await data(api, query, "temp") == {"article": [{"id": 5}]}
    await metadata(api, "pg_drop_select_permission", {"table": "article", "role": "temp"})
    err = await error(api, query, "temp")
    assert err["extensions"] == {"path": "$.selectionSet.article", "code": "validation-failed"}


async def test_admin_role_header_sees_everything(api_ready: httpx.AsyncClient) -> None:
    answer = await data(api_ready, "{ article_aggregate { aggregate { count } } }", "admin")
    assert answer == {"article_aggregate": {"aggregate": {"count": 6}}}
