"""What every subscription transport (WebSocket, SSE, multipart HTTP) does with one
operation: resolve the session, then run a query or mutation through the pipeline, or start
a live query. Transports only frame the results."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Protocol

from graphql import GraphQLSyntaxError, OperationDefinitionNode, OperationType, parse, print_ast

from livegres.auth.session import Session
from livegres.errors import QueryError
from livegres.graphql import GraphQLRequest, parse_request
from livegres.live.registry import LiveQueries, Subscription
from livegres.live.sink import Sink
from livegres.pipeline import Outcome, Pipeline


class _Runtime(Protocol):
    @property
    def pipeline(self) -> Pipeline: ...

    @property
    def live(self) -> LiveQueries: ...


async def resolve(runtime: Any, headers: Iterable[tuple[str, str]]) -> Session:
    """The session for these headers, through the runtime's authenticator (JWT, webhook,
    admin secret); raises ``QueryError`` when they are refused."""
    session: Session = await runtime.authenticator.resolve(list(headers))
    return session


def is_subscription(runtime: _Runtime, request: GraphQLRequest, session: Session) -> bool:
    doc = runtime.pipeline.engine.document(request, session.role, subscriptions=True)
    return doc.operation.operation is OperationType.SUBSCRIPTION


async def start(
    runtime: _Runtime,
    body: Any,
    session: Session,
    sink: Sink,
    wrap: Callable[[bytes], bytes] | None = None,
) -> Outcome | Subscription:
    """A query or mutation: its ``Outcome``. A subscription: started, its results go to
    ``sink``. Raises ``QueryError`` for a request that cannot start."""
    request = parse_request(body)
    multiple = _multiple_top_level_fields(request)
    if multiple is not None:
        return await runtime.live.subscribe(multiple, session, sink, wrap)
    try:
        if not is_subscription(runtime, request, session):
            return await runtime.pipeline.run(body, session)
        return await runtime.live.subscribe(request, session, sink, wrap)
    except QueryError as exc:
        if exc.code == "validation-failed" and exc.message.endswith("must select only one top level field."):
            raise QueryError("validation-failed", "subscriptions must select one top level field", path="$") from None
        raise


def _multiple_top_level_fields(request: GraphQLRequest) -> GraphQLRequest | None:
    """Hasura's ``subscription @_multiple_top_level_fields { a b }``: several root fields in one
    live query. It runs as the same selection written as a query (one plan, one result)."""
    if "_multiple_top_level_fields" not in request.query:
        return None
    try:
        document = parse(request.query)
    except GraphQLSyntaxError:
        return None
    definitions: list[Any] = []
    found = False
    for definition in document.definitions:
        if (
            isinstance(definition, OperationDefinitionNode)
            and definition.operation is OperationType.SUBSCRIPTION
            and any(d.name.value == "_multiple_top_level_fields" for d in definition.directives or ())
            and (
                request.operation_name is None or (definition.name and definition.name.value == request.operation_name)
            )
        ):
            found = True
            directives = tuple(d for d in definition.directives or () if d.name.value != "_multiple_top_level_fields")
            definition = OperationDefinitionNode(
                operation=OperationType.QUERY,
                name=definition.name,
                variable_definitions=definition.variable_definitions,
                directives=directives,
                selection_set=definition.selection_set,
            )
        definitions.append(definition)
    if not found:
        return None
    text = "\n".join(print_ast(d) for d in definitions)
    return GraphQLRequest(text, request.variables, request.operation_name)
