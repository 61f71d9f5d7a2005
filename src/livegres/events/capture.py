"""Capture: the PostgreSQL row triggers that write events into ``hdb_catalog.event_log``.

Each operation of an event trigger (insert, update, delete) becomes a function
``hdb_catalog."notify_hasura_<trigger>_<OP>"()`` and an ``AFTER <OP> ... FOR EACH ROW`` trigger
of the same name on the table, as in Hasura. The function runs in the writer's transaction, so
an event exists exactly when the change commits.

``sync()`` makes the database match the metadata: it creates what is missing or out of date
(each function carries a hash of its definition in its comment), drops what the metadata no
longer has, and archives the pending events of triggers that are gone. It runs inside every
metadata write (same transaction) and at startup, which also repairs triggers dropped by hand.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass

import asyncpg

from livegres import catalog as cat
from livegres.events.filters import FilterError, compile_filter
from livegres.metadata import model as m
from livegres.metadata.resolve import SchemaCache, qn
from livegres.sql.fragment import quote_literal

_SYNC_LOCK = 0x6C657674  # "levt": one trigger sync at a time
_PREFIX = "notify_hasura_"
_OPS = ("INSERT", "UPDATE", "DELETE")
FILTER_KEY = "filter"
ORDERED_KEY = "ordered"


def quote_ident(name: str) -> str:
    if "\x00" in name:
        raise ValueError("identifier contains NUL")
    return '"' + name.replace('"', '""') + '"'


def literal(value: str) -> str:
    """A SQL string literal, safe in a function body whatever the session that compiles it
    has ``standard_conforming_strings`` set to."""
    return quote_literal(value)


def function_name(trigger: str, op: str) -> str:
    return f"{_PREFIX}{trigger}_{op}"


@dataclass(frozen=True, slots=True)
class Wanted:
    """One database trigger the metadata asks for."""

    name: str
    table: cat.QualifiedName
    script: str
    digest: str


def _row_json(record: str, spec: m.ColumnSpec | None) -> str:
    if spec is None or spec == "*":
        return f"row_to_json({record})"
    if not spec:
        return "NULL"
    pairs = ", ".join(f"{literal(c)}, {record}.{quote_ident(c)}" for c in spec)
    return f"json_build_object({pairs})"


def _changed(spec: m.OperationSpec) -> str:
    """The UPDATE guard: fire only when a listed column really changed (binary comparison)."""
    if spec.columns == "*":
        return "_old := OLD;\n  _new := NEW;\n  IF NOT (_old *<> _new) THEN RETURN NULL; END IF;"
    old = ", ".join(f"OLD.{quote_ident(c)}" for c in spec.columns)
    new = ", ".join(f"NEW.{quote_ident(c)}" for c in spec.columns)
    return f"_old := row({old});\n  _new := row({new});\n  IF NOT (_old *<> _new) THEN RETURN NULL; END IF;"


def _ordering_key(table: cat.Table, op: str) -> str:
    if table.primary_key is None:
        raise FilterError("ordered delivery needs a table with a primary key")
    record = "OLD" if op == "DELETE" else "NEW"
    values = ", ".join(f"{record}.{quote_ident(c)}" for c in table.primary_key.columns)
    return f"json_build_array({values})::text"


def trigger_script(
    schema: str, table: cat.Table, trigger: m.EventTrigger, op: str, spec: m.OperationSpec
) -> tuple[str, str]:
    """The SQL creating the function and the trigger for ``op``, and its digest."""
    name = function_name(trigger.name, op)
    old = "NULL" if op == "INSERT" else _row_json("OLD", spec.payload)
    new = "NULL" if op == "DELETE" else _row_json("NEW", spec.payload)
    body = ["DECLARE\n  _old record;\n  _new record;\nBEGIN"]
    if op == "UPDATE":
        body.append("  " + _changed(spec))
    condition = trigger.extra.get(FILTER_KEY)
    if condition is not None:
        body.append(f"  IF NOT coalesce(({compile_filter(condition, table, op)}), false) THEN RETURN NULL; END IF;")
    key = _ordering_key(table, op) if trigger.extra.get(ORDERED_KEY) is True else "NULL"
    body.append(
        "  PERFORM hdb_catalog.livegres_insert_event("
        f"{literal(schema)}, {literal(table.name.name)}, {literal(trigger.name)}, TG_OP, "
        f"json_build_object('old', {old}, 'new', {new}), {key});"
    )
    body.append("  RETURN NULL;\nEND;")
    code = "\n".join(body)
    tag = "$lg$"
    n = 0
    while tag in code:
        n += 1
        tag = f"$lg{n}$"
    target = f"{quote_ident(schema)}.{quote_ident(table.name.name)}"
    function = f"hdb_catalog.{quote_ident(name)}"
    digest = hashlib.sha256(f"{target}\n{code}".encode()).hexdigest()[:32]
    script = (
        f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS {tag}\n{code}\n{tag};\n"
        f"COMMENT ON FUNCTION {function}() IS {literal('livegres:' + digest)};\n"
        f"DROP TRIGGER IF EXISTS {quote_ident(name)} ON {target};\n"
        f"CREATE TRIGGER {quote_ident(name)} AFTER {op} ON {target} FOR EACH ROW EXECUTE FUNCTION {function}();\n"
    )
    return script, digest


def _specs(trigger: m.EventTrigger) -> Iterator[tuple[str, m.OperationSpec]]:
    definition = trigger.definition
    for op, spec in zip(_OPS, (definition.insert, definition.update, definition.delete), strict=True):
        if spec is not None:
            yield op, spec


def _columns_exist(table: cat.Table, spec: m.OperationSpec) -> bool:
    for columns in (spec.columns, spec.payload):
        if columns is not None and columns != "*" and any(c not in table.columns for c in columns):
            return False
    return True


def wanted(cache: SchemaCache) -> dict[str, Wanted]:
    """The database triggers the metadata asks for, by function name.

    A trigger whose table or columns no longer exist is left out (so that it cannot break the
    table's writes); the metadata reports it as inconsistent."""
    out: dict[str, Wanted] = {}
    for source in cache.metadata.sources:
        if not isinstance(source, m.Source):
            continue
        for table_meta in source.tables:
            table = cache.catalog.tables.get(qn(table_meta.table))
            if table is None or table.kind not in (cat.TableKind.TABLE, cat.TableKind.PARTITIONED_TABLE):
                continue
            for trigger in table_meta.event_triggers:
                for op, spec in _specs(trigger):
                    if not _columns_exist(table, spec):
                        continue
                    try:
                        script, digest = trigger_script(table_meta.table.schema, table, trigger, op, spec)
                    except (FilterError, ValueError):
                        continue
                    name = function_name(trigger.name, op)
                    out[name] = Wanted(name, table.name, script, digest)
    return out


def trigger_names(metadata: m.Metadata) -> list[str]:
    return [
        t.name for s in metadata.sources if isinstance(s, m.Source) for table in s.tables for t in table.event_triggers
    ]


_EXISTING_FUNCTIONS = r"""
SELECT p.proname, obj_description(p.oid, 'pg_proc') AS comment
FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = 'hdb_catalog' AND p.proname LIKE 'notify\_hasura\_%'
"""
_EXISTING_TRIGGERS = r"""
SELECT t.tgname, c.relname, cn.nspname, p.proname
FROM pg_catalog.pg_trigger t
JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid
JOIN pg_catalog.pg_namespace cn ON cn.oid = c.relnamespace
JOIN pg_catalog.pg_proc p ON p.oid = t.tgfoid
JOIN pg_catalog.pg_namespace pn ON pn.oid = p.pronamespace
WHERE pn.nspname = 'hdb_catalog' AND p.proname LIKE 'notify\_hasura\_%' AND NOT t.tgisinternal
"""


async def sync(conn: asyncpg.Connection, cache: SchemaCache) -> int:
    """Make the database triggers match ``cache`` (inside the caller's transaction).

    Returns the number of functions created, replaced or dropped."""
    want = wanted(cache)
    await conn.execute("SELECT pg_advisory_xact_lock($1)", _SYNC_LOCK)
    functions = {r["proname"]: r["comment"] for r in await conn.fetch(_EXISTING_FUNCTIONS)}
    triggers = await conn.fetch(_EXISTING_TRIGGERS)
    changes = 0
    statements: list[str] = []
    placed: dict[str, list[tuple[str, str, str]]] = {}
    for row in triggers:
        placed.setdefault(row["proname"], []).append((row["tgname"], row["nspname"], row["relname"]))
    for name, spec in want.items():
        here = placed.get(name, [])
        right = [(name, spec.table.schema, spec.table.name)] == here
        if functions.get(name) != f"livegres:{spec.digest}" or not right:
            for tgname, schema, relname in here:
                statements.append(f"DROP TRIGGER IF EXISTS {quote_ident(tgname)} ON {_qualified(schema, relname)};")
            statements.append(spec.script)
            changes += 1
    for name in set(functions) | set(placed):
        if name in want:
            continue
        for tgname, schema, relname in placed.get(name, []):
            statements.append(f"DROP TRIGGER IF EXISTS {quote_ident(tgname)} ON {_qualified(schema, relname)};")
        if name in functions:
            statements.append(f"DROP FUNCTION IF EXISTS hdb_catalog.{quote_ident(name)}() CASCADE;")
        changes += 1
    if statements:
        await conn.execute("\n".join(statements))
    # The pending events of triggers that were removed from the metadata are archived, never
    # delivered. (Only triggers this database had: events written before the metadata that
    # names their trigger is applied, as when moving from another instance, are kept.)
    current = set(trigger_names(cache.metadata))
    gone = (_trigger_of(name) for name in set(functions) | set(placed) if name not in want)
    removed = {name for name in gone if name is not None and name not in current}
    if removed:
        await archive_events(conn, sorted(removed))
    return changes


async def archive_events(conn: asyncpg.Connection, triggers: list[str]) -> None:
    await conn.execute(
        """
        UPDATE hdb_catalog.event_log SET archived = true
        WHERE delivered = 'f' AND error = 'f' AND archived = 'f' AND trigger_name = ANY($1::text[])
        """,
        triggers,
    )


def _trigger_of(function: str) -> str | None:
    """The trigger name in ``notify_hasura_<trigger>_<OP>``."""
    for op in _OPS:
        suffix = f"_{op}"
        if function.startswith(_PREFIX) and function.endswith(suffix):
            return function[len(_PREFIX) : -len(suffix)]
    return None


def _qualified(schema: str, name: str) -> str:
    return f"{quote_ident(schema)}.{quote_ident(name)}"
