"""Loading the catalog: one statement, then pure-Python construction.

``introspect.sql`` returns the whole catalog as one JSON text of flat lists that refer to
relations and types by oid; ``build_catalog`` turns that into the model without further
database access, so it can be tested (and timed) on its own. The fingerprint is read in
the same statement, hence from the same snapshot.

Expressions (column defaults, check constraints) are printed by PostgreSQL and so follow
the connection's ``search_path`` (``nextval('s'::regclass)`` vs ``'public.s'``); type texts
do not, because ``build_catalog`` schema-qualifies every type outside pg_catalog.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from importlib import resources
from types import MappingProxyType
from typing import Any

import orjson

from livegres.catalog.fingerprint import FINGERPRINT_SQL, Connection
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

INTROSPECT_SQL = resources.files("livegres.catalog").joinpath("introspect.sql").read_text()
LOAD_SQL = f"select (\n{INTROSPECT_SQL}\n) as catalog, (\n{FINGERPRINT_SQL}\n) as fingerprint"

Raw = Mapping[str, Any]
Row = list[Any]

_TABLE_KINDS = {
    "r": TableKind.TABLE,
    "v": TableKind.VIEW,
    "m": TableKind.MATERIALIZED_VIEW,
    "f": TableKind.FOREIGN_TABLE,
    "p": TableKind.PARTITIONED_TABLE,
}
_TYPE_KINDS = {
    "b": TypeKind.BASE,
    "c": TypeKind.COMPOSITE,
    "d": TypeKind.DOMAIN,
    "e": TypeKind.ENUM,
    "r": TypeKind.RANGE,
    "m": TypeKind.MULTIRANGE,
    "p": TypeKind.PSEUDO,
}
_IDENTITY = {"a": Identity.ALWAYS, "d": Identity.BY_DEFAULT}
_GENERATED = {"s": Generated.STORED, "v": Generated.VIRTUAL}
_FK_ACTIONS = {
    "a": FkAction.NO_ACTION,
    "r": FkAction.RESTRICT,
    "c": FkAction.CASCADE,
    "n": FkAction.SET_NULL,
    "d": FkAction.SET_DEFAULT,
}
_VOLATILITY = {"i": Volatility.IMMUTABLE, "s": Volatility.STABLE, "v": Volatility.VOLATILE}
_ARG_MODES = {
    "i": ArgMode.IN,
    "o": ArgMode.OUT,
    "b": ArgMode.INOUT,
    "v": ArgMode.VARIADIC,
    "t": ArgMode.TABLE,
}
_INPUT_MODES = (ArgMode.IN, ArgMode.INOUT, ArgMode.VARIADIC)
# pg_relation_is_updatable() bits: 1 << CMD_UPDATE, 1 << CMD_INSERT, 1 << CMD_DELETE
_CAN_UPDATE, _CAN_INSERT, _CAN_DELETE = 4, 8, 16


async def load_catalog(conn: Connection) -> Catalog:
    """Read the whole catalog in one round trip."""
    row = await conn.fetchrow(LOAD_SQL)
    return build_catalog(orjson.loads(row[0]), str(row[1]))


def build_catalog(raw: Raw, fingerprint: str) -> Catalog:
    """The model from the JSON value of ``introspect.sql``."""
    types, schema_sql = _build_types(raw["types"] or ())
    columns = _build_columns(raw["columns"] or (), types, schema_sql)
    relations: list[Row] = raw["relations"] or []
    names = {r[0]: QualifiedName(r[1], r[2]) for r in relations}
    keys = _build_keys(raw["constraints"] or (), raw["unique_indexes"] or (), names, columns)

    tables: dict[QualifiedName, Table] = {}
    composites: dict[QualifiedName, CompositeType] = {}
    for oid, _, _, relkind, row_type, comment, updatable in relations:
        name = names[oid]
        cols = MappingProxyType({c.name: c for c in columns.get(oid, ())})
        if relkind == "c":
            composites[name] = CompositeType(types[row_type], cols)
            continue
        k = keys.get(oid, _NO_KEYS)
        can_insert, can_update, can_delete = _writable(relkind, updatable)
        tables[name] = Table(
            oid,
            name,
            _TABLE_KINDS[relkind],
            cols,
            k.pk,
            tuple(k.uniques),
            tuple(k.fks),
            tuple(k.checks),
            can_insert,
            can_update,
            can_delete,
            comment,
        )

    functions = _build_functions(raw["functions"] or (), types, tables)
    schemas = tuple(raw["schemas"] or ())
    in_scope = frozenset(schemas)
    enums = {t.name: t for t in types.values() if t.kind is TypeKind.ENUM and t.name.schema in in_scope}
    return Catalog(
        server_version_num=int(raw["server_version_num"]),
        fingerprint=fingerprint,
        schemas=schemas,
        tables=MappingProxyType(tables),
        functions=MappingProxyType(functions),
        types=MappingProxyType(types),
        enums=MappingProxyType(dict(sorted(enums.items()))),
        composites=MappingProxyType(composites),
    )


def _build_types(rows: Iterable[Row]) -> tuple[dict[int, PgType], dict[int, str]]:
    """Types by oid (arrays, domains and ranges linked to the types they are built on),
    and each type's schema as an SQL identifier."""
    by_oid = {r[0]: r for r in rows}
    built: dict[int, PgType] = {}

    def build(oid: int) -> PgType:
        done = built.get(oid)
        if done is not None:
            return done
        _, schema, _, name, typtype, element, base, subtype, labels, comment = by_oid[oid]
        kind = TypeKind.ARRAY if element else _TYPE_KINDS[typtype]
        inner = element or subtype
        t = PgType(
            oid,
            QualifiedName(schema, name),
            kind,
            element=build(inner) if inner else None,
            base=build(base) if base else None,
            enum_labels=tuple(labels) if labels else (),
            comment=comment,
        )
        built[oid] = t
        return t

    for oid in by_oid:
        build(oid)
    return built, {oid: r[2] for oid, r in by_oid.items()}


