"""Apollo Client (HttpLink + InMemoryCache, run by Node.js) against the real ``livegres serve``.

Apollo adds ``__typename`` to every selection set and normalises objects in its cache by
``__typename`` and ``id``; every result is also read back from that cache. Expected values come
from the database through plain SQL.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.clients.conftest import JsClients
from tests.support.server import LivegresProcess


def obj(typename: str, **fields: Any) -> dict[str, Any]:
    """An object as Apollo returns it: the selected fields plus the ``__typename`` it added."""
    return {"__typename": typename, **fields}


async def apollo(js: JsClients, server: LivegresProcess, *operations: dict[str, Any]) -> dict[str, Any]:
    answer: dict[str, Any] = await js.run("apollo_query", server.url, {"operations": list(operations)})
    return answer


def data_of(result: dict[str, Any]) -> Any:
    """The data of one operation, after checking that the cache gives the same answer."""
    assert "error" not in result, result["error"]
    assert result["cached"] == result["data"]
    return result["data"]


NESTED = """
query AuthorsWithArticles($minRating: Int!) {
  author(order_by: {id: asc}) {
    id
    name
    age
    articles(where: {rating: {_gte: $minRating}}, order_by: {id: asc}) {
      id
      title
      rating
      comments(order_by: {id: asc}) { id body commenter { id name } }
    }
  }
}
"""


async def test_query_with_variables_and_nested_relationships(
    js_clients: JsClients, blog: LivegresProcess, pg: Any
) -> None:
    min_rating = 4
    [result] = (await apollo(js_clients, blog, {"query": NESTED, "variables": {"minRating": min_rating}}))["results"]

    comments: dict[int, list[dict[str, Any]]] = {}
    for row in await pg.fetch(
        "SELECT c.id, c.body, c.article_id, c.commenter_id, a.name"
        " FROM comment c LEFT JOIN author a ON a.id = c.commenter_id ORDER BY c.id"
    ):
        commenter = None if row["commenter_id"] is None else obj("author", id=row["commenter_id"], name=row["name"])
        comments.setdefault(row["article_id"], []).append(
            obj("comment", id=row["id"], body=row["body"], commenter=commenter)
        )
    articles: dict[int, list[dict[str, Any]]] = {}
    for row in await pg.fetch("SELECT * FROM article WHERE rating >= $1 ORDER BY id", min_rating):
        articles.setdefault(row["author_id"], []).append(
            obj("article", id=row["id"], title=row["title"], rating=row["rating"], comments=comments.get(row["id"], []))
        )
    authors = [
        obj("author", id=row["id"], name=row["name"], age=row["age"], articles=articles.get(row["id"], []))
        for row in await pg.fetch("SELECT * FROM author ORDER BY id")
    ]
    assert data_of(result) == {"author": authors}
    assert any(a["articles"] for a in authors) and any(not a["articles"] for a in authors)


FRAGMENTS = """
query Fragments($id: Int!, $missing: Int!) {
  writer: author_by_pk(id: $id) {
    ...AuthorCard
    published: articles(where: {published: {_eq: true}}, order_by: {id: asc}) { ...ArticleRow }
    drafts: articles(where: {published: {_eq: false}}, order_by: {id: asc}) { ...ArticleRow }
  }
  nobody: author_by_pk(id: $missing) { ...AuthorCard }
  best: article(order_by: [{rating: desc_nulls_last}, {id: asc}], limit: 2) {
    headline: title
    ... on article { stars: rating by: author { ...AuthorCard } }
  }
}
fragment AuthorCard on author { id name }
fragment ArticleRow on article { id title }
"""


async def test_query_with_fragments_and_aliases(js_clients: JsClients, blog: LivegresProcess, pg: Any) -> None:
    # An author with both published articles and drafts, and an id no author has.
    author_id = await pg.fetchval(
        "SELECT author_id FROM article GROUP BY author_id"
        " HAVING bool_or(published) AND bool_or(NOT published) ORDER BY author_id LIMIT 1"
    )
    missing = await pg.fetchval("SELECT max(id) + 1 FROM author")
    variables = {"id": author_id, "missing": missing}
    [result] = (await apollo(js_clients, blog, {"query": FRAGMENTS, "variables": variables}))["results"]

    def rows(published: bool) -> list[dict[str, Any]]:
        return [obj("article", id=r["id"], title=r["title"]) for r in by_author if r["published"] is published]

    by_author = await pg.fetch("SELECT * FROM article WHERE author_id = $1 ORDER BY id", author_id)
    name = await pg.fetchval("SELECT name FROM author WHERE id = $1", author_id)
    best = await pg.fetch(
        "SELECT a.title, a.rating, w.id, w.name FROM article a JOIN author w ON w.id = a.author_id"
        " ORDER BY a.rating DESC NULLS LAST, a.id LIMIT 2"
    )
    assert data_of(result) == {
        "writer": obj("author", id=author_id, name=name, published=rows(True), drafts=rows(False)),
        "nobody": None,
        "best": [
            obj("article", headline=r["title"], stars=r["rating"], by=obj("author", id=r["id"], name=r["name"]))
            for r in best
        ],
    }


AGGREGATE = """
query Stats($published: Boolean!) {
  article_aggregate(where: {published: {_eq: $published}}) {
    aggregate {
      count
      sum { rating }
      avg { rating }
      max { rating title }
      min { rating }
    }
    nodes { id title }
  }
  author(order_by: {id: asc}) { id articles_aggregate { aggregate { count } } }
}
"""


def count_of(n: int) -> dict[str, Any]:
    return obj("article_aggregate_fields", count=n)


async def test_aggregate_query(js_clients: JsClients, blog: LivegresProcess, pg: Any) -> None:
    operations = [{"query": AGGREGATE, "variables": {"published": flag}} for flag in (True, False)]
    results = (await apollo(js_clients, blog, *operations))["results"]

    counts = await pg.fetch(
        "SELECT w.id, count(a.id) AS n FROM author w LEFT JOIN article a ON a.author_id = w.id"
        " GROUP BY w.id ORDER BY w.id"
    )
    authors = [
        obj("author", id=r["id"], articles_aggregate=obj("article_aggregate", aggregate=count_of(r["n"])))
        for r in counts
    ]
    for flag, result in zip((True, False), results, strict=True):
        data = data_of(result)
        stats = await pg.fetchrow(
            "SELECT count(*) AS count, sum(rating) AS sum, avg(rating)::float8 AS avg, max(rating) AS max,"
            " max(title) AS max_title, min(rating) AS min FROM article WHERE published = $1",
            flag,
        )
        nodes = await pg.fetch("SELECT id, title FROM article WHERE published = $1 ORDER BY id", flag)
        aggregate = data["article_aggregate"]["aggregate"]
        assert aggregate["avg"] == obj("article_avg_fields", rating=pytest.approx(stats["avg"]))
        assert aggregate == obj(
            "article_aggregate_fields",
            count=stats["count"],
            sum=obj("article_sum_fields", rating=stats["sum"]),
            avg=aggregate["avg"],
            max=obj("article_max_fields", rating=stats["max"], title=stats["max_title"]),
            min=obj("article_min_fields", rating=stats["min"]),
        )
        # Without order_by the nodes come in no defined order.
        got_nodes = sorted(data["article_aggregate"]["nodes"], key=lambda n: n["id"])
        assert got_nodes == [obj("article", id=r["id"], title=r["title"]) for r in nodes]
        assert data["author"] == authors


async def test_errors_reach_apollo_as_hasura_sends_them(js_clients: JsClients, blog: LivegresProcess) -> None:
    unknown_field = "query Unknown { author { id nope } }"
    missing_variable = "query Missing($id: Int!) { author_by_pk(id: $id) { id name } }"
    operations: list[dict[str, Any]] = [{"query": unknown_field}, {"query": missing_variable, "variables": {}}]
    results = (await apollo(js_clients, blog, *operations))["results"]

    expected = [
        ("field \"nope\" not found in type: 'author'", "validation-failed"),
        ('expecting a value for non-nullable variable: "id"', "validation-failed"),
    ]
    async with httpx.AsyncClient(base_url=blog.url, timeout=30) as http:
        for query, result, (message, code) in zip((unknown_field, missing_variable), results, expected, strict=True):
            direct = (await http.post("/v1/graphql", json={"query": query, "variables": {}})).json()
            error = result["error"]
            # Hasura answers errors with HTTP 200: Apollo sees GraphQL errors, not a network error.
            assert error["networkError"] is None
            assert error["graphQLErrors"] == direct["errors"]
            [graphql_error] = error["graphQLErrors"]
            assert error["message"] == graphql_error["message"] == message
            assert graphql_error["extensions"]["code"] == code
    assert results[0]["error"]["graphQLErrors"][0]["extensions"]["path"] == "$.selectionSet.author.selectionSet.nope"


TYPENAMES = """
query Typenames {
  __typename
  author(order_by: {id: asc}) {
    id
    kind: __typename
    articles(order_by: {id: asc}) { id comments(order_by: {id: asc}) { id commenter { id } } }
    articles_aggregate { aggregate { max { rating } } }
  }
}
"""


def entities(value: Any) -> set[str]:
    """The cache ids (``<__typename>:<id>``) of every object in a result that has an id."""
    found: set[str] = set()
    if isinstance(value, list):
        for item in value:
            found |= entities(item)
    elif isinstance(value, dict):
        if "id" in value:
            found.add(f"{value['__typename']}:{value['id']}")
        for item in value.values():
            found |= entities(item)
    return found


async def test_typename_on_every_selection(js_clients: JsClients, blog: LivegresProcess, pg: Any) -> None:
    answer = await apollo(js_clients, blog, {"query": TYPENAMES})
    data = data_of(answer["results"][0])

    assert data["__typename"] == "query_root"
    for author in data["author"]:
        assert author["__typename"] == author["kind"] == "author"
        aggregate = author["articles_aggregate"]
        assert aggregate["__typename"] == "article_aggregate"
        assert aggregate["aggregate"]["__typename"] == "article_aggregate_fields"
        assert aggregate["aggregate"]["max"]["__typename"] == "article_max_fields"
        for article in author["articles"]:
            assert article["__typename"] == "article"
            for comment in article["comments"]:
                assert comment["__typename"] == "comment"
                assert comment["commenter"] is None or comment["commenter"]["__typename"] == "author"

    # Apollo normalised every object by its __typename and id: one cache entry per row.
    rows = await pg.fetch(
        "SELECT 'author:' || id AS key FROM author UNION ALL SELECT 'article:' || id FROM article"
        " UNION ALL SELECT 'comment:' || id FROM comment"
    )
    assert entities(data) == {r["key"] for r in rows}
    cache = answer["cache"]
    assert set(cache) - {"ROOT_QUERY"} == {r["key"] for r in rows}
    assert all(entry["__typename"] == key.split(":")[0] for key, entry in cache.items() if key != "ROOT_QUERY")


async def test_request_headers_reach_the_server(js_clients: JsClients, blog: LivegresProcess) -> None:
    # Without an admin secret the session is taken from the headers: a role with no permissions sees no tables.
    query = {"query": "query Authors { author { id } }"}
    answer = await js_clients.run(
        "apollo_query", blog.url, {"operations": [query]}, headers={"x-hasura-role": "nobody"}
    )
    [error] = answer["results"][0]["error"]["graphQLErrors"]
    assert error["message"] == "field \"author\" not found in type: 'query_root'"
    assert error["extensions"]["code"] == "validation-failed"
