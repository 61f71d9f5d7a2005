"""The GraphQL schema of one role, shaped exactly like Hasura v2's, and what its fields mean.

``build_schema(cache, view)`` turns the consistent part of a ``SchemaCache`` into a
graphql-core ``GraphQLSchema`` with Hasura's ``query_root`` and ``subscription_root``: for
every table the role may select from, ``<t>``, ``<t>_by_pk``, ``<t>_aggregate`` (and
``<t>_stream`` for subscriptions), with Hasura's object, aggregate, boolean expression,
ordering, column enum and streaming cursor types; tracked functions as ``<fn>`` /
``<fn>_aggregate``. ``view`` (a ``RoleView``) says what the role sees; ``None`` is admin.

Alongside the schema, ``RoleSchema.fields`` maps ``(parent type name, field name)`` to a
frozen description from ``livegres.schema.lookup`` (a root field over a table or function,
a column with its catalog ``Column``, a relationship with its ``RelationshipInfo``, an
aggregate relationship, a computed field, an aggregate operator, a boolean expression
connective, ...), for output and input types alike; ``RoleSchema.types`` maps each
table-derived type name to its table and role. The compiler reads these instead of
undoing Hasura's naming.

Conventions: fields, arguments and enum values are ordered by name, types by name, so a
schema prints and introspects the same way every time. Nothing here reads the database:
the values of enum tables come in through ``enum_values``.

Modules: ``scalars`` (Postgres type -> Hasura scalar), ``view`` (role views), ``model``
(tables with their GraphQL names), ``comparison`` (``<scalar>_comparison_exp``), ``inputs``
(input types and selection arguments), ``objects`` (output types), ``roots`` (root fields),
``registry`` (type registry), ``lookup`` (field meanings), ``build`` (assembly).
"""

from livegres.schema.build import QUERY_ROOT, SUBSCRIPTION_ROOT, RoleSchema, build_schema
from livegres.schema.lookup import (
    AggregateColumn,
    AggregateFunction,
    AggregatePredicate,
    AggregateSelection,
    ColumnField,
    ComputedField,
    Connective,
    FieldRef,
    FunctionArgument,
    FunctionRoot,
    RelationshipField,
    StreamCursor,
    TableRoot,
    TypeRef,
)
from livegres.schema.model import EnumValue
from livegres.schema.scalars import Scalar, of_type
from livegres.schema.view import ADMIN_ROLE, RoleView, TableView, admin_view, select_view

__all__ = [
    "ADMIN_ROLE",
    "QUERY_ROOT",
    "SUBSCRIPTION_ROOT",
    "AggregateColumn",
    "AggregateFunction",
    "AggregatePredicate",
    "AggregateSelection",
    "ColumnField",
    "ComputedField",
    "Connective",
    "EnumValue",
    "FieldRef",
    "FunctionArgument",
    "FunctionRoot",
    "RelationshipField",
    "RoleSchema",
    "RoleView",
    "Scalar",
    "StreamCursor",
    "TableRoot",
    "TableView",
    "TypeRef",
    "admin_view",
    "build_schema",
    "of_type",
    "select_view",
]
