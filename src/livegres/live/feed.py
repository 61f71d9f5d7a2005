"""The change feed: statement-level triggers that ``pg_notify`` what changed, and the
listening connection that receives it.

On every table a live query reads, Livegres installs four ``AFTER ... FOR EACH STATEMENT``
triggers (``livegres_live_insert``, ``_update``, ``_delete``, ``_truncate``) calling
``hdb_catalog.livegres_live_notify(columns...)``. With transition tables, the function
sends one notification per statement that changed rows (none when no row changed) on the
channel ``livegres_live``, whoever made the change (GraphQL, psql, another application)::

    {"s": "public", "t": "article", "k": {"author_id": ["1", "7"]}}

``k`` holds, for each reported column (the table's primary key and foreign key columns),
the distinct old and new values of the changed rows, as JSON text. When the payload would
exceed PostgreSQL's notification limit, or for ``TRUNCATE``, ``k`` is left out: the change
concerns the whole table. PostgreSQL delivers notifications when the transaction commits
(and drops duplicates within a transaction), so a refresh never sees uncommitted data.

The function reads rows with ``to_jsonb(row) ->> column``, so a dropped or renamed column
never makes the user's statement fail; it only stops reporting values for that column.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import asyncpg
import orjson

from livegres import log
from livegres.catalog.model import QualifiedName
from livegres.sql.fragment import quote_ident

CHANNEL = "livegres_live"
FUNCTION = "hdb_catalog.livegres_live_notify"
TRIGGER_PREFIX = "livegres_live_"
_LOCK = 7_245_120_001  # advisory lock serialising trigger installation across instances

FUNCTION_SQL = r"""
CREATE OR REPLACE FUNCTION hdb_catalog.livegres_live_notify() RETURNS trigger
LANGUAGE plpgsql AS $fn$
DECLARE
  changed boolean;
  keys jsonb;
  payload text;
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    changed := true;
  ELSIF TG_NARGS = 0 THEN
    IF TG_OP = 'DELETE' THEN
      changed := EXISTS (SELECT FROM livegres_old);
    ELSE
      changed := EXISTS (SELECT FROM livegres_new);
    END IF;
  ELSE
    IF TG_OP = 'INSERT' THEN
      SELECT jsonb_object_agg(k, v) INTO keys FROM (
        SELECT k, jsonb_agg(DISTINCT j ->> k) AS v
        FROM (SELECT to_jsonb(r) AS j FROM livegres_new r) AS x, unnest(TG_ARGV) AS k GROUP BY k) AS g;
    ELSIF TG_OP = 'UPDATE' THEN
      SELECT jsonb_object_agg(k, v) INTO keys FROM (
        SELECT k, jsonb_agg(DISTINCT j ->> k) AS v
        FROM (SELECT to_jsonb(r) AS j FROM livegres_new r
              UNION ALL SELECT to_jsonb(r) FROM livegres_old r) AS x,
             unnest(TG_ARGV) AS k GROUP BY k) AS g;
    ELSE
      SELECT jsonb_object_agg(k, v) INTO keys FROM (
        SELECT k, jsonb_agg(DISTINCT j ->> k) AS v
        FROM (SELECT to_jsonb(r) AS j FROM livegres_old r) AS x, unnest(TG_ARGV) AS k GROUP BY k) AS g;
    END IF;
    changed := keys IS NOT NULL;  -- no changed row: no key
  END IF;
  IF NOT changed THEN
    RETURN NULL;
  END IF;
  payload := json_build_object('s', TG_TABLE_SCHEMA, 't', TG_TABLE_NAME, 'k', keys)::text;
  IF octet_length(payload) > 7900 THEN
    payload := json_build_object('s', TG_TABLE_SCHEMA, 't', TG_TABLE_NAME)::text;
  END IF;
  PERFORM pg_notify('livegres_live', payload);
  RETURN NULL;
