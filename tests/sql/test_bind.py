"""Binding slots to values: text forms, arrays, variables, session values, errors."""

from __future__ import annotations

import asyncpg
import pytest

from livegres import ir
from livegres.sql import CompiledQuery, MissingSessionVariable, MissingVariable, bind
from tests.sql.support import AUTHOR, TEXT, cols, qn, query, run


def one(p: ir.Param, variables: dict[str, object] | None = None, session: dict[str, str] | None = None) -> object:
    return bind(CompiledQuery("", (p,)), variables, session or {})[0]


def test_text_forms() -> None:
    assert one(ir.literal(5, qn("int4"))) == "5"
    assert one(ir.literal(1.5, qn("float8"))) == "1.5"
    assert one(ir.literal(True, qn("bool"))) == "true"
    assert one(ir.literal(None, qn("int4"))) is None
    assert one(ir.literal("x", qn("text"))) == "x"
    assert one(ir.literal({"a": [1, "é"]}, qn("jsonb"))) == '{"a":[1,"é"]}'
    assert one(ir.literal("plain", qn("json"))) == '"plain"'
    assert one(ir.literal(["a", None, 'b"\\'], qn("_text"))) == '{"a",NULL,"b\\"\\\\"}'
    assert one(ir.literal([[1, 2], [3, 4]], qn("_int4"))) == '{{"1","2"},{"3","4"}}'


def test_arrays() -> None:
    assert one(ir.literal([1, None, 3], qn("int4"), array=True)) == ["1", None, "3"]
    assert one(ir.literal(7, qn("int4"), array=True)) == ["7"]
    assert one(ir.literal([{"a": 1}], qn("jsonb"), array=True)) == ['{"a":1}']
    assert one(ir.session("X-Hasura-Ids", qn("int4"), array=True), session={"x-hasura-ids": "{1,2}"}) == "{1,2}"
    items = ir.ListOf((ir.Variable("a"), ir.Literal(2), ir.SessionVariable("x-hasura-n")))
    assert one(ir.Param(items, qn("int4"), True), {"a": 1}, {"X-Hasura-N": "3"}) == ["1", "2", "3"]


def test_variables_and_paths() -> None:
    p = ir.variable("where", qn("text"), "name", "_in", 1)
    assert one(p, {"where": {"name": {"_in": ["a", "b"]}}}) == "b"
    assert one(ir.variable("w", qn("text"), "x"), {"w": None}) is None
    with pytest.raises(MissingVariable):
        one(ir.variable("nope", qn("text")), {})


def test_session() -> None:
    assert one(ir.session("X-Hasura-User-Id", qn("int4")), session={"x-hasura-user-id": "7"}) == "7"
    with pytest.raises(MissingSessionVariable) as err:
        one(ir.session("x-hasura-org", qn("int4")))
    assert str(err.value) == 'missing session variables: "x-hasura-org"'
    whole = one(ir.Param(ir.SessionObject(), qn("json")), session={"x-hasura-role": "user"})
    assert whole == '{"x-hasura-role":"user"}'


def test_equal_slots_share_a_parameter() -> None:
    a = ir.literal({"k": [1]}, qn("jsonb"))
    b = ir.literal({"k": [1]}, qn("jsonb"))
    assert a.key() == b.key()
    assert ir.literal(1, qn("int4")).key() != ir.literal(True, qn("int4")).key()
    assert ir.literal(1, qn("int4")).key() != ir.literal(1, qn("int8")).key()


async def test_session_object_reaches_sql(conn: asyncpg.Connection) -> None:
    await conn.execute(
        "CREATE FUNCTION author_role(a author, hasura_session json) RETURNS text LANGUAGE sql STABLE "
        "AS $$ SELECT hasura_session ->> 'x-hasura-role' $$"
    )
    fn = ir.ComputedField(
        qn("author_role")._replace(schema="public"),
        (ir.FunctionArg(ir.TableRow()), ir.FunctionArg(ir.Param(ir.SessionObject(), qn("json")))),
        TEXT,
    )
    op = query(
        a=ir.Select(
            AUTHOR,
            (*cols("id"), ir.Field("role", fn)),
            ir.SelectArgs(limit=1, order_by=(ir.OrderBy(ir.ColumnOrder("id")),)),
        )
    )
    data = await run(conn, op, session={"X-Hasura-Role": "editor"})
    assert data == {"a": [{"id": 1, "role": "editor"}]}
