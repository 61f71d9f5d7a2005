"""A subscriber's mailbox: the latest unsent message only.

A poller never waits for a client. It ``put``s each new result into the sink, replacing any
result the client has not taken yet, so a slow client costs at most one pending message
however many results it misses; it gets the newest one when it catches up. A final message
(an error that ends the subscription, or ``complete``) is never replaced.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Literal

Kind = Literal["data", "error", "complete"]


@dataclass(frozen=True, slots=True)
class Message:
    kind: Kind
    body: bytes = b""
    """``data``: the GraphQL response JSON (``{"data": ...}``); ``error``: the JSON list of
    GraphQL errors."""


class Sink:
    def __init__(self) -> None:
        self._pending: Message | None = None
        self._final = False
        self._ready = asyncio.Event()
        self._taken = asyncio.Event()
        self._taken.set()
        self.replaced = 0
        """How many results were replaced before the client took them (for metrics/tests)."""

    @property
    def finished(self) -> bool:
        return self._final

    def put(self, message: Message) -> None:
        if self._final:
            return
        if self._pending is not None:
            self.replaced += 1
        self._pending = message
        self._final = message.kind != "data"
        self._taken.clear()
        self._ready.set()

    async def get(self) -> Message:
        """The next message to send; waits for one."""
        while self._pending is None:
            self._ready.clear()
            await self._ready.wait()
        message, self._pending = self._pending, None
        self._taken.set()
        return message

    async def taken(self) -> None:
        """Wait until the client has taken the pending message (streams never drop one)."""
        await self._taken.wait()
