"""Selects against a real PostgreSQL: lists, by primary key, nested relationships with their
own arguments, ordering, pagination, distinct_on, computed fields; SQL snapshotted."""

from __future__ import annotations

import asyncpg

from livegres import ir
from livegres.sql import compile_operation
from tests.sql.support import (
    ARTICLE,
    ARTICLES,
    AUTHOR,
    AUTHOR_OF,
    COMMENT,
    COMMENTS,
    INT4,
    JSONB,
    TEXT,
    asc,
    col,
    cols,
    desc,
    eq,
    lit,
    qn,
    query,
    run,
)


async def test_list_and_typename(conn: asyncpg.Connection) -> None:
    op = query(
        __typename=ir.Typename("query_root"),
        author=ir.Select(AUTHOR, (*cols("id", "name"), ir.Field("__typename", ir.Typename("author")))),
    )
    data = await run(conn, op, name="list_and_typename")
    assert list(data) == ["__typename", "author"]
    assert data["__typename"] == "query_root"
    assert sorted(a["id"] for a in data["author"]) == [1, 2, 3, 4]
    assert data["author"][0]["__typename"] == "author"
    assert list(data["author"][0]) == ["id", "name", "__typename"]


async def test_by_pk_found_and_missing(conn: asyncpg.Connection) -> None:
    def by_pk(value: ir.Param) -> ir.Select:
        return ir.Select(
            AUTHOR, cols("id", "name"), ir.SelectArgs(ir.ColumnComparison("id", ir.CompareOp.EQ, value)), True
        )

    op = query(a=by_pk(ir.variable("id", qn("int4"))), b=by_pk(lit(99)))
    data = await run(conn, op, {"id": 2}, name="by_pk")
    assert data == {"a": {"id": 2, "name": "Brian"}, "b": None}


def q2_operation() -> ir.Operation:
    """BENCHMARKS.md q2: authors, each with their latest articles, each with its comments."""
    comments = ir.Select(COMMENT, cols("id", "body"), ir.SelectArgs(order_by=(asc("id"),)))
    articles = ir.Select(
        ARTICLE,
        (*cols("id", "title"), ir.Field("comments", ir.ArrayRelationship(COMMENTS, comments))),
        ir.SelectArgs(order_by=(desc("published_on"), asc("id")), limit=2),
    )
    authors = ir.Select(
        AUTHOR,
        (*cols("id", "name"), ir.Field("articles", ir.ArrayRelationship(ARTICLES, articles))),
        ir.SelectArgs(
            where=ir.ColumnComparison("id", ir.CompareOp.IN, ir.variable("ids", qn("int4"), array=True)),
            order_by=(asc("id"),),
        ),
    )
    return query(author=authors)


async def test_nested_three_levels_with_own_args(conn: asyncpg.Connection) -> None:
    data = await run(conn, q2_operation(), {"ids": [1, 2, 3]}, name="nested_three_levels")
    assert data == {
        "author": [
            {
                "id": 1,
                "name": "Ada",
                "articles": [
                    {"id": 3, "title": "Draft", "comments": []},
                    {"id": 2, "title": "Sketch of the Analytical Engine", "comments": [{"id": 4, "body": "nice"}]},
                ],
            },
            {
                "id": 2,
                "name": "Brian",
                "articles": [
                    {"id": 5, "title": "Awk", "comments": []},
                    {
                        "id": 4,
                        "title": "The C Book",
                        "comments": [{"id": 5, "body": "classic"}, {"id": 6, "body": "thanks"}],
                    },
                ],
            },
            {"id": 3, "name": "Claude", "articles": []},
        ]
    }


