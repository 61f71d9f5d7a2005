"""Authenticator.resolve outside JWT and webhook mode, its inputs, and its settings."""

from __future__ import annotations

import json

import pytest

from livegres.auth import Authenticator, Session
from livegres.config import ConfigError, Settings, load_settings
from livegres.errors import QueryError
from livegres.runtime import Runtime
from tests.auth.support import HS_KEY, hasura_claims, mint
from tests.support.server import LivegresProcess


async def test_without_an_admin_secret_every_request_is_admin() -> None:
    auth = Authenticator()
    assert auth.mode == "none"
    assert await auth.resolve({}) == Session("admin", {"x-hasura-role": "admin"})
    # Acting as a role, with session variables, needs no credentials in this mode.
    session = await auth.resolve({"X-Hasura-Role": "user", "X-Hasura-User-Id": "3", "Other": "x"})
    assert session == Session("user", {"x-hasura-role": "user", "x-hasura-user-id": "3"})


async def test_admin_secret_only() -> None:
    auth = Authenticator(admin_secret="s3cret")
    assert auth.mode == "admin-secret"
    session = await auth.resolve({"x-hasura-admin-secret": "s3cret", "x-hasura-role": "user"})
    assert session == Session("user", {"x-hasura-role": "user"})
    for headers, message in [
        ({}, "x-hasura-admin-secret/x-hasura-access-key required, but not found"),
        ({"x-hasura-admin-secret": "S3CRET"}, "invalid x-hasura-admin-secret/x-hasura-access-key"),
        ({"x-hasura-admin-secret": ""}, "invalid x-hasura-admin-secret/x-hasura-access-key"),
        ({"x-hasura-access-key": "s3cre"}, "invalid x-hasura-admin-secret/x-hasura-access-key"),
    ]:
        with pytest.raises(QueryError) as info:
            await auth.resolve(headers)
        assert (info.value.code, info.value.message, info.value.status) == ("access-denied", message, 401)


async def test_admin_secret_with_unauthorized_role() -> None:
    auth = Authenticator(admin_secret="s3cret", unauthorized_role="public")
    session = await auth.resolve({"x-hasura-role": "admin", "x-hasura-session-id": "s1"})
    assert session == Session("public", {"x-hasura-role": "public", "x-hasura-session-id": "s1"})
    # The secret is never a session variable.
    admin = await auth.resolve({"x-hasura-admin-secret": "s3cret", "x-hasura-user-id": "1"})
    assert admin.variables == {"x-hasura-role": "admin", "x-hasura-user-id": "1"}


async def test_headers_as_pairs_or_a_connection_init_payload() -> None:
    auth = Authenticator(admin_secret="s3cret", jwt_secret=json.dumps({"type": "HS256", "key": HS_KEY}))
    token = mint(HS_KEY, "HS256", hasura_claims("user", ["user", "editor"], x_hasura_user_id="1"))
    pairs = [("Authorization", f"Bearer {token}"), ("X-Hasura-Role", "editor")]
    assert (await auth.resolve(pairs)).role == "editor"
    # A connection_init payload is any JSON: numbers and nulls do not crash the resolver.
    payload = {"Authorization": f"Bearer {token}", "x-hasura-role": None, "x-count": 3}
    assert (await auth.resolve(payload)).role == "user"
    assert (await auth.resolve({"x-hasura-admin-secret": "s3cret", "x-hasura-user-id": 7})).variables == {
        "x-hasura-role": "admin",
        "x-hasura-user-id": "7",
    }


def test_settings_and_runtime(database_url: str) -> None:
    env = {
        "HASURA_GRAPHQL_ADMIN_SECRET": "s",
        "HASURA_GRAPHQL_JWT_SECRET": json.dumps({"type": "HS256", "key": HS_KEY}),
    }
    settings = load_settings({"database_url": database_url}, env)
    runtime = Runtime(settings)
    assert runtime.authenticator.mode == "jwt"
    assert Runtime(Settings(database_url=database_url)).authenticator.mode == "none"
    with pytest.raises(ConfigError, match="requires --admin-secret"):
        Runtime(Settings(database_url=database_url, jwt_secret=env["HASURA_GRAPHQL_JWT_SECRET"]))


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"HASURA_GRAPHQL_JWT_SECRET": "{}"}, "invalid value (hidden) for HASURA_GRAPHQL_JWT_SECRET"),
        ({"HASURA_GRAPHQL_JWT_SECRET": "{not json"}, "not valid JSON"),
        (
            {"HASURA_GRAPHQL_JWT_SECRET": json.dumps({"type": "HS256", "key": HS_KEY})},
            "--jwt-secret (HASURA_GRAPHQL_JWT_SECRET) requires --admin-secret (HASURA_GRAPHQL_ADMIN_SECRET) to be set",
        ),
        (
            {"HASURA_GRAPHQL_UNAUTHORIZED_ROLE": "anon"},
            "--unauthorized-role (HASURA_GRAPHQL_UNAUTHORIZED_ROLE) requires --admin-secret",
        ),
        ({"HASURA_GRAPHQL_AUTH_HOOK": "ftp://x"}, "expected an http:// or https:// URL"),
    ],
)
def test_bad_settings(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings({}, env)
    assert message in str(info.value)
    assert HS_KEY not in str(info.value)


def test_startup_log_names_the_mode(server: LivegresProcess) -> None:
    lines = [json.loads(line) for line in server.output().splitlines() if line.startswith("{")]
    messages = [str(line["detail"]) for line in lines]
    assert any("no admin secret is set: every request is treated as admin" in m for m in messages)
    assert any("authentication mode: none" in m for m in messages)
