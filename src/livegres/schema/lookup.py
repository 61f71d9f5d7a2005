"""What each field of a built schema means, for the compiler.

``RoleSchema.fields`` maps ``(parent type name, field name)`` to one of the frozen values
below, for every field of every object type and input type the builder generates (bar
``__typename`` and the comparison operators, whose meaning is their name). Table names are
catalog names; columns carry their catalog ``Column`` (and so their ``PgType``), so the
compiler never has to undo GraphQL renaming (``custom_name``, ``column_config``).

``RoleSchema.types`` maps the name of every table-derived type to a ``TypeRef``: which table
it belongs to and what it is (``object``, ``bool_exp``, ``order_by``...).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypeAlias

from livegres import catalog as cat
from livegres.metadata.resolve import ComputedFieldInfo, FunctionInfo, RelationshipInfo

RootKind = Literal["select", "select_by_pk", "select_aggregate", "select_stream"]
AggregateOp = Literal[
    "count", "sum", "avg", "stddev", "stddev_samp", "stddev_pop", "variance", "var_samp", "var_pop", "max", "min"
]
NUMERIC_OPS: tuple[AggregateOp, ...] = (
    "sum",
    "avg",
    "stddev",
    "stddev_samp",
    "stddev_pop",
    "variance",
    "var_samp",
    "var_pop",
)
COMPARISON_OPS: tuple[AggregateOp, ...] = ("max", "min")


@dataclass(frozen=True, slots=True)
class TableRoot:
    """A root field over a table: ``<t>``, ``<t>_by_pk``, ``<t>_aggregate``, ``<t>_stream``."""

    kind: RootKind
    table: cat.QualifiedName


@dataclass(frozen=True, slots=True)
class FunctionRoot:
    """A tracked function as a root field; ``aggregate`` for ``<fn>_aggregate``."""

    function: FunctionInfo
    table: cat.QualifiedName
    aggregate: bool = False


@dataclass(frozen=True, slots=True)
class ColumnField:
    table: cat.QualifiedName
    column: cat.Column


@dataclass(frozen=True, slots=True)
class RelationshipField:
    """An object or array relationship; ``aggregate`` for ``<rel>_aggregate``."""

    table: cat.QualifiedName
    relationship: RelationshipInfo
    aggregate: bool = False


@dataclass(frozen=True, slots=True)
class ComputedField:
    """A computed field; ``returns_table`` is set for ``SETOF <table>`` functions."""

    table: cat.QualifiedName
    computed_field: ComputedFieldInfo
    returns_table: cat.QualifiedName | None = None


@dataclass(frozen=True, slots=True)
class AggregateSelection:
    """``nodes`` and ``aggregate`` of ``<t>_aggregate``."""

    table: cat.QualifiedName
    part: Literal["nodes", "aggregate"]


@dataclass(frozen=True, slots=True)
class AggregateFunction:
    """A field of ``<t>_aggregate_fields`` (``count``, ``sum``...) or of ``<t>_aggregate_order_by``."""

    table: cat.QualifiedName
    op: AggregateOp


@dataclass(frozen=True, slots=True)
class AggregateColumn:
    """A column under an aggregate operator (``<t>_sum_fields.x``, ``<t>_max_order_by.x``)."""

    table: cat.QualifiedName
    op: AggregateOp
    column: cat.Column


@dataclass(frozen=True, slots=True)
class Connective:
    """``_and``, ``_or``, ``_not`` of a ``<t>_bool_exp``."""

    table: cat.QualifiedName
    op: Literal["_and", "_or", "_not"]


@dataclass(frozen=True, slots=True)
class AggregatePredicate:
    """A field of ``<t>_aggregate_bool_exp``: an aggregate function over the rows of ``table``."""

    table: cat.QualifiedName
    function: str
    """count, bool_and, bool_or, avg, max, min, sum, corr, covar_samp, stddev_samp, var_samp"""


@dataclass(frozen=True, slots=True)
class StreamCursor:
    """A field of ``<t>_stream_cursor_input`` (``initial_value``, ``ordering``)."""

    table: cat.QualifiedName
    part: Literal["initial_value", "ordering"]


@dataclass(frozen=True, slots=True)
class FunctionArgument:
    """A field of ``<fn>_args``: ``argument`` is the index into ``Function.args``."""

    function: cat.Function
    argument: int


MutationKind = Literal["insert", "insert_one", "update", "update_by_pk", "update_many", "delete", "delete_by_pk"]


@dataclass(frozen=True, slots=True)
class MutationRoot:
    """A mutation root field over a table (``livegres.schema.mutation.fields``)."""

    kind: MutationKind
    table: cat.QualifiedName


@dataclass(frozen=True, slots=True)
class MutationResponse:
    """``affected_rows`` and ``returning`` of ``<t>_mutation_response``."""

    table: cat.QualifiedName
    part: Literal["affected_rows", "returning"]


FieldRef: TypeAlias = (
    TableRoot
    | FunctionRoot
    | ColumnField
    | RelationshipField
    | ComputedField
    | AggregateSelection
    | AggregateFunction
    | AggregateColumn
    | Connective
    | AggregatePredicate
    | StreamCursor
    | FunctionArgument
    | MutationRoot
    | MutationResponse
)

TypeRole = Literal[
    "object",
    "aggregate",
    "aggregate_fields",
    "aggregate_op_fields",
    "bool_exp",
    "order_by",
    "aggregate_order_by",
    "aggregate_op_order_by",
    "aggregate_bool_exp",
    "aggregate_predicate",
    "select_column",
    "stream_cursor_input",
    "stream_cursor_value_input",
    "enum",
    "mutation",
]


@dataclass(frozen=True, slots=True)
class TypeRef:
    table: cat.QualifiedName
    role: TypeRole
