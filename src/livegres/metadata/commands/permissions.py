"""Permissions: create, drop and comment on table permissions; inherited roles.

A new permission is checked the way Hasura's schema-cache build checks it (columns, computed
fields, column presets, ``limit`` and the boolean expressions of ``filter`` and ``check``);
a failure is Hasura's ``invalid-configuration`` error naming the inconsistent permission,
``Inconsistent object: in table "t": in permission for role "r": <reason>``.

``validate_bool_exp`` and ``validate_permission`` are pure functions of a ``SchemaCache`` that
return Hasura's reason text (or None), so that other code (resolving stored metadata, DML
``where`` checks) can reuse them.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Literal

from livegres import catalog as cat
from livegres.errors import QueryError, json_kind, json_path
from livegres.metadata import model as m
from livegres.metadata.commands.base import SUCCESS, Context, command
from livegres.metadata.resolve import SchemaCache, TableInfo, qn, text

Kind = Literal["insert", "select", "update", "delete"]
KINDS: tuple[Kind, ...] = ("insert", "select", "update", "delete")
ADMIN_ROLE = "admin"

_PARSERS: dict[Kind, Any] = {
    "insert": m._insert_permission,
    "select": m._select_permission,
    "update": m._update_permission,
    "delete": m._delete_permission,
}

# --------------------------------------------------------------------------------------------
# Boolean expressions

# Hasura's comparison operators (``parseBoolExpOperations``), without their ``_``/``$`` prefix.
OPERATORS = frozenset(
    (
        "cast",
        "eq",
        "ne",
        "neq",
        "in",
        "nin",
        "gt",
        "lt",
        "gte",
        "lte",
        "like",
        "nlike",
        "ilike",
        "nilike",
        "similar",
        "nsimilar",
        "regex",
        "iregex",
        "nregex",
        "niregex",
        "is_null",
        "contains",
        "contained_in",
        "has_key",
        "has_keys_any",
        "has_keys_all",
        "st_contains",
        "st_crosses",
        "st_equals",
        "st_overlaps",
        "st_touches",
        "st_within",
        "st_intersects",
        "st_3d_intersects",
        "st_d_within",
        "st_3d_d_within",
        "st_intersects_rast",
        "st_intersects_nband_geom",
        "st_intersects_geom_nband",
        "ancestor",
        "ancestor_any",
        "descendant",
        "descendant_any",
        "matches",
        "matches_any",
        "matches_fulltext",
        "ceq",
        "cne",
        "cneq",
        "cgt",
        "clt",
        "cgte",
        "clte",
    )
)
_COLUMN_COMPARISONS = frozenset(("ceq", "cne", "cneq", "cgt", "clt", "cgte", "clte"))
_ARRAY_OPERANDS = frozenset(("in", "nin", "has_keys_any", "has_keys_all"))
_VALID_CASTS = frozenset((("geometry", "geography"), ("geography", "geometry"), ("jsonb", "text")))

# How Hasura names the scalar types it knows (``pgScalarTypeToText``), by ``pg_type`` name.
_TYPE_NAMES = {
    "int2": "smallint",
    "smallint": "smallint",
    "int4": "integer",
    "int": "integer",
    "integer": "integer",
    "int8": "bigint",
    "bigint": "bigint",
    "float4": "real",
    "real": "real",
    "float8": "double precision",
    "double precision": "double precision",
    "decimal": "numeric",
    "bool": "boolean",
    "boolean": "boolean",
    "char": "bpchar",
    "character": "bpchar",
    "character varying": "varchar",
    "timestamp without time zone": "timestamp",
    "timestamp with time zone": "timestamptz",
    "time with time zone": "timetz",
}


def is_session_variable(value: Any) -> bool:
    """Whether ``value`` names a session variable (``X-Hasura-User-Id``, in any case)."""
    return isinstance(value, str) and value.lower().startswith("x-hasura-")


def type_name(pg_type: cat.PgType) -> str:
    """Hasura's name of a column's type: ``integer``, ``text``, ``jsonb``..."""
    root = pg_type.root
    return _TYPE_NAMES.get(root.name.name, root.name.name)


class _Invalid(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _table_info(cache: SchemaCache, table: m.QualifiedName | cat.QualifiedName) -> TableInfo:
    """``askFieldInfoMapSource``: the tracked (and consistent) table, or Hasura's error."""
    info = cache.tables.get(cat.QualifiedName(table.schema, table.name))
    if info is None:
        raise _Invalid(f'table "{text(table)}" does not exist')
    return info


