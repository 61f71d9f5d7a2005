"""Boolean expressions -> SQL conditions.

Each condition is evaluated against one table alias (``alias``) and, for Hasura's
``["$", "column"]`` references, the alias of the table the whole expression started from
(``root``). Relationship filters, ``_exists`` and aggregate predicates become correlated
``EXISTS`` / scalar subqueries with fresh aliases from ``Aliases``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from livegres.catalog.model import QualifiedName
from livegres.ir import boolexp as b
from livegres.ir.values import JSON, Literal, Param, SessionObject
from livegres.sql.fragment import Sql, ident, join, param, qualified, raw, sql, type_name

_OPERATORS: dict[b.CompareOp, str] = {
    b.CompareOp.EQ: "=",
    b.CompareOp.NEQ: "<>",
    b.CompareOp.GT: ">",
    b.CompareOp.LT: "<",
    b.CompareOp.GTE: ">=",
    b.CompareOp.LTE: "<=",
    b.CompareOp.LIKE: "LIKE",
    b.CompareOp.NLIKE: "NOT LIKE",
    b.CompareOp.ILIKE: "ILIKE",
    b.CompareOp.NILIKE: "NOT ILIKE",
    b.CompareOp.SIMILAR: "SIMILAR TO",
    b.CompareOp.NSIMILAR: "NOT SIMILAR TO",
    b.CompareOp.REGEX: "~",
    b.CompareOp.NREGEX: "!~",
    b.CompareOp.IREGEX: "~*",
    b.CompareOp.NIREGEX: "!~*",
    b.CompareOp.CONTAINS: "@>",
    b.CompareOp.CONTAINED_IN: "<@",
    b.CompareOp.HAS_KEY: "?",
    b.CompareOp.HAS_KEYS_ANY: "?|",
    b.CompareOp.HAS_KEYS_ALL: "?&",
    # ltree (the _any forms take an array: "does it hold an ancestor / descendant / match")
    b.CompareOp.ANCESTOR: "@>",
    b.CompareOp.ANCESTOR_ANY: "<@",
    b.CompareOp.DESCENDANT: "<@",
    b.CompareOp.DESCENDANT_ANY: "@>",
    b.CompareOp.MATCHES: "~",
    b.CompareOp.MATCHES_ANY: "?",
    b.CompareOp.MATCHES_FULLTEXT: "@",
}

_COLUMN_OPERATORS: dict[b.ColumnOp, str] = {
    b.ColumnOp.CEQ: "=",
    b.ColumnOp.CNE: "<>",
    b.ColumnOp.CGT: ">",
    b.ColumnOp.CLT: "<",
    b.ColumnOp.CGTE: ">=",
    b.ColumnOp.CLTE: "<=",
}

TRUE = raw("true")
FALSE = raw("false")


class Aliases:
    """Table aliases, numbered in the order the compiler meets tables: ``"_3_article"``.

    The same IR always walks in the same order, so it always gets the same aliases. Each alias
    remembers its table, so that the operation's ``redactions`` (columns an inherited role
    sees on some rows only) apply wherever the query uses a column of that table."""

    __slots__ = ("_count", "redactions", "tables")

    def __init__(self, redactions: Mapping[QualifiedName, Mapping[str, b.BoolExp]] | None = None) -> None:
        self._count = 0
        self.tables: dict[str, QualifiedName] = {}
        self.redactions: Mapping[QualifiedName, Mapping[str, b.BoolExp]] = redactions or {}

    def new(self, table: QualifiedName) -> str:
        self._count += 1
        hint = re.sub(r"[^0-9A-Za-z_]", "", table.name)[:24]
        alias = f"_{self._count}_{hint}" if hint else f"_{self._count}"
        self.tables[alias] = table
        return alias

    def redaction(self, alias: str, name: str) -> b.BoolExp | None:
        """The condition under which the query sees ``name`` of ``alias``'s row (None: always)."""
        if not self.redactions:
            return None
        table = self.tables.get(alias)
        return None if table is None else self.redactions.get(table, {}).get(name)


