"""Parameter slots: where a value will come from, and the PostgreSQL type it is cast to.

No value ever becomes SQL text. A ``Param`` names its source (a literal from the query
text, a GraphQL variable, a session variable, the whole session) and the type the SQL
casts it to; ``livegres.sql.bind`` fetches the values when the statement runs. Equal
slots are one ``$n`` parameter of the compiled statement.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from livegres.catalog.model import QualifiedName

TEXT = QualifiedName("pg_catalog", "text")
BOOL = QualifiedName("pg_catalog", "bool")
INT8 = QualifiedName("pg_catalog", "int8")
JSON = QualifiedName("pg_catalog", "json")
JSONB = QualifiedName("pg_catalog", "jsonb")


@dataclass(frozen=True, slots=True)
class Literal:
    """A value written in the query text, already coerced to its JSON form (str, int, float,
    bool, None, list or dict)."""

    value: Any

    def key(self) -> object:
        """A hashable stand-in for ``value`` that tells ``1``, ``1.0`` and ``True`` apart."""
        return _freeze(self.value)


@dataclass(frozen=True, slots=True)
class Variable:
    """A GraphQL variable, or a part of one: ``path`` walks into objects (str) and lists (int)."""

    name: str
    path: tuple[str | int, ...] = ()


@dataclass(frozen=True, slots=True)
class SessionVariable:
    """An ``x-hasura-*`` session variable (a string); ``name`` is matched case-insensitively."""

    name: str


@dataclass(frozen=True, slots=True)
class SessionObject:
    """The whole session as a JSON object (a computed field's ``session_argument``)."""


@dataclass(frozen=True, slots=True)
class ListOf:
    """A list whose items come from separate sources: ``_in: [$a, "b"]``."""

    items: tuple[Literal | Variable | SessionVariable, ...]


Source = Literal | Variable | SessionVariable | SessionObject | ListOf


@dataclass(frozen=True, slots=True)
class Param:
    """One parameter slot: ``source`` cast to ``pg_type``.

    With ``array`` the value is a list of ``pg_type`` items (``_in``, ``_has_keys_any``, a
    JSON path), sent as ``text[]`` and cast to ``pg_type[]``; a session variable there holds
    the array in PostgreSQL's literal syntax (``{1,2}``). Otherwise the value is sent as
    text and cast to ``pg_type`` (a list for an array type becomes an array literal).
    """

    source: Source
    pg_type: QualifiedName
    array: bool = False

    def key(self) -> object:
        """The identity of the slot: equal keys share one ``$n``."""
        return (_source_key(self.source), self.pg_type, self.array)


def literal(value: Any, pg_type: QualifiedName, *, array: bool = False) -> Param:
    return Param(Literal(value), pg_type, array)


def variable(name: str, pg_type: QualifiedName, *path: str | int, array: bool = False) -> Param:
    return Param(Variable(name, tuple(path)), pg_type, array)


def session(name: str, pg_type: QualifiedName, *, array: bool = False) -> Param:
    return Param(SessionVariable(name.lower()), pg_type, array)


def _source_key(source: Source) -> object:
    if isinstance(source, Literal):
        return source.key()
    if isinstance(source, ListOf):
        return ("listof", tuple(_source_key(item) for item in source.items))
    return source


def _freeze(value: Any) -> object:
    if isinstance(value, dict):
        return ("dict", tuple((k, _freeze(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return ("list", tuple(_freeze(v) for v in value))
    return (type(value).__name__, value)
