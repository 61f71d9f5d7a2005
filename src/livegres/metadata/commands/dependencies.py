"""Which metadata objects depend on a table, and removing them (``cascade``)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from livegres.metadata import model as m
from livegres.metadata.resolve import SchemaCache, qn


@dataclass(frozen=True, order=True)
class Dependent:
    """An object on another table that would break: ``relationship article.author``."""

    kind: str
    table: m.QualifiedName
    name: str

    def __str__(self) -> str:
        return f"{self.kind} {self.table}.{self.name}"


def dependents_of_table(cache: SchemaCache, table: m.QualifiedName) -> list[Dependent]:
    """Relationships of other tables that lead to ``table``."""
    target = qn(table)
    found = []
    for info in cache.tables.values():
        if info.name == target:
            continue
        for rel in info.relationships.values():
            if rel.remote_table == target:
                found.append(Dependent("relationship", info.meta.table, rel.name))
    return sorted(found)


def report(dependents: list[Dependent]) -> str:
    return ", ".join(sorted(str(d) for d in dependents))


def drop_dependents(source: m.Source, dependents: list[Dependent]) -> m.Source:
    for dep in dependents:
        table = source.table(dep.table)
        if table is None:
            continue
        if dep.kind == "relationship":
            table = replace(
                table,
                object_relationships=tuple(r for r in table.object_relationships if r.name != dep.name),
                array_relationships=tuple(r for r in table.array_relationships if r.name != dep.name),
            )
        source = source.with_table(table)
    return source
