"""HTTP endpoints of the GraphQL API: ``/v1/graphql`` (POST, and GET for queries),
``/v1alpha1/graphql`` and ``/v1/graphql/explain``.

Transport only: read the body, resolve the session, hand the request to the pipeline, write
its bytes. ``/v1/graphql`` always answers 200 with ``{"data": ...}`` or ``{"errors": [...]}``;
the older ``/v1alpha1/graphql`` answers errors with their HTTP status and the
``{"errors": [{path, error, code}]}`` shape.
"""

from __future__ import annotations

import contextlib
from typing import Any

import asyncpg
import orjson
from graphql import OperationType
from starlette.requests import Request
from starlette.responses import Response

from livegres.auth.session import Session
from livegres.errors import QueryError
from livegres.graphql import GraphQLRequest, parse_request
from livegres.graphql.engine import Prepared, explain_plans
from livegres.ir.values import SessionObject
from livegres.pipeline import Outcome, Pipeline, database_error
from livegres.runtime import Runtime
from livegres.sql import BindError, CompiledQuery, bind
from livegres.sql.bind import printed_array, session_names

JSON = "application/json"


def _pipeline(request: Request) -> Pipeline:
    runtime: Runtime = request.app.state.runtime
    return runtime.pipeline


async def _session(request: Request) -> Session:
    runtime: Runtime = request.app.state.runtime
    authenticator = runtime.authenticator
    gql: Any = None
    if authenticator.wants_request:  # an auth webhook in POST mode is sent the GraphQL request
        if request.method == "GET":
            gql = dict(request.query_params)
            if "variables" in gql:
                with contextlib.suppress(orjson.JSONDecodeError):
                    gql["variables"] = orjson.loads(gql["variables"])
        else:
            try:
                gql = orjson.loads(await request.body())
            except orjson.JSONDecodeError:
                gql = None
    return await authenticator.resolve(request.headers.items(), gql)


def _v1_error(error: QueryError, include_internal: bool) -> Response:
    return Response(orjson.dumps({"errors": [error.to_graphql_json(include_internal)]}), media_type=JSON)


async def v1_graphql(request: Request) -> Response:
    pipeline = _pipeline(request)
    try:
        session = await _session(request)
    except QueryError as exc:
        return _v1_error(exc, pipeline.dev_mode)
    internal = pipeline.include_internal(session)
    if request.method == "GET":
        params = request.query_params
        body: dict[str, Any] = {"query": params.get("query"), "operationName": params.get("operationName")}
        if params.get("variables"):
            try:
                body["variables"] = orjson.loads(params["variables"])
            except orjson.JSONDecodeError:
                return _v1_error(
                    QueryError("parse-failed", "variables are not valid JSON", path="$.variables"), internal
                )
        outcome = await pipeline.run(body, session, mutations=False)
        return Response(outcome.v1_body(internal), media_type=JSON)
    batch, outcomes = await pipeline.run_body(await request.body(), session)
    bodies = [o.v1_body(internal) for o in outcomes]
    return Response(b"[" + b",".join(bodies) + b"]" if batch else bodies[0], media_type=JSON)


def _v1alpha1_body(outcome: Outcome, internal: bool) -> tuple[int, bytes]:
    if outcome.data is not None:
        return 200, b'{"data":' + outcome.data + b"}"
    assert outcome.error is not None
    return outcome.error.status, orjson.dumps({"errors": [outcome.error.to_metadata_json(internal)]})


async def v1alpha1_graphql(request: Request) -> Response:
    pipeline = _pipeline(request)
    try:
        session = await _session(request)
    except QueryError as exc:
        return Response(orjson.dumps({"errors": [exc.to_metadata_json()]}), exc.status, media_type=JSON)
    internal = pipeline.include_internal(session)
    batch, outcomes = await pipeline.run_body(await request.body(), session)
    answers = [_v1alpha1_body(o, internal) for o in outcomes]
    if batch:
        return Response(b"[" + b",".join(b for _, b in answers) + b"]", media_type=JSON)
    status, content = answers[0]
    return Response(content, status, media_type=JSON)


async def _plan(
    pipeline: Pipeline, compiled: CompiledQuery, prepared: Prepared, session: Session
) -> tuple[list[Any], list[str]]:
    """The statement's arguments for this session, and PostgreSQL's plan of it."""
    try:
        args = bind(compiled, prepared.variables, session.variables)
        rows = await pipeline.pool.fetch("EXPLAIN " + compiled.text, *args)
    except BindError as exc:
        raise QueryError("not-found", str(exc)) from None
    except asyncpg.PostgresError as exc:
        raise database_error(exc) from None
    return args, [r[0] for r in rows]


async def _explain_subscription(pipeline: Pipeline, prepared: Prepared, session: Session) -> dict[str, Any]:
    """Hasura's explain of a subscription: the statement, its plan, and the values a cohort is
    made of: the GraphQL variables, the session variables the statement reads (others are
    discarded, so they do not split cohorts) and the other parameters (``synthetic``)."""
    compiled = prepared.plan.compiled
    if compiled is None:
        raise QueryError("not-supported", "nothing to explain: the subscription reads no table", path="$")
    args, plan = await _plan(pipeline, compiled, prepared, session)
    used: dict[str, str] = {}
    synthetic: list[str | None] = []
    for param, value in zip(compiled.params, args, strict=True):
        names = session_names(param.source)
        if isinstance(param.source, SessionObject):
            used.update(session.variables)
        elif names:
            used.update({n: session.variables[n] for n in names if n in session.variables})
        else:
            synthetic.append(printed_array(value) if isinstance(value, list) else value)
    variables = {"query": dict(prepared.variables), "session": used, "synthetic": synthetic, "cursor": {}}
    return {"sql": compiled.text, "plan": plan, "variables": variables}


async def explain(request: Request) -> Response:
    """``[{"field", "sql", "plan"}]`` for each root field, admin only (Hasura's explain API:
    ``{"query": <GraphQL request>, "user": {session variables}}``)."""
    pipeline = _pipeline(request)
    try:
        session = await _session(request)
        if not session.is_admin:
            raise QueryError("access-denied", "restricted access : admin only", status=400)
        body = orjson.loads(await request.body())
        if not isinstance(body, dict):
            raise QueryError("parse-failed", "expected Object", path="$")
        gql: GraphQLRequest = parse_request(body.get("query"))
        user = body.get("user") or {}
        as_session = Session(
            role=str({k.lower(): v for k, v in user.items()}.get("x-hasura-role", "admin")),
            variables={str(k).lower(): str(v) for k, v in user.items()},
        )
        prepared = pipeline.engine.prepare(gql, as_session.role, subscriptions=True)
        if prepared.document.operation.operation is OperationType.SUBSCRIPTION:
            explained = await _explain_subscription(pipeline, prepared, as_session)
            return Response(orjson.dumps(explained), media_type=JSON)
        answer = []
        for alias, compiled in explain_plans(pipeline.engine, prepared):
            _, plan = await _plan(pipeline, compiled, prepared, as_session)
            answer.append({"field": alias, "sql": compiled.text, "plan": plan})
    except orjson.JSONDecodeError:
        error = QueryError("invalid-json", "Error in $: Failed reading", path="$")
        return Response(orjson.dumps(error.to_metadata_json()), 400, media_type=JSON)
    except QueryError as exc:
        return Response(orjson.dumps(exc.to_metadata_json(True)), exc.status, media_type=JSON)
    return Response(orjson.dumps(answer), media_type=JSON)
