"""Mutation root fields of a table and their input and output types, as Hasura names them.

For a table the role may insert into: ``insert_<t>(objects:, on_conflict:)`` and
``insert_<t>_one(object:, on_conflict:)``, with ``<t>_insert_input`` (columns, and object /
array relationships as ``<r>_obj_rel_insert_input`` / ``<r>_arr_rel_insert_input``),
``<t>_on_conflict``, ``<t>_constraint`` and ``<t>_update_column``; ``update_columns`` lists the
columns of the role's update permission, so an upsert that updates needs one, as in Hasura.
Update: ``update_<t>``, ``update_<t>_by_pk``,
``update_<t>_many`` with ``<t>_set_input``, ``<t>_inc_input`` (numeric columns), the jsonb
operators' inputs, ``<t>_pk_columns_input`` and ``<t>_updates``. Delete: ``delete_<t>``,
``delete_<t>_by_pk``. Many-row fields answer ``<t>_mutation_response``
(``affected_rows``, ``returning``), the others the row itself.

Names and descriptions follow Hasura's ``Schema/Mutation.hs``, ``Schema/Update.hs`` and
``Backends/Postgres/Instances/Schema.hs``; ``custom_root_fields`` rename the root fields.
"""

from __future__ import annotations

from collections.abc import Callable

from graphql import (
    GraphQLArgument,
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLInt,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLString,
)

from livegres import catalog as cat
from livegres.metadata import model as m
from livegres.schema import inputs, objects
from livegres.schema import lookup as lk
from livegres.schema import scalars as sc
from livegres.schema.context import Context
from livegres.schema.model import ColumnPlan, RelationshipPlan, TablePlan, valid_name
from livegres.schema.roots import RootFields

_JSONB_OPS = {
    "_append": ("append", "append existing jsonb value of filtered columns with new jsonb value"),
    "_prepend": ("prepend", "prepend existing jsonb value of filtered columns with new jsonb value"),
    "_delete_key": (
        "delete_key",
        "delete key/value pair or string element. key/value pairs are matched based on their key value",
    ),
    "_delete_elem": (
        "delete_elem",
        "delete the array element with specified index (negative integers count from the end). "
        "throws an error if top level container is not an array",
    ),
    "_delete_at_path": (
        "delete_at_path",
        "delete the field or element with specified path (for JSON arrays, negative integers count from the end)",
    ),
}


def _f(t: object, description: str | None = None) -> GraphQLInputField:
    return GraphQLInputField(t, description=description)  # type: ignore[arg-type]


def _name(plan: TablePlan, key: str, default: str) -> tuple[str, str | None]:
    custom: m.RootField | None = getattr(plan.meta.configuration.custom_root_fields, key)
    name = custom.name if custom is not None and custom.name else default
    descriptions = {
        "insert": f'insert data into the table: "{plan.text}"',
        "insert_one": f'insert a single row into the table: "{plan.text}"',
        "update": f'update data of the table: "{plan.text}"',
        "update_by_pk": f'update single row of the table: "{plan.text}"',
        "update_many": f'update multiples rows of table: "{plan.text}"',
        "delete": f'delete data from the table: "{plan.text}"',
        "delete_by_pk": f'delete single row from the table: "{plan.text}"',
    }
    if custom is not None and custom.comment is not None:
        return name, custom.comment or None
    return name, descriptions[key]


def _columns(plan: TablePlan, allowed: frozenset[str] | None) -> list[ColumnPlan]:
    """The columns of ``allowed`` (selectable or not) that can be written, in table order."""
    config = plan.meta.configuration.column_config
    out: list[ColumnPlan] = []
    for column in plan.info.table.columns.values():
        if allowed is None or column.name not in allowed or column.generated is not None or _always(column):
            continue
        found = plan.column(column.name)
        if found is None:
            cfg = config.get(column.name)
            name = cfg.custom_name if cfg is not None and cfg.custom_name else column.name
            found = ColumnPlan(name, column, sc.of_type(column.type))
        if valid_name(found.name) and valid_name(found.scalar.name):
            out.append(found)
    return out


def _always(column: cat.Column) -> bool:
    return column.identity is cat.Identity.ALWAYS


def _insertable(plan: TablePlan) -> list[ColumnPlan]:
    return _columns(plan, plan.view.insert_columns)