def _fieldjson_kind(info: TableInfo, name: str) -> str | None:
    """What ``name`` is on the table: a column, relationship, computed field... or None."""
    if name in info.table.columns:
        return "column"
    if name in info.relationships:
        return "relationship"
    if name in info.computed_fields:
        return "computed field"
    if any(isinstance(r, dict) and r.get("name") == name for r in info.meta.remote_relationships):
        return "remote relationship"
    return None


def _column_type(info: TableInfo, name: str, hint: str) -> str:
    """``askColumnType``: the type of column ``name``, or Hasura's error (``hint`` explains
    why a field that is not a column will not do)."""
    column = info.table.columns.get(name)
    if column is not None:
        return type_name(column.type)
    kind = _fieldjson_kind(info, name)
    if kind is None:
        raise _Invalid(f'column "{name}" does not exist')
    raise _Invalid(f'expecting a database column; but, "{name}" is a {kind}; {hint}')


def _normalised(expr: Any) -> dict[str, Any]:
    """The logical skeleton of ``expr`` checked and normalised (``$and`` -> ``_and``...)."""
    try:
        return dict(m._bool_exp(expr, ()))
    except QueryError as exc:
        raise _Invalid(exc.message) from None


def _check_bool_exp(cache: SchemaCache, root: TableInfo, current: TableInfo, expr: Any) -> None:
    for key, value in _normalised(expr).items():
        if key in ("_and", "_or"):
            for item in value:
                _check_bool_exp(cache, root, current, item)
        elif key == "_not":
            _check_bool_exp(cache, root, current, value)
        elif key == "_exists":
            where = value["_where"]
            target = value["_table"]
            _check_bool_exp(cache, root, _table_info(cache, m.QualifiedName(target["schema"], target["name"])), where)
        else:
            _check_field(cache, root, current, key, value)


def _check_field(cache: SchemaCache, root: TableInfo, current: TableInfo, name: str, value: Any) -> None:
    column = current.table.columns.get(name)
    if column is not None:
        root_type = column.type.root
        if root_type.name == cat.QualifiedName("pg_catalog", "json"):
            raise _Invalid("JSON column can not be part of boolean expression")
        _check_operations(root, current, name, type_name(column.type), value)
        return
    relationship = current.relationships.get(name)
    if relationship is not None:
        _check_bool_exp(cache, root, _table_info(cache, relationship.remote_table), value)
        return
    computed = current.computed_fields.get(name)
    if computed is not None:
        returned = computed.function.return_table
        if returned is not None:
            target = _table_info(cache, returned)
            _check_bool_exp(cache, target, target, value)
        else:
            _check_operations(root, current, name, type_name(computed.function.return_type), value)
        return
    if _fieldjson_kind(current, name) == "remote relationship":
        raise _Invalid("remote field unsupported")
    raise _Invalid(f'"{name}" does not exist')


def _check_operations(root: TableInfo, current: TableInfo, column: str, column_type: str, value: Any) -> None:
    if not isinstance(value, dict):
        return  # an implicit _eq with a value (or a session variable)
    for operator, operand in value.items():
        name = operator[1:] if operator[:1] in ("_", "$") else ""
        if name not in OPERATORS:
            raise _Invalid(f"Unknown operator: {operator}")
        if name == "cast":
            _check_cast(root, current, column, column_type, operand)
        elif name in _ARRAY_OPERANDS:
            if not isinstance(operand, list) and not is_session_variable(operand):
                raise _Invalid(f"parsing [] failed, expected Array, but encountered {json_kind(operand)}")
        elif name == "is_null":
            if not isinstance(operand, bool):
                raise _Invalid(f"parsing Bool failed, expected Boolean, but encountered {json_kind(operand)}")
        elif name in _COLUMN_COMPARISONS:
            _check_compared_column(root, current, column, column_type, operand)


