"""One real database per module, with a small Hasura-style set of tables, loaded into a
``SchemaCache`` the way the server does: catalog, metadata, resolve."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from livegres.catalog import Catalog, QualifiedName, load_catalog
from livegres.metadata.model import parse_metadata
from livegres.metadata.resolve import SchemaCache, resolve
from livegres.schema import EnumValue

SQL = """
CREATE EXTENSION IF NOT EXISTS citext;
CREATE SCHEMA shop;
CREATE TYPE mood AS ENUM ('happy', 'sad');
CREATE TYPE complex AS (r float8, i float8);

CREATE TABLE author (
    id serial PRIMARY KEY,
    name text NOT NULL,
    bio varchar(200),
    rating numeric,
    "createdAt" timestamptz,
    info jsonb,
    tags text[],
    scores int[],
    is_active boolean NOT NULL DEFAULT true
);
COMMENT ON COLUMN author.bio IS 'A few words';

CREATE TABLE article (
    id serial PRIMARY KEY,
    title text NOT NULL,
    author_id integer NOT NULL REFERENCES author (id),
    editor_id integer REFERENCES author (id),
    score float8,
    published boolean
);

CREATE TABLE colors (value text PRIMARY KEY, comment text);
INSERT INTO colors VALUES ('red', 'Like fire'), ('blue', NULL);

CREATE TABLE paint (
    id integer PRIMARY KEY,
    color text NOT NULL REFERENCES colors (value),
    feeling mood,
    z complex,
    e citext,
    code char(3),
    small smallint,
    big bigint,
    f4 real,
    at time,
    span interval,
    day date,
    addr inet,
    raw bytea,
    doc json,
    uid uuid,
    ts timestamp,
    tz timetz,
    price money
);

CREATE TABLE shop.item (id bigint PRIMARY KEY, label text, qty integer);
CREATE TABLE no_key (x integer);

CREATE FUNCTION author_full_name(author_row author) RETURNS text
    LANGUAGE sql STABLE AS $$ SELECT author_row.name $$;
CREATE FUNCTION author_articles_since(author_row author, min_id integer) RETURNS SETOF article
    LANGUAGE sql STABLE AS $$ SELECT * FROM article WHERE author_id = author_row.id AND id >= min_id $$;
CREATE FUNCTION search_articles(search text, max_id integer DEFAULT NULL) RETURNS SETOF article
    LANGUAGE sql STABLE AS $$ SELECT * FROM article WHERE title ILIKE '%' || search || '%' $$;
CREATE FUNCTION bump(x integer) RETURNS SETOF article
    LANGUAGE sql VOLATILE AS $$ SELECT * FROM article $$;
"""


def table(name: str, schema: str = "public", **extra: Any) -> dict[str, Any]:
    return {"table": {"schema": schema, "name": name}, **extra}


METADATA: dict[str, Any] = {
    "version": 3,
    "sources": [
        {
            "name": "default",
            "kind": "postgres",
            "configuration": {"connection_info": {"database_url": "postgres://unused"}},
            "tables": [
                table(
                    "author",
                    array_relationships=[
                        {
                            "name": "articles",
                            "using": {"foreign_key_constraint_on": {"table": "article", "column": "author_id"}},
                        }
                    ],
                    computed_fields=[
                        {"name": "full_name", "definition": {"function": "author_full_name"}},
                        {"name": "articles_since", "definition": {"function": "author_articles_since"}},
                    ],
                ),
                table(
                    "article",
                    object_relationships=[
                        {"name": "author", "using": {"foreign_key_constraint_on": "author_id"}},
                        {"name": "editor", "using": {"foreign_key_constraint_on": "editor_id"}},
                    ],
                ),
                table("colors", is_enum=True),
                table("paint"),
                table(
                    "item",
                    "shop",
                    configuration={
                        "custom_name": "items",
                        "custom_root_fields": {
                            "select": "all_items",
                            "select_by_pk": {"name": "one_item", "comment": "An item by id"},
                            "select_aggregate": {"comment": ""},
                        },
                        "column_config": {"label": {"custom_name": "title", "comment": "What it says"}},
                    },
                ),
                table("no_key"),
            ],
            "functions": [
                {"function": {"schema": "public", "name": "search_articles"}},
                {"function": {"schema": "public", "name": "bump"}},
            ],
        }
    ],
}


async def load(url: str, metadata: dict[str, Any]) -> tuple[Catalog, SchemaCache]:
    conn = await asyncpg.connect(url)
    try:
        catalog = await load_catalog(conn)
    finally:
        await conn.close()
    cache = resolve(parse_metadata(metadata), catalog)
    assert cache.is_consistent, cache.inconsistencies
    return catalog, cache


@pytest.fixture(scope="module")
async def cache(database_url: str) -> AsyncIterator[SchemaCache]:
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(SQL)
    finally:
        await conn.close()
    _, found = await load(database_url, METADATA)
    yield found


COLORS = {QualifiedName("public", "colors"): (EnumValue("blue"), EnumValue("red", "Like fire"))}
