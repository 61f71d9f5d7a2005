"""``run_sql``: raw SQL from an admin, answered in Hasura's shape.

The answer is ``{"result_type": "CommandOk", "result": null}`` or, when the (last) statement
returns rows, ``{"result_type": "TuplesOk", "result": [[column names], [row values]...]}``
with every value in PostgreSQL's text output format (NULL as the string ``NULL``, as Hasura).

A single statement goes through the extended protocol, which tells whether it returns rows;
its columns are then decoded as text by giving their types a text codec on this connection
(arrays, whose codec cannot be replaced, come back as lists of text and are written out in
PostgreSQL's array syntax). Several statements in one string are run with the simple query
protocol, like Hasura does, and answer ``CommandOk``.
"""

from __future__ import annotations

from typing import Any

import asyncpg

from livegres.errors import QueryError
from livegres.sql.bind import printed_array

_MULTIPLE_COMMANDS = "cannot insert multiple commands into a prepared statement"


def _text(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, list):
        return printed_array(value)
    return str(value)


async def _use_text_codecs(conn: asyncpg.Connection, attributes: Any) -> list[tuple[str, str]]:
    """Decode these columns' types as text on ``conn``; returns what to reset afterwards."""
    changed = []
    for attr in attributes:
        kind, name, schema = attr.type.kind, attr.type.name, attr.type.schema
        if kind == "array" or (name, schema) in changed:
            continue
        try:
            await conn.set_type_codec(name, schema=schema, encoder=str, decoder=str, format="text")
        except (ValueError, asyncpg.InterfaceError, asyncpg.PostgresError):
            continue
        changed.append((name, schema))
    return changed


def postgres_error(exc: asyncpg.PostgresError, statement: str | None = None, path: str = "$") -> QueryError:
    """Hasura's ``postgres-error`` for a failed run_sql, with the details in ``internal``."""
    fields = exc.as_dict() if hasattr(exc, "as_dict") else {}
    internal = {
        "arguments": [],
        "error": {
            "description": fields.get("detail"),
            "exec_status": "FatalError",
            "hint": fields.get("hint"),
            "message": fields.get("message", str(exc)),
            "status_code": fields.get("sqlstate", getattr(exc, "sqlstate", None)),
        },
        "prepared": False,
        "statement": statement,
    }
    return QueryError("postgres-error", "query execution failed", path=path, status=400, internal=internal)


CLEAN_SESSION = "RESET ALL; CLOSE ALL; UNLISTEN *; SELECT pg_advisory_unlock_all()"
"""What asyncpg's pool reset does: undo the session state an admin's SQL may have left (``SET``,
cursors, ``LISTEN``, session advisory locks) before the pooled connection serves requests."""


async def execute(conn: asyncpg.Connection, sql: str, path: str = "$") -> dict[str, Any]:
    """Run ``sql`` on ``conn`` (inside the caller's transaction) and shape the answer; the
    session is left as it was found (``CLEAN_SESSION``)."""
    answer = await _execute(conn, sql, path)
    await conn.execute(CLEAN_SESSION)
    return answer


async def _execute(conn: asyncpg.Connection, sql: str, path: str) -> dict[str, Any]:
    try:
        # Parsing fails (and, inside a transaction, aborts it) when the text holds several
        # statements: try it under a savepoint.
        savepoint = conn.transaction()
        await savepoint.start()
        try:
            statement = await conn.prepare(sql)
        except asyncpg.PostgresSyntaxError as exc:
            await savepoint.rollback()
            if _MULTIPLE_COMMANDS not in str(exc):
                raise
            await conn.execute(sql)
            return {"result_type": "CommandOk", "result": None}
        except BaseException:
            await savepoint.rollback()
            raise
        await savepoint.commit()
        attributes = statement.get_attributes()
        if not attributes:
            await statement.fetch()
            return {"result_type": "CommandOk", "result": None}
        changed = await _use_text_codecs(conn, attributes)
        try:
            rows = await conn.fetch(sql)
        finally:
            # The connection goes back to a pool whose users expect the normal codecs.
            for name, schema in changed:
                await conn.reset_type_codec(name, schema=schema)
    except asyncpg.PostgresError as exc:
        raise postgres_error(exc, sql, path) from None
    result: list[list[str]] = [[a.name for a in attributes]]
    result.extend([_text(v) for v in row.values()] for row in rows)
    return {"result_type": "TuplesOk", "result": result}
