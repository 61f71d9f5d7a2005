"""A role's insert, update and delete permissions on a table, inherited roles included.

A role's own permission always wins. An inherited role (``add_inherited_role``) without one
takes its parents' (themselves possibly inherited) when they agree: Hasura inherits a mutation
permission only when every parent that has one has the same one; parents that differ leave the
inherited role without it (Hasura marks that role and table inconsistent).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

from livegres import catalog as cat
from livegres.metadata import model as m
from livegres.metadata.resolve import SchemaCache

P = TypeVar("P", m.InsertPermission, m.UpdatePermission, m.DeletePermission)


def mutation_rules(cache: SchemaCache, role: str, table: cat.QualifiedName) -> m.RolePermissions:
    """The insert, update and delete permissions ``role`` has on ``table`` (select is left out)."""
    inherited = {r.role_name: r.role_set for r in cache.metadata.inherited_roles}
    return m.RolePermissions(
        insert=_entry(cache, role, table, inherited, frozenset(), lambda p: p.insert),
        update=_entry(cache, role, table, inherited, frozenset(), lambda p: p.update),
        delete=_entry(cache, role, table, inherited, frozenset(), lambda p: p.delete),
    )


def _entry(
    cache: SchemaCache,
    role: str,
    table: cat.QualifiedName,
    inherited: Mapping[str, tuple[str, ...]],
    seen: frozenset[str],
    kind: Callable[[m.RolePermissions], m.PermissionEntry[P] | None],
) -> m.PermissionEntry[P] | None:
    info = cache.tables.get(table)
    if info is None:
        return None
    own = kind(info.meta.permissions_for(role))
    if own is not None:
        return own
    parents = inherited.get(role)
    if parents is None or role in seen:
        return None
    found = [e for e in (_entry(cache, p, table, inherited, seen | {role}, kind) for p in parents) if e is not None]
    if not found or any(e.permission != found[0].permission for e in found[1:]):
        return None
    return m.PermissionEntry(role=role, permission=found[0].permission)
