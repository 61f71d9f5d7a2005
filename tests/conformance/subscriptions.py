"""The subscription transport: Hasura's subscription cases over WebSocket.

- Request files in ``subscriptions/`` (``basic/negative_test.yaml``) run as Hasura's
  ``websocket`` transport does: each request's ``query`` is sent as a ``start`` on a legacy
  ``graphql-ws`` connection whose ``connection_init`` carries the case's headers, and the first
  ``data`` or ``error`` payload is compared with ``response``; then the same over
  ``graphql-transport-ws``.
- ``live_queries/steps.yaml`` runs ``test_live_queries``: three live queries on
  ``hge_tests_test_t2`` (``order_by: {c1: asc}``, limits 1, 2, 2) must first give ``[]``; each
  step's mutation, sent on the same connection, must answer its ``response`` and then push to
  every live query the mutation's ``returning`` (or ``live_response``) cut to its limit. Run
  over both protocols.

- ``streaming/steps.yaml`` runs ``test_streaming_subscriptions_with_concurrent_data_inserts``
  over the legacy protocol.

The ``/v1/graphql/explain`` query files of ``multiplexing/`` are checked by
``tests.conformance.multiplexing``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from typing import Any

import websockets
from graphql import DirectiveNode, NameNode, OperationDefinitionNode, OperationType, parse, print_ast

from tests.conformance.compare import compare_json
from tests.conformance.corpus import Case, CaseKind, parse_request
from tests.conformance.results import Outcome
from tests.conformance.transport import CaseContext, Unreachable

LIVE_QUERY = """
subscription ($result_limit: Int!) {
  hge_tests_live_query_{0}: hge_tests_test_t2(order_by: {c1: asc}, limit: $result_limit) {
    c1,
    c2
  }
}
"""
LIVE_LIMITS = [(0, 1), (1, 2), (2, 2)]
STREAM_QUERY = """
subscription ($batch_size: Int!, $initial_created_at: timestamptz!) {
  hge_tests_stream_query: hge_tests_test_t2_stream(
    cursor: [{initial_value: {created_at: $initial_created_at}, ordering: ASC}], batch_size: $batch_size) {
     c1
     c2
  }
}
"""


def as_subscription(query: str) -> str:
    """The ``subscription`` transport of Hasura's harness: every query operation becomes a
    subscription with the ``@_multiple_top_level_fields`` directive."""
    document = parse(query)
    definitions: list[Any] = []
    for d in document.definitions:
        if isinstance(d, OperationDefinitionNode) and d.operation is OperationType.QUERY:
            directive = DirectiveNode(name=NameNode(value="_multiple_top_level_fields"), arguments=())
            d = OperationDefinitionNode(
                operation=OperationType.SUBSCRIPTION,
                name=d.name,
                variable_definitions=d.variable_definitions,
                directives=(*(d.directives or ()), directive),
                selection_set=d.selection_set,
            )
        definitions.append(d)
    return "\n".join(print_ast(d) for d in definitions)


class _Failed(Exception):
    pass


class _Ws:
    def __init__(self, conn: websockets.ClientConnection, legacy: bool, timeout: float) -> None:
        self.conn = conn
        self.legacy = legacy
        self.timeout = timeout
        self.queues: dict[str, asyncio.Queue[dict[str, Any]]] = {}
        self.reader = asyncio.create_task(self._read())

    @classmethod
    async def open(cls, url: str, legacy: bool, headers: Mapping[str, str], timeout: float) -> _Ws:
        protocol = "graphql-ws" if legacy else "graphql-transport-ws"
        try:
            conn = await websockets.connect(url, subprotocols=[protocol], open_timeout=timeout)  # type: ignore[list-item]
        except OSError as exc:
            raise Unreachable(str(exc)) from exc
        await conn.send(json.dumps({"type": "connection_init", "payload": {"headers": dict(headers)}}))
        ack = json.loads(await asyncio.wait_for(conn.recv(), timeout))
        if ack.get("type") != "connection_ack":
            raise _Failed(f"connection_init: expected connection_ack, got {ack}")
        return cls(conn, legacy, timeout)

    async def _read(self) -> None:
        async for raw in self.conn:
            message = json.loads(raw)
            if message.get("type") == "ping":
                await self.conn.send('{"type":"pong"}')
            op_id = message.get("id")
            if isinstance(op_id, str):
                self.queues.setdefault(op_id, asyncio.Queue()).put_nowait(message)

    async def start(self, op_id: str, payload: Mapping[str, Any]) -> None:
        self.queues.setdefault(op_id, asyncio.Queue())
        kind = "start" if self.legacy else "subscribe"
        await self.conn.send(json.dumps({"type": kind, "id": op_id, "payload": dict(payload)}))

    async def next(self, op_id: str) -> dict[str, Any]:
        try:
            return await asyncio.wait_for(self.queues.setdefault(op_id, asyncio.Queue()).get(), self.timeout)
        except TimeoutError:
            raise _Failed(f"operation {op_id}: no message within {self.timeout}s") from None

    def data_type(self) -> str:
        return "data" if self.legacy else "next"

    async def close(self) -> None:
        self.reader.cancel()
        await self.conn.close()


class SubscriptionTransport:
    name = "subscription"

    def handles(self, case: Case) -> bool:
        if case.kind is not CaseKind.SUBSCRIPTION:
            return False
        return case.detail == "request file run over WebSocket" or case.path.endswith(
            ("subscriptions/live_queries/steps.yaml", "subscriptions/streaming/steps.yaml")
        )

    async def run(self, case: Case, ctx: CaseContext) -> Outcome:
        url = ctx.server_url.replace("http://", "ws://").rstrip("/") + "/v1/graphql"
        notes: list[str] = []
        try:
            # Hasura runs the streaming steps over the legacy protocol only (its rows stay).
            protocols = (True,) if case.path.endswith("streaming/steps.yaml") else (True, False)
            for legacy in protocols:
                where = "graphql-ws: " if legacy else "graphql-transport-ws: "
                try:
                    if case.path.endswith("streaming/steps.yaml"):
                        await self._streaming(case, url, legacy, ctx.timeout)
                    elif case.path.endswith("steps.yaml"):
                        await self._live_queries(case, url, legacy, ctx.timeout)
                    else:
                        notes.extend(where + n for n in await self._requests(case, url, legacy, ctx))
                except _Failed as exc:
                    return Outcome.failed(f"{where}{exc}")
        except (websockets.ConnectionClosed, TimeoutError) as exc:
            return Outcome.failed(f"connection: {exc!r}")
        return Outcome.passed(tuple(notes))

    async def _requests(self, case: Case, url: str, legacy: bool, ctx: CaseContext) -> list[str]:
        items = case.data if isinstance(case.data, list) else [case.data]
        notes: list[str] = []
        for index, item in enumerate(items, start=1):
            request = parse_request(item)
            for variant in ("websocket", "subscription"):
                notes.extend(await self._request(url, legacy, ctx, index, request, variant))
        return notes

    async def _request(
        self, url: str, legacy: bool, ctx: CaseContext, index: int, request: Any, variant: str
    ) -> list[str]:
        """Hasura's ``websocket`` transport sends the request as is; its ``subscription``
        transport rewrites ``query`` into ``subscription @_multiple_top_level_fields``."""
        notes: list[str] = []
        body = request.query
        if variant == "subscription":
            body = {**body, "query": as_subscription(body["query"])}
        ws = await _Ws.open(url, legacy, request.headers, ctx.timeout)
        try:
            await ws.start("1", body)
            message = await ws.next("1")
        finally:
            await ws.close()
        expected = request.expected[0].response if request.expected else None
        wants_errors = isinstance(expected, Mapping) and ("errors" in expected or "error" in expected)
        allowed = ("data", "next", "error") if wants_errors else (ws.data_type(),)
        if message.get("type") not in allowed:
            raise _Failed(f"step {index}: expected a {'/'.join(allowed)} message, got {message}")
        payload = message.get("payload")
        if not legacy and message.get("type") == "error":
            payload = {"errors": payload}
        if expected is not None:
            verdict = compare_json(expected, payload, strict=ctx.strict)
            if not verdict.passed:
                raise _Failed(f"step {index} ({variant}): {verdict.reason}")
            if verdict.note:
                notes.append(f"step {index} ({variant}): {verdict.note}")
        return notes

    async def _mutation(self, ws: _Ws, index: int, step: Mapping[str, Any]) -> Any:
        payload: dict[str, Any] = {"query": step["query"]}
        if step.get("variables"):
            payload["variables"] = json.loads(step["variables"])
        expected = json.loads(step["response"])
        op = f"mutation_{index}"
        await ws.start(op, payload)
        ev = await ws.next(op)
        if ev.get("type") != ws.data_type() or ev["payload"].get("data") != expected:
            raise _Failed(f"step {index + 1} ({step.get('name')}): mutation answered {ev}")
        ev = await ws.next(op)
        if ev.get("type") != "complete":
            raise _Failed(f"step {index + 1}: expected complete, got {ev}")
        return expected

    async def _streaming(self, case: Case, url: str, legacy: bool, timeout: float) -> None:
        """``test_streaming_subscriptions_with_concurrent_data_inserts``: a stream over
        ``hge_tests_test_t2`` by ``created_at`` from 2020-01-01, batch size 2; after each step's
        mutation, the next stream event holds ``stream_response``."""
        ws = await _Ws.open(url, legacy, {}, timeout)
        try:
            variables = {"batch_size": 2, "initial_created_at": "2020-01-01"}
            await ws.start("stream_1", {"query": STREAM_QUERY, "variables": variables})
            for index, step in enumerate(case.data):
                await self._mutation(ws, index, step)
                ev = await ws.next("stream_1")
                want = {"hge_tests_stream_query": json.loads(step["stream_response"])}
                if ev.get("type") != ws.data_type() or ev["payload"].get("data") != want:
                    raise _Failed(f"step {index + 1}: stream expected {want}, got {ev}")
        finally:
            await ws.close()

    async def _live_queries(self, case: Case, url: str, legacy: bool, timeout: float) -> None:
        ws = await _Ws.open(url, legacy, {}, timeout)
        data = ws.data_type()
        try:
            for i, limit in LIVE_LIMITS:
                op = f"live_{i}"
                await ws.start(op, {"query": LIVE_QUERY.replace("{0}", str(i)), "variables": {"result_limit": limit}})
                ev = await ws.next(op)
                if ev.get("type") != data or ev["payload"].get("data") != {f"hge_tests_live_query_{i}": []}:
                    raise _Failed(f"{op}: first event {ev}")
            for index, step in enumerate(case.data):
                payload: dict[str, Any] = {"query": step["query"]}
                if step.get("variables"):
                    payload["variables"] = json.loads(step["variables"])
                expected = json.loads(step["response"])
                op = f"mutation_{index}"
                await ws.start(op, payload)
                ev = await ws.next(op)
                if ev.get("type") != data or ev["payload"].get("data") != expected:
                    raise _Failed(f"step {index + 1} ({step.get('name')}): mutation answered {ev}")
                ev = await ws.next(op)
                if ev.get("type") != "complete":
                    raise _Failed(f"step {index + 1}: expected complete, got {ev}")
                if "live_response" in step:
                    returned = json.loads(step["live_response"])
                else:
                    returned = expected[step["name"]].get("returning", [])
                for i, limit in LIVE_LIMITS:
                    ev = await ws.next(f"live_{i}")
                    want = {f"hge_tests_live_query_{i}": returned[:limit]}
                    if ev.get("type") != data or ev["payload"].get("data") != want:
                        raise _Failed(f"step {index + 1}: live_{i} expected {want}, got {ev}")
        finally:
            await ws.close()
