"""The types of one schema under construction, and the field lookup beside them.

Every named type is made once, by name, through ``Registry``; a second request for a name
returns the first type. Fields are given as plain dicts and stored sorted by name (ASCII),
as are enum values and arguments: Hasura's printed schemas list them that way, and it makes
the schema, its printout and its introspection deterministic. Object and input fields are
thunks, so types may refer to each other in cycles.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from graphql import (
    GraphQLBoolean,
    GraphQLEnumType,
    GraphQLEnumValue,
    GraphQLField,
    GraphQLFloat,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLInt,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLString,
)

from livegres.schema.lookup import FieldRef, TypeRef

T = TypeVar("T", bound=GraphQLNamedType)
V = TypeVar("V")

_BUILT_IN: dict[str, GraphQLScalarType] = {
    "Int": GraphQLInt,
    "Float": GraphQLFloat,
    "String": GraphQLString,
    "Boolean": GraphQLBoolean,
}


def ordered(items: Mapping[str, V]) -> dict[str, V]:
    return {key: items[key] for key in sorted(items)}


def sorted_fields(fields: Mapping[str, GraphQLField]) -> dict[str, GraphQLField]:
    """The fields by name, each with its arguments by name."""
    out = ordered(fields)
    for field in out.values():
        field.args = ordered(field.args)
    return out


class Registry:
    def __init__(self) -> None:
        self.types: dict[str, GraphQLNamedType] = {}
        self.fields: dict[tuple[str, str], FieldRef] = {}
        self.type_refs: dict[str, TypeRef] = {}

    def get(self, name: str) -> GraphQLNamedType | None:
        return self.types.get(name)

    def once(self, name: str, kind: type[T], make: Callable[[], T]) -> T:
        found = self.types.get(name)
        if found is None:
            found = make()
            self.types[name] = found
        if not isinstance(found, kind):
            raise TypeError(f"type {name} is a {type(found).__name__}, not a {kind.__name__}")
        return found

    def scalar(self, name: str) -> GraphQLScalarType:
        built_in = _BUILT_IN.get(name)
        if built_in is not None:
            return built_in
        return self.once(name, GraphQLScalarType, lambda: GraphQLScalarType(name))

    def enum(
        self, name: str, values: Mapping[str, tuple[Any, str | None]], description: str | None = None
    ) -> GraphQLEnumType:
        def make() -> GraphQLEnumType:
            built = {key: GraphQLEnumValue(value, description=desc) for key, (value, desc) in values.items()}
            return GraphQLEnumType(name, ordered(built), description=description)

        return self.once(name, GraphQLEnumType, make)

    def object(
        self,
        name: str,
        fields: Callable[[], Mapping[str, GraphQLField]],
        description: str | None = None,
        refs: Mapping[str, FieldRef] | None = None,
    ) -> GraphQLObjectType:
        self._note(name, refs)
        return self.once(
            name,
            GraphQLObjectType,
            lambda: GraphQLObjectType(name, lambda: sorted_fields(fields()), description=description),
        )

    def input(
        self,
        name: str,
        fields: Callable[[], Mapping[str, GraphQLInputField]],
        description: str | None = None,
        refs: Mapping[str, FieldRef] | None = None,
    ) -> GraphQLInputObjectType:
        self._note(name, refs)
        return self.once(
            name,
            GraphQLInputObjectType,
            lambda: GraphQLInputObjectType(name, lambda: ordered(fields()), description=description),
        )

    def note_type(self, name: str, ref: TypeRef) -> None:
        self.type_refs.setdefault(name, ref)

    def _note(self, type_name: str, refs: Mapping[str, FieldRef] | None) -> None:
        if refs is None or type_name in self.types:
            return
        for field_name, ref in refs.items():
            self.fields[(type_name, field_name)] = ref
