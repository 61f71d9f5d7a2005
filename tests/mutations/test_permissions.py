"""Insert, update and delete permissions: columns, presets, check, filter, upserts, returning."""

from __future__ import annotations

import asyncpg
import httpx

from tests.mutations.conftest import USER, gql, metadata


def _code(answer: dict[str, object]) -> object:
    errors = answer.get("errors")
    assert isinstance(errors, list), answer
    return errors[0]["extensions"]["code"]


async def test_insert_columns_presets_and_check(api: httpx.AsyncClient, db: asyncpg.Connection) -> None:
    answer = await gql(api, 'mutation { insert_author_one(object: {name: "Cat", rating: 4}) { id name owner rating } }',
                       headers={**USER, "x-hasura-user-id": "7"})  # fmt: skip
    assert answer["data"] == {"insert_author_one": {"id": 3, "name": "Cat", "owner": "7", "rating": 4}}
    # a preset column is not an input; the check bounds the rating
    answer = await gql(api, 'mutation { insert_author_one(object: {name: "Dan", owner: "1"}) { id } }', headers=USER)
    assert _code(answer) == "validation-failed"
    answer = await gql(api, 'mutation { insert_author(objects: [{name: "Dan", rating: 11}]) { affected_rows } }',
                       headers=USER)  # fmt: skip
    assert _code(answer) == "permission-error"
    assert answer["errors"][0]["message"] == "check constraint of an insert/update permission has failed"
    # the article check goes through the author relationship: only for the user's own authors
    ok = await gql(
        api, 'mutation { insert_article_one(object: {title: "t", author_id: 1}) { id title } }', headers=USER
    )
    assert ok["data"] == {"insert_article_one": {"id": 4, "title": "t"}}
    denied = await gql(api, 'mutation { insert_article_one(object: {title: "t", author_id: 2}) { id } }', headers=USER)
    assert _code(denied) == "permission-error"
    assert await db.fetchval("SELECT count(*) FROM article WHERE author_id = 2") == 1
    assert await db.fetchval("SELECT count(*) FROM author") == 3


async def test_upsert_needs_and_obeys_the_update_permission(api: httpx.AsyncClient, db: asyncpg.Connection) -> None:
    query = """mutation {
      insert_author(objects: [{name: "Ann", rating: 8}, {name: "Bob", rating: 8}],
                    on_conflict: {constraint: author_name_key, update_columns: [rating]}) {
        affected_rows returning { name rating is_registered }
      }
    }"""
    answer = await gql(api, query, headers=USER)
    # Bob belongs to user 2: the update filter leaves him alone; the update preset applies to Ann
    assert answer["data"] == {
        "insert_author": {"affected_rows": 1, "returning": [{"name": "Ann", "rating": 8, "is_registered": True}]}
    }
    assert await db.fetchval("SELECT rating FROM author WHERE name = 'Bob'") == 3
    # the update check (rating >= 0) guards the updated row
    query = query.replace('rating: 8}, {name: "Bob", rating: 8}', "rating: -1}")
    assert _code(await gql(api, query, headers=USER)) == "permission-error"
    assert await db.fetchval("SELECT rating FROM author WHERE name = 'Ann'") == 8
    # comment has no update permission: the role may only upsert with DO NOTHING
    query = (
        'mutation { insert_comment(objects: [{body: "nice", article_id: 1}, {body: "x", article_id: 1}],'
        " on_conflict: {constraint: comment_body_article_key, update_columns: $columns}) { affected_rows } }"
    )
    nothing = query.replace("$columns", "[]")
    assert (await gql(api, nothing, headers=USER))["data"] == {"insert_comment": {"affected_rows": 1}}
    assert _code(await gql(api, query.replace("$columns", "[body]"), headers=USER)) == "validation-failed"
    assert _code(await gql(api, query.replace("$columns", "[_PLACEHOLDER]"), headers=USER)) == "validation-failed"
    assert (await gql(api, query.replace("$columns", "[body]")))["data"] == {"insert_comment": {"affected_rows": 2}}


async def test_update_filter_check_presets_and_columns(api: httpx.AsyncClient, db: asyncpg.Connection) -> None:
    query = (
        "mutation { update_author(where: {}, _inc: {rating: 1}) { affected_rows returning { name is_registered } } }"
    )
    answer = await gql(api, query, headers=USER)
    assert answer["data"] == {
        "update_author": {"affected_rows": 1, "returning": [{"name": "Ann", "is_registered": True}]}
    }
    assert [tuple(r) for r in await db.fetch("SELECT name, rating FROM author ORDER BY id")] == [("Ann", 6), ("Bob", 3)]
    answer = await gql(
        api, "mutation { update_author_by_pk(pk_columns: {id: 2}, _set: {rating: 0}) { id } }", headers=USER
    )
    assert answer["data"] == {"update_author_by_pk": None}
    answer = await gql(api, "mutation { update_author(where: {}, _set: {rating: -5}) { affected_rows } }", headers=USER)
    assert _code(answer) == "permission-error"
    answer = await gql(api, 'mutation { update_author(where: {}, _set: {owner: "2"}) { affected_rows } }', headers=USER)
    assert _code(answer) == "validation-failed"
    # articles: only unpublished ones of the user's authors, and they must stay unpublished
    query = 'mutation { update_article(where: {}, _set: {title: "T"}) { affected_rows returning { id } } }'
    assert (await gql(api, query, headers=USER))["data"] == {
        "update_article": {"affected_rows": 1, "returning": [{"id": 2}]}
    }
    query = "mutation { update_article(where: {id: {_eq: 2}}, _set: {published: true}) { affected_rows } }"
    assert _code(await gql(api, query, headers=USER)) == "permission-error"
    assert await db.fetchval("SELECT published FROM article WHERE id = 2") is False
    assert [tuple(r) for r in await db.fetch("SELECT rating FROM author ORDER BY id")] == [(6,), (3,)]