def _check_cast(root: TableInfo, current: TableInfo, column: str, column_type: str, operand: Any) -> None:
    if not isinstance(operand, dict):
        raise _Invalid(f"parsing HashMap failed, expected Object, but encountered {json_kind(operand)}")
    for target, operations in operand.items():
        target_type: str = _TYPE_NAMES.get(str(target), str(target))
        if (column_type, target_type) not in _VALID_CASTS:
            raise _Invalid(f'cannot cast column of type "{column_type}" to type "{target_type}"')
        _check_operations(root, current, column, target_type, operations)


def _check_compared_column(root: TableInfo, current: TableInfo, column: str, column_type: str, operand: Any) -> None:
    """``decodeAndValidateRhsCol``: ``"col"``, ``["col"]`` or ``["$", "col"]`` (the root table)."""
    table, name = current, operand
    if isinstance(operand, list):
        if not operand:
            raise _Invalid("path cannot be empty")
        if len(operand) == 1:
            name = operand[0]
        elif len(operand) == 2 and operand[0] == "$":
            table, name = root, operand[1]
        else:
            raise _Invalid("Relationship references are not supported in column comparison RHS")
    elif not isinstance(operand, str):
        raise _Invalid("a boolean expression JSON must be either a string or an array")
    if not isinstance(name, str):
        raise _Invalid(f"parsing Text failed, expected String, but encountered {json_kind(name)}")
    other_type = _column_type(table, name, "column operators can only compare postgres columns")
    if other_type != column_type:
        raise _Invalid(
            f'incompatible column types: "{column}" has type "{column_type}", but "{name}" has type "{other_type}"'
        )


def validate_bool_exp(cache: SchemaCache, table_name: m.QualifiedName | cat.QualifiedName, expr: Any) -> str | None:
    """Why the boolean expression ``expr`` on ``table_name`` is invalid (Hasura's reason text),
    or None when it is valid: every field is a column, relationship (checked against the remote
    table) or computed field of its table, every operator is known, ``_exists`` names a tracked
    table, column comparisons compare columns of the same type. Values are not parsed against
    the column types; strings starting ``x-hasura-`` are session variables."""
    try:
        info = _table_info(cache, table_name)
        _check_bool_exp(cache, info, info, expr)
    except _Invalid as exc:
        return exc.message
    return None


# --------------------------------------------------------------------------------------------
# Permissions

_SELECT_COLUMN_HINT = "permissions for relationships are automatically inferred"
_INSERT_COLUMN_HINT = "Only table columns can have insert permissions defined, not relationships or other field types"
_UPDATE_COLUMN_HINT = "Only table columns can be updated"


def _check_columns(info: TableInfo, columns: m.ColumnSpec | None, hint: str) -> None:
    if columns is None or columns == "*":
        return
    for column in columns:
        _column_type(info, column, hint)


def _check_presets(info: TableInfo, presets: m.JsonObject | None) -> None:
    for column in presets or {}:
        _column_type(info, column, f'column "{column}" not found in table "{text(info.name)}"')


def _check_filter(cache: SchemaCache, info: TableInfo, expr: m.JsonObject | None) -> None:
    if expr is not None:
        _check_bool_exp(cache, info, info, expr)


def _check_computed_fields(info: TableInfo, names: tuple[str, ...]) -> None:
    for name in names:
        computed = info.computed_fields.get(name)
        if computed is None:
            kind = _fieldjson_kind(info, name)
            if kind is None:
                raise _Invalid(f'computed field "{name}" does not exist')
            raise _Invalid(f'expecting a computed field; but, "{name}" is a {kind}')
        returned = computed.function.return_table
        if returned is not None:
            raise _Invalid(
                f'select permissions on computed field "{name}" are auto-derived from the permissions on its '
                f'returning table "{text(returned)}" and cannot be specified manually'
            )