async def test_object_relationship_chain(conn: asyncpg.Connection) -> None:
    commenter = ir.Select(AUTHOR, cols("name"))
    article = ir.Select(ARTICLE, (*cols("title"), ir.Field("author", ir.ObjectRelationship(AUTHOR_OF, commenter))))
    comment = ir.Select(
        COMMENT,
        (
            *cols("id"),
            ir.Field("article", ir.ObjectRelationship((("article_id", "id"),), article)),
            ir.Field("by", ir.ObjectRelationship((("commenter_id", "id"),), commenter)),
        ),
        ir.SelectArgs(order_by=(asc("id"),), limit=2),
    )
    data = await run(conn, query(comment=comment), name="object_relationship_chain")
    assert data["comment"] == [
        {"id": 1, "article": {"title": "Notes on the Engine", "author": {"name": "Ada"}}, "by": {"name": "Brian"}},
        {"id": 2, "article": {"title": "Notes on the Engine", "author": {"name": "Ada"}}, "by": {"name": "Claude"}},
    ]


async def test_order_by_nulls_and_directions(conn: asyncpg.Connection) -> None:
    def ids(order: str) -> ir.Select:
        return ir.Select(
            AUTHOR, cols("id"), ir.SelectArgs(order_by=(ir.OrderBy.hasura(ir.ColumnOrder("email"), order),))
        )

    op = query(
        asc=ids("asc"),
        desc=ids("desc"),
        asc_nulls_first=ids("asc_nulls_first"),
        desc_nulls_last=ids("desc_nulls_last"),
    )
    data = await run(conn, op, name="order_by_nulls")
    assert [a["id"] for a in data["asc"]] == [1, 3, 4, 2]
    assert [a["id"] for a in data["desc"]] == [2, 4, 3, 1]
    assert [a["id"] for a in data["asc_nulls_first"]] == [2, 1, 3, 4]
    assert [a["id"] for a in data["desc_nulls_last"]] == [4, 3, 1, 2]


async def test_order_by_object_relationship_and_array_aggregate(conn: asyncpg.Connection) -> None:
    by_author_name = ir.Select(
        ARTICLE,
        cols("id"),
        ir.SelectArgs(
            order_by=(
                ir.OrderBy.hasura(ir.ObjectRelationshipOrder(AUTHOR, AUTHOR_OF, ir.ColumnOrder("name")), "desc"),
                asc("id"),
            )
        ),
    )
    by_article_count = ir.Select(
        AUTHOR,
        cols("id"),
        ir.SelectArgs(
            order_by=(
                ir.OrderBy.hasura(ir.AggregateOrder(ARTICLE, ARTICLES, ir.AggregateFunction.COUNT), "desc"),
                asc("id"),
            )
        ),
    )
    by_max_views = ir.Select(
        AUTHOR,
        cols("id"),
        ir.SelectArgs(
            order_by=(
                ir.OrderBy.hasura(ir.AggregateOrder(ARTICLE, ARTICLES, ir.AggregateFunction.MAX, "views"), "asc"),
            )
        ),
    )
    op = query(by_author_name=by_author_name, by_article_count=by_article_count, by_max_views=by_max_views)
    data = await run(conn, op, name="order_by_relationships")
    assert [a["id"] for a in data["by_author_name"]] == [6, 7, 4, 5, 1, 2, 3]
    assert [a["id"] for a in data["by_article_count"]] == [1, 2, 4, 3]
    assert [a["id"] for a in data["by_max_views"]] == [1, 2, 4, 3]


async def test_limit_offset_and_permission_limit(conn: asyncpg.Connection) -> None:
    args = ir.SelectArgs(
        order_by=(asc("id"),), limit=ir.variable("limit", qn("int4")), offset=ir.variable("offset", qn("int4"))
    )
    op = query(
        page=ir.Select(ARTICLE, cols("id"), args),
        capped=ir.Select(ARTICLE, cols("id"), args, permission=ir.Permission(limit=2)),
        literal=ir.Select(
            ARTICLE,
            cols("id"),
            ir.SelectArgs(order_by=(asc("id"),), limit=5, offset=1),
            permission=ir.Permission(limit=3),
        ),
    )
    data = await run(conn, op, {"limit": 3, "offset": 2}, name="limit_offset")
    assert [a["id"] for a in data["page"]] == [3, 4, 5]
    assert [a["id"] for a in data["capped"]] == [3, 4]
    assert [a["id"] for a in data["literal"]] == [2, 3, 4]


