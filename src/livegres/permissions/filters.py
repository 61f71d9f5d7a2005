"""A permission's boolean expression (metadata JSON) -> ``ir.BoolExp``.

The expression is the one stored in the metadata (``filter`` of a select, update or delete
permission, ``check`` of an insert or update permission), already validated against the
tables when the metadata was resolved. It is Hasura's ``BoolExp`` in its JSON form:

* ``_and``/``_or``/``_not`` (also spelled ``$and``...), ``_exists: {_table, _where}``;
* a column with operators (``{"_eq": 1}``, ``{"$gt": "X-Hasura-User-Id"}``), or with a
  bare value, which means ``_eq``;
* a relationship with the expression its remote rows must satisfy;
* column comparisons (``_ceq: "other"``, ``["other"]``, ``["$", "root_column"]``).

A string operand that starts with ``x-hasura-`` (any case) is a session variable: a bound
parameter read from the request's session, cast to the column's type (for ``_in``/``_nin``,
the variable holds a PostgreSQL array literal such as ``{1,2,3}``). Every other operand is
a literal parameter. Nothing becomes SQL text.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from livegres import catalog as cat
from livegres import ir
from livegres.errors import QueryError
from livegres.ir.values import BOOL, JSONB, TEXT
from livegres.metadata import model as m
from livegres.metadata.resolve import ComputedFieldInfo, SchemaCache, TableInfo

_COMPARE: dict[str, ir.CompareOp] = {op.value[1:]: op for op in ir.CompareOp}
_COMPARE["ne"] = ir.CompareOp.NEQ
_COLUMN_OPS: dict[str, ir.ColumnOp] = {op.value[1:]: op for op in ir.ColumnOp}
_COLUMN_OPS["cneq"] = ir.ColumnOp.CNE
FLOAT8 = cat.QualifiedName("pg_catalog", "float8")
_CASTS = {"text": TEXT, "String": TEXT, "geometry": cat.QualifiedName("public", "geometry")}
_CASTS["geography"] = cat.QualifiedName("public", "geography")


def is_session_variable(value: Any) -> bool:
    return isinstance(value, str) and value.lower().startswith("x-hasura-")


def compile_filter(cache: SchemaCache, table: cat.QualifiedName, expr: Mapping[str, Any] | None) -> ir.BoolExp:
    """The IR of a permission's boolean expression on ``table``; ``{}`` (or None) is true."""
    if not expr:
        return ir.BoolTrue()
    return _Compiler(cache).bool_exp(_table(cache, table), expr)


def session_variables(exp: ir.BoolExp) -> frozenset[str]:
    """The session variables (lower-cased) an expression reads."""
    found: set[str] = set()
    _collect(exp, found)
    return frozenset(found)


def _collect(exp: ir.BoolExp, found: set[str]) -> None:
    match exp:
        case ir.And(items) | ir.Or(items):
            for item in items:
                _collect(item, found)
        case ir.Not(item):
            _collect(item, found)
        case ir.ColumnComparison(_, _, value, _):
            _collect_source(value.source, found)
        case ir.RelationshipExists(_, _, where) | ir.Exists(_, where):
            _collect(where, found)
        case _:
            pass


def _collect_source(source: ir.Source, found: set[str]) -> None:
    if isinstance(source, ir.SessionVariable):
        found.add(source.name.lower())
    elif isinstance(source, ir.ListOf):
        for item in source.items:
            _collect_source(item, found)


def _table(cache: SchemaCache, name: cat.QualifiedName) -> TableInfo:
    info = cache.tables.get(name)
    if info is None:
        raise QueryError("unexpected", f'table "{name.schema}.{name.name}" is not tracked', status=500)
    return info


def _qualified(value: Any) -> cat.QualifiedName:
    if isinstance(value, str):
        return cat.QualifiedName(m.PUBLIC, value)
    assert isinstance(value, dict)
    return cat.QualifiedName(str(value.get("schema", m.PUBLIC)), str(value["name"]))


