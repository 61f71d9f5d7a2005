"""The session of a request: its role, its ``x-hasura-*`` variables and, for a JWT or an auth
webhook answer, when it stops being valid."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

ADMIN = "admin"
ADMIN_SECRET_HEADERS = ("x-hasura-admin-secret", "x-hasura-access-key")


@dataclass(frozen=True, slots=True)
class Session:
    role: str
    variables: Mapping[str, str] = field(default_factory=dict)
    """Session variables, names lower-cased (``x-hasura-user-id``), values as strings."""
    expires_at: float | None = None
    """Epoch seconds after which the credentials are no longer valid (a JWT's ``exp``, the
    expiry an auth webhook gave); None when they do not expire."""
    backend_only: bool = False
    """Backend-only permissions apply: the request carried the admin secret (or none is
    configured) and ``x-hasura-use-backend-only-permissions: true``, as Hasura requires."""

    @property
    def is_admin(self) -> bool:
        return self.role == ADMIN

    def get(self, name: str) -> str | None:
        return self.variables.get(name.lower())


def header_pairs(headers: Mapping[str, Any] | Iterable[tuple[str, Any]]) -> list[tuple[str, str]]:
    """Headers as ``(lower-cased name, value)`` pairs, in order, repeats kept. Values that are
    not strings (a ``connection_init`` payload is any JSON) are written as text."""
    items = headers.items() if isinstance(headers, Mapping) else headers
    return [
        (str(name).lower(), value if isinstance(value, str) else str(value))
        for name, value in items
        if value is not None
    ]


def hasura_variables(headers: Sequence[tuple[str, str]]) -> dict[str, str]:
    """The ``x-hasura-*`` headers, without the admin secret."""
    return {k: v for k, v in headers if k.startswith("x-hasura-") and k not in ADMIN_SECRET_HEADERS}


BACKEND_ONLY_HEADER = "x-hasura-use-backend-only-permissions"


def session_from_headers(headers: Sequence[tuple[str, str]], role: str | None, *, trusted: bool = False) -> Session:
    """A session whose variables come from the request headers: ``role`` is fixed, or (None)
    taken from ``x-hasura-role`` with ``admin`` as the fallback. ``trusted``: the request is
    admin-authenticated, so it may ask for backend-only permissions."""
    variables = hasura_variables(headers)
    chosen = role if role is not None else (variables.get("x-hasura-role") or ADMIN)
    variables["x-hasura-role"] = chosen
    backend_only = trusted and variables.get(BACKEND_ONLY_HEADER, "").strip().lower() == "true"
    return Session(role=chosen, variables=variables, backend_only=backend_only)
