"""Subscriptions over plain HTTP on ``/v1/graphql``, for clients that cannot open a WebSocket:

- GraphQL over Server-Sent Events (the graphql-sse protocol), "distinct connections" mode:
  a request with ``Accept: text/event-stream`` is answered with ``event: next`` events, each
  holding one result, and ``event: complete`` when the operation ends (a query or mutation
  answers once and completes); and "single connection" mode (see below);
- Apollo's multipart HTTP subscriptions: ``Accept: multipart/mixed; subscriptionSpec=1.0``
  answers ``multipart/mixed; boundary="graphql"`` parts ``{"payload": <result>}``, with an
  empty ``{}`` part as heartbeat every few seconds.

Anything else goes to the ordinary HTTP handler. Closing the HTTP connection stops the
subscription at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse

from livegres.auth.session import Session
from livegres.errors import QueryError
from livegres.live import Message, Sink, Subscription, operations
from livegres.pipeline import Outcome
from livegres.server import graphql_routes, routes

HEARTBEAT_SECONDS = 5.0
TOKEN_HEADER = "x-graphql-event-stream-token"
RESERVATION_SECONDS = 60.0
CHANNEL_BUFFER = 64
MAX_CHANNELS = 10_000
"""Reserved or open single-connection streams per server process."""
MAX_OPERATIONS = 1000
"""Operations on one single-connection stream (as on one WebSocket)."""
EXPIRED = QueryError("invalid-jwt", "Could not verify JWT: JWTExpired")


def _expiry_wait(session: Session) -> float | None:
    """Seconds until the session's credentials expire (None: they do not)."""
    return None if session.expires_at is None else max(0.0, session.expires_at - time.time())


async def _next(sink: Sink, session: Session, heartbeat: float | None) -> Message | None:
    """The sink's next message; None after ``heartbeat`` seconds without one; an error message
    once the session's JWT (or webhook answer) has expired."""
    wait = _expiry_wait(session)
    if wait is not None and wait <= 0:
        return Message("error", orjson.dumps([EXPIRED.to_graphql_json(False)]))
    timeout = heartbeat if wait is None else (wait if heartbeat is None else min(wait, heartbeat))
    try:
        return await asyncio.wait_for(sink.get(), timeout)
    except TimeoutError:
        expired = _expiry_wait(session)
        if expired is not None and expired <= 0:
            return Message("error", orjson.dumps([EXPIRED.to_graphql_json(False)]))
        return None


_MULTIPART = 'multipart/mixed; boundary="graphql"; subscriptionSpec=1.0'
_NO_BUFFERING = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


def _wants(request: Request) -> str | None:
    accept = request.headers.get("accept", "").lower()
    if "text/event-stream" in accept:
        return "sse"
    if "multipart/mixed" in accept and "subscriptionspec" in accept:
        return "multipart"
    return None


async def v1_graphql(request: Request) -> Response:
    """``/v1/graphql`` over HTTP: streams for SSE and multipart clients, else the usual answer."""
    token = request.headers.get(TOKEN_HEADER) or request.query_params.get("token")
    if request.method == "PUT":
        return await _reserve(request)
    if token is not None:
        return await _single_connection(request, token)
    if request.method == "DELETE":
        return await routes.not_found(request, LookupError())
    mode = _wants(request)
    if mode is None:
        return await graphql_routes.v1_graphql(request)
    body: Any
    if request.method == "GET":
        params = request.query_params
        body = {"query": params.get("query"), "operationName": params.get("operationName")}
        if params.get("variables"):
            try:
                body["variables"] = orjson.loads(params["variables"])
            except orjson.JSONDecodeError:
                body["variables"] = params["variables"]
    else:
        try:
            body = orjson.loads(await request.body())
        except orjson.JSONDecodeError:
            body = None
    runtime: Any = request.app.state.runtime
    errors: bytes | None = None
    session: Session | None = None
    try:
        session = await runtime.authenticator.resolve(request.headers.items(), body)
    except QueryError as exc:
        errors = orjson.dumps([exc.to_graphql_json(False)])
    frames = _Frames(mode)
    stream = _errors_only(frames, errors) if session is None else _run(runtime, frames, body, session)
    return StreamingResponse(stream, media_type=frames.media_type, headers=_NO_BUFFERING)


