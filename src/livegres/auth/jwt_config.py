"""``HASURA_GRAPHQL_JWT_SECRET``: Hasura's JSON configuration of JWT mode, parsed and checked."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from livegres.auth.jsonpath import Path, parse_json_path
from livegres.auth.keys import VerifyKey, key_from_config

DEFAULT_NAMESPACE = "https://hasura.io/jwt/claims"
ALLOWED_ROLES = "x-hasura-allowed-roles"
DEFAULT_ROLE = "x-hasura-default-role"


@dataclass(frozen=True, slots=True)
class ClaimPath:
    """A ``claims_map`` entry ``{"path": "$.x", "default": ...}``."""

    path: Path
    text: str
    default: Any = None


ClaimSource = ClaimPath | Any
"""A ``claims_map`` value: a path into the token's claims, or the literal value itself."""


@dataclass(frozen=True, slots=True)
class ClaimsMap:
    default_role: ClaimSource
    allowed_roles: ClaimSource
    others: dict[str, ClaimSource] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Namespace:
    key: str | None
    """``claims_namespace`` (a top-level key), or None when ``path`` is used."""
    path: Path | None
    path_text: str | None
    stringified: bool

    @property
    def where(self) -> str:
        """How Hasura names the location in its messages."""
        if self.path_text is not None:
            return f"claims_namespace_path {self.path_text}"
        return f"claims_namespace {self.key}"


@dataclass(frozen=True, slots=True)
class TokenLocation:
    kind: str
    """``authorization``, ``cookie`` or ``header``."""
    name: str | None = None


@dataclass(frozen=True, slots=True)
class JwtConfig:
    key: VerifyKey | None
    jwk_url: str | None
    claims: Namespace | ClaimsMap
    audience: tuple[str, ...] | None
    issuer: str | None
    allowed_skew: float
    location: TokenLocation


def parse_jwt_config(raw: str) -> JwtConfig:
    """The configuration in ``raw``; ValueError with a one-line reason (Hasura's wording)."""
    try:
        obj = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON: {exc}") from None
    if not isinstance(obj, dict):
        raise ValueError("expected a JSON object")
    raw_key, jwk_url = obj.get("key"), obj.get("jwk_url")
    if raw_key is None and jwk_url is None:
        raise ValueError("key and jwk_url both cannot be empty")
    if raw_key is not None and jwk_url is not None:
        raise ValueError("key, jwk_url both cannot be present")
    key: VerifyKey | None = None
    if raw_key is not None:
        key_type = obj.get("type")
        if not isinstance(key_type, str):
            raise ValueError("key 'type' not found")
        if not isinstance(raw_key, str):
            raise ValueError("'key' must be a string")
        key = key_from_config(key_type, raw_key)
    elif not isinstance(jwk_url, str) or not jwk_url.startswith(("http://", "https://")):
        raise ValueError("jwk_url must be an http:// or https:// URL")
    return JwtConfig(
        key=key,
        jwk_url=jwk_url,
        claims=_claims(obj),
        audience=_audience(obj.get("audience")),
        issuer=_string_or_none(obj, "issuer"),
        allowed_skew=_skew(obj.get("allowed_skew")),
        location=_location(obj.get("header")),
    )


def _claims(obj: dict[str, Any]) -> Namespace | ClaimsMap:
    if obj.get("claims_map") is not None:
        return _claims_map(obj["claims_map"])
    ns, ns_path = obj.get("claims_namespace"), obj.get("claims_namespace_path")
    if ns is not None and ns_path is not None:
        raise ValueError("claims_namespace and claims_namespace_path both cannot be set")
    fmt = obj.get("claims_format", "json")
    if fmt not in ("json", "stringified_json"):
        raise ValueError('claims_format must be "json" or "stringified_json"')
    if ns_path is not None:
        if not isinstance(ns_path, str):
            raise ValueError("claims_namespace_path must be a string")
        return Namespace(None, _path(ns_path, "claims_namespace_path"), ns_path, fmt == "stringified_json")
    if ns is not None and not isinstance(ns, str):
        raise ValueError("claims_namespace must be a string")
    return Namespace(ns or DEFAULT_NAMESPACE, None, None, fmt == "stringified_json")


def _path(text: str, what: str) -> Path:
    try:
        return parse_json_path(text)
    except ValueError as exc:
        raise ValueError(f"invalid JSON path {what} error: {exc}") from None


def _claims_map(value: Any) -> ClaimsMap:
    if not isinstance(value, dict):
        raise ValueError("claims_map must be a JSON object")
    entries = {str(k).lower(): v for k, v in value.items()}
    for required in (ALLOWED_ROLES, DEFAULT_ROLE):
        if required not in entries:
            raise ValueError(f"{required} is expected but not found")

    def source(name: str, raw: Any) -> ClaimSource:
        if isinstance(raw, dict):
            if not isinstance(raw.get("path"), str):
                raise ValueError(f"claims_map {name}: key 'path' not found")
            return ClaimPath(_path(raw["path"], f"claims_map {name}"), raw["path"], raw.get("default"))
        return raw

    allowed = source(ALLOWED_ROLES, entries.pop(ALLOWED_ROLES))
    if not isinstance(allowed, ClaimPath) and not (
        isinstance(allowed, list) and all(isinstance(r, str) and r for r in allowed)
    ):
        raise ValueError(f"claims_map {ALLOWED_ROLES} must be a list of roles or a path")
    default = source(DEFAULT_ROLE, entries.pop(DEFAULT_ROLE))
    if not isinstance(default, ClaimPath) and not (isinstance(default, str) and default):
        raise ValueError(f"claims_map {DEFAULT_ROLE} must be a role name or a path")
    others: dict[str, ClaimSource] = {}
    for name, raw in entries.items():
        item = source(name, raw)
        if not isinstance(item, ClaimPath) and not isinstance(item, str):
            raise ValueError(f"claims_map {name} must be a string or a path")
        others[name] = item
    return ClaimsMap(default, allowed, others)


def _audience(value: Any) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ValueError("audience must be a string or a list of strings")


def _string_or_none(obj: dict[str, Any], name: str) -> str | None:
    value = obj.get(name)
    if value is not None and not isinstance(value, str):
        raise ValueError(f"{name} must be a string")
    return value


def _skew(value: Any) -> float:
    if value is None:
        return 0.0
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ValueError("allowed_skew must be a number of seconds")
    return float(value)


def _location(value: Any) -> TokenLocation:
    if value is None:
        return TokenLocation("authorization")
    kind = value.get("type") if isinstance(value, dict) else None
    kind = kind.lower() if isinstance(kind, str) else None
    if kind == "authorization":
        return TokenLocation("authorization")
    if kind in ("cookie", "customheader"):
        name = value.get("name")
        if not isinstance(name, str) or not name:
            raise ValueError("header: key 'name' not found")
        return TokenLocation("cookie" if kind == "cookie" else "header", name if kind == "cookie" else name.lower())
    raise ValueError("header: expected 'type' is 'Authorization' or 'Cookie' or 'CustomHeader'")
