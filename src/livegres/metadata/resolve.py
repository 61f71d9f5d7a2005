"""Metadata checked against the database: the resolved "schema cache".

``resolve(metadata, catalog)`` pairs every tracked table, relationship, computed field,
permission, event trigger and function with what the catalog says exists, and lists what
does not match as Hasura's *inconsistent objects*. Nothing here talks to the database or
raises for an inconsistency: commands decide whether a new inconsistency is an error
(``metadata.service``); the GraphQL schema is built only from the consistent part.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

from livegres import catalog as cat
from livegres.metadata import model as m

SOURCE = m.DEFAULT_SOURCE


def qn(name: m.QualifiedName) -> cat.QualifiedName:
    return cat.QualifiedName(name.schema, name.name)


def text(name: m.QualifiedName | cat.QualifiedName) -> str:
    """Hasura's text form of a table name: ``author``, or ``schema.author`` outside public."""
    return name.name if name.schema == "public" else f"{name.schema}.{name.name}"


@dataclass(frozen=True, slots=True)
class Inconsistency:
    """One of Hasura's inconsistent objects."""

    type: str
    name: str
    reason: str
    definition: Any

    def to_json(self) -> dict[str, Any]:
        return {"definition": self.definition, "name": self.name, "reason": self.reason, "type": self.type}


@dataclass(frozen=True, slots=True)
class RelationshipInfo:
    name: str
    kind: Literal["object", "array"]
    remote_table: cat.QualifiedName
    mapping: tuple[tuple[str, str], ...]
    """(column of this table, column of the remote table) pairs."""
    meta: m.Relationship


@dataclass(frozen=True, slots=True)
class ComputedFieldInfo:
    name: str
    function: cat.Function
    table_argument: str | None
    session_argument: str | None
    meta: m.ComputedField


@dataclass(frozen=True, slots=True)
class TableInfo:
    name: cat.QualifiedName
    table: cat.Table
    meta: m.Table
    relationships: Mapping[str, RelationshipInfo]
    computed_fields: Mapping[str, ComputedFieldInfo]

    def __hash__(self) -> int:
        return hash(self.name)


@dataclass(frozen=True, slots=True)
class FunctionInfo:
    name: cat.QualifiedName
    function: cat.Function
    meta: m.TrackedFunction


@dataclass(frozen=True, slots=True)
class SchemaCache:
    metadata: m.Metadata
    catalog: cat.Catalog
    tables: Mapping[cat.QualifiedName, TableInfo] = field(default_factory=dict)
    functions: Mapping[cat.QualifiedName, FunctionInfo] = field(default_factory=dict)
    inconsistencies: tuple[Inconsistency, ...] = ()

    @property
    def is_consistent(self) -> bool:
        return not self.inconsistencies


def _table_object_name(t: m.QualifiedName) -> str:
    return f"table {text(t)} in source {SOURCE}"


def _relationship_definition(table: m.Table, rel: m.Relationship) -> dict[str, Any]:
    out = {"source": SOURCE, "table": table.table.to_json(), **rel.to_json()}
    out.setdefault("comment", None)
    return out


