"""Row permissions of one role, compiled to the IR once per schema.

``RowPermissions`` answers, for each table the role may select from, the ``ir.Permission``
(row filter and row limit) every read of the table gets, and for an inherited role the
columns it sees on some rows only (``redactions``). The GraphQL layer asks it for every select it builds: root
fields, ``_by_pk``, relationships at any depth, aggregates, and the tables a ``where`` or an
``order_by`` reaches through relationships, so a role never learns about rows it may not
select. The admin role has no filters (``ADMIN``).
"""

from __future__ import annotations

from livegres import catalog as cat
from livegres import ir
from livegres.ir.select import Redactions
from livegres.metadata.resolve import SchemaCache
from livegres.permissions.filters import compile_filter
from livegres.permissions.rules import select_rule

_NONE = ir.Permission()


class RowPermissions:
    """The select permissions of ``role`` over ``cache``; ``cache`` None is admin."""

    __slots__ = ("_permissions", "_redactions", "cache", "role")

    def __init__(self, role: str, cache: SchemaCache | None = None) -> None:
        self.role = role
        self.cache = cache
        self._permissions: dict[cat.QualifiedName, ir.Permission] = {}
        self._redactions: Redactions | None = None

    @property
    def is_admin(self) -> bool:
        return self.cache is None

    def permission(self, table: cat.QualifiedName) -> ir.Permission:
        """The row filter and limit of every read of ``table``."""
        if self.cache is None:
            return _NONE
        found = self._permissions.get(table)
        if found is None:
            rule = select_rule(self.cache, self.role, table)
            if rule is None:
                # Not selectable: the schema has no field reaching it; read nothing if asked.
                found = ir.Permission(ir.Or(()), 0)
            else:
                exp = compile_filter(self.cache, table, rule.permission.filter)
                found = ir.Permission(None if isinstance(exp, ir.BoolTrue) else exp, rule.permission.limit)
            self._permissions[table] = found
        return found

    def filter(self, table: cat.QualifiedName) -> ir.BoolExp | None:
        """The row filter alone: for rows reached by a ``where``, ``order_by`` or aggregate
        predicate through a relationship (where Hasura applies no limit)."""
        return self.permission(table).filter

    def redactions(self) -> Redactions:
        """For an inherited role: per table, the columns and computed fields it sees on some
        rows only, with the condition of those rows (``ir.Operation.redactions``)."""
        if self.cache is None:
            return ()
        if self._redactions is None:
            found: list[tuple[cat.QualifiedName, tuple[tuple[str, ir.BoolExp], ...]]] = []
            for table in self.cache.tables:
                rule = select_rule(self.cache, self.role, table)
                if rule is None or not rule.column_filters:
                    continue
                conditions = tuple(
                    (name, compile_filter(self.cache, table, condition))
                    for name, condition in sorted(rule.column_filters.items())
                )
                found.append((table, conditions))
            self._redactions = tuple(found)
        return self._redactions


ADMIN = RowPermissions("admin")


def restrict(where: ir.BoolExp | None, permission: ir.BoolExp | None) -> ir.BoolExp | None:
    """``where`` and ``permission`` (either may be absent); the permission sees real values."""
    if permission is None:
        return where
    trusted = ir.Unredacted(permission)
    if where is None or isinstance(where, ir.BoolTrue):
        return trusted
    return ir.And((where, trusted))
