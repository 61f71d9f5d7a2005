"""Selection arguments -> IR: ``where`` (boolean expressions), ``order_by``, ``distinct_on``,
``limit`` and ``offset``.

The GraphQL input types guide the walk: each key of an input object is looked up in
``RoleSchema.fields`` under the input type's name, which says whether it is a column, a
relationship, an aggregate predicate or a connective.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInputType,
    get_named_type,
)

from livegres import ir
from livegres import schema as sch
from livegres.catalog.model import QualifiedName
from livegres.errors import QueryError
from livegres.graphql.inputs import Inputs, Lit, Tree
from livegres.graphql.paths import Path, render
from livegres.ir.values import BOOL, INT8, TEXT
from livegres.permissions import restrict
from livegres.permissions.filters import computed_comparison, spatial

_COMPARE = {op.value: op for op in ir.CompareOp}
_ARRAY_OPS = {ir.CompareOp.IN, ir.CompareOp.NIN, ir.CompareOp.HAS_KEYS_ANY, ir.CompareOp.HAS_KEYS_ALL}
_AGGREGATES = {f.value: f for f in ir.AggregateFunction}
_CASTS = {
    "String": TEXT,
    "geometry": QualifiedName("public", "geometry"),
    "geography": QualifiedName("public", "geography"),
}


def _input_object(t: GraphQLInputType | Any) -> GraphQLInputObjectType:
    named = get_named_type(t)
    assert isinstance(named, GraphQLInputObjectType), named
    return named


class ArgumentReader:
    def __init__(self, rs: sch.RoleSchema, inputs: Inputs) -> None:
        self.rs = rs
        self.inputs = inputs
        self.permissions = rs.permissions

    def unsupported(self, what: str, path: Path) -> QueryError:
        return QueryError("not-supported", f"{what} is not supported yet", path=render(path))

    # -- where ---------------------------------------------------------------------------

    def where(self, tree: Tree, t: GraphQLInputType | Any, path: Path) -> ir.BoolExp:
        obj = self.inputs.open(tree)
        if isinstance(obj, Lit) and obj.value is None:
            return ir.BoolTrue()
        assert isinstance(obj, dict), obj
        exp_type = _input_object(t)
        items: list[ir.BoolExp] = []
        for key, value in obj.items():
            here = (*path, key)
            if self.inputs.is_null(value):
                continue
            ref = self.rs.field(exp_type.name, key)
            field_type = exp_type.fields[key].type
            if isinstance(ref, sch.Connective):
                if ref.op == "_not":
                    items.append(ir.Not(self.where(value, field_type, here)))
                    continue
                listed = self.inputs.open(value)
                parts = listed if isinstance(listed, list) else [listed]
                exps = tuple(self.where(p, field_type, (*here, i)) for i, p in enumerate(parts))
                items.append(ir.And(exps) if ref.op == "_and" else ir.Or(exps))
            elif isinstance(ref, sch.ColumnField):
                items.extend(self.comparisons(ref.column, value, field_type, here))
            elif isinstance(ref, sch.RelationshipField) and not ref.aggregate:
                rel = ref.relationship
                nested = restrict(self.where(value, field_type, here), self.permissions.filter(rel.remote_table))
                items.append(ir.RelationshipExists(rel.remote_table, rel.mapping, nested or ir.BoolTrue()))
            elif isinstance(ref, sch.RelationshipField):
                items.append(self.aggregate_predicate(ref, value, field_type, here))
            elif isinstance(ref, sch.ComputedField) and ref.returns_table is not None:
                cf = ref.computed_field
                nested = restrict(self.where(value, field_type, here), self.permissions.filter(ref.returns_table))
                items.append(
                    ir.ComputedRowsExists(
                        cf.function.name,
                        cf.table_argument,
                        cf.session_argument,
                        ref.returns_table,
                        nested or ir.BoolTrue(),
                    )
                )
            elif isinstance(ref, sch.ComputedField) and ref.returns_table is None:
                fn = ref.computed_field.function
                for exp in self.comparisons(
                    _Returned(ref.computed_field.name, fn.return_type), value, field_type, here
                ):
                    assert isinstance(exp, ir.ColumnComparison)
                    items.append(computed_comparison(ref.computed_field, exp.op, exp.value))
            else:
                raise self.unsupported(f"filtering on {key!r}", here)
        if len(items) == 1:
            return items[0]
        return ir.And(tuple(items))

    def comparisons(self, column: Any, tree: Tree, t: Any, path: Path) -> list[ir.BoolExp]:
        ops = self.inputs.open(tree)
        assert isinstance(ops, dict), ops
        out: list[ir.BoolExp] = []
        for key, value in ops.items():
            here = (*path, key)
            if key == "_cast":
                casts = self.inputs.open(value)
                assert isinstance(casts, dict)
                for target, inner in casts.items():
                    cast_to = _CASTS.get(target)
                    if cast_to is None:
                        raise self.unsupported(f"_cast to {target}", (*here, target))
                    inner_type = _input_object(t).fields["_cast"].type
                    inner_field = _input_object(inner_type).fields[target].type
                    cast_column = _Returned(column.name, _CastType(cast_to))
                    for exp in self.comparisons(cast_column, inner, inner_field, (*here, target)):
                        assert isinstance(exp, ir.ColumnComparison | ir.SpatialComparison)
                        out.append(replace(exp, cast_to=cast_to))
                continue
            if key in ir.SPATIAL_OPS:
                geography = column.type.name.name == "geography" or (
                    getattr(column.type, "root", None) is not None and column.type.root.name.name == "geography"
                )
                out.append(spatial(column.name, key, geography, self.inputs.open(value), self._spatial_param))
                continue
            op = _COMPARE.get(key)
            if op is None:
                raise self.unsupported(f"the operator {key}", here)
            out.append(ir.ColumnComparison(column.name, op, self.operand(op, column, value)))
        return out

    def operand(self, op: ir.CompareOp, column: Any, value: Tree) -> ir.Param:
        if op is ir.CompareOp.IS_NULL:
            opened = self.inputs.open(value)
            return self.inputs.param(opened, BOOL)
        pg_type, array = ir.boolexp.operand_type(op, column.type.name)
        return self.inputs.param(value, pg_type, array=array)

    def _spatial_param(self, value: Any, pg_type: QualifiedName) -> ir.Param:
        return self.inputs.param(value, pg_type)

    def aggregate_predicate(self, ref: sch.RelationshipField, tree: Tree, t: Any, path: Path) -> ir.BoolExp:
        rel = ref.relationship
        obj = self.inputs.open(tree)
        assert isinstance(obj, dict)
        pred_type = _input_object(t)
        items: list[ir.BoolExp] = []
        for fn_name, body in obj.items():
            here = (*path, fn_name)
            function = _AGGREGATES.get(fn_name)
            if function is None:
                raise self.unsupported(f"the aggregate predicate {fn_name}", here)
            spec = self.inputs.open(body)
            assert isinstance(spec, dict)
            spec_type = _input_object(pred_type.fields[fn_name].type)
            arguments: tuple[str, ...] = ()
            if "arguments" in spec and not self.inputs.is_null(spec["arguments"]):
                enum = get_named_type(spec_type.fields["arguments"].type)
                assert isinstance(enum, GraphQLEnumType)
                raw = self.inputs.open(spec["arguments"])
                listed = raw if isinstance(raw, list) else [raw]
                arguments = tuple(str(self.inputs.enum(a, enum)) for a in listed)
            distinct = bool(self.inputs.scalar(spec["distinct"])) if "distinct" in spec else False
            where = None
            if "filter" in spec and not self.inputs.is_null(spec["filter"]):
                where = self.where(spec["filter"], spec_type.fields["filter"].type, (*here, "filter"))
            predicate_type = _input_object(spec_type.fields["predicate"].type)
            ops = self.inputs.open(spec["predicate"])
            assert isinstance(ops, dict)
            scalar_type = predicate_type.fields["_eq"].type if "_eq" in predicate_type.fields else None
            pg = INT8 if function is ir.AggregateFunction.COUNT else _scalar_pg(scalar_type)
            predicate = tuple(
                (_COMPARE[k], self.inputs.param(v, pg, array=_COMPARE[k] in _ARRAY_OPS)) for k, v in ops.items()
            )
            where = restrict(where, self.permissions.filter(rel.remote_table))
            items.append(
                ir.AggregatePredicate(rel.remote_table, rel.mapping, function, predicate, arguments, distinct, where)
            )
        return items[0] if len(items) == 1 else ir.And(tuple(items))

    # -- order_by, distinct_on, limit, offset ------------------------------------------

    def order_by(self, tree: Tree, t: Any, path: Path) -> tuple[ir.OrderBy, ...]:
        listed = self.inputs.open(tree)
        if isinstance(listed, Lit) and listed.value is None:
            return ()
        items = listed if isinstance(listed, list) else [listed]
        out: list[ir.OrderBy] = []
        for i, item in enumerate(items):
            out.extend(self._order_object(item, _input_object(t), (*path, i) if isinstance(listed, list) else path))
        return tuple(out)

    def _order_object(self, tree: Tree, t: GraphQLInputObjectType, path: Path) -> list[ir.OrderBy]:
        obj = self.inputs.open(tree)
        if not isinstance(obj, dict):
            return []
        out: list[ir.OrderBy] = []
        for key, value in obj.items():
            here = (*path, key)
            if self.inputs.is_null(value):
                continue
            ref = self.rs.field(t.name, key)
            field_type = t.fields[key].type
            if isinstance(ref, sch.ColumnField):
                out.append(ir.OrderBy.hasura(ir.ColumnOrder(ref.column.name), str(self.inputs.scalar(value))))
            elif isinstance(ref, sch.RelationshipField) and not ref.aggregate:
                rel = ref.relationship
                for nested in self._order_object(value, _input_object(field_type), here):
                    remote = self.permissions.filter(rel.remote_table)
                    target = ir.ObjectRelationshipOrder(rel.remote_table, rel.mapping, nested.target, remote)
                    out.append(ir.OrderBy(target, nested.descending, nested.nulls_first))
            elif isinstance(ref, sch.RelationshipField):
                out.extend(self._aggregate_order(ref, value, _input_object(field_type), here))
            elif isinstance(ref, sch.ComputedField) and ref.returns_table is None:
                cf = ref.computed_field
                computed = ir.ComputedFieldOrder(cf.function.name, cf.table_argument, cf.session_argument, cf.name)
                out.append(ir.OrderBy.hasura(computed, str(self.inputs.scalar(value))))
            else:
                raise self.unsupported(f"ordering by {key!r}", here)
        return out

    def _aggregate_order(
        self, ref: sch.RelationshipField, tree: Tree, t: GraphQLInputObjectType, path: Path
    ) -> list[ir.OrderBy]:
        rel = ref.relationship
        remote = self.permissions.filter(rel.remote_table)
        obj = self.inputs.open(tree)
        assert isinstance(obj, dict)
        out: list[ir.OrderBy] = []
        for key, value in obj.items():
            if self.inputs.is_null(value):
                continue
            function = _AGGREGATES[key]
            if function is ir.AggregateFunction.COUNT:
                target = ir.AggregateOrder(rel.remote_table, rel.mapping, function, None, remote)
                out.append(ir.OrderBy.hasura(target, str(self.inputs.scalar(value))))
                continue
            columns = self.inputs.open(value)
            assert isinstance(columns, dict)
            op_type = _input_object(t.fields[key].type)
            for col_key, direction in columns.items():
                if self.inputs.is_null(direction):
                    continue
                col_ref = self.rs.field(op_type.name, col_key)
                assert isinstance(col_ref, sch.AggregateColumn)
                target = ir.AggregateOrder(rel.remote_table, rel.mapping, function, col_ref.column.name, remote)
                out.append(ir.OrderBy.hasura(target, str(self.inputs.scalar(direction))))
        return out

    def distinct_on(self, tree: Tree, t: Any) -> tuple[str, ...]:
        listed = self.inputs.open(tree)
        if isinstance(listed, Lit) and listed.value is None:
            return ()
        items = listed if isinstance(listed, list) else [listed]
        enum = get_named_type(t)
        assert isinstance(enum, GraphQLEnumType)
        return tuple(str(self.inputs.enum(item, enum)) for item in items)

    def count(self, tree: Tree, path: Path) -> int | ir.Param | None:
        if isinstance(tree, Lit):
            if tree.value is None:
                return None
            value = int(tree.value)
            if value < 0:
                raise QueryError("not-supported", "unexpected negative value", path=render(path))
            return value
        return self.inputs.param(tree, INT8)


class _Returned:
    """What a scalar computed field returns, compared like a column."""

    def __init__(self, name: str, pg_type: Any) -> None:
        self.name = name
        self.type = pg_type


class _CastType:
    """The type a column is cast to by ``_cast``."""

    def __init__(self, name: QualifiedName) -> None:
        self.name = name
        self.root = self


def _scalar_pg(t: Any) -> QualifiedName:
    named = get_named_type(t) if t is not None else None
    names = {"Int": "int4", "Float": "float8", "Boolean": "bool", "String": "text"}
    if named is None:
        return TEXT
    return QualifiedName("pg_catalog", names.get(named.name, named.name))