def _build_columns(
    rows: Iterable[Row], types: Mapping[int, PgType], schema_sql: Mapping[int, str]
) -> dict[int, list[Column]]:
    """Columns per relation oid, in position order."""
    out: dict[int, list[Column]] = {}
    texts: dict[tuple[str, int], str] = {}  # few distinct types, many columns
    for rel, num, name, type_oid, type_text, not_null, expression, identity, generated, comment in rows:
        t = types[type_oid]
        text = texts.get((type_text, type_oid))
        if text is None:
            text = texts[type_text, type_oid] = _type_text(type_text, t, schema_sql)
        column = Column(
            name,
            num,
            t,
            text,
            not not_null,
            None if generated else expression,
            _IDENTITY[identity] if identity else None,
            _GENERATED[generated] if generated else None,
            expression if generated else None,
            comment,
        )
        found = out.get(rel)
        if found is None:
            out[rel] = [column]
        else:
            found.append(column)
    return out


def _type_text(text: str, t: PgType, schema_sql: Mapping[int, str]) -> str:
    """``format_type`` output, schema-qualified whatever the search_path.

    format_type leaves out the schema of a type that the search_path makes visible; put it
    back for every type outside pg_catalog (for an array, the element's schema)."""
    named = t.element if t.kind is TypeKind.ARRAY and t.element is not None else t
    if named.name.schema == "pg_catalog":
        return text
    prefix = schema_sql[named.oid] + "."
    return text if text.startswith(prefix) else prefix + text


class _Keys:
    """The keys of one relation, while they are being collected."""

    __slots__ = ("checks", "fks", "pk", "uniques")

    def __init__(self) -> None:
        self.pk: PrimaryKey | None = None
        self.uniques: list[UniqueConstraint] = []
        self.fks: list[ForeignKey] = []
        self.checks: list[CheckConstraint] = []