def _updatable(plan: TablePlan) -> list[ColumnPlan]:
    return _columns(plan, plan.view.update_columns)


def mutation_response(ctx: Context, plan: TablePlan) -> GraphQLObjectType:
    """``affected_rows`` and ``returning`` (not for a table the role may not select from)."""
    name = f"{plan.gql}_mutation_response"
    refs: dict[str, lk.FieldRef] = {"affected_rows": lk.MutationResponse(plan.name, "affected_rows")}
    if plan.view.selectable:
        refs["returning"] = lk.MutationResponse(plan.name, "returning")

    def fields() -> dict[str, GraphQLField]:
        out = {
            "affected_rows": GraphQLField(
                GraphQLNonNull(GraphQLInt), description="number of rows affected by the mutation"
            )
        }
        if plan.view.selectable:
            out["returning"] = GraphQLField(
                GraphQLNonNull(GraphQLList(GraphQLNonNull(objects.table_object(ctx, plan)))),
                description="data from the rows affected by the mutation",
            )
        return out

    ctx.reg.note_type(name, lk.TypeRef(plan.name, "mutation"))
    return ctx.reg.object(name, fields, f'response of any mutation on the table "{plan.text}"', refs)


# -- insert -----------------------------------------------------------------------------


def _constraint(ctx: Context, plan: TablePlan) -> GraphQLEnumType | None:
    table = plan.info.table
    keys: list[tuple[str, tuple[str, ...]]] = []
    if table.primary_key is not None:
        keys.append((table.primary_key.name, table.primary_key.columns))
    keys += [(u.name, u.columns) for u in table.unique_constraints if u.is_constraint]
    keys = [(n, cols) for n, cols in keys if valid_name(n)]
    if not keys:
        return None
    values = {
        n: (n, "unique or primary key constraint on columns " + ", ".join(f'"{c}"' for c in cols)) for n, cols in keys
    }
    ctx.reg.note_type(f"{plan.gql}_constraint", lk.TypeRef(plan.name, "mutation"))
    return ctx.reg.enum(f"{plan.gql}_constraint", values, f'unique or primary key constraints on table "{plan.text}"')


def update_column(ctx: Context, plan: TablePlan) -> GraphQLEnumType:
    columns = _updatable(plan)
    values = {c.name: (c.column.name, "column name") for c in columns}
    if not values:
        values = {"_PLACEHOLDER": ("_PLACEHOLDER", "placeholder (do not use)")}
    ctx.reg.note_type(f"{plan.gql}_update_column", lk.TypeRef(plan.name, "mutation"))
    return ctx.reg.enum(f"{plan.gql}_update_column", values, f'update columns of table "{plan.text}"')


def on_conflict(ctx: Context, plan: TablePlan) -> GraphQLInputObjectType | None:
    """``<t>_on_conflict``, for a table with a unique key. Without an update permission
    ``update_columns`` offers only ``_PLACEHOLDER``: the role may upsert with ``DO NOTHING``."""
    constraint = _constraint(ctx, plan)
    if constraint is None:
        return None
    name = f"{plan.gql}_on_conflict"
    ctx.reg.note_type(name, lk.TypeRef(plan.name, "mutation"))
    return ctx.reg.input(
        name,
        lambda: {
            "constraint": _f(GraphQLNonNull(constraint)),
            "update_columns": GraphQLInputField(
                GraphQLNonNull(GraphQLList(GraphQLNonNull(update_column(ctx, plan)))), default_value=[]
            ),
            "where": _f(inputs.bool_exp(ctx, plan)),
        },
        f'on_conflict condition type for table "{plan.text}"',
    )


def insert_input(ctx: Context, plan: TablePlan) -> GraphQLInputObjectType:
    name = f"{plan.gql}_insert_input"
    if isinstance(found := ctx.reg.get(name), GraphQLInputObjectType):
        return found
    columns = _insertable(plan)
    refs: dict[str, lk.FieldRef] = {c.name: lk.ColumnField(plan.name, c.column) for c in columns}
    rels = [r for r in _insert_relationships(ctx, plan) if r.name not in refs]
    refs.update({r.name: lk.RelationshipField(plan.name, r.info) for r in rels})

    def fields() -> dict[str, GraphQLInputField]:
        out = {c.name: _f(ctx.value_type(c), c.description) for c in columns}
        for rel in rels:
            remote = ctx.plan(rel.info.remote_table)
            out[rel.name] = _f(_rel_insert_input(ctx, remote, rel.info.kind))
        return out

    ctx.reg.note_type(name, lk.TypeRef(plan.name, "mutation"))
    return ctx.reg.input(name, fields, f'input type for inserting data into table "{plan.text}"', refs)


