"""The DML commands of /v1/query and /v2/query: ``select``, ``insert``, ``update``, ``delete``, ``count``.

Hasura's legacy data API, used by setups and scripts. Every value is a bound parameter; rows
travel as one JSON parameter and are turned into the table's row type by PostgreSQL
(``json_populate_recordset``), so column types are converted by the database itself. The
answer JSON is built by PostgreSQL. Only admins reach these commands today.
"""

from __future__ import annotations

from typing import Any

import orjson

from livegres import catalog as cat
from livegres.metadata import model as m
from livegres.metadata.commands.base import Context, command
from livegres.metadata.resolve import TableInfo, qn
from livegres.sql.fragment import quote_ident as ident

_OPERATORS = {
    "_eq": "=",
    "_ne": "<>",
    "_neq": "<>",
    "_gt": ">",
    "_lt": "<",
    "_gte": ">=",
    "_lte": "<=",
    "_like": "LIKE",
    "_nlike": "NOT LIKE",
    "_ilike": "ILIKE",
    "_nilike": "NOT ILIKE",
    "_similar": "SIMILAR TO",
    "_nsimilar": "NOT SIMILAR TO",
    "_regex": "~",
    "_nregex": "!~",
    "_iregex": "~*",
    "_niregex": "!~*",
    "_contains": "@>",
    "_contained_in": "<@",
    "_has_key": "?",
}


def table_sql(name: cat.QualifiedName) -> str:
    return f"{ident(name.schema)}.{ident(name.name)}"


class Params:
    """Collects bound values; ``add`` returns the ``$n`` placeholder."""

    def __init__(self) -> None:
        self.values: list[Any] = []

    def add(self, value: Any) -> str:
        self.values.append(value)
        return f"${len(self.values)}"

    def typed(self, value: Any, column: cat.Column) -> str:
        """A value of ``column``'s type: sent as text (JSON for structured values), cast in SQL."""
        if value is None:
            return f"NULL::{column.type_text}"
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, dict | list):
            text = orjson.dumps(value).decode()
            if column.type.kind == cat.TypeKind.ARRAY and isinstance(value, list):
                return (
                    f"(SELECT array_agg(x) FROM json_array_elements_text({self.add(text)}::json) x)::{column.type_text}"
                )
        else:
            text = str(value)
        return f"{self.add(text)}::text::{column.type_text}"


def _table(ctx: Context, args: dict[str, Any]) -> TableInfo:
    name = ctx.table_name(ctx.required(args, "table"), "table")
    info = ctx.cache().tables.get(qn(name))
    if info is None:
        raise ctx.error("not-exists", f'table "{name}" does not exist', "table")
    return info


def where_sql(ctx: Context, info: TableInfo, expr: Any, alias: str, params: Params, path: tuple[str | int, ...]) -> str:
    """A boolean expression (Hasura's syntax) over the row ``alias`` of ``info``."""
    if not isinstance(expr, dict):
        raise ctx.parse_error("expected an object for a boolean expression", *path)
    parts: list[str] = []
    for key, value in expr.items():
        op = "_" + key[1:] if key.startswith("$") else key
        if op == "_and" or op == "_or":
            items = value if isinstance(value, list) else [value]
            inner = [where_sql(ctx, info, item, alias, params, (*path, key, i)) for i, item in enumerate(items)]
            joiner = " AND " if op == "_and" else " OR "
            parts.append("(" + (joiner.join(inner) if inner else ("true" if op == "_and" else "false")) + ")")
        elif op == "_not":
            parts.append(f"(NOT {where_sql(ctx, info, value, alias, params, (*path, key))})")
        elif key in info.table.columns:
            parts.append(_column_condition(ctx, info.table.columns[key], value, alias, params, (*path, key)))
        elif key in info.relationships:
            rel = info.relationships[key]
            remote = ctx.cache().tables.get(rel.remote_table)
            if remote is None:
                raise ctx.error("not-exists", f'table "{rel.remote_table}" is not tracked', *path, key)
            inner_alias = f"{alias}_{len(params.values)}_{key}"[:60]
            joins = " AND ".join(f"{inner_alias}.{ident(r)} = {alias}.{ident(lc)}" for lc, r in rel.mapping)
            cond = where_sql(ctx, remote, value, inner_alias, params, (*path, key))
            parts.append(f"EXISTS (SELECT 1 FROM {table_sql(rel.remote_table)} {inner_alias} WHERE {joins} AND {cond})")
        else:
            raise ctx.error("not-exists", f'"{key}" does not exist', *path, key)
    return "(" + " AND ".join(parts) + ")" if parts else "true"


