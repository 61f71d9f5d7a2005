"""Boolean expressions: ``where`` arguments, permission filters, ``_exists``.

Columns are named, never qualified: a column belongs to the table the expression is
evaluated against (the select's table, or the remote table inside a relationship or
``_exists``). A ``ColumnRef`` with ``root=True`` is Hasura's ``["$", "column"]``: the
table the whole expression started from.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from livegres.catalog.model import QualifiedName
from livegres.ir.values import Param


class CompareOp(StrEnum):
    """Hasura's comparison operators for PostgreSQL columns, by their GraphQL names."""

    EQ = "_eq"
    NEQ = "_neq"
    GT = "_gt"
    LT = "_lt"
    GTE = "_gte"
    LTE = "_lte"
    IN = "_in"
    NIN = "_nin"
    LIKE = "_like"
    NLIKE = "_nlike"
    ILIKE = "_ilike"
    NILIKE = "_nilike"
    SIMILAR = "_similar"
    NSIMILAR = "_nsimilar"
    REGEX = "_regex"
    NREGEX = "_nregex"
    IREGEX = "_iregex"
    NIREGEX = "_niregex"
    CONTAINS = "_contains"
    CONTAINED_IN = "_contained_in"
    HAS_KEY = "_has_key"
    HAS_KEYS_ANY = "_has_keys_any"
    HAS_KEYS_ALL = "_has_keys_all"
    IS_NULL = "_is_null"
    ANCESTOR = "_ancestor"
    ANCESTOR_ANY = "_ancestor_any"
    DESCENDANT = "_descendant"
    DESCENDANT_ANY = "_descendant_any"
    MATCHES = "_matches"
    MATCHES_ANY = "_matches_any"
    MATCHES_FULLTEXT = "_matches_fulltext"


_ARRAY_OPERANDS = frozenset(
    {
        CompareOp.IN,
        CompareOp.NIN,
        CompareOp.HAS_KEYS_ANY,
        CompareOp.HAS_KEYS_ALL,
        CompareOp.ANCESTOR_ANY,
        CompareOp.DESCENDANT_ANY,
        CompareOp.MATCHES_ANY,
    }
)
_TEXT_OPERANDS = frozenset({CompareOp.HAS_KEY, CompareOp.HAS_KEYS_ANY, CompareOp.HAS_KEYS_ALL})
_LTREE_QUERIES = {CompareOp.MATCHES: "lquery", CompareOp.MATCHES_ANY: "lquery", CompareOp.MATCHES_FULLTEXT: "ltxtquery"}


def operand_type(op: CompareOp, column_type: QualifiedName) -> tuple[QualifiedName, bool]:
    """The type a comparison's value is cast to, and whether it is an array of that type:
    the column's own type, ``text`` for jsonb key operators, ``lquery``/``ltxtquery`` (from the
    ltree extension's schema) for the ltree matching operators."""
    if op in _TEXT_OPERANDS:
        name = QualifiedName("pg_catalog", "text")
    elif op in _LTREE_QUERIES:
        name = QualifiedName(column_type.schema, _LTREE_QUERIES[op])
    else:
        name = column_type
    return name, op in _ARRAY_OPERANDS


class ColumnOp(StrEnum):
    """Column-to-column comparisons."""

    CEQ = "_ceq"
    CNE = "_cne"
    CGT = "_cgt"
    CLT = "_clt"
    CGTE = "_cgte"
    CLTE = "_clte"


@dataclass(frozen=True, slots=True)
class BoolTrue:
    """``{}``: always true."""


@dataclass(frozen=True, slots=True)
class And:
    """All of ``items``; true when empty."""

    items: tuple[BoolExp, ...]


@dataclass(frozen=True, slots=True)
class Or:
    """Any of ``items``; false when empty."""

    items: tuple[BoolExp, ...]


@dataclass(frozen=True, slots=True)
class Not:
    item: BoolExp


@dataclass(frozen=True, slots=True)
class ColumnComparison:
    """``column op value``. ``cast_to`` is ``_cast`` (``{_cast: {String: {...}}}``): the column
    is cast to that type before comparing. ``_in``/``_nin``/``_has_keys_*`` take an array
    param; ``_is_null`` takes a boolean param."""

    column: str
    op: CompareOp
    value: Param
    cast_to: QualifiedName | None = None


