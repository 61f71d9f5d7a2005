"""Tracking tables and configuring them: track/untrack, customization, enum tables."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from livegres.metadata import model as m
from livegres.metadata.commands.base import SUCCESS, Context, command
from livegres.metadata.commands.dependencies import dependents_of_table, drop_dependents, report
from livegres.metadata.resolve import qn


def _track_args(ctx: Context, args: Any, *, v2: bool) -> tuple[str, m.QualifiedName, bool, m.TableConfiguration]:
    """Hasura's TrackTable: ``{table, source?, is_enum?, configuration?}`` or just a table name."""
    if isinstance(args, dict) and "table" in args:
        source = ctx.source_name(args)
        table = ctx.table_name(args["table"], "table")
        is_enum = ctx.boolean(args, "is_enum", False)
        configuration = m.TableConfiguration()
        if v2 and args.get("configuration") is not None:
            configuration = m._table_configuration(args["configuration"], (*ctx.parse_path, "configuration"))
        return source, table, is_enum, configuration
    return m.DEFAULT_SOURCE, ctx.table_name(args), False, m.TableConfiguration()


async def _track(ctx: Context, args: Any, *, v2: bool) -> Any:
    source_name, table, is_enum, configuration = _track_args(ctx, args, v2=v2)
    source = ctx.source(source_name)
    if source.table(table) is not None:
        raise ctx.error("already-tracked", f'view/table already tracked : "{table}"')
    if source.function(table) is not None:
        raise ctx.error("not-supported", f'function with name "{table}" already exists', status=400)
    if ctx.catalog.tables.get(qn(table)) is None:
        reason = f'Inconsistent object: no such table/view exists in source: "{table}"'
        raise ctx.error(
            "invalid-configuration",
            reason,
            internal=[
                {
                    "definition": table.to_json(),
                    "name": f"table {table} in source {source_name}",
                    "reason": reason,
                    "type": "table",
                }
            ],
        )
    entry = m.Table(table=table, is_enum=is_enum, configuration=configuration)
    ctx.set_metadata(ctx.metadata.with_source(source.with_table(entry)))
    return SUCCESS


@command(metadata=("pg_track_table",), query=("add_existing_table_or_view",))
async def track_table_v2(ctx: Context, args: Any) -> Any:
    return await _track(ctx, args, v2=True)


@command(query=("track_table",))
async def track_table(ctx: Context, args: Any) -> Any:
    return await _track(ctx, args, v2=False)


@command(query=("track_table_v2",))
async def track_table_version_2(ctx: Context, args: Any) -> Any:
    return await _track(ctx, args, v2=True)


@command(metadata=("pg_untrack_table",), query=("untrack_table",))
async def untrack_table(ctx: Context, args: Any) -> Any:
    args = ctx.obj(args)
    source = ctx.source(ctx.source_name(args))
    table = ctx.table_name(ctx.required(args, "table"), "table")
    cascade = ctx.boolean(args, "cascade", False)
    if source.table(table) is None:
        raise ctx.error("already-untracked", f'view/table already untracked : "{table}"')
    dependents = dependents_of_table(ctx.cache(), table)
    if dependents and not cascade:
        raise ctx.error(
            "dependency-error", f"cannot drop due to the following dependent objects : {report(dependents)}"
        )
    source = drop_dependents(source, dependents).without_table(table)
    ctx.set_metadata(ctx.metadata.with_source(source))
    return SUCCESS


@command(metadata=("pg_set_table_customization",), query=("set_table_customization", "set_table_configuration"))
async def set_table_customization(ctx: Context, args: Any) -> Any:
    args = ctx.obj(args)
    source = ctx.source(ctx.source_name(args))
    table = ctx.tracked(ctx.table_name(ctx.required(args, "table"), "table"), source.name)
    configuration = m._table_configuration(args.get("configuration", {}), (*ctx.parse_path, "configuration"))
    ctx.set_metadata(ctx.metadata.with_source(source.with_table(replace(table, configuration=configuration))))
    return SUCCESS


@command(query=("set_table_custom_fields",))
async def set_table_custom_fields(ctx: Context, args: Any) -> Any:
    args = ctx.obj(args)
    source = ctx.source(ctx.source_name(args))
    table = ctx.tracked(ctx.table_name(ctx.required(args, "table"), "table"), source.name)
    configuration = m._table_configuration(
        {
            "custom_root_fields": args.get("custom_root_fields") or {},
            "custom_column_names": args.get("custom_column_names") or {},
        },
        ctx.parse_path,
    )
    ctx.set_metadata(ctx.metadata.with_source(source.with_table(replace(table, configuration=configuration))))
    return SUCCESS


@command(metadata=("pg_set_table_is_enum",), query=("set_table_is_enum",))
async def set_table_is_enum(ctx: Context, args: Any) -> Any:
    args = ctx.obj(args)
    source = ctx.source(ctx.source_name(args))
    table = ctx.tracked(ctx.table_name(ctx.required(args, "table"), "table"), source.name)
    is_enum = ctx.boolean(args, "is_enum", False)
    ctx.set_metadata(ctx.metadata.with_source(source.with_table(replace(table, is_enum=is_enum))))
    return SUCCESS
