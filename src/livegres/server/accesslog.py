"""One JSON ``http-log`` line per request, and an ``x-request-id`` on every response."""

from __future__ import annotations

import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from livegres import log


class AccessLogMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = ""
        for key, value in scope.get("headers", []):
            if key == b"x-request-id":
                request_id = value.decode("latin-1")[:128]
        if not request_id:
            request_id = str(uuid.uuid4())
        status = 500
        sent = 0

        async def send_wrapper(message: Message) -> None:
            nonlocal status, sent
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode("latin-1")))
                message = {**message, "headers": headers}
            elif message["type"] == "http.response.body":
                sent += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            if log.enabled("info"):
                _write(scope, request_id, started, status, sent)


def _write(scope: Scope, request_id: str, started: float, status: int, sent: int) -> None:
    """The request's ``http-log`` line."""
    client = scope.get("client")
    path = scope.get("path", "")
    query = scope.get("query_string", b"")
    log.log(
        "info",
        "http-log",
        {
            "request_id": request_id,
            "operation": {
                "query_execution_time": round(time.perf_counter() - started, 6),
                "response_size": sent,
            },
            "http_info": {
                "status": status,
                "http_version": scope.get("http_version", ""),
                "url": path + ("?" + query.decode("latin-1") if query else ""),
                "ip": client[0] if client else None,
                "method": scope.get("method", ""),
            },
        },
    )
