"""Inserts through POST /v1/graphql: rows, defaults, upserts, nested inserts, errors."""

from __future__ import annotations

import json

import asyncpg
import httpx

from livegres.runtime import Runtime
from tests.mutations.conftest import gql


async def test_insert_rows_with_defaults_and_returning(api: httpx.AsyncClient, db: asyncpg.Connection) -> None:
    query = """mutation ($t: String!) {
      insert_article(objects: [{title: $t, author_id: 1}, {title: "x2", slug: "s2", published: true, author_id: 2}]) {
        affected_rows
        returning { id title slug published author { name } }
      }
    }"""
    answer = await gql(api, query, {"t": "x1"})
    assert answer == {
        "data": {
            "insert_article": {
                "affected_rows": 2,
                "returning": [
                    {"id": 4, "title": "x1", "slug": None, "published": False, "author": {"name": "Ann"}},
                    {"id": 5, "title": "x2", "slug": "s2", "published": True, "author": {"name": "Bob"}},
                ],
            }
        }
    }
    rows = await db.fetch("SELECT id, title, published FROM article WHERE id > 3 ORDER BY id")
    assert [tuple(r) for r in rows] == [(4, "x1", False), (5, "x2", True)]


async def test_identity_generated_and_defaults(api: httpx.AsyncClient, db: asyncpg.Connection) -> None:
    query = """mutation {
      a: insert_item_one(object: {}) { id code qty price total data created tags }
      b: insert_item_one(object: {code: 50, qty: 4, data: {k: [1, 2]}, tags: ["x", "y"]}) { id code total data tags }
    }"""
    answer = await gql(api, query)
    assert answer["data"] == {
        "a": {"id": 1, "code": 1, "qty": 1, "price": 2.5, "total": 2.5, "data": {}, "created": "2020-01-01",
              "tags": None},
        "b": {"id": 2, "code": 50, "total": 10.0, "data": {"k": [1, 2]}, "tags": ["x", "y"]},
    }  # fmt: skip
    # identity ALWAYS and generated columns are not inputs
    answer = await gql(api, "mutation { insert_item_one(object: {id: 7}) { id } }")
    assert answer["errors"][0]["extensions"]["code"] == "validation-failed"
    answer = await gql(api, "mutation { insert_item_one(object: {total: 7}) { id } }")
    assert answer["errors"][0]["extensions"]["code"] == "validation-failed"
    assert await db.fetchval("SELECT count(*) FROM item") == 2


async def test_on_conflict(api: httpx.AsyncClient, db: asyncpg.Connection) -> None:
    upsert = """mutation ($columns: [author_update_column!]!, $where: author_bool_exp) {
      insert_author(objects: [{name: "Ann", rating: 9}, {name: "Cat", rating: 1}],
                    on_conflict: {constraint: author_name_key, update_columns: $columns, where: $where}) {
        affected_rows returning { id name rating }
      }
    }"""
    answer = await gql(api, upsert, {"columns": []})
    assert answer["data"]["insert_author"] == {"affected_rows": 1, "returning": [{"id": 4, "name": "Cat", "rating": 1}]}
    answer = await gql(api, upsert, {"columns": ["rating"], "where": {"rating": {"_gt": 100}}})
    assert answer["data"]["insert_author"]["affected_rows"] == 0  # both rows exist; the where fails for both
    assert await db.fetchval("SELECT rating FROM author WHERE name = 'Ann'") == 5
    answer = await gql(api, upsert, {"columns": ["rating"]})
    assert answer["data"]["insert_author"] == {
        "affected_rows": 2,
        "returning": [{"id": 1, "name": "Ann", "rating": 9}, {"id": 4, "name": "Cat", "rating": 1}],
    }
    one = 'mutation { insert_author_one(object: {name: "Bob"}, on_conflict: {constraint: author_name_key}) { id } }'
    assert (await gql(api, one))["data"] == {"insert_author_one": None}


