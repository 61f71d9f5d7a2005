"""Input types of a table: ``<t>_bool_exp``, ``<t>_order_by``, ``<t>_select_column``,
``<t>_aggregate_order_by``, ``<t>_aggregate_bool_exp`` and the streaming cursor inputs, plus
the selection arguments (``distinct_on``, ``limit``, ``offset``, ``order_by``, ``where``).

Names and descriptions are Hasura's (``Schema/BoolExp.hs``, ``Schema/OrderBy.hs``,
``Schema/Table.hs``, ``Schema/BoolExp/AggregationPredicates.hs``, ``SubscriptionStream.hs``).
"""

from __future__ import annotations

from graphql import (
    GraphQLArgument,
    GraphQLBoolean,
    GraphQLEnumType,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLInt,
    GraphQLList,
    GraphQLNonNull,
)

from livegres.schema import lookup as lk
from livegres.schema import scalars as sc
from livegres.schema.context import Context
from livegres.schema.model import ColumnPlan, TablePlan

ORDER_BY_VALUES = {
    "asc": "in ascending order, nulls last",
    "asc_nulls_first": "in ascending order, nulls first",
    "asc_nulls_last": "in ascending order, nulls last",
    "desc": "in descending order, nulls first",
    "desc_nulls_first": "in descending order, nulls first",
    "desc_nulls_last": "in descending order, nulls last",
}

# Hasura's Postgres aggregation predicates: name -> (argument type, return type, argument names).
_PREDICATES: dict[str, tuple[str | None, sc.Scalar, tuple[str, ...]]] = {
    "avg": ("float8", sc.FLOAT8, ()),
    "bool_and": ("boolean", sc.BOOLEAN, ()),
    "bool_or": ("boolean", sc.BOOLEAN, ()),
    "count": (None, sc.INT, ()),
    "max": ("float8", sc.FLOAT8, ()),
    "min": ("float8", sc.FLOAT8, ()),
    "sum": ("float8", sc.FLOAT8, ()),
    "corr": ("float8", sc.FLOAT8, ("Y", "X")),
    "covar_samp": ("float8", sc.FLOAT8, ("Y", "X")),
    "stddev_samp": ("float8", sc.FLOAT8, ()),
    "var_samp": ("float8", sc.FLOAT8, ()),
}


def _f(t: object, description: str | None = None) -> GraphQLInputField:
    return GraphQLInputField(t, description=description)  # type: ignore[arg-type]


def order_by_enum(ctx: Context) -> GraphQLEnumType:
    values = {name: (name, desc) for name, desc in ORDER_BY_VALUES.items()}
    return ctx.reg.enum("order_by", values, "column ordering options")


def numeric_columns(plan: TablePlan) -> list[ColumnPlan]:
    return [c for c in plan.columns if c.enum is None and c.scalar.is_numeric]


def comparable_columns(plan: TablePlan) -> list[ColumnPlan]:
    return [c for c in plan.columns if c.enum is None and c.scalar.is_comparable]


def select_column(ctx: Context, plan: TablePlan) -> GraphQLEnumType | None:
    if not plan.columns:
        return None
    name = f"{plan.gql}_select_column"
    ctx.reg.note_type(name, lk.TypeRef(plan.name, "select_column"))
    values = {c.name: (c.column.name, "column name") for c in plan.columns}
    return ctx.reg.enum(name, values, f'select columns of table "{plan.text}"')


def bool_exp(ctx: Context, plan: TablePlan) -> GraphQLInputObjectType:
    name = f"{plan.gql}_bool_exp"
    if isinstance(found := ctx.reg.get(name), GraphQLInputObjectType):
        return found
    refs: dict[str, lk.FieldRef] = {op: lk.Connective(plan.name, op) for op in ("_and", "_or", "_not")}
    refs.update({c.name: lk.ColumnField(plan.name, c.column) for c in plan.columns})
    for rel in plan.relationships:
        refs[rel.name] = lk.RelationshipField(plan.name, rel.info)
        if rel.info.kind == "array" and aggregate_bool_exp(ctx, ctx.plan(rel.info.remote_table)) is not None:
            refs[f"{rel.name}_aggregate"] = lk.RelationshipField(plan.name, rel.info, aggregate=True)
    for cf in plan.computed_fields:
        if not cf.user_args:
            refs[cf.name] = lk.ComputedField(plan.name, cf.info, cf.returns_table)

    def fields() -> dict[str, GraphQLInputField]:
        this = ctx.reg.types[name]
        assert isinstance(this, GraphQLInputObjectType)
        out: dict[str, GraphQLInputField] = {
            "_and": _f(GraphQLList(GraphQLNonNull(this))),
            "_or": _f(GraphQLList(GraphQLNonNull(this))),
            "_not": _f(this),
        }
        for column in plan.columns:
            out[column.name] = _f(ctx.comparison(column))
        for rel in plan.relationships:
            remote = ctx.plan(rel.info.remote_table)
            out[rel.name] = _f(bool_exp(ctx, remote))
            if f"{rel.name}_aggregate" in refs:
                out[f"{rel.name}_aggregate"] = _f(aggregate_bool_exp(ctx, remote))
        for cf in plan.computed_fields:
            if cf.user_args:
                continue
            if cf.returns_table is not None:
                out[cf.name] = _f(bool_exp(ctx, ctx.plan(cf.returns_table)))
            elif cf.scalar is not None:
                out[cf.name] = _f(ctx.comparison_of(cf.scalar))
        return out

    ctx.reg.note_type(name, lk.TypeRef(plan.name, "bool_exp"))
    description = (
        f'Boolean expression to filter rows from the table "{plan.text}". '
        "All fields are combined with a logical 'AND'."
    )
    return ctx.reg.input(name, fields, description, refs)


