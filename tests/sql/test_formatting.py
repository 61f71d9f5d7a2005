"""Scalar output formatting, checked against Hasura's own expectations
(graphql_mutation/insert/basic/insert_various_postgres_types.yaml, run by Hasura's suite
with HASURA_GRAPHQL_STRINGIFY_NUMERIC_TYPES=true; xml is left out because the embedded
server lacks libxml), and the default without stringifying."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from livegres import ir
from livegres.catalog.model import PgType, QualifiedName, TypeKind
from tests.sql.support import pg, query, run

TYPES_TABLE = """
CREATE TABLE test_types (
    c1_smallint smallint, c2_integer integer, c3_bigint bigint, c4_decimal decimal(5, 2),
    c5_numeric numeric(4, 3), c6_real real, c7_double_precision double precision,
    c8_smallserial smallserial, c9_serial serial, c10_bigserial bigserial, c11_varchar_3 varchar(3),
    c12_char_4 char(4), c13_text text, c14_timestamp timestamp, c15_timestamptz timestamptz, c16_date date,
    c17_time time, c18_time_with_zone time with time zone, c19_interval interval, c20_boolean boolean,
    c21_point point, c22_line line, c23_lseg lseg, c24_box box, c25_closed_path path, c26_open_path path,
    c27_polygon polygon, c28_circle circle, c29_cidr cidr, c30_inet inet, c31_macaddr macaddr, c32_json json,
    c33_jsonb jsonb, c34_text_array text[], c35_integer_2d_array integer[][], c36_uuid uuid,
    c39_range_integer int4range, c40_range_bigint int8range, c41_range_numeric numrange,
    c42_range_timestamp tsrange, c43_range_timestamptz tstzrange, c45_money money,
    c46_positive positive_int, c47_mood mood
);
"""

TYPES_SETUP = (
    """
CREATE DOMAIN positive_int AS bigint CHECK (VALUE > 0);
CREATE TYPE mood AS ENUM ('happy', 'sad');
"""
    + TYPES_TABLE
    + """
INSERT INTO test_types (c1_smallint, c2_integer, c3_bigint, c4_decimal, c5_numeric, c6_real, c7_double_precision,
  c11_varchar_3, c12_char_4, c13_text, c14_timestamp, c15_timestamptz, c16_date, c17_time, c18_time_with_zone,
  c19_interval, c20_boolean, c21_point, c22_line, c23_lseg, c24_box, c25_closed_path, c26_open_path, c27_polygon,
  c28_circle, c29_cidr, c30_inet, c31_macaddr, c32_json, c33_jsonb, c34_text_array, c35_integer_2d_array, c36_uuid,
  c39_range_integer, c40_range_bigint, c41_range_numeric, c42_range_timestamp, c43_range_timestamptz,
  c45_money, c46_positive, c47_mood)
VALUES (32767, 2147483647, 9223372036854775807, 123.45, 1.234, 0.00390625, 16.0001220703125, 'abc', 'baaz',
  'foo bar baz', '2004-10-19T10:23:54', '2015-10-17T14:42:43+00:00', '2014-09-14', '11:09:23', '15:22:23+00',
  '01:03:02', true, '(1,2)', '{2,3,-1}', '[(4,2),(3,1)]', '(31,12),(14,11)', '((0,0),(0,3),(1,0))',
  '[(0,0),(0,-1),(-3,0)]', '((0,0),(0,6),(2,0))', '<(-2,-3),3>', '192.168.100.128/25', '198.24.10.0',
  '08:00:2b:01:02:03', '{"a": "b"}', '{"c": "d"}', '{"a","b","c"}', '{{4,5,6},{7,8,9}}',
  'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '[123,456)', '[1147483647,2147483647)', '[1.23,4.56]',
  '["2010-01-01 14:30:00","2010-01-01 15:30:02")', '("2011-02-05 12:03:00+00","2012-03-04 16:40:04+00"]',
  12.5, 5, 'happy');
