"""Output types of a table: ``<t>`` (columns, relationships, computed fields) and its
aggregate types ``<t>_aggregate``, ``<t>_aggregate_fields``, ``<t>_<op>_fields``.

Follows Hasura's ``Schema/Select.hs``: a column is non-null when the column is NOT NULL; an
object relationship is non-null only for a foreign key on this table's own NOT NULL columns;
array relationships take the selection arguments and come with ``<rel>_aggregate`` when the
role may aggregate over the target; ``sum`` keeps the column's type and the other numeric
operators give ``Float``; ``max``/``min`` cover the comparable columns.
"""

from __future__ import annotations

from graphql import (
    GraphQLArgument,
    GraphQLBoolean,
    GraphQLField,
    GraphQLFloat,
    GraphQLInputField,
    GraphQLInt,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLString,
)

from livegres import catalog as cat
from livegres.metadata.resolve import text
from livegres.schema import inputs
from livegres.schema import lookup as lk
from livegres.schema import scalars as sc
from livegres.schema.comparison import ValueType
from livegres.schema.context import Context
from livegres.schema.model import ColumnPlan, ComputedFieldPlan, TablePlan

JSON_PATH = GraphQLArgument(GraphQLString, description="JSON select path")


def _table_description(plan: TablePlan) -> str | None:
    comment = plan.meta.configuration.comment
    if comment is None:
        comment = plan.info.table.comment
    if comment is None:
        return f'columns and relationships of "{plan.text}"'
    return comment or None


def _column_field(ctx: Context, column: ColumnPlan) -> GraphQLField:
    path = {"path": JSON_PATH} if column.scalar.is_json else {}
    return GraphQLField(ctx.output_type(column, column.column.nullable), args=path, description=column.description)


def computed_field_args(ctx: Context, plan: TablePlan, cf: ComputedFieldPlan) -> dict[str, GraphQLArgument]:
    if not cf.user_args:
        return {}
    fn = cf.info.function
    name = f"{cf.name}_{plan.gql}_args"
    refs: dict[str, lk.FieldRef] = {arg: lk.FunctionArgument(fn, i) for i, arg in cf.user_args}
    args_type = ctx.reg.input(
        name,
        lambda: {arg: GraphQLInputField(argument_type(ctx, fn.args[i].type)) for i, arg in cf.user_args},
        None,
        refs,
    )
    description = f'input parameters for computed field "{cf.name}" defined on table "{plan.text}"'
    arg_type = GraphQLNonNull(args_type) if cf.args_required else args_type
    return {"args": GraphQLArgument(arg_type, description=description)}


def argument_type(ctx: Context, pg_type: cat.PgType) -> ValueType:
    """A function argument's type: composite arguments are ``<type>_scalar`` (``mkFunctionArgScalarType``)."""
    return ctx.value_type_of(sc.of_type(pg_type))


def _computed_field(ctx: Context, plan: TablePlan, cf: ComputedFieldPlan) -> GraphQLField:
    meta_comment = cf.info.meta.comment
    if meta_comment is None:
        description: str | None = f'A computed field, executes function "{text(cf.info.function.name)}"'
    else:
        description = meta_comment or None
    args = computed_field_args(ctx, plan, cf)
    if cf.returns_table is not None:
        remote = ctx.plan(cf.returns_table)
        args.update(inputs.table_args(ctx, remote))
        rows = GraphQLNonNull(GraphQLList(GraphQLNonNull(table_object(ctx, remote))))
        return GraphQLField(rows, args=args, description=description)
    assert cf.scalar is not None
    if cf.scalar.is_json:
        args["path"] = JSON_PATH
    return GraphQLField(ctx.value_type_of(cf.scalar), args=args, description=description)


