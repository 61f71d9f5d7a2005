"""Authentication end to end: a real ``livegres serve`` process per mode, real HTTP requests to
/v1/graphql (and /v1alpha1/graphql, /v1/metadata), Hasura's answers for each case."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.auth.support import (
    Answer,
    Receiver,
    Seen,
    hasura_claims,
    jwk_of,
    mint,
    public_pem,
    receiver,
    rsa_key,
)
from tests.support.server import LivegresProcess

SECRET = "s3cret"
KEY = rsa_key()
ADMIN = {"x-hasura-admin-secret": SECRET}
QUERY = "{ profile(order_by: {id: asc}) { id name } }"

SETUP = """
DROP TABLE IF EXISTS profile;
CREATE TABLE profile (id int PRIMARY KEY, name text NOT NULL);
INSERT INTO profile VALUES (1, 'Ann'), (2, 'Bob'), (3, 'Cid');
"""


def start(database_url: str, tmp: Path, env: dict[str, str]) -> LivegresProcess:
    proc = LivegresProcess(["--database-url", database_url], env, log_path=tmp / "livegres.log")
    return proc.start()


def post(url: str, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.post(url, json=body, headers=headers or {}, timeout=30)


def gql(server: LivegresProcess, headers: dict[str, str], query: str = QUERY) -> dict[str, Any]:
    response = post(server.url + "/v1/graphql", {"query": query}, headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def error(code: str, message: str) -> dict[str, Any]:
    return {"errors": [{"message": message, "extensions": {"path": "$", "code": code}}]}


@pytest.fixture(scope="module")
def jwt_server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LivegresProcess]:
    config = {"type": "RS256", "key": public_pem(KEY), "audience": "app", "claims_format": "json"}
    env = {
        "HASURA_GRAPHQL_ADMIN_SECRET": SECRET,
        "HASURA_GRAPHQL_JWT_SECRET": json.dumps(config),
        "HASURA_GRAPHQL_UNAUTHORIZED_ROLE": "anonymous",
    }
    server = start(database_url, tmp_path_factory.mktemp("jwt"), env)
    url = server.url
    answer = post(url + "/v2/query", {"type": "run_sql", "args": {"sql": SETUP}}, ADMIN)
    assert answer.status_code == 200, answer.text
    for command in (
        {"type": "pg_track_table", "args": {"table": "profile"}},
        {
            "type": "pg_create_select_permission",
            "args": {
                "table": "profile",
                "role": "user",
                "permission": {"columns": ["id", "name"], "filter": {"id": {"_eq": "X-Hasura-User-Id"}}},
            },
        },
        {
            "type": "pg_create_select_permission",
            "args": {
                "table": "profile",
                "role": "anonymous",
                "permission": {"columns": ["id"], "filter": {"id": {"_lte": 2}}},
            },
        },
    ):
        answer = post(url + "/v1/metadata", command, ADMIN)
        assert answer.status_code == 200, answer.text
    yield server
    server.stop()


def token(user_id: str = "2", **payload: Any) -> dict[str, str]:
    payload.setdefault("aud", "app")
    claims = hasura_claims("user", ["user", "editor"], x_hasura_user_id=user_id)
    return {"Authorization": "Bearer " + mint(KEY, "RS256", claims, **payload)}


def test_a_valid_token_gets_its_users_rows(jwt_server: LivegresProcess) -> None:
    assert gql(jwt_server, token("2")) == {"data": {"profile": [{"id": 2, "name": "Bob"}]}}
    assert gql(jwt_server, token("3")) == {"data": {"profile": [{"id": 3, "name": "Cid"}]}}


def test_admin_secret(jwt_server: LivegresProcess) -> None:
    assert len(gql(jwt_server, ADMIN)["data"]["profile"]) == 3
    # The admin secret wins over a token, and a wrong secret is refused even with a good token.
    assert len(gql(jwt_server, {**ADMIN, "Authorization": "Bearer junk"})["data"]["profile"]) == 3
    wrong = {**token(), "x-hasura-admin-secret": "nope"}
    assert gql(jwt_server, wrong) == error("access-denied", "invalid x-hasura-admin-secret/x-hasura-access-key")
    # As admin, any role and session variables by headers.
    as_user = {**ADMIN, "x-hasura-role": "user", "x-hasura-user-id": "1"}
    assert gql(jwt_server, as_user) == {"data": {"profile": [{"id": 1, "name": "Ann"}]}}


def test_no_credentials_get_the_unauthorized_role(jwt_server: LivegresProcess) -> None:
    ids = "{ profile(order_by: {id: asc}) { id } }"
    assert gql(jwt_server, {}, ids) == {"data": {"profile": [{"id": 1}, {"id": 2}]}}
    # Its permissions apply: the name column is not part of its schema.
    assert gql(jwt_server, {})["errors"][0]["extensions"]["code"] == "validation-failed"


BAD = [
    ("expired", lambda: token(exp=1), ("invalid-jwt", "Could not verify JWT: JWTExpired")),
    ("wrong audience", lambda: token(aud="other"), ("invalid-jwt", "Could not verify JWT: JWTNotInAudience")),
    (
        "other key",
        lambda: {"Authorization": "Bearer " + mint(rsa_key(), "RS256", hasura_claims("user"))},
        ("invalid-jwt", "Could not verify JWT: JWSError JWSInvalidSignature"),
    ),
    (
        "role not allowed",
        lambda: {**token(), "x-hasura-role": "admin"},
        ("access-denied", "Your requested role is not in allowed roles"),
    ),
    ("malformed header", lambda: {"Authorization": "Token abc"}, ("invalid-headers", "Malformed Authorization header")),
    (
        "no role claims",
        lambda: {"Authorization": "Bearer " + mint(KEY, "RS256", {"x-hasura-user-id": "1"}, aud="app")},
        ("jwt-missing-role-claims", "JWT claim does not contain x-hasura-allowed-roles"),
    ),
]


@pytest.mark.parametrize(("case", "headers", "expected"), BAD, ids=[b[0] for b in BAD])
def test_bad_credentials(jwt_server: LivegresProcess, case: str, headers: Any, expected: tuple[str, str]) -> None:
    sent = headers()
    assert gql(jwt_server, sent) == error(*expected)
    # The older endpoint answers with the HTTP status and Hasura's {path, error, code} shape.
    old = post(jwt_server.url + "/v1alpha1/graphql", {"query": QUERY}, sent)
    assert old.status_code == 400
    assert old.json() == {"errors": [{"path": "$", "error": expected[1], "code": expected[0]}]}


def test_metadata_api_needs_the_admin(jwt_server: LivegresProcess) -> None:
    answer = post(jwt_server.url + "/v1/metadata", {"type": "export_metadata", "args": {}}, token())
    assert answer.status_code == 400
    assert answer.json()["code"] == "access-denied"
    expired = post(jwt_server.url + "/v1/metadata", {"type": "export_metadata", "args": {}}, token(exp=1))
    assert expired.json() == {"path": "$", "error": "Could not verify JWT: JWTExpired", "code": "invalid-jwt"}


def test_jwk_url(database_url: str, jwt_server: LivegresProcess, tmp_path_factory: pytest.TempPathFactory) -> None:
    key = rsa_key()
    with receiver() as jwks:
        jwks.answer = Answer(200, {"keys": [jwk_of(key, "k1", "RS256")]}, {"Cache-Control": "max-age=300"})
        env = {"HASURA_GRAPHQL_ADMIN_SECRET": SECRET, "HASURA_GRAPHQL_JWT_SECRET": json.dumps({"jwk_url": jwks.url})}
        server = start(database_url, tmp_path_factory.mktemp("jwk"), env)
        try:
            claims = hasura_claims("user", x_hasura_user_id="1")
            good = {"Authorization": "Bearer " + mint(key, "RS256", claims, headers={"kid": "k1"})}
            assert gql(server, good) == {"data": {"profile": [{"id": 1, "name": "Ann"}]}}
            assert gql(server, good) == {"data": {"profile": [{"id": 1, "name": "Ann"}]}}
            unknown = {"Authorization": "Bearer " + mint(key, "RS256", claims, headers={"kid": "k2"})}
            assert gql(server, unknown) == error("invalid-jwt", "Could not verify JWT: JWSError NoUsableKeys")
            # One fetch for the set, one more for the key id it did not have.
            assert len(jwks.seen) == 2
        finally:
            server.stop()


# --- webhook -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hook() -> Iterator[Receiver]:
    def answer(seen: Seen) -> Answer:
        source = seen.headers if seen.method == "GET" else seen.body["headers"]
        auth = source.get("authorization", "")
        if not auth.startswith("Bearer user-"):
            return Answer(401, {})
        return Answer(200, {"X-Hasura-Role": "user", "X-Hasura-User-Id": auth.removeprefix("Bearer user-")})

    with receiver() as r:
        r.answer = answer
        yield r


@pytest.fixture(scope="module", params=["GET", "POST"])
def hook_server(
    request: pytest.FixtureRequest,
    jwt_server: LivegresProcess,
    database_url: str,
    hook: Receiver,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[LivegresProcess]:
    env = {
        "HASURA_GRAPHQL_ADMIN_SECRET": SECRET,
        "HASURA_GRAPHQL_AUTH_HOOK": hook.url + "/auth",
        "HASURA_GRAPHQL_AUTH_HOOK_MODE": request.param,
    }
    server = start(database_url, tmp_path_factory.mktemp("hook"), env)
    yield server
    server.stop()


def test_webhook_sessions(hook_server: LivegresProcess, hook: Receiver) -> None:
    hook.seen.clear()
    assert gql(hook_server, {"Authorization": "Bearer user-1"}) == {"data": {"profile": [{"id": 1, "name": "Ann"}]}}
    assert gql(hook_server, {"Authorization": "Bearer nobody"}) == error(
        "access-denied", "Authentication hook unauthorized this request"
    )
    assert gql(hook_server, {}) == error("access-denied", "Authentication hook unauthorized this request")
    assert len(hook.seen) == 3
    if hook.seen[0].method == "POST":
        assert hook.seen[0].body["request"] == {"query": QUERY}
    # The admin secret never reaches the hook.
    assert len(gql(hook_server, ADMIN)["data"]["profile"]) == 3
    assert len(hook.seen) == 3


# --- startup -------------------------------------------------------------------------------


def test_jwt_without_admin_secret_does_not_start(database_url: str) -> None:
    env = {"HASURA_GRAPHQL_JWT_SECRET": json.dumps({"type": "RS256", "key": public_pem(KEY)})}
    proc = LivegresProcess(["--database-url", database_url], env)
    result = subprocess.run(
        [sys.executable, "-m", "livegres", *proc.args], env=proc.env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "--jwt-secret (HASURA_GRAPHQL_JWT_SECRET) requires --admin-secret" in result.stderr


def test_bad_jwt_secret_does_not_start(database_url: str) -> None:
    env = {"HASURA_GRAPHQL_ADMIN_SECRET": SECRET, "HASURA_GRAPHQL_JWT_SECRET": '{"type": "HS256", "key": "short"}'}
    proc = LivegresProcess(["--database-url", database_url], env)
    result = subprocess.run(
        [sys.executable, "-m", "livegres", *proc.args], env=proc.env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert result.stderr == (
        "livegres: error: invalid value (hidden) for HASURA_GRAPHQL_JWT_SECRET: "
        "Invalid JWK: Key size too small; should be atleast 32 characters\n"
    )
