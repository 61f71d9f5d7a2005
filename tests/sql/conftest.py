"""One database per module, with author/article/comment and a table of many types."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest

SCHEMA = """
SET TIME ZONE 'UTC';
CREATE TABLE author (
    id integer PRIMARY KEY,
    name text NOT NULL,
    email text,
    profile jsonb,
    rating numeric,
    followers bigint,
    created_at timestamptz
);
CREATE TABLE article (
    id integer PRIMARY KEY,
    author_id integer NOT NULL REFERENCES author,
    title text NOT NULL,
    body text,
    is_published boolean NOT NULL DEFAULT false,
    published_on date,
    views bigint,
    score double precision,
    tags text[]
);
CREATE TABLE comment (
    id integer PRIMARY KEY,
    article_id integer NOT NULL REFERENCES article,
    commenter_id integer REFERENCES author,
    body text NOT NULL
);
INSERT INTO author VALUES
  (1, 'Ada', 'ada@example.com', '{"city": "London", "langs": ["en", "fr"], "age": 36}', 4.5, 9007199254740993,
   '2015-10-17 14:42:43+00'),
  (2, 'Brian', NULL, '{"city": "Toronto", "langs": ["en"]}', 3.25, 10, '2016-01-01 00:00:00+00'),
  (3, 'Claude', 'claude@example.com', NULL, NULL, NULL, NULL),
  (4, 'Dennis', 'dmr@example.com', '{"city": "Murray Hill"}', 5, 0, '2011-10-12 00:00:00+00');
INSERT INTO article VALUES
  (1, 1, 'Notes on the Engine', 'first', true, '2020-01-01', 100, 1.5, '{math,engine}'),
  (2, 1, 'Sketch of the Analytical Engine', 'second', true, '2020-02-01', 250, 2.5, '{engine}'),
  (3, 1, 'Draft', NULL, false, NULL, NULL, NULL, '{}'),
  (4, 2, 'The C Book', 'c', true, '2020-02-01', 1000, 4.75, '{c,books}'),
  (5, 2, 'Awk', 'awk', true, '2021-05-05', 50, 3, NULL),
  (6, 4, 'Unix', 'unix', true, '2019-12-31', 5000, 5, '{unix}'),
  (7, 4, 'C', 'c lang', false, '2019-12-31', 10, 1, '{c}');
INSERT INTO comment VALUES
  (1, 1, 2, 'great'), (2, 1, 3, 'agreed'), (3, 1, 4, 'hmm'),
  (4, 2, 2, 'nice'), (5, 4, 1, 'classic'), (6, 4, 4, 'thanks'),
  (7, 6, 1, 'wow'), (8, 6, 2, 'indeed'), (9, 6, 3, 'yes');
CREATE FUNCTION author_initial(a author) RETURNS text LANGUAGE sql STABLE AS $$ SELECT left(a.name, 1) $$;
CREATE FUNCTION author_tagline(a author, suffix text) RETURNS text LANGUAGE sql STABLE
  AS $$ SELECT a.name || suffix $$;
"""


@pytest.fixture(scope="module")
async def conn(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A connection to the module's database, schema and data loaded, session in UTC."""
    connection = await asyncpg.connect(database_url, server_settings={"TimeZone": "UTC"})
    await connection.execute(SCHEMA)
    yield connection
    await connection.close()