def seen(expr: Sql, alias: str, name: str, aliases: Aliases) -> Sql:
    """``expr`` (the column or computed field ``name`` of ``alias``) as the query sees it: null
    on the rows an inherited role may not see it on."""
    condition = aliases.redaction(alias, name)
    if condition is None:
        return expr
    return sql("CASE WHEN ", compile_boolexp(condition, alias, alias, aliases), " THEN ", expr, " END")


def column(alias: str, name: str, aliases: Aliases, *, redact: bool = True) -> Sql:
    return seen(ident(alias, name), alias, name, aliases) if redact else ident(alias, name)


def compare(lhs: Sql, op: b.CompareOp, value: Param) -> Sql:
    """``lhs op value`` for one of Hasura's comparison operators."""
    if op is b.CompareOp.IS_NULL:
        if isinstance(value.source, Literal) and isinstance(value.source.value, bool):
            return sql(lhs, " IS NULL" if value.source.value else " IS NOT NULL")
        return sql("((", lhs, " IS NULL) = ", param(value), ")")
    if op is b.CompareOp.IN:
        return sql(lhs, " = ANY(", param(value), ")")
    if op is b.CompareOp.NIN:
        return sql(lhs, " <> ALL(", param(value), ")")
    return sql(lhs, f" {_OPERATORS[op]} ", param(value))


def conjunction(items: list[Sql]) -> Sql:
    if not items:
        return TRUE
    if len(items) == 1:
        return items[0]
    return join((sql("(", item, ")") for item in items), " AND ")


def join_condition(mapping: tuple[tuple[str, str], ...], outer: str, inner: str) -> list[Sql]:
    """``outer.column = inner.remote_column`` for each mapping pair."""
    return [sql(ident(outer, local), " = ", ident(inner, remote)) for local, remote in mapping]


def aggregate_call(
    function: b.AggregateFunction,
    columns: tuple[str, ...],
    distinct: bool,
    alias: str,
    aliases: Aliases | None = None,
) -> Sql:
    """``count(*)``, ``count(DISTINCT "a"."x")``, ``count(("a"."x", "a"."y"))``, ``sum("a"."x")``."""
    prefix = "DISTINCT " if distinct else ""
    if not columns:
        if function is not b.AggregateFunction.COUNT:
            raise ValueError(f"{function} needs a column")
        return raw("count(*)")
    cols = [ident(alias, c) if aliases is None else column(alias, c, aliases) for c in columns]
    arg = cols[0] if len(cols) == 1 else sql("(", join(cols, ", "), ")")
    return sql(f"{function.value}({prefix}", arg, ")")


def computed_call(function: QualifiedName, table_argument: str | None, session_argument: str | None, alias: str) -> Sql:
    """A computed field's function called with the row ``alias`` (and the session)."""
    row = ident(alias)
    args: list[Sql] = [row if table_argument is None else sql(ident(table_argument), " => ", row)]
    if session_argument is not None:
        args.append(sql(ident(session_argument), " => ", param(Param(SessionObject(), JSON))))
    return sql(qualified(function), "(", join(args, ", "), ")")


