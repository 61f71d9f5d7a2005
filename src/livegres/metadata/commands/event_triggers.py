"""Event triggers (metadata side): create, replace and delete.

Only the metadata entry is kept here; delivering events (database triggers, the event log,
the webhook calls, ``invoke_event_trigger``, ``redeliver_event``) is the business of the
eventing component. Arguments are checked as Hasura's ``CreateEventTriggerQuery`` parser
checks them (``parse-failed`` at the arguments' path), then against the tracked table.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from livegres.metadata import model as m
from livegres.metadata.commands.base import SUCCESS, Context, command
from livegres.metadata.resolve import qn, text

MAX_NAME_LENGTH = 42
_NAME = re.compile(r"[A-Za-z]+[A-Za-z0-9_\-]*")
DEFAULT_RETRY_CONF = m.RetryConf(num_retries=0, interval_sec=10, timeout_sec=60)


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
    return SUCCESS


__all__ = ["DEFAULT_RETRY_CONF", "MAX_NAME_LENGTH", "environment_problem", "find_trigger"]
