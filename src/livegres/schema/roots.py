"""Root fields: ``<t>``, ``<t>_by_pk``, ``<t>_aggregate`` (query and subscription),
``<t>_stream`` (subscription only), and tracked functions ``<fn>`` / ``<fn>_aggregate``.

Names and descriptions follow Hasura's ``Schema/Build.hs`` and ``Instances/Schema.hs``;
``custom_root_fields`` rename a root field and may set its description (``""``: none).
A function is a query field when it is exposed as a query, or, not exposed at all, is not
VOLATILE (a VOLATILE function is a mutation by default).
"""

from __future__ import annotations

from collections.abc import Callable

from graphql import GraphQLArgument, GraphQLField, GraphQLInputField, GraphQLInt, GraphQLList, GraphQLNonNull

from livegres import catalog as cat
from livegres.metadata import model as m
from livegres.metadata.resolve import FunctionInfo, text
from livegres.schema import inputs, objects
from livegres.schema import lookup as lk
from livegres.schema.context import Context
from livegres.schema.model import TablePlan, function_arg_name, valid_name

RootFields = dict[str, tuple[GraphQLField, lk.FieldRef]]


def _root_name(plan: TablePlan, key: str, default: str) -> tuple[str, str | None]:
    """(field name, description) of a table root field, with ``custom_root_fields`` applied."""
    custom: m.RootField | None = getattr(plan.meta.configuration.custom_root_fields, key)
    name = custom.name if custom is not None and custom.name else default
    if custom is not None and custom.comment is not None:
        return name, custom.comment or None
    descriptions = {
        "select": f'fetch data from the table: "{plan.text}"',
        "select_by_pk": f'fetch data from the table: "{plan.text}" using primary key columns',
        "select_aggregate": f'fetch aggregated fields from the table: "{plan.text}"',
        "select_stream": f'fetch data from the table in a streaming manner: "{plan.text}"',
    }
    return name, descriptions[key]


def _by_pk(ctx: Context, plan: TablePlan) -> GraphQLField | None:
    pk = plan.primary_key()
    if not pk:
        return None
    args = {c.name: GraphQLArgument(GraphQLNonNull(ctx.value_type(c)), description=c.description) for c in pk}
    return GraphQLField(objects.table_object(ctx, plan), args=args)


def table_roots(ctx: Context, plan: TablePlan, subscription: bool) -> RootFields:
    allowed: Callable[[str], bool] = plan.view.allows_subscription_root if subscription else plan.view.allows_query_root
    out: RootFields = {}
    if not plan.columns and not plan.relationships and not plan.computed_fields:
        return out

    def add(key: str, default: str, make: Callable[[], GraphQLField | None]) -> None:
        if not allowed(key):
            return
        name, description = _root_name(plan, key, default)
        made = make()
        if made is not None and valid_name(name):
            made.description = description
            out[name] = (made, lk.TableRoot(key, plan.name))  # type: ignore[arg-type]

    rows = GraphQLNonNull(GraphQLList(GraphQLNonNull(objects.table_object(ctx, plan))))
    add("select", plan.gql, lambda: GraphQLField(rows, args=inputs.table_args(ctx, plan)))
    add("select_by_pk", f"{plan.gql}_by_pk", lambda: _by_pk(ctx, plan))
    if plan.view.allow_aggregations:
        aggregate = GraphQLNonNull(objects.aggregate_object(ctx, plan))
        add(
            "select_aggregate",
            f"{plan.gql}_aggregate",
            lambda: GraphQLField(aggregate, args=inputs.table_args(ctx, plan)),
        )
    if subscription and plan.columns:

        def stream() -> GraphQLField:
            cursor = GraphQLNonNull(GraphQLList(inputs.stream_cursor_input(ctx, plan)))
            args = {
                "batch_size": GraphQLArgument(
                    GraphQLNonNull(GraphQLInt), description="maximum number of rows returned in a single batch"
                ),
                "cursor": GraphQLArgument(cursor, description="cursor to stream the results returned by the query"),
                "where": GraphQLArgument(inputs.bool_exp(ctx, plan), description="filter the rows returned"),
            }
            return GraphQLField(rows, args=args)

        add("select_stream", f"{plan.gql}_stream", stream)
    return out


def function_gql_name(fn: FunctionInfo) -> str:
    custom = fn.meta.configuration.custom_name
    if custom is not None:
        return custom
    name = fn.name
    return name.name if name.schema == m.PUBLIC else f"{name.schema}_{name.name}"


def is_query_function(fn: FunctionInfo) -> bool:
    exposed = fn.meta.configuration.exposed_as
    if exposed is not None:
        return exposed == "query"
    return fn.function.volatility is not cat.Volatility.VOLATILE


def _function_args(ctx: Context, fn: FunctionInfo, gql: str) -> dict[str, GraphQLArgument]:
    function = fn.function
    session = fn.meta.configuration.session_argument
    user = [
        (i, function_arg_name(function, i))
        for i, a in enumerate(function.args)
        if a in function.input_args and (a.name is None or a.name != session)
    ]
    if not user:
        return {}
    refs: dict[str, lk.FieldRef] = {arg: lk.FunctionArgument(function, i) for i, arg in user}
    args_type = ctx.reg.input(
        f"{gql}_args",
        lambda: {arg: GraphQLInputField(objects.argument_type(ctx, function.args[i].type)) for i, arg in user},
        None,
        refs,
    )
    required = any(not function.args[i].has_default for i, _ in user)
    description = f'input parameters for function "{gql}"'
    return {"args": GraphQLArgument(GraphQLNonNull(args_type) if required else args_type, description=description)}


def function_roots(ctx: Context, fn: FunctionInfo) -> RootFields:
    table = fn.function.return_table
    if table is None or table not in ctx.plans or not is_query_function(fn):
        return {}
    plan = ctx.plan(table)
    gql = function_gql_name(fn)
    if not valid_name(gql):
        return {}
    custom = fn.meta.configuration.custom_root_fields
    args = _function_args(ctx, fn, gql)
    args.update(inputs.table_args(ctx, plan))
    fn_text, table_text = text(fn.name), plan.text
    description = fn.meta.comment or fn.function.comment or f'execute function "{fn_text}" which returns "{table_text}"'
    out: RootFields = {}
    target = objects.table_object(ctx, plan)
    if fn.function.returns_set:
        rows = GraphQLNonNull(GraphQLList(GraphQLNonNull(target)))
        out[custom.function or gql] = (
            GraphQLField(rows, args=args, description=description),
            lk.FunctionRoot(fn, table),
        )
        if plan.view.allow_aggregations:
            aggregate = GraphQLNonNull(objects.aggregate_object(ctx, plan))
            agg_description = (
                f'execute function "{fn_text}" and query aggregates on result of table type "{table_text}"'
            )
            out[custom.function_aggregate or f"{gql}_aggregate"] = (
                GraphQLField(aggregate, args=dict(args), description=agg_description),
                lk.FunctionRoot(fn, table, aggregate=True),
            )
    else:
        out[custom.function or gql] = (
            GraphQLField(target, args=args, description=description),
            lk.FunctionRoot(fn, table),
        )
    return out
