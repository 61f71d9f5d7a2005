"""Transports: how a case file is sent to the server and its answers judged.

A transport is any object with a ``name``, ``handles(case)`` and ``async run(case, ctx)``
(see :class:`Transport`). The runner gives each case to the first transport that handles it;
a case no transport handles is reported skipped with the reason for its kind in
:data:`SKIP_REASONS`. Only :class:`HttpTransport` exists today. A WebSocket transport for
subscription cases, or an event-trigger transport with a webhook receiver, is added by
writing such a class and passing it to the runner (``Options.transports``) ahead of the
defaults.

Transports use :class:`HttpClient` (or their own connection to ``ctx.server_url``). They
raise :class:`Unreachable` when the server does not answer at all, so the runner can tell a
crashed server from a failing case; everything else is reported as an :class:`Outcome`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from tests.conformance.compare import Verdict, compare_headers, compare_json, truncate
from tests.conformance.corpus import Case, CaseKind, Expected, Request
from tests.conformance.results import Outcome

DEFAULT_TIMEOUT = 10.0

SKIP_REASONS = {
    CaseKind.SUBSCRIPTION: "needs the subscription harness (WebSocket transport)",
    CaseKind.EVENT: "needs the event-trigger harness (webhook receiver)",
    CaseKind.HTTP: "no transport for request files",
}


class Unreachable(Exception):
    """The server gave no answer: connection refused, reset or closed."""


class TimedOut(Exception):
    """The server did not answer within the timeout."""


@dataclass(frozen=True)
class Reply:
    status: int
    text: str
    headers: Mapping[str, str]
    body: Any = None
    is_json: bool = False

    def summary(self, limit: int = 200) -> str:
        return truncate(f"{self.status} {self.text}", limit)


class HttpClient:
    """An HTTP client of the server under test, with a timeout on every request."""

    def __init__(
        self,
        base_url: str,
        timeout: float = DEFAULT_TIMEOUT,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = base_url
        self.timeout = timeout
        self._client = httpx.AsyncClient(base_url=base_url, timeout=timeout, transport=transport)

    async def request(
        self,
        method: str,
        url: str,
        *,
        json_body: Any = None,
        content: str | bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Reply:
        kwargs: dict[str, Any] = {"headers": dict(headers or {})}
        if content is not None:
            kwargs["content"] = content
        elif method not in ("GET", "HEAD"):
            kwargs["content"] = json.dumps(json_body, ensure_ascii=False).encode()
            kwargs["headers"].setdefault("Content-Type", "application/json")
        try:
            response = await self._client.request(method, url, **kwargs)
        except httpx.TimeoutException:
            raise TimedOut(f"no answer within {self.timeout:g} s") from None
        except httpx.TransportError as exc:
            raise Unreachable(f"{type(exc).__name__}: {exc}") from None
        text = response.text
        try:
            body, is_json = json.loads(text), True
        except ValueError:
            body, is_json = None, False
        return Reply(response.status_code, text, response.headers, body, is_json)

    async def post_json(self, url: str, body: Any, headers: Mapping[str, str] | None = None) -> Reply:
        return await self.request("POST", url, json_body=body, headers=headers)

    async def aclose(self) -> None:
        await self._client.aclose()


@dataclass(frozen=True)
class CaseContext:
    """What a transport gets to run a case."""

    http: HttpClient
    server_url: str
    strict: bool
    timeout: float


class Transport(Protocol):
    name: str

    def handles(self, case: Case) -> bool: ...

    async def run(self, case: Case, ctx: CaseContext) -> Outcome: ...


def pick_transport(case: Case, transports: Sequence[Transport]) -> Transport | None:
    return next((t for t in transports if t.handles(case)), None)


# -- HTTP -------------------------------------------------------------------------------------


def check_reply(request: Request, reply: Reply, *, strict: bool) -> Verdict:
    """Hasura's ``validate_http_anyq``: the status exactly, then the body and headers."""
    if reply.status != request.status:
        return Verdict(False, f"status: expected {request.status}, got {reply.summary()}")
    verdicts = [_check_expected(e, reply, strict=strict) for e in request.expected]
    for verdict in verdicts:
        if verdict.passed:
            return verdict
    if len(verdicts) == 1:
        return verdicts[0]
    return Verdict(False, f"none of the {len(verdicts)} allowed responses matched; first: {verdicts[0].reason}")


def _check_expected(expected: Expected, reply: Reply, *, strict: bool) -> Verdict:
    verdict = Verdict(True)
    if expected.response is not None:
        if not reply.is_json:
            return Verdict(False, f"response is not JSON: {reply.summary()}")
        verdict = compare_json(expected.response, reply.body, strict=strict)
        if not verdict.passed:
            return verdict
    header_diff = compare_headers(expected.resp_headers, reply.headers)
    if header_diff is not None:
        return Verdict(False, header_diff)
    return verdict


async def send_request(http: HttpClient, request: Request) -> Reply:
    """Send one request the way Hasura's ``anyq`` does (JSON POST unless ``method`` says)."""
    method = (request.method or "POST").upper()
    if method == "GET":
        return await http.request("GET", request.url, headers=request.headers)
    if method == "POSTJSON":
        return await http.request("POST", request.url, json_body=request.body, headers=request.headers)
    if request.body is not None:
        body = request.body
        content = body if isinstance(body, str | bytes) else json.dumps(body, ensure_ascii=False)
        return await http.request(method, request.url, content=content, headers=request.headers)
    return await http.request(method, request.url, json_body=request.query, headers=request.headers)


class HttpTransport:
    """Request files over plain HTTP: every step in order; the case passes if all pass."""

    name = "http"

    def handles(self, case: Case) -> bool:
        return case.kind is CaseKind.HTTP

    async def run(self, case: Case, ctx: CaseContext) -> Outcome:
        notes: list[str] = []
        total = len(case.requests)
        for index, request in enumerate(case.requests, start=1):
            where = f"step {index}/{total}: " if total > 1 else ""
            try:
                reply = await send_request(ctx.http, request)
            except TimedOut as exc:
                return Outcome.failed(f"{where}{request.url}: request timed out ({exc})")
            verdict = check_reply(request, reply, strict=ctx.strict)
            if not verdict.passed:
                return Outcome.failed(f"{where}{request.url}: {verdict.reason}")
            if verdict.note:
                notes.append(f"{where}{verdict.note}")
        return Outcome.passed(tuple(notes))


def default_transports() -> list[Transport]:
    from tests.conformance.events import EventTransport
    from tests.conformance.multiplexing import MultiplexingTransport
    from tests.conformance.subscriptions import SubscriptionTransport

    return [HttpTransport(), EventTransport(), SubscriptionTransport(), MultiplexingTransport()]
