"""Event triggers: create, replace and delete (metadata), and the event operations.

Create, replace and delete change only the metadata entry; the database triggers follow it
in the same transaction (``livegres.events.capture.sync``, run by the metadata service before
commit). Arguments are checked as Hasura's ``CreateEventTriggerQuery`` parser checks them
(``parse-failed`` at the arguments' path), then against the tracked table. Two optional
arguments go beyond Hasura and are kept with the trigger: ``filter`` (a boolean expression in
``where`` syntax on the ``old`` and ``new`` rows, evaluated in the database trigger) and
``ordered`` (events of one primary key delivered one at a time, in commit order).

The event operations (``invoke_event_trigger``, ``redeliver_event``, ``get_event_logs``,
``get_event_invocation_logs``, ``get_event_by_id``) read and write ``hdb_catalog.event_log``
in the request's transaction.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import asyncpg
import orjson

from livegres import catalog as cat
from livegres.events.capture import FILTER_KEY, ORDERED_KEY, archive_events
from livegres.events.filters import FilterError, compile_filter
from livegres.metadata import model as m
from livegres.metadata.commands.base import SUCCESS, Context, command
from livegres.metadata.resolve import qn, text
from livegres.sql.fragment import quote_ident

MAX_NAME_LENGTH = 42
_NAME = re.compile(r"[A-Za-z]+[A-Za-z0-9_\-]*")
DEFAULT_RETRY_CONF = m.RetryConf(num_retries=0, interval_sec=10, timeout_sec=60)


_ROW_REFERENCE = re.compile(r"\b(?:NEW|OLD)\.")


async def _filter_problem(ctx: Context, compiled: str, table: cat.Table) -> str | None:
    """Plan the filter once against a null row of the table: a value that does not cast to its
    column's type, or an operator the type lacks, fails here (PostgreSQL folds the casts of
    constants while planning) rather than in every later write to the table."""
    row = f"(NULL::{quote_ident(table.name.schema)}.{quote_ident(table.name.name)})."
    statement = "SELECT " + _ROW_REFERENCE.sub(lambda _: row, compiled)
    try:
        async with ctx.conn.transaction():
            await ctx.conn.execute(statement)
    except asyncpg.PostgresError as exc:
        return str(getattr(exc, "message", exc))
    return None


def find_trigger(source: m.Source, name: str) -> tuple[m.Table, m.EventTrigger] | None:
    """The table holding the event trigger ``name``, and the trigger."""
    for table in source.tables:
        for trigger in table.event_triggers:
            if trigger.name == name:
                return table, trigger
    return None


def environment_problem(trigger: m.EventTrigger, environ: Mapping[str, str]) -> str | None:
    """Hasura's reason when an environment variable the trigger reads is not set."""
    wanted = [trigger.webhook_from_env, *(header.value_from_env for header in trigger.headers)]
    for variable in wanted:
        if variable is not None and variable not in environ:
            return f"environment variable '{variable}' not set"
    return None


def _empty_specification(spec: m.OperationSpec | None) -> str | None:
    """Hasura's ``checkEmptyCols`` (which looks at ``payload`` only when ``columns`` is ``*``)."""
    if spec is None:
        return None
    if spec.columns != "*":
        return "found empty column specification" if not spec.columns else None
    if spec.payload is not None and spec.payload != "*" and not spec.payload:
        return "found empty payload specification"
    return None


