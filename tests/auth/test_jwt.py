"""The JWT corpus: tokens minted here, with keys generated here, against Authenticator.resolve.

Every bad token gets Hasura's exact error code and message; every option of
HASURA_GRAPHQL_JWT_SECRET is exercised. (The same cases over HTTP: test_server_auth.py.)
"""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from livegres.auth import Authenticator, Session
from livegres.auth.lru import LRU
from livegres.config import ConfigError
from livegres.errors import QueryError
from tests.auth.support import HS_KEY, NS, ec_key, ed_key, hasura_claims, mint, public_pem, rsa_key

RSA = rsa_key()
OTHER_RSA = rsa_key()


def authenticator(unauthorized_role: str | None = None, **config: Any) -> Authenticator:
    config.setdefault("type", "RS256")
    config.setdefault("key", public_pem(RSA))
    return Authenticator(admin_secret="s3cret", jwt_secret=json.dumps(config), unauthorized_role=unauthorized_role)


def bearer(token: str, **headers: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **headers}


async def error_of(auth: Authenticator, headers: dict[str, str]) -> tuple[str, str, int]:
    with pytest.raises(QueryError) as info:
        await auth.resolve(headers)
    return info.value.code, info.value.message, info.value.status


def user_token(**kwargs: Any) -> str:
    return mint(RSA, "RS256", hasura_claims("user", ["user", "editor"], x_hasura_user_id="42"), **kwargs)


# --- every key type ------------------------------------------------------------------------

EC_CURVES = {"ES256": ec.SECP256R1(), "ES384": ec.SECP384R1(), "ES512": ec.SECP521R1()}


def _key_for(key_type: str) -> tuple[Any, str, str]:
    """(signing key, config key, token alg)"""
    if key_type.startswith("HS"):
        return HS_KEY, HS_KEY, key_type
    if key_type.startswith("RS"):
        return RSA, public_pem(RSA), key_type
    if key_type.startswith("ES"):
        es = ec_key(EC_CURVES[key_type])
        return es, public_pem(es), key_type
    ed = ed_key()
    return ed, public_pem(ed), "EdDSA"


