"""The event-trigger harness: bare request bodies of ``event_triggers/`` checked against the
server's answer and the webhook deliveries, as Hasura's ``test_events.py`` checks them.

The setups of those folders hard-code the webhook ``http://127.0.0.1:5592``, so the transport
runs a real webhook receiver on that port while it runs a case. What each file must do comes
from the Python test that uses it (``EXPECTATIONS``): the HTTP status of sending the body to
``/v1/query`` and, for a 2xx, the event the webhook must then receive.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from tests.conformance.corpus import Case, CaseKind
from tests.conformance.results import Outcome
from tests.conformance.transport import CaseContext, TimedOut
from tests.events.receiver import Receiver

WEBHOOK_PORT = 5592
DELIVERY_TIMEOUT = 10.0


@dataclass(frozen=True)
class Expectation:
    status: int
    op: str | None = None
    """The ``event.op`` the webhook must receive (None: nothing is checked at the webhook)."""


# Hasura's TestManualEvents: invoking a trigger with enable_manual succeeds and delivers a
# MANUAL event with the payload as the new row; without it, the request is refused.
EXPECTATIONS = {
    "queries/event_triggers/manual_events/enabled.yaml": Expectation(200, op="MANUAL"),
    "queries/event_triggers/manual_events/disabled.yaml": Expectation(400),
}


class EventTransport:
    name = "events"

    def handles(self, case: Case) -> bool:
        return case.kind is CaseKind.EVENT and case.path in EXPECTATIONS

    async def run(self, case: Case, ctx: CaseContext) -> Outcome:
        expected = EXPECTATIONS[case.path]
        receiver = Receiver(port=WEBHOOK_PORT)
        try:
            receiver.start()
        except OSError as exc:
            return Outcome.errored(f"cannot listen on 127.0.0.1:{WEBHOOK_PORT} for the webhook: {exc}")
        try:
            return await self._run(case, ctx, expected, receiver)
        finally:
            receiver.stop()

    async def _run(self, case: Case, ctx: CaseContext, expected: Expectation, receiver: Receiver) -> Outcome:
        try:
            reply = await ctx.http.post_json("/v1/query", case.data)
        except TimedOut as exc:
            return Outcome.failed(f"/v1/query: request timed out ({exc})")
        if reply.status != expected.status:
            return Outcome.failed(f"status: expected {expected.status}, got {reply.summary()}")
        if expected.op is None:
            return Outcome.passed()
        body: Any = case.data
        trigger = body["args"]["name"]
        deadline = time.monotonic() + DELIVERY_TIMEOUT
        while time.monotonic() < deadline:
            delivered = receiver.bodies(trigger)
            if delivered:
                return _check_event(delivered[0], body, reply.body, expected.op)
            await asyncio.sleep(0.05)
        return Outcome.failed(f"no event for trigger {trigger} reached the webhook within {DELIVERY_TIMEOUT:g} s")


def _check_event(event: Any, request: Any, answer: Any, op: str) -> Outcome:
    """Hasura's ``check_event``: the keys of the payload, the op, the data."""
    for key in ("id", "created_at", "table", "trigger", "event", "delivery_info"):
        if key not in event:
            return Outcome.failed(f"webhook payload has no {key!r}")
    if event["event"].get("op") != op:
        return Outcome.failed(f"event.op: expected {op}, got {event['event'].get('op')!r}")
    data = {"old": None, "new": request["args"].get("payload")}
    if event["event"].get("data") != data:
        return Outcome.failed(f"event.data: expected {data}, got {event['event'].get('data')!r}")
    if isinstance(answer, dict) and answer.get("event_id") != event["id"]:
        return Outcome.failed("the webhook's event id differs from the event_id answered")
    if event["delivery_info"].get("current_retry") != 0:
        return Outcome.failed("delivery_info.current_retry: expected 0")
    return Outcome.passed()