class _Frames:
    def __init__(self, mode: str) -> None:
        self.sse = mode == "sse"
        self.media_type = "text/event-stream" if self.sse else _MULTIPART

    def start(self) -> bytes:
        return b"" if self.sse else b"\r\n--graphql"

    def result(self, body: bytes) -> bytes:
        """One part; in multipart, each part ends with the next boundary, so that a client
        can hand it on without waiting for the next part."""
        if self.sse:
            return b"event: next\ndata: " + body + b"\n\n"
        return b"\r\ncontent-type: application/json; charset=utf-8\r\n\r\n" + b'{"payload":' + body + b"}\r\n--graphql"

    def heartbeat(self) -> bytes:
        if self.sse:
            return b": keep-alive\n\n"
        return b"\r\ncontent-type: application/json; charset=utf-8\r\n\r\n{}\r\n--graphql"

    def complete(self) -> bytes:
        if self.sse:
            return b"event: complete\ndata:\n\n"
        return b"--\r\n"


async def _errors_only(frames: _Frames, errors: bytes | None) -> AsyncIterator[bytes]:
    yield frames.start()
    yield frames.result(b'{"errors":' + (errors or b"[]") + b"}")
    yield frames.complete()


async def _run(runtime: Any, frames: _Frames, body: Any, session: Session) -> AsyncIterator[bytes]:
    sink = Sink()
    yield frames.start()
    try:
        started = await operations.start(runtime, body, session, sink)
    except QueryError as exc:
        yield frames.result(b'{"errors":' + orjson.dumps([exc.to_graphql_json(session.is_admin)]) + b"}")
        yield frames.complete()
        return
    if isinstance(started, Outcome):
        yield frames.result(started.v1_body(session.is_admin))
        yield frames.complete()
        return
    sub: Subscription = started
    try:
        while True:
            message = await _next(sink, session, HEARTBEAT_SECONDS)
            if message is None:
                yield frames.heartbeat()
                continue
            if message.kind == "data":
                yield frames.result(message.body)
                continue
            if message.kind == "error":
                yield frames.result(b'{"errors":' + message.body + b"}")
            yield frames.complete()
            return
    finally:
        runtime.live.unsubscribe(sub)


# -- graphql-sse "single connection" mode --------------------------------------------------
#
# PUT reserves a stream and answers its token (201, text/plain); GET (or POST without body
# operation) with the token in ``x-graphql-event-stream-token`` (or ``?token=``) opens the event
# stream; POST with the token and ``extensions.operationId`` starts an operation (202), whose
# results arrive on the stream as ``{"id", "payload"}``; DELETE ``?operationId=`` stops one.
# Tokens live in this server process: a client must reach the same instance for all of them.


@dataclass(eq=False)
class _Channel:
    token: str
    created: float = field(default_factory=time.monotonic)
    events: asyncio.Queue[bytes] = field(default_factory=lambda: asyncio.Queue(CHANNEL_BUFFER))
    operations: dict[str, asyncio.Task[None]] = field(default_factory=dict)
    streaming: bool = False


def _channels(request: Request) -> dict[str, _Channel]:
    found: dict[str, _Channel] | None = getattr(request.app.state, "sse_channels", None)
    if found is None:
        found = request.app.state.sse_channels = {}
    return found


def _drop(channels: dict[str, _Channel], channel: _Channel) -> None:
    """Forget a channel and stop its operations."""
    if channels.get(channel.token) is channel:
        del channels[channel.token]
    for task in channel.operations.values():
        task.cancel()
    channel.operations.clear()


def _expire_reservation(channels: dict[str, _Channel], channel: _Channel) -> None:
    if not channel.streaming:
        _drop(channels, channel)


