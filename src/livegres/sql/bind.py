"""Parameter slots -> the argument list of the compiled statement.

Every value is sent as ``text`` (or ``text[]`` for array slots) and cast in the SQL
(``$1::text::"pg_catalog"."int4"``). The statement's parameter types are therefore fixed
by its text alone: one prepared statement serves every set of values, PostgreSQL's input
functions parse the values exactly as they parse literals (enums, domains, ranges,
timestamps, custom types), and no per-type Python encoder is needed.

Text forms: strings as they are, booleans ``true``/``false``, numbers in their JSON
spelling, json/jsonb values as JSON text, lists for array types as PostgreSQL array
literals; JSON null is SQL NULL.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from livegres.ir.values import ListOf, Literal, Param, SessionObject, SessionVariable, Source, Variable
from livegres.sql.compile import CompiledQuery

_JSON_TYPES = frozenset({"json", "jsonb"})


class BindError(LookupError):
    """A value the statement needs is missing."""


class MissingVariable(BindError):
    def __init__(self, name: str) -> None:
        super().__init__(f"missing variable: {name}")
        self.name = name


class MissingSessionVariable(BindError):
    """Session variables the statement needs and the session lacks (Hasura's ``not-found``)."""

    def __init__(self, *names: str) -> None:
        self.names = names
        self.name = names[0] if names else ""
        super().__init__(self.message)

    @property
    def message(self) -> str:
        return "missing session variables: " + ", ".join(f'"{n}"' for n in self.names)


def bind(compiled: CompiledQuery, variables: Mapping[str, Any] | None, session: Mapping[str, str]) -> list[Any]:
    """The asyncpg arguments for ``compiled``. ``session`` keys are matched case-insensitively."""
    lowered = {k.lower(): v for k, v in session.items()}
    try:
        return [bind_param(p, variables or {}, lowered) for p in compiled.params]
    except MissingSessionVariable:
        missing: list[str] = []
        for p in compiled.params:
            for name in session_names(p.source):
                if name not in lowered and name not in missing:
                    missing.append(name)
        raise MissingSessionVariable(*missing) from None


def session_names(source: Source) -> list[str]:
    """The session variables (lower-cased) a parameter's value comes from."""
    if isinstance(source, SessionVariable):
        return [source.name.lower()]
    if isinstance(source, ListOf):
        return [n for item in source.items for n in session_names(item)]
    return []


def bind_param(p: Param, variables: Mapping[str, Any], session: Mapping[str, str]) -> Any:
    is_json = p.pg_type.schema == "pg_catalog" and p.pg_type.name in _JSON_TYPES
    if isinstance(p.source, SessionVariable):
        return _session_value(p.source.name, session)
    if isinstance(p.source, SessionObject):
        return json.dumps(dict(session), ensure_ascii=False, separators=(",", ":"))
    value = _value(p.source, variables, session)
    if p.array:
        if value is None:
            return None
        items = value if isinstance(value, list) else [value]
        return [_text(item, is_json) for item in items]
    return _text(value, is_json)


def _value(source: Source, variables: Mapping[str, Any], session: Mapping[str, str]) -> Any:
    if isinstance(source, Literal):
        return source.value
    if isinstance(source, Variable):
        if source.name not in variables:
            raise MissingVariable(source.name)
        value = variables[source.name]
        for step in source.path:
            if value is None:
                return None
            value = value[step]
        return value
    if isinstance(source, SessionVariable):
        return _session_value(source.name, session)
    if isinstance(source, ListOf):
        return [_value(item, variables, session) for item in source.items]
    raise TypeError(f"not a value source: {source!r}")


def _session_value(name: str, session: Mapping[str, str]) -> str:
    try:
        return session[name.lower()]
    except KeyError:
        raise MissingSessionVariable(name.lower()) from None


def _text(value: Any, is_json: bool) -> str | None:
    """The PostgreSQL text form of one JSON value."""
    if value is None:
        return None
    if is_json:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, Sequence):
        return array_literal(value)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def printed_array(values: Sequence[Any]) -> str:
    """An array as PostgreSQL prints it (``{1,2,"a b",NULL}``: elements quoted only when they
    need it), for answers shown to people (``run_sql`` results, explain); statements get
    ``array_literal``."""
    return "{" + ",".join(_printed_item(v) for v in values) + "}"


def _printed_item(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, list | tuple):
        return printed_array(value)
    text = str(value)
    if text == "" or text.upper() == "NULL" or any(c in text for c in ',{}"\\ \t\n'):
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return text


def array_literal(items: Sequence[Any]) -> str:
    """``{"a","b\\"c",NULL,{"1","2"}}``: every element quoted, so no element text can
    break out of its slot."""
    out: list[str] = []
    for item in items:
        if item is None:
            out.append("NULL")
        elif isinstance(item, list | tuple):
            out.append(array_literal(item))
        else:
            text = _text(item, isinstance(item, dict))
            assert text is not None
            out.append('"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"')
    return "{" + ",".join(out) + "}"