@pytest.mark.parametrize(
    "key_type", ["HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "Ed25519"]
)
async def test_every_key_type_verifies_and_rejects_a_foreign_signature(key_type: str) -> None:
    signing, config_key, alg = _key_for(key_type)
    auth = authenticator(type=key_type, key=config_key)
    token = mint(signing, alg, hasura_claims("user", X_Hasura_User_Id="7"))
    session = await auth.resolve(bearer(token))
    assert session.role == "user"
    assert session.variables == {"x-hasura-user-id": "7", "x-hasura-role": "user"}

    if key_type.startswith("HS"):
        foreign: Any = "another-hmac-secret-that-is-long-enough-for-all-the-hs-algorithms!"
    elif key_type.startswith("RS"):
        foreign = OTHER_RSA
    else:
        foreign = _key_for(key_type)[0]  # a freshly generated key of the same type
    forged = mint(foreign, alg, hasura_claims("user"))
    assert await error_of(auth, bearer(forged)) == (
        "invalid-jwt",
        "Could not verify JWT: JWSError JWSInvalidSignature",
        400,
    )


async def test_session_carries_the_token_expiry() -> None:
    exp = int(time.time()) + 600
    session = await authenticator().resolve(bearer(user_token(exp=exp, lifetime=None)))
    assert session.expires_at == exp
    no_exp = await authenticator().resolve(bearer(user_token(lifetime=None)))
    assert no_exp.expires_at is None


# --- bad tokens ----------------------------------------------------------------------------


def _none_token() -> str:
    def part(obj: Any) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    payload = {NS: hasura_claims("user"), "exp": int(time.time()) + 60}
    return part({"alg": "none", "typ": "JWT"}) + "." + part(payload) + "."


BAD_TOKENS: list[tuple[str, Any, tuple[str, str]]] = [
    ("expired", lambda: user_token(lifetime=-60), ("invalid-jwt", "Could not verify JWT: JWTExpired")),
    (
        "signed by another key",
        lambda: mint(OTHER_RSA, "RS256", hasura_claims("user")),
        ("invalid-jwt", "Could not verify JWT: JWSError JWSInvalidSignature"),
    ),
    (
        "HS256 with some secret against an RSA key",
        lambda: mint("x" * 40, "HS256", hasura_claims("user")),
        ("invalid-jwt", "Could not verify JWT: JWSError JWSInvalidSignature"),
    ),
    (
        "payload changed after signing",
        lambda: _tamper(user_token()),
        ("invalid-jwt", "Could not verify JWT: JWSError JWSInvalidSignature"),
    ),
    ("alg none", _none_token, ("invalid-jwt", "Could not verify JWT: JWSError JWSNoSignatures")),
    (
        "one part",
        lambda: "notatoken",
        (
            "invalid-jwt",
            "Could not verify JWT: JWSError (CompactDecodeError Invalid number of parts: Expected 3 parts; got 1)",
        ),
    ),
    (
        "header is not JSON",
        lambda: "bm90IGpzb24." + user_token().split(".", 1)[1],
        ("invalid-jwt", 'Could not verify JWT: JWSError (JSONDecodeError "protected header contains invalid JSON")'),
    ),
    (
        "not valid yet",
        lambda: user_token(nbf=int(time.time()) + 300),
        ("invalid-jwt", "Could not verify JWT: JWTNotYetValid"),
    ),
    (
        "issued in the future",
        lambda: user_token(iat=int(time.time()) + 300),
        ("invalid-jwt", "Could not verify JWT: JWTIssuedAtFuture"),
    ),
    (
        "exp is not a number",
        lambda: user_token(exp="tomorrow", lifetime=None),
        (
            "invalid-jwt",
            "Could not verify JWT: JWTClaimsSetDecodeError \"Error in $['exp']: parsing NumericDate failed, "
            'expected Number, but encountered String"',
        ),
    ),
    (
        "no claims namespace",
        lambda: mint(RSA, "RS256", hasura_claims("user"), namespace="https://example.com/claims"),
        ("jwt-invalid-claims", "claims key: 'https://hasura.io/jwt/claims' not found"),
    ),
    (
        "claims are a string",
        lambda: mint(RSA, "RS256", json.dumps(hasura_claims("user"))),  # type: ignore[arg-type]
        ("jwt-invalid-claims", "expecting a json object when claims_format is json"),
    ),
    (
        "no allowed roles",
        lambda: mint(RSA, "RS256", {"x-hasura-default-role": "user"}),
        ("jwt-missing-role-claims", "JWT claim does not contain x-hasura-allowed-roles"),
    ),
    (
        "no default role",
        lambda: mint(RSA, "RS256", {"x-hasura-allowed-roles": ["user"]}),
        ("jwt-missing-role-claims", "JWT claim does not contain x-hasura-default-role"),
    ),
    (
        "allowed roles is a string",
        lambda: mint(RSA, "RS256", {"x-hasura-allowed-roles": "user", "x-hasura-default-role": "user"}),
        (
            "jwt-invalid-claims",
            "invalid x-hasura-allowed-roles; should be a list of roles: "
            "parsing [] failed, expected Array, but encountered String",
        ),
    ),
    (
        "default role is a number",
        lambda: mint(RSA, "RS256", {"x-hasura-allowed-roles": ["user"], "x-hasura-default-role": 1}),
        (
            "jwt-invalid-claims",
            "invalid x-hasura-default-role; should be a single role name: "
            "parsing Text failed, expected String, but encountered Number",
        ),
    ),
    (
        "a session variable that is not a string",
        lambda: mint(RSA, "RS256", hasura_claims("user", x_hasura_user_id=42)),
        ("jwt-invalid-claims", "x-hasura-* claims: parsing Text failed, expected String, but encountered Number"),
    ),
    (
        "default role outside the allowed roles",
        lambda: mint(RSA, "RS256", {"x-hasura-allowed-roles": ["user"], "x-hasura-default-role": "admin"}),
        ("access-denied", "Your requested role is not in allowed roles"),
    ),
]


def _tamper(token: str) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims[NS]["x-hasura-default-role"] = "editor"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


@pytest.mark.parametrize(("case", "make", "expected"), BAD_TOKENS, ids=[c[0] for c in BAD_TOKENS])
async def test_bad_token(case: str, make: Any, expected: tuple[str, str]) -> None:
    code, message, _ = await error_of(authenticator(), bearer(make()))
    assert (code, message) == expected


async def test_role_header_picks_among_allowed_roles() -> None:
    auth = authenticator()
    token = user_token()
    editor = await auth.resolve(bearer(token, **{"X-Hasura-Role": "editor"}))
    assert editor == Session("editor", {"x-hasura-user-id": "42", "x-hasura-role": "editor"}, editor.expires_at)
    assert await error_of(auth, bearer(token, **{"x-hasura-role": "admin"})) == (
        "access-denied",
        "Your requested role is not in allowed roles",
        400,
    )


async def test_session_variables_come_from_the_claims_only_and_are_lower_cased() -> None:
    token = mint(RSA, "RS256", {**hasura_claims("user"), "X-Hasura-Org-Id": "9", "name": "ignored"})
    session = await authenticator().resolve(bearer(token, **{"x-hasura-org-id": "1", "x-hasura-other": "x"}))
    assert session.variables == {"x-hasura-org-id": "9", "x-hasura-role": "user"}


# --- headers, admin secret, unauthorized role ------------------------------------------------


async def test_missing_and_malformed_authorization() -> None:
    auth = authenticator()
    assert await error_of(auth, {}) == (
        "invalid-headers",
        "Missing 'Authorization' or 'Cookie' header in JWT authentication mode",
        400,
    )
    for value in ("Basic abc", "Bearer", "bearer " + user_token(), "Bearer a b"):
        assert await error_of(auth, {"Authorization": value}) == (
            "invalid-headers",
            "Malformed Authorization header",
            400,
        )


async def test_admin_secret_wins_over_jwt_and_a_wrong_one_is_refused() -> None:
    auth = authenticator()
    admin = await auth.resolve({"x-hasura-admin-secret": "s3cret", "Authorization": "Bearer garbage"})
    assert admin.is_admin
    as_user = await auth.resolve({"x-hasura-admin-secret": "s3cret", "x-hasura-role": "user", "x-hasura-user-id": "5"})
    assert as_user == Session("user", {"x-hasura-role": "user", "x-hasura-user-id": "5"})
    legacy = await auth.resolve({"x-hasura-access-key": "s3cret"})
    assert legacy.is_admin
    assert await error_of(auth, bearer(user_token(), **{"x-hasura-admin-secret": "wrong"})) == (
        "access-denied",
        "invalid x-hasura-admin-secret/x-hasura-access-key",
        401,
    )


async def test_unauthorized_role_for_requests_without_a_token() -> None:
    auth = authenticator(unauthorized_role="anonymous")
    session = await auth.resolve({"x-hasura-role": "user", "x-hasura-device": "d1"})
    assert session == Session("anonymous", {"x-hasura-role": "anonymous", "x-hasura-device": "d1"})
    # A token, when there is one, is still checked.
    code, message, _ = await error_of(auth, bearer(user_token(lifetime=-60)))
    assert (code, message) == ("invalid-jwt", "Could not verify JWT: JWTExpired")


# --- options -------------------------------------------------------------------------------


async def test_audience() -> None:
    auth = authenticator(audience="myapp")
    assert (await auth.resolve(bearer(user_token(aud="myapp")))).role == "user"
    assert (await auth.resolve(bearer(user_token(aud=["other", "myapp"])))).role == "user"
    assert (await error_of(auth, bearer(user_token(aud="other"))))[:2] == (
        "invalid-jwt",
        "Could not verify JWT: JWTNotInAudience",
    )
    several = authenticator(audience=["a", "b"])
    assert (await several.resolve(bearer(user_token(aud="b")))).role == "user"
    assert (await error_of(several, bearer(user_token(aud=["c"]))))[1] == "Could not verify JWT: JWTNotInAudience"
    # Without an audience in the settings, the token's is not checked.
    assert (await authenticator().resolve(bearer(user_token(aud="anything")))).role == "user"


async def test_issuer() -> None:
    auth = authenticator(issuer="https://issuer.example")
    assert (await auth.resolve(bearer(user_token(iss="https://issuer.example")))).role == "user"
    assert (await error_of(auth, bearer(user_token(iss="https://evil.example"))))[:2] == (
        "invalid-jwt",
        "Could not verify JWT: JWTNotInIssuer",
    )
    # The issuer is checked before the signature, as Hasura does.
    forged = mint(OTHER_RSA, "RS256", hasura_claims("user"), iss="https://evil.example")
    assert (await error_of(auth, bearer(forged)))[1] == "Could not verify JWT: JWTNotInIssuer"


async def test_allowed_skew() -> None:
    late = user_token(lifetime=-20)
    assert (await authenticator(allowed_skew=60).resolve(bearer(late))).role == "user"
    assert (await error_of(authenticator(allowed_skew=5), bearer(late)))[1] == "Could not verify JWT: JWTExpired"
    early = user_token(nbf=int(time.time()) + 20)
    assert (await authenticator(allowed_skew=60).resolve(bearer(early))).role == "user"


async def test_claims_namespace_and_path() -> None:
    custom = authenticator(claims_namespace="https://myapp.io/claims")
    token = mint(RSA, "RS256", hasura_claims("user"), namespace="https://myapp.io/claims")
    assert (await custom.resolve(bearer(token))).role == "user"

    by_path = authenticator(claims_namespace_path="$.hasura.claims")
    nested = mint(RSA, "RS256", None, hasura={"claims": hasura_claims("user", x_hasura_user_id="3")})
    session = await by_path.resolve(bearer(nested))
    assert session.variables["x-hasura-user-id"] == "3"
    assert await error_of(by_path, bearer(user_token())) == (
        "jwt-invalid-claims",
        "claims not found at claims_namespace_path: '$.hasura.claims'",
        400,
    )
    top_level = authenticator(claims_namespace_path="$")
    flat = mint(RSA, "RS256", hasura_claims("user", x_hasura_user_id="4"), namespace=None)
    assert (await top_level.resolve(bearer(flat))).variables["x-hasura-user-id"] == "4"


async def test_claims_format_stringified_json() -> None:
    auth = authenticator(claims_format="stringified_json")
    token = mint(RSA, "RS256", json.dumps(hasura_claims("user", x_hasura_user_id="8")))  # type: ignore[arg-type]
    assert (await auth.resolve(bearer(token))).variables["x-hasura-user-id"] == "8"
    assert await error_of(auth, bearer(user_token())) == (
        "jwt-invalid-claims",
        "expecting a string when claims_format is stringified_json",
        400,
    )
    broken = mint(RSA, "RS256", "{not json")  # type: ignore[arg-type]
    assert await error_of(auth, bearer(broken)) == (
        "jwt-invalid-claims",
        f"expecting stringified json at: 'claims_namespace {NS}', but found: {{not json",
        400,
    )


async def test_claims_map() -> None:
    auth = authenticator(
        claims_map={
            "x-hasura-allowed-roles": {"path": "$.roles"},
            "x-hasura-default-role": {"path": "$.roles[0]"},
            "x-hasura-user-id": {"path": "$.user.id", "default": "0"},
            "x-hasura-org": "acme",
        }
    )
    token = mint(RSA, "RS256", None, roles=["editor", "user"], user={"id": "12"})
    session = await auth.resolve(bearer(token))
    assert session == Session(
        "editor",
        {"x-hasura-user-id": "12", "x-hasura-org": "acme", "x-hasura-role": "editor"},
        session.expires_at,
    )
    defaulted = await auth.resolve(bearer(mint(RSA, "RS256", None, roles=["user"])))
    assert defaulted.variables["x-hasura-user-id"] == "0"
    assert await error_of(auth, bearer(mint(RSA, "RS256", None, user={"id": "1"}))) == (
        "jwt-missing-role-claims",
        "JWT claim does not contain x-hasura-allowed-roles",
        400,
    )
    strict = authenticator(
        claims_map={
            "x-hasura-allowed-roles": ["user"],
            "x-hasura-default-role": "user",
            "x-hasura-user-id": {"path": "$.uid"},
        }
    )
    assert await error_of(strict, bearer(mint(RSA, "RS256", None))) == (
        "jwt-invalid-claims",
        "JWT claim from claims_map, x-hasura-user-id not found",
        400,
    )
    assert (await strict.resolve(bearer(mint(RSA, "RS256", None, uid="5")))).variables == {
        "x-hasura-user-id": "5",
        "x-hasura-role": "user",
    }


async def test_token_in_a_cookie() -> None:
    auth = authenticator(header={"type": "Cookie", "name": "session_jwt"})
    token = user_token()
    session = await auth.resolve({"Cookie": f"theme=dark; session_jwt={token}; other=1"})
    assert session.variables["x-hasura-user-id"] == "42"
    missing = ("invalid-headers", "Missing 'Authorization' or 'Cookie' header in JWT authentication mode", 400)
    assert await error_of(auth, {"Cookie": "theme=dark"}) == missing
    # In cookie mode the Authorization header is not where the token is.
    assert await error_of(auth, bearer(token)) == missing


async def test_token_in_a_custom_header() -> None:
    auth = authenticator(header={"type": "CustomHeader", "name": "X-Auth-Token"})
    assert (await auth.resolve({"x-auth-token": user_token()})).role == "user"


# --- cache ---------------------------------------------------------------------------------


async def test_a_token_seen_before_is_not_verified_again() -> None:
    auth = authenticator()
    assert auth.jwt is not None
    token = user_token()
    first = await auth.resolve(bearer(token))
    assert auth.jwt.verifications == 1
    for _ in range(5):
        assert await auth.resolve(bearer(token)) == first
    editor = await auth.resolve(bearer(token, **{"x-hasura-role": "editor"}))
    assert editor.role == "editor"
    assert await error_of(auth, bearer(token, **{"x-hasura-role": "nope"}))
    assert auth.jwt.verifications == 1
    await auth.resolve(bearer(user_token(sub="2")))
    assert auth.jwt.verifications == 2


async def test_a_cached_token_still_expires() -> None:
    auth = authenticator()
    assert auth.jwt is not None
    exp = int(time.time()) + 2
    token = user_token(exp=exp, lifetime=None)
    assert (await auth.resolve(bearer(token))).expires_at == exp
    time.sleep(max(0.0, exp - time.time()) + 0.1)
    assert (await error_of(auth, bearer(token)))[:2] == ("invalid-jwt", "Could not verify JWT: JWTExpired")
    assert auth.jwt.verifications == 1


async def test_the_cache_is_bounded() -> None:
    auth = authenticator()
    assert auth.jwt is not None
    auth.jwt.cache = LRU(2)
    tokens = [user_token(sub=str(i)) for i in range(3)]
    for token in tokens:
        await auth.resolve(bearer(token))
    assert len(auth.jwt.cache) == 2
    await auth.resolve(bearer(tokens[2]))
    assert auth.jwt.verifications == 3
    await auth.resolve(bearer(tokens[0]))  # evicted: verified again
    assert auth.jwt.verifications == 4


# --- configuration ---------------------------------------------------------------------------

CONFIG_ERRORS = [
    ({"type": "HS256"}, "key and jwk_url both cannot be empty"),
    ({"type": "HS256", "key": HS_KEY, "jwk_url": "http://x"}, "key, jwk_url both cannot be present"),
    ({"type": "HS256", "key": "short"}, "Invalid JWK: Key size too small; should be atleast 32 characters"),
    ({"type": "HS512", "key": "x" * 40}, "Invalid JWK: Key size too small; should be atleast 64 characters"),
    ({"type": "PS256", "key": "x"}, "Invalid JWK: Key type: PS256 is not supported"),
    ({"type": "RS256", "key": "not a pem"}, "Invalid JWK: could not read the PEM key"),
    (
        {"type": "HS256", "key": HS_KEY, "claims_namespace": "a", "claims_namespace_path": "$.b"},
        "claims_namespace and claims_namespace_path both cannot be set",
    ),
    (
        {"type": "HS256", "key": HS_KEY, "claims_map": {"x-hasura-default-role": "user"}},
        "x-hasura-allowed-roles is expected but not found",
    ),
    (
        {"type": "HS256", "key": HS_KEY, "header": {"type": "Query"}},
        "header: expected 'type' is 'Authorization' or 'Cookie' or 'CustomHeader'",
    ),
]


@pytest.mark.parametrize(("config", "message"), CONFIG_ERRORS)
def test_bad_configuration(config: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as info:
        Authenticator(admin_secret="s", jwt_secret=json.dumps(config))
    assert message in str(info.value)


def test_rsa_key_as_an_x509_certificate() -> None:
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import NameOID

    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(RSA.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(RSA, hashes.SHA256())
    )
    from cryptography.hazmat.primitives.serialization import Encoding

    pem = cert.public_bytes(Encoding.PEM).decode()
    auth = authenticator(key=pem)
    assert auth.jwt is not None and auth.jwt.config.key is not None


def test_decode_with_pyjwt_agrees() -> None:
    """The minted tokens are ordinary JWTs (sanity check of the corpus itself)."""
    token = user_token(aud="x")
    decoded = jwt.decode(token, RSA.public_key(), algorithms=["RS256"], audience="x")
    assert decoded[NS]["x-hasura-user-id"] == "42"
