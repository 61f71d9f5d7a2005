"""A role's effective select permission on a table, inherited roles included.

A role's own permission on a table always wins. An inherited role (``add_inherited_role``)
without one combines the permissions of the roles in its ``role_set`` (themselves possibly
inherited) as Hasura does:

* rows: the union of the rows each role may select (``_or`` of their filters);
* columns and computed fields: the union; a column that not every role of the set may see
  is returned only for the rows of the roles that may see it, and is ``null`` elsewhere
  (``column_filters``);
* ``limit``: the largest of the roles' limits (a role without one adds none, as Hasura's
  ``Maybe (Max Int)``: none only when no role has one); ``allow_aggregations``: when any
  role allows them; root fields: the union (all when one role lists none).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from livegres import catalog as cat
from livegres.metadata import model as m
from livegres.metadata.resolve import SchemaCache

JsonObject = m.JsonObject


@dataclass(frozen=True, slots=True)
class SelectRule:
    permission: m.SelectPermission
    """The effective permission: columns are a list (never ``*``)."""
    column_filters: Mapping[str, JsonObject] = field(default_factory=lambda: MappingProxyType({}))
    """Columns and computed fields visible on some rows only: the filter of the rows that
    show them."""


def inherited_roles(cache: SchemaCache) -> dict[str, tuple[str, ...]]:
    return {r.role_name: r.role_set for r in cache.metadata.inherited_roles}


def select_rule(cache: SchemaCache, role: str, table: cat.QualifiedName) -> SelectRule | None:
    """The select permission ``role`` has on ``table``, or None when it may not select."""
    return _rule(cache, role, table, inherited_roles(cache), frozenset())


def _rule(
    cache: SchemaCache,
    role: str,
    table: cat.QualifiedName,
    inherited: Mapping[str, tuple[str, ...]],
    seen: frozenset[str],
) -> SelectRule | None:
    info = cache.tables.get(table)
    if info is None:
        return None
    entry = info.meta.permissions_for(role).select
    if entry is not None:
        permission = entry.permission
        columns = tuple(info.table.columns) if permission.columns == "*" else permission.columns
        return SelectRule(_with_columns(permission, columns))
    members = inherited.get(role)
    if members is None or role in seen:
        return None
    parts = [r for r in (_rule(cache, member, table, inherited, seen | {role}) for member in members) if r is not None]
    if not parts:
        return None
    if len(parts) == 1:
        return parts[0]
    return _combine(parts)


def _with_columns(permission: m.SelectPermission, columns: tuple[str, ...]) -> m.SelectPermission:
    return m.SelectPermission(
        columns=columns,
        filter=permission.filter,
        limit=permission.limit,
        allow_aggregations=permission.allow_aggregations,
        computed_fields=permission.computed_fields,
        query_root_fields=permission.query_root_fields,
        subscription_root_fields=permission.subscription_root_fields,
    )


def _or(filters: list[JsonObject]) -> JsonObject:
    # Not simplified when one of them is ``{}``: as in Hasura, the session variables of every
    # role of the set are still required.
    return filters[0] if len(filters) == 1 else {"_or": list(filters)}


def _row_filter(rule: SelectRule, column: str) -> JsonObject:
    """The rows on which ``rule`` shows ``column``."""
    own = dict(rule.permission.filter)
    extra = rule.column_filters.get(column)
    if extra is None:
        return own
    if not own:
        return dict(extra)
    return {"_and": [own, dict(extra)]}


def _combine(parts: list[SelectRule]) -> SelectRule:
    filters = [dict(p.permission.filter) for p in parts]
    combined = _or(filters)
    columns: list[str] = []
    for p in parts:
        columns += [c for c in p.permission.columns if c not in columns]
    column_filters: dict[str, JsonObject] = {}
    for column in columns:
        showing = [p for p in parts if column in p.permission.columns]
        if len(showing) == len(parts) and all(column not in p.column_filters for p in parts):
            continue
        column_filters[column] = _or([_row_filter(p, column) for p in showing])
    limits = [p.permission.limit for p in parts]
    computed: list[str] = []
    for p in parts:
        computed += [c for c in p.permission.computed_fields if c not in computed]
    for field_name in computed:
        showing = [p for p in parts if field_name in p.permission.computed_fields]
        if len(showing) == len(parts) and all(field_name not in p.column_filters for p in parts):
            continue
        column_filters[field_name] = _or([_row_filter(p, field_name) for p in showing])
    permission = m.SelectPermission(
        columns=tuple(columns),
        filter=combined,
        limit=max((x for x in limits if x is not None), default=None),
        allow_aggregations=any(p.permission.allow_aggregations for p in parts),
        computed_fields=tuple(computed),
        query_root_fields=_root_fields([p.permission.query_root_fields for p in parts]),
        subscription_root_fields=_root_fields([p.permission.subscription_root_fields for p in parts]),
    )
    return SelectRule(permission, MappingProxyType(column_filters))


def _root_fields(lists: list[tuple[str, ...] | None]) -> tuple[str, ...] | None:
    if any(item is None for item in lists):
        return None
    out: list[str] = []
    for item in lists:
        out += [f for f in item or () if f not in out]
    return tuple(out)
