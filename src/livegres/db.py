"""Database connections: the pool, and waiting for a database that is not up yet."""

from __future__ import annotations

import asyncio
import time

import asyncpg

from livegres import log

# Errors after which retrying cannot help: the server answered and said no.
_FATAL = (
    asyncpg.InvalidPasswordError,
    asyncpg.InvalidAuthorizationSpecificationError,
    asyncpg.InvalidCatalogNameError,
    asyncpg.InsufficientPrivilegeError,
)


class DatabaseUnavailable(Exception):
    """The database could not be reached; the message is one line."""


def describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text


def redact(url: str) -> str:
    """The URL with its password replaced, for log lines."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(":" + parts.password + "@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


async def wait_for_database(url: str, timeout: float, what: str = "database") -> None:
    """Return once ``url`` accepts a connection; raise DatabaseUnavailable after ``timeout``."""
    deadline = time.monotonic() + timeout
    attempt = 0
    while True:
        attempt += 1
        try:
            conn = await asyncpg.connect(url, timeout=min(10.0, max(1.0, timeout)))
        except _FATAL as exc:
            raise DatabaseUnavailable(f"the {what} refused the connection: {describe(exc)}") from None
        except (TimeoutError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise DatabaseUnavailable(
                    f"the {what} at {redact(url)} did not answer within {timeout:g}s: {describe(exc)}"
                ) from None
            log.warn(
                f"the {what} is not reachable yet; retrying",
                url=redact(url),
                error=describe(exc),
                attempt=attempt,
            )
            await asyncio.sleep(min(1.0, remaining))
            continue
        except ValueError as exc:  # malformed URL details asyncpg rejects
            raise DatabaseUnavailable(f"the {what} URL is not valid: {describe(exc)}") from None
        await conn.close()
        return


# Sent at connection start, so they are the session's defaults (what RESET ALL returns to).
# Timestamps go out as Hasura formats them: the session sees UTC. JIT compilation is off: its
# start-up cost (often a second or more, e.g. for the catalog query, whose recursive CTE the
# planner overestimates) dwarfs the short statements an API server runs.
SERVER_SETTINGS = {"TimeZone": "UTC", "jit": "off"}


async def _keep_session(_conn: asyncpg.Connection) -> None:
    """Released connections are not reset (asyncpg's default costs a round trip per request):
    Livegres keeps no session state on pooled connections (``hasura.user`` is set per
    transaction, LISTEN and session locks use connections of their own), and ``run_sql``,
    which runs an admin's arbitrary SQL, resets the session itself (``run_sql.clean_session``)."""


async def create_pool(url: str, max_size: int) -> asyncpg.Pool:
    return await asyncpg.create_pool(
        url,
        min_size=1,
        max_size=max_size,
        max_cacheable_statement_size=256 * 1024,
        server_settings=SERVER_SETTINGS,
        reset=_keep_session,
    )
