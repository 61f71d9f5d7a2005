"""Updates and deletes through POST /v1/graphql: every operator, _by_pk, _many."""

from __future__ import annotations

import json

import asyncpg
import httpx

from livegres.auth.session import Session
from livegres.runtime import Runtime
from tests.mutations.conftest import gql, run_sql


async def test_set_and_inc(api: httpx.AsyncClient, db: asyncpg.Connection) -> None:
    query = """mutation ($r: Int) {
      update_author(where: {name: {_eq: "Ann"}}, _set: {name: "Anne"}, _inc: {rating: $r}) {
        affected_rows returning { id name rating articles(order_by: {id: asc}) { title } }
      }
    }"""
    answer = await gql(api, query, {"r": -2})
    assert answer["data"] == {
        "update_author": {
            "affected_rows": 1,
            "returning": [{"id": 1, "name": "Anne", "rating": 3, "articles": [{"title": "A1"}, {"title": "A2"}]}],
        }
    }
    assert tuple(await db.fetchrow("SELECT name, rating FROM author WHERE id = 1")) == ("Anne", 3)
    answer = await gql(api, "mutation { update_author(where: {}, _inc: {rating: 1}) { affected_rows } }")
    assert answer["data"] == {"update_author": {"affected_rows": 2}}
    answer = await gql(
        api, "mutation { update_author(where: {id: {_eq: 1}}, _set: {rating: 1}, _inc: {rating: 1}) { affected_rows } }"
    )
    assert answer["errors"][0]["extensions"]["code"] == "validation-failed"
    assert answer["errors"][0]["message"] == 'column found in multiple operators; "rating" in _set, _inc'


async def test_jsonb_operators(api: httpx.AsyncClient, db: asyncpg.Connection) -> None:
    await run_sql(api, """INSERT INTO item (data) VALUES ('{"a": 1, "b": {"c": 2, "d": 3}, "l": [1, 2, 3]}')""")

    async def update(args: str, variables: dict[str, object] | None = None) -> object:
        query = "mutation ($v: jsonb) { update_item_by_pk(pk_columns: {id: 1}, " + args + ") { data } }"
        answer = await gql(api, query, variables)
        assert "errors" not in answer, answer
        return answer["data"]["update_item_by_pk"]["data"]

    assert await update("_append: {data: $v}", {"v": {"e": 4}}) == {
        "a": 1,
        "b": {"c": 2, "d": 3},
        "e": 4,
        "l": [1, 2, 3],
    }
    assert await update("_prepend: {data: {a: 0, z: 9}}") == {
        "a": 1,
        "b": {"c": 2, "d": 3},
        "e": 4,
        "l": [1, 2, 3],
        "z": 9,
    }
    assert await update('_delete_key: {data: "z"}') == {"a": 1, "b": {"c": 2, "d": 3}, "e": 4, "l": [1, 2, 3]}
    assert await update('_delete_at_path: {data: ["b", "c"]}') == {"a": 1, "b": {"d": 3}, "e": 4, "l": [1, 2, 3]}
    assert await update('_delete_at_path: {data: ["l", "0"]}') == {"a": 1, "b": {"d": 3}, "e": 4, "l": [2, 3]}
    await run_sql(api, """UPDATE item SET data = '[10, 20, 30]'""")
    assert await update("_delete_elem: {data: -1}") == [10, 20]
    assert await update("_delete_elem: {data: 0}") == [20]
    assert await update("_append: {data: $v}", {"v": ["x"]}) == [20, "x"]
    assert json.loads(await db.fetchval("SELECT data::text FROM item")) == [20, "x"]


async def test_update_by_pk_and_many(api: httpx.AsyncClient, db: asyncpg.Connection) -> None:
    answer = await gql(
        api,
        "mutation { update_article_by_pk(pk_columns: {id: 2}, _set: {published: true})"
        " { id published author { name } } }",
    )
    assert answer["data"] == {"update_article_by_pk": {"id": 2, "published": True, "author": {"name": "Ann"}}}
    answer = await gql(api, "mutation { update_article_by_pk(pk_columns: {id: 99}, _set: {published: true}) { id } }")
    assert answer["data"] == {"update_article_by_pk": None}
    query = """mutation {
      update_article_many(updates: [
        {where: {published: {_eq: true}}, _set: {title: "P"}},
        {where: {title: {_eq: "P"}}, _set: {published: false}},
        {where: {id: {_eq: 99}}, _set: {title: "none"}}
      ]) { affected_rows returning { id title published } }
    }"""
    answer = await gql(api, query)
    assert answer["data"] == {
        "update_article_many": [
            {"affected_rows": 2, "returning": [{"id": 1, "title": "P", "published": True},
                                               {"id": 2, "title": "P", "published": True}]},
            {"affected_rows": 2, "returning": [{"id": 1, "title": "P", "published": False},
                                               {"id": 2, "title": "P", "published": False}]},
            {"affected_rows": 0, "returning": []},
        ]
    }  # fmt: skip
    assert await db.fetchval("SELECT count(*) FROM article WHERE published") == 0


async def test_delete(api: httpx.AsyncClient, db: asyncpg.Connection) -> None:
    answer = await gql(api, "mutation { delete_comment(where: {}) { affected_rows } }")
    assert answer["data"] == {"delete_comment": {"affected_rows": 1}}
    query = """mutation {
      delete_article(where: {author: {name: {_eq: "Ann"}}}) {
        affected_rows returning { id title author { name articles { id } } }
      }
    }"""
    answer = await gql(api, query)
    # the answer is read after the delete: the author has no articles left
    assert answer["data"] == {
        "delete_article": {
            "affected_rows": 2,
            "returning": [{"id": 1, "title": "A1", "author": {"name": "Ann", "articles": []}},
                          {"id": 2, "title": "A2", "author": {"name": "Ann", "articles": []}}],
        }
    }  # fmt: skip
    answer = await gql(
        api, "mutation { a: delete_article_by_pk(id: 3) { id title } b: delete_article_by_pk(id: 3) { id } }"
    )
    assert answer["data"] == {"a": {"id": 3, "title": "B1"}, "b": None}
    assert await db.fetchval("SELECT count(*) FROM article") == 0
    answer = await gql(api, 'mutation { delete_author(where: {name: {_eq: "Ann"}}) { affected_rows } __typename }')
    assert answer["data"] == {"delete_author": {"affected_rows": 1}, "__typename": "mutation_root"}


async def test_explain_refuses_mutations(api: httpx.AsyncClient, db: asyncpg.Connection) -> None:
    body = {"query": {"query": "mutation { delete_comment(where: {}) { affected_rows } }"}}
    response = await api.post("/v1/graphql/explain", json=body)
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "not-supported"
    assert await db.fetchval("SELECT count(*) FROM comment") == 1


async def test_pipeline_refuses_mutations_when_asked(
    api: httpx.AsyncClient, runtime: Runtime, db: asyncpg.Connection
) -> None:
    body = {"query": "mutation { delete_comment(where: {}) { affected_rows } }"}
    outcome = await runtime.pipeline.run(body, Session("admin", {"x-hasura-role": "admin"}), mutations=False)
    assert outcome.error is not None and outcome.error.code == "method-not-allowed"
    assert await db.fetchval("SELECT count(*) FROM comment") == 1
    query = await runtime.pipeline.run({"query": "{ comment { body } }"}, Session("admin"), mutations=False)
    assert query.data == b'{"comment":[{"body":"nice"}]}'
