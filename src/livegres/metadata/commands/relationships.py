"""Relationships: create (object and array), drop, rename and comment.

Arguments are read as Hasura's ``WithTable RelDef`` (``{source?, table, name, using,
comment?}``), with its parse errors and paths. Whether a new relationship resolves (its
foreign key exists, its remote table is tracked, its columns exist) is decided by the
schema-cache check that follows every command (``metadata.service``), which answers with
Hasura's ``invalid-configuration`` error and the inconsistent object.

Permissions name relationships (and computed fields) as keys of their boolean expressions,
at any depth: ``{"author": {"articles": {...}}}`` goes through ``author`` of this table and
``articles`` of the author table. ``map_expression_fields`` walks an expression knowing, at
every level, which table its keys belong to; dropping a relationship finds the permissions
that use it, renaming one rewrites them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any, Literal

from livegres import catalog as cat
from livegres.errors import QueryError
from livegres.metadata import model as m
from livegres.metadata.commands.base import SUCCESS, Context, command
from livegres.metadata.commands.dependencies import Dependent, report
from livegres.metadata.resolve import SchemaCache, qn

FieldVisitor = Callable[[cat.QualifiedName, str], str]
"""Called with (table, field key) for every field key of an expression; returns the key to keep."""

PERMISSION_KINDS = ("insert", "select", "update", "delete")
_LOGICAL_LISTS = ("_and", "_or", "$and", "$or")
_LOGICAL_NOT = ("_not", "$not")
_EXISTS = ("_exists", "$exists")


# --------------------------------------------------------------------------------------------
# Boolean expressions of permissions


def _table_ref(value: Any) -> cat.QualifiedName | None:
    """The table of an ``_exists._table`` (a name, or ``{schema, name}``)."""
    if isinstance(value, str):
        return cat.QualifiedName(m.PUBLIC, value)
    if isinstance(value, dict) and isinstance(value.get("name"), str):
        schema = value.get("schema", m.PUBLIC)
        return cat.QualifiedName(schema if isinstance(schema, str) else m.PUBLIC, value["name"])
    return None


def _field_target(cache: SchemaCache, table: cat.QualifiedName | None, key: str) -> cat.QualifiedName | None:
    """The table whose fields the value under ``key`` names: a relationship's remote table, or the
    table a set-returning computed field returns; None for columns and scalar fields."""
    info = cache.tables.get(table) if table is not None else None
    if info is None:
        return None
    rel = info.relationships.get(key)
    if rel is not None:
        return rel.remote_table
    computed = info.computed_fields.get(key)
    if computed is not None:
        return computed.function.return_table
    return None


def map_expression_fields(
    cache: SchemaCache, table: cat.QualifiedName | None, expression: Any, visit: FieldVisitor
) -> Any:
    """``expression`` (a boolean expression on ``table``) with every field key replaced by
    ``visit(table_of_the_key, key)``. Tables are followed through relationships, ``_exists``
    and set-returning computed fields, as known to ``cache`` (None: a table it does not know,
    whose keys are left alone)."""
    if not isinstance(expression, dict):
        return expression
    out: dict[str, Any] = {}
    for key, value in expression.items():
        if key in _LOGICAL_LISTS:
            out[key] = (
                [map_expression_fields(cache, table, item, visit) for item in value]
                if isinstance(value, list)
                else value
            )
        elif key in _LOGICAL_NOT:
            out[key] = map_expression_fields(cache, table, value, visit)
        elif key in _EXISTS:
            if isinstance(value, dict) and "_where" in value:
                target = _table_ref(value.get("_table"))
                out[key] = {**value, "_where": map_expression_fields(cache, target, value["_where"], visit)}
            else:
                out[key] = value
        elif table is None:
            out[key] = value
        else:
            target = _field_target(cache, table, key)
            new_value = map_expression_fields(cache, target, value, visit) if target is not None else value
            out[visit(table, key)] = new_value
    return out


def _map_permission(cache: SchemaCache, table: cat.QualifiedName, permission: Any, visit: FieldVisitor) -> Any:
    """A permission with its ``filter`` and ``check`` expressions passed through ``visit``."""
    changes: dict[str, Any] = {}
    for attribute in ("filter", "check"):
        expression = getattr(permission, attribute, None)
        if expression is not None:
            changes[attribute] = map_expression_fields(cache, table, expression, visit)
    return replace(permission, **changes)


def map_permissions(cache: SchemaCache, source: m.Source, visit: FieldVisitor) -> m.Source:
    """``source`` with the boolean expressions of every permission passed through ``visit``."""
    for table in source.tables:
        start = qn(table.table)
        changes: dict[str, Any] = {}
        for kind in PERMISSION_KINDS:
            entries = getattr(table, f"{kind}_permissions")
            changes[f"{kind}_permissions"] = tuple(
                replace(entry, permission=_map_permission(cache, start, entry.permission, visit)) for entry in entries
            )
        source = source.with_table(replace(table, **changes))
    return source


def permissions_using(cache: SchemaCache, source: m.Source, table: m.QualifiedName, field_name: str) -> list[Dependent]:
    """The permissions (of any table) whose boolean expressions use ``field_name`` of ``table``."""
    wanted = (qn(table), field_name)
    found: list[Dependent] = []
    for entry_table in source.tables:
        start = qn(entry_table.table)
        for kind in PERMISSION_KINDS:
            for entry in getattr(entry_table, f"{kind}_permissions"):
                hits: list[bool] = []

                def visit(at: cat.QualifiedName, key: str, hits: list[bool] = hits) -> str:
                    if (at, key) == wanted:
                        hits.append(True)
                    return key

                _map_permission(cache, start, entry.permission, visit)
                if hits:
                    found.append(Dependent("permission", entry_table.table, f"{entry.role}.{kind}"))
    return found


def without_permissions(source: m.Source, dependents: list[Dependent]) -> m.Source:
    """``source`` without the permissions named by ``dependents`` (``Dependent("permission", t, "role.kind")``)."""
    for dep in dependents:
        if dep.kind != "permission":
            continue
        table = source.table(dep.table)
        if table is None:
            continue
        role, _, kind = dep.name.rpartition(".")
        field = f"{kind}_permissions"
        kept: dict[str, Any] = {field: tuple(entry for entry in getattr(table, field) if entry.role != role)}
        source = source.with_table(replace(table, **kept))
    return source


def dependency_error(ctx: Context, dependents: list[Dependent]) -> QueryError:
    return ctx.error("dependency-error", f"cannot drop due to the following dependent objects : {report(dependents)}")


# --------------------------------------------------------------------------------------------
# Reading arguments and finding fields


def with_table(ctx: Context, args: Any) -> tuple[dict[str, Any], str, m.QualifiedName]:
    """Hasura's ``WithTable``: ``{source?, table, ...}``; returns (args, source, table)."""
    if not isinstance(args, dict):
        raise ctx.parse_error("expecting an Object with key 'table'")
    return table_args(ctx, args)


