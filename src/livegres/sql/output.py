"""How a value of each PostgreSQL type appears in the JSON response, as Hasura writes it.

PostgreSQL's own JSON conversion (``json_build_object`` / ``to_json``) already matches
Hasura for nearly every type: numbers for int2/int4/int8/float4/float8/numeric, ``true``
and ``false``, json/jsonb embedded as is, arrays as JSON arrays, and the ISO text of
dates and times (``2015-10-17T14:42:43+00:00`` for timestamptz in a UTC session,
``15:22:23+00`` for timetz, ``2004-10-19T10:23:54`` for timestamp); every other type as
its text (uuid, inet, money, ranges, geometric types, ...). Two exceptions:

- with ``stringify_numeric_types`` (``HASURA_GRAPHQL_STRINGIFY_NUMERIC_TYPES``; off by
  default, on in Hasura's own test suite), bigint, numeric, double precision and money
  become JSON strings (Hasura's ``isBigNum``; ``toJSONableExp``);
- PostGIS geometry and geography become GeoJSON with a long CRS name
  (``ST_AsGeoJSON(x, 15, 4)``).

Domains format as the type under them; aggregates format by the aggregated column's type,
as Hasura does (``avg`` of an int4 column is a number, ``sum`` of a bigint a string).
"""

from __future__ import annotations

from livegres.catalog.model import PgType, TypeKind
from livegres.sql.fragment import Sql, sql

BIG_NUMBERS = frozenset({"int8", "numeric", "float8", "money"})
GEO_TYPES = frozenset({"geometry", "geography"})


def json_value(expr: Sql, pg_type: PgType, *, stringify_numeric_types: bool) -> Sql:
    """``expr`` (of ``pg_type``) wrapped so that PostgreSQL's JSON of it is Hasura's."""
    root = pg_type.root
    if root.kind != TypeKind.BASE:
        return expr
    if root.name.schema == "pg_catalog":
        if stringify_numeric_types and root.name.name in BIG_NUMBERS:
            return sql("(", expr, ")::text")
        return expr
    if root.name.name in GEO_TYPES:
        return sql("ST_AsGeoJSON(", expr, ", 15, 4)::json")
    return expr
