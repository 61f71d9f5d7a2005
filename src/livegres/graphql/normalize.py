"""A validated query operation -> ``ir.Operation``.

Fields are collected the GraphQL way (``CollectFields``): fragments spread and inline
fragments are flattened, ``@skip``/``@include`` applied, fields with the same response key
merged, in document order. Each field is then mapped through ``RoleSchema.fields`` to the
table, column, relationship or aggregate it stands for. Introspection root fields
(``__schema``, ``__type``) are left out of the IR and listed in ``Normalised.introspection``;
the caller answers them from the schema itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLEnumType,
    GraphQLField,
    GraphQLObjectType,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
)

from livegres import ir
from livegres import schema as sch
from livegres.errors import QueryError
from livegres.graphql.arguments import ArgumentReader
from livegres.graphql.inputs import Inputs, Tree, read
from livegres.graphql.paths import Path, render
from livegres.schema.model import function_arg_name as sch_function_arg_name

INTROSPECTION_FIELDS = frozenset({"__schema", "__type"})


@dataclass(frozen=True, slots=True)
class Normalised:
    operation: ir.Operation
    introspection: tuple[str, ...]
    """Response keys of introspection root fields, answered outside SQL."""
    order: tuple[str, ...]
    """Every response key of the root, in order."""


class Normaliser:
    def __init__(
        self,
        rs: sch.RoleSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        inputs: Inputs,
    ) -> None:
        self.rs = rs
        self.fragments = fragments
        self.inputs = inputs
        self.args = ArgumentReader(rs, inputs)
        self.permissions = rs.permissions

    # -- collecting fields -------------------------------------------------------------

    def _included(self, node: FieldNode | FragmentSpreadNode | InlineFragmentNode) -> bool:
        for directive in node.directives or ():
            name = directive.name.value
            if name not in ("skip", "include"):
                continue
            arg = next((a for a in directive.arguments or () if a.name.value == "if"), None)
            value = bool(self.inputs.scalar(read(arg.value))) if arg is not None else False
            if (name == "skip" and value) or (name == "include" and not value):
                return False
        return True

    def collect(self, selection_set: SelectionSetNode, path: Path) -> dict[str, tuple[list[FieldNode], Path]]:
        """Response key -> (the field nodes merged under it, its error path)."""
        out: dict[str, tuple[list[FieldNode], Path]] = {}
        self._collect(selection_set, (*path, "selectionSet"), out)
        return out

    def _collect(
        self, selection_set: SelectionSetNode, path: Path, out: dict[str, tuple[list[FieldNode], Path]]
    ) -> None:
        for selection in selection_set.selections:
            if not self._included(selection):  # type: ignore[arg-type]
                continue
            if isinstance(selection, FieldNode):
                key = selection.alias.value if selection.alias else selection.name.value
                out.setdefault(key, ([], (*path, key)))[0].append(selection)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments[selection.name.value]
                self._collect(fragment.selection_set, (*path, selection.name.value, "selectionSet"), out)
            elif isinstance(selection, InlineFragmentNode):
                self._collect(selection.selection_set, path, out)

    def _sub(self, nodes: list[FieldNode]) -> SelectionSetNode:
        selections = [s for n in nodes if n.selection_set is not None for s in n.selection_set.selections]
        return SelectionSetNode(selections=tuple(selections))

    @staticmethod
    def _arguments(node: FieldNode) -> dict[str, Tree]:
        return {a.name.value: read(a.value) for a in node.arguments or ()}

    # -- the root ----------------------------------------------------------------------

    def operation(self, op: OperationDefinitionNode) -> Normalised:
        root = self.rs.schema.query_type
        assert root is not None
        fields: list[tuple[str, ir.RootField]] = []
        introspection: list[str] = []
        order: list[str] = []
        for key, (nodes, path) in self.collect(op.selection_set, ()).items():
            order.append(key)
            name = nodes[0].name.value
            if name == "__typename":
                fields.append((key, ir.Typename(root.name)))
                continue
            if name in INTROSPECTION_FIELDS:
                introspection.append(key)
                continue
            ref = self.rs.field(root.name, name)
            definition = root.fields[name]
            if isinstance(ref, sch.FunctionRoot):
                fields.append((key, self.function_root(ref, nodes, definition, path)))
                continue
            if not isinstance(ref, sch.TableRoot):
                raise QueryError("not-supported", f"the root field {name!r} is not supported yet", path=render(path))
            fields.append((key, self.table_root(ref, nodes, definition, path)))
        operation = ir.Operation(tuple(fields), self.permissions.redactions())
        return Normalised(operation, tuple(introspection), tuple(order))

    def table_root(self, ref: sch.TableRoot, nodes: list[FieldNode], field: GraphQLField, path: Path) -> ir.RootField:
        target = get_named_type(field.type)
        assert isinstance(target, GraphQLObjectType)
        args = self._arguments(nodes[0])
        permission = self.permissions.permission(ref.table)
        if ref.kind == "select":
            fields = self.object_fields(target, nodes, path)
            return ir.Select(ref.table, fields, self.select_args(args, field, path), permission=permission)
        if ref.kind == "select_aggregate":
            return self.aggregate(ref.table, target, nodes, self.select_args(args, field, path), path)
        if ref.kind == "select_by_pk":
            conditions: list[ir.BoolExp] = []
            for arg_name, value in args.items():
                col = self.rs.field(target.name, arg_name)
                assert isinstance(col, sch.ColumnField)
                param = self.inputs.param(value, col.column.type.name)
                conditions.append(ir.ColumnComparison(col.column.name, ir.CompareOp.EQ, param))
            where = conditions[0] if len(conditions) == 1 else ir.And(tuple(conditions))
            fields = self.object_fields(target, nodes, path)
            return ir.Select(ref.table, fields, ir.SelectArgs(where=where), single=True, permission=permission)
        raise QueryError("not-supported", f"{ref.kind} is not supported in queries", path=render(path))

    def function_root(
        self, ref: sch.FunctionRoot, nodes: list[FieldNode], field: GraphQLField, path: Path
    ) -> ir.RootField:
        """A tracked function: its rows, read with the permission of the table it returns."""
        target = get_named_type(field.type)
        assert isinstance(target, GraphQLObjectType)
        args = self._arguments(nodes[0])
        info = ref.function
        call = ir.FunctionCall(info.name, self.function_args(info.function, args, session=info.meta.configuration))
        permission = self.permissions.permission(ref.table)
        select_args = self.select_args(args, field, path)
        if ref.aggregate:
            return replace(self.aggregate(ref.table, target, nodes, select_args, path), source=call)
        fields = self.object_fields(target, nodes, path)
        single = not info.function.returns_set
        return ir.Select(ref.table, fields, select_args, single, permission, source=call)

    def function_args(
        self,
        fn: Any,
        args: dict[str, Tree],
        *,
        session: Any = None,
        table_argument: str | None = None,
        row: bool = False,
    ) -> tuple[ir.FunctionArg, ...]:
        """The call's arguments: the row (computed fields), the session (``session_argument``)
        and the values given in ``args`` (by name; unnamed ones positionally)."""
        given = self.inputs.open(args["args"]) if "args" in args and not self.inputs.is_null(args["args"]) else {}
        assert isinstance(given, dict)
        session_name = getattr(session, "session_argument", None)
        call: list[ir.FunctionArg] = []
        positional = True
        for i, arg in enumerate(fn.args):
            if arg not in fn.input_args:
                continue
            is_row = row and (
                (arg.name is not None and arg.name == table_argument) or (table_argument is None and i == 0)
            )
            gql_name = sch_function_arg_name(fn, i)
            name = arg.name if arg.name else None
            if is_row:
                value: ir.Param | ir.TableRow = ir.TableRow()
            elif arg.name is not None and arg.name == session_name:
                value = ir.Param(ir.SessionObject(), ir.values.JSON)
            elif gql_name in given:
                value = self.inputs.param(given[gql_name], arg.type.name)
            else:
                positional = False  # a defaulted argument left out: later ones go by name
                continue
            if name is None and not positional:
                raise QueryError("not-supported", "unnamed arguments after a defaulted argument", path="$")
            call.append(ir.FunctionArg(value, None if positional else name))
        return tuple(call)

    def select_args(self, args: dict[str, Tree], field: GraphQLField, path: Path) -> ir.SelectArgs:
        here = (*path, "args")
        where = None
        if "where" in args:
            where = self.args.where(args["where"], field.args["where"].type, (*here, "where"))
            if isinstance(where, ir.BoolTrue):
                where = None
        order_by = (
            self.args.order_by(args["order_by"], field.args["order_by"].type, (*here, "order_by"))
            if "order_by" in args
            else ()
        )
        distinct = (
            self.args.distinct_on(args["distinct_on"], field.args["distinct_on"].type) if "distinct_on" in args else ()
        )
        if distinct and order_by:
            lead = [o.target for o in order_by[: len(distinct)]]
            columns = {t.column for t in lead if isinstance(t, ir.ColumnOrder)}
            if len(lead) < len(distinct) or columns != set(distinct) or len(columns) != len(lead):
                raise QueryError(
                    "validation-failed",
                    '"distinct_on" columns must match initial "order_by" columns',
                    path=render(here),
                )
        limit = self.args.count(args["limit"], (*here, "limit")) if "limit" in args else None
        offset = self.args.count(args["offset"], (*here, "offset")) if "offset" in args else None
        return ir.SelectArgs(where, order_by, limit, offset, distinct)

    # -- objects -----------------------------------------------------------------------

    def object_fields(self, t: GraphQLObjectType, nodes: list[FieldNode], path: Path) -> tuple[ir.Field, ...]:
        out: list[ir.Field] = []
        for key, (sub, here) in self.collect(self._sub(nodes), path).items():
            out.append(ir.Field(key, self.node(t, sub, here)))
        return tuple(out)

    def node(self, t: GraphQLObjectType, nodes: list[FieldNode], path: Path) -> ir.Node:
        name = nodes[0].name.value
        if name == "__typename":
            return ir.Typename(t.name)
        ref = self.rs.field(t.name, name)
        field = t.fields[name]
        args = self._arguments(nodes[0])
        if isinstance(ref, sch.ColumnField):
            json_path = None
            if "path" in args and not self.inputs.is_null(args["path"]):
                json_path = ir.literal(_json_path(self.inputs.scalar(args["path"])), ir.values.TEXT, array=True)
            return ir.ColumnField(ref.column.name, ref.column.type, json_path)
        if isinstance(ref, sch.RelationshipField):
            rel = ref.relationship
            target = get_named_type(field.type)
            assert isinstance(target, GraphQLObjectType)
            if ref.aggregate:
                agg = self.aggregate(rel.remote_table, target, nodes, self.select_args(args, field, path), path)
                return ir.ArrayAggregate(rel.mapping, agg)
            fields = self.object_fields(target, nodes, path)
            permission = self.permissions.permission(rel.remote_table)
            if rel.kind == "object":
                select = ir.Select(rel.remote_table, fields, single=True, permission=permission)
                return ir.ObjectRelationship(rel.mapping, select)
            select = ir.Select(rel.remote_table, fields, self.select_args(args, field, path), permission=permission)
            return ir.ArrayRelationship(rel.mapping, select)
        if isinstance(ref, sch.ComputedField) and ref.returns_table is None:
            return self.computed(ref, args, path)
        if isinstance(ref, sch.ComputedField):
            return self.computed_rows(ref, nodes, field, args, path)
        raise QueryError("not-supported", f"the field {name!r} is not supported yet", path=render(path))

    def computed_rows(
        self, ref: sch.ComputedField, nodes: list[FieldNode], field: GraphQLField, args: dict[str, Tree], path: Path
    ) -> ir.Node:
        """A computed field returning rows of a table: like a relationship, read through the
        function called with the parent row."""
        info = ref.computed_field
        table = ref.returns_table
        assert table is not None
        target = get_named_type(field.type)
        assert isinstance(target, GraphQLObjectType)
        call_args = self.function_args(info.function, args, session=info, table_argument=info.table_argument, row=True)
        call = ir.FunctionCall(info.function.name, call_args)
        permission = self.permissions.permission(table)
        fields = self.object_fields(target, nodes, path)
        if not info.function.returns_set:
            return ir.ObjectRelationship((), ir.Select(table, fields, single=True, permission=permission, source=call))
        select_args = self.select_args(args, field, path)
        return ir.ArrayRelationship((), ir.Select(table, fields, select_args, permission=permission, source=call))

    def computed(self, ref: sch.ComputedField, args: dict[str, Tree], path: Path) -> ir.ComputedField:
        info = ref.computed_field
        fn = info.function
        given = self.inputs.open(args["args"]) if "args" in args else {}
        assert isinstance(given, dict)
        call: list[ir.FunctionArg] = []
        for i, arg in enumerate(fn.args):
            if (arg.name is not None and arg.name == info.table_argument) or (info.table_argument is None and i == 0):
                call.append(ir.FunctionArg(ir.TableRow(), arg.name))
            elif arg.name is not None and arg.name == info.session_argument:
                call.append(ir.FunctionArg(ir.Param(ir.SessionObject(), ir.values.JSON), arg.name))
            elif arg.name is not None and arg.name in given:
                call.append(ir.FunctionArg(self.inputs.param(given[arg.name], arg.type.name), arg.name))
        return ir.ComputedField(fn.name, tuple(call), fn.return_type, info.name)

    # -- aggregates --------------------------------------------------------------------

    def aggregate(
        self, table: Any, t: GraphQLObjectType, nodes: list[FieldNode], args: ir.SelectArgs, path: Path
    ) -> ir.AggregateSelect:
        parts: list[tuple[str, ir.Aggregate | ir.Nodes | ir.Typename]] = []
        for key, (sub, here) in self.collect(self._sub(nodes), path).items():
            name = sub[0].name.value
            if name == "__typename":
                parts.append((key, ir.Typename(t.name)))
                continue
            sub_type = get_named_type(t.fields[name].type)
            assert isinstance(sub_type, GraphQLObjectType)
            if name == "nodes":
                parts.append((key, ir.Nodes(self.object_fields(sub_type, sub, here))))
            else:
                parts.append((key, self.aggregate_fields(sub_type, sub, here)))
        return ir.AggregateSelect(table, tuple(parts), args, self.permissions.permission(table))

    def aggregate_fields(self, t: GraphQLObjectType, nodes: list[FieldNode], path: Path) -> ir.Aggregate:
        out: list[tuple[str, ir.Count | ir.AggregateOp | ir.Typename]] = []
        for key, (sub, here) in self.collect(self._sub(nodes), path).items():
            name = sub[0].name.value
            if name == "__typename":
                out.append((key, ir.Typename(t.name)))
                continue
            ref = self.rs.field(t.name, name)
            assert isinstance(ref, sch.AggregateFunction)
            if ref.op == "count":
                args = self._arguments(sub[0])
                columns: tuple[str, ...] = ()
                if "columns" in args and not self.inputs.is_null(args["columns"]):
                    enum = get_named_type(t.fields[name].args["columns"].type)
                    assert isinstance(enum, GraphQLEnumType)
                    listed = self.inputs.open(args["columns"])
                    items = listed if isinstance(listed, list) else [listed]
                    columns = tuple(str(self.inputs.enum(i, enum)) for i in items)
                distinct = bool(self.inputs.scalar(args["distinct"])) if "distinct" in args else False
                out.append((key, ir.Count(columns, distinct)))
                continue
            op_type = get_named_type(t.fields[name].type)
            assert isinstance(op_type, GraphQLObjectType)
            cols: list[tuple[str, ir.AggregateColumn | ir.Typename]] = []
            for col_key, (col_nodes, _) in self.collect(self._sub(sub), here).items():
                col_name = col_nodes[0].name.value
                if col_name == "__typename":
                    cols.append((col_key, ir.Typename(op_type.name)))
                    continue
                col_ref = self.rs.field(op_type.name, col_name)
                assert isinstance(col_ref, sch.AggregateColumn)
                cols.append((col_key, ir.AggregateColumn(col_ref.column.name, col_ref.column.type)))
            out.append((key, ir.AggregateOp(ir.AggregateFunction(ref.op), tuple(cols))))
        return ir.Aggregate(tuple(out))


def _json_path(text: Any) -> list[str | int]:
    """``$.a.b[0]`` (the ``$.`` is optional) -> the steps of ``#>``."""
    raw = str(text)
    if raw.startswith("$"):
        raw = raw[1:]
    steps: list[str | int] = []
    for part in raw.replace("[", ".[").split("."):
        if not part:
            continue
        if part.startswith("[") and part.endswith("]"):
            inner = part[1:-1].strip("'\"")
            steps.append(int(inner) if inner.isdigit() else inner)
        else:
            steps.append(part)
    return steps