def table_args(ctx: Context, args: Any) -> tuple[dict[str, Any], str, m.QualifiedName]:
    """``{source?, table, ...}`` (an object of its own, not a ``WithTable``)."""
    args = ctx.obj(args)
    source = ctx.source_name(args)
    table = ctx.table_name(ctx.required(args, "table"), "table")
    return args, source, table


def field_names(ctx: Context, table: m.Table) -> set[str]:
    """Every field name of a tracked table: columns, relationships, computed fields, remote relationships."""
    found = ctx.catalog.tables.get(qn(table.table))
    names = set(found.columns) if found is not None else set()
    names.update(r.name for r in (*table.object_relationships, *table.array_relationships))
    names.update(c.name for c in table.computed_fields)
    for remote in table.remote_relationships:
        if isinstance(remote, dict) and isinstance(remote.get("name"), str):
            names.add(str(remote["name"]))
    return names


def _relationship_name(ctx: Context, args: dict[str, Any], key: str) -> str:
    return m._name(ctx.required(args, key), (*ctx.parse_path, key))


def _existing(ctx: Context, table: m.Table, name: str) -> m.Relationship:
    """The relationship ``name`` of ``table``, or Hasura's error for what the name is instead."""
    rel = table.relationship(name)
    if rel is not None:
        return rel
    if name in field_names(ctx, table):
        raise ctx.error("unexpected-payload", f'expecting a relationship; but, "{name}" is a postgres column; ')
    raise ctx.error("not-exists", f'relationship "{name}" does not exist')


