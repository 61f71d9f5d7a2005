"""``jwk_url``: keys fetched from a real HTTP endpoint, kept per its Cache-Control / Expires,
fetched again early for an unknown key id, and dropped with the tokens they verified."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from email.utils import formatdate
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from livegres.auth import Authenticator
from livegres.errors import QueryError
from tests.auth.support import Answer, Receiver, ec_key, ed_key, hasura_claims, jwk_of, mint, receiver, rsa_key

KEY_A, KEY_B = rsa_key(), rsa_key()


@pytest.fixture
def jwks() -> Iterator[Receiver]:
    with receiver() as r:
        yield r


def serve(r: Receiver, *keys: dict[str, object], **headers: str) -> None:
    r.answer = Answer(200, {"keys": list(keys)}, headers)


def auth_for(r: Receiver) -> Authenticator:
    return Authenticator(admin_secret="s", jwt_secret=json.dumps({"jwk_url": r.url + "/jwks.json"}))


def token(key: object, kid: str, alg: str = "RS256", **payload: Any) -> dict[str, str]:
    return {"Authorization": "Bearer " + mint(key, alg, hasura_claims("user"), headers={"kid": kid}, **payload)}


async def message_of(auth: Authenticator, headers: dict[str, str]) -> str:
    with pytest.raises(QueryError) as info:
        await auth.resolve(headers)
    assert info.value.code == "invalid-jwt"
    return info.value.message


async def test_keys_are_fetched_once_and_kept_per_max_age(jwks: Receiver) -> None:
    serve(jwks, jwk_of(KEY_A, "a", "RS256"), **{"Cache-Control": "public, max-age=3600"})
    auth = auth_for(jwks)
    for _ in range(3):
        assert (await auth.resolve(token(KEY_A, "a"))).role == "user"
    assert [s.path for s in jwks.seen] == ["/jwks.json"]
    assert await message_of(auth, token(KEY_B, "a")) == "Could not verify JWT: JWSError JWSInvalidSignature"
    assert len(jwks.seen) == 1
    await auth.aclose()


async def test_an_expired_key_set_is_fetched_again(jwks: Receiver) -> None:
    serve(jwks, jwk_of(KEY_A, "a", "RS256"), **{"Cache-Control": "max-age=1"})
    auth = auth_for(jwks)
    assert (await auth.resolve(token(KEY_A, "a"))).role == "user"
    # The issuer rotates: key a is gone, key b is in.
    serve(jwks, jwk_of(KEY_B, "b", "RS256"), **{"Cache-Control": "max-age=1"})
    time.sleep(1.2)
    assert (await auth.resolve(token(KEY_B, "b"))).role == "user"
    assert len(jwks.seen) == 2
    # A token verified with the removed key, even a cached one, is not accepted any more.
    assert await message_of(auth, token(KEY_A, "a")) == "Could not verify JWT: JWSError NoUsableKeys"
    await auth.aclose()


async def test_a_cached_token_is_dropped_when_its_key_leaves_the_set(jwks: Receiver) -> None:
    serve(jwks, jwk_of(KEY_A, "a", "RS256"), **{"Cache-Control": "max-age=1"})
    auth = auth_for(jwks)
    assert auth.jwt is not None
    headers = token(KEY_A, "a")
    assert (await auth.resolve(headers)).role == "user"
    assert (await auth.resolve(headers)).role == "user"
    assert auth.jwt.verifications == 1
    serve(jwks, jwk_of(KEY_B, "b", "RS256"), **{"Cache-Control": "max-age=60"})
    time.sleep(1.2)
    assert await message_of(auth, headers) == "Could not verify JWT: JWSError NoUsableKeys"
    # The expired set was fetched again, then once more for the key id it no longer has.
    assert len(jwks.seen) == 3
    await auth.aclose()


async def test_expires_header(jwks: Receiver) -> None:
    # HTTP dates have whole seconds: this expires 2 to 3 s from now, a margin for a busy machine
    serve(jwks, jwk_of(KEY_A, "a", "RS256"), Expires=formatdate(time.time() + 3, usegmt=True))
    auth = auth_for(jwks)
    await auth.resolve(token(KEY_A, "a"))
    await auth.resolve(token(KEY_A, "a", sub="2"))
    assert len(jwks.seen) == 1
    time.sleep(3.1)
    await auth.resolve(token(KEY_A, "a", sub="3"))
    assert len(jwks.seen) == 2
    await auth.aclose()


async def test_no_cache_is_fetched_again_but_at_most_once_a_second(jwks: Receiver) -> None:
    serve(jwks, jwk_of(KEY_A, "a", "RS256"), **{"Cache-Control": "no-cache"})
    auth = auth_for(jwks)
    for i in range(5):
        await auth.resolve(token(KEY_A, "a", sub=str(i)))
    assert len(jwks.seen) == 1
    time.sleep(1.1)
    await auth.resolve(token(KEY_A, "a", sub="x"))
    assert len(jwks.seen) == 2
    await auth.aclose()


async def test_unknown_kid_fetches_again_at_once_but_not_for_every_request(jwks: Receiver) -> None:
    serve(jwks, jwk_of(KEY_A, "a", "RS256"))  # no caching headers: kept until something asks
    auth = auth_for(jwks)
    assert (await auth.resolve(token(KEY_A, "a"))).role == "user"
    serve(jwks, jwk_of(KEY_A, "a", "RS256"), jwk_of(KEY_B, "b", "RS256"))
    assert (await auth.resolve(token(KEY_B, "b"))).role == "user"
    assert len(jwks.seen) == 2
    # Made-up key ids right after do not make the endpoint answer again.
    for kid in ("x", "y", "z"):
        assert await message_of(auth, token(KEY_B, kid)) == "Could not verify JWT: JWSError NoUsableKeys"
    assert len(jwks.seen) == 2
    await auth.aclose()


async def test_ec_and_ed25519_keys_in_a_set(jwks: Receiver) -> None:
    es, ed = ec_key(ec.SECP256R1()), ed_key()
    serve(jwks, jwk_of(es, "es", "ES256"), jwk_of(ed, "ed", "EdDSA"), {"kty": "RSA", "use": "enc", "kid": "skip"})
    auth = auth_for(jwks)
    assert (await auth.resolve(token(es, "es", "ES256"))).role == "user"
    assert (await auth.resolve(token(ed, "ed", "EdDSA"))).role == "user"
    # A key only verifies the algorithm its JWK names.
    assert await message_of(auth, token(es, "ed", "ES256")) == "Could not verify JWT: JWSError JWSInvalidSignature"
    await auth.aclose()


async def test_an_unreachable_or_broken_endpoint_means_no_usable_keys(jwks: Receiver) -> None:
    jwks.answer = Answer(500, {"error": "down"})
    auth = auth_for(jwks)
    assert await message_of(auth, token(KEY_A, "a")) == "Could not verify JWT: JWSError NoUsableKeys"
    jwks.answer = Answer(200, b"not json")
    time.sleep(1.1)
    assert await message_of(auth, token(KEY_A, "a", sub="2")) == "Could not verify JWT: JWSError NoUsableKeys"
    # Once it answers, the keys are used.
    serve(jwks, jwk_of(KEY_A, "a", "RS256"))
    time.sleep(1.1)
    assert (await auth.resolve(token(KEY_A, "a", sub="3"))).role == "user"
    await auth.aclose()


async def test_concurrent_first_requests_fetch_once(jwks: Receiver) -> None:
    import asyncio

    serve(jwks, jwk_of(KEY_A, "a", "RS256"), **{"Cache-Control": "max-age=60"})
    auth = auth_for(jwks)
    sessions = await asyncio.gather(*(auth.resolve(token(KEY_A, "a", sub=str(i))) for i in range(20)))
    assert {s.role for s in sessions} == {"user"}
    assert len(jwks.seen) == 1
    await auth.aclose()
