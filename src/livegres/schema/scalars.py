"""PostgreSQL column types as Hasura's GraphQL scalars.

Hasura reads a column's type as ``{name, type}`` where ``name`` is the type's ``typname``
(a domain's base ``typname``, one level down; an array's element ``typname`` followed by
``[]``) and ``type`` its ``typtype`` (``pg_table_metadata.sql``). ``textToPGScalarType``
maps the name to a known scalar (``int4`` is ``PGInteger``) or keeps it as ``PGUnknown``;
an enum becomes ``PGEnumScalar`` and a composite ``PGCompositeScalar``. ``mkScalarTypeName``
then names the GraphQL scalar: ``Int``, ``Boolean``, ``Float``, ``String`` for the four
built-in ones, ``<name>_scalar`` for composites, else the Postgres text (``smallint``,
``float8``, ``timestamptz``, ``interval``...). Arrays are lists of their element scalar
(``[String!]``) and compare through ``<scalar>_array_comparison_exp``
(``Hasura.Backends.Postgres.SQL.Types``; ``Instances/Schema.hs`` ``columnParser``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from livegres import catalog as cat

GRAPHQL_NAME = re.compile(r"^[_A-Za-z][_0-9A-Za-z]*$")

# textToPGScalarType: lower-cased typname -> Hasura's canonical text (pgScalarTypeToText).
_TRANSLATIONS: dict[str, str] = {
    "serial": "serial",
    "bigserial": "bigserial",
    "smallint": "smallint",
    "int2": "smallint",
    "int": "integer",
    "integer": "integer",
    "int4": "integer",
    "bigint": "bigint",
    "int8": "bigint",
    "real": "real",
    "float4": "real",
    "double precision": "float8",
    "float8": "float8",
    "numeric": "numeric",
    "decimal": "numeric",
    "money": "money",
    "boolean": "boolean",
    "bool": "boolean",
    "bpchar": "bpchar",
    "char": "bpchar",
    "character": "bpchar",
    "varchar": "varchar",
    "character varying": "varchar",
    "text": "text",
    "citext": "citext",
    "date": "date",
    "timestamp": "timestamp",
    "timestamp without time zone": "timestamp",
    "timestamptz": "timestamptz",
    "timestamp with time zone": "timestamptz",
    "timetz": "timetz",
    "time with time zone": "timetz",
    "json": "json",
    "jsonb": "jsonb",
    "geometry": "geometry",
    "geography": "geography",
    "raster": "raster",
    "uuid": "uuid",
    "ltree": "ltree",
    "lquery": "lquery",
    "ltxtquery": "ltxtquery",
}

_GRAPHQL_NAMES = {"integer": "Int", "boolean": "Boolean", "real": "Float", "text": "String", "varchar": "String"}

NUMERIC = frozenset({"smallint", "integer", "bigint", "serial", "bigserial", "real", "float8", "numeric", "money"})
STRING = frozenset({"varchar", "text", "citext", "bpchar"})
_NOT_COMPARABLE = frozenset({"json", "jsonb", "geometry", "geography", "boolean"})

Kind = Literal["known", "unknown", "enum", "composite"]


@dataclass(frozen=True, slots=True)
class Scalar:
    """One of Hasura's Postgres scalar types (``PGScalarType``).

    ``text`` is Hasura's text for it (``integer``, ``float8``, or the raw ``typname`` of an
    unknown, enum or composite type); ``name`` the GraphQL scalar. For an array, ``element``
    is the element scalar and ``name`` is the element's GraphQL name.
    """

    text: str
    name: str
    kind: Kind = "known"
    element: Scalar | None = None

    @property
    def is_array(self) -> bool:
        return self.element is not None

    @property
    def is_numeric(self) -> bool:
        return self.kind == "known" and self.text in NUMERIC

    @property
    def is_string(self) -> bool:
        return self.kind == "known" and self.text in STRING

    @property
    def is_json(self) -> bool:
        return self.kind == "known" and self.text in ("json", "jsonb")

    @property
    def is_comparable(self) -> bool:
        """Hasura's ``isComparableType``: usable by ``max``/``min``."""
        if self.element is not None:
            return True
        return self.kind != "unknown" and not (self.kind == "known" and self.text in _NOT_COMPARABLE)

    def known(self, *texts: str) -> bool:
        return self.element is None and self.kind == "known" and self.text in texts

    @property
    def comparison_name(self) -> str:
        suffix = "_array_comparison_exp" if self.is_array else "_comparison_exp"
        return self.name + suffix


def _named(text: str, kind: Kind) -> Scalar:
    if kind == "composite":
        return Scalar(text, f"{text}_scalar", kind)
    if kind == "known":
        return Scalar(text, _GRAPHQL_NAMES.get(text, text), kind)
    return Scalar(text, text, kind)


def from_text(typname: str, kind: Kind | None = None) -> Scalar:
    """``textToPGScalarType`` (plus the enum/composite kinds of the object form)."""
    if kind in ("enum", "composite"):
        return _named(typname, kind)
    if typname.endswith("[]"):
        element = from_text(typname[:-2])
        return Scalar(f"{element.text}[]", element.name, element.kind, element)
    known = _TRANSLATIONS.get(typname.lower())
    return _named(known, "known") if known is not None else _named(typname, "unknown")


def of_type(pg_type: cat.PgType) -> Scalar:
    """The scalar Hasura gives a column (or function argument/result) of this type."""
    if pg_type.kind is cat.TypeKind.ARRAY and pg_type.element is not None:
        return from_text(pg_type.element.name.name + "[]")
    if pg_type.kind is cat.TypeKind.DOMAIN and pg_type.base is not None:
        return from_text(pg_type.base.name.name)
    if pg_type.kind is cat.TypeKind.ENUM:
        return from_text(pg_type.name.name, "enum")
    if pg_type.kind is cat.TypeKind.COMPOSITE:
        return from_text(pg_type.name.name, "composite")
    return from_text(pg_type.name.name)


def known(text: str) -> Scalar:
    """A known scalar by Hasura's canonical text (``text``, ``float8``, ``boolean``...)."""
    return _named(text, "known")


INT = known("integer")
FLOAT = known("real")
STRING_SCALAR = known("text")
BOOLEAN = known("boolean")
FLOAT8 = known("float8")
BUILT_IN = frozenset({"Int", "Float", "String", "Boolean", "ID"})
