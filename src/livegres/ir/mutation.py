"""Write operations: inserts (nested through relationships), updates and deletes.

Like the read IR, these are frozen values with catalog names and parameter slots only. The
GraphQL layer fills the request's part (rows, ``where``, operators, ``returning``); the
permission fields are the seam for the role's rules:

* ``check``: the role's insert or update ``check``, evaluated on every written row; a row
  that fails it aborts the whole request (nothing is written);
* ``filter``: the role's update or delete ``filter``, ANDed with ``where``;
* ``presets``: the permission's ``set`` (column -> value), applied over the given values.

A ``MutationOperation`` holds the root fields in request order; all of them run in one
transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from livegres.catalog.model import QualifiedName
from livegres.ir.boolexp import BoolExp
from livegres.ir.select import ColumnField, Field, Mapping, Typename
from livegres.ir.values import Param


@dataclass(frozen=True, slots=True)
class AffectedRows:
    """``affected_rows`` of a mutation response."""


@dataclass(frozen=True, slots=True)
class Returning:
    """``returning { ... }``: the written rows, as the role may select them. ``filter`` is the
    role's select filter (rows it may not select are left out)."""

    fields: tuple[Field, ...]
    filter: BoolExp | None = None


ResponseNode = AffectedRows | Returning | Typename


@dataclass(frozen=True, slots=True)
class Output:
    """What a mutation field answers: with ``single`` the one row's object (``insert_<t>_one``,
    ``_by_pk``; ``null`` when no row), else ``{affected_rows, returning}`` keyed by alias."""

    response: tuple[tuple[str, ResponseNode], ...] = ()
    single: tuple[Field, ...] | None = None
    single_filter: BoolExp | None = None

    @property
    def reads_tables(self) -> bool:
        """Whether the output reads anything but the written rows' own columns."""
        fields = self.single or ()
        for _, node in self.response:
            if isinstance(node, Returning):
                fields = (*fields, *node.fields)
        return any(not _is_plain(f) for f in fields)


def _is_plain(field: Field) -> bool:
    return isinstance(field.node, ColumnField | Typename)


@dataclass(frozen=True, slots=True)
class OnConflict:
    """``ON CONFLICT ON CONSTRAINT constraint``: ``DO NOTHING`` without ``update_columns``,
    else ``DO UPDATE SET c = EXCLUDED.c ... WHERE where``. ``filter`` is the role's update
    filter, ``check`` its update check, ``presets`` its update ``set``."""

    constraint: str
    update_columns: tuple[str, ...] = ()
    where: BoolExp | None = None
    filter: BoolExp | None = None
    check: BoolExp | None = None
    presets: tuple[tuple[str, Param], ...] = ()


@dataclass(frozen=True, slots=True)
class InsertRow:
    """One object to insert: its column values, the parent rows to insert first (object
    relationships: their columns fill this row's), the child rows to insert after (array
    relationships: this row's columns fill theirs). A column not given takes its default."""

    values: tuple[tuple[str, Param], ...]
    parents: tuple[NestedInsert, ...] = ()
    children: tuple[NestedInsert, ...] = ()


@dataclass(frozen=True, slots=True)
class NestedInsert:
    """Rows inserted through a relationship: ``mapping`` is (column of the outer table,
    column of this table), as in ``RelationshipInfo.mapping``."""

    relationship: str
    mapping: Mapping
    insert: Insert


@dataclass(frozen=True, slots=True)
class Insert:
    table: QualifiedName
    rows: tuple[InsertRow, ...]
    on_conflict: OnConflict | None = None
    check: BoolExp | None = None
    presets: tuple[tuple[str, Param], ...] = ()
    output: Output = Output()


class UpdateOp(StrEnum):
    SET = "_set"
    INC = "_inc"
    APPEND = "_append"
    PREPEND = "_prepend"
    DELETE_KEY = "_delete_key"
    DELETE_ELEM = "_delete_elem"
    DELETE_AT_PATH = "_delete_at_path"


@dataclass(frozen=True, slots=True)
class ColumnUpdate:
    column: str
    op: UpdateOp
    value: Param


@dataclass(frozen=True, slots=True)
class Update:
    table: QualifiedName
    where: BoolExp
    updates: tuple[ColumnUpdate, ...]
    filter: BoolExp | None = None
    check: BoolExp | None = None
    output: Output = Output()


@dataclass(frozen=True, slots=True)
class UpdateMany:
    """``update_<t>_many``: updates run one after the other; the answer is their list."""

    updates: tuple[Update, ...]


@dataclass(frozen=True, slots=True)
class Delete:
    table: QualifiedName
    where: BoolExp
    filter: BoolExp | None = None
    output: Output = Output()


MutationField = Insert | Update | UpdateMany | Delete | Typename


@dataclass(frozen=True, slots=True)
class MutationOperation:
    fields: tuple[tuple[str, MutationField], ...]
