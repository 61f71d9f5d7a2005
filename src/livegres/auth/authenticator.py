"""The one entry point of authentication: request headers -> Session, for every transport.

Hasura's order: with no admin secret configured every request is admin (its development
mode). Otherwise a request that sends ``x-hasura-admin-secret`` (or the older
``x-hasura-access-key``) is admin when the secret matches and refused when it does not; a
request without one goes to JWT mode or the auth webhook when configured, else gets the
unauthorized role, else is refused.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping
from typing import Any

import httpx

from livegres.auth.jwt import JwtAuth
from livegres.auth.jwt_config import parse_jwt_config
from livegres.auth.session import ADMIN_SECRET_HEADERS, Session, header_pairs, session_from_headers
from livegres.auth.webhook import AuthWebhook
from livegres.config import ConfigError, Settings, check_auth_settings
from livegres.errors import QueryError

HTTP_TIMEOUT = 30.0


class Authenticator:
    def __init__(
        self,
        *,
        admin_secret: str | None = None,
        jwt_secret: str | None = None,
        auth_hook: str | None = None,
        auth_hook_mode: str = "GET",
        auth_hook_send_request_body: bool = True,
        unauthorized_role: str | None = None,
    ) -> None:
        problem = check_auth_settings(admin_secret, jwt_secret, auth_hook, unauthorized_role)
        if problem is not None:
            raise ConfigError(problem)
        self._secret_digest = hashlib.sha512(admin_secret.encode()).digest() if admin_secret is not None else None
        self.unauthorized_role = unauthorized_role
        self._http: httpx.AsyncClient | None = None
        self.jwt: JwtAuth | None = None
        if jwt_secret is not None:
            try:
                config = parse_jwt_config(jwt_secret)
            except ValueError as exc:
                raise ConfigError(f"invalid HASURA_GRAPHQL_JWT_SECRET: {exc}") from None
            self.jwt = JwtAuth(config, self._client)
        self.webhook = (
            AuthWebhook(auth_hook, auth_hook_mode, auth_hook_send_request_body, self._client) if auth_hook else None
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> Authenticator:
        return cls(
            admin_secret=settings.admin_secret,
            jwt_secret=settings.jwt_secret,
            auth_hook=settings.auth_hook,
            auth_hook_mode=settings.auth_hook_mode,
            auth_hook_send_request_body=settings.auth_hook_send_request_body,
            unauthorized_role=settings.unauthorized_role,
        )

    @property
    def mode(self) -> str:
        """``none`` (every request is admin), ``admin-secret``, ``jwt`` or ``webhook``."""
        if self._secret_digest is None:
            return "none"
        return "jwt" if self.jwt else "webhook" if self.webhook else "admin-secret"

    @property
    def wants_request(self) -> bool:
        """True when ``resolve`` should get the GraphQL request (webhook POST mode)."""
        return self.webhook is not None and self.webhook.wants_request

    async def resolve(self, headers: Mapping[str, Any] | Iterable[tuple[str, Any]], request: Any = None) -> Session:
        """The session of a request with these headers, or a QueryError with Hasura's code,
        message and HTTP status. ``request`` is the GraphQL request (``{query, variables,
        operationName}``), sent to an auth webhook in POST mode. ``Session.expires_at`` tells
        when JWT or webhook credentials stop being valid."""
        pairs = header_pairs(headers)
        if self._secret_digest is None:
            return session_from_headers(pairs, None, trusted=True)
        given = next((v for k in ADMIN_SECRET_HEADERS for name, v in pairs if name == k), None)
        if given is not None:
            digest = hashlib.sha512(given.encode()).digest()
            if not hmac.compare_digest(digest, self._secret_digest):
                raise QueryError("access-denied", "invalid x-hasura-admin-secret/x-hasura-access-key", status=401)
            return session_from_headers(pairs, None, trusted=True)
        if self.jwt is not None:
            return await self.jwt.session(pairs, self.unauthorized_role)
        if self.webhook is not None:
            return await self.webhook.session(pairs, request)
        if self.unauthorized_role is not None:
            return session_from_headers(pairs, self.unauthorized_role)
        raise QueryError(
            "access-denied", "x-hasura-admin-secret/x-hasura-access-key required, but not found", status=401
        )

    async def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=HTTP_TIMEOUT, follow_redirects=False)
        return self._http

    async def aclose(self) -> None:
        if self._http is not None:
            client, self._http = self._http, None
            await client.aclose()
