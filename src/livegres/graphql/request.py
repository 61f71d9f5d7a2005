"""The body of a GraphQL HTTP request: one ``{query, variables?, operationName?}`` or a batch."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from livegres.errors import QueryError, json_kind


@dataclass(frozen=True, slots=True)
class GraphQLRequest:
    query: str
    variables: dict[str, Any] | None = None
    operation_name: str | None = None


def parse_request(body: Any) -> GraphQLRequest:
    """One request object, checked as Hasura does (``parse-failed`` at ``$.<key>``)."""
    if not isinstance(body, dict):
        raise QueryError("parse-failed", "expected Object, but encountered " + json_kind(body), path="$")
    extensions = body.get("extensions")
    if isinstance(extensions, dict) and "persistedQuery" in extensions:
        raise QueryError("not-supported", "Automatic Persisted Queries is not enabled", path="$")
    query = body.get("query")
    if query is None:
        raise QueryError("parse-failed", 'the key "query" was not present', path="$")
    if not isinstance(query, str):
        raise QueryError("parse-failed", "expected String, but encountered " + json_kind(query), path="$.query")
    variables = body.get("variables")
    if variables is not None and not isinstance(variables, dict):
        raise QueryError("parse-failed", "expected Object, but encountered " + json_kind(variables), path="$.variables")
    name = body.get("operationName")
    if name is not None and not isinstance(name, str):
        raise QueryError("parse-failed", "expected String, but encountered " + json_kind(name), path="$.operationName")
    return GraphQLRequest(query, variables, name or None)
