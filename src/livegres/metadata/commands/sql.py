"""``run_sql``: raw SQL, then the metadata brought in line with the changed database.

After SQL that may change the schema (Hasura's rule: the text mentions ALTER, DROP, REPLACE,
CREATE FUNCTION or COMMENT ON, or ``check_metadata_consistency`` is true), the catalog is
re-read inside the same transaction. Tracked tables that were renamed are renamed in the
metadata (matched by OID); tracked tables that were dropped leave the metadata with their
own relationships and permissions. Objects of *other* tables that no longer resolve are a
``dependency-error`` (and the SQL is rolled back) unless ``cascade`` is true, in which case
they are removed too.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from livegres.errors import json_path
from livegres.metadata import model as m
from livegres.metadata import run_sql
from livegres.metadata.commands.base import Context, command
from livegres.metadata.commands.manage import purge
from livegres.metadata.resolve import Inconsistency, resolve, text

_SCHEMA_CHANGE = re.compile(r"\balter\b|\bdrop\b|\breplace\b|\bcreate function\b|\bcomment on\b", re.I)


def _dependent_name(item: Inconsistency) -> str:
    definition = item.definition if isinstance(item.definition, dict) else {}
    table_ref = definition.get("table", {})
    table = text(m.QualifiedName(table_ref.get("schema", "public"), table_ref.get("name", "")))
    if item.type in ("object_relation", "array_relation"):
        return f"relationship {table}.{definition.get('name')}"
    if item.type.endswith("_permission"):
        return f"permission {table}.{definition.get('role')}.{item.type.removesuffix('_permission')}"
    if item.type == "computed_field":
        return f"computed field {table}.{definition.get('name')}"
    if item.type == "event_trigger":
        return f"event-trigger {table}.{definition.get('name')}"
    return item.name


def _follow_renames(ctx: Context, before_oids: dict[int, m.QualifiedName]) -> None:
    source = ctx.metadata.find_source(m.DEFAULT_SOURCE)
    if source is None:
        return
    by_oid = {t.oid: t.name for t in ctx.catalog.tables.values()}
    for oid, old in before_oids.items():
        now = by_oid.get(oid)
        if now is None or (now.schema, now.name) == (old.schema, old.name):
            continue
        table = source.table(old)
        if table is not None:
            source = source.without_table(old).with_table(replace(table, table=m.QualifiedName(now.schema, now.name)))
    ctx.set_metadata(ctx.metadata.with_source(source))


@command(query=("run_sql",), v2query=("run_sql", "pg_run_sql"))
async def run_sql_command(ctx: Context, args: Any) -> Any:
    args = ctx.obj(args)
    sql = ctx.string(ctx.required(args, "sql"), "sql")
    cascade = ctx.boolean(args, "cascade", False)
    read_only = ctx.boolean(args, "read_only", False)
    check = args.get("check_metadata_consistency")
    if check is None:
        check = bool(_SCHEMA_CHANGE.search(sql))
    if read_only:
        savepoint = ctx.conn.transaction()
        await savepoint.start()
        try:
            await ctx.conn.execute("SET LOCAL transaction_read_only = on")
            return await _execute(ctx, sql)
        finally:
            await savepoint.rollback()
    tracked_before = {info.table.oid: info.meta.table for info in ctx.cache().tables.values()}
    before = {(i.type, i.name) for i in ctx.cache().inconsistencies}
    answer = await _execute(ctx, sql)
    if not check:
        # Still notice new tables and columns for the GraphQL schema.
        await ctx.refresh_catalog()
        return answer
    await ctx.refresh_catalog()
    _follow_renames(ctx, tracked_before)
    cache = ctx.cache()
    new = [i for i in cache.inconsistencies if (i.type, i.name) not in before]
    dropped_tables = tuple(i for i in new if i.type == "table")
    if dropped_tables:
        ctx.set_metadata(purge(ctx.metadata, dropped_tables))
        cache = resolve(ctx.metadata, ctx.catalog)
        new = [i for i in cache.inconsistencies if (i.type, i.name) not in before]
    if new:
        if not cascade:
            names = ", ".join(sorted(_dependent_name(i) for i in new))
            raise ctx.error("dependency-error", f"cannot drop due to the following dependent objects : {names}")
        ctx.set_metadata(purge(ctx.metadata, tuple(new)))
    return answer


async def _execute(ctx: Context, sql: str) -> Any:
    return await run_sql.execute(ctx.conn, sql, path=json_path(*ctx.exec_path))