def _column_condition(
    ctx: Context, column: cat.Column, value: Any, alias: str, params: Params, path: tuple[str | int, ...]
) -> str:
    col = f"{alias}.{ident(column.name)}"
    if not isinstance(value, dict):
        return f"{col} = {params.typed(value, column)}"
    parts = []
    for key, operand in value.items():
        op = "_" + key[1:] if key.startswith("$") else key
        if op == "_is_null":
            parts.append(f"{col} IS {'' if operand else 'NOT '}NULL")
        elif op in ("_in", "_nin"):
            items = operand if isinstance(operand, list) else [operand]
            listed = ", ".join(params.typed(v, column) for v in items) or "NULL"
            parts.append(f"{col} {'NOT ' if op == '_nin' else ''}IN ({listed})")
        elif op in ("_has_keys_any", "_has_keys_all"):
            arr = params.add(list(operand) if isinstance(operand, list) else [operand])
            parts.append(f"{col} {'?|' if op == '_has_keys_any' else '?&'} {arr}::text[]")
        elif op == "_has_key":
            parts.append(f"{col} ? {params.add(str(operand))}::text")
        elif op in _OPERATORS:
            parts.append(f"{col} {_OPERATORS[op]} {params.typed(operand, column)}")
        else:
            raise ctx.error("parse-failed", f"Unknown operator : {key}", *path, key)
    return "(" + " AND ".join(parts) + ")" if parts else "true"


def _order_by_sql(ctx: Context, info: TableInfo, order: Any, alias: str) -> str:
    items = order if isinstance(order, list) else [order]
    out = []
    for item in items:
        if isinstance(item, str):
            direction = "DESC" if item.startswith("-") else "ASC"
            name = item.lstrip("+-")
            nulls = ""
        elif isinstance(item, dict):
            name = str(item.get("column", ""))
            direction = "DESC" if item.get("type") == "desc" else "ASC"
            nulls = {"first": " NULLS FIRST", "last": " NULLS LAST"}.get(str(item.get("nulls")), "")
        else:
            raise ctx.parse_error("expected a column name or an object", "order_by")
        if name not in info.table.columns:
            raise ctx.error("not-exists", f'column "{name}" does not exist', "order_by")
        out.append(f"{alias}.{ident(name)} {direction}{nulls}")
    return ", ".join(out)


def _selection_sql(ctx: Context, info: TableInfo, columns: Any, alias: str, params: Params, depth: int) -> str:
    """``json_build_object(...)`` of the selected columns and relationships of row ``alias``."""
    if not isinstance(columns, list):
        raise ctx.parse_error("expected an array of columns", "columns")
    pairs: list[str] = []
    for entry in columns:
        if entry == "*":
            pairs.extend(f"'{c}', {alias}.{ident(c)}" for c in info.table.columns)
        elif isinstance(entry, str):
            if entry not in info.table.columns:
                raise ctx.error("not-exists", f'column "{entry}" does not exist', "columns")
            pairs.append(f"{params.add(entry)}::text, {alias}.{ident(entry)}")
        elif isinstance(entry, dict):
            rel_name = str(entry.get("name", ""))
            rel = info.relationships.get(rel_name)
            remote = ctx.cache().tables.get(rel.remote_table) if rel else None
            if rel is None or remote is None:
                raise ctx.error("not-exists", f'relationship "{rel_name}" does not exist', "columns")
            inner = f"r{depth}_{len(params.values)}"
            joins = " AND ".join(f"{inner}.{ident(r)} = {alias}.{ident(lc)}" for lc, r in rel.mapping)
            cond = where_sql(ctx, remote, entry.get("where", {}), inner, params, ("columns",))
            body = _selection_sql(ctx, remote, entry.get("columns", ["*"]), inner, params, depth + 1)
            source = f"{table_sql(rel.remote_table)} {inner} WHERE {joins} AND {cond}"
            if rel.kind == "object":
                value = f"(SELECT {body} FROM {source} LIMIT 1)"
            else:
                value = f"(SELECT coalesce(json_agg({body}), '[]') FROM {source})"
            pairs.append(f"{params.add(rel_name)}::text, {value}")
        else:
            raise ctx.parse_error("expected a column name or a relationship object", "columns")
    return "json_build_object(" + ", ".join(pairs) + ")"


