"""JWT mode: the token of a request -> verified claims -> Session, with Hasura's errors.

Verifying a signature is the expensive part, so a verified token's claims are kept in a
bounded cache keyed by the token itself: a token seen before costs a dictionary lookup and an
expiry check, never the cryptography again. An entry is dropped when the token expires, when
the cache is full (least recently used first), or when the key set it was verified with
changes.
"""

from __future__ import annotations

import base64
import binascii
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
import orjson

from livegres.auth.jsonpath import MISSING, lookup
from livegres.auth.jwk import JwkStore
from livegres.auth.jwt_config import (
    ALLOWED_ROLES,
    DEFAULT_ROLE,
    ClaimPath,
    ClaimsMap,
    JwtConfig,
    Namespace,
)
from livegres.auth.keys import ALGORITHMS, VerifyKey
from livegres.auth.lru import LRU
from livegres.auth.session import Session, session_from_headers
from livegres.errors import QueryError

CACHE_SIZE = 10_000

_JSON_TYPES = {dict: "Object", list: "Array", str: "String", bool: "Boolean", type(None): "Null"}


def invalid_jwt(reason: str) -> QueryError:
    return QueryError("invalid-jwt", f"Could not verify JWT: {reason}", status=400)


def invalid_claims(message: str) -> QueryError:
    return QueryError("jwt-invalid-claims", message, status=400)


def _json_type(value: Any) -> str:
    return _JSON_TYPES.get(type(value), "Number")


@dataclass(frozen=True, slots=True)
class Claims:
    """What a verified token grants, before the request picks a role."""

    allowed_roles: tuple[str, ...]
    default_role: str
    variables: dict[str, str]
    expires_at: float | None
    key_version: int
    error: QueryError | None = None
    """A claim that is not a string: Hasura reports it only once the role was accepted."""


