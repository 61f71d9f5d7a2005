"""Tables as one role sees them, with their GraphQL names: the input of the type builders.

``plan_tables`` pairs each visible, consistent table with Hasura's names for it and for its
visible columns, relationships and computed fields. Naming follows Hasura:

* a table is ``configuration.custom_name``, else its name (``schema_name`` outside
  ``public``); every type and root field of the table starts with that name;
* root fields are renamed by ``custom_root_fields``; a column by ``column_config.custom_name``;
* a column referencing an enum table (``is_enum``) by a one-column foreign key to its
  primary key has the GraphQL enum ``<enum table>_enum`` as its type, when its values are
  known;
* a name that is not a valid GraphQL name (Hasura refuses the metadata) is left out, and so
  is a field whose name another field of the same type already took.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from livegres import catalog as cat
from livegres.metadata import model as m
from livegres.metadata.resolve import ComputedFieldInfo, RelationshipInfo, SchemaCache, TableInfo, text
from livegres.schema import scalars as sc
from livegres.schema.view import RoleView, TableView


@dataclass(frozen=True, slots=True)
class EnumValue:
    """One row of an enum table: its value and its comment (the enum value's description)."""

    value: str
    comment: str | None = None


@dataclass(frozen=True, slots=True)
class ColumnPlan:
    name: str
    """GraphQL name"""
    column: cat.Column
    scalar: sc.Scalar
    enum: cat.QualifiedName | None = None
    """The enum table whose ``<t>_enum`` is this column's type."""
    description: str | None = None


@dataclass(frozen=True, slots=True)
class RelationshipPlan:
    name: str
    info: RelationshipInfo
    nullable: bool
    """For object relationships: false for a forward foreign key on NOT NULL columns."""


@dataclass(frozen=True, slots=True)
class ComputedFieldPlan:
    name: str
    info: ComputedFieldInfo
    user_args: tuple[tuple[int, str], ...]
    """(index into ``Function.args``, GraphQL name) of the arguments a query passes."""
    returns_table: cat.QualifiedName | None
    scalar: sc.Scalar | None

    @property
    def args_required(self) -> bool:
        fn = self.info.function
        return any(not fn.args[i].has_default for i, _ in self.user_args)


@dataclass(slots=True)
class TablePlan:
    name: cat.QualifiedName
    gql: str
    info: TableInfo
    view: TableView
    columns: list[ColumnPlan]
    relationships: list[RelationshipPlan]
    computed_fields: list[ComputedFieldPlan]

    @property
    def text(self) -> str:
        return text(self.name)

    @property
    def meta(self) -> m.Table:
        return self.info.meta

    def column(self, pg_name: str) -> ColumnPlan | None:
        return next((c for c in self.columns if c.column.name == pg_name), None)

    def primary_key(self) -> list[ColumnPlan] | None:
        pk = self.info.table.primary_key
        if pk is None:
            return None
        found = [self.column(c) for c in pk.columns]
        return None if any(c is None for c in found) else [c for c in found if c is not None]


def valid_name(name: str) -> bool:
    return bool(sc.GRAPHQL_NAME.match(name))


def table_gql_name(info: TableInfo) -> str:
    custom = info.meta.configuration.custom_name
    if custom is not None:
        return custom
    name = info.name
    return name.name if name.schema == m.PUBLIC else f"{name.schema}_{name.name}"


def function_arg_name(fn: cat.Function, index: int) -> str:
    """Hasura's name for an input argument: its own, else ``arg_<n>`` by unnamed position."""
    arg = fn.args[index]
    if arg.name:
        return arg.name
    unnamed = [i for i, a in enumerate(fn.args) if a in fn.input_args and not a.name]
    return f"arg_{unnamed.index(index) + 1}"


def _enum_target(
    cache: SchemaCache, table: cat.Table, column: str, enums: Mapping[cat.QualifiedName, object]
) -> cat.QualifiedName | None:
    for fk in table.foreign_keys:
        if fk.columns != (column,) or fk.referenced_table not in enums:
            continue
        target = cache.tables.get(fk.referenced_table)
        pk = None if target is None or not target.meta.is_enum else target.table.primary_key
        if pk is not None and pk.columns == fk.referenced_columns:
            return fk.referenced_table
    return None


def _columns(
    cache: SchemaCache, info: TableInfo, view: TableView, enums: Mapping[cat.QualifiedName, object]
) -> list[ColumnPlan]:
    config = info.meta.configuration.column_config
    out: list[ColumnPlan] = []
    for column in info.table.columns.values():
        if column.name not in view.columns:
            continue
        cfg = config.get(column.name)
        name = cfg.custom_name if cfg is not None and cfg.custom_name else column.name
        scalar = sc.of_type(column.type)
        if not valid_name(name) or not valid_name(scalar.name):
            continue
        description = cfg.comment if cfg is not None and cfg.comment is not None else column.comment
        enum = _enum_target(cache, info.table, column.name, enums)
        out.append(ColumnPlan(name, column, scalar, enum, description or None))
    return out


def _computed_field(cf: ComputedFieldInfo) -> ComputedFieldPlan:
    fn = cf.function
    table_arg = cf.table_argument
    implicit = {cf.session_argument}
    user: list[tuple[int, str]] = []
    inputs = [i for i, a in enumerate(fn.args) if a in fn.input_args]
    for position, index in enumerate(inputs):
        arg = fn.args[index]
        is_table = arg.name == table_arg if table_arg is not None else position == 0
        if is_table or (arg.name is not None and arg.name in implicit):
            continue
        user.append((index, function_arg_name(fn, index)))
    returns_table = fn.return_table if fn.returns_set else None
    scalar = None if fn.return_table is not None else sc.of_type(fn.return_type)
    return ComputedFieldPlan(cf.name, cf, tuple(user), returns_table, scalar)


def _object_nullable(info: TableInfo, rel: RelationshipInfo) -> bool:
    using = rel.meta.using
    if not isinstance(using, m.ForeignKeyUsing) or using.table is not None:
        return True
    return any(info.table.columns[local].nullable for local, _ in rel.mapping if local in info.table.columns)


def plan_tables(
    cache: SchemaCache, view: RoleView, enum_values: Mapping[cat.QualifiedName, Sequence[EnumValue]]
) -> dict[cat.QualifiedName, TablePlan]:
    plans: dict[cat.QualifiedName, TablePlan] = {}
    for name, info in cache.tables.items():
        table_view = view.table(name)
        gql = table_gql_name(info)
        if table_view is None or not valid_name(gql):
            continue
        columns = _columns(cache, info, table_view, enum_values)
        plans[name] = TablePlan(name, gql, info, table_view, columns, [], [])
    for plan in plans.values():
        if not plan.view.selectable:
            continue  # insert-only: no object type, so nothing to reach through it
        taken = {c.name for c in plan.columns}
        for rel in plan.info.relationships.values():
            remote = plans.get(rel.remote_table)
            if remote is None or not remote.view.selectable or not valid_name(rel.name) or rel.name in taken:
                continue
            taken.add(rel.name)
            nullable = rel.kind == "array" or _object_nullable(plan.info, rel)
            plan.relationships.append(RelationshipPlan(rel.name, rel, nullable))
        for cf in plan.info.computed_fields.values():
            if cf.name not in plan.view.computed_fields or not valid_name(cf.name) or cf.name in taken:
                continue
            planned = _computed_field(cf)
            if planned.returns_table is not None and (
                planned.returns_table not in plans or not plans[planned.returns_table].view.selectable
            ):
                continue
            if planned.returns_table is None and (planned.scalar is None or not valid_name(planned.scalar.name)):
                continue
            taken.add(cf.name)
            plan.computed_fields.append(planned)
    return plans