def order_by(ctx: Context, plan: TablePlan) -> GraphQLInputObjectType:
    name = f"{plan.gql}_order_by"
    if isinstance(found := ctx.reg.get(name), GraphQLInputObjectType):
        return found
    refs: dict[str, lk.FieldRef] = {c.name: lk.ColumnField(plan.name, c.column) for c in plan.columns}
    for rel in plan.relationships:
        remote = ctx.plan(rel.info.remote_table)
        if rel.info.kind == "object":
            refs[rel.name] = lk.RelationshipField(plan.name, rel.info)
        elif remote.view.allow_aggregations:
            refs[f"{rel.name}_aggregate"] = lk.RelationshipField(plan.name, rel.info, aggregate=True)
    for cf in plan.computed_fields:
        if cf.user_args:
            continue
        if cf.returns_table is None:
            refs[cf.name] = lk.ComputedField(plan.name, cf.info)
        elif ctx.plan(cf.returns_table).view.allow_aggregations:
            refs[f"{cf.name}_aggregate"] = lk.ComputedField(plan.name, cf.info, cf.returns_table)

    def fields() -> dict[str, GraphQLInputField]:
        enum = order_by_enum(ctx)
        out: dict[str, GraphQLInputField] = {c.name: _f(enum) for c in plan.columns}
        for field_name, ref in refs.items():
            if isinstance(ref, lk.RelationshipField):
                remote = ctx.plan(ref.relationship.remote_table)
                target = aggregate_order_by(ctx, remote) if ref.aggregate else order_by(ctx, remote)
                out[field_name] = _f(target)
            elif isinstance(ref, lk.ComputedField):
                table = ref.returns_table
                out[field_name] = _f(enum if table is None else aggregate_order_by(ctx, ctx.plan(table)))
        return out

    ctx.reg.note_type(name, lk.TypeRef(plan.name, "order_by"))
    return ctx.reg.input(name, fields, f'Ordering options when selecting data from "{plan.text}".', refs)


def aggregate_order_by(ctx: Context, plan: TablePlan) -> GraphQLInputObjectType:
    name = f"{plan.gql}_aggregate_order_by"
    if isinstance(found := ctx.reg.get(name), GraphQLInputObjectType):
        return found
    ops: list[tuple[lk.AggregateOp, list[ColumnPlan]]] = []
    numeric, comparable = numeric_columns(plan), comparable_columns(plan)
    if numeric:
        ops.extend((op, numeric) for op in lk.NUMERIC_OPS)
    if comparable:
        ops.extend((op, comparable) for op in lk.COMPARISON_OPS)
    refs: dict[str, lk.FieldRef] = {op: lk.AggregateFunction(plan.name, op) for op, _ in ops}
    refs["count"] = lk.AggregateFunction(plan.name, "count")

    def op_type(op: lk.AggregateOp, columns: list[ColumnPlan]) -> GraphQLInputObjectType:
        op_name = f"{plan.gql}_{op}_order_by"
        enum = order_by_enum(ctx)
        op_refs = {c.name: lk.AggregateColumn(plan.name, op, c.column) for c in columns}
        ctx.reg.note_type(op_name, lk.TypeRef(plan.name, "aggregate_op_order_by"))
        description = f'order by {op}() on columns of table "{plan.text}"'
        return ctx.reg.input(op_name, lambda: {c.name: _f(enum) for c in columns}, description, op_refs)

    def fields() -> dict[str, GraphQLInputField]:
        out: dict[str, GraphQLInputField] = {op: _f(op_type(op, columns)) for op, columns in ops}
        out["count"] = _f(order_by_enum(ctx))
        return out

    ctx.reg.note_type(name, lk.TypeRef(plan.name, "aggregate_order_by"))
    return ctx.reg.input(name, fields, f'order by aggregate values of table "{plan.text}"', refs)


def _arguments_enum(ctx: Context, plan: TablePlan, function: str, pg_type: str) -> GraphQLEnumType | None:
    columns = [c for c in plan.columns if c.enum is None and c.scalar.known(pg_type)]
    if not columns:
        return None
    identifier = f"{plan.gql}_aggregate_bool_exp_{function}_arguments_columns"
    name = f"{plan.gql}_select_column_{identifier}"
    values = {c.name: (c.column.name, "column name") for c in columns}
    ctx.reg.note_type(name, lk.TypeRef(plan.name, "select_column"))
    return ctx.reg.enum(name, values, f'select "{identifier}" columns of table "{plan.text}"')