_NO_KEYS = _Keys()


def _build_keys(
    constraints: Iterable[Row],
    unique_indexes: Iterable[Row],
    names: Mapping[int, QualifiedName],
    columns: Mapping[int, list[Column]],
) -> dict[int, _Keys]:
    """Primary, unique, foreign and check keys per relation oid."""
    attnames = {rel: {c.position: c.name for c in cols} for rel, cols in columns.items()}
    out: dict[int, _Keys] = {}

    for rel, name, contype, attnums, deferrable, ref, ref_attnums, on_update, on_delete, check in constraints:
        keys = out.get(rel)
        if keys is None:
            keys = out[rel] = _Keys()
        local = attnames[rel]
        cols = tuple(local[n] for n in attnums or ())
        if contype == "p":
            keys.pk = PrimaryKey(name, cols)
        elif contype == "u":
            if not deferrable:  # a deferrable constraint cannot be an ON CONFLICT arbiter
                keys.uniques.append(UniqueConstraint(name, cols))
        elif contype == "f":
            remote = attnames.get(ref)
            if remote is None:  # references a relation outside the loaded schemas
                continue
            keys.fks.append(
                ForeignKey(
                    name,
                    names[rel],
                    cols,
                    names[ref],
                    tuple(remote[n] for n in ref_attnums),
                    _FK_ACTIONS[on_update],
                    _FK_ACTIONS[on_delete],
                )
            )
        elif contype == "c":
            keys.checks.append(CheckConstraint(name, check, cols))

    for rel, name, attnums, key_count in unique_indexes:
        keys = out.get(rel)
        if keys is None:
            keys = out[rel] = _Keys()
        local = attnames[rel]
        keys.uniques.append(UniqueConstraint(name, tuple(local[n] for n in attnums[:key_count]), False))
    return out


def _writable(relkind: str, updatable: int | None) -> tuple[bool, bool, bool]:
    """(insertable, updatable, deletable) of a relation."""
    if relkind in ("r", "p"):
        return True, True, True
    if updatable is None:
        return False, False, False
    return bool(updatable & _CAN_INSERT), bool(updatable & _CAN_UPDATE), bool(updatable & _CAN_DELETE)


def _build_functions(
    rows: Iterable[Row], types: Mapping[int, PgType], tables: Mapping[QualifiedName, Table]
) -> dict[QualifiedName, tuple[Function, ...]]:
    """Functions by name, overloads in oid order."""
    out: dict[QualifiedName, list[Function]] = {}
    for row in rows:
        (oid, schema, name, arg_types, arg_modes, arg_names, num_defaults) = row[:7]
        (return_type, returns_set, volatility, language, comment) = row[7:]
        modes = [_ARG_MODES[m] for m in arg_modes] if arg_modes else [ArgMode.IN] * len(arg_types)
        # Defaults belong to the last num_defaults input arguments.
        inputs_left = sum(1 for m in modes if m in _INPUT_MODES)
        args = []
        for i, (type_oid, mode) in enumerate(zip(arg_types, modes, strict=True)):
            has_default = False
            if mode in _INPUT_MODES:
                has_default = inputs_left <= num_defaults
                inputs_left -= 1
            arg_name = arg_names[i] if arg_names else None
            args.append(FunctionArg(arg_name or None, types[type_oid], mode, has_default))
        ret = types[return_type]
        qualified = QualifiedName(schema, name)
        function = Function(
            oid=oid,
            name=qualified,
            args=tuple(args),
            return_type=ret,
            returns_set=returns_set,
            return_table=ret.name if ret.kind is TypeKind.COMPOSITE and ret.name in tables else None,
            volatility=_VOLATILITY[volatility],
            language=language,
            num_defaults=num_defaults,
            comment=comment,
        )
        out.setdefault(qualified, []).append(function)
    return {name: tuple(overloads) for name, overloads in out.items()}