def _event_triggers_rows(ctx: Context) -> list[dict[str, Any]]:
    """Rows of Hasura v1's ``hdb_catalog.event_triggers`` table, built from the metadata."""
    rows = []
    for source in ctx.metadata.sources:
        if not isinstance(source, m.Source):
            continue
        for table in source.tables:
            for trigger in table.event_triggers:
                rows.append(
                    {
                        "name": trigger.name,
                        "type": "table",
                        "schema_name": table.table.schema,
                        "table_name": table.table.name,
                        "configuration": trigger.to_json(),
                    }
                )
    return rows


@command(query=("select",), v2query=("select",), mutates=False)
async def select(ctx: Context, args: Any) -> Any:
    args = ctx.obj(args)
    raw_table = args.get("table")
    if ctx.table_name(raw_table, "table") == m.QualifiedName("hdb_catalog", "event_triggers"):
        rows = _event_triggers_rows(ctx)
        where = args.get("where") or {}
        rows = [r for r in rows if all(r.get(k) == v for k, v in where.items() if not isinstance(v, dict))]
        columns = args.get("columns", ["*"])
        return [r if "*" in columns else {c: r.get(c) for c in columns} for r in rows]
    info = _table(ctx, args)
    params = Params()
    body = _selection_sql(ctx, info, ctx.required(args, "columns"), "t", params, 0)
    cond = where_sql(ctx, info, args.get("where") or {}, "t", params, ("where",))
    sql = f"SELECT {body} AS j FROM {table_sql(info.name)} t WHERE {cond}"
    if args.get("order_by"):
        sql += " ORDER BY " + _order_by_sql(ctx, info, args["order_by"], "t")
    if args.get("limit") is not None:
        sql += f" LIMIT {params.add(int(args['limit']))}::bigint"
    if args.get("offset") is not None:
        sql += f" OFFSET {params.add(int(args['offset']))}::bigint"
    text = await ctx.conn.fetchval(f"SELECT coalesce(json_agg(q.j), '[]')::text FROM ({sql}) q", *params.values)
    return orjson.loads(text)


@command(query=("count",), v2query=("count",), mutates=False)
async def count(ctx: Context, args: Any) -> Any:
    args = ctx.obj(args)
    info = _table(ctx, args)
    params = Params()
    cond = where_sql(ctx, info, args.get("where") or {}, "t", params, ("where",))
    distinct = args.get("distinct")
    what = "*"
    if distinct:
        what = "DISTINCT (" + ", ".join(f"t.{ident(c)}" for c in distinct) + ")"
    total = await ctx.conn.fetchval(f"SELECT count({what}) FROM {table_sql(info.name)} t WHERE {cond}", *params.values)
    return {"count": total}


def _returning(info: TableInfo, returning: Any, params: Params) -> str:
    if not returning:
        return "json_build_object('affected_rows', (SELECT count(*) FROM w))"
    cols = list(info.table.columns) if "*" in returning else [c for c in returning if c in info.table.columns]
    obj = "json_build_object(" + ", ".join(f"{params.add(c)}::text, w.{ident(c)}" for c in cols) + ")"
    return (
        "json_build_object('affected_rows', (SELECT count(*) FROM w), "
        f"'returning', (SELECT coalesce(json_agg({obj}), '[]') FROM w))"
    )