def _predicate(ctx: Context, plan: TablePlan, function: str) -> GraphQLInputObjectType | None:
    pg_type, returns, arg_names = _PREDICATES[function]
    arguments: object
    if pg_type is None:
        columns = select_column(ctx, plan)
        if columns is None:
            return None
        arguments = GraphQLList(GraphQLNonNull(columns))
    else:
        enum = _arguments_enum(ctx, plan, function, pg_type)
        if enum is None:
            return None
        if arg_names:
            args_name = f"{plan.gql}_aggregate_bool_exp_{function}_arguments"
            arguments = GraphQLNonNull(
                ctx.reg.input(args_name, lambda: {a: _f(GraphQLNonNull(enum)) for a in arg_names})
            )
        else:
            arguments = GraphQLNonNull(enum)
    name = f"{plan.gql}_aggregate_bool_exp_{function}"

    def fields() -> dict[str, GraphQLInputField]:
        return {
            "arguments": _f(arguments),
            "distinct": _f(GraphQLBoolean),
            "filter": _f(bool_exp(ctx, plan)),
            "predicate": _f(GraphQLNonNull(ctx.comparison_of(returns))),
        }

    ctx.reg.note_type(name, lk.TypeRef(plan.name, "aggregate_predicate"))
    return ctx.reg.input(name, fields)


def aggregate_bool_exp(ctx: Context, plan: TablePlan) -> GraphQLInputObjectType | None:
    """``<t>_aggregate_bool_exp``, or None when the role may not aggregate over ``plan``."""
    name = f"{plan.gql}_aggregate_bool_exp"
    found = ctx.reg.get(name)
    if isinstance(found, GraphQLInputObjectType):
        return found
    if not plan.view.allow_aggregations:
        return None
    predicates = {fn: t for fn in _PREDICATES if (t := _predicate(ctx, plan, fn)) is not None}
    if not predicates:
        return None
    refs: dict[str, lk.FieldRef] = {fn: lk.AggregatePredicate(plan.name, fn) for fn in predicates}
    ctx.reg.note_type(name, lk.TypeRef(plan.name, "aggregate_bool_exp"))
    return ctx.reg.input(name, lambda: {fn: _f(t) for fn, t in predicates.items()}, None, refs)


def stream_cursor_input(ctx: Context, plan: TablePlan) -> GraphQLInputObjectType:
    value_name = f"{plan.gql}_stream_cursor_value_input"
    value_refs: dict[str, lk.FieldRef] = {c.name: lk.ColumnField(plan.name, c.column) for c in plan.columns}
    ctx.reg.note_type(value_name, lk.TypeRef(plan.name, "stream_cursor_value_input"))
    value = ctx.reg.input(
        value_name,
        lambda: {c.name: _f(ctx.value_type(c)) for c in plan.columns},
        "Initial value of the column from where the streaming should start",
        value_refs,
    )
    ordering = ctx.reg.enum(
        "cursor_ordering",
        {"ASC": ("ASC", "ascending ordering of the cursor"), "DESC": ("DESC", "descending ordering of the cursor")},
        "ordering argument of a cursor",
    )
    name = f"{plan.gql}_stream_cursor_input"
    refs: dict[str, lk.FieldRef] = {
        "initial_value": lk.StreamCursor(plan.name, "initial_value"),
        "ordering": lk.StreamCursor(plan.name, "ordering"),
    }
    ctx.reg.note_type(name, lk.TypeRef(plan.name, "stream_cursor_input"))
    return ctx.reg.input(
        name,
        lambda: {
            "initial_value": _f(GraphQLNonNull(value), "Stream column input with initial value"),
            "ordering": _f(ordering, "cursor ordering"),
        },
        f'Streaming cursor of the table "{plan.text}"',
        refs,
    )


def table_args(ctx: Context, plan: TablePlan) -> dict[str, GraphQLArgument]:
    """``distinct_on``, ``limit``, ``offset``, ``order_by``, ``where`` of a table selection."""
    out = {
        "limit": GraphQLArgument(GraphQLInt, description="limit the number of rows returned"),
        "offset": GraphQLArgument(GraphQLInt, description="skip the first n rows. Use only with order_by"),
        "order_by": GraphQLArgument(
            GraphQLList(GraphQLNonNull(order_by(ctx, plan))), description="sort the rows by one or more columns"
        ),
        "where": GraphQLArgument(bool_exp(ctx, plan), description="filter the rows returned"),
    }
    columns = select_column(ctx, plan)
    if columns is not None:
        out["distinct_on"] = GraphQLArgument(
            GraphQLList(GraphQLNonNull(columns)), description="distinct select on columns"
        )
    return out