async def test_nested_three_levels_with_on_conflict_at_each_level(
    api: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    # comment -> article (object) -> author (object), each level an upsert
    query = """mutation {
      insert_comment(objects: [{
        body: "deep",
        article: {
          data: {title: "A1 again", slug: "a1", author: {
            data: {name: "Ann", rating: 7},
            on_conflict: {constraint: author_name_key, update_columns: [rating]}
          }},
          on_conflict: {constraint: article_slug_key, update_columns: [title]}
        }
      }], on_conflict: {constraint: comment_body_article_key, update_columns: [body]}) {
        affected_rows
        returning { body article { id title author { id name rating } } }
      }
    }"""
    answer = await gql(api, query)
    assert answer["data"]["insert_comment"] == {
        "affected_rows": 3,
        "returning": [{"body": "deep", "article": {"id": 1, "title": "A1 again",
                                                   "author": {"id": 1, "name": "Ann", "rating": 7}}}],
    }  # fmt: skip
    # author -> articles (array) -> comments (array), each level an upsert
    query = """mutation {
      insert_author_one(object: {
        name: "Bob", rating: 8,
        articles: {data: [
          {title: "B1 again", slug: "b1", comments: {
             data: [{body: "c1"}, {body: "c2"}],
             on_conflict: {constraint: comment_body_article_key, update_columns: [body]}}},
          {title: "new", slug: "n1", comments: {data: [{body: "c3"}]}}
        ], on_conflict: {constraint: article_slug_key, update_columns: [title]}}
      }, on_conflict: {constraint: author_name_key, update_columns: [rating]}) {
        id rating
        articles(order_by: {id: asc}) { id title comments(order_by: {id: asc}) { body } }
      }
    }"""
    answer = await gql(api, query)
    assert answer["data"]["insert_author_one"] == {
        "id": 2,
        "rating": 8,
        "articles": [
            {"id": 3, "title": "B1 again", "comments": [{"body": "c1"}, {"body": "c2"}]},
            {"id": 6, "title": "new", "comments": [{"body": "c3"}]},  # upserts consume ids too
        ],
    }
    assert await db.fetchval("SELECT count(*) FROM comment") == 5
    assert await db.fetchval("SELECT count(*) FROM author") == 2


async def test_nested_errors(api: httpx.AsyncClient, db: asyncpg.Connection) -> None:
    query = """mutation {
      insert_author(objects: [{name: "Z", articles: {data: [{title: "t", author_id: 1}]}}]) { affected_rows }
    }"""
    error = (await gql(api, query))["errors"][0]
    assert error["extensions"] == {
        "code": "validation-failed",
        "path": "$.selectionSet.insert_author.args.objects[0].articles.data[0]",
    }
    assert (
        error["message"]
        == 'cannot insert "author_id" columns as their values are already being determined by parent insert'
    )
    # the parent upsert does nothing: the child cannot be inserted, nothing is written
    query = """mutation {
      insert_article_one(object: {title: "t", author: {data: {name: "Ann"},
                         on_conflict: {constraint: author_name_key, update_columns: []}}}) { id }
    }"""
    error = (await gql(api, query))["errors"][0]
    assert "affects zero rows" in error["message"]
    assert await db.fetchval("SELECT count(*) FROM article") == 3


async def test_database_errors(api: httpx.AsyncClient, db: asyncpg.Connection) -> None:
    cases = [
        ('insert_author_one(object: {name: "Ann"}) { id }', "constraint-violation", "Uniqueness violation. "),
        ('insert_article_one(object: {title: "t", author_id: 99}) { id }', "constraint-violation",
         "Foreign key violation. "),
        ("insert_article_one(object: {title: null, author_id: 1}) { id }", "constraint-violation",
         "Not-NULL violation. "),
        ("insert_item_one(object: {qty: -1}) { id }", "permission-error", "Check constraint violation. "),
        ('insert_item_one(object: {created: "not a date"}) { id }', "data-exception", "invalid input syntax"),
    ]  # fmt: skip
    for field, code, prefix in cases:
        answer = await gql(api, "mutation { " + field + " }")
        error = answer["errors"][0]
        assert error["extensions"]["code"] == code, answer
        assert error["message"].startswith(prefix), answer
        assert "internal" in error["extensions"]  # admin sees the PostgreSQL error
    # another role does not
    answer = await gql(api, 'mutation { insert_author_one(object: {name: "Ann"}) { id } }', headers={
        "x-hasura-role": "user", "x-hasura-user-id": "1"})  # fmt: skip
    assert answer["errors"][0]["extensions"]["code"] == "constraint-violation"
    assert "internal" not in answer["errors"][0]["extensions"]
    assert await db.fetchval("SELECT count(*) FROM author") == 2


async def test_no_objects_inserts_nothing(api: httpx.AsyncClient, db: asyncpg.Connection) -> None:
    query = "mutation ($rows: [item_insert_input!]!) { insert_item(objects: $rows) { affected_rows returning { id } } }"
    answer = await gql(api, query, {"rows": []})
    assert answer["data"] == {"insert_item": {"affected_rows": 0, "returning": []}}
    answer = await gql(api, query, {"rows": [{}, {}, {"qty": 3}]})
    assert answer["data"] == {"insert_item": {"affected_rows": 3, "returning": [{"id": 1}, {"id": 2}, {"id": 3}]}}
    assert [r["qty"] for r in await db.fetch("SELECT qty FROM item ORDER BY id")] == [1, 1, 3]


async def test_values_are_never_sql(api: httpx.AsyncClient, db: asyncpg.Connection) -> None:
    nasty = ["'); DROP TABLE author; --", 'x" OR "1"="1', "$1", "\\", '{"a",NULL}', "émoji 🙂"]
    query = "mutation ($n: String!) { insert_author_one(object: {name: $n}) { name } }"
    for value in nasty:
        assert (await gql(api, query, {"n": value}))["data"] == {"insert_author_one": {"name": value}}
        inline = "mutation { insert_author_one(object: {name: " + json.dumps(value + "!") + "}) { name } }"
        assert (await gql(api, inline))["data"] == {"insert_author_one": {"name": value + "!"}}
    answer = await gql(
        api,
        "mutation ($d: jsonb, $t: [String!]) { insert_item_one(object: {data: $d, tags: $t}) { data tags } }",
        {"d": {"k'; --": ["'", '"']}, "t": ['a"b', "c,d", "NULL", "{x}"]},
    )
    assert answer["data"] == {
        "insert_item_one": {"data": {"k'; --": ["'", '"']}, "tags": ['a"b', "c,d", "NULL", "{x}"]}
    }
    names = {r["name"] for r in await db.fetch("SELECT name FROM author")}
    assert set(nasty) <= names
    assert await db.fetchval("SELECT tags FROM item") == ['a"b', "c,d", "NULL", "{x}"]


async def test_objects_in_a_variable_share_plans_by_shape(
    api: httpx.AsyncClient, runtime: Runtime, db: asyncpg.Connection
) -> None:
    query = """mutation ($rows: [author_insert_input!]!, $c: [author_update_column!]!) {
      insert_author(objects: $rows, on_conflict: {constraint: author_name_key, update_columns: $c}) {
        affected_rows returning { name rating }
      }
    }"""
    engine = runtime.pipeline.engine
    before = engine.stats.normalisations
    for i in range(5):
        rows = [{"name": f"n{i}", "rating": i}, {"name": f"m{i}"}]
        answer = await gql(api, query, {"rows": rows, "c": []})
        assert answer["data"]["insert_author"]["returning"] == [
            {"name": f"n{i}", "rating": i},
            {"name": f"m{i}", "rating": 0},
        ]
    assert engine.stats.normalisations - before == 1  # one plan for the five requests
    # another shape (keys, number of objects, update columns) is another plan, with its own answer
    answer = await gql(api, query, {"rows": [{"name": "n0", "rating": 9}], "c": ["rating"]})
    assert answer["data"]["insert_author"] == {"affected_rows": 1, "returning": [{"name": "n0", "rating": 9}]}
    answer = await gql(api, query, {"rows": [{"rating": 1}, {"name": "z"}, {"name": "y", "rating": 2}], "c": []})
    assert answer["errors"][0]["extensions"]["code"] == "constraint-violation"  # the first object has no name
    answer = await gql(api, query, {"rows": [{"name": "z"}, {"name": "y", "rating": 2}], "c": []})
    assert answer["data"]["insert_author"]["returning"] == [{"name": "z", "rating": 0}, {"name": "y", "rating": 2}]
    assert engine.stats.normalisations - before == 4
    assert await db.fetchval("SELECT rating FROM author WHERE name = 'n0'") == 9
