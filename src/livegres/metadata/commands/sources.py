"""Sources: Livegres serves one PostgreSQL source, ``default``, which can be dropped and added back."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from livegres.metadata import model as m
from livegres.metadata.commands.base import SUCCESS, Context, command


@command(metadata=("pg_add_source",))
async def add_source(ctx: Context, args: Any) -> Any:
    args = ctx.obj(args)
    name = ctx.string(ctx.required(args, "name"), "name")
    configuration = ctx.obj(ctx.required(args, "configuration"), "configuration")
    replace_configuration = ctx.boolean(args, "replace_configuration", False)
    if name != m.DEFAULT_SOURCE:
        raise ctx.error(
            "not-supported",
            f'cannot add source "{name}": Livegres serves one PostgreSQL source, "{m.DEFAULT_SOURCE}"',
        )
    existing = ctx.metadata.find_source(name)
    if existing is not None and not replace_configuration:
        raise ctx.error("already-exists", f'source with name "{name}" already exists')
    # Validate the configuration the way a stored document is validated.
    parsed = m.parse_metadata(
        {"version": 3, "sources": [{"name": name, "kind": "postgres", "tables": [], "configuration": configuration}]},
        path=ctx.parse_path,
    ).source(name)
    source = parsed if existing is None else replace(existing, configuration=parsed.configuration)
    ctx.set_metadata(ctx.metadata.with_source(source))
    return SUCCESS


@command(metadata=("pg_drop_source",))
async def drop_source(ctx: Context, args: Any) -> Any:
    args = ctx.obj(args)
    name = ctx.string(ctx.required(args, "name"), "name")
    # ``cascade`` concerns objects of other sources that depend on this one; with one source
    # there are none. The source's own tables and functions go with it, as in Hasura.
    ctx.boolean(args, "cascade", False)
    if ctx.metadata.find_source(name) is None:
        raise ctx.error("not-exists", f'source with name "{name}" does not exist')
    ctx.set_metadata(ctx.metadata.without_source(name))
    return SUCCESS
