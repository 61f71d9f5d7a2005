"""SQL functions: tracked functions (with their customization and permissions) and computed fields.

A function is checked against the catalog the way Hasura's schema-cache build checks it
(``buildFunctionInfo`` and ``buildComputedFieldInfo``): the problems found are gathered and
reported together (``because <reason>``, or ``for the following reasons:`` and a bullet per
reason), as an ``invalid-configuration`` error carrying the inconsistent object, before the
metadata changes. ``function_problem`` and ``computed_field_problem`` are those checks.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import replace
from typing import Any

from livegres import catalog as cat
from livegres.errors import QueryError, json_kind
from livegres.metadata import model as m
from livegres.metadata.commands.base import SUCCESS, Context, command
from livegres.metadata.commands.dependencies import Dependent
from livegres.metadata.commands.relationships import (
    dependency_error,
    field_names,
    permissions_using,
    table_args,
    without_permissions,
)
from livegres.metadata.resolve import SOURCE, Inconsistency, qn, text

_GRAPHQL_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]*\Z")
_JSON_TYPES = (cat.QualifiedName("pg_catalog", "json"), cat.QualifiedName("pg_catalog", "jsonb"))
_SCALAR_KINDS = (cat.TypeKind.BASE, cat.TypeKind.ARRAY)
"""What Hasura calls a BASE type (``typtype = 'b'``, arrays included)."""


def _reasons(problems: list[str]) -> str:
    """Hasura's ``makeReasonMessage``."""
    if len(problems) == 1:
        return "because " + problems[0]
    return "for the following reasons:\n" + "".join(f"  • {problem}\n" for problem in problems)


def _single_overload(catalog: cat.Catalog, name: m.QualifiedName) -> cat.Function | str:
    overloads = catalog.functions.get(qn(name), ())
    if not overloads:
        return f'no such function exists: "{name}"'
    if len(overloads) > 1:
        return f'function "{name}" is overloaded. Overloaded functions are not supported'
    return overloads[0]


# --------------------------------------------------------------------------------------------
# Checks


def function_problem(
    catalog: cat.Catalog, tracked_tables: Collection[cat.QualifiedName], tracked: m.TrackedFunction
) -> str | None:
    """Why ``tracked`` cannot be tracked (the reason of its inconsistency, without the
    ``Inconsistent object: `` prefix), or None."""
    name = tracked.function
    context = f'in function "{name}": '
    found = _single_overload(catalog, name)
    if isinstance(found, str):
        return context + found
    config = tracked.configuration
    problems: list[str] = []
    graphql_name = name.name if name.schema == m.PUBLIC else f"{name.schema}_{name.name}"
    if not _GRAPHQL_NAME.match(graphql_name):
        problems.append("function name is not a legal GraphQL identifier")
    if any(arg.mode is cat.ArgMode.VARIADIC for arg in found.args):
        problems.append('function with "VARIADIC" parameters are not supported')
    if found.return_type.kind is not cat.TypeKind.COMPOSITE:
        problems.append('the function does not return a "COMPOSITE" type')
    if found.return_table is None:
        problems.append("the function does not return a table")
    if found.volatility is not cat.Volatility.VOLATILE and config.exposed_as == "mutation":
        problems.append(
            "the function was requested to be exposed as a mutation, but is not marked VOLATILE. "
            "Maybe the function was given the wrong volatility when it was defined?"
        )
    inputs = found.input_args
    bad_names = [arg.name for arg in inputs if arg.name is not None and not _GRAPHQL_NAME.match(arg.name)]
    if bad_names:
        problems.append(f"the function arguments {','.join(bad_names)} are not in compliance with GraphQL spec")
    session = config.session_argument
    if session is not None:
        session_arg = next((arg for arg in inputs if arg.name == session), None)
        if session_arg is None:
            problems.append(f'given session argument "{session}" not the input argument of the function')
        elif session_arg.type.name != _JSON_TYPES[0]:
            problems.append(f'given session argument "{session}" is not of type json')
    if problems:
        return f'{context}the function "{name}" cannot be tracked {_reasons(problems)}'
    if found.return_table is not None and found.return_table not in tracked_tables:
        return f'table "{text(found.return_table)}" is not tracked'
    return None