SPATIAL_OPS = frozenset(
    {
        "_st_contains",
        "_st_crosses",
        "_st_equals",
        "_st_overlaps",
        "_st_touches",
        "_st_within",
        "_st_intersects",
        "_st_3d_intersects",
        "_st_d_within",
        "_st_3d_d_within",
    }
)


@dataclass(frozen=True, slots=True)
class SpatialComparison:
    """A PostGIS operator (``_st_within``, ``_st_d_within``...) on a geometry or geography
    column. ``value`` is a GeoJSON geometry (text); ``distance`` and ``use_spheroid`` are the
    extra arguments of the ``_d_within`` operators."""

    column: str
    op: str
    value: Param
    geography: bool = False
    distance: Param | None = None
    use_spheroid: Param | None = None
    cast_to: QualifiedName | None = None


@dataclass(frozen=True, slots=True)
class ComputedFieldComparison:
    """A scalar computed field compared to a value: ``function(row[, session]) op value``.
    The row goes to ``table_argument`` by name (first, positionally, when None); the session
    (a JSON param) to ``session_argument`` when the function takes one. ``name`` is the
    computed field's name (for redaction)."""

    function: QualifiedName
    table_argument: str | None
    session_argument: str | None
    op: CompareOp
    value: Param
    name: str | None = None


@dataclass(frozen=True, slots=True)
class Unredacted:
    """A permission's filter inside a query's expression: evaluated on the real values of the
    columns, where the query's own conditions see an inherited role's redacted values."""

    item: BoolExp


@dataclass(frozen=True, slots=True)
class ComputedRowsExists:
    """A filter through a computed field returning rows of ``table``: some row the function
    returns for this row satisfies ``where``."""

    function: QualifiedName
    table_argument: str | None
    session_argument: str | None
    table: QualifiedName
    where: BoolExp


@dataclass(frozen=True, slots=True)
class ColumnRef:
    """A column of the current table, or of the root table when ``root``."""

    column: str
    root: bool = False


@dataclass(frozen=True, slots=True)
class ColumnToColumn:
    """``_ceq`` and friends: ``column op other``."""

    column: str
    op: ColumnOp
    other: ColumnRef


@dataclass(frozen=True, slots=True)
class RelationshipExists:
    """A filter through a relationship: some row of ``table`` joined by ``mapping``
    ((this table's column, remote column) pairs) satisfies ``where``."""

    table: QualifiedName
    mapping: tuple[tuple[str, str], ...]
    where: BoolExp


@dataclass(frozen=True, slots=True)
class Exists:
    """``_exists``: some row of an unrelated ``table`` satisfies ``where``."""

    table: QualifiedName
    where: BoolExp


class AggregateFunction(StrEnum):
    COUNT = "count"
    SUM = "sum"
    AVG = "avg"
    MIN = "min"
    MAX = "max"
    STDDEV = "stddev"
    STDDEV_POP = "stddev_pop"
    STDDEV_SAMP = "stddev_samp"
    VAR_POP = "var_pop"
    VAR_SAMP = "var_samp"
    VARIANCE = "variance"
    BOOL_AND = "bool_and"
    BOOL_OR = "bool_or"


@dataclass(frozen=True, slots=True)
class AggregatePredicate:
    """``<arrayrel>_aggregate: {count: {arguments, distinct, filter, predicate}}``: the aggregate
    of the related rows (those matching ``filter``) satisfies every ``(op, value)`` of
    ``predicate``. ``arguments`` are the aggregated columns (none: ``count(*)``)."""

    table: QualifiedName
    mapping: tuple[tuple[str, str], ...]
    function: AggregateFunction
    predicate: tuple[tuple[CompareOp, Param], ...]
    arguments: tuple[str, ...] = ()
    distinct: bool = False
    filter: BoolExp | None = None


BoolExp = (
    BoolTrue
    | And
    | Or
    | Not
    | ColumnComparison
    | ComputedFieldComparison
    | Unredacted
    | ComputedRowsExists
    | SpatialComparison
    | ColumnToColumn
    | RelationshipExists
    | Exists
    | AggregatePredicate
)
