"""A validated mutation operation -> ``ir.MutationOperation``.

Fields are collected as for queries (``Normaliser.collect``); each root field is mapped
through ``RoleSchema.fields`` to the table and kind of write it stands for. ``returning``
and the rows of ``insert_<t>_one`` / ``_by_pk`` are read with the query normaliser, so they
get the same fields and the same select permissions as a query.

The role's rules (``livegres.permissions``) fill the permission fields of the IR: the insert
``check`` and ``set`` presets; the update ``filter``, ``check`` and ``set``; the delete
``filter``; and, for ``on_conflict``, the update permission's (an upsert needs one).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLObjectType,
    OperationDefinitionNode,
    get_named_type,
)

from livegres import catalog as cat
from livegres import ir
from livegres import schema as sch
from livegres.errors import QueryError
from livegres.graphql.inputs import Inputs, Lit, Tree, Var, read
from livegres.graphql.normalize import Normaliser
from livegres.graphql.paths import Path, render
from livegres.ir import mutation as mu
from livegres.ir.values import JSONB, TEXT
from livegres.metadata import model as m
from livegres.permissions import compile_filter, is_session_variable
from livegres.schema.lookup import MutationResponse, MutationRoot
from livegres.schema.mutation.rules import mutation_rules

_UPDATE_OPS = {op.value: op for op in mu.UpdateOp}
_INT4 = cat.QualifiedName("pg_catalog", "int4")
_NO_OUTPUT = mu.Output()


def _named_input(t: Any) -> GraphQLInputObjectType:
    named = get_named_type(t)
    assert isinstance(named, GraphQLInputObjectType), named
    return named


def _named_object(t: Any) -> GraphQLObjectType:
    named = get_named_type(t)
    assert isinstance(named, GraphQLObjectType), named
    return named


Shape = tuple[str, tuple[str | int, ...], str]
"""A part of a variable a plan read for its structure: (variable, path, ``keys`` | ``len`` |
``value``)."""


class ShapeInputs(Inputs):
    """``Inputs`` that record what a plan read of a variable opened for its structure: the keys
    of an object, the length of a list, a scalar's value (``shapes``). A mutation's objects
    usually come whole in a variable (``objects: $objects``); their keys shape the SQL and their
    values are parameters, so plans are keyed by those shapes, not by every value."""

    def __init__(self, variables: Mapping[str, Any]) -> None:
        super().__init__(variables)
        self.shapes: set[Shape] = set()

    def open(self, tree: Tree) -> Tree:
        if not isinstance(tree, Var):
            return tree
        value = _walk(self.variables.get(tree.name), tree.path)
        if isinstance(value, dict):
            self.shapes.add((tree.name, tree.path, "keys"))
            return {k: Var(tree.name, (*tree.path, k)) for k in value}
        if isinstance(value, list):
            self.shapes.add((tree.name, tree.path, "len"))
            return [Var(tree.name, (*tree.path, i)) for i in range(len(value))]
        self.shapes.add((tree.name, tree.path, "value"))
        return Lit(value)


class _Missing:
    """A path that does not exist in these variables (another shape than the plan's)."""


_MISSING = _Missing()


def _walk(value: Any, path: tuple[str | int, ...]) -> Any:
    for step in path:
        if value is None:
            return None
        try:
            value = value[step]
        except (KeyError, IndexError, TypeError):
            return _MISSING
    return value


def shape_of(read: Shape, variables: Mapping[str, Any]) -> Any:
    """What ``read`` saw in ``variables``: the part of the plan cache key it stands for."""
    name, path, kind = read
    value = _walk(variables.get(name), path)
    if kind == "keys":
        return ("keys", tuple(value)) if isinstance(value, dict) else ("not", type(value).__name__)
    if kind == "len":
        return ("len", len(value)) if isinstance(value, list) else ("not", type(value).__name__)
    return ("value", type(value).__name__, repr(value))


class MutationNormaliser:
    def __init__(self, rs: sch.RoleSchema, fragments: Mapping[str, FragmentDefinitionNode], inputs: Inputs) -> None:
        self.rs = rs
        self.inputs = inputs
        self.n = Normaliser(rs, fragments, inputs)
        self.cache = rs.permissions.cache

    # -- permissions -------------------------------------------------------------------

    def _rules(self, table: cat.QualifiedName) -> m.RolePermissions | None:
        """The role's permissions on ``table``; None for admin."""
        if self.cache is None:
            return None
        return mutation_rules(self.cache, self.rs.role, table)

    def _filter(self, table: cat.QualifiedName, expr: Mapping[str, Any] | None) -> ir.BoolExp | None:
        if self.cache is None or expr is None:
            return None
        exp = compile_filter(self.cache, table, expr)
        return None if isinstance(exp, ir.BoolTrue) else exp

    def _presets(self, table: cat.QualifiedName, presets: Mapping[str, Any] | None) -> tuple[tuple[str, ir.Param], ...]:
        if self.cache is None or not presets:
            return ()
        columns = self.cache.tables[table].table.columns
        out: list[tuple[str, ir.Param]] = []
        for column, value in presets.items():
            pg_type = columns[column].type.name
            if is_session_variable(value):
                out.append((column, ir.session(str(value), pg_type)))
            else:
                out.append((column, ir.literal(value, pg_type)))
        return tuple(out)

    def _select_filter(self, table: cat.QualifiedName) -> ir.BoolExp | None:
        """The written rows are answered whatever the select filter says (as Hasura does):
        the role sees only the columns and relationships it may select."""
        return None

    # -- the root ----------------------------------------------------------------------

    def operation(self, op: OperationDefinitionNode) -> tuple[mu.MutationOperation, tuple[str, ...]]:
        root = self.rs.schema.mutation_type
        assert root is not None
        fields: list[tuple[str, mu.MutationField]] = []
        for key, (nodes, path) in self.n.collect(op.selection_set, ()).items():
            name = nodes[0].name.value
            if name == "__typename":
                fields.append((key, ir.Typename(root.name)))
                continue
            ref = self.rs.field(root.name, name)
            if not isinstance(ref, MutationRoot):
                raise QueryError("not-supported", f"the mutation field {name!r} is not supported", path=render(path))
            fields.append((key, self.root_field(ref, nodes, root.fields[name], path)))
        return mu.MutationOperation(tuple(fields)), tuple(k for k, _ in fields)

    def root_field(
        self, ref: MutationRoot, nodes: list[FieldNode], field: GraphQLField, path: Path
    ) -> mu.MutationField:
        args = {a.name.value: _read(a) for a in nodes[0].arguments or ()}
        here = (*path, "args")
        kind = ref.kind
        if kind in ("insert", "insert_one"):
            return self.insert(ref.table, args, field, nodes, path, one=kind == "insert_one")
        if kind in ("update", "update_by_pk"):
            where = self._where_or_pk(ref.table, args, field, here, by_pk=kind == "update_by_pk")
            output = self.output(ref.table, field, nodes, path, single=kind == "update_by_pk")
            return self.update(ref.table, args, field, where, output, here)
        if kind == "update_many":
            listed = self.inputs.open(args["updates"])
            items = listed if isinstance(listed, list) else [listed]
            updates_type = _named_input(field.args["updates"].type)
            output = self.output(ref.table, field, nodes, path, single=False)
            out: list[mu.Update] = []
            for i, item in enumerate(items):
                spec = self.inputs.open(item)
                assert isinstance(spec, dict)
                at = (*here, "updates", i)
                where = self.n.args.where(spec["where"], updates_type.fields["where"].type, (*at, "where"))
                out.append(self.update(ref.table, spec, updates_type, where, output, at))
            return mu.UpdateMany(tuple(out))
        where = self._where_or_pk(ref.table, args, field, here, by_pk=kind == "delete_by_pk")
        output = self.output(ref.table, field, nodes, path, single=kind == "delete_by_pk")
        rules = self._rules(ref.table)
        delete = rules.delete.permission if rules is not None and rules.delete is not None else None
        return mu.Delete(ref.table, where, self._filter(ref.table, delete.filter if delete else None), output)

    def _where_or_pk(
        self, table: cat.QualifiedName, args: dict[str, Tree], field: GraphQLField, path: Path, *, by_pk: bool
    ) -> ir.BoolExp:
        if not by_pk:
            return self.n.args.where(args["where"], field.args["where"].type, (*path, "where"))
        if "pk_columns" in args:
            values = self.inputs.open(args["pk_columns"])
            assert isinstance(values, dict)
            type_name = _named_input(field.args["pk_columns"].type).name
        else:
            values = args
            type_name = _named_object(field.type).name
        conditions: list[ir.BoolExp] = []
        for key, value in values.items():
            col = self.rs.field(type_name, key)
            assert isinstance(col, sch.ColumnField), (type_name, key)
            param = self.inputs.param(value, col.column.type.name)
            conditions.append(ir.ColumnComparison(col.column.name, ir.CompareOp.EQ, param))
        return conditions[0] if len(conditions) == 1 else ir.And(tuple(conditions))

    # -- output ------------------------------------------------------------------------

    def output(
        self, table: cat.QualifiedName, field: GraphQLField, nodes: list[FieldNode], path: Path, *, single: bool
    ) -> mu.Output:
        target = _named_object(field.type)
        select_filter = self._select_filter(table)
        if single:
            return mu.Output(single=self.n.object_fields(target, nodes, path), single_filter=select_filter)
        response: list[tuple[str, mu.ResponseNode]] = []
        sub = self.n._sub(nodes)
        for key, (sub_nodes, here) in self.n.collect(sub, path).items():
            name = sub_nodes[0].name.value
            if name == "__typename":
                response.append((key, ir.Typename(target.name)))
                continue
            ref = self.rs.field(target.name, name)
            assert isinstance(ref, MutationResponse)
            if ref.part == "affected_rows":
                response.append((key, mu.AffectedRows()))
            else:
                row_type = _named_object(target.fields[name].type)
                response.append((key, mu.Returning(self.n.object_fields(row_type, sub_nodes, here), select_filter)))
        return mu.Output(tuple(response))

    # -- insert ------------------------------------------------------------------------

    def insert(
        self,
        table: cat.QualifiedName,
        args: dict[str, Tree],
        field: GraphQLField,
        nodes: list[FieldNode],
        path: Path,
        *,
        one: bool,
    ) -> mu.Insert:
        here = (*path, "args")
        if one:
            input_type = _named_input(field.args["object"].type)
            items: list[tuple[Tree, Path]] = [(args["object"], (*here, "object"))]
        else:
            input_type = _named_input(field.args["objects"].type)
            listed = self.inputs.open(args["objects"])
            parts = listed if isinstance(listed, list) else [listed]
            items = [(p, (*here, "objects", i)) for i, p in enumerate(parts)]
        conflict_type = field.args["on_conflict"].type if "on_conflict" in field.args else None
        output = self.output(table, field, nodes, path, single=one)
        return self.insert_rows(
            table, input_type, items, args.get("on_conflict"), conflict_type, (*here, "on_conflict"), output
        )

    def insert_rows(
        self,
        table: cat.QualifiedName,
        input_type: GraphQLInputObjectType,
        items: list[tuple[Tree, Path]],
        conflict: Tree | None,
        conflict_type: Any,
        conflict_path: Path,
        output: mu.Output = _NO_OUTPUT,
        fixed: frozenset[str] = frozenset(),
    ) -> mu.Insert:
        rows = tuple(self.row(table, input_type, tree, at, fixed) for tree, at in items)
        rules = self._rules(table)
        insert = rules.insert.permission if rules is not None and rules.insert is not None else None
        check = self._filter(table, insert.check if insert is not None else None)
        presets = self._presets(table, insert.set if insert is not None else None)
        on_conflict = None
        if conflict is not None and not self.inputs.is_null(conflict):
            on_conflict = self.on_conflict(table, conflict, conflict_type, conflict_path)
        return mu.Insert(table, rows, on_conflict, check, presets, output)

    def row(
        self,
        table: cat.QualifiedName,
        input_type: GraphQLInputObjectType,
        tree: Tree,
        path: Path,
        fixed: frozenset[str],
    ) -> mu.InsertRow:
        obj = self.inputs.open(tree)
        assert isinstance(obj, dict), obj
        values: list[tuple[str, ir.Param]] = []
        parents: list[mu.NestedInsert] = []
        children: list[mu.NestedInsert] = []
        for key, value in obj.items():
            ref = self.rs.field(input_type.name, key)
            if isinstance(ref, sch.ColumnField):
                values.append((ref.column.name, self.inputs.param(value, ref.column.type.name)))
            elif isinstance(ref, sch.RelationshipField):
                if self.inputs.is_null(value):
                    continue
                nested = self.nested(ref, input_type.fields[key].type, value, (*path, key))
                (parents if ref.relationship.kind == "object" else children).append(nested)
        given = {c for c, _ in values}
        clash = sorted(given & fixed)
        if clash:
            columns = ", ".join(f'"{c}"' for c in clash)
            raise QueryError(
                "validation-failed",
                f"cannot insert {columns} columns as their values are already being determined by parent insert",
                path=render(path),
            )
        for parent in parents:
            determined = sorted(given & {local for local, _ in parent.mapping})
            if determined:
                columns = ", ".join(f'"{c}"' for c in determined)
                raise QueryError(
                    "validation-failed",
                    f'cannot insert object relationship "{parent.relationship}" as {columns} column values '
                    "are already determined",
                    path=render((*path, parent.relationship)),
                )
        return mu.InsertRow(tuple(values), tuple(parents), tuple(children))

    def nested(self, ref: sch.RelationshipField, rel_type: Any, tree: Tree, path: Path) -> mu.NestedInsert:
        rel = ref.relationship
        spec = self.inputs.open(tree)
        assert isinstance(spec, dict)
        spec_type = _named_input(rel_type)
        data_type = _named_input(spec_type.fields["data"].type)
        conflict_type = spec_type.fields["on_conflict"].type if "on_conflict" in spec_type.fields else None
        if rel.kind == "object":
            items: list[tuple[Tree, Path]] = [(spec["data"], (*path, "data"))]
            fixed: frozenset[str] = frozenset()
        else:
            listed = self.inputs.open(spec["data"])
            parts = listed if isinstance(listed, list) else [listed]
            items = [(p, (*path, "data", i)) for i, p in enumerate(parts)]
            fixed = frozenset(remote for _, remote in rel.mapping)
        insert = self.insert_rows(
            rel.remote_table,
            data_type,
            items,
            spec.get("on_conflict"),
            conflict_type,
            (*path, "on_conflict"),
            fixed=fixed,
        )
        return mu.NestedInsert(rel.name, rel.mapping, insert)

    def on_conflict(self, table: cat.QualifiedName, tree: Tree, t: Any, path: Path) -> mu.OnConflict:
        spec = self.inputs.open(tree)
        assert isinstance(spec, dict)
        conflict_type = _named_input(t)
        constraint_enum = get_named_type(conflict_type.fields["constraint"].type)
        column_enum = get_named_type(conflict_type.fields["update_columns"].type)
        assert isinstance(constraint_enum, GraphQLEnumType) and isinstance(column_enum, GraphQLEnumType)
        constraint = str(self.inputs.enum(spec["constraint"], constraint_enum))
        columns: tuple[str, ...] = ()
        if "update_columns" in spec and not self.inputs.is_null(spec["update_columns"]):
            listed = self.inputs.open(spec["update_columns"])
            items = listed if isinstance(listed, list) else [listed]
            columns = tuple(str(self.inputs.enum(i, column_enum)) for i in items)
            if "_PLACEHOLDER" in columns:
                where_ = render((*path, "update_columns"))
                raise QueryError("validation-failed", "erroneous column name", path=where_)
        where = None
        if "where" in spec and not self.inputs.is_null(spec["where"]):
            where = self.n.args.where(spec["where"], conflict_type.fields["where"].type, (*path, "where"))
            if isinstance(where, ir.BoolTrue):
                where = None
        rules = self._rules(table)
        update = rules.update.permission if rules is not None and rules.update is not None else None
        if rules is not None and update is None and columns:
            raise QueryError(
                "permission-error", "upsert is not allowed without an update permission", path=render(path)
            )
        return mu.OnConflict(
            constraint,
            columns,
            where,
            self._filter(table, update.filter if update else None),
            self._filter(table, update.check if update else None),
            self._presets(table, update.set if update else None) if columns else (),
        )

    # -- update ------------------------------------------------------------------------

    def update(
        self,
        table: cat.QualifiedName,
        args: Mapping[str, Tree],
        owner: GraphQLField | GraphQLInputObjectType,
        where: ir.BoolExp,
        output: mu.Output,
        path: Path,
    ) -> mu.Update:
        arg_types = owner.args if isinstance(owner, GraphQLField) else owner.fields
        updates: list[mu.ColumnUpdate] = []
        seen: dict[str, list[str]] = {}
        for op_name, op in _UPDATE_OPS.items():
            if op_name not in args or self.inputs.is_null(args[op_name]):
                continue
            obj = self.inputs.open(args[op_name])
            assert isinstance(obj, dict)
            op_type = _named_input(arg_types[op_name].type)
            for key, value in obj.items():
                ref = self.rs.field(op_type.name, key)
                assert isinstance(ref, sch.ColumnField)
                column = ref.column
                seen.setdefault(column.name, []).append(op_name)
                updates.append(mu.ColumnUpdate(column.name, op, self._operand(op, column, value)))
        repeated = {c: ops for c, ops in seen.items() if len(ops) > 1}
        if repeated:
            detail = ". ".join(f'"{c}" in {", ".join(ops)}' for c, ops in repeated.items())
            raise QueryError("validation-failed", f"column found in multiple operators; {detail}", path="$")
        rules = self._rules(table)
        permission = rules.update.permission if rules is not None and rules.update is not None else None
        if permission is not None:
            presets = self._presets(table, permission.set)
            preset_columns = {c for c, _ in presets}
            updates = [u for u in updates if u.column not in preset_columns]
            updates += [mu.ColumnUpdate(c, mu.UpdateOp.SET, p) for c, p in presets]
        filter_ = self._filter(table, permission.filter if permission else None)
        check = self._filter(table, permission.check if permission else None)
        return mu.Update(table, where, tuple(updates), filter_, check, output)

    def _operand(self, op: mu.UpdateOp, column: cat.Column, value: Tree) -> ir.Param:
        if op is mu.UpdateOp.DELETE_KEY:
            return self.inputs.param(value, TEXT)
        if op is mu.UpdateOp.DELETE_ELEM:
            return self.inputs.param(value, _INT4)
        if op is mu.UpdateOp.DELETE_AT_PATH:
            return self.inputs.param(value, TEXT, array=True)
        if op in (mu.UpdateOp.APPEND, mu.UpdateOp.PREPEND):
            return self.inputs.param(value, JSONB)
        return self.inputs.param(value, column.type.name)


def _read(arg: Any) -> Tree:
    return read(arg.value)