@command(query=("insert",), v2query=("insert",))
async def insert(ctx: Context, args: Any) -> Any:
    args = ctx.obj(args)
    info = _table(ctx, args)
    objects = ctx.required(args, "objects")
    if isinstance(objects, dict):
        objects = [objects]
    if not isinstance(objects, list):
        raise ctx.parse_error("expected an array of objects", "objects")
    affected = 0
    returned: list[Any] = []
    for i, obj in enumerate(objects):
        if not isinstance(obj, dict):
            raise ctx.parse_error("expected an object", "objects", i)
        for key in obj:
            if key not in info.table.columns:
                raise ctx.error("not-exists", f'column "{key}" does not exist', "objects", i)
        params = Params()
        cols = ", ".join(ident(c) for c in obj)
        doc = params.add(orjson.dumps(obj).decode())
        values = f"SELECT {cols} FROM json_populate_record(NULL::{table_sql(info.name)}, {doc}::json)"
        if not obj:
            statement = f"INSERT INTO {table_sql(info.name)} DEFAULT VALUES"
        else:
            statement = f"INSERT INTO {table_sql(info.name)} ({cols}) {values}"
        conflict = args.get("on_conflict")
        if isinstance(conflict, dict):
            if conflict.get("action") == "ignore":
                statement += " ON CONFLICT DO NOTHING"
            else:
                constraint = str(conflict.get("constraint", ""))
                sets = ", ".join(f"{ident(c)} = EXCLUDED.{ident(c)}" for c in obj) or "NULL = NULL"
                statement += f" ON CONFLICT ON CONSTRAINT {ident(constraint)} DO UPDATE SET {sets}"
        result = await ctx.conn.fetchval(
            f"WITH w AS ({statement} RETURNING *) SELECT {_returning(info, args.get('returning'), params)}::text",
            *params.values,
        )
        answer = orjson.loads(result)
        affected += answer["affected_rows"]
        returned.extend(answer.get("returning", []))
    out: dict[str, Any] = {"affected_rows": affected}
    if args.get("returning"):
        out["returning"] = returned
    return out


@command(query=("update",), v2query=("update",))
async def update(ctx: Context, args: Any) -> Any:
    args = ctx.obj(args)
    info = _table(ctx, args)
    params = Params()
    sets: list[str] = []
    for key, fmt in (("$set", "{v}"), ("$inc", "{c} + {v}"), ("$mul", "{c} * {v}")):
        for column, value in (args.get(key) or {}).items():
            if column not in info.table.columns:
                raise ctx.error("not-exists", f'column "{column}" does not exist', key)
            typed = params.typed(value, info.table.columns[column])
            sets.append(f"{ident(column)} = " + fmt.format(c=f"t.{ident(column)}", v=typed))
    for column in args.get("$default") or []:
        sets.append(f"{ident(column)} = DEFAULT")
    if not sets:
        raise ctx.error("unexpected-payload", "atleast one of $set, $inc, $mul has to be present")
    cond = where_sql(ctx, info, ctx.required(args, "where"), "t", params, ("where",))
    statement = f"UPDATE {table_sql(info.name)} t SET {', '.join(sets)} WHERE {cond}"
    result = await ctx.conn.fetchval(
        f"WITH w AS ({statement} RETURNING t.*) SELECT {_returning(info, args.get('returning'), params)}::text",
        *params.values,
    )
    return orjson.loads(result)


@command(query=("delete",), v2query=("delete",))
async def delete(ctx: Context, args: Any) -> Any:
    args = ctx.obj(args)
    info = _table(ctx, args)
    params = Params()
    cond = where_sql(ctx, info, ctx.required(args, "where"), "t", params, ("where",))
    statement = f"DELETE FROM {table_sql(info.name)} t WHERE {cond}"
    result = await ctx.conn.fetchval(
        f"WITH w AS ({statement} RETURNING t.*) SELECT {_returning(info, args.get('returning'), params)}::text",
        *params.values,
    )
    return orjson.loads(result)