def computed_field_problem(
    catalog: cat.Catalog,
    tracked_tables: Collection[cat.QualifiedName],
    table: m.QualifiedName,
    field: m.ComputedField,
) -> str | None:
    """Why ``field`` cannot be a computed field of ``table`` (without the ``Inconsistent object:
    in table ...: in computed field ...: `` context), or None."""
    found = _single_overload(catalog, field.function)
    if isinstance(found, str):
        return found
    fn = field.function
    problems: list[str] = []
    if not _GRAPHQL_NAME.match(field.name):
        problems.append(f'"{field.name}" is not valid GraphQL name')
    if found.volatility is cat.Volatility.VOLATILE:
        problems.append(f'the function "{fn}" is of type VOLATILE; cannot be added as a computed field')
    if found.return_table is not None:
        if found.return_table not in tracked_tables:
            problems.append(
                f'the function "{fn}" returning set of table "{text(found.return_table)}" '
                "is not tracked or not found in database"
            )
    elif found.return_type.kind not in _SCALAR_KINDS:
        problems.append(f'the function "{fn}" returning type {found.return_type.name.name} is not a BASE type')

    def check_table_argument(label: str, pg_type: cat.PgType) -> None:
        if pg_type.kind is not cat.TypeKind.COMPOSITE:
            problems.append(f"{label} is not COMPOSITE type")
        if pg_type.name != qn(table):
            problems.append(
                f'{label} of type "{text(pg_type.name)}" is not the table to which the computed field is being added'
            )

    inputs = found.input_args
    by_name = {arg.name: arg for arg in inputs if arg.name is not None}
    refuted = False
    if field.table_argument is not None:
        table_arg = by_name.get(field.table_argument)
        if table_arg is None:
            problems.append(f'"{field.table_argument}" is not an input argument of the function "{fn}"')
            refuted = True
        else:
            check_table_argument(f'"{field.table_argument}" argument of the function "{fn}"', table_arg.type)
    elif not inputs:
        problems.append(f'the function "{fn}" has no input arguments')
    else:
        check_table_argument(f'first argument of the function "{fn}"', inputs[0].type)
    if not refuted and field.session_argument is not None:
        session_arg = by_name.get(field.session_argument)
        if session_arg is None:
            problems.append(f'"{field.session_argument}" is not an input argument of the function "{fn}"')
        elif session_arg.type.name not in _JSON_TYPES:
            problems.append(f'"{field.session_argument}" argument of the function "{fn}" is not of type JSON')
    if problems:
        return f'the computed field "{field.name}" cannot be added to table "{table}" {_reasons(problems)}'
    return None


# --------------------------------------------------------------------------------------------
# Errors


def _function_inconsistency(tracked: m.TrackedFunction, reason: str) -> Inconsistency:
    return Inconsistency(
        "function",
        f"function {tracked.function} in source {SOURCE}",
        f"Inconsistent object: {reason}",
        {"source": SOURCE, **tracked.to_json()},
    )


def _computed_field_inconsistency(table: m.QualifiedName, field: m.ComputedField, reason: str) -> Inconsistency:
    definition: dict[str, Any] = {"source": SOURCE, "table": table.to_json(), **field.to_json()}
    definition.setdefault("comment", None)
    return Inconsistency(
        "computed_field",
        f"computed_field {field.name} in table {table} in source {SOURCE}",
        f"Inconsistent object: {reason}",
        definition,
    )


def _invalid(ctx: Context, item: Inconsistency) -> QueryError:
    return ctx.error("invalid-configuration", item.reason, internal=[item.to_json()])


def _check_function(ctx: Context, tracked: m.TrackedFunction) -> None:
    problem = function_problem(ctx.catalog, set(ctx.cache().tables), tracked)
    if problem is not None:
        raise _invalid(ctx, _function_inconsistency(tracked, problem))


def _tracked_function(ctx: Context, source: m.Source, name: m.QualifiedName) -> m.TrackedFunction:
    found = source.function(name)
    if found is None:
        raise ctx.error("not-exists", f'function "{name}" does not exist in source: {source.name}')
    return found


# --------------------------------------------------------------------------------------------
# Tracking functions


