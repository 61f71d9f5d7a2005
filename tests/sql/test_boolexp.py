"""Every boolean operator against a real PostgreSQL: which article (or author) ids match."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest

from livegres import ir
from livegres.sql import compile_operation
from tests.sql.support import ARTICLE, ARTICLES, AUTHOR, AUTHOR_OF, COMMENT, COMMENTS, cols, eq, lit, qn, query, run

C = ir.CompareOp


def cmp(column: str, op: ir.CompareOp, value: Any, type_name: str = "int4", *, array: bool = False) -> ir.BoolExp:
    return ir.ColumnComparison(column, op, lit(value, type_name, array=array))


CASES: list[tuple[str, ir.BoolExp, list[int]]] = [
    ("eq", cmp("id", C.EQ, 3), [3]),
    ("neq", cmp("author_id", C.NEQ, 1), [4, 5, 6, 7]),
    ("gt", cmp("views", C.GT, 250, "int8"), [4, 6]),
    ("lt", cmp("score", C.LT, 2, "float8"), [1, 7]),
    ("gte", cmp("published_on", C.GTE, "2020-02-01", "date"), [2, 4, 5]),
    ("lte", cmp("published_on", C.LTE, "2019-12-31", "date"), [6, 7]),
    ("in", cmp("id", C.IN, [1, 5, 99], array=True), [1, 5]),
    ("nin", cmp("id", C.NIN, [1, 2, 3, 4], array=True), [5, 6, 7]),
    ("in_empty", cmp("id", C.IN, [], array=True), []),
    ("nin_empty", cmp("author_id", C.NIN, [], array=True), [1, 2, 3, 4, 5, 6, 7]),
    ("like", cmp("title", C.LIKE, "%Engine", "text"), [1, 2]),
    ("nlike", cmp("title", C.NLIKE, "%e%", "text"), [3, 5, 6, 7]),
    ("ilike", cmp("title", C.ILIKE, "the%", "text"), [4]),
    ("nilike", cmp("title", C.NILIKE, "%E%", "text"), [3, 5, 6, 7]),
    ("similar", cmp("title", C.SIMILAR, "(C|Awk)", "text"), [5, 7]),
    ("nsimilar", cmp("title", C.NSIMILAR, "%(Engine|Book)", "text"), [3, 5, 6, 7]),
    ("regex", cmp("title", C.REGEX, "^[A-D]", "text"), [3, 5, 7]),
    ("nregex", cmp("title", C.NREGEX, "n", "text"), [3, 4, 5, 7]),
    ("iregex", cmp("title", C.IREGEX, "^un", "text"), [6]),
    ("niregex", cmp("title", C.NIREGEX, "[aeiou]", "text"), [7]),
    ("is_null", cmp("body", C.IS_NULL, True, "bool"), [3]),
    ("is_not_null", cmp("published_on", C.IS_NULL, False, "bool"), [1, 2, 4, 5, 6, 7]),
    ("array_eq", cmp("tags", C.EQ, ["engine"], "_text"), [2]),
    ("array_contains", cmp("tags", C.CONTAINS, ["c"], "_text"), [4, 7]),
    ("cast_to_string", ir.ColumnComparison("views", C.LIKE, lit("1%", "text"), qn("text")), [1, 4, 7]),
    ("and", ir.And((cmp("author_id", C.EQ, 1), cmp("is_published", C.EQ, True, "bool"))), [1, 2]),
    ("and_empty", ir.And(()), [1, 2, 3, 4, 5, 6, 7]),
    ("or", ir.Or((cmp("id", C.EQ, 1), cmp("id", C.EQ, 7))), [1, 7]),
    ("or_empty", ir.Or(()), []),
    ("not", ir.Not(cmp("is_published", C.EQ, True, "bool")), [3, 7]),
    ("true", ir.BoolTrue(), [1, 2, 3, 4, 5, 6, 7]),
    (
        "through_object_relationship",
        ir.RelationshipExists(AUTHOR, AUTHOR_OF, cmp("name", C.EQ, "Dennis", "text")),
        [6, 7],
    ),
    (
        "through_array_relationship",
        ir.RelationshipExists(COMMENT, COMMENTS, cmp("body", C.EQ, "wow", "text")),
        [6],
    ),
    ("exists", ir.Exists(COMMENT, cmp("commenter_id", C.EQ, 3)), [1, 2, 3, 4, 5, 6, 7]),
    ("exists_none", ir.Exists(COMMENT, cmp("commenter_id", C.EQ, 42)), []),
    ("ceq", ir.ColumnToColumn("id", ir.ColumnOp.CEQ, ir.ColumnRef("author_id")), [1]),
    ("cgt", ir.ColumnToColumn("author_id", ir.ColumnOp.CGT, ir.ColumnRef("id")), []),
    ("clte", ir.ColumnToColumn("id", ir.ColumnOp.CLTE, ir.ColumnRef("author_id")), [1]),
    (
        "ceq_root_in_relationship",
        # articles with a comment whose id equals the article's own id
        ir.RelationshipExists(
            COMMENT, COMMENTS, ir.ColumnToColumn("id", ir.ColumnOp.CEQ, ir.ColumnRef("id", root=True))
        ),
        [1],
    ),
    (
        "aggregate_count",
        ir.AggregatePredicate(COMMENT, COMMENTS, ir.AggregateFunction.COUNT, ((C.GTE, lit(2, "int8")),)),
        [1, 4, 6],
    ),
    (
        "aggregate_count_filtered_distinct",
        ir.AggregatePredicate(
            COMMENT,
            COMMENTS,
            ir.AggregateFunction.COUNT,
            ((C.EQ, lit(1, "int8")),),
            arguments=("commenter_id",),
            distinct=True,
            filter=cmp("commenter_id", C.IN, [1, 2], array=True),
        ),
        [1, 2, 4],
    ),
    (
        "aggregate_zero",
        ir.AggregatePredicate(COMMENT, COMMENTS, ir.AggregateFunction.COUNT, ((C.EQ, lit(0, "int8")),)),
        [3, 5, 7],
    ),
]


@pytest.mark.parametrize(("case", "where", "expected"), CASES, ids=[c[0] for c in CASES])
async def test_operator(conn: asyncpg.Connection, case: str, where: ir.BoolExp, expected: list[int]) -> None:
    op = query(
        article=ir.Select(ARTICLE, cols("id"), ir.SelectArgs(where=where, order_by=(ir.OrderBy(ir.ColumnOrder("id")),)))
    )
    data = await run(conn, op, name=f"where_{case}")
    assert [a["id"] for a in data["article"]] == expected


JSONB_CASES: list[tuple[str, ir.BoolExp, list[int]]] = [
    ("contains", cmp("profile", C.CONTAINS, {"langs": ["fr"]}, "jsonb"), [1]),
    ("contained_in", cmp("profile", C.CONTAINED_IN, {"city": "Murray Hill", "x": 1}, "jsonb"), [4]),
    ("has_key", cmp("profile", C.HAS_KEY, "age", "text"), [1]),
    ("has_keys_any", cmp("profile", C.HAS_KEYS_ANY, ["age", "langs"], "text", array=True), [1, 2]),
    ("has_keys_all", cmp("profile", C.HAS_KEYS_ALL, ["city", "langs"], "text", array=True), [1, 2]),
    ("cast_jsonb_to_string", ir.ColumnComparison("profile", C.ILIKE, lit("%toronto%", "text"), qn("text")), [2]),
    ("numeric_gt", cmp("rating", C.GT, "4.25", "numeric"), [1, 4]),
    ("bigint_eq_beyond_double", cmp("followers", C.EQ, "9007199254740993", "int8"), [1]),
    ("timestamptz_lt", cmp("created_at", C.LT, "2015-10-17T14:42:44+00:00", "timestamptz"), [1, 4]),
]


@pytest.mark.parametrize(("case", "where", "expected"), JSONB_CASES, ids=[c[0] for c in JSONB_CASES])
async def test_author_operator(conn: asyncpg.Connection, case: str, where: ir.BoolExp, expected: list[int]) -> None:
    op = query(
        author=ir.Select(AUTHOR, cols("id"), ir.SelectArgs(where=where, order_by=(ir.OrderBy(ir.ColumnOrder("id")),)))
    )
    data = await run(conn, op, name=f"where_author_{case}")
    assert [a["id"] for a in data["author"]] == expected


async def test_variables_and_session_values(conn: asyncpg.Connection) -> None:
    where = ir.And(
        (
            ir.ColumnComparison("author_id", C.EQ, ir.session("X-Hasura-User-Id", qn("int4"))),
            ir.ColumnComparison("id", C.IN, ir.session("x-hasura-allowed", qn("int4"), array=True)),
            ir.ColumnComparison("title", C.NEQ, ir.variable("filter", qn("text"), "title", "not")),
            ir.ColumnComparison("body", C.IS_NULL, ir.variable("null", qn("bool"))),
        )
    )
    op = query(
        article=ir.Select(ARTICLE, cols("id"), ir.SelectArgs(where=where, order_by=(ir.OrderBy(ir.ColumnOrder("id")),)))
    )
    variables = {"filter": {"title": {"not": "Draft"}}, "null": False}
    data = await run(
        conn, op, variables, {"x-hasura-user-id": "1", "X-Hasura-Allowed": "{1,3,4}"}, name="where_session"
    )
    assert [a["id"] for a in data["article"]] == [1]


async def test_permission_filter_is_anded_with_where(conn: asyncpg.Connection) -> None:
    perm = ir.Permission(filter=ir.ColumnComparison("author_id", C.EQ, ir.session("x-hasura-user-id", qn("int4"))))
    op = query(
        article=ir.Select(
            ARTICLE,
            cols("id"),
            ir.SelectArgs(where=eq("is_published", True, "bool"), order_by=(ir.OrderBy(ir.ColumnOrder("id")),)),
            permission=perm,
        ),
        author=ir.Select(
            AUTHOR,
            (
                *cols("id"),
                ir.Field("articles", ir.ArrayRelationship(ARTICLES, ir.Select(ARTICLE, cols("id"), permission=perm))),
            ),
            ir.SelectArgs(where=eq("id", 2)),
        ),
    )
    data = await run(conn, op, session={"x-hasura-user-id": "2"}, name="permission_filter")
    assert data == {"article": [{"id": 4}, {"id": 5}], "author": [{"id": 2, "articles": [{"id": 4}, {"id": 5}]}]}


def test_where_true_adds_no_condition() -> None:
    compiled = compile_operation(query(a=ir.Select(AUTHOR, cols("id"), ir.SelectArgs(where=ir.BoolTrue()))))
    assert " WHERE " not in compiled.text
