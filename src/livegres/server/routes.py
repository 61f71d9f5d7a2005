"""Operational endpoints: health and version."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

import livegres
from livegres.runtime import Runtime

_HEALTH_TIMEOUT = 5.0


async def healthz(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    if not await runtime.database_answers(_HEALTH_TIMEOUT):
        return PlainTextResponse("ERROR", status_code=500)
    if not runtime.metadata.current.is_consistent:
        status = 500 if request.query_params.get("strict") == "true" else 200
        return PlainTextResponse("WARN: inconsistent objects in schema", status_code=status)
    return PlainTextResponse("OK")


async def version(request: Request) -> Response:
    return JSONResponse({"version": livegres.__version__, "server_type": "ce"})


async def not_found(request: Request, exc: Exception) -> Response:
    return JSONResponse({"error": "resource does not exist", "path": "$", "code": "not-found"}, status_code=404)