def validate_permission(
    cache: SchemaCache,
    table_name: m.QualifiedName | cat.QualifiedName,
    permission: m.SelectPermission | m.InsertPermission | m.UpdatePermission | m.DeletePermission,
) -> str | None:
    """Why ``permission`` on ``table_name`` is invalid (Hasura's reason, without the table and
    role context), or None. Checks in Hasura's order: the boolean expressions, presets, columns,
    computed fields, limit."""
    try:
        info = _table_info(cache, table_name)
        if isinstance(permission, m.SelectPermission):
            _check_filter(cache, info, permission.filter)
            _check_columns(info, permission.columns, _SELECT_COLUMN_HINT)
            _check_computed_fields(info, permission.computed_fields)
            if permission.limit is not None and permission.limit < 0:
                raise _Invalid("unexpected negative value")
        elif isinstance(permission, m.InsertPermission):
            _check_filter(cache, info, permission.check)
            _check_presets(info, permission.set)
            _check_columns(info, permission.columns, _INSERT_COLUMN_HINT)
        elif isinstance(permission, m.UpdatePermission):
            _check_filter(cache, info, permission.filter)
            _check_filter(cache, info, permission.check)
            _check_presets(info, permission.set)
            _check_columns(info, permission.columns, _UPDATE_COLUMN_HINT)
        else:
            _check_filter(cache, info, permission.filter)
    except _Invalid as exc:
        return exc.message
    return None


def _entries(table: m.Table, kind: Kind) -> tuple[m.PermissionEntry[Any], ...]:
    entries: tuple[m.PermissionEntry[Any], ...] = getattr(table, f"{kind}_permissions")
    return entries


def _with_entries(table: m.Table, kind: Kind, entries: tuple[m.PermissionEntry[Any], ...]) -> m.Table:
    return replace(table, **{f"{kind}_permissions": entries})  # type: ignore[arg-type]


def _table_arg(ctx: Context, args: dict[str, Any]) -> m.QualifiedName:
    return m._qualified(ctx.required(args, "table"), (*ctx.parse_path, "table"))


def _permission_error(
    ctx: Context, kind: Kind, source: str, table: m.QualifiedName, entry: m.PermissionEntry[Any], reason: str
) -> QueryError:
    message = f'Inconsistent object: in table "{text(table)}": in permission for role "{entry.role}": {reason}'
    definition: dict[str, Any] = {"source": source, "table": table.to_json(), **entry.to_json()}
    definition.setdefault("comment", None)
    internal = [
        {
            "definition": definition,
            "name": f"{kind}_permission {entry.role} in table {text(table)} in source {source}",
            "reason": message,
            "type": f"{kind}_permission",
        }
    ]
    return ctx.error("invalid-configuration", message, internal=internal)


async def _create(ctx: Context, args: Any, kind: Kind) -> Any:
    args = ctx.obj(args)
    source_name = ctx.source_name(args)
    table_name = _table_arg(ctx, args)
    definition = {key: value for key, value in args.items() if key not in ("source", "table")}
    entry = m._permission_entry(_PARSERS[kind])(definition, ctx.parse_path)
    # Hasura keeps only the keys it knows of a new permission.
    entry = replace(entry, permission=replace(entry.permission, extra={}), extra={})
    source = ctx.source(source_name)
    table = ctx.tracked(table_name, source.name)
    cache = ctx.cache()
    if source.name == m.DEFAULT_SOURCE and qn(table_name) not in cache.tables:
        raise ctx.error("not-exists", f'table "{table_name}" does not exist in source: {source.name}')
    existing = _entries(table, kind)
    if entry.role == ADMIN_ROLE or any(e.role == entry.role for e in existing):
        raise ctx.error(
            "already-exists", f'{kind} permission already defined on table "{table_name}" with role "{entry.role}"'
        )
    if source.name == m.DEFAULT_SOURCE:
        reason = validate_permission(cache, table_name, entry.permission)
        if reason is not None:
            raise _permission_error(ctx, kind, source.name, table_name, entry, reason)
    ctx.set_metadata(ctx.metadata.with_source(source.with_table(_with_entries(table, kind, (*existing, entry)))))
    return SUCCESS


