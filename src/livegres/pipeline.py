"""The spine of a GraphQL request: (body, session) -> response bytes.

Shared by every transport. A request is prepared by the ``QueryEngine`` (cached: parse,
validate, normalise, compile), its parameters bound from the variables and the session, and
run in one round trip; PostgreSQL's JSON text goes out as the body's ``data`` without being
decoded. Every failure becomes a ``QueryError`` with Hasura's code: PostgreSQL errors are
mapped from their SQLSTATE (``database_error``), and anything unexpected is logged and
reported as ``unexpected``, never as a traceback.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
import orjson

from livegres import log
from livegres.auth.session import Session
from livegres.errors import QueryError, unexpected
from livegres.graphql import QueryEngine, parse_request
from livegres.sql import MissingSessionVariable, MissingVariable, bind

_CONSTRAINTS = {
    "23001": "Can not delete or update due to data being referred. ",
    "23502": "Not-NULL violation. ",
    "23503": "Foreign key violation. ",
    "23505": "Uniqueness violation. ",
    "23P01": "Exclusion violation. ",
}


def database_error(exc: asyncpg.PostgresError) -> QueryError:
    """Hasura's error for a PostgreSQL error (``mkTxErrorHandler``). Only an unexpected error
    carries the PostgreSQL error as ``internal``."""
    state = str(getattr(exc, "sqlstate", "") or "")
    message = str(getattr(exc, "message", "") or str(exc))
    internal = {
        "error": {
            "status_code": state,
            "message": message,
            "description": getattr(exc, "detail", None),
            "hint": getattr(exc, "hint", None),
        }
    }
    if state in _CONSTRAINTS:
        return QueryError("constraint-violation", _CONSTRAINTS[state] + message)
    if state == "23514":
        return QueryError("permission-error", "Check constraint violation. " + message)
    if state == "22025":
        return QueryError("bad-request", message)
    if state.startswith("22"):
        return QueryError("data-exception", message)
    if state == "42P10":
        return QueryError("constraint-error", "there is no unique or exclusion constraint on target column(s)")
    if state.startswith("42"):
        return QueryError("constraint-error", message)
    if state == "40001":
        return QueryError("concurrent-update", "serialization failure due to concurrent update")
    return unexpected(internal)


@dataclass(frozen=True, slots=True)
class Outcome:
    """The answer to one GraphQL request: the JSON of ``data``, or an error."""

    data: bytes | None = None
    error: QueryError | None = None

    def v1_body(self, include_internal: bool) -> bytes:
        if self.data is not None:
            return b'{"data":' + self.data + b"}"
        assert self.error is not None
        return orjson.dumps({"errors": [self.error.to_graphql_json(include_internal)]})


class Pipeline:
    def __init__(self, engine: QueryEngine, pool: asyncpg.Pool, *, dev_mode: bool = False) -> None:
        self.engine = engine
        self.pool = pool
        self.dev_mode = dev_mode

    def include_internal(self, session: Session) -> bool:
        return self.dev_mode or session.is_admin

    async def run(self, body: Any, session: Session) -> Outcome:
        """One request object (already JSON-decoded)."""
        try:
            request = parse_request(body)
            prepared = self.engine.prepare(request, session.role)
            plan = prepared.plan
            text: str | None = None
            if plan.compiled is not None:
                try:
                    args = bind(plan.compiled, prepared.variables, session.variables)
                except MissingSessionVariable as exc:
                    raise QueryError("not-found", exc.message) from None
                except MissingVariable as exc:
                    raise QueryError("validation-failed", f'unbound variable "{exc.name}"') from None
                try:
                    text = await self.pool.fetchval(plan.compiled.text, *args)
                except asyncpg.PostgresError as exc:
                    raise database_error(exc) from None
            return Outcome(data=self.engine.data_json(prepared, text))
        except QueryError as exc:
            return Outcome(error=exc)
        except Exception as exc:
            log.error("graphql-request", error=repr(exc))
            return Outcome(error=QueryError("unexpected", "internal error", status=500, internal={"error": repr(exc)}))

    async def run_body(self, raw: bytes, session: Session) -> tuple[bool, Sequence[Outcome]]:
        """A raw HTTP body: (is it a batch, the outcomes in order)."""
        try:
            body = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            error = QueryError("invalid-json", f"Error in $: Failed reading: {exc.msg}", path="$")
            return False, [Outcome(error=error)]
        if isinstance(body, list):
            return True, [await self.run(item, session) for item in body]
        return False, [await self.run(body, session)]