def _resolve_relationship(
    tracked: set[cat.QualifiedName],
    catalog: cat.Catalog,
    table: cat.Table,
    rel: m.Relationship,
    kind: Literal["object", "array"],
) -> RelationshipInfo | str:
    """The resolved relationship, or the reason it is inconsistent."""
    using = rel.using
    if isinstance(using, m.ManualUsing):
        remote = qn(using.remote_table)
        remote_table = catalog.tables.get(remote)
        if remote not in tracked or remote_table is None:
            return f'table "{text(remote)}" is not tracked'
        mapping = tuple(using.column_mapping.items())
        for local, far in mapping:
            if local not in table.columns:
                return f'column "{local}" does not exist in table "{text(table.name)}"'
            if far not in remote_table.columns:
                return f'column "{far}" does not exist in table "{text(remote)}"'
        return RelationshipInfo(rel.name, kind, remote, mapping, rel)
    assert isinstance(using, m.ForeignKeyUsing)
    if using.table is None:
        # The foreign key is on this table's own columns (object relationships only).
        for column in using.columns:
            if column not in table.columns:
                return f'column "{column}" does not exist in table "{text(table.name)}"'
        fk = table.fk_on(using.columns)
        if fk is None:
            return "no foreign constraint exists on the given column(s)"
        if fk.referenced_table not in tracked:
            return f'table "{text(fk.referenced_table)}" is not tracked'
        return RelationshipInfo(rel.name, kind, fk.referenced_table, fk.column_mapping, rel)
    remote = qn(using.table)
    remote_table = catalog.tables.get(remote)
    if remote_table is None or remote not in tracked:
        return f'table "{text(remote)}" is not tracked'
    for column in using.columns:
        if column not in remote_table.columns:
            return f'column "{column}" does not exist in table "{text(remote)}"'
    candidates = [
        fk
        for fk in remote_table.fk_to(table.name)
        if frozenset(fk.columns) == frozenset(using.columns) and len(fk.columns) == len(using.columns)
    ]
    if not candidates:
        return "no foreign constraint exists on the given column(s)"
    if len(candidates) > 1:
        return "more than one foreign key constraint exists on the given column(s)"
    fk = candidates[0]
    mapping = tuple((local, far) for far, local in fk.column_mapping)
    return RelationshipInfo(rel.name, kind, remote, mapping, rel)


def _resolve_computed_field(catalog: cat.Catalog, table: cat.Table, cf: m.ComputedField) -> ComputedFieldInfo | str:
    overloads = catalog.functions.get(qn(cf.function), ())
    if not overloads:
        return f'no such function exists: "{text(cf.function)}"'
    if len(overloads) > 1:
        return f'function "{text(cf.function)}" is overloaded. Overloaded functions are not supported'
    function = overloads[0]
    args = function.input_args
    if not args:
        return "the function has no arguments; the table row must be one of them"
    return ComputedFieldInfo(cf.name, function, cf.table_argument, cf.session_argument, cf)


def _enum_problems(table: cat.Table) -> list[str]:
    """Why ``table`` cannot be an enum table (Hasura's rules on its shape); empty if it can."""
    problems = []
    pk = table.primary_key
    if pk is None:
        problems.append("the table must have a primary key")
    elif len(pk.columns) != 1:
        names = ", ".join(f'"{c}"' for c in pk.columns)
        problems.append(
            f"the table\u2019s primary key must be a single column, not {len(pk.columns)} columns ({names})"
        )
    else:
        column = table.columns[pk.columns[0]]
        type_name = column.type.root.name.name
        if type_name not in ("text", "citext", "varchar", "bpchar"):
            problems.append(
                f'the table\u2019s primary key ("{column.name}") must have type "text", not type "{column.type_text}"'
            )
    if len(table.columns) > 2:
        listed = ", ".join(sorted(table.columns))
        problems.append(
            "the table must have exactly one primary key and optionally one comment column, "
            f"not {len(table.columns)} columns ({listed})"
        )
    return problems


def _enum_reason(name: cat.QualifiedName, problems: list[str]) -> str:
    if len(problems) == 1:
        return f'the table "{text(name)}" cannot be used as an enum because {problems[0]}'
    bullets = "".join(f"  • {p}\n" for p in problems)
    return f'the table "{text(name)}" cannot be used as an enum for the following reasons:\n{bullets}'


