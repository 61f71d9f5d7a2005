"""The spine of a GraphQL request: (body, session) -> response bytes.

Shared by every transport. A request is prepared by the ``QueryEngine`` (cached: parse,
validate, normalise, compile), its parameters bound from the variables and the session, and
run in one round trip; PostgreSQL's JSON text goes out as the body's ``data`` without being
decoded. Every failure becomes a ``QueryError`` with Hasura's code: PostgreSQL errors are
mapped from their SQLSTATE (``database_error``), and anything unexpected is logged and
reported as ``unexpected``, never as a traceback.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
import orjson

from livegres import log
from livegres.auth.session import Session
from livegres.errors import QueryError, unexpected
from livegres.graphql import QueryEngine, parse_request
from livegres.sql import CompiledQuery, MissingSessionVariable, MissingVariable, bind
from livegres.sql.mutation import AFFECTED, CHECK_FAILED, ROWS, CompiledMutation, CompiledWrite

_CONSTRAINTS = {
    "23001": "Can not delete or update due to data being referred. ",
    "23502": "Not-NULL violation. ",
    "23503": "Foreign key violation. ",
    "23505": "Uniqueness violation. ",
    "23P01": "Exclusion violation. ",
}


def _bind(compiled: CompiledQuery, variables: Mapping[str, Any], session: Session) -> list[Any]:
    try:
        return bind(compiled, variables, session.variables)
    except MissingSessionVariable as exc:
        raise QueryError("not-found", f'missing session variable: "{exc.name}"') from None
    except MissingVariable as exc:
        raise QueryError("validation-failed", f'unbound variable "{exc.name}"') from None


def database_error(exc: asyncpg.PostgresError) -> QueryError:
    """Hasura's error for a PostgreSQL error (``mkTxErrorHandler``). Data and constraint errors
    and unexpected ones carry the PostgreSQL error as ``internal`` (shown to admins only)."""
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
        return QueryError("constraint-violation", _CONSTRAINTS[state] + message, internal=internal)
    if state == "23514":
        return QueryError("permission-error", "Check constraint violation. " + message, internal=internal)
    if state == "22025":
        return QueryError("bad-request", message, internal=internal)
    if state.startswith("22"):
        return QueryError("data-exception", message, internal=internal)
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
    def __init__(
        self,
        engine: QueryEngine,
        pool: asyncpg.Pool,
        *,
        dev_mode: bool = False,
        admin_internal_errors: bool = True,
    ) -> None:
        self.engine = engine
        self.pool = pool
        self.dev_mode = dev_mode
        self.admin_internal_errors = admin_internal_errors

    def include_internal(self, session: Session) -> bool:
        return self.dev_mode or (self.admin_internal_errors and session.is_admin)

    async def run(self, body: Any, session: Session, *, mutations: bool = True) -> Outcome:
        """One request object (already JSON-decoded). ``mutations=False`` refuses mutations: for
        transports a browser may send across sites (``GET``), which must not write."""
        try:
            request = parse_request(body)
            prepared = self.engine.prepare(request, session.role, backend_only=session.backend_only)
            plan = prepared.plan
            data: bytes | None = None
            if plan.mutation is not None:
                if not mutations:
                    raise QueryError("method-not-allowed", "mutations are not allowed over GET, use POST", path="$")
                return Outcome(data=await self.mutate(plan.mutation, prepared.variables, session))
            if plan.compiled is not None:
                try:
                    args = bind(plan.compiled, prepared.variables, session.variables)
                except MissingSessionVariable as exc:
                    raise QueryError("not-found", exc.message) from None
                except MissingVariable as exc:
                    raise QueryError("validation-failed", f'unbound variable "{exc.name}"') from None
                try:
                    data = await self.pool.fetchval(plan.compiled.text, *args)  # bytea: the JSON
                except asyncpg.PostgresError as exc:
                    raise database_error(exc) from None
            return Outcome(data=self.engine.data_json(prepared, data))
        except QueryError as exc:
            return Outcome(error=exc)
        except Exception as exc:
            log.error("graphql-request", error=repr(exc))
            return Outcome(error=QueryError("unexpected", "internal error", status=500, internal={"error": repr(exc)}))

    async def mutate(self, compiled: CompiledMutation, variables: Mapping[str, Any], session: Session) -> bytes:
        """Every mutation field of the request, in order, in one transaction that first sets
        ``hasura.user`` (the session as JSON) for triggers; any failure rolls all back."""
        parts: list[bytes] = []
        try:
            async with self.pool.acquire() as conn, conn.transaction():
                user = orjson.dumps(dict(session.variables)).decode()
                await conn.execute("SELECT set_config('hasura.user', $1, true)", user)
                for alias, field in compiled.fields:
                    if field.constant is not None:
                        parts.append(orjson.dumps(alias) + b":" + orjson.dumps(field.constant))
                        continue
                    answers = [await self._write(conn, w, variables, session) for w in field.writes]
                    value = b"[" + b",".join(answers) + b"]" if field.many else answers[0]
                    parts.append(orjson.dumps(alias) + b":" + value)
        except asyncpg.PostgresError as exc:
            raise database_error(exc) from None
        return b"{" + b",".join(parts) + b"}"

    async def _write(
        self, conn: asyncpg.Connection, write: CompiledWrite, variables: Mapping[str, Any], session: Session
    ) -> bytes:
        row = await conn.fetchrow(write.write.text, *_bind(write.write, variables, session))
        assert row is not None
        data, affected, failed = row[0], row[1], row[2]
        if failed is not None:
            error = write.errors[failed]
            raise QueryError(error.code, error.message, path="$")
        if write.check is not None:
            rows = {**variables, **dict(zip(write.check_slots, row[3:], strict=True))}
            if not await conn.fetchval(write.check.text, *_bind(write.check, rows, session)):
                raise QueryError(CHECK_FAILED.code, CHECK_FAILED.message, path="$")
        if write.output is not None:
            later = {**variables, ROWS.name: data, AFFECTED.name: affected}
            data = await conn.fetchval(write.output.text, *_bind(write.output, later, session))
        return b"null" if data is None else str(data).encode()

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
