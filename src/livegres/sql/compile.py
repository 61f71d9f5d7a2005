"""An operation -> one SQL statement whose single value is the JSON of ``data``, as UTF-8 bytes."""

from __future__ import annotations

from dataclasses import dataclass

from livegres.ir import select as s
from livegres.ir.values import Param
from livegres.sql.fragment import Sql, name, render, sql
from livegres.sql.select import SelectCompiler, row_json


@dataclass(frozen=True, slots=True)
class CompiledQuery:
    """SQL text and its parameter slots (``params[i]`` is ``$i+1``); run it with the values
    from ``livegres.sql.bind.bind`` and read the one ``bytea`` value (UTF-8 JSON) of the one row."""

    text: str
    params: tuple[Param, ...]


def compile_operation(op: s.Operation, *, stringify_numeric_types: bool = False) -> CompiledQuery:
    """Compile a query. The same IR (and options) always give byte-identical text."""
    text, params = render(operation_sql(op, stringify_numeric_types=stringify_numeric_types))
    return CompiledQuery(text, params)


def operation_sql(op: s.Operation, *, stringify_numeric_types: bool = False) -> Sql:
    """The statement as a fragment (for callers that embed it, e.g. multiplexing)."""
    compiler = SelectCompiler(stringify_numeric_types=stringify_numeric_types, redactions=op.redactions)
    pairs: list[tuple[str, Sql]] = []
    for alias, field in op.fields:
        if isinstance(field, s.Typename):
            pairs.append((alias, name(field.name)))
        elif isinstance(field, s.Select):
            pairs.append((alias, compiler.select(field)))
        else:
            pairs.append((alias, compiler.aggregate(field)))
    # bytea: asyncpg hands the bytes over as they are, so the JSON PostgreSQL built is written
    # to the client without being decoded to str and encoded again.
    return sql("SELECT convert_to(", row_json(pairs), "::text, 'UTF8') AS \"data\"")
