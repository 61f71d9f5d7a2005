"""HTTP endpoints of the admin APIs: ``/v1/metadata``, ``/v1/query`` and ``/v2/query``.

Transport only: parse the JSON body, resolve the session, hand the request to the metadata
service, and write its answer. Errors are ``{path, error, code}`` with a real HTTP status.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from livegres.errors import QueryError
from livegres.metadata.commands.base import Api
from livegres.runtime import Runtime


def json_response(body: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


def error_response(error: QueryError, include_internal: bool) -> Response:
    return json_response(error.to_metadata_json(include_internal), error.status)


async def _handle(request: Request, api: Api) -> Response:
    runtime: Runtime = request.app.state.runtime
    dev_mode = runtime.settings.dev_mode
    try:
        session = await runtime.authenticator.resolve(request.headers.items())
    except QueryError as exc:
        return error_response(exc, dev_mode)
    raw = await request.body()
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        return error_response(QueryError("invalid-json", f"Error in $: Failed reading: {exc.msg}", path="$"), dev_mode)
    if not session.is_admin:
        return error_response(QueryError("access-denied", "restricted access : admin only", path="$.args"), dev_mode)
    try:
        status, answer = await runtime.metadata.handle(api, body)
    except QueryError as exc:
        return error_response(exc, include_internal=True)
    return json_response(answer, status)


async def v1_metadata(request: Request) -> Response:
    return await _handle(request, "metadata")


async def v1_query(request: Request) -> Response:
    return await _handle(request, "query")


async def v2_query(request: Request) -> Response:
    return await _handle(request, "v2query")
