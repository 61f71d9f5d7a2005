"""One webhook call: POST a JSON payload, classify the answer, and describe the attempt in the
shapes Hasura stores in its invocation logs.

Nothing here raises for a bad webhook: an unreachable host, a DNS failure, a timeout, a
redirect loop or an oversized answer all become a failed ``Attempt`` (status 1000 when there
was no HTTP answer, as in Hasura), which the caller records and retries.
"""

from __future__ import annotations

import email.utils
import math
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiohttp
import orjson

from livegres import __version__
from livegres.metadata import model as m

MAX_LOGGED_BODY = 64 * 1024
"""Characters of a response body kept in the invocation log (the rest is not read)."""
CLIENT_ERROR_STATUS = 1000

FALLBACK_TIMEOUT = 60.0
"""Seconds allowed to a webhook whose configured timeout is not positive."""


@dataclass(frozen=True, slots=True)
class Target:
    url: str | None
    headers: tuple[tuple[str, str], ...]
    timeout: float
    problem: str | None = None
    """Why the call cannot be made (an environment variable that is not set)."""


@dataclass(frozen=True, slots=True)
class Attempt:
    ok: bool
    status: int
    request: str
    """The invocation log's request: ``{"payload", "headers", "version"}``, as JSON text."""
    response: dict[str, Any]
    retry_after: float | None = None


def resolve_target(
    webhook: str | None,
    webhook_from_env: str | None,
    headers: Sequence[m.Header],
    timeout: float,
    environ: Mapping[str, str] | None = None,
) -> Target:
    env = os.environ if environ is None else environ
    problem = None
    url = webhook
    if url is not None and "{{" in url:
        url, problem = _template(url, env)
    if url is None and webhook_from_env is not None:
        url = env.get(webhook_from_env)
        if url is None:
            problem = f"environment variable '{webhook_from_env}' not set"
    resolved: list[tuple[str, str]] = []
    for header in headers:
        if header.value_from_env is not None:
            value = env.get(header.value_from_env)
            if value is None:
                problem = problem or f"environment variable '{header.value_from_env}' not set"
                continue
            resolved.append((header.name, value))
        else:
            resolved.append((header.name, header.value or ""))
    return Target(url, tuple(resolved), timeout, problem)


def _template(url: str, env: Mapping[str, str]) -> tuple[str, str | None]:
    """Hasura's ``{{VARIABLE}}`` templates in webhook URLs, from the environment."""
    problem = None

    def fill(match: re.Match[str]) -> str:
        nonlocal problem
        name = match.group(1).strip()
        if name not in env:
            problem = problem or f"environment variable '{name}' not set"
            return ""
        return env[name]

    return re.sub(r"\{\{([^}]*)\}\}", fill, url), problem


def new_client(pool_size: int) -> aiohttp.ClientSession:
    """The pooled HTTP client of an instance's deliveries (created inside the event loop)."""
    connector = aiohttp.TCPConnector(limit=pool_size, limit_per_host=pool_size, ttl_dns_cache=10)
    return aiohttp.ClientSession(connector=connector, trust_env=False, auto_decompress=True)


def _retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    if math.isnan(seconds) or seconds < 0:
        return 0.0
    return min(seconds, 86400.0)


async def post(client: aiohttp.ClientSession, target: Target, payload: Any) -> Attempt:
    """POST ``payload`` (or JSON already encoded) to the target; never raises except on cancellation."""
    body = payload if isinstance(payload, bytes) else orjson.dumps(payload)
    headers = {"Content-Type": "application/json", "User-Agent": f"livegres/{__version__}"}
    headers.update(target.headers)
    listed = orjson.dumps([{"name": name, "value": value} for name, value in target.headers])
    request = f'{{"payload":{body.decode()},"headers":{listed.decode()},"version":"2"}}'
    if target.problem is not None or not target.url:
        message = target.problem or "no webhook URL"
        return Attempt(False, CLIENT_ERROR_STATUS, request, _client_error(message))
    try:
        async with client.post(
            target.url,
            data=body,
            headers=headers,
            # a zero or negative timeout would mean none at all: a hung webhook would hold its
            # event (and an HTTP slot) for good
            timeout=aiohttp.ClientTimeout(total=target.timeout if target.timeout > 0 else FALLBACK_TIMEOUT),
            allow_redirects=True,
            max_redirects=10,
        ) as response:
            # Only the start of the answer is read and kept; the rest is never downloaded.
            chunk = b""
            while len(chunk) <= MAX_LOGGED_BODY:
                more = await response.content.read(MAX_LOGGED_BODY + 1 - len(chunk))
                if not more:
                    break
                chunk += more
            truncated = len(chunk) > MAX_LOGGED_BODY
            text = chunk[:MAX_LOGGED_BODY].decode("utf-8", errors="replace")
            if truncated:
                text += "... (truncated)"
            size = response.content_length if response.content_length is not None else len(chunk)
            data = {
                "size": size,
                "body": text,
                "headers": [{"name": _text(k), "value": _text(v)} for k, v in response.headers.items()],
                "status": response.status,
            }
            ok = 200 <= response.status < 300
            retry_after = None if ok else _retry_after(response.headers.get("Retry-After"))
            return Attempt(
                ok, response.status, request, {"type": "webhook_response", "data": data, "version": "2"}, retry_after
            )
    except aiohttp.TooManyRedirects:
        return Attempt(False, CLIENT_ERROR_STATUS, request, _client_error("too many redirects"))
    except TimeoutError:
        message = f"timeout: no complete answer within {target.timeout:g} s"
        return Attempt(False, CLIENT_ERROR_STATUS, request, _client_error(message))
    except aiohttp.ClientConnectorError as exc:
        return Attempt(False, CLIENT_ERROR_STATUS, request, _client_error(f"connection failed: {exc}"))
    except (aiohttp.ClientError, OSError, ValueError) as exc:
        return Attempt(False, CLIENT_ERROR_STATUS, request, _client_error(f"{type(exc).__name__}: {exc}"))


def _text(value: str) -> str:
    """Header text as valid UTF-8: the HTTP client keeps undecodable bytes as surrogates,
    which JSON cannot hold."""
    return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _client_error(message: str) -> dict[str, Any]:
    return {"type": "client_error", "data": {"message": message}, "version": "2"}