async def _drop(ctx: Context, args: Any, kind: Kind) -> Any:
    args = ctx.obj(args)
    source_name = ctx.source_name(args)
    table_name = _table_arg(ctx, args)
    role = m._name(ctx.required(args, "role"), (*ctx.parse_path, "role"))
    source = ctx.source(source_name)
    table = ctx.tracked(table_name, source.name)
    existing = _entries(table, kind)
    if not any(e.role == role for e in existing):
        raise ctx.error("bad-request", f'{kind} permission on "{table_name}" for role "{role}" does not exist')
    kept = tuple(e for e in existing if e.role != role)
    after = ctx.metadata.with_source(source.with_table(_with_entries(table, kind, kept)))
    new = _new_role_problems(ctx.metadata, after)
    if new:
        raise ctx.error(
            "unexpected", "cannot continue due to newly found inconsistent metadata", status=500, internal=new
        )
    ctx.set_metadata(after)
    return SUCCESS


@command(metadata=("pg_create_insert_permission",), query=("create_insert_permission",))
async def create_insert_permission(ctx: Context, args: Any) -> Any:
    return await _create(ctx, args, "insert")


@command(metadata=("pg_create_select_permission",), query=("create_select_permission",))
async def create_select_permission(ctx: Context, args: Any) -> Any:
    return await _create(ctx, args, "select")


@command(metadata=("pg_create_update_permission",), query=("create_update_permission",))
async def create_update_permission(ctx: Context, args: Any) -> Any:
    return await _create(ctx, args, "update")


@command(metadata=("pg_create_delete_permission",), query=("create_delete_permission",))
async def create_delete_permission(ctx: Context, args: Any) -> Any:
    return await _create(ctx, args, "delete")


@command(metadata=("pg_drop_insert_permission",), query=("drop_insert_permission",))
async def drop_insert_permission(ctx: Context, args: Any) -> Any:
    return await _drop(ctx, args, "insert")


@command(metadata=("pg_drop_select_permission",), query=("drop_select_permission",))
async def drop_select_permission(ctx: Context, args: Any) -> Any:
    return await _drop(ctx, args, "select")


@command(metadata=("pg_drop_update_permission",), query=("drop_update_permission",))
async def drop_update_permission(ctx: Context, args: Any) -> Any:
    return await _drop(ctx, args, "update")


@command(metadata=("pg_drop_delete_permission",), query=("drop_delete_permission",))
async def drop_delete_permission(ctx: Context, args: Any) -> Any:
    return await _drop(ctx, args, "delete")


def _permission_type(value: Any, path: tuple[str | int, ...]) -> Kind:
    for kind in KINDS:
        if value == kind:
            return kind
    raise QueryError(
        "parse-failed",
        "perm_type should be one of 'insert', 'select', 'update', 'delete'",
        path=json_path(*path),
    )


@command(metadata=("pg_set_permission_comment",), query=("set_permission_comment",))
async def set_permission_comment(ctx: Context, args: Any) -> Any:
    args = ctx.obj(args)
    source_name = ctx.source_name(args)
    table_name = _table_arg(ctx, args)
    role = m._name(ctx.required(args, "role"), (*ctx.parse_path, "role"))
    kind = _permission_type(ctx.required(args, "type"), (*ctx.parse_path, "type"))
    comment = args.get("comment")
    if comment is not None:
        comment = ctx.string(comment, "comment")
    source = ctx.source(source_name)
    table = ctx.tracked(table_name, source.name)
    existing = _entries(table, kind)
    if not any(e.role == role for e in existing):
        raise ctx.error(
            "permission-denied", f'\'{kind}\' permission on "{table_name}" for role "{role}" does not exist'
        )
    entries = tuple(replace(e, comment=comment) if e.role == role else e for e in existing)
    ctx.set_metadata(ctx.metadata.with_source(source.with_table(_with_entries(table, kind, entries))))
    return SUCCESS


