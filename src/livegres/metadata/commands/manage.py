"""Managing metadata as a whole: export, replace, clear, reload, inconsistencies."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from livegres.metadata import model as m
from livegres.metadata.commands.base import SUCCESS, Context, command
from livegres.metadata.resolve import Inconsistency, SchemaCache, resolve


def _empty_like(metadata: m.Metadata) -> m.Metadata:
    """No tables, functions or anything else, but the default source's configuration kept."""
    source = metadata.find_source(m.DEFAULT_SOURCE)
    if source is None:
        return m.Metadata()
    return m.Metadata(sources=(m.Source(name=source.name, configuration=source.configuration),))


@command(metadata=("export_metadata",), query=("export_metadata",), mutates=False)
async def export_metadata(ctx: Context, args: Any) -> Any:
    return ctx.metadata.to_json(for_export=True)


@command(metadata=("export_metadata_v2",), mutates=False)
async def export_metadata_v2(ctx: Context, args: Any) -> Any:
    return {"resource_version": ctx.resource_version, "metadata": ctx.metadata.to_json(for_export=True)}


async def _replace(ctx: Context, document: Any, path: tuple[str | int, ...], allow_inconsistent: bool) -> SchemaCache:
    metadata = m.parse_metadata(document, path=path, default_source=ctx.metadata.find_source(m.DEFAULT_SOURCE))
    cache = resolve(metadata, ctx.catalog)
    if cache.inconsistencies and not allow_inconsistent:
        raise ctx.error(
            "unexpected",
            "cannot continue due to inconsistent metadata",
            internal=[i.to_json() for i in cache.inconsistencies],
        )
    ctx.set_metadata(metadata)
    return cache


@command(metadata=("replace_metadata",), query=("replace_metadata",))
async def replace_metadata(ctx: Context, args: Any) -> Any:
    if isinstance(args, dict) and "metadata" in args:
        return await replace_metadata_v2(ctx, args)
    await _replace(ctx, args, ctx.parse_path, allow_inconsistent=False)
    return SUCCESS


@command(metadata=("replace_metadata_v2",))
async def replace_metadata_v2(ctx: Context, args: Any) -> Any:
    args = ctx.obj(args)
    allow = ctx.boolean(args, "allow_inconsistent_metadata", False)
    document = ctx.required(args, "metadata")
    cache = await _replace(ctx, document, (*ctx.parse_path, "metadata"), allow_inconsistent=allow)
    return {
        "is_consistent": cache.is_consistent,
        "inconsistent_objects": [i.to_json() for i in cache.inconsistencies],
    }


@command(metadata=("clear_metadata",), query=("clear_metadata",))
async def clear_metadata(ctx: Context, args: Any) -> Any:
    ctx.set_metadata(_empty_like(ctx.metadata))
    return SUCCESS


@command(metadata=("reload_metadata",), query=("reload_metadata",))
async def reload_metadata(ctx: Context, args: Any) -> Any:
    await ctx.refresh_catalog()
    cache = ctx.cache()
    answer: dict[str, Any] = {"message": "success", "is_consistent": cache.is_consistent}
    if not cache.is_consistent:
        answer["inconsistent_objects"] = [i.to_json() for i in cache.inconsistencies]
    return answer


@command(metadata=("get_inconsistent_metadata",), query=("get_inconsistent_metadata",), mutates=False)
async def get_inconsistent_metadata(ctx: Context, args: Any) -> Any:
    cache = ctx.cache()
    return {
        "is_consistent": cache.is_consistent,
        "inconsistent_objects": [i.to_json() for i in cache.inconsistencies],
    }


def purge(metadata: m.Metadata, inconsistencies: tuple[Inconsistency, ...]) -> m.Metadata:
    """``metadata`` without the objects named in ``inconsistencies``."""
    source = metadata.find_source(m.DEFAULT_SOURCE)
    if source is None:
        return metadata
    for item in inconsistencies:
        definition = item.definition if isinstance(item.definition, dict) else {}
        if item.type == "table":
            source = source.without_table(m.QualifiedName(definition["schema"], definition["name"]))
            continue
        if item.type == "function":
            fn = definition.get("function", {})
            source = source.without_function(m.QualifiedName(fn.get("schema", "public"), fn.get("name", "")))
            continue
        table_ref = definition.get("table")
        if not isinstance(table_ref, dict):
            continue
        table = source.table(m.QualifiedName(table_ref["schema"], table_ref["name"]))
        if table is None:
            continue
        name = definition.get("name")
        if item.type in ("object_relation", "array_relation"):
            table = replace(
                table,
                object_relationships=tuple(r for r in table.object_relationships if r.name != name),
                array_relationships=tuple(r for r in table.array_relationships if r.name != name),
            )
        elif item.type == "computed_field":
            table = replace(table, computed_fields=tuple(c for c in table.computed_fields if c.name != name))
        elif item.type.endswith("_permission"):
            kind = item.type.removesuffix("_permission")
            role = definition.get("role")
            field = f"{kind}_permissions"
            table = replace(table, **{field: tuple(p for p in getattr(table, field) if p.role != role)})  # type: ignore[arg-type]
        elif item.type == "event_trigger":
            table = replace(table, event_triggers=tuple(t for t in table.event_triggers if t.name != name))
        source = source.with_table(table)
    return metadata.with_source(source)


@command(metadata=("drop_inconsistent_metadata",), query=("drop_inconsistent_metadata",))
async def drop_inconsistent_metadata(ctx: Context, args: Any) -> Any:
    for _ in range(5):  # dropping a table can make objects that lead to it inconsistent
        cache = ctx.cache()
        if cache.is_consistent:
            break
        ctx.set_metadata(purge(ctx.metadata, cache.inconsistencies))
    return SUCCESS
