"""Hasura metadata (format version 3) as typed, frozen values: parsed like Hasura, printed like Hasura.

Owns the shape of one metadata document. ``parse_metadata`` validates a JSON value the way
Hasura's ``FromJSON`` instances do (``Hasura.RQL.Types.Metadata`` and the types it uses) and
raises ``QueryError("parse-failed")`` with Hasura's JSONPath and message; ``Metadata.to_json``
prints it the way Hasura's ``export_metadata`` does (``metadataToOrdJSON`` and
``Hasura.RQL.Types.Metadata.Serialization``). Invariants:

* Collections Hasura keys by name (sources, tables, functions, relationships, computed fields,
  permissions by role, event triggers, cron triggers, inherited roles, and the raw lists of
  remote schemas, actions, query collections, allowlist entries and REST endpoints) are kept
  sorted the way the export sorts them, whatever order they were given or built in. So equality
  does not depend on input order, and ``parse_metadata(m.to_json()) == m``.
* Values Hasura prints through ``Data.Aeson.Ordered.toOrdered`` (table names, configurations,
  boolean expressions, column presets, transforms, ...) are printed with their object keys
  sorted, as aeson's ordered key map does. Keys Hasura places by hand keep Hasura's order.
* Defaults are omitted where the export omits them (empty lists, ``is_enum: false``, an empty
  table configuration, ``backend_only: false``, the default cron retry configuration, ...).
* What Livegres does not interpret (remote schemas, actions, custom types, query collections,
  the allowlist, REST endpoints, transforms, non-Postgres sources, ...) is kept as raw JSON.
  Unknown keys of the modelled entries are kept in ``extra`` and printed after the known keys;
  Hasura drops them, except in a table entry, which it rejects, and so do we.
* Version 1 and 2 documents (top-level ``tables``/``functions``) become version 3 by replacing
  the tables and functions of the current ``default`` source, as ``replace_metadata`` does.

Raw JSON values (``dict``/``list``) held by these frozen objects must not be mutated.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Generic, Literal, NoReturn, TypeAlias, TypeVar, cast

from livegres.errors import QueryError, json_kind, json_path

Json: TypeAlias = "bool | int | float | str | list[Json] | dict[str, Json] | None"
JsonObject: TypeAlias = "dict[str, Json]"
Path: TypeAlias = "tuple[str | int, ...]"
ColumnSpec: TypeAlias = "Literal['*'] | tuple[str, ...]"
"""``"*"`` (every column) or a list of column names."""
InsertionOrder: TypeAlias = "Literal['before_parent', 'after_parent']"

PUBLIC = "public"
DEFAULT_SOURCE = "default"
METADATA_VERSION = 3

T = TypeVar("T")


# --------------------------------------------------------------------------------------------
# Printing helpers


def _sorted_json(value: Json) -> Json:
    """What ``AO.toOrdered`` prints: the same value with every object's keys in sorted order."""
    if isinstance(value, dict):
        return {key: _sorted_json(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [_sorted_json(item) for item in value]
    return value


def _with_extra(out: JsonObject, extra: JsonObject) -> JsonObject:
    for key, value in extra.items():
        out.setdefault(key, value)
    return out


def _columns_json(columns: ColumnSpec) -> Json:
    return "*" if columns == "*" else list(columns)


def _keep_sorted(obj: object, name: str, key: Callable[[Any], Any]) -> None:
    object.__setattr__(obj, name, tuple(sorted(getattr(obj, name), key=key)))


# --------------------------------------------------------------------------------------------
# Small values


@dataclass(frozen=True, slots=True, order=True)
class QualifiedName:
    """A table or function: ``{"schema", "name"}``; a bare string means schema ``public``.

    Ordered by (schema, name), as Hasura's export sorts tables and functions."""

    schema: str
    name: str

    @classmethod
    def of(cls, value: QualifiedName | str) -> QualifiedName:
        return value if isinstance(value, QualifiedName) else cls(PUBLIC, value)

    def __str__(self) -> str:
        """Hasura's text form: the bare name in ``public``, else ``schema.name``."""
        return self.name if self.schema == PUBLIC else f"{self.schema}.{self.name}"

    def to_json(self) -> JsonObject:
        return {"name": self.name, "schema": self.schema}


@dataclass(frozen=True, slots=True, kw_only=True)
class Header:
    """A webhook header: a literal ``value`` or ``value_from_env``."""

    name: str
    value: str | None = None
    value_from_env: str | None = None

    def to_json(self) -> JsonObject:
        if self.value_from_env is not None:
            return {"name": self.name, "value_from_env": self.value_from_env}
        return {"name": self.name, "value": self.value}


# --------------------------------------------------------------------------------------------
# Table configuration

ROOT_FIELD_KEYS = (
    "select",
    "select_by_pk",
    "select_aggregate",
    "select_stream",
    "insert",
    "insert_one",
    "update",
    "update_by_pk",
    "update_many",
    "delete",
    "delete_by_pk",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class RootField:
    """A custom root field: a GraphQL name and/or a comment (``""`` means no description)."""

    name: str | None = None
    comment: str | None = None

    def to_json(self) -> Json:
        if self.comment is None:
            return self.name
        return {"comment": self.comment, "name": self.name}


@dataclass(frozen=True, slots=True, kw_only=True)
class TableRootFields:
    select: RootField | None = None
    select_by_pk: RootField | None = None
    select_aggregate: RootField | None = None
    select_stream: RootField | None = None
    insert: RootField | None = None
    insert_one: RootField | None = None
    update: RootField | None = None
    update_by_pk: RootField | None = None
    update_many: RootField | None = None
    delete: RootField | None = None
    delete_by_pk: RootField | None = None

    def __post_init__(self) -> None:
        for key in ROOT_FIELD_KEYS:
            if getattr(self, key) == RootField():
                object.__setattr__(self, key, None)

    def items(self) -> list[tuple[str, RootField]]:
        return [(key, getattr(self, key)) for key in ROOT_FIELD_KEYS if getattr(self, key) is not None]

    def to_json(self) -> JsonObject:
        return {key: root_field.to_json() for key, root_field in sorted(self.items())}


@dataclass(frozen=True, slots=True, kw_only=True)
class ColumnConfig:
    custom_name: str | None = None
    comment: str | None = None

    def to_json(self) -> JsonObject:
        out: JsonObject = {}
        if self.comment is not None:
            out["comment"] = self.comment
        if self.custom_name is not None:
            out["custom_name"] = self.custom_name
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class TableConfiguration:
    """A table's ``configuration``. The legacy ``custom_column_names`` is merged into
    ``column_config`` (which wins) when parsing and derived from it when printing, as Hasura does."""

    custom_name: str | None = None
    custom_root_fields: TableRootFields = field(default_factory=TableRootFields)
    column_config: dict[str, ColumnConfig] = field(default_factory=dict)
    comment: str | None = None
    extra: JsonObject = field(default_factory=dict)

    def __post_init__(self) -> None:
        kept = {column: cfg for column, cfg in self.column_config.items() if cfg != ColumnConfig()}
        object.__setattr__(self, "column_config", kept)

    def to_json(self) -> JsonObject:
        columns = sorted(self.column_config)
        out: JsonObject = {"column_config": {column: self.column_config[column].to_json() for column in columns}}
        if self.comment is not None:
            out["comment"] = self.comment
        out["custom_column_names"] = {
            column: name for column in columns if (name := self.column_config[column].custom_name) is not None
        }
        if self.custom_name is not None:
            out["custom_name"] = self.custom_name
        out["custom_root_fields"] = self.custom_root_fields.to_json()
        return _with_extra(out, self.extra)


# --------------------------------------------------------------------------------------------
# Relationships and computed fields


@dataclass(frozen=True, slots=True, kw_only=True)
class ForeignKeyUsing:
    """``foreign_key_constraint_on``: columns of this table (``table`` None: object relationships)
    or columns of ``table`` that point back to this one (array relationships, or the object form)."""

    columns: tuple[str, ...]
    table: QualifiedName | None = None

    def to_json(self) -> Json:
        if self.table is None:
            return self.columns[0] if len(self.columns) == 1 else list(self.columns)
        if len(self.columns) == 1:
            return {"column": self.columns[0], "table": self.table.to_json()}
        return {"columns": list(self.columns), "table": self.table.to_json()}


@dataclass(frozen=True, slots=True, kw_only=True)
class ManualUsing:
    """``manual_configuration``: ``column_mapping`` maps this table's columns to ``remote_table``'s."""

    remote_table: QualifiedName
    column_mapping: dict[str, str]
    insertion_order: InsertionOrder | None = None

    def to_json(self) -> JsonObject:
        mapping: JsonObject = {column: self.column_mapping[column] for column in sorted(self.column_mapping)}
        return {
            "column_mapping": mapping,
            "insertion_order": self.insertion_order,
            "remote_table": self.remote_table.to_json(),
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Relationship:
    name: str
    using: ForeignKeyUsing | ManualUsing
    comment: str | None = None
    extra: JsonObject = field(default_factory=dict)

    def to_json(self) -> JsonObject:
        using: JsonObject = (
            {"manual_configuration": self.using.to_json()}
            if isinstance(self.using, ManualUsing)
            else {"foreign_key_constraint_on": self.using.to_json()}
        )
        out: JsonObject = {"name": self.name, "using": using}
        if self.comment is not None:
            out["comment"] = self.comment
        return _with_extra(out, self.extra)


@dataclass(frozen=True, slots=True, kw_only=True)
class ComputedField:
    name: str
    function: QualifiedName
    table_argument: str | None = None
    session_argument: str | None = None
    comment: str | None = None
    extra: JsonObject = field(default_factory=dict)

    def to_json(self) -> JsonObject:
        definition: JsonObject = {"function": self.function.to_json()}
        if self.session_argument is not None:
            definition["session_argument"] = self.session_argument
        if self.table_argument is not None:
            definition["table_argument"] = self.table_argument
        out: JsonObject = {"name": self.name, "definition": definition}
        if self.comment is not None:
            out["comment"] = self.comment
        return _with_extra(out, self.extra)


# --------------------------------------------------------------------------------------------
# Permissions. Boolean expressions (``filter``, ``check``) are JSON objects, normalised as Hasura
# normalises them, and interpreted by the permission compiler.

QUERY_ROOT_FIELDS = ("select", "select_by_pk", "select_aggregate")
SUBSCRIPTION_ROOT_FIELDS = ("select", "select_by_pk", "select_aggregate", "select_stream")


def _optional_json(out: JsonObject, key: str, value: JsonObject | None) -> None:
    if value is not None:
        out[key] = _sorted_json(value)


@dataclass(frozen=True, slots=True, kw_only=True)
class SelectPermission:
    columns: ColumnSpec
    filter: JsonObject
    limit: int | None = None
    allow_aggregations: bool = False
    computed_fields: tuple[str, ...] = ()
    query_root_fields: tuple[str, ...] | None = None
    """None: every query root field is allowed."""
    subscription_root_fields: tuple[str, ...] | None = None
    extra: JsonObject = field(default_factory=dict)

    def to_json(self) -> JsonObject:
        out: JsonObject = {"columns": _columns_json(self.columns)}
        if self.computed_fields:
            out["computed_fields"] = list(self.computed_fields)
        out["filter"] = _sorted_json(self.filter)
        if self.limit is not None:
            out["limit"] = self.limit
        if self.allow_aggregations:
            out["allow_aggregations"] = True
        if self.query_root_fields is not None:
            out["query_root_fields"] = list(self.query_root_fields)
        if self.subscription_root_fields is not None:
            out["subscription_root_fields"] = list(self.subscription_root_fields)
        return _with_extra(out, self.extra)


@dataclass(frozen=True, slots=True, kw_only=True)
class InsertPermission:
    check: JsonObject
    set: JsonObject | None = None
    """Column presets: a value, or a session variable name."""
    columns: ColumnSpec | None = None
    backend_only: bool = False
    validate_input: JsonObject | None = None
    extra: JsonObject = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.set == {}:
            object.__setattr__(self, "set", None)

    def to_json(self) -> JsonObject:
        out: JsonObject = {"check": _sorted_json(self.check)}
        _optional_json(out, "set", self.set)
        if self.columns is not None:
            out["columns"] = _columns_json(self.columns)
        if self.backend_only:
            out["backend_only"] = True
        _optional_json(out, "validate_input", self.validate_input)
        return _with_extra(out, self.extra)


@dataclass(frozen=True, slots=True, kw_only=True)
class UpdatePermission:
    columns: ColumnSpec
    filter: JsonObject
    check: JsonObject | None = None
    set: JsonObject | None = None
    backend_only: bool = False
    validate_input: JsonObject | None = None
    extra: JsonObject = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.set == {}:
            object.__setattr__(self, "set", None)

    def to_json(self) -> JsonObject:
        out: JsonObject = {"columns": _columns_json(self.columns), "filter": _sorted_json(self.filter)}
        out["check"] = None if self.check is None else _sorted_json(self.check)
        _optional_json(out, "set", self.set)
        if self.backend_only:
            out["backend_only"] = True
        _optional_json(out, "validate_input", self.validate_input)
        return _with_extra(out, self.extra)


@dataclass(frozen=True, slots=True, kw_only=True)
class DeletePermission:
    filter: JsonObject
    backend_only: bool = False
    validate_input: JsonObject | None = None
    extra: JsonObject = field(default_factory=dict)

    def to_json(self) -> JsonObject:
        out: JsonObject = {"filter": _sorted_json(self.filter)}
        if self.backend_only:
            out["backend_only"] = True
        _optional_json(out, "validate_input", self.validate_input)
        return _with_extra(out, self.extra)


P = TypeVar("P", SelectPermission, InsertPermission, UpdatePermission, DeletePermission)


@dataclass(frozen=True, slots=True, kw_only=True)
class PermissionEntry(Generic[P]):
    """One role's permission of one kind on a table."""

    role: str
    permission: P
    comment: str | None = None
    extra: JsonObject = field(default_factory=dict)

    def to_json(self) -> JsonObject:
        out: JsonObject = {"role": self.role, "permission": self.permission.to_json()}
        if self.comment is not None:
            out["comment"] = self.comment
        return _with_extra(out, self.extra)


@dataclass(frozen=True, slots=True)
class RolePermissions:
    """The permissions one role has on one table (None where it has none)."""

    insert: PermissionEntry[InsertPermission] | None = None
    select: PermissionEntry[SelectPermission] | None = None
    update: PermissionEntry[UpdatePermission] | None = None
    delete: PermissionEntry[DeletePermission] | None = None


# --------------------------------------------------------------------------------------------
# Event triggers


@dataclass(frozen=True, slots=True, kw_only=True)
class OperationSpec:
    """Which columns fire the trigger (updates only) and which the payload carries."""

    columns: ColumnSpec
    payload: ColumnSpec | None = None

    def to_json(self) -> JsonObject:
        out: JsonObject = {"columns": _columns_json(self.columns)}
        if self.payload is not None:
            out["payload"] = _columns_json(self.payload)
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class EventTriggerDefinition:
    insert: OperationSpec | None = None
    update: OperationSpec | None = None
    delete: OperationSpec | None = None
    enable_manual: bool | None = None

    def to_json(self) -> JsonObject:
        out: JsonObject = {}
        if self.delete is not None:
            out["delete"] = self.delete.to_json()
        if self.enable_manual is not None:
            out["enable_manual"] = self.enable_manual
        if self.insert is not None:
            out["insert"] = self.insert.to_json()
        if self.update is not None:
            out["update"] = self.update.to_json()
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryConf:
    num_retries: int = 0
    interval_sec: int = 10
    timeout_sec: int | None = None
    """None: Hasura's default, 60 seconds."""

    def to_json(self) -> JsonObject:
        out: JsonObject = {"interval_sec": self.interval_sec, "num_retries": self.num_retries}
        if self.timeout_sec is not None:
            out["timeout_sec"] = self.timeout_sec
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class EventTrigger:
    name: str
    definition: EventTriggerDefinition
    retry_conf: RetryConf
    webhook: str | None = None
    webhook_from_env: str | None = None
    headers: tuple[Header, ...] = ()
    request_transform: JsonObject | None = None
    response_transform: JsonObject | None = None
    cleanup_config: JsonObject | None = None
    trigger_on_replication: bool = False
    extra: JsonObject = field(default_factory=dict)

    def to_json(self) -> JsonObject:
        out: JsonObject = {
            "name": self.name,
            "definition": self.definition.to_json(),
            "retry_conf": self.retry_conf.to_json(),
        }
        if self.webhook is not None:
            out["webhook"] = self.webhook
        if self.webhook_from_env is not None:
            out["webhook_from_env"] = self.webhook_from_env
        if self.headers:
            out["headers"] = [header.to_json() for header in self.headers]
        _optional_json(out, "request_transform", self.request_transform)
        _optional_json(out, "response_transform", self.response_transform)
        _optional_json(out, "cleanup_config", self.cleanup_config)
        if self.trigger_on_replication:
            out["trigger_on_replication"] = True
        return _with_extra(out, self.extra)


# --------------------------------------------------------------------------------------------
# Tables, tracked functions, sources


@dataclass(frozen=True, slots=True, kw_only=True)
class Table:
    table: QualifiedName
    is_enum: bool = False
    configuration: TableConfiguration = field(default_factory=TableConfiguration)
    object_relationships: tuple[Relationship, ...] = ()
    array_relationships: tuple[Relationship, ...] = ()
    computed_fields: tuple[ComputedField, ...] = ()
    remote_relationships: tuple[Json, ...] = ()
    """Raw: Livegres does not implement remote relationships yet."""
    insert_permissions: tuple[PermissionEntry[InsertPermission], ...] = ()
    select_permissions: tuple[PermissionEntry[SelectPermission], ...] = ()
    update_permissions: tuple[PermissionEntry[UpdatePermission], ...] = ()
    delete_permissions: tuple[PermissionEntry[DeletePermission], ...] = ()
    event_triggers: tuple[EventTrigger, ...] = ()
    apollo_federation_config: JsonObject | None = None
    logical_model: Json = None

    def __post_init__(self) -> None:
        for name in ("object_relationships", "array_relationships", "computed_fields", "event_triggers"):
            _keep_sorted(self, name, lambda entry: entry.name)
        _keep_sorted(self, "remote_relationships", _remote_name)
        for kind in ("insert", "select", "update", "delete"):
            _keep_sorted(self, f"{kind}_permissions", lambda entry: entry.role)

    def relationship(self, name: str) -> Relationship | None:
        return next((r for r in (*self.object_relationships, *self.array_relationships) if r.name == name), None)

    def permissions_for(self, role: str) -> RolePermissions:
        def find(entries: Sequence[PermissionEntry[P]]) -> PermissionEntry[P] | None:
            return next((entry for entry in entries if entry.role == role), None)

        return RolePermissions(
            insert=find(self.insert_permissions),
            select=find(self.select_permissions),
            update=find(self.update_permissions),
            delete=find(self.delete_permissions),
        )

    def roles(self) -> tuple[str, ...]:
        """Every role with a permission on this table, sorted."""
        roles = {entry.role for entry in self.insert_permissions}
        roles.update(entry.role for entry in self.select_permissions)
        roles.update(entry.role for entry in self.update_permissions)
        roles.update(entry.role for entry in self.delete_permissions)
        return tuple(sorted(roles))

    def to_json(self) -> JsonObject:
        out: JsonObject = {"table": self.table.to_json()}
        if self.is_enum:
            out["is_enum"] = True
        if self.configuration != TableConfiguration():
            out["configuration"] = self.configuration.to_json()
        entries: list[tuple[str, Sequence[Any]]] = [
            ("object_relationships", self.object_relationships),
            ("array_relationships", self.array_relationships),
            ("computed_fields", self.computed_fields),
            ("remote_relationships", self.remote_relationships),
            ("insert_permissions", self.insert_permissions),
            ("select_permissions", self.select_permissions),
            ("update_permissions", self.update_permissions),
            ("delete_permissions", self.delete_permissions),
            ("event_triggers", self.event_triggers),
        ]
        for key, items in entries:
            if items:
                out[key] = [_sorted_json(item) if key == "remote_relationships" else item.to_json() for item in items]
        _optional_json(out, "apollo_federation_config", self.apollo_federation_config)
        if self.logical_model is not None:
            out["logical_model"] = self.logical_model
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class FunctionRootFields:
    function: str | None = None
    function_aggregate: str | None = None

    def to_json(self) -> JsonObject:
        out: JsonObject = {}
        if self.function is not None:
            out["function"] = self.function
        if self.function_aggregate is not None:
            out["function_aggregate"] = self.function_aggregate
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class FunctionConfiguration:
    custom_name: str | None = None
    custom_root_fields: FunctionRootFields = field(default_factory=FunctionRootFields)
    session_argument: str | None = None
    exposed_as: Literal["query", "mutation"] | None = None
    """None: decided by the function's volatility."""
    response: JsonObject | None = None
    extra: JsonObject = field(default_factory=dict)

    def to_json(self) -> JsonObject:
        out: JsonObject = {}
        if self.custom_name is not None:
            out["custom_name"] = self.custom_name
        out["custom_root_fields"] = self.custom_root_fields.to_json()
        if self.exposed_as is not None:
            out["exposed_as"] = self.exposed_as
        _optional_json(out, "response", self.response)
        if self.session_argument is not None:
            out["session_argument"] = self.session_argument
        return _with_extra(out, self.extra)


@dataclass(frozen=True, slots=True, kw_only=True)
class TrackedFunction:
    function: QualifiedName
    configuration: FunctionConfiguration = field(default_factory=FunctionConfiguration)
    permissions: tuple[str, ...] = ()
    """Roles that may call the function (used when function permissions are not inferred)."""
    comment: str | None = None
    extra: JsonObject = field(default_factory=dict)

    def to_json(self) -> JsonObject:
        out: JsonObject = {"function": self.function.to_json()}
        if self.configuration != FunctionConfiguration():
            out["configuration"] = self.configuration.to_json()
        if self.permissions:
            out["permissions"] = [{"role": role} for role in self.permissions]
        if self.comment is not None:
            out["comment"] = self.comment
        return _with_extra(out, self.extra)


@dataclass(frozen=True, slots=True, kw_only=True)
class Source:
    """A Postgres source. ``configuration`` (``connection_info``, ``read_replicas``...) is raw."""

    name: str
    tables: tuple[Table, ...] = ()
    functions: tuple[TrackedFunction, ...] = ()
    configuration: JsonObject = field(default_factory=dict)
    native_queries: tuple[Json, ...] = ()
    stored_procedures: tuple[Json, ...] = ()
    logical_models: tuple[Json, ...] = ()
    query_tags: JsonObject | None = None
    customization: JsonObject | None = None
    health_check: JsonObject | None = None
    extra: JsonObject = field(default_factory=dict)

    kind = "postgres"

    def __post_init__(self) -> None:
        _keep_sorted(self, "tables", lambda table: table.table)
        _keep_sorted(self, "functions", lambda function: function.function)
        if self.customization == {}:
            object.__setattr__(self, "customization", None)

    def table(self, name: QualifiedName | str) -> Table | None:
        wanted = QualifiedName.of(name)
        return next((table for table in self.tables if table.table == wanted), None)

    def with_table(self, table: Table) -> Source:
        """This source with ``table`` added, or replacing the entry of the same table."""
        return replace(self, tables=(*(t for t in self.tables if t.table != table.table), table))

    def without_table(self, name: QualifiedName | str) -> Source:
        wanted = QualifiedName.of(name)
        return replace(self, tables=tuple(t for t in self.tables if t.table != wanted))

    def function(self, name: QualifiedName | str) -> TrackedFunction | None:
        wanted = QualifiedName.of(name)
        return next((function for function in self.functions if function.function == wanted), None)

    def with_function(self, function: TrackedFunction) -> Source:
        kept = (f for f in self.functions if f.function != function.function)
        return replace(self, functions=(*kept, function))

    def without_function(self, name: QualifiedName | str) -> Source:
        wanted = QualifiedName.of(name)
        return replace(self, functions=tuple(f for f in self.functions if f.function != wanted))

    def to_json(self) -> JsonObject:
        out: JsonObject = {"name": self.name, "kind": self.kind, "tables": [t.to_json() for t in self.tables]}
        if self.functions:
            out["functions"] = [function.to_json() for function in self.functions]
        for key in ("native_queries", "stored_procedures", "logical_models"):
            raw: tuple[Json, ...] = getattr(self, key)
            if raw:
                out[key] = [_sorted_json(item) for item in raw]
        out["configuration"] = _sorted_json(self.configuration)
        _optional_json(out, "query_tags", self.query_tags)
        _optional_json(out, "customization", self.customization)
        _optional_json(out, "health_check", self.health_check)
        return _with_extra(out, self.extra)


@dataclass(frozen=True, slots=True, kw_only=True)
class OtherSource:
    """A source of a kind Livegres does not serve (MS SQL, BigQuery, a data connector...): raw."""

    name: str
    kind: str
    value: JsonObject

    def to_json(self) -> JsonObject:
        return self.value


def _source_order(source: Source | OtherSource) -> tuple[bool, str]:
    """Hasura's ``SourceName`` order: ``default`` (a constructor of its own) first, then by name."""
    return (source.name != DEFAULT_SOURCE, source.name)


# --------------------------------------------------------------------------------------------
# Cron triggers, inherited roles, the document


@dataclass(frozen=True, slots=True, kw_only=True)
class CronRetryConf:
    num_retries: int = 0
    retry_interval_seconds: int | float = 10
    timeout_seconds: int | float = 60
    tolerance_seconds: int | float = 21600

    def to_json(self) -> JsonObject:
        return {
            "num_retries": self.num_retries,
            "retry_interval_seconds": self.retry_interval_seconds,
            "timeout_seconds": self.timeout_seconds,
            "tolerance_seconds": self.tolerance_seconds,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class CronTrigger:
    name: str
    webhook: str
    schedule: str
    include_in_metadata: bool
    payload: Json = None
    retry_conf: CronRetryConf = field(default_factory=CronRetryConf)
    headers: tuple[Header, ...] = ()
    comment: str | None = None
    request_transform: JsonObject | None = None
    response_transform: JsonObject | None = None
    extra: JsonObject = field(default_factory=dict)

    def to_json(self) -> JsonObject:
        out: JsonObject = {
            "name": self.name,
            "webhook": self.webhook,
            "schedule": self.schedule,
            "include_in_metadata": self.include_in_metadata,
        }
        if self.payload is not None:
            out["payload"] = _sorted_json(self.payload)
        if self.retry_conf != CronRetryConf():
            out["retry_conf"] = self.retry_conf.to_json()
        if self.headers:
            out["headers"] = [header.to_json() for header in self.headers]
        if self.comment is not None:
            out["comment"] = self.comment
        _optional_json(out, "request_transform", self.request_transform)
        _optional_json(out, "response_transform", self.response_transform)
        return _with_extra(out, self.extra)


@dataclass(frozen=True, slots=True, kw_only=True)
class InheritedRole:
    role_name: str
    role_set: tuple[str, ...]
    extra: JsonObject = field(default_factory=dict)

    def to_json(self) -> JsonObject:
        return _with_extra({"role_name": self.role_name, "role_set": list(self.role_set)}, self.extra)


# The top-level sections after ``version`` and ``sources``, in export order.
_TOP_LEVEL_ORDER = (
    "remote_schemas",
    "query_collections",
    "allowlist",
    "actions",
    "custom_types",
    "cron_triggers",
    "rest_endpoints",
    "api_limits",
    "metrics_config",
    "inherited_roles",
    "graphql_schema_introspection",
    "network",
    "backend_configs",
    "opentelemetry",
)
# The raw list sections, each with the key Hasura sorts it by; all but the REST endpoints must
# also be unique by it.
_RAW_LIST_NAMES = {
    "remote_schemas": "name",
    "query_collections": "name",
    "allowlist": "collection",
    "actions": "name",
    "rest_endpoints": "url",
}
# Hasura prints these through ``AO.toOrdered``; the other raw sections have hand-made key orders.
_SORTED_SECTIONS = frozenset(
    (
        "allowlist",
        "rest_endpoints",
        "api_limits",
        "metrics_config",
        "graphql_schema_introspection",
        "network",
        "backend_configs",
    )
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Metadata:
    sources: tuple[Source | OtherSource, ...] = ()
    remote_schemas: Json = None
    query_collections: Json = None
    allowlist: Json = None
    actions: Json = None
    custom_types: Json = None
    cron_triggers: tuple[CronTrigger, ...] = ()
    rest_endpoints: Json = None
    api_limits: Json = None
    metrics_config: Json = None
    inherited_roles: tuple[InheritedRole, ...] = ()
    graphql_schema_introspection: Json = None
    network: Json = None
    backend_configs: Json = None
    opentelemetry: Json = None
    extra: JsonObject = field(default_factory=dict)

    def __post_init__(self) -> None:
        _keep_sorted(self, "sources", _source_order)
        _keep_sorted(self, "cron_triggers", lambda trigger: trigger.name)
        _keep_sorted(self, "inherited_roles", lambda role: role.role_name)
        for key, name_key in _RAW_LIST_NAMES.items():
            entries = getattr(self, key)
            if isinstance(entries, list) and all(
                isinstance(e, dict) and isinstance(e.get(name_key), str) for e in entries
            ):
                object.__setattr__(self, key, sorted(entries, key=lambda entry: entry[name_key]))

    @staticmethod
    def from_json(value: object, *, path: Sequence[str | int] = (), default_source: Source | None = None) -> Metadata:
        return parse_metadata(value, path=path, default_source=default_source)

    def find_source(self, name: str = DEFAULT_SOURCE) -> Source | None:
        """The Postgres source ``name``, if there is one."""
        return next((s for s in self.sources if s.name == name and isinstance(s, Source)), None)

    def source(self, name: str = DEFAULT_SOURCE) -> Source:
        """The Postgres source ``name``; KeyError if there is none."""
        found = self.find_source(name)
        if found is None:
            raise KeyError(name)
        return found

    def with_source(self, source: Source | OtherSource) -> Metadata:
        """This metadata with ``source`` added, or replacing the source of the same name."""
        return replace(self, sources=(*(s for s in self.sources if s.name != source.name), source))

    def without_source(self, name: str) -> Metadata:
        return replace(self, sources=tuple(s for s in self.sources if s.name != name))

    def with_table(self, table: Table, source: str = DEFAULT_SOURCE) -> Metadata:
        """``table`` added to (or replaced in) the Postgres source ``source``; KeyError if absent."""
        return self.with_source(self.source(source).with_table(table))

    def roles(self) -> tuple[str, ...]:
        """Every role the metadata names (permissions, function permissions, inherited roles)."""
        roles: set[str] = set()
        for source in self.sources:
            if isinstance(source, Source):
                for table in source.tables:
                    roles.update(table.roles())
                for function in source.functions:
                    roles.update(function.permissions)
        for role in self.inherited_roles:
            roles.update((role.role_name, *role.role_set))
        return tuple(sorted(roles))

    def to_json(self, *, for_export: bool = False) -> JsonObject:
        """The document in Hasura's export order. ``for_export`` leaves out the cron triggers
        with ``include_in_metadata: false``, as ``export_metadata`` does."""
        out: JsonObject = {"version": METADATA_VERSION, "sources": [s.to_json() for s in self.sources]}
        for key in _TOP_LEVEL_ORDER:
            if key == "cron_triggers":
                triggers: list[Json] = [
                    t.to_json() for t in self.cron_triggers if t.include_in_metadata or not for_export
                ]
                if triggers:
                    out[key] = triggers
            elif key == "inherited_roles":
                if self.inherited_roles:
                    out[key] = [role.to_json() for role in self.inherited_roles]
            else:
                value: Json = getattr(self, key)
                if value is not None and value != [] and value != {}:
                    out[key] = _sorted_json(value) if key in _SORTED_SECTIONS else value
        return _with_extra(out, self.extra)


# --------------------------------------------------------------------------------------------
# Parsing: aeson's reading of JSON, with Hasura's messages and JSONPaths


def _fail(path: Path, message: str) -> NoReturn:
    raise QueryError("parse-failed", message, path=json_path(*path))


def _mismatch(path: Path, name: str, expected: str, value: Json) -> NoReturn:
    _fail(path, f"parsing {name} failed, expected {expected}, but encountered {json_kind(value)}")


def _haskell_show(text: str) -> str:
    """Haskell's ``show`` of a string (as in Hasura's messages that print a list of keys)."""
    body = "".join("\\" + char if char in '"\\' else char if " " <= char <= "~" else f"\\{ord(char)}" for char in text)
    return f'"{body}"'


class _Reader:
    """One JSON object being parsed: aeson's ``.:`` and ``.:?`` with Hasura's messages. It
    remembers the keys it read, so that the others can be kept as ``extra``.

    ``name`` is the parser's name in type errors; with ``generic`` (a parser derived by
    ``Generic``) it also prefixes missing-key errors, as aeson does."""

    __slots__ = ("_read", "obj", "path", "prefix")

    def __init__(self, value: Json, path: Path, name: str = "Object", *, generic: bool = False) -> None:
        if not isinstance(value, dict):
            _mismatch(path, name, "Object", value)
        self.obj: JsonObject = value
        self.path = path
        self.prefix = f"parsing {name} failed, " if generic else ""
        self._read: set[str] = set()

    def raw(self, key: str) -> Json:
        self._read.add(key)
        return self.obj.get(key)

    def required(self, key: str, parse: Callable[[Json, Path], T]) -> T:
        """``.:``: a missing key fails at the object's path; a bad value at the key's."""
        self._read.add(key)
        if key not in self.obj:
            _fail(self.path, f'{self.prefix}key "{key}" not found')
        return parse(self.obj[key], (*self.path, key))

    def optional(self, key: str, parse: Callable[[Json, Path], T]) -> T | None:
        """``.:?``: an absent key and ``null`` both mean "not given"."""
        value = self.raw(key)
        return None if value is None else parse(value, (*self.path, key))

    def entries(self, key: str, parse: Callable[[Json, Path], T], name_of: Callable[[T], str]) -> tuple[T, ...]:
        """An optional list of named entries: Hasura's ``parseListAsMap``, which fails at the
        object's path on a duplicate name ("object_relationships" -> "object relationships")."""
        entries = _list_of(parse)(self.optional(key, _array) or [], (*self.path, key))
        _check_unique((name_of(entry) for entry in entries), key.replace("_", " "), self.path)
        return entries

    def extra(self) -> JsonObject:
        return {key: value for key, value in self.obj.items() if key not in self._read}


def _check_unique(names: Iterable[str], what: str, path: Path) -> None:
    seen: set[str] = set()
    duplicates: dict[str, None] = {}
    for name in names:
        if name in seen:
            duplicates[name] = None
        seen.add(name)
    if duplicates:
        listed = ", ".join(duplicates)
        _fail(path, f"multiple declarations exist for the following {what}: {listed}")


def _list_of(parse: Callable[[Json, Path], T]) -> Callable[[Json, Path], tuple[T, ...]]:
    def parse_list(value: Json, path: Path) -> tuple[T, ...]:
        return tuple(parse(item, (*path, i)) for i, item in enumerate(_array(value, path)))

    return parse_list


def _array(value: Json, path: Path) -> list[Json]:
    if not isinstance(value, list):
        _mismatch(path, "[]", "Array", value)
    return value


def _raw_object(value: Json, path: Path) -> JsonObject:
    if not isinstance(value, dict):
        _mismatch(path, "Object", "Object", value)
    return value


def _text(value: Json, path: Path) -> str:
    if not isinstance(value, str):
        _mismatch(path, "Text", "String", value)
    return value


def _name(value: Json, path: Path) -> str:
    """Hasura's ``NonEmptyText``: role, relationship, trigger and source names."""
    if not isinstance(value, str):
        _mismatch(path, "String", "String", value)
    if not value:
        _fail(path, "empty string not allowed")
    return value


def _bool(value: Json, path: Path) -> bool:
    if not isinstance(value, bool):
        _mismatch(path, "Bool", "Boolean", value)
    return value


def _int(value: Json, path: Path) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        _mismatch(path, "Int", "Number", value)
    if isinstance(value, float):
        if not value.is_integer():
            _fail(path, f"parsing Int failed, unexpected floating number {value}")
        return int(value)
    return value


def _seconds(value: Json, path: Path) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        _mismatch(path, "DiffTime", "Number", value)
    if value < 0:
        _fail(path, "cannot be a negative value")
    return value


_texts = _list_of(_text)
_GRAPHQL_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]*\Z")


def _graphql_name(value: Json, path: Path) -> str:
    if not isinstance(value, str):
        _mismatch(path, "Name", "String", value)
    if not _GRAPHQL_NAME.match(value):
        _fail(path, f"{value} is not valid GraphQL name")
    return value


def _comment(value: Json, path: Path) -> str | None:
    """Hasura's ``Comment``: null means automatic, ``""`` means explicitly none."""
    if value is None or isinstance(value, str):
        return value
    _mismatch(path, "Comment", "String or Null", value)


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    """A Haskell ``HashSet``: duplicates dropped (we keep the first-seen order)."""
    return tuple(dict.fromkeys(items))


def _qualified(value: Json, path: Path) -> QualifiedName:
    if isinstance(value, str):
        return QualifiedName(PUBLIC, value)
    if not isinstance(value, dict):
        _fail(path, "expecting a string/object for QualifiedObject")
    obj = _Reader(value, path)
    schema = obj.optional("schema", _text)
    return QualifiedName(PUBLIC if schema is None else schema, obj.required("name", _text))


def _header(value: Json, path: Path) -> Header:
    if not isinstance(value, dict):
        _fail(path, "expecting object for headers")
    obj = _Reader(value, path)
    name = obj.required("name", _text)
    literal, from_env = obj.optional("value", _text), obj.optional("value_from_env", _text)
    if literal is None and from_env is None:
        _fail(path, "expecting value or value_from_env keys")
    if literal is not None and from_env is not None:
        _fail(path, "expecting only one of value or value_from_env keys")
    if from_env is not None and from_env.startswith("HASURA_GRAPHQL_"):
        prefix = 'env variables starting with "HASURA_GRAPHQL_" are not allowed in value_from_env: '
        _fail(path, prefix + from_env)
    return Header(name=name, value=literal, value_from_env=from_env)


_headers = _list_of(_header)


def _column_spec(value: Json, path: Path) -> ColumnSpec:
    return "*" if value == "*" else _texts(value, path)


# Table configuration


def _root_field(value: Json, path: Path) -> RootField:
    if value is None:
        return RootField()
    if isinstance(value, str):
        # Hasura silently ignores a name that is not a GraphQL name here; we refuse it.
        return RootField(name=_graphql_name(value, path))
    if isinstance(value, dict):
        obj = _Reader(value, path)
        return RootField(
            name=obj.optional("name", _graphql_name), comment=_comment(obj.raw("comment"), (*path, "comment"))
        )
    _mismatch(path, "CustomRootField", "Object, String or Null", value)


def _table_root_fields(value: Json, path: Path) -> TableRootFields:
    obj = _Reader(value, path)
    parsed = {key: _root_field(obj.raw(key), (*path, key)) for key in ROOT_FIELD_KEYS}
    names = [root_field.name for root_field in parsed.values() if root_field.name is not None]
    duplicated = [name for name in dict.fromkeys(names) if names.count(name) > 1]
    if duplicated:
        if len(duplicated) <= 2:
            listed = " and ".join(duplicated)
        else:
            listed = ", ".join(duplicated[:-1]) + ", and " + duplicated[-1]
        _fail(path, "the following custom root field names are duplicated: " + listed)
    return TableRootFields(**parsed)


def _column_config(value: Json, path: Path) -> ColumnConfig:
    obj = _Reader(value, path, "ColumnConfig")
    return ColumnConfig(
        custom_name=obj.optional("custom_name", _graphql_name),
        comment=_comment(obj.raw("comment"), (*path, "comment")),
    )


def _table_configuration(value: Json, path: Path) -> TableConfiguration:
    obj = _Reader(value, path, "TableConfig")
    root_fields = obj.optional("custom_root_fields", _table_root_fields) or TableRootFields()
    merged = {
        column: _column_config(config, (*path, "column_config", column))
        for column, config in (obj.optional("column_config", _raw_object) or {}).items()
    }
    for column, name in (obj.optional("custom_column_names", _raw_object) or {}).items():
        legacy_name = _graphql_name(name, (*path, "custom_column_names", column))
        current = merged.get(column, ColumnConfig())
        merged[column] = replace(current, custom_name=current.custom_name or legacy_name)
    return TableConfiguration(
        custom_root_fields=root_fields,
        column_config=merged,
        custom_name=obj.optional("custom_name", _graphql_name),
        comment=_comment(obj.raw("comment"), (*path, "comment")),
        extra=obj.extra(),
    )


# Relationships and computed fields


def _fk_columns(value: Json, path: Path) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list):
        _fail(path, "Expected string or array")
    if not value:
        _fail(path, "parsing NonEmpty failed, unexpected empty list")
    return _texts(value, path)


def _fk_remote(value: JsonObject, path: Path) -> ForeignKeyUsing:
    obj = _Reader(value, path)
    table = obj.required("table", _qualified)
    column, columns = obj.raw("column"), obj.raw("columns")
    if (column is None) == (columns is None):
        _fail(path, "expected exactly one of 'column' or 'columns'")
    return ForeignKeyUsing(columns=_fk_columns(column if columns is None else columns, path), table=table)


def _insertion_order(value: Json, path: Path) -> InsertionOrder:
    if value == "before_parent":
        return "before_parent"
    if value == "after_parent":
        return "after_parent"
    _fail(path, "insertion_order should be 'before_parent' or 'after_parent'")


def _manual_using(value: Json, path: Path) -> ManualUsing:
    if not isinstance(value, dict):
        _fail(path, "manual_configuration should be an object")
    obj = _Reader(value, path)
    remote_table = obj.required("remote_table", _qualified)
    mapping = obj.required("column_mapping", _raw_object)
    order = obj.optional("insertion_order", _insertion_order)
    return ManualUsing(
        remote_table=remote_table,
        column_mapping={col: _text(to, (*path, "column_mapping", col)) for col, to in mapping.items()},
        insertion_order=order,
    )


def _using(value: Json, path: Path, *, array: bool) -> ForeignKeyUsing | ManualUsing:
    if not isinstance(value, dict):
        _fail(path, "using should be an object")
    fragment = "one of foreign_key_constraint_on/manual_configuration should be present"
    has_fk, has_manual = "foreign_key_constraint_on" in value, "manual_configuration" in value
    if has_fk == has_manual:
        _fail(path, ("only " if has_fk else "atleast ") + fragment)
    # Hasura parses what is inside ``using`` without adding the key to the error path.
    if has_manual:
        return _manual_using(value["manual_configuration"], path)
    fk, fk_path = value["foreign_key_constraint_on"], path
    if isinstance(fk, dict):
        return _fk_remote(fk, fk_path)
    if array:
        _fail(fk_path, "Expecting object { table, columns }.")
    return ForeignKeyUsing(columns=_fk_columns(fk, fk_path))


def _relationship(value: Json, path: Path, *, array: bool) -> Relationship:
    # RelDef's parser is derived by Template Haskell, whose messages differ from the others'
    # (and Hasura rewrites "the key k was not present" as below).
    if not isinstance(value, dict):
        rel_def = "Hasura.RQL.Types.Relationships.Local.RelDef"
        _fail(
            path,
            f"When parsing the constructor RelDef of type {rel_def} expected Object but got {json_kind(value)}.",
        )
    for key in ("name", "using"):
        if key not in value:
            _fail(path, f"the key '{key}' was not present")
    obj = _Reader(value, path)
    return Relationship(
        name=obj.required("name", _name),
        using=obj.required("using", lambda using, using_path: _using(using, using_path, array=array)),
        comment=obj.optional("comment", _text),
        extra=obj.extra(),
    )


def _object_relationship(value: Json, path: Path) -> Relationship:
    return _relationship(value, path, array=False)


def _array_relationship(value: Json, path: Path) -> Relationship:
    return _relationship(value, path, array=True)


def _computed_field(value: Json, path: Path) -> ComputedField:
    obj = _Reader(value, path, "ComputedFieldMetadata")
    name = obj.required("name", _name)
    definition_name = "Hasura.Backends.Postgres.Types.ComputedField.ComputedFieldDefinition(ComputedFieldDefinition)"
    definition = obj.required("definition", lambda v, p: _Reader(v, p, definition_name, generic=True))
    return ComputedField(
        name=name,
        function=definition.required("function", _qualified),
        table_argument=definition.optional("table_argument", _text),
        session_argument=definition.optional("session_argument", _text),
        comment=_comment(obj.raw("comment"), (*path, "comment")),
        extra=obj.extra(),
    )


# Permissions


def _bool_exp(value: Json, path: Path) -> JsonObject:
    """A boolean expression's logical skeleton, checked and normalised as Hasura's
    ``parseGBoolExp``/``gBoolExpToJSON`` round trip does it (``$and`` -> ``_and``,
    ``_exists._table`` as an object). Column comparisons are kept as given."""
    if not isinstance(value, dict):
        _fail(path, "expecting an Object for boolean exp")
    out: JsonObject = {}
    for key, item in value.items():
        op = "_" + key[1:] if key in ("$and", "$or", "$not", "$exists") else key
        item_path = (*path, key)
        if op in ("_and", "_or"):
            out[op] = list(_list_of(_bool_exp)(item, item_path))
        elif op == "_not":
            out[op] = _bool_exp(item, item_path)
        elif op == "_exists":
            if not isinstance(item, dict):
                _fail(item_path, "expecting an Object for _exists expression")
            exists = _Reader(item, item_path)
            table = exists.required("_table", _qualified)
            out[op] = {"_table": table.to_json(), "_where": exists.required("_where", _bool_exp)}
        else:
            out[op] = item
    return out


def _root_field_types(allowed: tuple[str, ...], type_name: str) -> Callable[[Json, Path], tuple[str, ...]]:
    tags = "[" + ",".join(f'"{tag}"' for tag in allowed) + "]"

    def parse(value: Json, path: Path) -> tuple[str, ...]:
        items = _array(value, path)
        for i, item in enumerate(items):
            if not isinstance(item, str):
                _mismatch((*path, i), type_name, "String", item)
            if item not in allowed:
                found = _haskell_show(item)
                _fail(
                    (*path, i),
                    f"parsing {type_name} failed, expected one of the tags {tags}, but found tag {found}",
                )
        return _unique(str(item) for item in items)

    return parse


_query_root_fields = _root_field_types(QUERY_ROOT_FIELDS, "Hasura.RQL.Types.Permission.QueryRootFieldType")
_subscription_root_fields = _root_field_types(
    SUBSCRIPTION_ROOT_FIELDS, "Hasura.RQL.Types.Permission.SubscriptionRootFieldType"
)


def _select_permission(value: Json, path: Path) -> SelectPermission:
    obj = _Reader(value, path, "SelPerm")
    query_root_fields = obj.optional("query_root_fields", _query_root_fields)
    subscription_root_fields = obj.optional("subscription_root_fields", _subscription_root_fields)
    return SelectPermission(
        columns=obj.required("columns", _column_spec),
        filter=obj.required("filter", _bool_exp),
        limit=obj.optional("limit", _int),
        allow_aggregations=obj.optional("allow_aggregations", _bool) or False,
        computed_fields=obj.optional("computed_fields", _texts) or (),
        query_root_fields=query_root_fields,
        subscription_root_fields=subscription_root_fields,
        extra=obj.extra(),
    )


def _insert_permission(value: Json, path: Path) -> InsertPermission:
    obj = _Reader(value, path, "InsPerm")
    return InsertPermission(
        check=obj.required("check", _bool_exp),
        set=obj.optional("set", _raw_object),
        columns=obj.optional("columns", _column_spec),
        backend_only=obj.optional("backend_only", _bool) or False,
        validate_input=obj.optional("validate_input", _raw_object),
        extra=obj.extra(),
    )


def _update_permission(value: Json, path: Path) -> UpdatePermission:
    obj = _Reader(value, path, "UpdPerm")
    return UpdatePermission(
        columns=obj.required("columns", _column_spec),
        set=obj.optional("set", _raw_object),
        filter=obj.required("filter", _bool_exp),
        check=obj.optional("check", _bool_exp),
        backend_only=obj.optional("backend_only", _bool) or False,
        validate_input=obj.optional("validate_input", _raw_object),
        extra=obj.extra(),
    )


def _delete_permission(value: Json, path: Path) -> DeletePermission:
    obj = _Reader(value, path, "DelPerm")
    return DeletePermission(
        filter=obj.required("filter", _bool_exp),
        backend_only=obj.optional("backend_only", _bool) or False,
        validate_input=obj.optional("validate_input", _raw_object),
        extra=obj.extra(),
    )


def _permission_entry(parse: Callable[[Json, Path], P]) -> Callable[[Json, Path], PermissionEntry[P]]:
    def parse_entry(value: Json, path: Path) -> PermissionEntry[P]:
        obj = _Reader(value, path, "Hasura.RQL.Types.Permission.PermDef(PermDef)", generic=True)
        return PermissionEntry(
            role=obj.required("role", _name),
            permission=obj.required("permission", parse),
            comment=obj.optional("comment", _text),
            extra=obj.extra(),
        )

    return parse_entry


def _role_of(entry: PermissionEntry[Any]) -> str:
    return entry.role


# Event triggers


def _subscribe_columns(value: Json, path: Path) -> ColumnSpec:
    if isinstance(value, str):
        if value != "*":
            _fail(path, "only * or [] allowed")
        return "*"
    if not isinstance(value, list):
        _fail(path, "unexpected columns")
    return _texts(value, path)


def _operation_spec(value: Json, path: Path) -> OperationSpec:
    name = "Hasura.RQL.Types.EventTrigger.SubscribeOpSpec(SubscribeOpSpec)"
    obj = _Reader(value, path, name, generic=True)
    return OperationSpec(
        columns=obj.required("columns", _subscribe_columns),
        payload=obj.optional("payload", _subscribe_columns),
    )


def _trigger_definition(value: Json, path: Path) -> EventTriggerDefinition:
    obj = _Reader(value, path, "Hasura.RQL.Types.EventTrigger.TriggerOpsDef(TriggerOpsDef)", generic=True)
    return EventTriggerDefinition(
        insert=obj.optional("insert", _operation_spec),
        update=obj.optional("update", _operation_spec),
        delete=obj.optional("delete", _operation_spec),
        enable_manual=obj.optional("enable_manual", _bool),
    )


def _retry_conf(value: Json, path: Path) -> RetryConf:
    obj = _Reader(value, path, "Hasura.RQL.Types.EventTrigger.RetryConf(RetryConf)", generic=True)
    return RetryConf(
        num_retries=obj.required("num_retries", _int),
        interval_sec=obj.required("interval_sec", _int),
        timeout_sec=obj.optional("timeout_sec", _int),
    )


def _trigger_on_replication(value: Json, path: Path) -> bool:
    if not isinstance(value, bool):
        _mismatch(path, "TriggerOnReplication", "Boolean", value)
    return value


def _event_trigger(value: Json, path: Path) -> EventTrigger:
    obj = _Reader(value, path, "EventTriggerConf")
    return EventTrigger(
        name=obj.required("name", _name),
        definition=obj.required("definition", _trigger_definition),
        webhook=obj.optional("webhook", _text),
        webhook_from_env=obj.optional("webhook_from_env", _text),
        retry_conf=obj.required("retry_conf", _retry_conf),
        headers=obj.optional("headers", _headers) or (),
        request_transform=obj.optional("request_transform", _raw_object),
        response_transform=obj.optional("response_transform", _raw_object),
        cleanup_config=obj.optional("cleanup_config", _raw_object),
        trigger_on_replication=obj.optional("trigger_on_replication", _trigger_on_replication) or False,
        extra=obj.extra(),
    )


# Tables, functions, sources

_TABLE_KEYS = frozenset(
    (
        "table",
        "is_enum",
        "configuration",
        "object_relationships",
        "array_relationships",
        "computed_fields",
        "remote_relationships",
        "insert_permissions",
        "select_permissions",
        "update_permissions",
        "delete_permissions",
        "event_triggers",
        "apollo_federation_config",
        "logical_model",
    )
)


def _remote_relationship(value: Json, path: Path) -> JsonObject:
    obj = _Reader(value, path)
    obj.required("name", _name)
    return obj.obj


def _remote_name(relationship: Json) -> str:
    return str(relationship["name"]) if isinstance(relationship, dict) else ""


def _table(value: Json, path: Path) -> Table:
    obj = _Reader(value, path)
    unexpected = sorted(set(obj.obj) - _TABLE_KEYS)
    if unexpected:
        shown = ",".join(_haskell_show(key) for key in unexpected)
        _fail(path, f"unexpected keys when parsing TableMetadata: [{shown}]")
    return Table(
        table=obj.required("table", _qualified),
        is_enum=obj.optional("is_enum", _bool) or False,
        configuration=obj.optional("configuration", _table_configuration) or TableConfiguration(),
        object_relationships=obj.entries("object_relationships", _object_relationship, lambda r: r.name),
        array_relationships=obj.entries("array_relationships", _array_relationship, lambda r: r.name),
        computed_fields=obj.entries("computed_fields", _computed_field, lambda c: c.name),
        remote_relationships=obj.entries("remote_relationships", _remote_relationship, _remote_name),
        insert_permissions=obj.entries("insert_permissions", _permission_entry(_insert_permission), _role_of),
        select_permissions=obj.entries("select_permissions", _permission_entry(_select_permission), _role_of),
        update_permissions=obj.entries("update_permissions", _permission_entry(_update_permission), _role_of),
        delete_permissions=obj.entries("delete_permissions", _permission_entry(_delete_permission), _role_of),
        event_triggers=obj.entries("event_triggers", _event_trigger, lambda t: t.name),
        apollo_federation_config=obj.optional("apollo_federation_config", _raw_object),
        logical_model=obj.raw("logical_model"),
    )


def _function_root_fields(value: Json, path: Path) -> FunctionRootFields:
    obj = _Reader(value, path)
    function = obj.optional("function", _graphql_name)
    aggregate = obj.optional("function_aggregate", _graphql_name)
    if function is not None and function == aggregate:
        _fail(path, f'the following custom root field names are duplicated: "{function}" and "{aggregate}"')
    return FunctionRootFields(function=function, function_aggregate=aggregate)


def _exposed_as(value: Json, path: Path) -> Literal["query", "mutation"]:
    name = "Hasura.Function.Cache.FunctionExposedAs"
    if not isinstance(value, str):
        _mismatch(path, name, "String", value)
    if value == "query":
        return "query"
    if value == "mutation":
        return "mutation"
    found = _haskell_show(value)
    _fail(path, f'parsing {name} failed, expected one of the tags ["query","mutation"], but found tag {found}')


def _function_configuration(value: Json, path: Path) -> FunctionConfiguration:
    obj = _Reader(value, path, "FunctionConfig")
    return FunctionConfiguration(
        session_argument=obj.optional("session_argument", _text),
        exposed_as=obj.optional("exposed_as", _exposed_as),
        custom_root_fields=obj.optional("custom_root_fields", _function_root_fields) or FunctionRootFields(),
        custom_name=obj.optional("custom_name", _graphql_name),
        response=obj.optional("response", _raw_object),
        extra=obj.extra(),
    )


def _function_permission(value: Json, path: Path) -> str:
    name = "Hasura.Function.Cache.FunctionPermissionInfo(FunctionPermissionInfo)"
    return _Reader(value, path, name, generic=True).required("role", _name)


def _tracked_function(value: Json, path: Path) -> TrackedFunction:
    obj = _Reader(value, path, "FunctionMetadata")
    return TrackedFunction(
        function=obj.required("function", _qualified),
        configuration=obj.optional("configuration", _function_configuration) or FunctionConfiguration(),
        permissions=obj.optional("permissions", _list_of(_function_permission)) or (),
        comment=obj.optional("comment", _text),
        extra=obj.extra(),
    )


def _v1_function(value: Json, path: Path) -> TrackedFunction:
    return TrackedFunction(function=_qualified(value, path))


def _function_name(function: TrackedFunction) -> str:
    return str(function.function)


def _source(value: Json, path: Path) -> Source | OtherSource:
    obj = _Reader(value, path, "SourceMetadata")
    kind = obj.optional("kind", _text) or "postgres"
    name = obj.required("name", _name)
    if kind not in ("postgres", "pg"):
        return OtherSource(name=name, kind=kind, value=obj.obj)
    tables = obj.required("tables", _list_of(_table))
    _check_unique((str(table.table) for table in tables), "tables", path)
    functions = obj.entries("functions", _tracked_function, _function_name)
    native_queries = obj.optional("native_queries", _list_of(_raw_object)) or ()
    stored_procedures = obj.optional("stored_procedures", _list_of(_raw_object)) or ()
    logical_models = obj.optional("logical_models", _list_of(_raw_object)) or ()
    configuration = obj.required("configuration", lambda v, p: _Reader(v, p, "PostgresConnConfiguration"))
    configuration.required("connection_info", _raw_object)
    return Source(
        name=name,
        tables=tables,
        functions=functions,
        native_queries=native_queries,
        stored_procedures=stored_procedures,
        logical_models=logical_models,
        configuration=configuration.obj,
        query_tags=obj.optional("query_tags", _raw_object),
        customization=obj.optional("customization", _raw_object),
        health_check=obj.optional("health_check", _raw_object),
        extra=obj.extra(),
    )


# Cron triggers, inherited roles, the document


def _cron_retry_conf(value: Json, path: Path) -> CronRetryConf:
    obj = _Reader(value, path, "STRetryConf")
    given: dict[str, Any] = {"num_retries": obj.optional("num_retries", _int)}
    for key in ("retry_interval_seconds", "timeout_seconds", "tolerance_seconds"):
        given[key] = obj.optional(key, _seconds)
    if given["num_retries"] is not None and given["num_retries"] < 0:
        _fail(path, "num_retries cannot be a negative value")
    return CronRetryConf(**{key: value for key, value in given.items() if value is not None})


def _cron_trigger(value: Json, path: Path) -> CronTrigger:
    obj = _Reader(value, path, "CronTriggerMetadata")
    return CronTrigger(
        name=obj.required("name", _name),
        webhook=obj.required("webhook", _text),
        payload=obj.raw("payload"),
        schedule=obj.required("schedule", _text),
        retry_conf=obj.optional("retry_conf", _cron_retry_conf) or CronRetryConf(),
        headers=obj.optional("headers", _headers) or (),
        include_in_metadata=obj.required("include_in_metadata", _bool),
        comment=obj.optional("comment", _text),
        request_transform=obj.optional("request_transform", _raw_object),
        response_transform=obj.optional("response_transform", _raw_object),
        extra=obj.extra(),
    )


def _inherited_role(value: Json, path: Path) -> InheritedRole:
    obj = _Reader(value, path, "Hasura.RQL.Types.Roles.Internal.Role(Role)", generic=True)
    return InheritedRole(
        role_name=obj.required("role_name", _name),
        role_set=_unique(obj.required("role_set", _list_of(_name))),
        extra=obj.extra(),
    )


def _raw_sections(obj: _Reader, keys: Iterable[str]) -> dict[str, Any]:
    """Sections kept raw; lists must be lists (with unique names where Hasura keys them)."""
    what = {"allowlist": "allowlist entries"}
    out: dict[str, Any] = {}
    for key in keys:
        if key in _RAW_LIST_NAMES:
            items = obj.optional(key, _array)
            if items is not None and key != "rest_endpoints":
                named = (item.get(_RAW_LIST_NAMES[key]) for item in items if isinstance(item, dict))
                entry_names = (name for name in named if isinstance(name, str))
                _check_unique(entry_names, what.get(key, key.replace("_", " ")), obj.path)
            out[key] = items
        else:
            out[key] = obj.optional(key, _raw_object)
    return out


def parse_metadata(value: object, *, path: Sequence[str | int] = (), default_source: Source | None = None) -> Metadata:
    """Parse a metadata document of version 3, or of version 1 or 2 (upgraded with
    ``default_source``, the current ``default`` source, whose tables and functions it replaces).

    ``path`` is where the document sits in the request (``("args",)`` for ``replace_metadata``),
    so that errors carry the request's JSONPath."""
    base: Path = tuple(path)
    obj = _Reader(cast(Json, value), base, "Metadata")
    version = obj.optional("version", _int)
    version = 1 if version is None else version
    if version not in (1, 2, 3):
        _fail((*base, "version"), f"expected 1, 2 or 3, encountered {version}")
    if version != METADATA_VERSION:
        return _parse_without_sources(obj, version, default_source)
    sources = obj.required("sources", _list_of(_source))
    _check_unique((source.name for source in sources), "sources", base)
    raw = _raw_sections(obj, (key for key in _TOP_LEVEL_ORDER if key not in ("cron_triggers", "inherited_roles")))
    return Metadata(
        sources=sources,
        cron_triggers=obj.entries("cron_triggers", _cron_trigger, lambda trigger: trigger.name),
        inherited_roles=obj.entries("inherited_roles", _inherited_role, lambda role: role.role_name),
        **raw,
        extra=obj.extra(),
    )


def _parse_without_sources(obj: _Reader, version: int, default_source: Source | None) -> Metadata:
    """Hasura's ``MetadataNoSources`` (versions 1 and 2), and ``replace_metadata``'s upgrade of it."""
    tables = obj.required("tables", _list_of(_table))
    _check_unique((str(table.table) for table in tables), "tables", obj.path)
    functions = obj.entries("functions", _v1_function if version == 1 else _tracked_function, _function_name)
    raw = _raw_sections(obj, ("remote_schemas", "query_collections", "allowlist", "custom_types", "actions"))
    cron_triggers = obj.entries("cron_triggers", _cron_trigger, lambda trigger: trigger.name)
    if default_source is None:
        message = "cannot import metadata without sources since no default source is defined"
        raise QueryError("not-supported", message)  # raised after parsing, so at Hasura's "$"
    source = replace(default_source, tables=tables, functions=functions)
    return Metadata(sources=(source,), cron_triggers=cron_triggers, **raw)


__all__ = [
    "DEFAULT_SOURCE",
    "METADATA_VERSION",
    "PUBLIC",
    "ColumnConfig",
    "ColumnSpec",
    "ComputedField",
    "CronRetryConf",
    "CronTrigger",
    "DeletePermission",
    "EventTrigger",
    "EventTriggerDefinition",
    "ForeignKeyUsing",
    "FunctionConfiguration",
    "FunctionRootFields",
    "Header",
    "InheritedRole",
    "InsertPermission",
    "Json",
    "JsonObject",
    "ManualUsing",
    "Metadata",
    "OperationSpec",
    "OtherSource",
    "PermissionEntry",
    "QualifiedName",
    "Relationship",
    "RetryConf",
    "RolePermissions",
    "RootField",
    "SelectPermission",
    "Source",
    "Table",
    "TableConfiguration",
    "TableRootFields",
    "TrackedFunction",
    "UpdatePermission",
    "parse_metadata",
]