async def _track(ctx: Context, source_name: str, tracked: m.TrackedFunction) -> Any:
    source = ctx.metadata.find_source(source_name)
    if source is None:
        raise ctx.error("not-exists", f'"{source_name}" is not a known pg source')
    name = tracked.function
    if source.function(name) is not None:
        raise ctx.error("already-tracked", f'function already tracked: "{name}"')
    if source.table(name) is not None:
        raise ctx.error("not-supported", f'table with name "{name}" already exists')
    _check_function(ctx, tracked)
    ctx.set_metadata(ctx.metadata.with_source(source.with_function(tracked)))
    return SUCCESS


def _track_v2_args(ctx: Context, args: Any) -> tuple[str, m.TrackedFunction]:
    """Hasura's ``TrackFunctionV2``: ``{source?, function, configuration?, comment?}``."""
    if not isinstance(args, dict):
        kind = json_kind(args)
        raise ctx.parse_error(f"parsing TrackFunctionV2 failed, expected Object, but encountered {kind}")
    source = ctx.source_name(args)
    function = m._qualified(ctx.required(args, "function"), (*ctx.parse_path, "function"))
    configuration = m.FunctionConfiguration()
    if args.get("configuration") is not None:
        configuration = m._function_configuration(args["configuration"], (*ctx.parse_path, "configuration"))
    comment = args.get("comment")
    if comment is not None:
        comment = ctx.string(comment, "comment")
    return source, m.TrackedFunction(function=function, configuration=configuration, comment=comment)


@command(query=("track_function",))
async def track_function(ctx: Context, args: Any) -> Any:
    """The v1 form: the arguments are the function's name."""
    function = m._qualified(args, ctx.parse_path)
    return await _track(ctx, m.DEFAULT_SOURCE, m.TrackedFunction(function=function))


@command(metadata=("pg_track_function",), query=("track_function_v2",))
async def track_function_v2(ctx: Context, args: Any) -> Any:
    source, tracked = _track_v2_args(ctx, args)
    return await _track(ctx, source, tracked)


@command(metadata=("pg_untrack_function",), query=("untrack_function",))
async def untrack_function(ctx: Context, args: Any) -> Any:
    """``{function, source?}``, or the function's name itself."""
    if isinstance(args, dict) and ("source" in args or "function" in args):
        source_name = ctx.source_name(args)
        name = m._qualified(ctx.required(args, "function"), (*ctx.parse_path, "function"))
    else:
        source_name, name = m.DEFAULT_SOURCE, m._qualified(args, ctx.parse_path)
    source = ctx.source(source_name)
    _tracked_function(ctx, source, name)
    ctx.set_metadata(ctx.metadata.with_source(source.without_function(name)))
    return SUCCESS


@command(metadata=("pg_set_function_customization",))
async def set_function_customization(ctx: Context, args: Any) -> Any:
    args = ctx.obj(args)
    source_name = ctx.source_name(args)
    name = m._qualified(ctx.required(args, "function"), (*ctx.parse_path, "function"))
    configuration = m._function_configuration(ctx.required(args, "configuration"), (*ctx.parse_path, "configuration"))
    source = ctx.source(source_name)
    tracked = replace(_tracked_function(ctx, source, name), configuration=configuration)
    _check_function(ctx, tracked)
    ctx.set_metadata(ctx.metadata.with_source(source.with_function(tracked)))
    return SUCCESS


def _function_permission_args(ctx: Context, args: Any) -> tuple[m.Source, m.QualifiedName, str]:
    args = ctx.obj(args)
    name = m._qualified(ctx.required(args, "function"), (*ctx.parse_path, "function"))
    source_name = ctx.source_name(args)
    role = m._name(ctx.required(args, "role"), (*ctx.parse_path, "role"))
    return ctx.source(source_name), name, role


