"""SQL as a tree of fragments, rendered once to text plus an ordered list of parameters.

Three kinds of leaves, and no other way in:

- raw text, only through ``raw()`` (our own keywords and punctuation, never input);
- identifiers, only through ``ident()``: always double-quoted, ``"`` doubled;
- values, only through ``param()``: a ``$n`` placeholder plus a cast; equal slots share
  one ``$n`` (numbered in order of first appearance, so the text is deterministic).

Key strings of ``json_build_object`` and ``__typename`` values are GraphQL names; ``name()``
writes them as string literals after checking they are names.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from livegres.catalog.model import QualifiedName
from livegres.ir.values import Param, SessionVariable

_GRAPHQL_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]*")


@dataclass(frozen=True, slots=True)
class Sql:
    """An SQL fragment: raw text (``str``), parameter slots and nested fragments, in order."""

    parts: tuple[str | Param | Sql, ...]

    def __add__(self, other: Sql) -> Sql:
        return Sql((self, other))


EMPTY = Sql(())


def raw(text: str) -> Sql:
    """Trusted SQL text written by this package."""
    return Sql((text,))


def sql(*parts: Sql | str) -> Sql:
    """Concatenate fragments; ``str`` arguments are raw text."""
    return Sql(tuple(parts))


def join(items: Iterable[Sql], sep: str) -> Sql:
    out: list[str | Param | Sql] = []
    for i, item in enumerate(items):
        if i:
            out.append(sep)
        out.append(item)
    return Sql(tuple(out))


def quote_literal(value: str) -> str:
    """A string literal read the same whatever ``standard_conforming_strings`` is (as
    PostgreSQL's ``quote_literal``: ``E'...'`` with backslashes doubled when there are any).
    Only for SQL that cannot take parameters (trigger function bodies, DDL)."""
    if "\x00" in value:
        raise ValueError("string contains NUL")
    quoted = value.replace("'", "''")
    if "\\" in value:
        return "E'" + quoted.replace("\\", "\\\\") + "'"
    return "'" + quoted + "'"


def quote_ident(name: str) -> str:
    """The one identifier quoting function."""
    if "\x00" in name:
        raise ValueError("identifier contains NUL")
    return '"' + name.replace('"', '""') + '"'


def ident(*names: str) -> Sql:
    """A possibly qualified identifier: ``ident("t", "c")`` is ``"t"."c"``."""
    return Sql((".".join(quote_ident(n) for n in names),))


def qualified(name: QualifiedName) -> Sql:
    return ident(name.schema, name.name)


def type_name(name: QualifiedName) -> str:
    """A type as a cast target."""
    return f"{quote_ident(name.schema)}.{quote_ident(name.name)}"


def check_name(value: str) -> str:
    """``value`` if it is a GraphQL name, else ``ValueError``."""
    if not _GRAPHQL_NAME.fullmatch(value):
        raise ValueError(f"not a GraphQL name: {value!r}")
    return value


def name(value: str) -> Sql:
    """A GraphQL name (an output key, a type name) as a string literal."""
    return Sql((f"'{check_name(value)}'",))


def param(p: Param) -> Sql:
    """A value slot with its cast.

    Every value travels as ``text`` (or ``text[]``) and is cast in SQL, so the statement's
    parameter types never depend on the values: one prepared statement serves every call.
    """
    if p.array:
        text = "::text::" if isinstance(p.source, SessionVariable) else "::text[]::"
        return Sql((p, f"{text}{type_name(p.pg_type)}[]"))
    return Sql((p, f"::text::{type_name(p.pg_type)}"))


def render(fragment: Sql) -> tuple[str, tuple[Param, ...]]:
    """The SQL text, and the parameter slots in ``$n`` order."""
    out: list[str] = []
    slots: list[Param] = []
    index: dict[object, int] = {}
    stack: list[str | Param | Sql] = [fragment]
    while stack:
        part = stack.pop()
        if isinstance(part, str):
            out.append(part)
        elif isinstance(part, Sql):
            stack.extend(reversed(part.parts))
        else:
            key = part.key()
            n = index.get(key)
            if n is None:
                slots.append(part)
                n = index[key] = len(slots)
            out.append(f"${n}")
    return "".join(out), tuple(slots)
