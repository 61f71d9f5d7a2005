"""The query engine: GraphQL request -> compiled plan, cached.

Two caches, both emptied whenever the metadata service installs a new schema cache
(``on_schema_change``, registered as a metadata listener; ``version`` counts the changes):

- the role schemas (``build_schema`` per role, built on first use);
- the documents: an LRU of (role, query text, operation name) -> ``Document`` (the parsed and
  validated operation) holding its compiled ``Plan``s, keyed by the values of the variables
  that shape the SQL (``livegres.graphql.inputs``; usually none, so one plan). A mutation's
  plans are keyed by the shapes of its variables instead (the keys of an object, the length
  of a list: ``livegres.graphql.mutation.ShapeInputs``), so ``objects: $objects`` with new
  values each time still finds its plan.

A repeated query does no parsing, validation or normalisation: it coerces its variables and
finds its plan. ``stats`` counts parses and normalisations, for tests and metrics.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLError,
    GraphQLSyntaxError,
    NoUnusedVariablesRule,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    execute_sync,
    parse,
    specified_rules,
    validate,
)
from graphql.execution.values import get_variable_values

from livegres import ir
from livegres import schema as sch
from livegres.catalog.model import QualifiedName
from livegres.errors import QueryError
from livegres.graphql.inputs import Inputs
from livegres.graphql.mutation import MutationNormaliser, Shape, ShapeInputs, shape_of
from livegres.graphql.normalize import INTROSPECTION_FIELDS, Normaliser
from livegres.graphql.paths import index_paths
from livegres.graphql.request import GraphQLRequest
from livegres.graphql.validation import tolerated, validation_error
from livegres.metadata.resolve import SchemaCache
from livegres.sql import CompiledQuery, compile_operation
from livegres.sql.mutation import CompiledMutation, compile_mutation

MAX_DOCUMENTS = 1000
Read = str | Shape
"""What a plan read of the variables (see ``_key``)."""
RULES = tuple(rule for rule in specified_rules if rule is not NoUnusedVariablesRule)
"""graphql-core's validation rules bar one: Hasura accepts variables the operation does not use."""
MAX_PLANS_PER_DOCUMENT = 64


@dataclass(frozen=True, slots=True)
class Plan:
    """What running one operation takes: the SQL (None when no field needs the database), the
    root keys answered by introspection, and the order of every root key."""

    compiled: CompiledQuery | None
    introspection: tuple[str, ...] = ()
    order: tuple[str, ...] = ()
    static_introspection: Mapping[str, Any] | None = None
    operation: ir.Operation | None = None
    """The normalised IR the SQL was compiled from (live queries read the tables it uses)."""
    mutation: CompiledMutation | None = None
    """A mutation's statements (``compiled`` is then None): run in one transaction."""


@dataclass(slots=True)
class Document:
    schema: sch.RoleSchema
    document: DocumentNode
    operation: OperationDefinitionNode
    fragments: Mapping[str, FragmentDefinitionNode]
    opened: frozenset[Read] | None = None
    plans: dict[tuple[Any, ...], Plan] = field(default_factory=dict)


@dataclass(slots=True)
class Stats:
    parses: int = 0
    normalisations: int = 0
    hits: int = 0


@dataclass(frozen=True, slots=True)
class Prepared:
    plan: Plan
    variables: Mapping[str, Any]
    document: Document


