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
    return PlainTextResponse("OK")


async def version(request: Request) -> Response:
    return JSONResponse({"version": livegres.__version__})
