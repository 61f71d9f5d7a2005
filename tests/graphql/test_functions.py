"""Tracked functions as root fields, computed fields (scalar and returning rows) in
selections, filters and ordering, and inherited roles' per-column visibility."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.graphql.conftest import gql, metadata, post, setup_schema

FUNCTIONS = """
CREATE FUNCTION search_articles(search text) RETURNS SETOF article AS $$
  SELECT * FROM article WHERE title ILIKE ('%' || search || '%')
$$ LANGUAGE sql STABLE;
CREATE FUNCTION my_articles(hasura_session json) RETURNS SETOF article AS $$
  SELECT * FROM article WHERE author_id = (hasura_session ->> 'x-hasura-user-id')::int
$$ LANGUAGE sql STABLE;
CREATE FUNCTION author_rating(author_row author) RETURNS bigint AS $$
  SELECT coalesce(sum(rating), 0) FROM article WHERE author_id = author_row.id
$$ LANGUAGE sql STABLE;
CREATE FUNCTION author_published(author_row author) RETURNS SETOF article AS $$
  SELECT * FROM article WHERE author_id = author_row.id AND published
$$ LANGUAGE sql STABLE;
CREATE FUNCTION author_good_articles(author_row author, min_rating int DEFAULT 4) RETURNS SETOF article AS $$
  SELECT * FROM article WHERE author_id = author_row.id AND rating >= min_rating
$$ LANGUAGE sql STABLE;
"""


@pytest.fixture(scope="module")
async def functions(client: httpx.AsyncClient) -> httpx.AsyncClient:
    await setup_schema(client)
    response = await post(client, "/v2/query", {"type": "run_sql", "args": {"sql": FUNCTIONS}})
    assert response.status_code == 200, response.text
    await metadata(client, "pg_track_function", {"function": "search_articles"})
    await metadata(
        client,
        "pg_track_function",
        {"function": "my_articles", "configuration": {"session_argument": "hasura_session"}},
    )
    for name, function in (
        ("rating_sum", "author_rating"),
        ("good_articles", "author_good_articles"),
        ("published_articles", "author_published"),
    ):
        await metadata(
            client,
            "pg_add_computed_field",
            {"table": "author", "name": name, "definition": {"function": function, "table_argument": "author_row"}},
        )
    await metadata(
        client,
        "pg_create_select_permission",
        {
            "table": "article",
            "role": "reader",
            "permission": {"columns": ["id", "title"], "filter": {"published": {"_eq": True}}},
        },
    )
    await metadata(
        client,
        "pg_create_select_permission",
        {
            "table": "author",
            "role": "reader",
            "permission": {"columns": ["id", "name"], "filter": {}},
        },
    )
    return client


async def data(client: httpx.AsyncClient, query: str, **headers: str) -> Any:
    answer = await gql(client, query, headers=headers)
    assert "errors" not in answer, answer
    return answer["data"]


async def test_function_root_field_with_arguments(functions: httpx.AsyncClient) -> None:
    query = '{ search_articles(args: {search: "b"}, order_by: {id: asc}) { id title } }'
    assert await data(functions, query) == {
        "search_articles": [{"id": 3, "title": "B1"}, {"id": 4, "title": "B2"}, {"id": 5, "title": "B3"}]
    }
    query = '{ search_articles_aggregate(args: {search: "a"}) { aggregate { count } } }'
    assert await data(functions, query) == {"search_articles_aggregate": {"aggregate": {"count": 2}}}


async def test_function_with_session_argument(functions: httpx.AsyncClient) -> None:
    query = "{ my_articles(order_by: {id: asc}) { id } }"
    assert await data(functions, query, **{"x-hasura-user-id": "1"}) == {"my_articles": [{"id": 1}, {"id": 2}]}


async def test_function_rows_are_filtered_by_the_returned_tables_permission(functions: httpx.AsyncClient) -> None:
    query = '{ search_articles(args: {search: "b"}, order_by: {id: asc}) { id } }'
    assert await data(functions, query, **{"x-hasura-role": "reader"}) == {"search_articles": [{"id": 3}, {"id": 4}]}


async def test_computed_fields_in_selection_where_and_order_by(functions: httpx.AsyncClient) -> None:
    query = "{ author(order_by: {rating_sum: desc}) { name rating_sum } }"
    assert await data(functions, query) == {
        "author": [{"name": "Bob", "rating_sum": 9}, {"name": "Ann", "rating_sum": 8}, {"name": "Cid", "rating_sum": 0}]
    }
    query = '{ author(where: {rating_sum: {_gt: "8"}}) { name } }'
    assert await data(functions, query) == {"author": [{"name": "Bob"}]}
    query = "{ author(order_by: {id: asc}) { name good_articles(order_by: {id: asc}) { title } } }"
    assert await data(functions, query) == {
        "author": [
            {"name": "Ann", "good_articles": [{"title": "A1"}]},
            {"name": "Bob", "good_articles": [{"title": "B1"}, {"title": "B2"}]},
            {"name": "Cid", "good_articles": []},
        ]
    }
    query = "{ author(order_by: {id: asc}) { name good_articles(args: {min_rating: 5}) { title } } }"
    assert (await data(functions, query))["author"][0] == {"name": "Ann", "good_articles": [{"title": "A1"}]}
    query = '{ author(where: {published_articles: {title: {_eq: "B2"}}}) { name } }'
    assert await data(functions, query) == {"author": [{"name": "Bob"}]}
    query = '{ author(where: {published_articles: {title: {_eq: "A2"}}}) { name } }'
    assert await data(functions, query) == {"author": []}


async def test_computed_rows_keep_the_permission_of_their_table(functions: httpx.AsyncClient) -> None:
    query = "{ author(order_by: {id: asc}) { name good_articles(order_by: {id: asc}) { id } } }"
    rows = (await data(functions, query, **{"x-hasura-role": "reader"}))["author"]
    # article 2 (rating 3) and 5 (rating 1) are unpublished anyway; all good articles are published here
    assert rows[1] == {"name": "Bob", "good_articles": [{"id": 3}, {"id": 4}]}
    answer = await gql(functions, "{ author { rating_sum } }", headers={"x-hasura-role": "reader"})
    assert answer["errors"][0]["extensions"]["code"] == "validation-failed"


async def test_inherited_role_sees_a_column_only_on_rows_of_the_role_that_grants_it(client: httpx.AsyncClient) -> None:
    await setup_schema(client)
    for role, columns, filter_ in (
        ("public_reader", ["id", "title"], {"published": {"_eq": True}}),
        ("owner", ["id", "title", "rating"], {"author_id": {"_eq": "X-Hasura-User-Id"}}),
    ):
        await metadata(
            client,
            "pg_create_select_permission",
            {"table": "article", "role": role, "permission": {"columns": columns, "filter": filter_}},
        )
    await metadata(client, "add_inherited_role", {"role_name": "member", "role_set": ["public_reader", "owner"]})
    query = "{ article(order_by: {id: asc}) { id rating } }"
    rows = (await data(client, query, **{"x-hasura-role": "member", "x-hasura-user-id": "1"}))["article"]
    # published by anyone (1, 3, 4) plus own (1, 2); rating only on own rows
    assert rows == [
        {"id": 1, "rating": 5},
        {"id": 2, "rating": 3},
        {"id": 3, "rating": None},
        {"id": 4, "rating": None},
    ]
