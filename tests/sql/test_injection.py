"""Hostile values and names: values only ever travel as parameters and come back verbatim;
identifiers are quoted; nothing a client sends changes the SQL text."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import asyncpg
import pytest

from livegres import ir
from livegres.catalog.model import PgType, QualifiedName, TypeKind
from livegres.sql import bind, compile_operation
from tests.sql.support import INT4, TEXT, cols, lit, pg, qn, query, run

EVIL = [
    "'",
    "''; DROP TABLE note; --",
    "\\'; SELECT 1; --",
    "$$; DROP TABLE note; $$",
    "$1",
    "$tag$ x $tag$",
    "/* comment */ OR 1=1",
    "-- trailing comment",
    'quote " double',
    "back\\slash \\\\ \\n \\x00",
    "{a,b}",
    '{"a","b\\"}',
    "NULL",
    "unicode ✓ 你好 \u202e émoji 🎉",
    "line\nbreak\ttab\r",
    "%_[]^*+?.()",
]

NOTE = QualifiedName("public", "note")
TEXT_ARRAY = PgType(0, qn("_text"), TypeKind.ARRAY, element=pg("text"))


@pytest.fixture(scope="module")
async def notes(conn: asyncpg.Connection) -> AsyncIterator[asyncpg.Connection]:
    await conn.execute("CREATE TABLE note (id int PRIMARY KEY, body text, tags text[], doc jsonb)")
    await conn.executemany(
        "INSERT INTO note VALUES ($1, $2, $3, $4)",
        [(i, s, [s, "x"], json.dumps({"k": s})) for i, s in enumerate(EVIL)],
    )
    await conn.execute('CREATE TABLE "we""ird; table" ("co""l -- x" int, "$1" text)')
    await conn.execute("""INSERT INTO "we""ird; table" VALUES (1, 'one')""")
    yield conn


def by(where: ir.BoolExp) -> ir.Operation:
    fields = (
        *cols("id"),
        ir.Field("body", ir.ColumnField("body", TEXT)),
        ir.Field("tags", ir.ColumnField("tags", TEXT_ARRAY)),
    )
    return query(note=ir.Select(NOTE, fields, ir.SelectArgs(where=where)))


@pytest.mark.parametrize("evil", EVIL)
async def test_values_come_back_verbatim(notes: asyncpg.Connection, evil: str) -> None:
    i = EVIL.index(evil)
    cases = [
        by(ir.ColumnComparison("body", ir.CompareOp.EQ, lit(evil, "text"))),
        by(ir.ColumnComparison("body", ir.CompareOp.EQ, ir.variable("v", qn("text")))),
        by(ir.ColumnComparison("body", ir.CompareOp.EQ, ir.session("x-hasura-v", qn("text")))),
        by(ir.ColumnComparison("body", ir.CompareOp.IN, lit([evil, "zzz"], "text", array=True))),
        by(ir.ColumnComparison("tags", ir.CompareOp.CONTAINS, lit([evil], "_text"))),
        by(ir.ColumnComparison("tags", ir.CompareOp.EQ, ir.variable("tags", qn("_text")))),
        by(ir.ColumnComparison("doc", ir.CompareOp.CONTAINS, lit({"k": evil}, "jsonb"))),
        by(ir.ColumnComparison("doc", ir.CompareOp.HAS_KEY, lit("k", "text"))),
    ]
    for n, op in enumerate(cases):
        compiled = compile_operation(op)
        assert evil not in compiled.text or evil in {"$1", "'"}
        data = await run(notes, op, {"v": evil, "tags": [evil, "x"]}, {"x-hasura-v": evil})
        rows = [r for r in data["note"] if r["id"] == i]
        assert rows == [{"id": i, "body": evil, "tags": [evil, "x"]}], (n, evil)


async def test_text_does_not_depend_on_values() -> None:
    texts = {compile_operation(by(ir.ColumnComparison("body", ir.CompareOp.EQ, lit(e, "text")))).text for e in EVIL}
    assert len(texts) == 1


async def test_json_path_and_output_of_hostile_values(notes: asyncpg.Connection) -> None:
    fields = (
        ir.Field("k", ir.ColumnField("doc", pg("jsonb"), ir.literal(["k"], qn("text"), array=True))),
        ir.Field("odd", ir.ColumnField("doc", pg("jsonb"), ir.variable("path", qn("text"), array=True))),
    )
    op = query(note=ir.Select(NOTE, fields, ir.SelectArgs(order_by=(ir.OrderBy(ir.ColumnOrder("id")),))))
    data = await run(notes, op, {"path": ["'; --", "$$"]})
    assert [r["k"] for r in data["note"]] == EVIL
    assert all(r["odd"] is None for r in data["note"])


async def test_hostile_identifiers_are_quoted(notes: asyncpg.Connection) -> None:
    table = QualifiedName("public", 'we"ird; table')
    fields = (ir.Field("a", ir.ColumnField('co"l -- x', INT4)), ir.Field("b", ir.ColumnField("$1", TEXT)))
    op = query(
        t=ir.Select(table, fields, ir.SelectArgs(where=ir.ColumnComparison('co"l -- x', ir.CompareOp.EQ, lit(1))))
    )
    data = await run(notes, op, name="hostile_identifiers")
    assert data == {"t": [{"a": 1, "b": "one"}]}


def test_output_keys_must_be_graphql_names() -> None:
    for bad in ["a'b", "a b", "1a", "", "é"]:
        with pytest.raises(ValueError):
            compile_operation(query(**{bad: ir.Typename("x")}))
        with pytest.raises(ValueError):
            compile_operation(query(ok=ir.Typename(bad)))


def test_bind_never_touches_text() -> None:
    compiled = compile_operation(by(ir.ColumnComparison("body", ir.CompareOp.EQ, ir.variable("v", qn("text")))))
    for evil in EVIL:
        assert bind(compiled, {"v": evil}, {}) == [evil]
