"""Auth webhook mode: ask ``HASURA_GRAPHQL_AUTH_HOOK`` who the request is, as Hasura does.

GET forwards the client's headers (minus Hasura's list of common client headers); POST sends
``{"headers": {...}, "request": {query, variables, operationName}}``. A 200 answer is a JSON
object of ``X-Hasura-*`` strings that must include ``X-Hasura-Role``; 401 refuses the request;
anything else is an error. An answer is reused for identical requests for as long as its
``Cache-Control`` / ``Expires`` say (in the JSON body, as Hasura reads them, or else as HTTP
headers of the answer); without either it is not reused.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import httpx
import orjson

from livegres import log
from livegres.auth.expiry import expiry_from
from livegres.auth.lru import LRU
from livegres.auth.session import Session
from livegres.errors import QueryError

CACHE_SIZE = 10_000

IGNORED_HEADERS = frozenset(
    h.lower()
    for h in (
        "Content-Length",
        "Content-MD5",
        "User-Agent",
        "Host",
        "Origin",
        "Referer",
        "Accept",
        "Accept-Encoding",
        "Accept-Language",
        "Accept-Datetime",
        "Cache-Control",
        "Connection",
        "DNT",
        "Content-Type",
    )
)


def _failed(message: str) -> QueryError:
    return QueryError("unexpected", message, status=500)


class AuthWebhook:
    def __init__(
        self,
        url: str,
        mode: str,
        send_request_body: bool,
        client: Callable[[], Awaitable[httpx.AsyncClient]],
        *,
        cache_size: int = CACHE_SIZE,
    ) -> None:
        self.url = url
        self.mode = mode.upper()
        self.send_request_body = send_request_body
        self._client = client
        self.cache: LRU[bytes, Session] = LRU(cache_size)
        self.calls = 0

    @property
    def wants_request(self) -> bool:
        return self.mode == "POST" and self.send_request_body

    async def session(self, headers: Sequence[tuple[str, str]], request: Any = None) -> Session:
        if self.mode == "GET":
            sent: list[tuple[str, str]] = [(k, v) for k, v in headers if k not in IGNORED_HEADERS]
            key_material: Any = ["GET", sorted(sent)]
        else:
            sent = list(headers)
            body: dict[str, Any] = {"headers": dict(sent)}
            if self.send_request_body:
                body["request"] = request
            key_material = ["POST", body]
        key = hashlib.sha256(_dumps(key_material, sort_keys=True)).digest()
        now = time.time()
        cached = self.cache.get(key)
        if cached is not None:
            if cached.expires_at is not None and now < cached.expires_at:
                return cached
            self.cache.pop(key)
        session = await self._ask(sent if self.mode == "GET" else None, body if self.mode == "POST" else None)
        if session.expires_at is not None and session.expires_at > time.time():
            self.cache.put(key, session)
        return session

    async def _ask(self, get_headers: list[tuple[str, str]] | None, post_body: dict[str, Any] | None) -> Session:
        self.calls += 1
        try:
            client = await self._client()
            if post_body is None:
                response = await client.get(self.url, headers=get_headers or [])
            else:
                response = await client.post(self.url, content=_dumps(post_body), headers=_JSON)
        except httpx.HTTPError as exc:
            log.log("error", "webhook-log", {"url": self.url, "method": self.mode, "message": repr(exc)})
            raise _failed("webhook authentication request failed") from None
        if response.status_code == 401:
            raise QueryError("access-denied", "Authentication hook unauthorized this request", status=401)
        if response.status_code != 200:
            log.log(
                "error",
                "webhook-log",
                {"url": self.url, "method": self.mode, "status": response.status_code, "response": response.text},
            )
            raise _failed("Invalid response from authorization hook")
        return _session_from(response)


_JSON = {"Content-Type": "application/json"}


def _dumps(value: Any, *, sort_keys: bool = False) -> bytes:
    """JSON bytes of a client's request, which may hold what orjson refuses (integers past 64 bits)."""
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS if sort_keys else 0)
    except TypeError:
        return json.dumps(value, sort_keys=sort_keys, default=str).encode()


def _session_from(response: httpx.Response) -> Session:
    try:
        answer = orjson.loads(response.content)
    except orjson.JSONDecodeError as exc:
        raise _failed(f"Invalid response from authorization hook: Error in $: {exc.msg}") from None
    if not isinstance(answer, dict):
        raise _failed(
            "Invalid response from authorization hook: Error in $: parsing HashMap ~Text failed, "
            f"expected Object, but encountered {_json_name(answer)}"
        )
    for name, value in answer.items():
        if not isinstance(value, str):
            raise _failed(
                f"Invalid response from authorization hook: Error in $['{name}']: parsing Text failed, "
                f"expected String, but encountered {_json_name(value)}"
            )
    lowered = {k.lower(): v for k, v in answer.items()}
    variables = {k: v for k, v in lowered.items() if k.startswith("x-hasura-")}
    role = variables.get("x-hasura-role")
    if not role:
        raise QueryError("invalid-params", "x-hasura-role not found in session variables", status=400)
    cache_control = lowered.get("cache-control")
    expires = lowered.get("expires")
    if cache_control is None and expires is None:
        cache_control, expires = response.headers.get("cache-control"), response.headers.get("expires")
    now = time.time()
    expires_at = expiry_from(cache_control, expires, now)
    if expires_at is not None and expires_at <= now:
        expires_at = None  # "no-cache" and the like: valid now, not to be reused
    return Session(role=role, variables=variables, expires_at=expires_at)


def _json_name(value: Any) -> str:
    names = {dict: "Object", list: "Array", str: "String", bool: "Boolean", type(None): "Null"}
    return names.get(type(value), "Number")
