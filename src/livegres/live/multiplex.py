"""One statement for many cohorts: a compiled query rewritten to read its parameters from a
row of cohort values.

The compiled query of an operation (``livegres.sql.compile``) reads every value from a
``$n`` parameter, cast from text in the SQL (``$3::text::"pg_catalog"."int4"``). For a
poller, each ``$n`` becomes ``(_subs.vars ->> n-1)``: the n-th text of a JSON array holding
one cohort's bound values, and the query runs once per cohort as a ``LEFT JOIN LATERAL``
over ``unnest`` of the cohort ids and value arrays::

    SELECT _subs.cohort_id, _live."data"
    FROM unnest($1::int8[], $2::json[]) AS _subs(cohort_id, vars)
    LEFT JOIN LATERAL (<the compiled query>) AS _live ON true

The rewrite is done on the SQL text: a ``$`` followed by digits outside quoted identifiers
and string literals is a parameter (the compiler writes values nowhere else).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

from livegres.ir.values import Param, SessionVariable
from livegres.sql import CompiledQuery
from livegres.sql.bind import array_literal

CohortValues = tuple[Any, ...]
"""The bound values of one cohort, hashable (lists as tuples): equal tuples share a cohort."""


def multiplexed_sql(compiled: CompiledQuery) -> str:
    inner = _substitute(compiled)
    return (
        'SELECT _subs.cohort_id, _live."data" '
        "FROM unnest($1::int8[], $2::json[]) AS _subs(cohort_id, vars) "
        f"LEFT JOIN LATERAL ({inner}) AS _live ON true"
    )


def _substitute(compiled: CompiledQuery) -> str:
    text = compiled.text
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch in ('"', "'"):
            end = i + 1
            while end < n:
                if text[end] == ch:
                    if end + 1 < n and text[end + 1] == ch:
                        end += 2
                        continue
                    break
                end += 1
            out.append(text[i : end + 1])
            i = end + 1
            continue
        if ch == "$" and i + 1 < n and text[i + 1].isdigit():
            end = i + 1
            while end < n and text[end].isdigit():
                end += 1
            slot = int(text[i + 1 : end]) - 1
            param = compiled.params[slot]
            expr = f"(_subs.vars->>{slot})"
            if param.array and not _session_array(param):
                expr = f"{expr}::text[]"
            out.append(expr)
            i = end
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def _session_array(param: Param) -> bool:
    return isinstance(param.source, SessionVariable)


def cohort_values(args: Sequence[Any]) -> CohortValues:
    """The hashable form of a cohort's bound arguments (``livegres.sql.bind.bind``)."""
    return tuple(tuple(a) if isinstance(a, list) else a for a in args)


def vars_json(values: CohortValues) -> str:
    """The JSON array of texts the multiplexed statement reads: array arguments become
    PostgreSQL array literals, cast back with ``::text[]``."""
    return orjson.dumps([array_literal(v) if isinstance(v, tuple) else v for v in values]).decode()