def _replace_relationship(table: m.Table, name: str, new: m.Relationship | None) -> m.Table:
    """``table`` with its relationship ``name`` replaced by ``new`` (removed when None)."""

    def swap(relationships: tuple[m.Relationship, ...]) -> tuple[m.Relationship, ...]:
        out: list[m.Relationship] = []
        for rel in relationships:
            if rel.name != name:
                out.append(rel)
            elif new is not None:
                out.append(new)
        return tuple(out)

    return replace(
        table,
        object_relationships=swap(table.object_relationships),
        array_relationships=swap(table.array_relationships),
    )


# --------------------------------------------------------------------------------------------
# Commands


async def _create(ctx: Context, args: Any, kind: Literal["object", "array"]) -> Any:
    args, source_name, table_name = with_table(ctx, args)
    definition = {key: value for key, value in args.items() if key not in ("source", "table")}
    rel = replace(m._relationship(definition, ctx.parse_path, array=kind == "array"), extra={})
    source = ctx.source(source_name)
    table = ctx.tracked(table_name, source.name)
    if rel.name in field_names(ctx, table):
        raise ctx.error("already-exists", f'field with name "{rel.name}" already exists in table "{table_name}"')
    if kind == "object":
        table = replace(table, object_relationships=(*table.object_relationships, rel))
    else:
        table = replace(table, array_relationships=(*table.array_relationships, rel))
    ctx.set_metadata(ctx.metadata.with_source(source.with_table(table)))
    return SUCCESS


@command(metadata=("pg_create_object_relationship",), query=("create_object_relationship",))
async def create_object_relationship(ctx: Context, args: Any) -> Any:
    return await _create(ctx, args, "object")


@command(metadata=("pg_create_array_relationship",), query=("create_array_relationship",))
async def create_array_relationship(ctx: Context, args: Any) -> Any:
    return await _create(ctx, args, "array")


@command(metadata=("pg_drop_relationship",), query=("drop_relationship",))
async def drop_relationship(ctx: Context, args: Any) -> Any:
    args, source_name, table_name = table_args(ctx, args)
    name = _relationship_name(ctx, args, "relationship")
    cascade = ctx.boolean(args, "cascade", False)
    source = ctx.source(source_name)
    _existing(ctx, ctx.tracked(table_name, source.name), name)
    dependents = permissions_using(ctx.cache(), source, table_name, name)
    if dependents and not cascade:
        raise dependency_error(ctx, dependents)
    source = without_permissions(source, dependents)
    table = source.table(table_name)
    assert table is not None
    ctx.set_metadata(ctx.metadata.with_source(source.with_table(_replace_relationship(table, name, None))))
    return SUCCESS


@command(metadata=("pg_rename_relationship",), query=("rename_relationship",))
async def rename_relationship(ctx: Context, args: Any) -> Any:
    args, source_name, table_name = table_args(ctx, args)
    name = _relationship_name(ctx, args, "name")
    new_name = _relationship_name(ctx, args, "new_name")
    source = ctx.source(source_name)
    table = ctx.tracked(table_name, source.name)
    rel = _existing(ctx, table, name)
    if new_name in field_names(ctx, table):
        raise ctx.error(
            "already-exists",
            f'cannot rename relationship "{name}" to "{new_name}" in table "{table_name}" as a '
            "column/relationship with the name already exists",
        )
    wanted = (qn(table_name), name)

    def rename(at: cat.QualifiedName, key: str) -> str:
        return new_name if (at, key) == wanted else key

    source = map_permissions(ctx.cache(), source, rename)
    renamed = source.table(table_name)
    assert renamed is not None
    renamed = _replace_relationship(renamed, name, replace(rel, name=new_name))
    ctx.set_metadata(ctx.metadata.with_source(source.with_table(renamed)))
    return SUCCESS


@command(metadata=("pg_set_relationship_comment",), query=("set_relationship_comment",))
async def set_relationship_comment(ctx: Context, args: Any) -> Any:
    args, source_name, table_name = table_args(ctx, args)
    name = _relationship_name(ctx, args, "relationship")
    comment = args.get("comment")
    if comment is not None:
        comment = ctx.string(comment, "comment")
    source = ctx.source(source_name)
    table = ctx.tracked(table_name, source.name)
    rel = _existing(ctx, table, name)
    table = _replace_relationship(table, name, replace(rel, comment=comment))
    ctx.set_metadata(ctx.metadata.with_source(source.with_table(table)))
    return SUCCESS
