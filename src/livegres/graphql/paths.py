"""Where a node of a GraphQL document is, as Hasura writes it in ``extensions.path``.

Hasura reports a position inside the selected operation as a JSONPath:
``$.selectionSet.author.selectionSet.name`` for a field (its response key),
``$.selectionSet.author.args.where.name._eq`` inside an argument, and fragment spreads as
their name followed by the fragment's ``selectionSet``. ``index_paths`` walks an operation
once and maps every AST node it meets to its path; a node reached through several fragment
spreads keeps the first path found.
"""

from __future__ import annotations

from collections.abc import Mapping

from graphql import (
    ArgumentNode,
    DirectiveNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    ListValueNode,
    Node,
    ObjectValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValueNode,
)

from livegres.errors import json_path

Path = tuple[str | int, ...]


def render(path: Path) -> str:
    return json_path(*path)


class _Indexer:
    def __init__(self, fragments: Mapping[str, FragmentDefinitionNode]) -> None:
        self.fragments = fragments
        self.paths: dict[int, Path] = {}

    def note(self, node: Node, path: Path) -> None:
        self.paths.setdefault(id(node), path)

    def directives(self, directives: tuple[DirectiveNode, ...] | None, path: Path) -> None:
        for directive in directives or ():
            self.note(directive, path)
            for arg in directive.arguments or ():
                self.note(arg, path)
                self.value(arg.value, path)

    def selection_set(self, node: SelectionSetNode, path: Path, stack: tuple[str, ...]) -> None:
        path = (*path, "selectionSet")
        self.note(node, path)
        for selection in node.selections:
            if isinstance(selection, FieldNode):
                key = selection.alias.value if selection.alias else selection.name.value
                here = (*path, key)
                self.note(selection, here)
                self.directives(selection.directives, path)
                for arg in selection.arguments or ():
                    arg_path = (*here, "args", arg.name.value)
                    self.argument(arg, arg_path)
                if selection.selection_set is not None:
                    self.selection_set(selection.selection_set, here, stack)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                self.note(selection, path)
                self.directives(selection.directives, path)
                fragment = self.fragments.get(name)
                if fragment is not None and name not in stack:
                    self.note(fragment, (*path, name))
                    self.selection_set(fragment.selection_set, (*path, name), (*stack, name))
            elif isinstance(selection, InlineFragmentNode):
                self.note(selection, path)
                self.directives(selection.directives, path)
                self.selection_set(selection.selection_set, path[:-1], stack)

    def argument(self, arg: ArgumentNode, path: Path) -> None:
        self.note(arg, path)
        self.value(arg.value, path)

    def value(self, node: ValueNode, path: Path) -> None:
        self.note(node, path)
        if isinstance(node, ObjectValueNode):
            for field in node.fields:
                here = (*path, field.name.value)
                self.note(field, here)
                self.value(field.value, here)
        elif isinstance(node, ListValueNode):
            for i, item in enumerate(node.values):
                self.value(item, (*path, i))


def index_paths(
    operation: OperationDefinitionNode | None, fragments: Mapping[str, FragmentDefinitionNode]
) -> dict[int, Path]:
    """``id(node) -> path`` for every node reachable from ``operation``."""
    indexer = _Indexer(fragments)
    if operation is None:
        return indexer.paths
    indexer.note(operation, ())
    indexer.directives(operation.directives, ())
    for definition in operation.variable_definitions or ():
        indexer.note(definition, ())
    indexer.selection_set(operation.selection_set, (), ())
    return indexer.paths
