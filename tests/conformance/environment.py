"""The system under test: a PostgreSQL, a fresh database, and a real ``livegres serve``.

The server runs without an admin secret, so a request without role headers is an admin
request and ``X-Hasura-*`` headers are session variables, as in the unauthenticated mode of
Hasura's harness. Between folders the runner resets the database (see ``reset``) and clears
the metadata.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import AsyncIterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg

from tests.conformance.transport import DEFAULT_TIMEOUT, HttpClient, Reply
from tests.support.postgres import create_database, drop_database, postgres_server
from tests.support.server import LivegresProcess

# Extensions the setups use, created in every reset when the server has them.
EXTENSIONS = ("citext", "ltree", "pgcrypto")
# Environment of the server process: the event-trigger setups read EVENT_WEBHOOK_HEADER, and
# Hasura's own suite runs with numeric types stringified.
SERVER_ENV_DEFAULTS = {"EVENT_WEBHOOK_HEADER": "MyEnvValue", "HASURA_GRAPHQL_STRINGIFY_NUMERIC_TYPES": "true"}
_RESET_LOCK_TIMEOUT = "10s"


XML_FEATURE = "(xml type)"


class ServerStartError(Exception):
    """``livegres serve`` did not start; the message includes its output."""


@dataclass
class Environment:
    database_url: str
    server: LivegresProcess
    http: HttpClient
    conn: Any  # an asyncpg connection to the database
    extensions: frozenset[str] = field(default_factory=frozenset)

    @property
    def has_postgis(self) -> bool:
        return "postgis" in self.extensions

    @property
    def has_xml(self) -> bool:
        """Whether the server was built with XML support (libxml); some setups insert xml values."""
        return XML_FEATURE in self.extensions

    @property
    def server_url(self) -> str:
        return self.server.url

    async def reset(self, *, postgis: bool = False) -> None:
        """Drop and recreate schemas public and hge_tests, with the extensions the setups use."""
        wanted = [*EXTENSIONS, *(("postgis",) if postgis else ())]
        statements = [
            f"SET lock_timeout = '{_RESET_LOCK_TIMEOUT}'",
            "DROP SCHEMA IF EXISTS public CASCADE",
            "DROP SCHEMA IF EXISTS hge_tests CASCADE",
            "CREATE SCHEMA public",
            "GRANT ALL ON SCHEMA public TO PUBLIC",
            "CREATE SCHEMA hge_tests",
            *(
                f'CREATE EXTENSION IF NOT EXISTS "{name}" WITH SCHEMA public'
                for name in wanted
                if name in self.extensions
            ),
        ]
        await self.conn.execute(";\n".join(statements))

    async def clear_metadata(self) -> Reply:
        return await self.http.post_json("/v1/metadata", {"type": "clear_metadata", "args": {}})

    def exit_code(self) -> int | None:
        """The server's exit code if it has exited, else None."""
        proc = self.server.proc
        return None if proc is None else proc.poll()

    async def wait_exit(self, grace: float = 0.5) -> int | None:
        """Like ``exit_code``, allowing a dying server a moment to finish exiting."""
        code = self.exit_code()
        if code is None:
            await asyncio.sleep(grace)
            code = self.exit_code()
        return code

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.server.output().splitlines()[-lines:])


def server_env(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    environ = os.environ if environ is None else environ
    return {k: environ.get(k, v) for k, v in SERVER_ENV_DEFAULTS.items()}


@asynccontextmanager
async def open_environment(
    admin_url: str | None = None, *, timeout: float = DEFAULT_TIMEOUT
) -> AsyncIterator[Environment]:
    """Start everything, yield it, then stop it and drop the database.

    ``admin_url`` is a superuser URL of the PostgreSQL to use; without it, ``DATABASE_URL``
    or else an embedded PostgreSQL in a temporary folder."""
    async with AsyncExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="livegres-conformance-")))
        if admin_url is None:
            pg = postgres_server(tmp)
            admin_url = await asyncio.to_thread(pg.__enter__)
            stack.push_async_callback(asyncio.to_thread, pg.__exit__, None, None, None)
        database_url = await create_database(admin_url, prefix="lgconf")
        stack.push_async_callback(drop_database, admin_url, database_url)
        conn = await asyncpg.connect(database_url)
        stack.push_async_callback(conn.close)
        rows = await conn.fetch("SELECT name FROM pg_available_extensions")
        features = {str(r["name"]) for r in rows}
        try:
            await conn.fetchval("SELECT '<a/>'::xml::text")
            features.add(XML_FEATURE)
        except asyncpg.PostgresError:
            pass
        server = LivegresProcess(["--database-url", database_url], env=server_env(), log_path=tmp / "livegres.log")
        try:
            await asyncio.to_thread(server.start)
        except RuntimeError as exc:
            raise ServerStartError(str(exc)) from None
        stack.push_async_callback(asyncio.to_thread, server.stop)
        http = HttpClient(server.url, timeout)
        stack.push_async_callback(http.aclose)
        yield Environment(database_url, server, http, conn, frozenset(features))
