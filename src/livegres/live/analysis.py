"""What a live query reads: the tables of its plan, and the columns it pins to a value.

``dependencies(operation, compiled)`` walks the IR of a plan (root fields, relationships,
filters, ``_exists``, aggregate predicates, ordering through relationships, permission
filters) and collects every table it reads. A plan that calls SQL functions (computed
fields) may read anything, so it is marked ``opaque`` and falls back to interval polling.

A *pin* is a top-level conjunct of a root field's filter (its ``where`` and its permission
filter) of the form ``column = <variable or session variable>``, on a table the plan reads
only there: the rows of that table that can affect the result all hold the cohort's value
in that column. A change to the table then only concerns the cohorts whose value is among
the changed rows' old or new values of the column (see ``livegres.live.feed``).
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from livegres import ir
from livegres.catalog.model import QualifiedName
from livegres.ir import boolexp as b
from livegres.ir import select as s
from livegres.sql import CompiledQuery

PINNABLE_TYPES = frozenset({"int2", "int4", "int8", "text", "varchar", "uuid"})
"""Column types whose values the change feed reports in the same text form as the bound
parameter (after ``normalise``)."""


@dataclass(frozen=True, slots=True)
class Pin:
    column: str
    slot: int
    """The index of the parameter (in ``CompiledQuery.params``) holding the cohort's value."""
    type_name: str


@dataclass(frozen=True, slots=True)
class Dependencies:
    tables: frozenset[QualifiedName]
    pins: Mapping[QualifiedName, Pin] = field(default_factory=dict)
    opaque: bool = False


def normalise(value: object, type_name: str) -> str | None:
    """A cohort's value in the text form the change feed reports, or None when it cannot be
    compared (then the cohort is refreshed on every change of the table)."""
    if value is None:
        return None
    text = str(value)
    try:
        if type_name in ("int2", "int4", "int8"):
            return str(int(text.strip()))
        if type_name == "uuid":
            return str(uuid.UUID(text.strip()))
    except ValueError:
        return None
    return text


class _Walker:
    def __init__(self) -> None:
        self.tables: Counter[QualifiedName] = Counter()
        self.opaque = False

    def root(self, field: s.RootField) -> None:
        if isinstance(field, s.Select):
            self.select(field)
        elif isinstance(field, s.AggregateSelect):
            self.aggregate(field)

    def select(self, sel: s.Select) -> None:
        if sel.source is not None:
            self.opaque = True  # a function reads tables of its own
        self.tables[sel.table] += 1
        self.args(sel.args)
        self.boolexp(sel.permission.filter)
        self.fields(sel.fields)

    def aggregate(self, sel: s.AggregateSelect) -> None:
        if sel.source is not None:
            self.opaque = True
        self.tables[sel.table] += 1
        self.args(sel.args)
        self.boolexp(sel.permission.filter)
        for _, item in sel.fields:
            if isinstance(item, s.Nodes):
                self.fields(item.fields)

    def fields(self, fields: Iterable[s.Field]) -> None:
        for f in fields:
            node = f.node
            if isinstance(node, s.ObjectRelationship | s.ArrayRelationship):
                self.select(node.select)
            elif isinstance(node, s.ArrayAggregate):
                self.aggregate(node.select)
            elif isinstance(node, s.ComputedField):
                self.opaque = True

    def args(self, args: s.SelectArgs) -> None:
        self.boolexp(args.where)
        for order in args.order_by:
            self.order(order.target)

    def order(self, target: s.OrderTarget) -> None:
        if isinstance(target, s.ObjectRelationshipOrder):
            self.tables[target.table] += 1
            self.boolexp(target.filter)
            self.order(target.target)
        elif isinstance(target, s.AggregateOrder):
            self.tables[target.table] += 1
            self.boolexp(target.filter)
        elif isinstance(target, s.ComputedFieldOrder):
            self.opaque = True

    def boolexp(self, e: b.BoolExp | None) -> None:
        if e is None:
            return
        if isinstance(e, b.And | b.Or):
            for item in e.items:
                self.boolexp(item)
        elif isinstance(e, b.Not):
            self.boolexp(e.item)
        elif isinstance(e, b.RelationshipExists | b.Exists):
            self.tables[e.table] += 1
            self.boolexp(e.where)
        elif isinstance(e, b.AggregatePredicate):
            self.tables[e.table] += 1
            self.boolexp(e.filter)
        elif isinstance(e, b.Unredacted):
            self.boolexp(e.item)
        elif not isinstance(e, b.BoolTrue | b.ColumnComparison | b.ColumnToColumn | b.SpatialComparison):
            self.opaque = True


def _conjuncts(e: b.BoolExp | None) -> Iterable[b.BoolExp]:
    if e is None:
        return
    if isinstance(e, b.And):
        for item in e.items:
            yield from _conjuncts(item)
    else:
        yield e


def _walk(operation: ir.Operation) -> _Walker:
    walker = _Walker()
    for _, root in operation.fields:
        walker.root(root)
    # an inherited role's redaction conditions read tables too (through relationships)
    for _, conditions in operation.redactions:
        for _, condition in conditions:
            walker.boolexp(condition)
    return walker


def tables_read(operation: ir.Operation | None) -> set[QualifiedName]:
    return set(_walk(operation).tables) if operation is not None else set()


def dependencies(
    operation: ir.Operation | None,
    compiled: CompiledQuery | None,
    column_types: Mapping[QualifiedName, Mapping[str, str]],
) -> Dependencies:
    """The tables ``operation`` reads and its pins. ``column_types`` gives, per table, the
    columns the change feed reports (name -> type name)."""
    if operation is None or compiled is None:
        return Dependencies(frozenset())
    walker = _walk(operation)
    slots = {p.key(): i for i, p in enumerate(compiled.params)}
    pins: dict[QualifiedName, Pin] = {}
    for _, root in operation.fields:
        if not isinstance(root, s.Select | s.AggregateSelect) or walker.tables[root.table] != 1:
            continue
        reported = column_types.get(root.table, {})
        filters = [*_conjuncts(root.args.where), *_conjuncts(root.permission.filter)]
        for item in filters:
            if not isinstance(item, b.ColumnComparison) or item.op is not b.CompareOp.EQ or item.cast_to is not None:
                continue
            value = item.value
            if value.array or not isinstance(value.source, ir.Variable | ir.SessionVariable):
                continue
            type_name = reported.get(item.column)
            slot = slots.get(value.key())
            if type_name in PINNABLE_TYPES and slot is not None:
                pins[root.table] = Pin(item.column, slot, type_name)
                break
    return Dependencies(frozenset(walker.tables), pins, walker.opaque)
