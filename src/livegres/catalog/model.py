"""The database catalog as frozen values: relations, columns, keys, functions and types.

A ``Catalog`` is one consistent snapshot, read by ``load_catalog`` in one statement and
never changed afterwards; a schema change makes a new ``Catalog``. Mappings are read-only
views (``MappingProxyType``) whose iteration order is meaningful: tables and functions by
qualified name, columns by position, enum labels by sort order.

Names are PostgreSQL's own, unquoted (``QualifiedName("public", "user")``); quoting for SQL
text is the business of the layer that writes SQL. Types are named by their ``pg_type``
entry (``pg_catalog.int4``, ``pg_catalog._text`` for ``text[]``), which is also a valid cast
target once quoted; ``Column.type_text`` is the display form with modifiers
(``character varying(20)``), schema-qualified for types outside ``pg_catalog``.

Objects compare by value. ``Table`` (oid, name), ``CompositeType`` (oid) and ``Catalog``
(fingerprint) hash by identifying keys, so they can be dictionary keys although they hold
mappings. Every field has a default where one makes sense, so tests of the layers above can
build small catalogs by hand.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any, NamedTuple

_EMPTY: Mapping[Any, Any] = MappingProxyType({})


def _empty() -> Mapping[Any, Any]:
    return _EMPTY


class QualifiedName(NamedTuple):
    """``schema.name`` of a relation, function or type; ordered by schema, then name.

    A named tuple: equal to, and hashed like, the plain tuple ``(schema, name)``."""

    schema: str
    name: str

    def __str__(self) -> str:
        return f"{self.schema}.{self.name}"


class TableKind(StrEnum):
    TABLE = "table"
    VIEW = "view"
    MATERIALIZED_VIEW = "materialized_view"
    FOREIGN_TABLE = "foreign_table"
    PARTITIONED_TABLE = "partitioned_table"


class TypeKind(StrEnum):
    BASE = "base"
    ARRAY = "array"
    ENUM = "enum"
    DOMAIN = "domain"
    COMPOSITE = "composite"
    RANGE = "range"
    MULTIRANGE = "multirange"
    PSEUDO = "pseudo"


class Identity(StrEnum):
    ALWAYS = "always"
    BY_DEFAULT = "by_default"


class Generated(StrEnum):
    STORED = "stored"
    VIRTUAL = "virtual"


class FkAction(StrEnum):
    NO_ACTION = "no_action"
    RESTRICT = "restrict"
    CASCADE = "cascade"
    SET_NULL = "set_null"
    SET_DEFAULT = "set_default"


class Volatility(StrEnum):
    IMMUTABLE = "immutable"
    STABLE = "stable"
    VOLATILE = "volatile"


class ArgMode(StrEnum):
    IN = "in"
    OUT = "out"
    INOUT = "inout"
    VARIADIC = "variadic"
    TABLE = "table"


@dataclass(frozen=True, slots=True)
class PgType:
    """One ``pg_type`` entry.

    ``element`` is the element type of an ARRAY and the subtype of a RANGE; ``base`` is the
    type a DOMAIN is defined over (itself possibly a domain: see ``root``); ``enum_labels``
    lists an ENUM's labels in sort order. A COMPOSITE is the row type of the relation of the
    same name: a table, a view, or a standalone composite type (``Catalog.composites``).
    """

    oid: int
    name: QualifiedName
    kind: TypeKind
    element: PgType | None = None
    base: PgType | None = None
    enum_labels: tuple[str, ...] = ()
    comment: str | None = None

    def __repr__(self) -> str:
        return f"PgType({self.oid}, {self.name}, {self.kind})"

    @property
    def root(self) -> PgType:
        """The type under any stack of domains."""
        t = self
        while t.base is not None:
            t = t.base
        return t


@dataclass(frozen=True, slots=True)
class Column:
    """A column of a relation, or a field of a composite type.

    ``default`` is the default expression as PostgreSQL prints it, ``None`` for identity
    and generated columns (see ``identity`` and ``generation_expression``). ``nullable`` is
    always true for view columns: PostgreSQL records no NOT NULL for them.
    """

    name: str
    position: int
    type: PgType
    type_text: str
    nullable: bool = True
    default: str | None = None
    identity: Identity | None = None
    generated: Generated | None = None
    generation_expression: str | None = None
    comment: str | None = None

    @property
    def has_default(self) -> bool:
        """Whether an INSERT may leave the column out and still get a value."""
        return self.default is not None or self.identity is not None or self.generated is not None


@dataclass(frozen=True, slots=True)
class PrimaryKey:
    name: str
    columns: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class UniqueConstraint:
    """A unique key that ON CONFLICT can use as its arbiter.

    ``is_constraint`` is false for a unique index that backs no constraint: it cannot be
    named by ``ON CONFLICT ON CONSTRAINT`` but is inferred from ``ON CONFLICT (columns)``.
    Deferrable constraints, partial indexes and expression indexes are left out, because
    PostgreSQL refuses them as arbiters.
    """

    name: str
    columns: tuple[str, ...]
    is_constraint: bool = True


@dataclass(frozen=True, slots=True)
class ForeignKey:
    """``table.columns[i]`` references ``referenced_table.referenced_columns[i]``."""

    name: str
    table: QualifiedName
    columns: tuple[str, ...]
    referenced_table: QualifiedName
    referenced_columns: tuple[str, ...]
    on_update: FkAction = FkAction.NO_ACTION
    on_delete: FkAction = FkAction.NO_ACTION

    @property
    def column_mapping(self) -> tuple[tuple[str, str], ...]:
        """(local column, referenced column) pairs, in key order."""
        return tuple(zip(self.columns, self.referenced_columns, strict=True))


@dataclass(frozen=True, slots=True)
class CheckConstraint:
    name: str
    definition: str
    columns: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Table:
    """A table, view, materialized view, foreign table or partitioned table.

    ``is_insertable`` / ``is_updatable`` / ``is_deletable`` say whether the relation accepts
    those statements (auto-updatable views, INSTEAD OF triggers and rules included; always
    true for tables, always false for materialized views).
    """

    oid: int
    name: QualifiedName
    kind: TableKind
    columns: Mapping[str, Column] = field(default_factory=_empty)
    primary_key: PrimaryKey | None = None
    unique_constraints: tuple[UniqueConstraint, ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()
    check_constraints: tuple[CheckConstraint, ...] = ()
    is_insertable: bool = True
    is_updatable: bool = True
    is_deletable: bool = True
    comment: str | None = None

    def __hash__(self) -> int:
        return hash((self.oid, self.name))

    def column(self, name: str) -> Column | None:
        return self.columns.get(name)

    def fk_to(self, target: QualifiedName) -> tuple[ForeignKey, ...]:
        """This table's foreign keys that reference ``target``."""
        return tuple(fk for fk in self.foreign_keys if fk.referenced_table == target)

    def fk_on(self, columns: Sequence[str]) -> ForeignKey | None:
        """The foreign key whose local columns are exactly ``columns`` (in any order)."""
        wanted = frozenset(columns)
        for fk in self.foreign_keys:
            if frozenset(fk.columns) == wanted and len(fk.columns) == len(columns):
                return fk
        return None

    def is_unique(self, columns: Iterable[str]) -> bool:
        """Whether ``columns`` include a whole primary or unique key (at most one row matches)."""
        have = frozenset(columns)
        if self.primary_key is not None and have.issuperset(self.primary_key.columns):
            return True
        return any(have.issuperset(u.columns) for u in self.unique_constraints)


