"""Event trigger filters: a boolean expression in Hasura's ``where`` syntax, evaluated in the
database trigger, on the old and the new row.

    {"new": {"status": {"_eq": "paid"}}, "old": {"status": {"_neq": "paid"}}}

Keys: ``_and`` / ``_or`` (lists), ``_not``, ``old`` and ``new`` (a condition on that row), and
column names (a condition on "the row": the new row for inserts and updates, the old row for
deletes). Column operators: ``_eq _neq _gt _lt _gte _lte _in _nin _is_null _like _nlike
_ilike _nilike``. A condition on a row that does not exist (``old`` on an insert) is false; a
comparison with NULL is false. The expression becomes SQL text inside the trigger function, so
values become string literals cast to the column's type (a trigger function takes no
parameters); identifiers and literals go through one quoting function each.
"""

from __future__ import annotations

from typing import Any

import orjson

from livegres import catalog as cat
from livegres.sql.fragment import quote_literal


class FilterError(ValueError):
    """A filter that cannot be compiled; the message is for the user."""


_COMPARE = {"_eq": "=", "_neq": "<>", "_gt": ">", "_lt": "<", "_gte": ">=", "_lte": "<="}
_LIKE = {"_like": "LIKE", "_nlike": "NOT LIKE", "_ilike": "ILIKE", "_nilike": "NOT ILIKE"}


def _ident(name: str) -> str:
    if "\x00" in name:
        raise FilterError("a name contains NUL")
    return '"' + name.replace('"', '""') + '"'


def _literal(value: Any, column: cat.Column) -> str:
    if value is None:
        raise FilterError(f'null is not a value for column "{column.name}"; use _is_null')
    if isinstance(value, bool):
        raw = "true" if value else "false"
    elif isinstance(value, int | float):
        raw = repr(value)
    elif isinstance(value, str):
        raw = value
    else:
        raw = orjson.dumps(value).decode()
    if "\x00" in raw:
        raise FilterError("a value contains NUL")
    return "CAST(" + quote_literal(raw) + " AS " + column.type_text + ")"


def compile_filter(expression: Any, table: cat.Table, op: str) -> str:
    """SQL for ``expression`` in the trigger function of ``op`` (``INSERT``, ``UPDATE``, ``DELETE``)."""
    row = "OLD" if op == "DELETE" else "NEW"
    return _bool(expression, table, op, row, top=True, path="filter")


def _bool(expression: Any, table: cat.Table, op: str, row: str | None, *, top: bool, path: str) -> str:
    if not isinstance(expression, dict):
        raise FilterError(f"{path}: expected an object")
    parts: list[str] = []
    for key, value in expression.items():
        where = f"{path}.{key}"
        if key in ("_and", "_or"):
            if not isinstance(value, list):
                raise FilterError(f"{where}: expected an array")
            items = [_bool(item, table, op, row, top=top, path=f"{where}[{i}]") for i, item in enumerate(value)]
            if not items:
                parts.append("true" if key == "_and" else "false")
            else:
                parts.append("(" + (" AND " if key == "_and" else " OR ").join(items) + ")")
        elif key == "_not":
            parts.append("(NOT " + _bool(value, table, op, row, top=top, path=where) + ")")
        elif top and key in ("old", "new"):
            exists = not (key == "old" and op == "INSERT") and not (key == "new" and op == "DELETE")
            inner = _bool(value, table, op, key.upper(), top=False, path=where)
            parts.append(inner if exists else "false")
        else:
            if row is None:
                raise FilterError(f"{where}: unknown key")
            column = table.columns.get(key)
            if column is None:
                raise FilterError(f'{where}: column "{key}" does not exist')
            parts.append(_column(value, column, row, where))
    return "(" + " AND ".join(parts) + ")" if parts else "true"


def _column(condition: Any, column: cat.Column, row: str, path: str) -> str:
    if not isinstance(condition, dict):
        raise FilterError(f"{path}: expected an object of operators")
    ref = f"{row}.{_ident(column.name)}"
    parts: list[str] = []
    for operator, value in condition.items():
        if operator in _COMPARE:
            parts.append(f"coalesce({ref} {_COMPARE[operator]} {_literal(value, column)}, false)")
        elif operator in _LIKE:
            if not isinstance(value, str):
                raise FilterError(f"{path}.{operator}: expected a string")
            if "\x00" in value:
                raise FilterError(f"{path}.{operator}: the pattern contains NUL")
            pattern = quote_literal(value)
            parts.append(f"coalesce({ref}::text {_LIKE[operator]} {pattern}, false)")
        elif operator in ("_in", "_nin"):
            if not isinstance(value, list):
                raise FilterError(f"{path}.{operator}: expected an array")
            if not value:
                parts.append("false" if operator == "_in" else "true")
                continue
            listed = ", ".join(_literal(v, column) for v in value)
            negate = "NOT " if operator == "_nin" else ""
            parts.append(f"coalesce({ref} {negate}IN ({listed}), false)")
        elif operator == "_is_null":
            if not isinstance(value, bool):
                raise FilterError(f"{path}._is_null: expected a boolean")
            parts.append(f"({ref} IS {'' if value else 'NOT '}NULL)")
        else:
            raise FilterError(f'{path}: unknown operator "{operator}"')
    return "(" + " AND ".join(parts) + ")" if parts else "true"