class QueryEngine:
    def __init__(
        self,
        cache: SchemaCache | None = None,
        *,
        stringify_numeric_types: bool = False,
        max_documents: int = MAX_DOCUMENTS,
    ) -> None:
        self.cache = cache
        self.version = 0
        self.stringify_numeric_types = stringify_numeric_types
        self.max_documents = max_documents
        self.schemas: dict[tuple[str, bool], sch.RoleSchema] = {}
        self.enum_values: dict[QualifiedName, Sequence[sch.EnumValue]] = {}
        self.documents: OrderedDict[tuple[str, bool, str, str | None], Document] = OrderedDict()
        self.stats = Stats()

    def on_schema_change(
        self, cache: SchemaCache, enum_values: Mapping[QualifiedName, Sequence[sch.EnumValue]] | None = None
    ) -> None:
        """Metadata listener: a new schema cache (and the rows of its enum tables) drops every
        schema and plan."""
        self.cache = cache
        self.enum_values = dict(enum_values or {})
        self.version += 1
        self.schemas.clear()
        self.documents.clear()

    def schema_for(self, role: str, *, backend_only: bool = False) -> sch.RoleSchema:
        """The role's schema; with ``backend_only`` (an admin-authenticated request asking for
        them) its backend-only insert, update and delete permissions count too."""
        key = (role, backend_only and role != sch.ADMIN_ROLE)
        found = self.schemas.get(key)
        if found is None:
            if self.cache is None:
                raise QueryError("unexpected", "the schema is not loaded yet", status=500)
            view = None if role == sch.ADMIN_ROLE else sch.select_view(role, self.cache, backend_only=key[1])
            found = self.schemas[key] = sch.build_schema(self.cache, view, enum_values=self.enum_values)
        return found

    # -- documents ---------------------------------------------------------------------

    def document(
        self, request: GraphQLRequest, role: str, *, subscriptions: bool = False, backend_only: bool = False
    ) -> Document:
        """The parsed and validated operation. Subscriptions are refused unless the transport
        serves them (``subscriptions``: WebSocket, SSE, multipart)."""
        key = (role, backend_only, request.query, request.operation_name)
        found = self.documents.get(key)
        if found is not None:
            self.documents.move_to_end(key)
            self.stats.hits += 1
        else:
            found = self._parse(request, self.schema_for(role, backend_only=backend_only))
            self.documents[key] = found
            while len(self.documents) > self.max_documents:
                self.documents.popitem(last=False)
        if not subscriptions and found.operation.operation is OperationType.SUBSCRIPTION:
            raise QueryError("not-supported", "subscriptions are not supported over HTTP", path="$")
        return found

    def _parse(self, request: GraphQLRequest, rs: sch.RoleSchema) -> Document:
        self.stats.parses += 1
        try:
            document = parse(request.query)
        except GraphQLSyntaxError as exc:
            raise QueryError("validation-failed", "not a valid graphql query", path="$.query") from exc
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        operation = _select_operation(operations, request.operation_name)
        if operation.operation is OperationType.MUTATION and rs.schema.mutation_type is None:
            raise QueryError("validation-failed", "no mutations exist", path="$")
        errors = validate(rs.schema, document, RULES)
        if errors:
            paths = index_paths(operation, fragments)
            errors = [e for e in errors if not tolerated(e, paths)]
            if errors:
                raise validation_error(errors, paths)
        return Document(rs, document, operation, fragments)

    # -- plans -------------------------------------------------------------------------

    def prepare(
        self, request: GraphQLRequest, role: str, *, subscriptions: bool = False, backend_only: bool = False
    ) -> Prepared:
        doc = self.document(request, role, subscriptions=subscriptions, backend_only=backend_only)
        variables = self.coerce(doc, request.variables)
        plan = None
        if doc.opened is not None:
            plan = doc.plans.get(_key(doc.opened, variables))
        if plan is None:
            plan, opened = self._plan(doc, variables)
            if doc.opened is None or not opened <= doc.opened:
                # A plan is valid for every set of values that agrees on the variables it
                # read; when a new one read more, the older keys no longer say enough.
                doc.opened = (doc.opened or frozenset()) | opened
                doc.plans.clear()
            if len(doc.plans) >= MAX_PLANS_PER_DOCUMENT:
                doc.plans.clear()
            doc.plans[_key(doc.opened, variables)] = plan
        return Prepared(plan, variables, doc)

    def coerce(self, doc: Document, given: Mapping[str, Any] | None) -> dict[str, Any]:
        definitions = doc.operation.variable_definitions or ()
        if not definitions:
            return {}
        coerced = get_variable_values(doc.schema.schema, definitions, dict(given or {}))
        if isinstance(coerced, list):
            raise _variable_error(coerced)
        out: dict[str, Any] = dict(coerced.coerced)
        for definition in definitions:
            out.setdefault(definition.variable.name.value, None)
        return out

    def _plan(self, doc: Document, variables: Mapping[str, Any]) -> tuple[Plan, frozenset[Read]]:
        self.stats.normalisations += 1
        if doc.operation.operation is OperationType.MUTATION:
            shaped = ShapeInputs(variables)
            op, order = MutationNormaliser(doc.schema, doc.fragments, shaped).operation(doc.operation)
            mutation = compile_mutation(op, stringify_numeric_types=self.stringify_numeric_types)
            return Plan(None, order=order, mutation=mutation), frozenset(shaped.opened) | frozenset(shaped.shapes)
        inputs = Inputs(variables)
        normalised = Normaliser(doc.schema, doc.fragments, inputs).operation(doc.operation)
        compiled = None
        if normalised.operation.fields:
            compiled = compile_operation(normalised.operation, stringify_numeric_types=self.stringify_numeric_types)
        static = None
        if normalised.introspection and not doc.operation.variable_definitions:
            static = self.introspect(doc, normalised.introspection, {})
        plan = Plan(compiled, normalised.introspection, normalised.order, static, normalised.operation)
        return plan, frozenset(inputs.opened)

    def introspect(self, doc: Document, keys: tuple[str, ...], variables: Mapping[str, Any]) -> Mapping[str, Any]:
        """The introspection root fields of the operation, answered by graphql-core."""
        selections = [
            s
            for s in doc.operation.selection_set.selections
            if isinstance(s, FieldNode) and s.name.value in INTROSPECTION_FIELDS
        ]
        operation = OperationDefinitionNode(
            operation=OperationType.QUERY,
            name=doc.operation.name,
            variable_definitions=doc.operation.variable_definitions,
            directives=(),
            selection_set=SelectionSetNode(selections=tuple(selections)),
        )
        document = DocumentNode(definitions=(operation, *doc.fragments.values()))
        result = execute_sync(doc.schema.schema, document, variable_values=dict(variables))
        assert isinstance(result, ExecutionResult)
        if result.errors:
            raise QueryError("validation-failed", result.errors[0].message, path="$")
        data = result.data or {}
        return {k: data.get(k) for k in keys}

    def data_json(self, prepared: Prepared, from_db: bytes | None) -> bytes:
        """The JSON of ``data``: the database's bytes as they are, or merged with introspection."""
        plan = prepared.plan
        if not plan.introspection:
            assert from_db is not None
            return from_db
        answered = plan.static_introspection
        if answered is None:
            answered = self.introspect(prepared.document, plan.introspection, prepared.variables)
        fields: dict[str, Any] = orjson.loads(from_db) if from_db is not None else {}
        merged = {k: answered[k] if k in answered else fields.get(k) for k in plan.order}
        return orjson.dumps(merged)


