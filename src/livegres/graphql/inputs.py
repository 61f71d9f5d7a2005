"""Argument values during normalisation: literals, variables, and which variables shaped the plan.

An argument is read into a tree of plain ``dict``/``list`` holding two kinds of leaves:
``Lit`` (a value written in the query) and ``Var`` (a GraphQL variable, or a part of one).
Where a value only fills a parameter slot (a comparison's right side, ``limit``, a
``_by_pk`` key), a ``Var`` becomes ``ir.values.variable(name, type, *path)`` and its value is
bound at run time, so every set of values shares one compiled plan. Where a value decides
the *shape* of the SQL (``where: $w``, ``order_by``, ``distinct_on``, ``@skip(if: $s)``),
the normaliser ``open``s the variable: it reads the value and records the variable's name
in ``Inputs.opened``. The plan cache then keys on the values of the opened variables.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    BooleanValueNode,
    EnumValueNode,
    FloatValueNode,
    GraphQLEnumType,
    IntValueNode,
    ListValueNode,
    NullValueNode,
    ObjectValueNode,
    StringValueNode,
    ValueNode,
    VariableNode,
)

from livegres import ir
from livegres.catalog.model import QualifiedName


@dataclass(frozen=True, slots=True)
class Lit:
    value: Any


@dataclass(frozen=True, slots=True)
class Var:
    name: str
    path: tuple[str | int, ...] = ()


Tree = Any
"""dict[str, Tree] | list[Tree] | Lit | Var"""


def _plain(node: ValueNode) -> Any:
    if isinstance(node, IntValueNode):
        return int(node.value)
    if isinstance(node, FloatValueNode):
        return float(node.value)
    if isinstance(node, StringValueNode | EnumValueNode):
        return node.value
    if isinstance(node, BooleanValueNode):
        return node.value
    if isinstance(node, NullValueNode):
        return None
    raise TypeError(f"not a scalar value node: {node.kind}")


def read(node: ValueNode) -> Tree:
    """The tree of an argument's AST value."""
    if isinstance(node, VariableNode):
        return Var(node.name.value)
    if isinstance(node, ObjectValueNode):
        return {f.name.value: read(f.value) for f in node.fields}
    if isinstance(node, ListValueNode):
        return [read(v) for v in node.values]
    return Lit(_plain(node))


class Inputs:
    """The coerced variables of one request, and the ones the plan depends on."""

    def __init__(self, variables: Mapping[str, Any]) -> None:
        self.variables = variables
        self.opened: set[str] = set()

    def _value(self, var: Var) -> Any:
        self.opened.add(var.name)
        value = self.variables.get(var.name)
        for step in var.path:
            if value is None:
                return None
            value = value[step]
        return value

    def open(self, tree: Tree) -> Tree:
        """One level of ``tree`` with a variable replaced by its structure: a dict or list whose
        children are variable parts, or a ``Lit`` of the variable's scalar value."""
        if not isinstance(tree, Var):
            return tree
        value = self._value(tree)
        if isinstance(value, dict):
            return {k: Var(tree.name, (*tree.path, k)) for k in value}
        if isinstance(value, list):
            return [Var(tree.name, (*tree.path, i)) for i in range(len(value))]
        return Lit(value)

    def scalar(self, tree: Tree) -> Any:
        """A structural scalar (``if:``, a column name, an ``order_by`` direction)."""
        opened = self.open(tree)
        return opened.value if isinstance(opened, Lit) else opened

    def enum(self, tree: Tree, enum_type: GraphQLEnumType) -> Any:
        """An enum's internal value: literals are spelled by name, variables come coerced."""
        if isinstance(tree, Lit):
            found = enum_type.values.get(tree.value)
            return tree.value if found is None else found.value
        return self.scalar(tree)

    def is_null(self, tree: Tree) -> bool:
        if isinstance(tree, Lit):
            return tree.value is None
        if isinstance(tree, Var):
            return self.scalar(tree) is None
        return False

    def materialise(self, tree: Tree) -> Any:
        """The whole value (for a JSON literal that mixes variables in): opens what it meets."""
        if isinstance(tree, Lit):
            return tree.value
        if isinstance(tree, Var):
            return self._value(tree)
        if isinstance(tree, dict):
            return {k: self.materialise(v) for k, v in tree.items()}
        if isinstance(tree, list):
            return [self.materialise(v) for v in tree]
        return tree

    def param(self, tree: Tree, pg_type: QualifiedName, *, array: bool = False) -> ir.Param:
        """A parameter slot for a value that does not change the SQL."""
        if isinstance(tree, Var):
            return ir.variable(tree.name, pg_type, *tree.path, array=array)
        if isinstance(tree, Lit):
            return ir.literal(tree.value, pg_type, array=array)
        if array and isinstance(tree, list) and all(isinstance(t, Lit | Var) for t in tree):
            items = tuple(ir.Literal(t.value) if isinstance(t, Lit) else ir.Variable(t.name, t.path) for t in tree)
            return ir.Param(ir.ListOf(items), pg_type, array)
        return ir.literal(self.materialise(tree), pg_type, array=array)
