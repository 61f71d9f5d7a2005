"""The values of enum tables (``is_enum``), read from the database for the schema builder.

Hasura turns a table tracked with ``is_enum: true`` into a GraphQL enum ``<table>_enum``: one
value per row, named by the primary key (a text column), described by the table's other
column when it has one. The rows are read whenever a new schema cache is installed, so a
changed enum table shows in the schema after ``reload_metadata`` as in Hasura. A row whose
value is not a valid GraphQL name is left out (Hasura reports the table inconsistent).
"""

from __future__ import annotations

import asyncpg

from livegres import catalog as cat
from livegres.metadata.resolve import SchemaCache
from livegres.schema import scalars as sc
from livegres.schema.model import EnumValue
from livegres.sql.fragment import quote_ident

EnumValues = dict[cat.QualifiedName, tuple[EnumValue, ...]]


async def load_enum_values(pool: asyncpg.Pool, cache: SchemaCache) -> EnumValues:
    out: EnumValues = {}
    for name, info in cache.tables.items():
        pk = info.table.primary_key
        if not info.meta.is_enum or pk is None or len(pk.columns) != 1:
            continue
        key = pk.columns[0]
        others = [c for c in info.table.columns if c != key]
        comment = f"{quote_ident(others[0])}::text" if len(others) == 1 else "NULL::text"
        table = f"{quote_ident(name.schema)}.{quote_ident(name.name)}"
        query = f"SELECT {quote_ident(key)}::text AS value, {comment} AS comment FROM {table} ORDER BY 1"
        try:
            rows = await pool.fetch(query)
        except asyncpg.PostgresError:
            continue
        out[name] = tuple(
            EnumValue(row["value"], row["comment"])
            for row in rows
            if row["value"] is not None and sc.GRAPHQL_NAME.match(row["value"])
        )
    return out
