"""One error tree: every failure a client can see is a ``QueryError`` with Hasura's code.

``to_metadata_json`` gives the body of /v1/metadata, /v1/query and /v2/query errors
(``{path, error, code}``); ``to_graphql_json`` the entry of a GraphQL ``errors`` list
(``{message, extensions: {path, code}}``). ``internal`` is shown only to admins.
"""

from __future__ import annotations

from typing import Any


class QueryError(Exception):
    def __init__(
        self,
        code: str,
        message: str,
        *,
        path: str = "$",
        status: int = 400,
        internal: Any = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.path = path
        self.status = status
        self.internal = internal

    def to_metadata_json(self, include_internal: bool = False) -> dict[str, Any]:
        body: dict[str, Any] = {"path": self.path, "error": self.message, "code": self.code}
        if include_internal and self.internal is not None:
            body["internal"] = self.internal
        return body

    def to_graphql_json(self, include_internal: bool = False) -> dict[str, Any]:
        extensions: dict[str, Any] = {"path": self.path, "code": self.code}
        if include_internal and self.internal is not None:
            extensions["internal"] = self.internal
        return {"message": self.message, "extensions": extensions}


def unexpected(internal: Any = None) -> QueryError:
    return QueryError("unexpected", "database query error", status=500, internal=internal)


def json_kind(value: Any) -> str:
    """The name Hasura's (Aeson's) errors give a JSON value's kind: ``Null``, ``Boolean``,
    ``Number``, ``String``, ``Array`` or ``Object``."""
    if value is None:
        return "Null"
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, int | float):
        return "Number"
    if isinstance(value, str):
        return "String"
    return "Array" if isinstance(value, list) else "Object"


def json_path(*parts: str | int) -> str:
    """Hasura's JSONPath text: ``$.args[0]['odd key']``."""
    out = "$"
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part and (part[0].isalpha() or part[0] == "_") and all(c.isalnum() or c in "_-" for c in part):
            out += f".{part}"
        else:
            out += "['" + part.replace("'", "\\'") + "']"
    return out
