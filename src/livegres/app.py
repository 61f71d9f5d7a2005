"""Composition root: the only module that wires the subsystems into one ASGI app."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Route, WebSocketRoute

from livegres import log
from livegres.runtime import Runtime
from livegres.server import graphql_routes, metadata_routes, routes, sse, ws
from livegres.server.accesslog import AccessLogMiddleware


def create_app(runtime: Runtime, *, manage_runtime: bool = True) -> Starlette:
    """The ASGI app. With ``manage_runtime``, its lifespan starts and stops ``runtime``
    (in-process use); ``livegres serve`` starts the runtime itself, before listening."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if manage_runtime:
            await runtime.start()
        try:
            yield
        finally:
            if manage_runtime:
                await runtime.stop()

    app = Starlette(
        routes=[
            Route("/healthz", routes.healthz, methods=["GET", "HEAD"]),
            Route("/hasura/healthz", routes.healthz, methods=["GET", "HEAD"]),
            Route("/v1/version", routes.version, methods=["GET"]),
            Route("/v1/metadata", metadata_routes.v1_metadata, methods=["POST"]),
            Route("/v1/query", metadata_routes.v1_query, methods=["POST"]),
            Route("/v2/query", metadata_routes.v2_query, methods=["POST"]),
            Route("/v1/graphql", sse.v1_graphql, methods=["GET", "POST", "PUT", "DELETE"]),
            WebSocketRoute("/v1/graphql", ws.endpoint),
            Route("/v1/graphql/explain", graphql_routes.explain, methods=["POST"]),
            Route("/v1alpha1/graphql", graphql_routes.v1alpha1_graphql, methods=["POST"]),
        ],
        exception_handlers={404: routes.not_found, 405: routes.not_found},
        middleware=[Middleware(AccessLogMiddleware)],
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    log.log("info", "startup", {"kind": "auth", "info": f"authentication mode: {runtime.authenticator.mode}"})
    return app
