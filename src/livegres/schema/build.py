"""Assembling one role's schema: root types from the table and function root fields."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from graphql import GraphQLField, GraphQLNamedType, GraphQLNonNull, GraphQLObjectType, GraphQLSchema, GraphQLString

from livegres import catalog as cat
from livegres.metadata.resolve import SchemaCache
from livegres.permissions import ADMIN, RowPermissions
from livegres.schema import roots
from livegres.schema.context import Context
from livegres.schema.lookup import FieldRef, TypeRef
from livegres.schema.model import EnumValue, plan_tables
from livegres.schema.mutation import fields as mutations
from livegres.schema.registry import Registry, sorted_fields
from livegres.schema.view import RoleView, admin_view

QUERY_ROOT = "query_root"
SUBSCRIPTION_ROOT = "subscription_root"
MUTATION_ROOT = "mutation_root"
NO_QUERIES = (
    "There are no queries available to the current role. Either there are no sources or remote schemas "
    "configured, or the current role doesn't have the required permissions."
)


@dataclass(frozen=True, slots=True)
class RoleSchema:
    """A role's GraphQL schema and what its fields mean (see ``livegres.schema.lookup``)."""

    role: str
    schema: GraphQLSchema
    fields: Mapping[tuple[str, str], FieldRef]
    types: Mapping[str, TypeRef]
    permissions: RowPermissions = ADMIN
    """The role's row filters, for every read the compiler builds."""

    def field(self, type_name: str, field_name: str) -> FieldRef | None:
        return self.fields.get((type_name, field_name))


def _root(reg: Registry, name: str, fields: roots.RootFields) -> GraphQLObjectType:
    for field_name, (_, ref) in fields.items():
        reg.fields[(name, field_name)] = ref
    graphql_fields = sorted_fields({field_name: field for field_name, (field, _) in fields.items()})
    if not graphql_fields:
        graphql_fields = {"no_queries_available": GraphQLField(GraphQLNonNull(GraphQLString), description=NO_QUERIES)}
    root = GraphQLObjectType(name, graphql_fields)
    reg.types[name] = root
    return root


def build_schema(
    cache: SchemaCache,
    view: RoleView | None = None,
    *,
    enum_values: Mapping[cat.QualifiedName, Sequence[EnumValue]] | None = None,
) -> RoleSchema:
    """The schema of ``view``'s role (admin when ``view`` is None) over the consistent part of
    ``cache``. ``enum_values`` holds the rows of the enum tables (``is_enum``), read by the
    caller; an enum table without values gives its referencing columns their plain scalar."""
    view = view if view is not None else admin_view(cache)
    values = {name: tuple(rows) for name, rows in (enum_values or {}).items() if rows}
    reg = Registry()
    ctx = Context(reg, view, plan_tables(cache, view, values), MappingProxyType(values))
    query: roots.RootFields = {}
    subscription: roots.RootFields = {}
    for plan in ctx.plans.values():
        _merge(query, roots.table_roots(ctx, plan, subscription=False))
        _merge(subscription, roots.table_roots(ctx, plan, subscription=True))
    for name, fn in cache.functions.items():
        if name in view.functions:
            found = roots.function_roots(ctx, fn)
            _merge(query, found)
            _merge(subscription, found)
    mutation: roots.RootFields = {}
    for plan in ctx.plans.values():
        _merge(mutation, mutations.table_mutations(ctx, plan))
    query_root = _root(reg, QUERY_ROOT, query)
    subscription_root = _root(reg, SUBSCRIPTION_ROOT, subscription) if subscription else None
    mutation_root = _root(reg, MUTATION_ROOT, mutation) if mutation else None
    roots_ = {"query": query_root, "mutation": mutation_root, "subscription": subscription_root}
    collected = GraphQLSchema(**roots_, types=list(reg.types.values()))  # type: ignore[arg-type]
    types: list[GraphQLNamedType] = [t for name, t in sorted(collected.type_map.items()) if not name.startswith("__")]
    schema = GraphQLSchema(**roots_, types=types)  # type: ignore[arg-type]
    permissions = ADMIN if view.is_admin else RowPermissions(view.role, cache)
    return RoleSchema(
        view.role, schema, MappingProxyType(dict(reg.fields)), MappingProxyType(dict(reg.type_refs)), permissions
    )


def _merge(into: roots.RootFields, fields: roots.RootFields) -> None:
    """Add root fields; the first field of a name wins (Hasura reports a conflict instead)."""
    for name, entry in fields.items():
        into.setdefault(name, entry)