class JwtAuth:
    def __init__(
        self,
        config: JwtConfig,
        client: Callable[[], Awaitable[httpx.AsyncClient]],
        *,
        cache_size: int = CACHE_SIZE,
    ) -> None:
        self.config = config
        self.jwks = JwkStore(config.jwk_url, client) if config.jwk_url else None
        self.cache: LRU[str, Claims] = LRU(cache_size)
        self.verifications = 0
        """Signature checks done so far (what the cache saves)."""

    async def session(self, headers: Sequence[tuple[str, str]], unauthorized_role: str | None) -> Session:
        token = self.token(headers)
        if token is None:
            if unauthorized_role is None:
                raise QueryError(
                    "invalid-headers",
                    "Missing 'Authorization' or 'Cookie' header in JWT authentication mode",
                    status=400,
                )
            return session_from_headers(headers, unauthorized_role)
        claims = await self.claims(token)
        requested = next((v for k, v in headers if k == "x-hasura-role"), "") or claims.default_role
        if requested not in claims.allowed_roles:
            raise QueryError("access-denied", "Your requested role is not in allowed roles", status=400)
        if claims.error is not None:
            raise claims.error
        return Session(
            role=requested, variables={**claims.variables, "x-hasura-role": requested}, expires_at=claims.expires_at
        )

    def token(self, headers: Sequence[tuple[str, str]]) -> str | None:
        location = self.config.location
        if location.kind == "authorization":
            value = next((v for k, v in headers if k == "authorization"), None)
            if value is None:
                return None
            words = value.split()
            if len(words) != 2 or words[0] != "Bearer":
                raise QueryError("invalid-headers", "Malformed Authorization header", status=400)
            return words[1]
        if location.kind == "header":
            return next((v for k, v in headers if k == location.name), None)
        for name, value in headers:
            if name == "cookie":
                for item in value.split(";"):
                    key, sep, cookie = item.strip().partition("=")
                    if sep and key.strip() == location.name:
                        return cookie.strip().strip('"')
        return None

    async def claims(self, token: str) -> Claims:
        now = time.time()
        version = 0
        if self.jwks is not None:
            await self.jwks.refresh_if_due(now)  # a time comparison, unless the key set is due
            version = self.jwks.version
        cached = self.cache.get(token)
        if cached is not None and cached.key_version == version:
            if cached.expires_at is not None and now > cached.expires_at + self.config.allowed_skew:
                self.cache.pop(token)
                raise invalid_jwt("JWTExpired")
            return cached
        payload = await self.verify(token, now)
        version = self.jwks.version if self.jwks else 0
        exp = payload.get("exp")
        claims = _hasura_claims(payload, self.config.claims, float(exp) if exp is not None else None, version)
        self.cache.put(token, claims)
        return claims

    async def verify(self, token: str, now: float) -> dict[str, Any]:
        """The token's payload once its signature and time claims check out (Hasura's order:
        issuer, signature, then expiry, issued-at, not-before and audience)."""
        parts = token.split(".")
        if len(parts) != 3:
            raise invalid_jwt(
                f"JWSError (CompactDecodeError Invalid number of parts: Expected 3 parts; got {len(parts)})"
            )
        header = _b64_json(parts[0])
        if not isinstance(header, dict):
            raise invalid_jwt('JWSError (JSONDecodeError "protected header contains invalid JSON")')
        unverified = _b64_json(parts[1])
        config = self.config
        if (
            config.issuer is not None
            and isinstance(unverified, dict)
            and isinstance(unverified.get("iss"), str)
            and unverified["iss"] != config.issuer
        ):
            raise invalid_jwt("JWTNotInIssuer")
        alg = header.get("alg")
        if alg == "none":
            raise invalid_jwt("JWSError JWSNoSignatures")
        if not isinstance(alg, str) or alg not in ALGORITHMS:
            raise invalid_jwt(f'JWSError (JSONDecodeError "unknown or unsupported algorithm: {alg}")')
        try:
            signature = _b64(parts[2])
        except ValueError:
            raise invalid_jwt('JWSError (JSONDecodeError "Not valid base64url")') from None
        kid = header.get("kid")
        keys = await self._keys(kid if isinstance(kid, str) else None)
        if not keys:
            raise invalid_jwt("JWSError NoUsableKeys")
        if not self._signature_ok(alg, keys, (parts[0] + "." + parts[1]).encode(), signature):
            raise invalid_jwt("JWSError JWSInvalidSignature")
        if not isinstance(unverified, dict):
            raise invalid_jwt('JWTClaimsSetDecodeError "Error in $: expected Object"')
        _check_times(unverified, now, config.allowed_skew)
        if config.issuer is not None and "iss" in unverified and unverified["iss"] != config.issuer:
            raise invalid_jwt("JWTNotInIssuer")
        if config.audience is not None and unverified.get("aud") is not None:
            aud = unverified["aud"]
            given = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
            if not any(a in config.audience for a in given):
                raise invalid_jwt("JWTNotInAudience")
        return unverified

    async def _keys(self, kid: str | None) -> list[VerifyKey]:
        if self.jwks is not None:
            return await self.jwks.keys_for(kid)
        return [self.config.key] if self.config.key is not None else []

    def _signature_ok(self, alg: str, keys: list[VerifyKey], signed: bytes, signature: bytes) -> bool:
        algorithm = ALGORITHMS[alg]
        for key in keys:
            if not key.accepts(alg):
                continue
            self.verifications += 1
            try:
                if algorithm.verify(signed, key.key, signature):
                    return True
            except Exception:  # a signature of the wrong shape is just invalid
                continue
        return False