@command(metadata=("pg_create_function_permission",))
async def create_function_permission(ctx: Context, args: Any) -> Any:
    source, name, role = _function_permission_args(ctx, args)
    tracked = _tracked_function(ctx, source, name)
    if role in tracked.permissions:
        raise ctx.error(
            "already-exists",
            f'permission of role "{role}" already exists for function "{name}" in source: "{source.name}"',
        )
    info = ctx.cache().functions.get(qn(name))
    return_table = info.function.return_table if info is not None else None
    table_info = ctx.cache().tables.get(return_table) if return_table is not None else None
    if return_table is None or table_info is None:
        shown = text(return_table) if return_table is not None else str(name)
        raise ctx.error("not-exists", f'function\'s return table "{shown}" not found in the cache')
    if table_info.meta.permissions_for(role).select is None:
        raise ctx.error(
            "not-supported",
            "function permission can only be added when the function's return table "
            f'"{text(return_table)}" has select permission configured for role: "{role}"',
        )
    tracked = replace(tracked, permissions=(role, *tracked.permissions))
    ctx.set_metadata(ctx.metadata.with_source(source.with_function(tracked)))
    return SUCCESS


@command(metadata=("pg_drop_function_permission",))
async def drop_function_permission(ctx: Context, args: Any) -> Any:
    source, name, role = _function_permission_args(ctx, args)
    tracked = source.function(name)
    if tracked is None or role not in tracked.permissions:
        raise ctx.error(
            "not-exists",
            f'permission of role "{role}" does not exist for function "{name}" in source: "{source.name}"',
        )
    tracked = replace(tracked, permissions=tuple(r for r in tracked.permissions if r != role))
    ctx.set_metadata(ctx.metadata.with_source(source.with_function(tracked)))
    return SUCCESS


# --------------------------------------------------------------------------------------------
# Computed fields


def _table_of(ctx: Context, source: m.Source, name: m.QualifiedName) -> m.Table:
    """The tracked table, or ``not-exists`` at ``$.args.table``."""
    found = source.table(name)
    if found is None:
        raise ctx.error("not-exists", f'table "{name}" does not exist in source: {source.name}', "table")
    return found


@command(metadata=("pg_add_computed_field",), query=("add_computed_field",))
async def add_computed_field(ctx: Context, args: Any) -> Any:
    args, source_name, table_name = table_args(ctx, args)
    definition = {key: value for key, value in args.items() if key not in ("source", "table")}
    field = replace(m._computed_field(definition, ctx.parse_path), extra={})
    source = ctx.source(source_name)
    table = _table_of(ctx, source, table_name)
    catalog_table = ctx.catalog.tables.get(qn(table_name))
    if catalog_table is not None and field.name in catalog_table.columns:
        reason = "field definition conflicts with postgres column"
        raise _invalid(ctx, _computed_field_inconsistency(table_name, field, reason))
    if field.name in field_names(ctx, table):
        raise ctx.error("already-exists", f'field with name "{field.name}" already exists in table "{table_name}"')
    problem = computed_field_problem(ctx.catalog, set(ctx.cache().tables), table_name, field)
    if problem is not None:
        reason = f'in table "{table_name}": in computed field "{field.name}": {problem}'
        raise _invalid(ctx, _computed_field_inconsistency(table_name, field, reason))
    table = replace(table, computed_fields=(*table.computed_fields, field))
    ctx.set_metadata(ctx.metadata.with_source(source.with_table(table)))
    return SUCCESS


@command(metadata=("pg_drop_computed_field",), query=("drop_computed_field",))
async def drop_computed_field(ctx: Context, args: Any) -> Any:
    args, source_name, table_name = table_args(ctx, args)
    name = m._name(ctx.required(args, "name"), (*ctx.parse_path, "name"))
    cascade = ctx.boolean(args, "cascade", False)
    source = ctx.source(source_name)
    table = _table_of(ctx, source, table_name)
    if all(field.name != name for field in table.computed_fields):
        raise ctx.error("not-exists", f'computed field "{name}" does not exist', "name")
    dependents = set(permissions_using(ctx.cache(), source, table_name, name))
    dependents.update(
        Dependent("permission", table_name, f"{entry.role}.select")
        for entry in table.select_permissions
        if name in entry.permission.computed_fields
    )
    ordered = sorted(dependents)
    if ordered and not cascade:
        raise dependency_error(ctx, ordered)
    source = without_permissions(source, ordered)
    table = _table_of(ctx, source, table_name)
    table = replace(table, computed_fields=tuple(field for field in table.computed_fields if field.name != name))
    ctx.set_metadata(ctx.metadata.with_source(source.with_table(table)))
    return SUCCESS