def _select_operation(operations: list[OperationDefinitionNode], name: str | None) -> OperationDefinitionNode:
    if name is not None:
        for op in operations:
            if op.name is not None and op.name.value == name:
                return op
        raise QueryError("validation-failed", f'no such operation found in the document: "{name}"', path="$")
    if len(operations) != 1:
        raise QueryError(
            "validation-failed",
            "exactly one operation has to be present in the document when operationName is not specified",
            path="$",
        )
    return operations[0]


def _variable_error(errors: list[GraphQLError]) -> QueryError:
    message = errors[0].message
    path = "$"
    if message.startswith("Variable '$"):
        name = message[len("Variable '$") :].split("'", 1)[0]
        path = f"$.variableValues.{name}"
        if "was not provided" in message or ("non-null type" in message and "to be provided" in message):
            return QueryError("validation-failed", f'expecting a value for non-nullable variable: "{name}"', path=path)
    return QueryError("validation-failed", message, path=path)


def _key(opened: frozenset[Read], variables: Mapping[str, Any]) -> tuple[Any, ...]:
    """What the plan read of the variables: a whole variable (its name), or a part of one read
    for its structure (a mutation's ``Shape``)."""
    return tuple(
        _freeze(variables.get(r)) if isinstance(r, str) else shape_of(r, variables) for r in sorted(opened, key=repr)
    )


def _freeze(value: Any) -> Any:
    if isinstance(value, dict):
        return ("d", tuple((k, _freeze(v)) for k, v in value.items()))
    if isinstance(value, list):
        return ("l", tuple(_freeze(v) for v in value))
    return (type(value).__name__, value)


def explain_plans(engine: QueryEngine, prepared: Prepared) -> list[tuple[str, CompiledQuery]]:
    """Each database root field of a prepared query compiled on its own (``/v1/graphql/explain``)."""
    if prepared.plan.mutation is not None:
        raise QueryError("not-supported", "only queries can be explained", path="$")
    doc = prepared.document
    normalised = Normaliser(doc.schema, doc.fragments, Inputs(prepared.variables)).operation(doc.operation)
    out: list[tuple[str, CompiledQuery]] = []
    for alias, root in normalised.operation.fields:
        single = ir.Operation(((alias, root),), normalised.operation.redactions)
        out.append((alias, compile_operation(single, stringify_numeric_types=engine.stringify_numeric_types)))
    return out
