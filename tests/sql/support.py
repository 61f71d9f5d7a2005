"""Helpers for the SQL tests: hand-built IR, golden SQL files, running a compiled query."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import asyncpg

from livegres import ir
from livegres.catalog.model import PgType, QualifiedName, TypeKind
from livegres.sql import CompiledQuery, bind, compile_operation

GOLDEN = Path(__file__).parent / "golden"

AUTHOR = QualifiedName("public", "author")
ARTICLE = QualifiedName("public", "article")
COMMENT = QualifiedName("public", "comment")

ARTICLES = (("id", "author_id"),)
AUTHOR_OF = (("author_id", "id"),)
COMMENTS = (("id", "article_id"),)


def pg(name: str, schema: str = "pg_catalog", kind: TypeKind = TypeKind.BASE) -> PgType:
    return PgType(0, QualifiedName(schema, name), kind)


def qn(name: str) -> QualifiedName:
    return QualifiedName("pg_catalog", name)


INT4 = pg("int4")
INT8 = pg("int8")
TEXT = pg("text")
JSONB = pg("jsonb")


def col(name: str, pg_type: PgType = INT4) -> ir.Field:
    return ir.Field(name, ir.ColumnField(name, pg_type))


def cols(*names: str) -> tuple[ir.Field, ...]:
    return tuple(col(n, TEXT if n in {"name", "title", "body", "email"} else INT4) for n in names)


def lit(value: Any, type_name: str = "int4", *, array: bool = False) -> ir.Param:
    return ir.literal(value, qn(type_name), array=array)


def eq(column: str, value: Any, type_name: str = "int4") -> ir.ColumnComparison:
    return ir.ColumnComparison(column, ir.CompareOp.EQ, lit(value, type_name))


def asc(column: str) -> ir.OrderBy:
    return ir.OrderBy.hasura(ir.ColumnOrder(column), "asc")


def desc(column: str) -> ir.OrderBy:
    return ir.OrderBy.hasura(ir.ColumnOrder(column), "desc")


def query(**fields: ir.RootField) -> ir.Operation:
    return ir.Operation(tuple(fields.items()))


def describe(p: ir.Param) -> str:
    """``variable ids -> pg_catalog.int4[]``: one slot, for golden files."""
    src = p.source
    if isinstance(src, ir.Literal):
        what = f"literal {src.value!r}"
    elif isinstance(src, ir.Variable):
        what = "variable " + ".".join([src.name, *map(str, src.path)])
    elif isinstance(src, ir.SessionVariable):
        what = f"session {src.name}"
    else:
        what = repr(src)
    return f"{what} -> {p.pg_type}{'[]' if p.array else ''}"


def golden(name: str, compiled: CompiledQuery) -> None:
    """Compare with ``golden/<name>.sql``; write it instead when ``UPDATE_GOLDEN=1``."""
    lines = [compiled.text, ""]
    lines += [f"-- ${i}: {describe(p)}" for i, p in enumerate(compiled.params, 1)]
    text = "\n".join(lines) + "\n"
    path = GOLDEN / f"{name}.sql"
    if os.environ.get("UPDATE_GOLDEN") == "1" or not path.exists():
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(text)
        return
    assert path.read_text() == text, f"compiled SQL differs from {path} (UPDATE_GOLDEN=1 rewrites it)"


async def run(
    conn: asyncpg.Connection,
    op: ir.Operation,
    variables: dict[str, Any] | None = None,
    session: dict[str, str] | None = None,
    *,
    stringify: bool = False,
    name: str | None = None,
) -> Any:
    """Compile, (optionally) check the golden file, bind, execute; the decoded ``data``."""
    compiled = compile_operation(op, stringify_numeric_types=stringify)
    assert compile_operation(op, stringify_numeric_types=stringify).text == compiled.text
    if name is not None:
        golden(name, compiled)
    args = bind(compiled, variables, session or {})
    data = await conn.fetchval(compiled.text, *args)
    assert isinstance(data, bytes)  # the JSON as UTF-8 bytes, handed over undecoded
    return json.loads(data)
