"""The session of a request: its role and its ``x-hasura-*`` variables.

Admin-secret mode and Hasura's development mode are resolved here. With an admin secret
configured, a request must carry it in ``x-hasura-admin-secret`` (compared in constant time);
without one, every request is admin (Hasura's behaviour when no secret is set). An admin may
act as any role by sending ``x-hasura-role`` and session variables as ``x-hasura-*`` headers.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from livegres.errors import QueryError

ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class Session:
    role: str
    variables: Mapping[str, str] = field(default_factory=dict)
    """Session variables, names lower-cased (``x-hasura-user-id``), values as strings."""

    @property
    def is_admin(self) -> bool:
        return self.role == ADMIN

    def get(self, name: str) -> str | None:
        return self.variables.get(name.lower())


def _hasura_headers(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    found: dict[str, str] = {}
    for name, value in headers:
        key = name.lower()
        if key.startswith("x-hasura-") and key not in ("x-hasura-admin-secret", "x-hasura-access-key"):
            found[key] = value
    return found


def resolve_session(headers: Iterable[tuple[str, str]], admin_secret: str | None) -> Session:
    """The session for these request headers, or an ``access-denied`` QueryError (401)."""
    pairs = list(headers)
    variables = _hasura_headers(pairs)
    if admin_secret is not None:
        given = next((v for k, v in pairs if k.lower() in ("x-hasura-admin-secret", "x-hasura-access-key")), None)
        if given is None or not hmac.compare_digest(given.encode(), admin_secret.encode()):
            raise QueryError(
                "access-denied",
                "invalid x-hasura-admin-secret/x-hasura-access-key",
                status=401,
            )
    role = variables.get("x-hasura-role", ADMIN)
    variables["x-hasura-role"] = role
    return Session(role=role, variables=variables)