async def test_distinct_on(conn: asyncpg.Connection) -> None:
    """Hasura's order_by/employee_distinct_department_order_by_salary_asc, on articles."""
    op = query(
        article=ir.Select(
            ARTICLE,
            cols("id", "author_id"),
            ir.SelectArgs(
                order_by=(desc("author_id"), ir.OrderBy.hasura(ir.ColumnOrder("views"), "asc")),
                distinct_on=("author_id",),
            ),
        ),
        unordered=ir.Select(ARTICLE, cols("author_id"), ir.SelectArgs(distinct_on=("author_id",), limit=2)),
    )
    data = await run(conn, op, name="distinct_on")
    assert data["article"] == [{"id": 7, "author_id": 4}, {"id": 5, "author_id": 2}, {"id": 1, "author_id": 1}]
    assert data["unordered"] == [{"author_id": 1}, {"author_id": 2}]


async def test_json_path_and_computed_fields(conn: asyncpg.Connection) -> None:
    path = ir.literal(["langs", "0"], qn("text"), array=True)
    fields = (
        col("id"),
        ir.Field("profile", ir.ColumnField("profile", JSONB)),
        ir.Field("city", ir.ColumnField("profile", JSONB, ir.literal(["city"], qn("text"), array=True))),
        ir.Field("lang", ir.ColumnField("profile", JSONB, path)),
        ir.Field(
            "initial",
            ir.ComputedField(qn("author_initial")._replace(schema="public"), (ir.FunctionArg(ir.TableRow()),), TEXT),
        ),
        ir.Field(
            "tagline",
            ir.ComputedField(
                qn("author_tagline")._replace(schema="public"),
                (ir.FunctionArg(ir.TableRow(), "a"), ir.FunctionArg(ir.variable("suffix", qn("text")), "suffix")),
                TEXT,
            ),
        ),
    )
    op = query(author=ir.Select(AUTHOR, fields, ir.SelectArgs(where=eq("id", 1))))
    data = await run(conn, op, {"suffix": "!"}, name="json_path_computed")
    assert data["author"] == [
        {
            "id": 1,
            "profile": {"city": "London", "langs": ["en", "fr"], "age": 36},
            "city": "London",
            "lang": "en",
            "initial": "A",
            "tagline": "Ada!",
        }
    ]


async def test_more_than_fifty_fields_and_long_keys(conn: asyncpg.Connection) -> None:
    """row_to_json has no argument limit; a key past 63 bytes falls back to chunked
    json_build_object calls spliced together."""
    long_key = "k" * 70
    many = tuple(ir.Field(f"f{i}", ir.ColumnField("id", INT4)) for i in range(120))
    op = query(
        many=ir.Select(AUTHOR, many, ir.SelectArgs(where=eq("id", 4))),
        long=ir.Select(
            AUTHOR, (*many, ir.Field(long_key, ir.ColumnField("name", TEXT))), ir.SelectArgs(where=eq("id", 4))
        ),
    )
    data = await run(conn, op, name="many_fields")
    assert list(data["many"][0]) == [f"f{i}" for i in range(120)]
    assert set(data["many"][0].values()) == {4}
    assert list(data["long"][0]) == [*(f"f{i}" for i in range(120)), long_key]
    assert data["long"][0][long_key] == "Dennis"


def test_deterministic_text_and_param_dedup() -> None:
    op = q2_operation()
    first, second = compile_operation(op), compile_operation(q2_operation())
    assert first == second
    dup = query(a=ir.Select(AUTHOR, cols("id"), ir.SelectArgs(ir.And((eq("id", 1), eq("id", 1), eq("id", 2))))))
    compiled = compile_operation(dup)
    assert len(compiled.params) == 2
    assert compiled.text.count("$1") == 2
