"""Aggregates against a real PostgreSQL: count (columns, distinct), every function, nodes,
nested ``_aggregate`` fields, arguments, and Hasura's number formatting."""

from __future__ import annotations

import asyncpg

from livegres import ir
from livegres.catalog.model import PgType
from tests.sql.support import ARTICLE, ARTICLES, AUTHOR, INT4, INT8, asc, cols, eq, pg, query, run

F = ir.AggregateFunction
FLOAT8 = pg("float8")


def over(function: ir.AggregateFunction, *columns: tuple[str, PgType]) -> ir.AggregateOp:
    return ir.AggregateOp(function, tuple((c, ir.AggregateColumn(c, t)) for c, t in columns))


ALL_FUNCTIONS = tuple(
    (f.value, over(f, ("id", INT4), ("views", INT8), ("score", FLOAT8)))
    for f in (F.SUM, F.AVG, F.MIN, F.MAX, F.STDDEV, F.STDDEV_POP, F.STDDEV_SAMP, F.VAR_POP, F.VAR_SAMP, F.VARIANCE)
)


def article_aggregate(args: ir.SelectArgs | None = None, *, nodes: bool = True) -> ir.AggregateSelect:
    fields: list[tuple[str, ir.Aggregate | ir.Nodes | ir.Typename]] = [
        (
            "aggregate",
            ir.Aggregate(
                (
                    ("count", ir.Count()),
                    ("count_body", ir.Count(("body",))),
                    ("distinct_dates", ir.Count(("published_on",), distinct=True)),
                    ("distinct_pairs", ir.Count(("author_id", "is_published"), distinct=True)),
                    ("__typename", ir.Typename("article_aggregate_fields")),
                    *ALL_FUNCTIONS,
                )
            ),
        )
    ]
    if nodes:
        fields.append(("nodes", ir.Nodes(cols("id"))))
    fields.append(("__typename", ir.Typename("article_aggregate")))
    return ir.AggregateSelect(ARTICLE, tuple(fields), args or ir.SelectArgs())


async def test_root_aggregate_all_functions(conn: asyncpg.Connection) -> None:
    data = await run(
        conn, query(article_aggregate=article_aggregate(ir.SelectArgs(order_by=(asc("id"),)))), name="aggregate_all"
    )
    agg = data["article_aggregate"]["aggregate"]
    assert agg["count"] == 7
    assert agg["count_body"] == 6
    assert agg["distinct_dates"] == 4
    assert agg["distinct_pairs"] == 5
    assert agg["__typename"] == "article_aggregate_fields"
    assert agg["sum"] == {"id": 28, "views": 6410, "score": 17.75}
    assert agg["avg"]["id"] == 4
    assert agg["min"] == {"id": 1, "views": 10, "score": 1}
    assert agg["max"] == {"id": 7, "views": 5000, "score": 5}
    assert abs(agg["variance"]["id"] - 4.6666666) < 1e-6
    assert agg["var_samp"] == agg["variance"]
    assert agg["stddev"] == agg["stddev_samp"]
    assert agg["var_pop"]["id"] == 4
    assert agg["stddev_pop"]["id"] == 2
    assert [n["id"] for n in data["article_aggregate"]["nodes"]] == [1, 2, 3, 4, 5, 6, 7]
    assert data["article_aggregate"]["__typename"] == "article_aggregate"


async def test_stringified_numbers(conn: asyncpg.Connection) -> None:
    data = await run(conn, query(a=article_aggregate(nodes=False)), stringify=True, name="aggregate_stringify")
    agg = data["a"]["aggregate"]
    assert agg["count"] == 7  # count stays a number
    assert agg["sum"] == {"id": 28, "views": "6410", "score": "17.75"}  # by the column's type
    assert agg["avg"]["id"] == 4  # avg of an int4 column: a number, as Hasura
    assert agg["max"]["views"] == "5000"


async def test_empty_aggregate_and_arguments(conn: asyncpg.Connection) -> None:
    none = article_aggregate(ir.SelectArgs(where=eq("id", 100)))
    limited = ir.AggregateSelect(
        ARTICLE,
        (
            ("aggregate", ir.Aggregate((("count", ir.Count()), ("max", over(F.MAX, ("id", INT4)))))),
            ("nodes", ir.Nodes(cols("id"))),
        ),
        ir.SelectArgs(order_by=(ir.OrderBy.hasura(ir.ColumnOrder("id"), "desc"),), limit=3, offset=1),
    )
    data = await run(conn, query(none=none, limited=limited), name="aggregate_args")
    assert data["none"]["aggregate"]["count"] == 0
    assert data["none"]["aggregate"]["sum"] == {"id": None, "views": None, "score": None}
    assert data["none"]["nodes"] == []
    assert data["limited"] == {"aggregate": {"count": 3, "max": {"id": 6}}, "nodes": [{"id": 6}, {"id": 5}, {"id": 4}]}


async def test_nested_array_aggregate_q3(conn: asyncpg.Connection) -> None:
    """BENCHMARKS.md q3: per author, published articles' count, max(id), count(distinct published_on)."""
    per_author = ir.AggregateSelect(
        ARTICLE,
        (
            (
                "aggregate",
                ir.Aggregate(
                    (
                        ("count", ir.Count()),
                        ("max", over(F.MAX, ("id", INT4))),
                        ("days", ir.Count(("published_on",), distinct=True)),
                    )
                ),
            ),
        ),
        ir.SelectArgs(where=eq("is_published", True, "bool")),
    )
    authors = ir.Select(
        AUTHOR,
        (*cols("id"), ir.Field("articles_aggregate", ir.ArrayAggregate(ARTICLES, per_author))),
        ir.SelectArgs(order_by=(asc("id"),)),
    )
    data = await run(conn, query(author=authors), name="aggregate_nested_q3")
    assert data["author"] == [
        {"id": 1, "articles_aggregate": {"aggregate": {"count": 2, "max": {"id": 2}, "days": 2}}},
        {"id": 2, "articles_aggregate": {"aggregate": {"count": 2, "max": {"id": 5}, "days": 2}}},
        {"id": 3, "articles_aggregate": {"aggregate": {"count": 0, "max": {"id": None}, "days": 0}}},
        {"id": 4, "articles_aggregate": {"aggregate": {"count": 1, "max": {"id": 6}, "days": 1}}},
    ]


async def test_two_nodes_fields_and_permission_limit(conn: asyncpg.Connection) -> None:
    sel = ir.AggregateSelect(
        ARTICLE,
        (
            ("aggregate", ir.Aggregate((("count", ir.Count()),))),
            ("ids", ir.Nodes(cols("id"))),
            ("titles", ir.Nodes(cols("title"))),
        ),
        ir.SelectArgs(order_by=(asc("id"),)),
        permission=ir.Permission(filter=eq("author_id", 1), limit=2),
    )
    data = await run(conn, query(a=sel), name="aggregate_two_nodes")
    assert data["a"] == {
        "aggregate": {"count": 2},
        "ids": [{"id": 1}, {"id": 2}],
        "titles": [{"title": "Notes on the Engine"}, {"title": "Sketch of the Analytical Engine"}],
    }