def resolve(metadata: m.Metadata, catalog: cat.Catalog) -> SchemaCache:
    source = metadata.find_source(SOURCE)
    if source is None:
        return SchemaCache(metadata, catalog)
    problems: list[Inconsistency] = []
    present: dict[cat.QualifiedName, tuple[cat.Table, m.Table]] = {}
    for meta_table in source.tables:
        name = qn(meta_table.table)
        found = catalog.tables.get(name)
        if found is None:
            problems.append(
                Inconsistency(
                    "table",
                    _table_object_name(meta_table.table),
                    f'Inconsistent object: no such table/view exists in source: "{text(name)}"',
                    meta_table.table.to_json(),
                )
            )
            continue
        if meta_table.is_enum and (problems_of_enum := _enum_problems(found)):
            problems.append(
                Inconsistency(
                    "table",
                    _table_object_name(meta_table.table),
                    "Inconsistent object: " + _enum_reason(name, problems_of_enum),
                    meta_table.table.to_json(),
                )
            )
            continue
        present[name] = (found, meta_table)
    tracked = set(present)
    tables: dict[cat.QualifiedName, TableInfo] = {}
    for name, (table, meta_table) in present.items():
        context = f'in table "{text(name)}": '
        rels: dict[str, RelationshipInfo] = {}
        for kind, entries in (
            ("object", meta_table.object_relationships),
            ("array", meta_table.array_relationships),
        ):
            for rel in entries:
                resolved = _resolve_relationship(tracked, catalog, table, rel, kind)  # type: ignore[arg-type]
                if isinstance(resolved, str):
                    problems.append(
                        Inconsistency(
                            f"{kind}_relation",
                            f"{kind}_relation {rel.name} in table {text(name)} in source {SOURCE}",
                            f'Inconsistent object: {context}in relationship "{rel.name}": {resolved}',
                            _relationship_definition(meta_table, rel),
                        )
                    )
                else:
                    rels[rel.name] = resolved
        computed: dict[str, ComputedFieldInfo] = {}
        for cf in meta_table.computed_fields:
            resolved_cf = _resolve_computed_field(catalog, table, cf)
            if isinstance(resolved_cf, str):
                problems.append(
                    Inconsistency(
                        "computed_field",
                        f"computed_field {cf.name} in table {text(name)} in source {SOURCE}",
                        f'Inconsistent object: {context}in computed field "{cf.name}": {resolved_cf}',
                        {"source": SOURCE, "table": meta_table.table.to_json(), **cf.to_json()},
                    )
                )
            else:
                computed[cf.name] = resolved_cf
        tables[name] = TableInfo(name, table, meta_table, MappingProxyType(rels), MappingProxyType(computed))
    functions: dict[cat.QualifiedName, FunctionInfo] = {}
    for tracked_fn in source.functions:
        fname = qn(tracked_fn.function)
        overloads = catalog.functions.get(fname, ())
        if len(overloads) != 1:
            reason = (
                f'no such function exists: "{text(fname)}"'
                if not overloads
                else f'function "{text(fname)}" is overloaded. Overloaded functions are not supported'
            )
            problems.append(
                Inconsistency(
                    "function",
                    f"function {text(fname)} in source {SOURCE}",
                    f"Inconsistent object: in function {text(fname)}: {reason}",
                    {"source": SOURCE, **tracked_fn.to_json()},
                )
            )
            continue
        functions[fname] = FunctionInfo(fname, overloads[0], tracked_fn)
    cache = SchemaCache(metadata, catalog, MappingProxyType(tables), MappingProxyType(functions))
    problems.extend(_permission_problems(cache))
    return SchemaCache(metadata, catalog, cache.tables, cache.functions, tuple(problems))


def _permission_problems(cache: SchemaCache) -> list[Inconsistency]:
    """Permissions whose columns, filters, checks or presets no longer match the tables."""
    # The validator reads filters against the resolved tables, so it runs on the cache.
    from livegres.metadata.commands.permissions import validate_permission

    found = []
    for name, info in cache.tables.items():
        for kind in ("insert", "select", "update", "delete"):
            for entry in getattr(info.meta, f"{kind}_permissions"):
                reason = validate_permission(cache, name, entry.permission)
                if reason is None:
                    continue
                context = f'in table "{text(name)}": in permission for role "{entry.role}"'
                found.append(
                    Inconsistency(
                        f"{kind}_permission",
                        f"{kind}_permission {entry.role} in table {text(name)} in source {SOURCE}",
                        f"Inconsistent object: {context}: {reason}",
                        {"source": SOURCE, "table": info.meta.table.to_json(), **entry.to_json()},
                    )
                )
    return found