"""
)

# (column, pg_type name) and Hasura's output with stringified numeric types.
HASURA: list[tuple[str, str, Any]] = [
    ("c1_smallint", "int2", 32767),
    ("c2_integer", "int4", 2147483647),
    ("c3_bigint", "int8", "9223372036854775807"),
    ("c4_decimal", "numeric", "123.45"),
    ("c5_numeric", "numeric", "1.234"),
    ("c6_real", "float4", 0.00390625),
    ("c7_double_precision", "float8", "16.0001220703125"),
    ("c8_smallserial", "int2", 1),
    ("c9_serial", "int4", 1),
    ("c10_bigserial", "int8", "1"),
    ("c11_varchar_3", "varchar", "abc"),
    ("c12_char_4", "bpchar", "baaz"),
    ("c13_text", "text", "foo bar baz"),
    ("c14_timestamp", "timestamp", "2004-10-19T10:23:54"),
    ("c15_timestamptz", "timestamptz", "2015-10-17T14:42:43+00:00"),
    ("c16_date", "date", "2014-09-14"),
    ("c17_time", "time", "11:09:23"),
    ("c18_time_with_zone", "timetz", "15:22:23+00"),
    ("c19_interval", "interval", "01:03:02"),
    ("c20_boolean", "bool", True),
    ("c21_point", "point", "(1,2)"),
    ("c22_line", "line", "{2,3,-1}"),
    ("c23_lseg", "lseg", "[(4,2),(3,1)]"),
    ("c24_box", "box", "(31,12),(14,11)"),
    ("c25_closed_path", "path", "((0,0),(0,3),(1,0))"),
    ("c26_open_path", "path", "[(0,0),(0,-1),(-3,0)]"),
    ("c27_polygon", "polygon", "((0,0),(0,6),(2,0))"),
    ("c28_circle", "circle", "<(-2,-3),3>"),
    ("c29_cidr", "cidr", "192.168.100.128/25"),
    ("c30_inet", "inet", "198.24.10.0"),
    ("c31_macaddr", "macaddr", "08:00:2b:01:02:03"),
    ("c32_json", "json", {"a": "b"}),
    ("c33_jsonb", "jsonb", {"c": "d"}),
    ("c36_uuid", "uuid", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"),
    ("c39_range_integer", "int4range", "[123,456)"),
    ("c40_range_bigint", "int8range", "[1147483647,2147483647)"),
    ("c41_range_numeric", "numrange", "[1.23,4.56]"),
    ("c42_range_timestamp", "tsrange", '["2010-01-01 14:30:00","2010-01-01 15:30:02")'),
    ("c43_range_timestamptz", "tstzrange", '("2011-02-05 12:03:00+00","2012-03-04 16:40:04+00"]'),
]

NUMBERS_AS_NUMBERS = {
    "c3_bigint": 9223372036854775807,
    "c4_decimal": 123.45,
    "c5_numeric": 1.234,
    "c7_double_precision": 16.0001220703125,
    "c10_bigserial": 1,
}


@pytest.fixture(scope="module")
async def types_conn(conn: asyncpg.Connection) -> AsyncIterator[asyncpg.Connection]:
    await conn.execute(TYPES_SETUP)
    yield conn


def types_select(*extra: ir.Field) -> ir.Operation:
    fields = tuple(ir.Field(c, ir.ColumnField(c, pg(t))) for c, t, _ in HASURA) + extra
    return query(test_types=ir.Select(QualifiedName("public", "test_types"), fields))


def special_fields() -> tuple[ir.Field, ...]:
    positive = PgType(0, QualifiedName("public", "positive_int"), TypeKind.DOMAIN, base=pg("int8"))
    array = PgType(0, QualifiedName("pg_catalog", "_text"), TypeKind.ARRAY, element=pg("text"))
    array2 = PgType(0, QualifiedName("pg_catalog", "_int4"), TypeKind.ARRAY, element=pg("int4"))
    mood = pg("mood", "public", TypeKind.ENUM)
    return (
        ir.Field("c34_text_array", ir.ColumnField("c34_text_array", array)),
        ir.Field("c35_integer_2d_array", ir.ColumnField("c35_integer_2d_array", array2)),
        ir.Field("c45_money", ir.ColumnField("c45_money", pg("money"))),
        ir.Field("c46_positive", ir.ColumnField("c46_positive", positive)),
        ir.Field("c47_mood", ir.ColumnField("c47_mood", mood)),
    )


async def test_hasura_formatting_with_stringified_numbers(types_conn: asyncpg.Connection) -> None:
    data = await run(types_conn, types_select(*special_fields()), stringify=True, name="formatting_stringify")
    row = data["test_types"][0]
    for column, _, expected in HASURA:
        assert row[column] == expected, column
        assert type(row[column]) is type(expected), column
    assert row["c34_text_array"] == ["a", "b", "c"]
    assert row["c35_integer_2d_array"] == [[4, 5, 6], [7, 8, 9]]
    assert row["c45_money"] == "$12.50"
    assert row["c46_positive"] == "5"  # a domain formats as the type under it
    assert row["c47_mood"] == "happy"


async def test_default_formatting_keeps_numbers(types_conn: asyncpg.Connection) -> None:
    data = await run(types_conn, types_select(*special_fields()), name="formatting_default")
    row = data["test_types"][0]
    for column, _, expected in HASURA:
        assert row[column] == NUMBERS_AS_NUMBERS.get(column, expected), column
    assert row["c46_positive"] == 5
    assert row["c45_money"] == "$12.50"
