"""What every metadata command shares: the request context and the command registry."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import asyncpg

from livegres import catalog as cat
from livegres.errors import QueryError, json_kind, json_path
from livegres.metadata import model as m
from livegres.metadata.resolve import SchemaCache, resolve

Api = Literal["metadata", "query", "v2query"]
Json = Any
Handler = Callable[["Context", Json], Awaitable[Json]]


@dataclass
class Context:
    """One request's view of the metadata, changed in place by the commands it runs.

    ``parse_path`` prefixes errors found while reading ``args`` (Hasura's /v1/query reports
    them without ``args``), ``exec_path`` errors found while carrying the command out."""

    conn: asyncpg.Connection
    metadata: m.Metadata
    catalog: cat.Catalog
    api: Api
    parse_path: tuple[str | int, ...] = ("args",)
    exec_path: tuple[str | int, ...] = ("args",)
    resource_version: int = 0
    modified: bool = False
    catalog_changed: bool = False
    admin_internal: bool = True
    reload_catalog: Callable[[asyncpg.Connection], Awaitable[cat.Catalog]] | None = None
    _cache: SchemaCache | None = field(default=None, repr=False)

    # -- state --------------------------------------------------------------------------------

    def cache(self) -> SchemaCache:
        cached = self._cache
        if cached is None or cached.metadata is not self.metadata or cached.catalog is not self.catalog:
            cached = self._cache = resolve(self.metadata, self.catalog)
        return cached

    def set_metadata(self, metadata: m.Metadata) -> None:
        self.metadata = metadata
        self.modified = True

    def source(self, name: str = m.DEFAULT_SOURCE) -> m.Source:
        found = self.metadata.find_source(name)
        if found is None:
            raise self.error("not-exists", f'source with name "{name}" does not exist')
        return found

    def tracked(self, table: m.QualifiedName, source: str = m.DEFAULT_SOURCE) -> m.Table:
        """The tracked table, or Hasura's ``not-exists`` error."""
        found = self.source(source).table(table)
        if found is None:
            raise self.error("not-exists", f'table "{table}" does not exist in source: {source}')
        return found

    async def refresh_catalog(self) -> None:
        """Re-read the catalog inside this transaction (after DDL)."""
        assert self.reload_catalog is not None
        self.catalog = await self.reload_catalog(self.conn)
        self.catalog_changed = True

    # -- errors -------------------------------------------------------------------------------

    def error(self, code: str, message: str, *sub: str | int, status: int = 400, internal: Any = None) -> QueryError:
        return QueryError(code, message, path=json_path(*self.exec_path, *sub), status=status, internal=internal)

    def parse_error(self, message: str, *sub: str | int) -> QueryError:
        return QueryError("parse-failed", message, path=json_path(*self.parse_path, *sub))

    # -- reading args -------------------------------------------------------------------------

    def obj(self, args: Json, *sub: str | int) -> dict[str, Any]:
        if not isinstance(args, dict):
            kind = json_kind(args)
            raise self.parse_error(f"parsing Object failed, expected Object, but encountered {kind}", *sub)
        return args

    def required(self, args: dict[str, Any], key: str, *sub: str | int) -> Any:
        if key not in args:
            raise self.parse_error(f'key "{key}" not found', *sub)
        return args[key]

    def string(self, value: Any, *sub: str | int) -> str:
        if not isinstance(value, str):
            raise self.parse_error(f"parsing Text failed, expected String, but encountered {json_kind(value)}", *sub)
        return value

    def boolean(self, args: dict[str, Any], key: str, default: bool, *sub: str | int) -> bool:
        value = args.get(key, default)
        if value is None:
            return default
        if not isinstance(value, bool):
            found = json_kind(value)
            raise self.parse_error(f"parsing Bool failed, expected Boolean, but encountered {found}", *sub, key)
        return value

    def table_name(self, value: Any, *sub: str | int) -> m.QualifiedName:
        """A table reference: ``"name"`` (schema public) or ``{"schema", "name"}``."""
        if isinstance(value, str):
            return m.QualifiedName(m.PUBLIC, value)
        if isinstance(value, dict):
            name = self.string(self.required(value, "name", *sub), *sub, "name")
            schema = value.get("schema", m.PUBLIC)
            return m.QualifiedName(self.string(schema, *sub, "schema"), name)
        found = json_kind(value)
        raise self.parse_error(f"parsing QualifiedObject failed, expected Object, but encountered {found}", *sub)

    def source_name(self, args: dict[str, Any]) -> str:
        return self.string(args.get("source", m.DEFAULT_SOURCE), "source")


@dataclass(frozen=True)
class Command:
    name: str
    handler: Handler
    mutates: bool
    """Whether the command may change metadata or the database (read-only ones skip the lock)."""
    non_admin: bool = False
    """Whether roles other than admin may run it (the DML commands of /v1/query)."""


COMMANDS: dict[Api, dict[str, Command]] = {"metadata": {}, "query": {}, "v2query": {}}


def command(
    *,
    metadata: tuple[str, ...] = (),
    query: tuple[str, ...] = (),
    v2query: tuple[str, ...] = (),
    mutates: bool = True,
    non_admin: bool = False,
) -> Callable[[Handler], Handler]:
    """Register a handler under its names on each API."""

    def register(handler: Handler) -> Handler:
        for api, names in (("metadata", metadata), ("query", query), ("v2query", v2query)):
            for name in names:
                COMMANDS[api][name] = Command(name, handler, mutates, non_admin)  # type: ignore[index]
        return handler

    return register


SUCCESS: dict[str, Any] = {"message": "success"}