END
$fn$
"""


_BODY = FUNCTION_SQL.split("$fn$")[1]


@dataclass(frozen=True, slots=True)
class Change:
    """One notification: a table changed; ``keys`` (column -> values) when known."""

    table: QualifiedName
    keys: Mapping[str, frozenset[str]] | None


def parse(payload: str) -> Change | None:
    try:
        body = orjson.loads(payload)
        table = QualifiedName(str(body["s"]), str(body["t"]))
    except (orjson.JSONDecodeError, KeyError, TypeError):
        return None
    raw = body.get("k")
    keys: dict[str, frozenset[str]] | None = None
    if isinstance(raw, dict):
        keys = {str(k): frozenset(str(x) for x in v if x is not None) for k, v in raw.items() if isinstance(v, list)}
    return Change(table, keys)


def trigger_sql(table: QualifiedName, columns: Sequence[str]) -> list[str]:
    """The statements (re)creating the four triggers of ``table``."""
    target = f"{quote_ident(table.schema)}.{quote_ident(table.name)}"
    args = ", ".join("'" + c.replace("'", "''") + "'" for c in columns)
    out: list[str] = []
    events = {
        "insert": ("INSERT", "REFERENCING NEW TABLE AS livegres_new "),
        "update": ("UPDATE", "REFERENCING OLD TABLE AS livegres_old NEW TABLE AS livegres_new "),
        "delete": ("DELETE", "REFERENCING OLD TABLE AS livegres_old "),
        "truncate": ("TRUNCATE", ""),
    }
    for suffix, (event, referencing) in events.items():
        name = quote_ident(TRIGGER_PREFIX + suffix)
        out.append(f"DROP TRIGGER IF EXISTS {name} ON {target}")
        out.append(
            f"CREATE TRIGGER {name} AFTER {event} ON {target} {referencing}"
            f"FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}({args if event != 'TRUNCATE' else ''})"
        )
    return out


_INSTALLED_SQL = """
SELECT n.nspname, c.relname, encode(t.tgargs, 'escape')
FROM pg_catalog.pg_trigger t
JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE t.tgname = 'livegres_live_update'
"""


async def install_function(conn: asyncpg.Connection) -> bool:
    """Create the trigger function when it is missing or differs from this version's (done at
    startup, before the schema is loaded, so that it is never seen as a schema change). False
    when it cannot be created (no privilege): live queries are then polled."""
    try:
        installed = await conn.fetchval(
            "SELECT prosrc FROM pg_catalog.pg_proc WHERE oid = to_regprocedure('hdb_catalog.livegres_live_notify()')"
        )
        if installed is not None and installed.strip() == _BODY.strip():
            return True
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", _LOCK)
            await conn.execute("CREATE SCHEMA IF NOT EXISTS hdb_catalog")
            await conn.execute(FUNCTION_SQL)
        return True
    except asyncpg.PostgresError as exc:
        log.warn("live queries: cannot create the change feed function, polling instead", error=str(exc))
        return False


class Installer:
    """Installs the function once and the triggers of each table a live query reads."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self.installed: dict[QualifiedName, tuple[str, ...]] = {}
        self.failed: set[QualifiedName] = set()
        self._lock = asyncio.Lock()
        self._function_ready = False

    def reset(self) -> None:
        """Forget what is known to be installed (the schema changed: tables may be new)."""
        self.installed.clear()
        self.failed.clear()

    async def ensure(self, wanted: Mapping[QualifiedName, tuple[str, ...]]) -> set[QualifiedName]:
        """Install the triggers of these tables (table -> reported columns) where missing or
        different; returns the tables that have them."""
        missing = {t: c for t, c in wanted.items() if self.installed.get(t) != c and t not in self.failed}
        if missing:
            async with self._lock:
                await self._install(missing)
        return {t for t in wanted if t in self.installed}

    async def _install(self, wanted: Mapping[QualifiedName, tuple[str, ...]]) -> None:
        async with self.pool.acquire() as conn:
            if not self._function_ready:
                if not await install_function(conn):
                    self.failed.update(wanted)
                    return
                self._function_ready = True
            present: dict[QualifiedName, tuple[str, ...]] = {}
            for schema, name, args in await conn.fetch(_INSTALLED_SQL):
                present[QualifiedName(schema, name)] = tuple(a for a in (args or "").split("\\000") if a)
            for table, columns in wanted.items():
                if present.get(table) == columns:
                    self.installed[table] = columns
                    continue
                try:
                    async with conn.transaction():
                        await conn.execute("SELECT pg_advisory_xact_lock($1)", _LOCK)
                        for statement in trigger_sql(table, columns):
                            await conn.execute(statement)
                    self.installed[table] = columns
                except asyncpg.PostgresError as exc:
                    # Not the owner, a view, a foreign table...: plans reading it are polled.
                    self.failed.add(table)
                    log.warn("live queries: no change feed on this table, polling it", table=str(table), error=str(exc))


class Listener:
    """A dedicated connection LISTENing on the channel; reconnects forever. ``on_change`` gets
    every notification, ``on_state(connected)`` each connection and loss (after a loss,
    notifications may have been missed)."""

    def __init__(
        self,
        database_url: str,
        on_change: Callable[[Change], None],
        on_state: Callable[[bool], None],
    ) -> None:
        self.database_url = database_url
        self.on_change = on_change
        self.on_state = on_state
        self.connected = False
        self._task: asyncio.Task[None] | None = None
        self._lost = asyncio.Event()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="livegres-live-listener")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None

    def _notified(self, conn: object, pid: int, channel: str, payload: str) -> None:
        change = parse(payload)
        if change is not None:
            self.on_change(change)

    async def _run(self) -> None:
        delay = 0.1
        while True:
            conn: asyncpg.Connection | None = None
            try:
                conn = await asyncpg.connect(self.database_url, timeout=10)
                self._lost.clear()
                conn.add_termination_listener(lambda _c: self._lost.set())
                await conn.add_listener(CHANNEL, self._notified)
                self.connected = True
                delay = 0.1
                self.on_state(True)
                while not self._lost.is_set():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._lost.wait(), 30)
                    if not self._lost.is_set() and not await _alive(conn):
                        break
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warn("live queries: change feed connection failed, retrying", error=repr(exc))
            finally:
                if self.connected:
                    self.connected = False
                    self.on_state(False)
                if conn is not None:
                    with contextlib.suppress(Exception):
                        conn.terminate()
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)


async def _alive(conn: asyncpg.Connection) -> bool:
    try:
        await asyncio.wait_for(conn.fetchval("SELECT 1"), 5)
        return True
    except (Exception, TimeoutError):
        return False
