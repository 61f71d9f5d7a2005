"""The PostgreSQL catalog: what tables, columns, keys, functions and types exist.

``load_catalog(conn)`` reads it in one statement into frozen values (``model``);
``catalog_fingerprint(conn)`` is a cheap digest for noticing schema changes made elsewhere.
"""

from livegres.catalog.fingerprint import Connection, catalog_fingerprint
from livegres.catalog.load import build_catalog, load_catalog
from livegres.catalog.model import (
    ArgMode,
    Catalog,
    CheckConstraint,
    Column,
    CompositeType,
    FkAction,
    ForeignKey,
    Function,
    FunctionArg,
    Generated,
    Identity,
    PgType,
    PrimaryKey,
    QualifiedName,
    Table,
    TableKind,
    TypeKind,
    UniqueConstraint,
    Volatility,
)

__all__ = [
    "ArgMode",
    "Catalog",
    "CheckConstraint",
    "Column",
    "CompositeType",
    "Connection",
    "FkAction",
    "ForeignKey",
    "Function",
    "FunctionArg",
    "Generated",
    "Identity",
    "PgType",
    "PrimaryKey",
    "QualifiedName",
    "Table",
    "TableKind",
    "TypeKind",
    "UniqueConstraint",
    "Volatility",
    "build_catalog",
    "catalog_fingerprint",
    "load_catalog",
]
