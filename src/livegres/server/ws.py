"""GraphQL over WebSocket on ``/v1/graphql``: ``graphql-transport-ws`` (the graphql-ws
library) and the legacy ``graphql-ws`` (Apollo's subscriptions-transport-ws), chosen by
``Sec-WebSocket-Protocol`` as Hasura does (no subprotocol: the legacy one).

Queries and mutations run through the pipeline and answer once; subscriptions are live
queries (``livegres.live``), each pumped from its sink by its own task, so a slow client
only delays its own messages and never makes the server hold more than one unsent result
per subscription.

Close codes (``graphql-transport-ws``): 4400 invalid message, 4401 subscribe before
``connection_ack``, 4403 authentication failed, 4408 no ``connection_init`` in time, 4409
duplicate operation id, 4429 a second ``connection_init``, 1009 message too big, 1012 the
metadata changed (``HASURA_GRAPHQL_CLOSE_WEBSOCKETS_ON_METADATA_CHANGE``). The legacy
protocol answers errors with ``connection_error`` or ``error`` messages instead, as Hasura.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from livegres import log
from livegres.auth.session import Session
from livegres.errors import QueryError
from livegres.live import Sink, Subscription, operations
from livegres.pipeline import Outcome

TRANSPORT_WS = "graphql-transport-ws"
LEGACY_WS = "graphql-ws"
MAX_MESSAGE_BYTES = 4 * 1024 * 1024
MAX_OPERATIONS = 1000


@dataclass(eq=False, slots=True)
class Operation:
    id: str
    task: asyncio.Task[None] | None = None
    subscription: Subscription | None = None


class Closed(Exception):
    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


class Connection:
    def __init__(self, websocket: WebSocket, protocol: str) -> None:
        self.ws = websocket
        self.runtime: Any = websocket.app.state.runtime
        self.protocol = protocol
        self.legacy = protocol == LEGACY_WS
        self.session: Session | None = None
        self.acknowledged = False
        self.operations: dict[str, Operation] = {}
        self._send_lock = asyncio.Lock()
        self._closing: tuple[int, str] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        settings = self.runtime.settings
        self.init_timeout: float = float(getattr(settings, "websocket_connection_init_timeout", 3))
        self.keepalive: float = float(getattr(settings, "websocket_keepalive", 5))

    # -- sending -----------------------------------------------------------------------

    async def send_raw(self, text: str) -> None:
        async with self._send_lock:
            if self.ws.application_state == WebSocketState.CONNECTED:
                await self.ws.send_text(text)

    async def send(self, message: dict[str, Any]) -> None:
        await self.send_raw(orjson.dumps(message).decode())

    async def send_payload(self, kind: str, op_id: str, payload: bytes) -> None:
        await self.send_raw(
            '{"type":"' + kind + '","id":' + orjson.dumps(op_id).decode() + ',"payload":' + payload.decode() + "}"
        )

    async def send_errors(self, op_id: str, errors: bytes) -> None:
        """``errors``: the JSON list of GraphQL errors."""
        if self.legacy:
            await self.send_payload("error", op_id, b'{"errors":' + errors + b"}")
        else:
            await self.send_payload("error", op_id, errors)

    async def send_complete(self, op_id: str) -> None:
        await self.send({"type": "complete", "id": op_id})

    def close_later(self, code: int, reason: str) -> None:
        """Close from outside the reader (metadata change, expiry)."""
        if self._closing is None:
            self._closing = (code, reason)
            self._spawn(self._close(code, reason))

    async def _close(self, code: int, reason: str) -> None:
        with contextlib.suppress(Exception):
            await self.ws.close(code, reason)

    def _spawn(self, coro: Any) -> asyncio.Task[None]:
        task: asyncio.Task[None] = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    # -- the connection ----------------------------------------------------------------

    async def run(self) -> None:
        live = self.runtime.live
        close_on_change: Callable[[], None] = lambda: self.close_later(1012, "Service Restart")  # noqa: E731
        live.on_metadata_close.add(close_on_change)
        init_timer = self._spawn(self._init_timeout())
        try:
            while True:
                message = await self.ws.receive()
                if message["type"] == "websocket.disconnect":
                    return
                text = message.get("text")
                if text is None and message.get("bytes") is not None:
                    text = message["bytes"].decode("utf-8", "replace")
                if text is None:
                    continue
                if len(text) > MAX_MESSAGE_BYTES:
                    raise Closed(1009, "Message too big")
                await self.handle(text)
        except Closed as exc:
            await self._close(exc.code, exc.reason)
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            init_timer.cancel()
            live.on_metadata_close.discard(close_on_change)
            for op in list(self.operations.values()):
                self.stop(op)
            for task in list(self._tasks):
                task.cancel()

    async def _init_timeout(self) -> None:
        await asyncio.sleep(self.init_timeout)
        if self.session is None:
            self.close_later(4408, "Connection initialisation timeout")

    async def _keepalive(self) -> None:
        while True:
            if self.legacy:
                await self.send({"type": "ka"})
            else:
                await self.send({"type": "ping", "payload": {"message": "keepalive"}})
            await asyncio.sleep(self.keepalive)

    async def _expire(self, at: float) -> None:
        await asyncio.sleep(max(0.0, at - time.time()))
        if self.legacy:
            with contextlib.suppress(Exception):
                await self.send({"type": "connection_error", "payload": "JWT expired"})
        self.close_later(4403 if not self.legacy else 1000, "JWT expired")

    # -- messages ----------------------------------------------------------------------

    async def handle(self, text: str) -> None:
        try:
            message = orjson.loads(text)
        except orjson.JSONDecodeError:
            message = None
        kind = message.get("type") if isinstance(message, dict) else None
        if not isinstance(message, dict) or not isinstance(kind, str):
            await self.invalid("parsing ClientMessage failed: expected an object with a type")
            return
        if kind == "connection_init":
            await self.on_init(message.get("payload"))
        elif kind in ("start", "subscribe") and (kind == "start") == self.legacy:
            await self.on_start(message)
        elif kind in ("stop", "complete") and (kind == "stop") == self.legacy:
            op_id = message.get("id")
            if not isinstance(op_id, str):
                await self.invalid("parsing StopMsg failed: the key 'id' was not present")
                return
            op = self.operations.get(op_id)
            if op is not None:
                self.stop(op)
        elif kind == "connection_terminate" and self.legacy:
            raise Closed(1000, "Normal Closure")
        elif kind == "ping" and not self.legacy:
            reply: dict[str, Any] = {"type": "pong"}
            if "payload" in message:
                reply["payload"] = message["payload"]
            await self.send(reply)
        elif kind == "pong" and not self.legacy:
            pass
        else:
            await self.invalid(f"unexpected type for ClientMessage: {kind}")

    async def invalid(self, detail: str) -> None:
        if self.legacy:
            await self.send({"type": "connection_error", "payload": detail})
        else:
            raise Closed(4400, "Invalid message received")

    async def on_init(self, payload: Any) -> None:
        if (self.session is not None or self.acknowledged) and not self.legacy:
            raise Closed(4429, "Too many initialisation requests")
        # The legacy protocol lets a client initialise again (new headers): operations
        # started afterwards run with the new session, as in Hasura.
        first = not self.acknowledged
        self.acknowledged = True
        if payload is not None and not isinstance(payload, dict):
            await self.invalid("parsing ConnectionParams failed: expected an object")
            return
        headers = dict(self.ws.headers.items())
        given = (payload or {}).get("headers")
        if isinstance(given, dict):
            headers.update({str(k).lower(): str(v) for k, v in given.items()})
        try:
            self.session = await operations.resolve(self.runtime, headers.items())
        except QueryError as exc:
            message = exc.message
            if self.legacy:
                await self.send({"type": "connection_error", "payload": message})
                raise Closed(1000, message) from None
            raise Closed(4403, "Forbidden") from None
        await self.send({"type": "connection_ack"})
        if first:
            self._spawn(self._keepalive())
        if self.session.expires_at is not None:
            self._spawn(self._expire(self.session.expires_at))

    async def on_start(self, message: dict[str, Any]) -> None:
        op_id = message.get("id")
        if not isinstance(op_id, str) or not op_id:
            await self.invalid("parsing StartMsg failed: the key 'id' is missing or not a string")
            return
        if self.session is None:
            if not self.legacy:
                raise Closed(4401, "Unauthorized")
            await self.send_errors(
                op_id, _errors(QueryError("start-failed", "start received before the connection is initialised"))
            )
            return
        if op_id in self.operations:
            if not self.legacy:
                raise Closed(4409, f"Subscriber for {op_id} already exists")
            await self.send_errors(
                op_id, _errors(QueryError("start-failed", f"an operation already exists with this id: {op_id}"))
            )
            return
        if len(self.operations) >= MAX_OPERATIONS:
            await self.send_errors(op_id, _errors(QueryError("start-failed", "too many operations on this connection")))
            return
        op = Operation(op_id)
        self.operations[op_id] = op
        op.task = self._spawn(self.execute(op, message.get("payload"), self.session))

    async def execute(self, op: Operation, payload: Any, session: Session) -> None:
        sink = Sink()
        try:
            started = await operations.start(self.runtime, payload, session, sink)
        except QueryError as exc:
            await self.send_errors(op.id, _errors(exc, session.is_admin))
            self.operations.pop(op.id, None)
            return
        except Exception as exc:
            log.error("websocket operation failed", error=repr(exc))
            await self.send_errors(op.id, _errors(QueryError("unexpected", "internal error", status=500)))
            self.operations.pop(op.id, None)
            return
        if isinstance(started, Outcome):
            if self.operations.get(op.id) is op:
                if started.data is not None:
                    await self.send_payload("data" if self.legacy else "next", op.id, b'{"data":' + started.data + b"}")
                    await self.send_complete(op.id)
                else:
                    assert started.error is not None
                    await self.send_errors(op.id, _errors(started.error, session.is_admin))
                self.operations.pop(op.id, None)
            return
        op.subscription = started
        started.extra["closable"] = True  # closed with its connection on a metadata change
        if self.operations.get(op.id) is not op:  # stopped while starting
            self.runtime.live.unsubscribe(started)
            return
        kind = "data" if self.legacy else "next"
        try:
            while True:
                message = await sink.get()
                if message.kind == "data":
                    await self.send_payload(kind, op.id, message.body)
                else:
                    if message.kind == "error":
                        await self.send_errors(op.id, message.body)
                    else:
                        await self.send_complete(op.id)
                    break
        finally:
            self.runtime.live.unsubscribe(started)
            if self.operations.get(op.id) is op:
                del self.operations[op.id]

    def stop(self, op: Operation) -> None:
        self.operations.pop(op.id, None)
        if op.subscription is not None:
            self.runtime.live.unsubscribe(op.subscription)
        if op.task is not None and op.subscription is not None:
            op.task.cancel()


def _errors(error: QueryError, internal: bool = False) -> bytes:
    return orjson.dumps([error.to_graphql_json(internal)])


def choose_protocol(requested: list[str]) -> str | None:
    if TRANSPORT_WS in requested:
        return TRANSPORT_WS
    if LEGACY_WS in requested or not requested:
        return LEGACY_WS
    return None


async def endpoint(websocket: WebSocket) -> None:
    requested = [p.strip() for p in websocket.scope.get("subprotocols", [])]
    protocol = choose_protocol(requested)
    if protocol is None:
        await websocket.close(4406, "Subprotocol not acceptable")
        return
    await websocket.accept(subprotocol=protocol if requested else None)
    await Connection(websocket, protocol).run()