@command(metadata=("pg_create_event_trigger",), query=("create_event_trigger",))
async def create_event_trigger(ctx: Context, args: Any) -> Any:
    obj = m._Reader(args, ctx.parse_path, "CreateEventTriggerQuery")
    source_name = obj.optional("source", m._text) or m.DEFAULT_SOURCE
    name = obj.required("name", m._name)
    table_name = obj.required("table", m._qualified)
    insert = obj.optional("insert", m._operation_spec)
    update = obj.optional("update", m._operation_spec)
    delete = obj.optional("delete", m._operation_spec)
    enable_manual = obj.optional("enable_manual", m._bool) or False
    retry_conf = obj.optional("retry_conf", m._retry_conf) or DEFAULT_RETRY_CONF
    webhook = obj.optional("webhook", m._text)
    webhook_from_env = obj.optional("webhook_from_env", m._text)
    headers = obj.optional("headers", m._headers) or ()
    replacing = obj.optional("replace", m._bool) or False
    request_transform = obj.optional("request_transform", m._raw_object)
    response_transform = obj.optional("response_transform", m._raw_object)
    cleanup_config = obj.optional("cleanup_config", m._raw_object)
    on_replication = obj.optional("trigger_on_replication", m._trigger_on_replication) or False
    condition = obj.raw(FILTER_KEY)
    ordered = obj.optional(ORDERED_KEY, m._bool) or False

    if not _NAME.fullmatch(name):
        raise ctx.parse_error("only alphanumeric and underscore and hyphens allowed for name")
    if len(name) > MAX_NAME_LENGTH:
        raise ctx.parse_error(f"event trigger name can be at most {MAX_NAME_LENGTH} characters")
    if insert is None and update is None and delete is None and not enable_manual:
        raise ctx.parse_error("atleast one amongst insert/update/delete/enable_manual spec must be provided")
    if webhook is not None and webhook_from_env is not None:
        raise ctx.parse_error("only one of webhook or webhook_from_env should be given")
    if webhook is None and webhook_from_env is None:
        raise ctx.parse_error("must provide webhook or webhook_from_env")
    for spec in (insert, update, delete):
        empty = _empty_specification(spec)
        if empty is not None:
            raise ctx.parse_error(empty)

    source = ctx.source(source_name)
    table = ctx.tracked(table_name, source.name)
    catalog_table = ctx.catalog.tables.get(qn(table_name))
    if catalog_table is None:
        raise ctx.error("not-exists", f'table "{table_name}" does not exist in source: {source.name}')
    located = find_trigger(source, name)
    if replacing:
        if located is None:
            raise ctx.error("not-exists", f'event trigger "{name}" does not exist')
        if located[0].table != table_name:
            raise ctx.error("not-supported", "cannot replace table or schema for trigger")
    for spec in (insert, update, delete):
        if spec is None:
            continue
        for columns in (spec.columns, spec.payload):
            for column in () if columns is None or columns == "*" else columns:
                if column not in catalog_table.columns:
                    raise ctx.error("not-exists", f'column "{column}" does not exist')
    if not replacing and located is not None:
        raise ctx.error("already-exists", f'Event trigger with name "{name}" already exists')
    if catalog_table.kind not in (cat.TableKind.TABLE, cat.TableKind.PARTITIONED_TABLE):
        raise ctx.error("not-supported", f'event triggers are supported only on tables; "{table_name}" is not a table')
    if ordered and catalog_table.primary_key is None:
        raise ctx.error("not-supported", f'ordered delivery needs a primary key, and table "{table_name}" has none')
    extra: dict[str, Any] = {}
    if condition is not None:
        for op in ("INSERT", "UPDATE", "DELETE"):
            try:
                compiled = compile_filter(condition, catalog_table, op)
            except FilterError as exc:
                raise ctx.parse_error(str(exc), FILTER_KEY) from None
            problem = await _filter_problem(ctx, compiled, catalog_table)
            if problem is not None:
                raise ctx.parse_error(f"the filter does not fit the table: {problem}", FILTER_KEY)
        extra[FILTER_KEY] = condition
    if ordered:
        extra[ORDERED_KEY] = True

    trigger = m.EventTrigger(
        name=name,
        definition=m.EventTriggerDefinition(insert=insert, update=update, delete=delete, enable_manual=enable_manual),
        retry_conf=retry_conf,
        webhook=webhook,
        webhook_from_env=webhook_from_env,
        headers=headers,
        request_transform=request_transform,
        response_transform=response_transform,
        cleanup_config=cleanup_config,
        trigger_on_replication=on_replication,
        extra=extra,
    )
    problem = environment_problem(trigger, os.environ)
    if problem is not None:
        reason = f'Inconsistent object: in table "{text(table_name)}": in event trigger "{name}": {problem}'
        internal = [
            {
                "definition": {"configuration": trigger.to_json(), "table": table_name.to_json()},
                "name": f"event_trigger {name} in table {text(table_name)} in source {source.name}",
                "reason": reason,
                "type": "event_trigger",
            }
        ]
        raise ctx.error("invalid-configuration", reason, internal=internal)
    kept = tuple(t for t in table.event_triggers if t.name != name)
    ctx.set_metadata(ctx.metadata.with_source(source.with_table(replace(table, event_triggers=(*kept, trigger)))))
    return SUCCESS