def compile_boolexp(exp: b.BoolExp, alias: str, root: str, aliases: Aliases, *, redact: bool = False) -> Sql:
    """The SQL condition for ``exp`` over the row ``alias`` (``root`` for ``$`` references).
    With ``redact`` (a query's own ``where``), columns are the values the role sees (``seen``);
    permission filters are compiled without, and ``Unredacted`` turns it off below it."""

    def again(item: b.BoolExp, at: str = alias) -> Sql:
        return compile_boolexp(item, at, root, aliases, redact=redact)

    match exp:
        case b.BoolTrue():
            return TRUE
        case b.And(items):
            return conjunction([again(i) for i in items])
        case b.Or(items):
            if not items:
                return FALSE
            if len(items) == 1:
                return again(items[0])
            return join((sql("(", again(i), ")") for i in items), " OR ")
        case b.Not(item):
            return sql("NOT (", again(item), ")")
        case b.Unredacted(item):
            return compile_boolexp(item, alias, root, aliases)
        case b.ColumnComparison(name, op, value, cast_to):
            lhs = column(alias, name, aliases, redact=redact)
            if cast_to is not None:
                lhs = sql("(", lhs, f")::{type_name(cast_to)}")
            return compare(lhs, op, value)
        case b.ComputedFieldComparison(function, table_argument, session_argument, op, value, name):
            call = computed_call(function, table_argument, session_argument, alias)
            if redact and name is not None:
                call = seen(call, alias, name, aliases)
            return compare(call, op, value)
        case b.ComputedRowsExists(function, table_argument, session_argument, table, where):
            inner = aliases.new(table)
            call = computed_call(function, table_argument, session_argument, alias)
            condition = again(where, inner)
            return sql("EXISTS (SELECT 1 FROM ", call, " AS ", ident(inner), " WHERE ", condition, ")")
        case b.SpatialComparison():
            return _spatial(exp, column(alias, exp.column, aliases, redact=redact))
        case b.ColumnToColumn(name, op, other):
            other_alias = root if other.root else alias
            rhs = column(other_alias, other.column, aliases, redact=redact)
            return sql(column(alias, name, aliases, redact=redact), f" {_COLUMN_OPERATORS[op]} ", rhs)
        case b.RelationshipExists(table, mapping, where):
            inner = aliases.new(table)
            return _exists(table, inner, [*join_condition(mapping, alias, inner), again(where, inner)])
        case b.Exists(table, where):
            inner = aliases.new(table)
            return _exists(table, inner, [again(where, inner)])
        case b.AggregatePredicate():
            return _aggregate_predicate(exp, alias, root, aliases, redact)
    raise TypeError(f"not a boolean expression: {exp!r}")


_SPATIAL_FUNCTIONS = {
    "_st_contains": "ST_Contains",
    "_st_crosses": "ST_Crosses",
    "_st_equals": "ST_Equals",
    "_st_overlaps": "ST_Overlaps",
    "_st_touches": "ST_Touches",
    "_st_within": "ST_Within",
    "_st_intersects": "ST_Intersects",
    "_st_3d_intersects": "ST_3DIntersects",
    "_st_d_within": "ST_DWithin",
    "_st_3d_d_within": "ST_3DDWithin",
}


def _spatial(exp: b.SpatialComparison, lhs: Sql) -> Sql:
    """``ST_Within("a"."geom", ST_GeomFromGeoJSON($1))``; geography values are cast."""
    if exp.cast_to is not None:
        lhs = sql("(", lhs, f")::{type_name(exp.cast_to)}")
    value = sql("ST_GeomFromGeoJSON(", param(exp.value), ")")
    if exp.geography:
        value = sql("(", value, ")::geography")
    args = [lhs, value]
    if exp.distance is not None:
        args.append(param(exp.distance))
        if exp.geography and exp.use_spheroid is not None:
            args.append(param(exp.use_spheroid))
    return sql(_SPATIAL_FUNCTIONS[exp.op], "(", join(args, ", "), ")")


def _exists(table: QualifiedName, inner: str, conditions: list[Sql]) -> Sql:
    conditions = [c for c in conditions if c is not TRUE]
    return sql(
        "EXISTS (SELECT 1 FROM ", qualified(table), " AS ", ident(inner), " WHERE ", conjunction(conditions), ")"
    )


def _aggregate_predicate(exp: b.AggregatePredicate, alias: str, root: str, aliases: Aliases, redact: bool) -> Sql:
    inner = aliases.new(exp.table)
    conditions = join_condition(exp.mapping, alias, inner)
    if exp.filter is not None:
        conditions.append(compile_boolexp(exp.filter, inner, root, aliases, redact=redact))
    value = sql(
        "(SELECT ",
        aggregate_call(exp.function, exp.arguments, exp.distinct, inner, aliases if redact else None),
        " FROM ",
        qualified(exp.table),
        " AS ",
        ident(inner),
        " WHERE ",
        conjunction(conditions),
        ")",
    )
    return conjunction([compare(value, op, p) for op, p in exp.predicate])