def table_object(ctx: Context, plan: TablePlan) -> GraphQLObjectType:
    name = plan.gql
    if isinstance(found := ctx.reg.get(name), GraphQLObjectType):
        return found
    refs: dict[str, lk.FieldRef] = {c.name: lk.ColumnField(plan.name, c.column) for c in plan.columns}
    for rel in plan.relationships:
        refs[rel.name] = lk.RelationshipField(plan.name, rel.info)
        if rel.info.kind == "array" and ctx.plan(rel.info.remote_table).view.allow_aggregations:
            refs[f"{rel.name}_aggregate"] = lk.RelationshipField(plan.name, rel.info, aggregate=True)
    for cf in plan.computed_fields:
        refs[cf.name] = lk.ComputedField(plan.name, cf.info, cf.returns_table)

    def fields() -> dict[str, GraphQLField]:
        out = {c.name: _column_field(ctx, c) for c in plan.columns}
        for rel in plan.relationships:
            remote = ctx.plan(rel.info.remote_table)
            target = table_object(ctx, remote)
            if rel.info.kind == "object":
                rel_type: GraphQLOutputType = target if rel.nullable else GraphQLNonNull(target)
                out[rel.name] = GraphQLField(rel_type, description="An object relationship")
                continue
            args = inputs.table_args(ctx, remote)
            rows = GraphQLNonNull(GraphQLList(GraphQLNonNull(target)))
            out[rel.name] = GraphQLField(rows, args=args, description="An array relationship")
            if f"{rel.name}_aggregate" in refs:
                aggregate = GraphQLNonNull(aggregate_object(ctx, remote))
                out[f"{rel.name}_aggregate"] = GraphQLField(
                    aggregate, args=args, description="An aggregate relationship"
                )
        for cf in plan.computed_fields:
            out[cf.name] = _computed_field(ctx, plan, cf)
        return out

    ctx.reg.note_type(name, lk.TypeRef(plan.name, "object"))
    return ctx.reg.object(name, fields, _table_description(plan), refs)


def _op_fields(ctx: Context, plan: TablePlan, op: lk.AggregateOp, columns: list[ColumnPlan]) -> GraphQLObjectType:
    name = f"{plan.gql}_{op}_fields"
    refs: dict[str, lk.FieldRef] = {c.name: lk.AggregateColumn(plan.name, op, c.column) for c in columns}

    def field(column: ColumnPlan) -> GraphQLField:
        if op in ("sum", "max", "min"):
            return GraphQLField(ctx.output_type(column, True), description=column.description)
        return GraphQLField(GraphQLFloat, description=column.description)

    ctx.reg.note_type(name, lk.TypeRef(plan.name, "aggregate_op_fields"))
    return ctx.reg.object(name, lambda: {c.name: field(c) for c in columns}, f"aggregate {op} on columns", refs)


def aggregate_fields(ctx: Context, plan: TablePlan) -> GraphQLObjectType:
    name = f"{plan.gql}_aggregate_fields"
    ops: list[tuple[lk.AggregateOp, list[ColumnPlan]]] = []
    numeric, comparable = inputs.numeric_columns(plan), inputs.comparable_columns(plan)
    if numeric:
        ops.extend((op, numeric) for op in lk.NUMERIC_OPS)
    if comparable:
        ops.extend((op, comparable) for op in lk.COMPARISON_OPS)
    refs: dict[str, lk.FieldRef] = {op: lk.AggregateFunction(plan.name, op) for op, _ in ops}
    refs["count"] = lk.AggregateFunction(plan.name, "count")

    def fields() -> dict[str, GraphQLField]:
        count_args = {"distinct": GraphQLArgument(GraphQLBoolean)}
        columns = inputs.select_column(ctx, plan)
        if columns is not None:
            count_args["columns"] = GraphQLArgument(GraphQLList(GraphQLNonNull(columns)))
        out = {"count": GraphQLField(GraphQLNonNull(GraphQLInt), args=count_args)}
        out.update({op: GraphQLField(_op_fields(ctx, plan, op, cols)) for op, cols in ops})
        return out

    ctx.reg.note_type(name, lk.TypeRef(plan.name, "aggregate_fields"))
    return ctx.reg.object(name, fields, f'aggregate fields of "{plan.text}"', refs)


def aggregate_object(ctx: Context, plan: TablePlan) -> GraphQLObjectType:
    name = f"{plan.gql}_aggregate"
    refs: dict[str, lk.FieldRef] = {
        "aggregate": lk.AggregateSelection(plan.name, "aggregate"),
        "nodes": lk.AggregateSelection(plan.name, "nodes"),
    }
    ctx.reg.note_type(name, lk.TypeRef(plan.name, "aggregate"))
    return ctx.reg.object(
        name,
        lambda: {
            "aggregate": GraphQLField(aggregate_fields(ctx, plan)),
            "nodes": GraphQLField(GraphQLNonNull(GraphQLList(GraphQLNonNull(table_object(ctx, plan))))),
        },
        f'aggregated selection of "{plan.text}"',
        refs,
    )
