"""A cheap digest that changes whenever DDL changes what ``load_catalog`` would read.

It lets every instance notice schema changes made outside Livegres (psql, migrations, other
tools) and reload: poll ``catalog_fingerprint`` and compare it with ``Catalog.fingerprint``,
which ``load_catalog`` reads in the same statement (the same snapshot) as the catalog
itself, so no change can slip between loading and fingerprinting.

The trick: DDL is ordinary transactional writes to pg_catalog, and every row version
carries the id of the transaction that wrote it (the ``xmin`` system column). For each
catalog the model is read from (pg_attribute, pg_attrdef, pg_constraint, pg_type, pg_enum,
pg_proc, pg_rewrite, INSTEAD OF triggers in pg_trigger, comments in pg_description), limited
to non-system schemas, ``fingerprint.sql`` takes the multiset of the xmins of the visible rows
(xmin -> row count) and md5s them all. That multiset changes on every committed change to
those rows: a transaction that inserts or updates a row leaves its own xid on it, which no row
visible before it committed can carry; one that only deletes rows lowers a count. Grouping by
xmin keeps the work to one scan of each catalog and a few groups to sort: about 15 ms with
1,000 tables of 10 columns on a laptop-class machine (most of it scanning pg_attribute).

Where xmin also moves on operations that leave the model alone, the identity of the rows is
hashed instead: TRUNCATE, REFRESH MATERIALIZED VIEW, VACUUM FULL and CLUSTER rewrite pg_class
rows (a new relfilenode), so pg_class contributes each relation's oid, schema, kind and name;
pg_index contributes the indexes that are not (yet) valid. VACUUM and ANALYZE update catalog
rows in place, leaving xmin alone, and INSERT, UPDATE and DELETE do not touch the catalog,
so none of these changes the fingerprint. Temporary tables live in pg_temp_* schemas, which
are left out (except for comments on them, which are rare).

Limits:

- False positives (a harmless extra reload): DDL that changes nothing the model shows, such
  as GRANT, ALTER ... OWNER, ALTER COLUMN SET STATISTICS, or a new non-unique index.
- Not covered: objects the model does not read (policies, grants, ordinary triggers,
  extensions, casts, operators); settings such as ``search_path``, which change how
  defaults are printed.
- Uncommitted DDL is invisible until it commits, as it should be.
- A collision needs md5 to collide, or a catalog row rewritten back to an equal multiset
  after 2^32 transactions (xid wraparound); neither is a practical concern.
"""

from __future__ import annotations

from importlib import resources
from typing import Any, Protocol

FINGERPRINT_SQL = resources.files("livegres.catalog").joinpath("fingerprint.sql").read_text()


class Connection(Protocol):
    """What the catalog needs of a connection: an asyncpg ``Connection`` or pool proxy."""

    async def fetchval(self, query: str, *args: Any) -> Any: ...

    async def fetchrow(self, query: str, *args: Any) -> Any: ...


async def catalog_fingerprint(conn: Connection) -> str:
    """The current catalog fingerprint; one round trip."""
    value = await conn.fetchval(FINGERPRINT_SQL)
    return str(value)