async def _reserve(request: Request) -> Response:
    runtime: Any = request.app.state.runtime
    try:
        await runtime.authenticator.resolve(request.headers.items())
    except QueryError as exc:
        return PlainTextResponse(exc.message, exc.status)
    channels = _channels(request)
    if len(channels) >= MAX_CHANNELS:
        return PlainTextResponse("Too many streams", 503)
    token = secrets.token_urlsafe(24)
    channel = channels[token] = _Channel(token)
    # a reservation nobody opens within the time is dropped, with anything started on it
    asyncio.get_running_loop().call_later(RESERVATION_SECONDS, _expire_reservation, channels, channel)
    return PlainTextResponse(token, 201)


async def _single_connection(request: Request, token: str) -> Response:
    channel = _channels(request).get(token)
    if channel is None:
        return PlainTextResponse("Stream not found", 404)
    if request.method == "GET" or (
        request.method == "POST" and "text/event-stream" in request.headers.get("accept", "")
    ):
        if channel.streaming:
            return PlainTextResponse("Stream already open", 409)
        channel.streaming = True
        return StreamingResponse(
            _channel_stream(request, channel), media_type="text/event-stream", headers=_NO_BUFFERING
        )
    if request.method == "DELETE":
        task = channel.operations.pop(request.query_params.get("operationId", ""), None)
        if task is not None:
            task.cancel()
        return PlainTextResponse("", 200)
    try:
        body = orjson.loads(await request.body())
    except orjson.JSONDecodeError:
        return PlainTextResponse("Invalid JSON", 400)
    extensions = body.get("extensions") if isinstance(body, dict) else None
    op_id = extensions.get("operationId") if isinstance(extensions, dict) else None
    if not isinstance(op_id, str) or not op_id:
        return PlainTextResponse("Operation ID is missing", 400)
    if op_id in channel.operations:
        return PlainTextResponse("Operation with ID already exists", 409)
    if len(channel.operations) >= MAX_OPERATIONS:
        return PlainTextResponse("Too many operations on this stream", 429)
    runtime: Any = request.app.state.runtime
    try:
        session = await runtime.authenticator.resolve(request.headers.items(), body)
    except QueryError as exc:
        return PlainTextResponse(exc.message, exc.status)
    task = asyncio.get_running_loop().create_task(_channel_operation(runtime, channel, op_id, body, session))
    channel.operations[op_id] = task
    return PlainTextResponse("", 202)


def _event(kind: str, op_id: str, payload: bytes | None) -> bytes:
    data = b'{"id":' + orjson.dumps(op_id)
    if payload is not None:
        data += b',"payload":' + payload
    return b"event: " + kind.encode() + b"\ndata: " + data + b"}\n\n"


async def _channel_operation(runtime: Any, channel: _Channel, op_id: str, body: Any, session: Session) -> None:
    sink = Sink()
    sub: Subscription | None = None
    try:
        try:
            started = await operations.start(runtime, body, session, sink)
        except QueryError as exc:
            errors = orjson.dumps([exc.to_graphql_json(session.is_admin)])
            await channel.events.put(_event("next", op_id, b'{"errors":' + errors + b"}"))
            return
        if isinstance(started, Outcome):
            await channel.events.put(_event("next", op_id, started.v1_body(session.is_admin)))
            return
        sub = started
        while True:
            message = await _next(sink, session, None)
            if message is None:
                continue
            if message.kind == "data":
                # a full stream buffer makes this wait; meanwhile the sink keeps only the latest
                await channel.events.put(_event("next", op_id, message.body))
                continue
            if message.kind == "error":
                await channel.events.put(_event("next", op_id, b'{"errors":' + message.body + b"}"))
            return
    finally:
        if sub is not None:
            runtime.live.unsubscribe(sub)
        if channel.operations.get(op_id) is asyncio.current_task():
            del channel.operations[op_id]
            with contextlib.suppress(asyncio.QueueFull):
                channel.events.put_nowait(_event("complete", op_id, None))


async def _channel_stream(request: Request, channel: _Channel) -> AsyncIterator[bytes]:
    try:
        yield b": connected\n\n"
        while True:
            try:
                yield await asyncio.wait_for(channel.events.get(), HEARTBEAT_SECONDS)
            except TimeoutError:
                yield b": keep-alive\n\n"
    finally:
        _channels(request).pop(channel.token, None)
        for task in list(channel.operations.values()):
            task.cancel()
        channel.operations.clear()
