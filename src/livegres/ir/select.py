"""Read operations: what to select, from where, in which order, and how much.

A ``Select`` or ``AggregateSelect`` names its table and holds its selection as ordered
``Field``s (output key -> node). Relationships carry their join ``mapping`` as (column of
the outer table, column of the remote table) pairs, as in
``livegres.metadata.resolve.RelationshipInfo.mapping``. ``permission`` is the role's row
filter and row limit for the table: left empty by the GraphQL layer, filled by the
permissions layer.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from livegres.catalog.model import PgType, QualifiedName
from livegres.ir.boolexp import AggregateFunction, BoolExp
from livegres.ir.values import Param

Mapping = tuple[tuple[str, str], ...]
Redactions = tuple[tuple[QualifiedName, tuple[tuple[str, BoolExp], ...]], ...]


@dataclass(frozen=True, slots=True)
class Typename:
    """A constant string: ``__typename``."""

    name: str


@dataclass(frozen=True, slots=True)
class ColumnField:
    """A column; ``json_path`` (a text[] param) applies ``#>`` to a json/jsonb column."""

    column: str
    type: PgType
    json_path: Param | None = None


@dataclass(frozen=True, slots=True)
class TableRow:
    """The current row, as a computed field's table argument."""


@dataclass(frozen=True, slots=True)
class FunctionArg:
    """One argument of a function call; passed by ``name`` when one is given."""

    value: Param | TableRow
    name: str | None = None


@dataclass(frozen=True, slots=True)
class FunctionCall:
    """Rows produced by a function instead of read from the table: a tracked function as a
    root field, or a computed field returning rows (``TableRow`` is the parent row)."""

    function: QualifiedName
    args: tuple[FunctionArg, ...]


@dataclass(frozen=True, slots=True)
class ComputedField:
    """A scalar computed field: ``function(args...)`` returning ``type``."""

    function: QualifiedName
    args: tuple[FunctionArg, ...]
    type: PgType
    name: str | None = None


@dataclass(frozen=True, slots=True)
class ObjectRelationship:
    """One related row (or null)."""

    mapping: Mapping
    select: Select


@dataclass(frozen=True, slots=True)
class ArrayRelationship:
    """The related rows, with the nested select's own arguments."""

    mapping: Mapping
    select: Select


@dataclass(frozen=True, slots=True)
class ArrayAggregate:
    """``<rel>_aggregate`` on a row."""

    mapping: Mapping
    select: AggregateSelect


Node = Typename | ColumnField | ComputedField | ObjectRelationship | ArrayRelationship | ArrayAggregate


@dataclass(frozen=True, slots=True)
class Field:
    """One output key of a JSON object and what computes its value."""

    alias: str
    node: Node


# -- ordering ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ColumnOrder:
    column: str


@dataclass(frozen=True, slots=True)
class ObjectRelationshipOrder:
    """Order by a value of the row an object relationship leads to; ``filter`` is the
    remote table's permission filter."""

    table: QualifiedName
    mapping: Mapping
    target: OrderTarget
    filter: BoolExp | None = None


@dataclass(frozen=True, slots=True)
class AggregateOrder:
    """Order by an aggregate of an array relationship's rows: ``count`` (``column`` None) or
    ``function(column)``."""

    table: QualifiedName
    mapping: Mapping
    function: AggregateFunction
    column: str | None = None
    filter: BoolExp | None = None


@dataclass(frozen=True, slots=True)
class ComputedFieldOrder:
    """Order by a scalar computed field of the row."""

    function: QualifiedName
    table_argument: str | None
    session_argument: str | None
    name: str | None = None


OrderTarget = ColumnOrder | ObjectRelationshipOrder | AggregateOrder | ComputedFieldOrder


@dataclass(frozen=True, slots=True)
class OrderBy:
    """One ``order_by`` item. Hasura's ``asc`` is ascending nulls last, ``desc`` is
    descending nulls first."""

    target: OrderTarget
    descending: bool = False
    nulls_first: bool = False

    @classmethod
    def hasura(cls, target: OrderTarget, value: str) -> OrderBy:
        """From an ``order_by`` enum value: ``asc``, ``desc_nulls_last``, ..."""
        descending = value.startswith("desc")
        if value.endswith("nulls_first"):
            nulls_first = True
        elif value.endswith("nulls_last"):
            nulls_first = False
        else:
            nulls_first = descending
        return cls(target, descending, nulls_first)


# -- selects ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SelectArgs:
    """``where``, ``order_by``, ``limit``, ``offset``, ``distinct_on`` (column names)."""

    where: BoolExp | None = None
    order_by: tuple[OrderBy, ...] = ()
    limit: int | Param | None = None
    offset: int | Param | None = None
    distinct_on: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Permission:
    """A role's row filter and row limit on a table."""

    filter: BoolExp | None = None
    limit: int | None = None


@dataclass(frozen=True, slots=True)
class Select:
    """Rows of ``table`` as JSON objects: a list, or with ``single`` one object or null
    (``_by_pk``; object relationships are always single)."""

    table: QualifiedName
    fields: tuple[Field, ...]
    args: SelectArgs = field(default_factory=SelectArgs)
    single: bool = False
    permission: Permission = field(default_factory=Permission)
    source: FunctionCall | None = None
    """Read the rows from this function call rather than from ``table``."""


@dataclass(frozen=True, slots=True)
class AggregateColumn:
    """A column under an aggregate function; ``type`` decides the output format."""

    column: str
    type: PgType


@dataclass(frozen=True, slots=True)
class Count:
    """``count(columns, distinct)``; no columns: ``count(*)``."""

    columns: tuple[str, ...] = ()
    distinct: bool = False


@dataclass(frozen=True, slots=True)
class AggregateOp:
    """``sum { a b }``: one function over several columns, keyed by their aliases."""

    function: AggregateFunction
    fields: tuple[tuple[str, AggregateColumn | Typename], ...]


@dataclass(frozen=True, slots=True)
class Aggregate:
    """The ``aggregate { ... }`` object."""

    fields: tuple[tuple[str, Count | AggregateOp | Typename], ...]


@dataclass(frozen=True, slots=True)
class Nodes:
    """The ``nodes { ... }`` list."""

    fields: tuple[Field, ...]


@dataclass(frozen=True, slots=True)
class AggregateSelect:
    """``<table>_aggregate``: aggregates over, and the nodes of, the selected rows (after
    ``limit``/``offset``, as Hasura does)."""

    table: QualifiedName
    fields: tuple[tuple[str, Aggregate | Nodes | Typename], ...]
    args: SelectArgs = field(default_factory=SelectArgs)
    permission: Permission = field(default_factory=Permission)
    source: FunctionCall | None = None


RootField = Select | AggregateSelect | Typename


@dataclass(frozen=True, slots=True)
class Operation:
    """A query: its root fields by output alias, in order.

    ``redactions``: for an inherited role, the columns (and computed fields) of a table it
    sees on some rows only, each with the condition of those rows. Everywhere the query
    itself uses such a column (output, ``where``, ``order_by``, ``distinct_on``, aggregates)
    it is null on the other rows; permission filters (``Unredacted``) see the real values."""

    fields: tuple[tuple[str, RootField], ...]
    redactions: Redactions = ()