@dataclass(frozen=True, slots=True)
class FunctionArg:
    """One declared argument; ``name`` is ``None`` when the declaration has none."""

    name: str | None
    type: PgType
    mode: ArgMode = ArgMode.IN
    has_default: bool = False


@dataclass(frozen=True, slots=True)
class Function:
    """A function (not a procedure, aggregate or window function).

    ``args`` lists every declared argument in order, OUT and TABLE ones included;
    ``input_args`` the ones a call passes. ``return_table`` names the table or view whose
    row type the function returns (``RETURNS t`` / ``RETURNS SETOF t``), else ``None``.
    """

    oid: int
    name: QualifiedName
    args: tuple[FunctionArg, ...]
    return_type: PgType
    returns_set: bool
    return_table: QualifiedName | None
    volatility: Volatility
    language: str
    num_defaults: int = 0
    comment: str | None = None

    @property
    def input_args(self) -> tuple[FunctionArg, ...]:
        return tuple(a for a in self.args if a.mode in (ArgMode.IN, ArgMode.INOUT, ArgMode.VARIADIC))


@dataclass(frozen=True, slots=True)
class CompositeType:
    """A standalone composite type (``CREATE TYPE ... AS (...)``); its fields in order."""

    type: PgType
    fields: Mapping[str, Column] = field(default_factory=_empty)

    @property
    def name(self) -> QualifiedName:
        return self.type.name

    def __hash__(self) -> int:
        return hash(self.type.oid)


@dataclass(frozen=True, slots=True)
class Catalog:
    """Everything ``load_catalog`` read, in one consistent snapshot.

    ``fingerprint`` is ``catalog_fingerprint`` as of that same snapshot: a watcher reloads
    when the current fingerprint differs from it. ``types`` holds, by oid, every type that a
    column or function uses, every type defined in a loaded schema (bar the implicit row
    types of tables and arrays that nothing uses), and the types these are built on.
    ``foreign_keys_to`` is derived: for each table, the foreign keys that reference it.
    """

    server_version_num: int
    fingerprint: str
    schemas: tuple[str, ...]
    tables: Mapping[QualifiedName, Table]
    functions: Mapping[QualifiedName, tuple[Function, ...]] = field(default_factory=_empty)
    types: Mapping[int, PgType] = field(default_factory=_empty)
    enums: Mapping[QualifiedName, PgType] = field(default_factory=_empty)
    composites: Mapping[QualifiedName, CompositeType] = field(default_factory=_empty)
    foreign_keys_to: Mapping[QualifiedName, tuple[ForeignKey, ...]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        incoming: dict[QualifiedName, list[ForeignKey]] = {}
        for table in self.tables.values():
            for fk in table.foreign_keys:
                incoming.setdefault(fk.referenced_table, []).append(fk)
        frozen = {name: tuple(fks) for name, fks in incoming.items()}
        object.__setattr__(self, "foreign_keys_to", MappingProxyType(frozen))

    def __hash__(self) -> int:
        return hash(self.fingerprint)

    def table(self, schema: str, name: str) -> Table | None:
        return self.tables.get(QualifiedName(schema, name))

    def function(self, schema: str, name: str) -> tuple[Function, ...]:
        """Every overload of ``schema.name``; empty when there is none."""
        return self.functions.get(QualifiedName(schema, name), ())

    def referencing(self, target: QualifiedName) -> tuple[ForeignKey, ...]:
        """Foreign keys, of any table, that reference ``target``."""
        return self.foreign_keys_to.get(target, ())
