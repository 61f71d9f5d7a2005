"""What one role may see: the input that makes a schema per role.

The schema builder never reads permissions itself. It asks a ``RoleView`` which tables the
role can select from, which of their columns and computed fields, whether it may aggregate,
which root fields it gets, and which tracked functions it may call. ``admin_view`` sees
everything; the permission layer builds the views of other roles from the select
permissions (``columns``, ``computed_fields``, ``allow_aggregations``,
``query_root_fields``, ``subscription_root_fields``) and the function permissions.

Hasura's rules that follow from a view, applied by the builder: a table the role cannot
select from has no types and no root fields, and relationships to it disappear; an
aggregate relationship, ``<t>_aggregate`` and the aggregation predicates need
``allow_aggregations`` on the target table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

from livegres import catalog as cat
from livegres.metadata import model as m
from livegres.metadata.resolve import ComputedFieldInfo, SchemaCache, TableInfo
from livegres.permissions.rules import select_rule
from livegres.schema.mutation.rules import mutation_rules

ADMIN_ROLE = "admin"


@dataclass(frozen=True, slots=True)
class TableView:
    """A role's select permission on one table, as far as the schema shape needs it.

    ``columns`` and ``computed_fields`` are PostgreSQL / metadata names. Root field sets
    use the keys of ``custom_root_fields`` (``select``, ``select_by_pk``,
    ``select_aggregate``, ``select_stream``); ``None`` means every one.
    """

    columns: frozenset[str]
    computed_fields: frozenset[str] = frozenset()
    allow_aggregations: bool = True
    query_root_fields: frozenset[str] | None = None
    subscription_root_fields: frozenset[str] | None = None
    insert_columns: frozenset[str] | None = None
    """Columns the role may insert (presets excluded); None: no insert permission."""
    update_columns: frozenset[str] | None = None
    """Columns the role may update (presets excluded); None: no update permission."""
    delete: bool = False
    selectable: bool = True
    """False for a table the role may insert into but not select from (Hasura offers
    ``insert_<t>`` answering ``affected_rows`` only)."""

    def allows_query_root(self, key: str) -> bool:
        return self.query_root_fields is None or key in self.query_root_fields

    def allows_subscription_root(self, key: str) -> bool:
        return self.subscription_root_fields is None or key in self.subscription_root_fields


@dataclass(frozen=True, slots=True)
class RoleView:
    role: str
    tables: Mapping[cat.QualifiedName, TableView] = field(default_factory=lambda: MappingProxyType({}))
    functions: frozenset[cat.QualifiedName] = frozenset()

    @property
    def is_admin(self) -> bool:
        return self.role == ADMIN_ROLE

    def table(self, name: cat.QualifiedName) -> TableView | None:
        return self.tables.get(name)


def admin_view(cache: SchemaCache) -> RoleView:
    """The admin role: every column, computed field and root field of every tracked table."""
    tables = {
        name: TableView(
            columns=frozenset(info.table.columns),
            computed_fields=frozenset(info.computed_fields),
            insert_columns=frozenset(info.table.columns) if info.table.is_insertable else None,
            update_columns=frozenset(info.table.columns) if info.table.is_updatable else None,
            delete=info.table.is_deletable,
        )
        for name, info in cache.tables.items()
    }
    return RoleView(ADMIN_ROLE, MappingProxyType(tables), frozenset(cache.functions))


def _table_computed_fields(fields: Mapping[str, ComputedFieldInfo]) -> frozenset[str]:
    """Computed fields returning rows: their permissions are those of the table they return."""
    return frozenset(name for name, cf in fields.items() if cf.function.return_table is not None)


def select_view(role: str, cache: SchemaCache, *, backend_only: bool = False) -> RoleView:
    """The view of a role from its select permissions (inherited roles combined, see
    ``livegres.permissions.rules``).

    Function permissions follow Hasura's default (inferred): a role may call a tracked
    function when it may select from the table the function returns.
    """
    tables: dict[cat.QualifiedName, TableView] = {}
    for name, info in cache.tables.items():
        rule = select_rule(cache, role, name)
        if rule is None:
            continue
        permission: m.SelectPermission = rule.permission
        columns = info.table.columns if permission.columns == "*" else permission.columns
        tables[name] = TableView(
            columns=frozenset(c for c in columns if c in info.table.columns),
            computed_fields=frozenset(c for c in permission.computed_fields if c in info.computed_fields)
            | _table_computed_fields(info.computed_fields),
            allow_aggregations=permission.allow_aggregations,
            query_root_fields=None if permission.query_root_fields is None else frozenset(permission.query_root_fields),
            subscription_root_fields=(
                None if permission.subscription_root_fields is None else frozenset(permission.subscription_root_fields)
            ),
        )
    functions = frozenset(name for name, fn in cache.functions.items() if fn.function.return_table in tables)
    tables = {
        name: with_mutations(view, cache, cache.tables[name], role, backend_only=backend_only)
        for name, view in tables.items()
    }
    for name, info in cache.tables.items():
        if name in tables:
            continue
        hidden = TableView(
            columns=frozenset(),
            allow_aggregations=False,
            query_root_fields=frozenset(),
            subscription_root_fields=frozenset(),
            selectable=False,
        )
        insert_only = replace(with_mutations(hidden, cache, info, role, backend_only=backend_only), delete=False)
        if insert_only.insert_columns:
            tables[name] = replace(insert_only, update_columns=None)
    return RoleView(role, MappingProxyType(tables), functions)


def with_mutations(
    view: TableView, cache: SchemaCache, info: TableInfo, role: str, *, backend_only: bool = False
) -> TableView:
    """``view`` with the role's insert, update and delete permissions on the table (inherited
    roles included, ``livegres.schema.mutation.rules``).
    Preset columns (``set``) are not inputs; a backend-only permission counts only for a
    ``backend_only`` view (an admin-secret request with ``x-hasura-use-backend-only-permissions``)."""
    rules = mutation_rules(cache, role, info.name)
    table = info.table

    def allowed(spec: m.ColumnSpec | None, presets: Mapping[str, object] | None) -> frozenset[str]:
        columns = table.columns if spec is None or spec == "*" else spec
        return frozenset(c for c in columns if c in table.columns and c not in (presets or {}))

    insert = rules.insert.permission if rules.insert is not None else None
    update = rules.update.permission if rules.update is not None else None
    delete = rules.delete.permission if rules.delete is not None else None
    return replace(
        view,
        insert_columns=(
            allowed(insert.columns, insert.set)
            if insert and (backend_only or not insert.backend_only) and table.is_insertable
            else None
        ),
        update_columns=(
            allowed(update.columns, update.set)
            if update and (backend_only or not update.backend_only) and table.is_updatable
            else None
        ),
        delete=delete is not None and (backend_only or not delete.backend_only) and table.is_deletable,
    )
