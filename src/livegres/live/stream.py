"""Streaming subscriptions: ``<t>_stream(batch_size:, cursor: [{initial_value:, ordering:}],
where:)``, with the server holding each subscriber's cursor.

A streaming field is rewritten into a live query over the table's select field::

    t_stream(batch_size: 2, cursor: {initial_value: {id: 10}, ordering: ASC}, where: W) { ... }
    ->  t(where: {_and: [W, {id: {_gt: $__livegres_cursor}}]}, order_by: {id: asc}, limit: 2)
          { ... __livegres_cursor: id }

so that it runs through the ordinary path (validation, permissions, multiplexing, the change
feed). The subscriber's cursor is a variable: each cohort is a set of subscribers at the same
position. When a batch arrives, the subscriber gets its rows (without the cursor column added
for it), and once it has taken them, it moves to the cohort after the last row. As in Hasura,
only batches with rows are sent. Batches are never dropped: a slow client holds the cursor
back instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    ArgumentNode,
    EnumValueNode,
    FieldNode,
    GraphQLObjectType,
    IntValueNode,
    ListValueNode,
    NamedTypeNode,
    NameNode,
    ObjectFieldNode,
    ObjectValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableDefinitionNode,
    VariableNode,
    get_named_type,
    print_ast,
)
from graphql.utilities import value_from_ast

from livegres import schema as sch
from livegres.errors import QueryError
from livegres.graphql import GraphQLRequest
from livegres.graphql.engine import Document

CURSOR_VARIABLE = "__livegres_cursor"
CURSOR_FIELD = "__livegres_cursor"


@dataclass(frozen=True, slots=True)
class StreamPlan:
    request: GraphQLRequest
    """The rewritten live query; its variables lack the cursor."""
    alias: str
    cursor: Any
    """The initial cursor value."""


def _name(value: str) -> NameNode:
    return NameNode(value=value)


def _obj(**fields: Any) -> ObjectValueNode:
    return ObjectValueNode(fields=tuple(ObjectFieldNode(name=_name(k), value=v) for k, v in fields.items()))


def plan_stream(doc: Document, variables: Mapping[str, Any], request: GraphQLRequest) -> StreamPlan | None:
    """The live query a streaming subscription becomes, or None when it is not one."""
    op = doc.operation
    rs = doc.schema
    root = rs.schema.subscription_type
    if root is None:
        return None
    fields = [s for s in op.selection_set.selections if isinstance(s, FieldNode)]
    if len(fields) != 1 or len(op.selection_set.selections) != 1:
        return None
    node = fields[0]
    ref = rs.field(root.name, node.name.value)
    if not isinstance(ref, sch.TableRoot) or ref.kind != "select_stream":
        return None
    select_name = next(
        (
            name
            for name in root.fields
            if isinstance(found := rs.field(root.name, name), sch.TableRoot)
            and found.kind == "select"
            and found.table == ref.table
        ),
        None,
    )
    if select_name is None:
        raise QueryError("not-supported", "streaming needs the select root field of the table", path="$")
    definition = root.fields[node.name.value]
    args = {a.name.value: a for a in node.arguments or ()}
    batch_size = value_from_ast(args["batch_size"].value, definition.args["batch_size"].type, dict(variables))
    cursors = value_from_ast(args["cursor"].value, definition.args["cursor"].type, dict(variables))
    if not isinstance(cursors, list):
        cursors = [cursors]
    if not isinstance(batch_size, int) or batch_size < 0:
        raise QueryError("validation-failed", "expected a non-negative batch_size", path="$.selectionSet")
    if len(cursors) != 1 or not isinstance(cursors[0], dict) or len(cursors[0].get("initial_value") or {}) != 1:
        raise QueryError("validation-failed", "one cursor column is expected", path="$.selectionSet")
    ((column, initial),) = cursors[0]["initial_value"].items()
    descending = cursors[0].get("ordering") == "DESC"
    target = get_named_type(definition.type)
    assert isinstance(target, GraphQLObjectType)
    column_type = get_named_type(target.fields[column].type)

    cursor_var = VariableNode(name=_name(CURSOR_VARIABLE))
    condition = _obj(**{column: _obj(**{"_lt" if descending else "_gt": cursor_var})})
    conditions: list[Any] = [condition]
    if "where" in args:
        conditions.insert(0, args["where"].value)
    new_args = [
        ArgumentNode(name=_name("where"), value=_obj(_and=ListValueNode(values=tuple(conditions)))),
        ArgumentNode(
            name=_name("order_by"),
            value=_obj(**{column: _enum("desc" if descending else "asc")}),
        ),
        ArgumentNode(name=_name("limit"), value=IntValueNode(value=str(batch_size))),
    ]
    selections = (*node.selection_set.selections, FieldNode(alias=_name(CURSOR_FIELD), name=_name(column)))  # type: ignore[union-attr]
    alias = (node.alias or node.name).value
    field = FieldNode(
        alias=_name(alias),
        name=_name(select_name),
        arguments=tuple(new_args),
        directives=node.directives,
        selection_set=SelectionSetNode(selections=selections),
    )
    definitions = (
        *(op.variable_definitions or ()),
        VariableDefinitionNode(variable=cursor_var, type=NamedTypeNode(name=_name(column_type.name)), directives=()),
    )
    rewritten = OperationDefinitionNode(
        operation=op.operation,
        name=op.name,
        variable_definitions=definitions,
        directives=op.directives,
        selection_set=SelectionSetNode(selections=(field,)),
    )
    text = "\n".join(print_ast(d) for d in (rewritten, *doc.fragments.values()))
    return StreamPlan(GraphQLRequest(text, dict(request.variables or {}), request.operation_name), alias, initial)


def _enum(value: str) -> EnumValueNode:
    return EnumValueNode(value=value)
