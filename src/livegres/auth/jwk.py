"""Keys from ``jwk_url``: fetched on first use, kept for as long as the answer's
``Cache-Control`` / ``Expires`` allow, and fetched again early when a token names a key id the
set does not have (at most once per ``UNKNOWN_KID_INTERVAL`` seconds, so random key ids cannot
turn every request into a fetch)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import httpx
import orjson

from livegres import log
from livegres.auth.expiry import expiry_from
from livegres.auth.keys import VerifyKey, key_from_jwk

UNKNOWN_KID_INTERVAL = 10.0
MIN_FETCH_INTERVAL = 1.0
"""An answer that may not be kept (``no-cache``) is still reused for this long."""


class JwkStore:
    def __init__(self, url: str, client: Callable[[], Awaitable[httpx.AsyncClient]]) -> None:
        self.url = url
        self._client = client
        self.keys: list[VerifyKey] = []
        self.version = 0
        """Grows whenever the key set changes, so that tokens verified with old keys are checked again."""
        self.fetches = 0
        self.expires_at: float | None = None
        self._fetched_at: float | None = None
        self._unknown_kid_at = float("-inf")
        self._raw: bytes | None = None
        self._lock = asyncio.Lock()

    async def keys_for(self, kid: str | None) -> list[VerifyKey]:
        now = time.time()
        await self.refresh_if_due(now)
        found = self._select(kid)
        if not found and self._lock.locked():
            async with self._lock:  # a fetch is under way (the first one, say): its keys may do
                pass
            found = self._select(kid)
        if not found and kid is not None and now - self._unknown_kid_at >= UNKNOWN_KID_INTERVAL:
            self._unknown_kid_at = now
            await self._refresh(now, force=True)
            found = self._select(kid)
        return found

    async def refresh_if_due(self, now: float) -> None:
        if self._due(now):
            await self._refresh(now)

    def _due(self, now: float) -> bool:
        if self._fetched_at is None:
            return True
        if self.expires_at is None or now < self.expires_at:
            return False
        return now - self._fetched_at >= MIN_FETCH_INTERVAL

    def _select(self, kid: str | None) -> list[VerifyKey]:
        if kid is None:
            return list(self.keys)
        return [k for k in self.keys if k.kid == kid or k.kid is None]

    async def _refresh(self, requested_at: float, *, force: bool = False) -> None:
        async with self._lock:
            # Another request may have fetched while this one waited.
            if self._fetched_at is not None and self._fetched_at >= requested_at:
                return
            if not force and not self._due(time.time()):
                return
            await self._fetch()

    async def _fetch(self) -> None:
        self.fetches += 1
        self._fetched_at = time.time()
        # Until an answer says otherwise, try again after MIN_FETCH_INTERVAL (a failed fetch keeps the old keys).
        self.expires_at = self._fetched_at
        try:
            client = await self._client()
            response = await client.get(self.url)
        except httpx.HTTPError as exc:
            log.log("error", "jwk-refresh-log", {"message": f"Error fetching JWK: {exc}", "url": self.url})
            return
        if not 200 <= response.status_code < 300:
            log.log(
                "error",
                "jwk-refresh-log",
                {"message": f"Non-2xx response on fetching JWK from: {self.url}", "status": response.status_code},
            )
            return
        try:
            document = orjson.loads(response.content)
            raw_keys = document["keys"]
            if not isinstance(raw_keys, list):
                raise TypeError("keys is not a list")
        except (orjson.JSONDecodeError, KeyError, TypeError) as exc:
            log.log("error", "jwk-refresh-log", {"message": f"Error parsing JWK from url: {self.url}: {exc}"})
            return
        keys = [k for k in (key_from_jwk(j) for j in raw_keys) if k is not None]
        raw = orjson.dumps(raw_keys)
        if raw != self._raw:
            self._raw = raw
            self.keys = keys
            self.version += 1
        now = time.time()
        self.expires_at = expiry_from(response.headers.get("cache-control"), response.headers.get("expires"), now)
        log.log("info", "jwk-refresh-log", {"message": f"refreshed JWK from endpoint: {self.url}", "keys": len(keys)})