def _b64(part: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    except (binascii.Error, ValueError):
        raise ValueError("not base64url") from None


def _b64_json(part: str) -> Any:
    try:
        return orjson.loads(_b64(part))
    except (ValueError, orjson.JSONDecodeError):
        return MISSING


def _numeric_date(payload: dict[str, Any], name: str) -> float | None:
    value = payload.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise invalid_jwt(
            f"JWTClaimsSetDecodeError \"Error in $['{name}']: parsing NumericDate failed, "
            f'expected Number, but encountered {_json_type(value)}"'
        )
    return float(value)


def _check_times(payload: dict[str, Any], now: float, skew: float) -> None:
    exp = _numeric_date(payload, "exp")
    iat = _numeric_date(payload, "iat")
    nbf = _numeric_date(payload, "nbf")
    if exp is not None and now > exp + skew:
        raise invalid_jwt("JWTExpired")
    if iat is not None and iat > now + skew:
        raise invalid_jwt("JWTIssuedAtFuture")
    if nbf is not None and nbf > now + skew:
        raise invalid_jwt("JWTNotYetValid")


def _hasura_claims(
    payload: dict[str, Any], spec: Namespace | ClaimsMap, expires_at: float | None, version: int
) -> Claims:
    found = _from_namespace(payload, spec) if isinstance(spec, Namespace) else _from_map(payload, spec)
    allowed = _role_list(found)
    default = _role(found, "should be a single role name")
    variables: dict[str, str] = {}
    error: QueryError | None = None
    for name, value in found.items():
        if name in (ALLOWED_ROLES, DEFAULT_ROLE):
            continue
        if not isinstance(value, str):
            error = error or invalid_claims(
                f"x-hasura-* claims: parsing Text failed, expected String, but encountered {_json_type(value)}"
            )
            continue
        variables[name] = value
    return Claims(tuple(allowed), default, variables, expires_at, version, error)


def _from_namespace(payload: dict[str, Any], ns: Namespace) -> dict[str, Any]:
    if ns.path is not None:
        value = lookup(payload, ns.path)
        if value is MISSING:
            raise invalid_claims(f"claims not found at claims_namespace_path: '{ns.path_text}'")
    else:
        value = payload.get(ns.key or "", MISSING)
        if value is MISSING:
            raise invalid_claims(f"claims key: '{ns.key}' not found")
    if ns.stringified:
        if not isinstance(value, str):
            raise invalid_claims("expecting a string when claims_format is stringified_json")
        try:
            parsed = orjson.loads(value)
        except orjson.JSONDecodeError:
            parsed = None
        if not isinstance(parsed, dict):
            raise invalid_claims(f"expecting stringified json at: '{ns.where}', but found: {value}")
        value = parsed
    elif not isinstance(value, dict):
        raise invalid_claims("expecting a json object when claims_format is json")
    return {k.lower(): v for k, v in value.items() if k.lower().startswith("x-hasura-")}


def _from_map(payload: dict[str, Any], spec: ClaimsMap) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for name, source in ((ALLOWED_ROLES, spec.allowed_roles), (DEFAULT_ROLE, spec.default_role)):
        if isinstance(source, ClaimPath):
            value = lookup(payload, source.path)
            if value is MISSING:
                value = source.default
            if value is None:
                raise QueryError("jwt-missing-role-claims", f"JWT claim does not contain {name}", status=400)
            found[name] = value
        else:
            found[name] = source
    for name, source in spec.others.items():
        if isinstance(source, ClaimPath):
            value = lookup(payload, source.path)
            if value is MISSING:
                value = source.default
            if value is None:
                raise invalid_claims(f"JWT claim from claims_map, {name} not found")
            found[name] = value
        else:
            found[name] = source
    return found


def _role_list(found: dict[str, Any]) -> list[str]:
    if ALLOWED_ROLES not in found:
        raise QueryError("jwt-missing-role-claims", f"JWT claim does not contain {ALLOWED_ROLES}", status=400)
    value = found[ALLOWED_ROLES]
    prefix = f"invalid {ALLOWED_ROLES}; should be a list of roles: "
    if not isinstance(value, list):
        raise invalid_claims(prefix + f"parsing [] failed, expected Array, but encountered {_json_type(value)}")
    for role in value:
        if not isinstance(role, str):
            raise invalid_claims(prefix + f"parsing Text failed, expected String, but encountered {_json_type(role)}")
        if not role:
            raise invalid_claims(prefix + "empty string not allowed")
    return value


def _role(found: dict[str, Any], hint: str) -> str:
    if DEFAULT_ROLE not in found:
        raise QueryError("jwt-missing-role-claims", f"JWT claim does not contain {DEFAULT_ROLE}", status=400)
    value = found[DEFAULT_ROLE]
    prefix = f"invalid {DEFAULT_ROLE}; {hint}: "
    if not isinstance(value, str):
        raise invalid_claims(prefix + f"parsing Text failed, expected String, but encountered {_json_type(value)}")
    if not value:
        raise invalid_claims(prefix + "empty string not allowed")
    return value
