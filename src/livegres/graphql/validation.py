"""graphql-core validation errors -> Hasura's messages, codes and paths.

Hasura reports the first problem only, with code ``validation-failed`` and the path of the
node at fault (``livegres.graphql.paths``). The messages it uses for the common mistakes
are rewritten from graphql-core's; any other message passes through as graphql-core wrote
it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from graphql import GraphQLError, StringValueNode

from livegres.errors import QueryError
from livegres.graphql.paths import Path, render

_Rewrite = tuple[re.Pattern[str], Callable[[re.Match[str]], str]]


def _names(listed: str) -> str:
    return ",".join(part.strip().strip("'") for part in listed.split(","))


_REWRITES: list[_Rewrite] = [
    (
        re.compile(r"^Cannot query field '([^']*)' on type '([^']*)'\."),
        lambda m: f"field \"{m[1]}\" not found in type: '{m[2]}'",
    ),
    (
        re.compile(r"^Field '([^']*)' is not defined by type '([^']*)'\."),
        lambda m: f"field \"{m[1]}\" not found in type: '{m[2]}'",
    ),
    (
        re.compile(r"^Expected value of type '([^']*)' not to include unknown field '([^']*)'"),
        lambda m: f"field \"{m[2]}\" not found in type: '{m[1]}'",
    ),
    (re.compile(r"^Unknown directive '@([^']*)'\."), lambda m: f'directive "{m[1]}" is not defined in the schema'),
    (
        re.compile(r"^The directive '@([^']*)' can only be used once at this location\."),
        lambda m: f"the following directives are used more than once: {m[1]}",
    ),
    (
        re.compile(r"^Directive '@([^']*)' may not be used on (\w+)\."),
        lambda m: f'directive "{m[1]}" is not allowed on a {m[2].lower()}',
    ),
    (
        re.compile(r"^Cannot spread fragment '([^']*)' within itself via (.*)\.$"),
        lambda m: f'cannot spread fragment "{m[1]}" within itself via {_names(m[2])},{m[1]}',
    ),
    (
        re.compile(r"^Cannot spread fragment '([^']*)' within itself\.$"),
        lambda m: f'cannot spread fragment "{m[1]}" within itself',
    ),
    (
        re.compile(r"^Unknown argument '([^']*)' on field '[^'.]*\.([^']*)'\."),
        lambda m: f"'{m[2]}' has no argument named '{m[1]}'",
    ),
    (
        re.compile(r"^Int cannot represent non-integer value"),
        lambda m: "expecting Integer value",
    ),
    (
        re.compile(r"^Unknown fragment '([^']*)'\."),
        lambda m: f"reference to undefined fragment {m[1]!r}",
    ),
    (
        re.compile(r"^Field '([^']*)' of type '[^']*' must have a selection of subfields"),
        lambda m: f'missing selection set for "{m[1]}"',
    ),
    (
        re.compile(r"^Variable '\$([^']*)' is not defined"),
        lambda m: f'unbound variable "{m[1]}"',
    ),
]


def rewrite(message: str) -> str:
    for pattern, make in _REWRITES:
        found = pattern.search(message)
        if found:
            return make(found)
    return message


def _path(error: GraphQLError, paths: Mapping[int, Path]) -> str:
    nodes = list(error.nodes or ())
    if error.message.startswith("Cannot spread fragment"):
        nodes.reverse()
    for node in nodes:
        found = paths.get(id(node))
        if found is not None:
            return render(found)
    return "$"


def validation_error(errors: list[GraphQLError], paths: Mapping[int, Path]) -> QueryError:
    """The error Hasura reports for these validation errors (the first one)."""
    first = errors[0]
    message = rewrite(first.message)
    path = _path(first, paths)
    if message == "expecting Integer value":
        message = f'expecting Integer value for "{path.rsplit(".", 1)[-1]}"'
    return QueryError("validation-failed", message, path=path)


def tolerated(error: GraphQLError, paths: Mapping[int, Path]) -> bool:
    """Hasura reads ``offset`` as a 64-bit integer that may be written as a string
    (``offset: "1"``); graphql-core's ``Int`` refuses it."""
    for node in error.nodes or ():
        path = paths.get(id(node), ())
        if isinstance(node, StringValueNode) and path[-2:] == ("args", "offset"):
            return node.value.lstrip("-").isdigit()
    return False