@command(metadata=("pg_delete_event_trigger",), query=("delete_event_trigger",))
async def delete_event_trigger(ctx: Context, args: Any) -> Any:
    obj = m._Reader(args, ctx.parse_path, "DeleteEventTriggerQuery")
    source_name = obj.optional("source", m._text) or m.DEFAULT_SOURCE
    name = obj.required("name", m._name)
    source = ctx.source(source_name)
    located = find_trigger(source, name)
    if located is None:
        raise ctx.error("not-exists", f'event trigger "{name}" does not exist')
    table = located[0]
    kept = tuple(t for t in table.event_triggers if t.name != name)
    ctx.set_metadata(ctx.metadata.with_source(source.with_table(replace(table, event_triggers=kept))))
    await archive_events(ctx.conn, [name])
    return SUCCESS


# -- event operations --------------------------------------------------------------------------

_EVENT_COLUMNS = """
    id, schema_name, table_name, trigger_name, payload, delivered, error, tries,
    to_json(created_at) AS created_at, to_json(locked) AS locked, to_json(next_retry_at) AS next_retry_at, archived
"""
_INVOCATION_COLUMNS = """
    id, trigger_name, event_id, status AS http_status, request, response, to_json(created_at) AS created_at
"""


def _event_json(row: Any) -> dict[str, Any]:
    out = dict(row)
    for key in ("payload", "created_at", "locked", "next_retry_at", "request", "response"):
        if isinstance(out.get(key), str):
            out[key] = orjson.loads(out[key])
    return out


def _count(ctx: Context, obj: m._Reader, key: str, default: int) -> int:
    value = obj.optional(key, m._int)
    if value is None:
        return default
    if value < 0:
        raise ctx.parse_error(f"{key} must be a non-negative integer", key)
    return value


@command(metadata=("pg_invoke_event_trigger",), query=("invoke_event_trigger",))
async def invoke_event_trigger(ctx: Context, args: Any) -> Any:
    obj = m._Reader(args, ctx.parse_path, "InvokeEventTriggerQuery")
    source = ctx.source(obj.optional("source", m._text) or m.DEFAULT_SOURCE)
    name = obj.required("name", m._name)
    payload = obj.raw("payload")
    located = find_trigger(source, name)
    if located is None:
        raise ctx.error("not-exists", f'event trigger "{name}" does not exist')
    table, trigger = located
    if not trigger.definition.enable_manual:
        raise ctx.error("not-supported", "manual mode is not enabled for event trigger")
    event = {
        "op": "MANUAL",
        "data": {"old": None, "new": payload},
        "session_variables": {"x-hasura-role": "admin"},
        "trace_context": None,
    }
    event_id = await ctx.conn.fetchval(
        """
        INSERT INTO hdb_catalog.event_log (schema_name, table_name, trigger_name, payload)
        VALUES ($1, $2, $3, $4::jsonb) RETURNING id
        """,
        table.table.schema,
        table.table.name,
        name,
        orjson.dumps(event).decode(),
    )
    await ctx.conn.execute("SELECT pg_notify('livegres_events', '')")
    return {"event_id": event_id}


@command(metadata=("pg_redeliver_event",), query=("redeliver_event",))
async def redeliver_event(ctx: Context, args: Any) -> Any:
    obj = m._Reader(args, ctx.parse_path, "RedeliverEventQuery")
    obj.optional("source", m._text)
    event_id = obj.required("event_id", m._text)
    found = await ctx.conn.fetchval(
        """
        UPDATE hdb_catalog.event_log
        SET delivered = false, error = false, tries = 0, archived = false,
            locked = NULL, locked_by = NULL, next_retry_at = NULL
        WHERE id = $1 RETURNING id
        """,
        event_id,
    )
    if found is None:
        raise ctx.error("not-exists", f"event id {event_id} does not exist")
    await ctx.conn.execute("SELECT pg_notify('livegres_events', '')")
    return SUCCESS