def _insert_relationships(ctx: Context, plan: TablePlan) -> list[RelationshipPlan]:
    """The relationships rows can be inserted through: to a table the role may insert into."""
    return [r for r in plan.relationships if _insertable(ctx.plan(r.info.remote_table))]


def _rel_insert_input(ctx: Context, plan: TablePlan, kind: str) -> GraphQLInputObjectType:
    short = "obj" if kind == "object" else "arr"
    name = f"{plan.gql}_{short}_rel_insert_input"

    def fields() -> dict[str, GraphQLInputField]:
        row = GraphQLNonNull(insert_input(ctx, plan))
        data = row if kind == "object" else GraphQLNonNull(GraphQLList(row))
        out = {"data": _f(data)}
        conflict = on_conflict(ctx, plan)
        if conflict is not None:
            out["on_conflict"] = _f(conflict, "upsert condition")
        return out

    ctx.reg.note_type(name, lk.TypeRef(plan.name, "mutation"))
    kind_text = "object" if kind == "object" else "array"
    return ctx.reg.input(name, fields, f'input type for inserting {kind_text} relation for remote table "{plan.text}"')


# -- update -----------------------------------------------------------------------------


def _column_input(
    ctx: Context, plan: TablePlan, suffix: str, columns: list[ColumnPlan], description: str, make: Callable[..., object]
) -> GraphQLInputObjectType | None:
    if not columns:
        return None
    name = f"{plan.gql}_{suffix}_input"
    refs: dict[str, lk.FieldRef] = {c.name: lk.ColumnField(plan.name, c.column) for c in columns}
    ctx.reg.note_type(name, lk.TypeRef(plan.name, "mutation"))
    return ctx.reg.input(name, lambda: {c.name: _f(make(c), c.description) for c in columns}, description, refs)


def update_args(ctx: Context, plan: TablePlan) -> dict[str, GraphQLArgument]:
    """``_set``, ``_inc`` and the jsonb operators, for the role's updatable columns."""
    columns = _updatable(plan)
    out: dict[str, GraphQLArgument] = {}
    set_input = _column_input(
        ctx, plan, "set", columns, f'input type for updating data in table "{plan.text}"', ctx.value_type
    )
    if set_input is not None:
        out["_set"] = GraphQLArgument(
            set_input, description="sets the columns of the filtered rows to the given values"
        )
    numeric = [c for c in columns if c.enum is None and c.scalar.is_numeric]
    inc = _column_input(
        ctx, plan, "inc", numeric, f'input type for incrementing numeric columns in table "{plan.text}"', ctx.value_type
    )
    if inc is not None:
        out["_inc"] = GraphQLArgument(
            inc, description="increments the numeric columns with given value of the filtered values"
        )
    jsonb = [c for c in columns if c.column.type.root.name.name == "jsonb"]
    makers: dict[str, Callable[[ColumnPlan], object]] = {
        "_append": ctx.value_type,
        "_prepend": ctx.value_type,
        "_delete_key": lambda c: GraphQLString,
        "_delete_elem": lambda c: GraphQLInt,
        "_delete_at_path": lambda c: GraphQLList(GraphQLNonNull(GraphQLString)),
    }
    for op, (suffix, description) in _JSONB_OPS.items():
        found = _column_input(ctx, plan, suffix, jsonb, description, makers[op])
        if found is not None:
            out[op] = GraphQLArgument(found, description=description)
    return out


def _pk_columns(ctx: Context, plan: TablePlan) -> GraphQLInputObjectType | None:
    pk = plan.primary_key()
    if not pk:
        return None
    name = f"{plan.gql}_pk_columns_input"
    refs: dict[str, lk.FieldRef] = {c.name: lk.ColumnField(plan.name, c.column) for c in pk}
    ctx.reg.note_type(name, lk.TypeRef(plan.name, "mutation"))
    return ctx.reg.input(
        name,
        lambda: {c.name: _f(GraphQLNonNull(ctx.value_type(c)), c.description) for c in pk},
        f"primary key columns input for table: {plan.text}",
        refs,
    )