class _Compiler:
    def __init__(self, cache: SchemaCache) -> None:
        self.cache = cache

    def bool_exp(self, table: TableInfo, expr: Mapping[str, Any]) -> ir.BoolExp:
        items: list[ir.BoolExp] = []
        for key, value in expr.items():
            op = "_" + key[1:] if key[:1] == "$" else key
            if op == "_and":
                items.append(ir.And(tuple(self.bool_exp(table, item) for item in value)))
            elif op == "_or":
                items.append(ir.Or(tuple(self.bool_exp(table, item) for item in value)))
            elif op == "_not":
                items.append(ir.Not(self.bool_exp(table, value)))
            elif op == "_exists":
                target = _table(self.cache, _qualified(value["_table"]))
                items.append(ir.Exists(target.name, self.bool_exp(target, value.get("_where") or {})))
            else:
                items.extend(self.field(table, key, value))
        if len(items) == 1:
            return items[0]
        return ir.And(tuple(items))

    def field(self, table: TableInfo, name: str, value: Any) -> list[ir.BoolExp]:
        column = table.table.columns.get(name)
        if column is not None:
            return self.operations(column.name, column.type.name, column.type.root.name.name, value)
        rel = table.relationships.get(name)
        if rel is not None:
            remote = _table(self.cache, rel.remote_table)
            where = self.bool_exp(remote, value) if isinstance(value, dict) else ir.BoolTrue()
            return [ir.RelationshipExists(rel.remote_table, rel.mapping, where)]
        computed = table.computed_fields.get(name)
        if computed is not None and computed.function.return_table is None:
            fn = computed.function
            out: list[ir.BoolExp] = []
            for exp in self.operations(name, fn.return_type.name, fn.return_type.root.name.name, value):
                assert isinstance(exp, ir.ColumnComparison)
                out.append(computed_comparison(computed, exp.op, exp.value))
            return out
        raise QueryError("not-supported", f'"{name}" in a permission filter is not supported', status=400)

    def operations(self, column: str, pg_type: cat.QualifiedName, root_type: str, value: Any) -> list[ir.BoolExp]:
        if not isinstance(value, dict):
            return [ir.ColumnComparison(column, ir.CompareOp.EQ, _param(value, pg_type))]
        out: list[ir.BoolExp] = []
        for key, operand in value.items():
            name = key[1:] if key[:1] in ("_", "$") else key
            if name == "cast":
                for target, inner in operand.items():
                    cast_to = _CASTS.get(str(target), cat.QualifiedName("pg_catalog", str(target)))
                    for exp in self.operations(column, cast_to, cast_to.name, inner):
                        assert isinstance(exp, ir.ColumnComparison | ir.SpatialComparison)
                        out.append(replace(exp, cast_to=cast_to))
                continue
            if "_" + name in ir.SPATIAL_OPS:
                out.append(spatial(column, "_" + name, root_type == "geography", operand, _param))
                continue
            column_op = _COLUMN_OPS.get(name)
            if column_op is not None:
                out.append(ir.ColumnToColumn(column, column_op, _column_ref(operand)))
                continue
            op = _COMPARE.get(name)
            if op is None:
                raise QueryError("not-supported", f"the operator {key} is not supported in permissions", status=400)
            if op is ir.CompareOp.IS_NULL:
                out.append(ir.ColumnComparison(column, op, _param(operand, BOOL)))
                continue
            operand_type, array = ir.boolexp.operand_type(op, pg_type)
            if op in (ir.CompareOp.CONTAINS, ir.CompareOp.CONTAINED_IN) and root_type == "jsonb":
                operand_type = JSONB
            out.append(ir.ColumnComparison(column, op, _param(operand, operand_type, array=array)))
        return out


def spatial(column: str, op: str, geography: bool, operand: Any, make: Callable[..., ir.Param]) -> ir.SpatialComparison:
    """A PostGIS comparison; ``make(value, pg_type)`` turns each operand into a parameter."""
    if op in ("_st_d_within", "_st_3d_d_within"):
        if not isinstance(operand, dict) or "from" not in operand or "distance" not in operand:
            raise QueryError("validation-failed", f"{op} expects an object with distance and from", status=400)
        spheroid = operand.get("use_spheroid", True)
        return ir.SpatialComparison(
            column,
            op,
            make(operand["from"], TEXT),
            geography,
            make(operand["distance"], FLOAT8),
            make(spheroid, BOOL) if geography else None,
        )
    return ir.SpatialComparison(column, op, make(operand, TEXT), geography)


def computed_comparison(computed: ComputedFieldInfo, op: ir.CompareOp, value: ir.Param) -> ir.BoolExp:
    """``computed_field op value`` for a computed field returning a scalar."""
    fn = computed.function
    return ir.ComputedFieldComparison(
        fn.name, computed.table_argument, computed.session_argument, op, value, computed.name
    )


def _column_ref(operand: Any) -> ir.ColumnRef:
    if isinstance(operand, list):
        if len(operand) == 2 and operand[0] == "$":
            return ir.ColumnRef(str(operand[1]), root=True)
        return ir.ColumnRef(str(operand[0]))
    return ir.ColumnRef(str(operand))


def _param(value: Any, pg_type: cat.QualifiedName, *, array: bool = False) -> ir.Param:
    if is_session_variable(value):
        return ir.session(value, pg_type, array=array)
    if array and isinstance(value, list) and any(is_session_variable(v) for v in value):
        items = tuple(ir.SessionVariable(v.lower()) if is_session_variable(v) else ir.Literal(v) for v in value)
        return ir.Param(ir.ListOf(items), pg_type, array=True)
    return ir.literal(value, pg_type, array=array)