@command(metadata=("pg_get_event_logs",), query=("get_event_logs",), mutates=False)
async def get_event_logs(ctx: Context, args: Any) -> Any:
    obj = m._Reader(args, ctx.parse_path, "GetEventLogs")
    source = ctx.source(obj.optional("source", m._text) or m.DEFAULT_SOURCE)
    name = obj.required("name", m._name)
    limit = _count(ctx, obj, "limit", 100)
    offset = _count(ctx, obj, "offset", 0)
    status = obj.optional("status", m._text) or "all"
    if status not in ("pending", "processed", "all"):
        raise ctx.parse_error('status must be one of "pending", "processed" or "all"', "status")
    if find_trigger(source, name) is None:
        raise ctx.error("not-exists", f'event trigger "{name}" does not exist')
    condition = {
        "pending": "AND delivered = 'f' AND error = 'f' AND archived = 'f'",
        "processed": "AND (delivered = 't' OR error = 't')",
        "all": "",
    }[status]
    rows = await ctx.conn.fetch(
        f"SELECT {_EVENT_COLUMNS} FROM hdb_catalog.event_log l WHERE trigger_name = $1 {condition} "
        "ORDER BY l.created_at DESC, l.seq DESC LIMIT $2 OFFSET $3",
        name,
        limit,
        offset,
    )
    return [_event_json(row) for row in rows]


@command(metadata=("pg_get_event_invocation_logs",), query=("get_event_invocation_logs",), mutates=False)
async def get_event_invocation_logs(ctx: Context, args: Any) -> Any:
    obj = m._Reader(args, ctx.parse_path, "GetEventInvocations")
    source = ctx.source(obj.optional("source", m._text) or m.DEFAULT_SOURCE)
    name = obj.required("name", m._name)
    limit = _count(ctx, obj, "limit", 100)
    offset = _count(ctx, obj, "offset", 0)
    if find_trigger(source, name) is None:
        raise ctx.error("not-exists", f'event trigger "{name}" does not exist')
    rows = await ctx.conn.fetch(
        f"SELECT {_INVOCATION_COLUMNS} FROM hdb_catalog.event_invocation_logs l WHERE trigger_name = $1 "
        "ORDER BY l.created_at DESC, l.id LIMIT $2 OFFSET $3",
        name,
        limit,
        offset,
    )
    return [_event_json(row) for row in rows]


@command(metadata=("pg_get_event_by_id",), query=("get_event_by_id",), mutates=False)
async def get_event_by_id(ctx: Context, args: Any) -> Any:
    obj = m._Reader(args, ctx.parse_path, "GetEventById")
    ctx.source(obj.optional("source", m._text) or m.DEFAULT_SOURCE)
    event_id = obj.required("event_id", m._text)
    limit = _count(ctx, obj, "invocation_log_limit", 100)
    offset = _count(ctx, obj, "invocation_log_offset", 0)
    row = await ctx.conn.fetchrow(f"SELECT {_EVENT_COLUMNS} FROM hdb_catalog.event_log WHERE id = $1", event_id)
    if row is None:
        raise ctx.error("not-exists", f"event id {event_id} does not exist")
    invocations = await ctx.conn.fetch(
        f"SELECT {_INVOCATION_COLUMNS} FROM hdb_catalog.event_invocation_logs l WHERE event_id = $1 "
        "ORDER BY l.created_at, l.id LIMIT $2 OFFSET $3",
        event_id,
        limit,
        offset,
    )
    return {"event": _event_json(row), "invocations": [_event_json(r) for r in invocations]}


__all__ = ["DEFAULT_RETRY_CONF", "MAX_NAME_LENGTH", "environment_problem", "find_trigger"]