async def test_delete_filter(api: httpx.AsyncClient, db: asyncpg.Connection) -> None:
    query = "mutation { delete_article(where: {}) { affected_rows returning { id title } } }"
    answer = await gql(api, query, headers=USER)
    assert answer["data"] == {"delete_article": {"affected_rows": 1, "returning": [{"id": 2, "title": "A2"}]}}
    answer = await gql(api, "mutation { delete_article_by_pk(id: 3) { id } }", headers=USER)
    assert answer["data"] == {"delete_article_by_pk": None}
    assert [r["id"] for r in await db.fetch("SELECT id FROM article ORDER BY id")] == [1, 3]


async def test_returning_and_fields_follow_the_role(api: httpx.AsyncClient) -> None:
    # slug is not selectable by the role: not in returning
    query = 'mutation { insert_article_one(object: {title: "t", author_id: 1}) { id slug } }'
    assert _code(await gql(api, query, headers=USER)) == "validation-failed"
    # no delete permission on comment: no delete_comment field
    assert _code(await gql(api, "mutation { delete_comment(where: {}) { affected_rows } }", headers=USER)) == (
        "validation-failed"
    )
    await metadata(api, "pg_create_select_permission",
                   {"table": "author", "role": "reader", "permission": {"columns": "*", "filter": {}}})  # fmt: skip
    answer = await gql(
        api, "mutation { delete_author(where: {}) { affected_rows } }", headers={"x-hasura-role": "reader"}
    )
    assert answer["errors"][0]["message"] == "no mutations exist"


async def test_nested_insert_checks_see_the_rows_written_with_them(
    api: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    # the article's check reads its author, written by the same mutation
    query = """mutation ($rating: Int!) {
      insert_article_one(object: {title: "t", author: {data: {name: "Cat", rating: $rating}}}) {
        title author { name owner }
      }
    }"""
    answer = await gql(api, query, {"rating": 1}, headers=USER)
    assert answer["data"] == {"insert_article_one": {"title": "t", "author": {"name": "Cat", "owner": "1"}}}
    query = """mutation {
      insert_author_one(object: {name: "Dan", articles: {data: [{title: "d1"}, {title: "d2"}]}}) {
        articles { title }
      }
    }"""
    answer = await gql(api, query, headers=USER)
    assert answer["data"] == {"insert_author_one": {"articles": [{"title": "d1"}, {"title": "d2"}]}}
    # a nested row failing its own check stops everything
    query = """mutation {
      insert_author_one(object: {name: "Eve", rating: 11, articles: {data: [{title: "e1"}]}}) { id }
    }"""
    answer = await gql(api, query, headers=USER)
    assert _code(answer) == "permission-error"
    assert await db.fetchval("SELECT count(*) FROM author WHERE name = 'Eve'") == 0
    assert await db.fetchval("SELECT count(*) FROM article WHERE title = 'e1'") == 0


async def test_inherited_role_takes_equal_mutation_permissions(api: httpx.AsyncClient) -> None:
    comment = {"columns": "*", "check": {}}
    await metadata(
        api,
        "pg_create_select_permission",
        {"table": "comment", "role": "reviewer", "permission": {"columns": "*", "filter": {}}},
    )
    await metadata(api, "pg_create_insert_permission", {"table": "comment", "role": "reviewer", "permission": comment})
    await metadata(
        api,
        "pg_create_delete_permission",
        {"table": "comment", "role": "reviewer", "permission": {"filter": {"body": {"_eq": "x"}}}},
    )
    await metadata(api, "add_inherited_role", {"role_name": "member", "role_set": ["user", "reviewer"]})
    member = {"x-hasura-role": "member", "x-hasura-user-id": "1"}
    # both parents insert comments alike: the inherited role may too
    answer = await gql(
        api, 'mutation { insert_comment_one(object: {body: "m", article_id: 1}) { body } }', headers=member
    )
    assert answer["data"] == {"insert_comment_one": {"body": "m"}}
    # only reviewer may delete comments: one parent has the permission, so it is inherited
    answer = await gql(api, "mutation { delete_comment(where: {}) { affected_rows } }", headers=member)
    assert answer["data"] == {"delete_comment": {"affected_rows": 0}}
    # author: only user inserts, with its own check and preset
    answer = await gql(api, 'mutation { insert_author_one(object: {name: "M", rating: 11}) { id } }', headers=member)
    assert _code(answer) == "permission-error"
    # parents that differ leave the inherited role without the permission
    await metadata(
        api,
        "pg_create_select_permission",
        {"table": "author", "role": "reviewer", "permission": {"columns": "*", "filter": {}}},
    )
    await metadata(
        api,
        "pg_create_insert_permission",
        {"table": "author", "role": "reviewer", "permission": {"columns": ["name"], "check": {}}},
    )
    answer = await gql(api, 'mutation { insert_author_one(object: {name: "M"}) { id } }', headers=member)
    assert _code(answer) == "validation-failed"
    reviewer = {"x-hasura-role": "reviewer"}
    answer = await gql(api, 'mutation { insert_author_one(object: {name: "M"}) { name } }', headers=reviewer)
    assert answer["data"] == {"insert_author_one": {"name": "M"}}