# --------------------------------------------------------------------------------------------
# Inherited roles


def _raw_roles(section: Any) -> set[str]:
    """Roles named by the ``permissions`` of raw remote schemas or actions."""
    roles: set[str] = set()
    for item in section if isinstance(section, list) else ():
        permissions = item.get("permissions") if isinstance(item, dict) else None
        for permission in permissions if isinstance(permissions, list) else ():
            if isinstance(permission, dict) and isinstance(permission.get("role"), str):
                roles.add(permission["role"])
    return roles


def known_roles(metadata: m.Metadata) -> set[str]:
    """Hasura's ``allRoleNames``: roles with a table, remote schema or action permission, and
    the inherited roles."""
    roles: set[str] = set()
    for source in metadata.sources:
        if isinstance(source, m.Source):
            for table in source.tables:
                roles.update(table.roles())
    roles.update(_raw_roles(metadata.remote_schemas))
    roles.update(_raw_roles(metadata.actions))
    roles.update(role.role_name for role in metadata.inherited_roles)
    return roles


def _inherited_role_problem(role: m.InheritedRole, missing: list[str]) -> dict[str, Any]:
    reason = (
        f"Inconsistent object: in inherited role {role.role_name}: the following parent role(s) are not found: "
        f'{", ".join(missing)} which are required to construct the inherited role: "{role.role_name}"'
    )
    return {
        "definition": role.to_json(),
        "name": f"inherited_role {role.role_name}",
        "reason": reason,
        "type": "inherited_role",
    }


def inherited_role_problems(metadata: m.Metadata) -> list[dict[str, Any]]:
    """The inconsistent inherited roles (a parent role that no permission or inherited role
    names), as Hasura's inconsistent-object JSON."""
    roles = known_roles(metadata)
    problems = []
    for role in metadata.inherited_roles:
        missing = sorted(r for r in role.role_set if r not in roles)
        if missing:
            problems.append(_inherited_role_problem(role, missing))
    return problems


def _new_role_problems(before: m.Metadata, after: m.Metadata) -> list[dict[str, Any]]:
    """The inherited roles that ``after`` makes inconsistent."""
    known = inherited_role_problems(before)
    return [problem for problem in inherited_role_problems(after) if problem not in known]


@command(metadata=("add_inherited_role",))
async def add_inherited_role(ctx: Context, args: Any) -> Any:
    parsed = m._inherited_role(args, ctx.parse_path)
    role = m.InheritedRole(role_name=parsed.role_name, role_set=parsed.role_set)
    if role.role_name in role.role_set:
        raise ctx.error("invalid-params", "an inherited role name cannot be in the role combination")
    kept = tuple(r for r in ctx.metadata.inherited_roles if r.role_name != role.role_name)
    metadata = replace(ctx.metadata, inherited_roles=(*kept, role))
    problem = next((p for p in inherited_role_problems(metadata) if p["definition"] == role.to_json()), None)
    if problem is not None:
        raise ctx.error("invalid-configuration", problem["reason"], internal=[problem])
    ctx.set_metadata(metadata)
    return SUCCESS


@command(metadata=("drop_inherited_role",))
async def drop_inherited_role(ctx: Context, args: Any) -> Any:
    args = ctx.obj(args)
    name = m._name(ctx.required(args, "role_name"), (*ctx.parse_path, "role_name"))
    if not any(r.role_name == name for r in ctx.metadata.inherited_roles):
        raise ctx.error("not-exists", f'"{name}" inherited role doesn\'t exist')
    before = ctx.metadata
    after = replace(before, inherited_roles=tuple(r for r in before.inherited_roles if r.role_name != name))
    new = _new_role_problems(before, after)
    if new:
        raise ctx.error("unexpected", "cannot continue due to new inconsistent metadata", internal=new)
    ctx.set_metadata(after)
    return SUCCESS


__all__ = [
    "OPERATORS",
    "inherited_role_problems",
    "is_session_variable",
    "known_roles",
    "type_name",
    "validate_bool_exp",
    "validate_permission",
]