def _updates(ctx: Context, plan: TablePlan, args: dict[str, GraphQLArgument]) -> GraphQLInputObjectType:
    name = f"{plan.gql}_updates"

    def fields() -> dict[str, GraphQLInputField]:
        out = {k: _f(a.type, a.description) for k, a in args.items()}
        out["where"] = _f(GraphQLNonNull(inputs.bool_exp(ctx, plan)), "filter the rows which have to be updated")
        return out

    ctx.reg.note_type(name, lk.TypeRef(plan.name, "mutation"))
    return ctx.reg.input(name, fields)


# -- root fields ------------------------------------------------------------------------


def table_mutations(ctx: Context, plan: TablePlan) -> RootFields:
    out: RootFields = {}
    view = plan.view

    def add(key: lk.MutationKind, default: str, made: GraphQLField | None) -> None:
        if made is None:
            return
        name, description = _name(plan, key, default)
        if valid_name(name):
            made.description = description
            out[name] = (made, lk.MutationRoot(key, plan.name))

    if not view.selectable:
        # insert-only: insert_<t> answering affected_rows, no upsert, no single-row field
        if view.insert_columns is not None and _insertable(plan):
            rows = GraphQLNonNull(GraphQLList(GraphQLNonNull(insert_input(ctx, plan))))
            args = {"objects": GraphQLArgument(rows, description="the rows to be inserted")}
            add("insert", f"insert_{plan.gql}", GraphQLField(mutation_response(ctx, plan), args=args))
        return out
    if not plan.columns and not plan.relationships and not plan.computed_fields:
        return out  # no object type to answer with
    row = objects.table_object(ctx, plan)
    by_pk = plan.primary_key()
    if view.insert_columns is not None and (_insertable(plan) or _insert_relationships(ctx, plan)):
        conflict = on_conflict(ctx, plan)
        rows = GraphQLNonNull(GraphQLList(GraphQLNonNull(insert_input(ctx, plan))))
        args = {"objects": GraphQLArgument(rows, description="the rows to be inserted")}
        one = {"object": GraphQLArgument(GraphQLNonNull(insert_input(ctx, plan)), description="the row to be inserted")}
        if conflict is not None:
            args["on_conflict"] = GraphQLArgument(conflict, description="upsert condition")
            one["on_conflict"] = GraphQLArgument(conflict, description="upsert condition")
        add("insert", f"insert_{plan.gql}", GraphQLField(mutation_response(ctx, plan), args=args))
        add("insert_one", f"insert_{plan.gql}_one", GraphQLField(row, args=one))
    if view.update_columns is not None:
        ops = update_args(ctx, plan)
        where = GraphQLArgument(
            GraphQLNonNull(inputs.bool_exp(ctx, plan)), description="filter the rows which have to be updated"
        )
        add("update", f"update_{plan.gql}", GraphQLField(mutation_response(ctx, plan), args={**ops, "where": where}))
        pk_input = _pk_columns(ctx, plan)
        if pk_input is not None:
            pk_arg = GraphQLArgument(GraphQLNonNull(pk_input))
            add("update_by_pk", f"update_{plan.gql}_by_pk", GraphQLField(row, args={**ops, "pk_columns": pk_arg}))
        updates = GraphQLNonNull(GraphQLList(GraphQLNonNull(_updates(ctx, plan, ops))))
        many = GraphQLField(
            GraphQLList(mutation_response(ctx, plan)),
            args={"updates": GraphQLArgument(updates, description="updates to execute, in order")},
        )
        add("update_many", f"update_{plan.gql}_many", many)
    if view.delete:
        where = GraphQLArgument(
            GraphQLNonNull(inputs.bool_exp(ctx, plan)), description="filter the rows which have to be deleted"
        )
        add("delete", f"delete_{plan.gql}", GraphQLField(mutation_response(ctx, plan), args={"where": where}))
        if by_pk:
            pk_args = {
                c.name: GraphQLArgument(GraphQLNonNull(ctx.value_type(c)), description=c.description) for c in by_pk
            }
            add("delete_by_pk", f"delete_{plan.gql}_by_pk", GraphQLField(row, args=pk_args))
    return out
