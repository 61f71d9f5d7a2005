"""What a JWT costs per request, first time and seen before, against admin-secret requests.

Run by hand from the repository root (not a test):

    .venv/bin/python bench/jwt_cache.py [--tokens 2000] [--repeat 7]

No database is involved: it times ``Authenticator.resolve`` itself, the one call every request
makes before anything else. For each key type (RS256, ES256, EdDSA, HS256) it mints
``--tokens`` distinct tokens, then times, per call:

- the baseline: a request with the admin secret (a SHA-512 of the header and a constant-time
  comparison, no token);
- cold: each token resolved for the first time (signature verification and claims parsing);
- cached: the same tokens resolved again, in the same order (a dictionary lookup and an
  expiry check).

Each step runs ``--repeat`` rounds (a fresh authenticator per round for the cold step); the
table gives the median and 90th percentile (nearest rank) microseconds per call over all
rounds, the median as a multiple of the baseline's, and the signature verifications done per
call, counted by the authenticator: 1 when cold, 0 when cached.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import platform
import statistics
import time
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from livegres.auth import Authenticator

NS = "https://hasura.io/jwt/claims"
HMAC_KEY = "a-benchmark-hmac-secret-that-is-long-enough-000"


def keys() -> dict[str, tuple[Any, str, str]]:
    """alg -> (signing key, JWT-secret type, JWT-secret key)"""

    def pem(private: Any) -> str:
        data: bytes = private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return data.decode()

    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    ed_key = ed25519.Ed25519PrivateKey.generate()
    return {
        "RS256": (rsa_key, "RS256", pem(rsa_key)),
        "ES256": (ec_key, "ES256", pem(ec_key)),
        "EdDSA": (ed_key, "Ed25519", pem(ed_key)),
        "HS256": (HMAC_KEY, "HS256", HMAC_KEY),
    }


def mint(key: Any, alg: str, n: int) -> list[dict[str, str]]:
    now = int(time.time())
    out = []
    for i in range(n):
        claims = {
            "sub": str(i),
            "iat": now,
            "exp": now + 3600,
            NS: {"x-hasura-allowed-roles": ["user"], "x-hasura-default-role": "user", "x-hasura-user-id": str(i)},
        }
        out.append({"authorization": "Bearer " + jwt.encode(claims, key, algorithm=alg)})
    return out


async def timed(auth: Authenticator, requests: list[dict[str, str]]) -> list[float]:
    samples = []
    clock = time.perf_counter_ns
    for headers in requests:
        start = clock()
        await auth.resolve(headers)
        samples.append((clock() - start) / 1000)
    return samples


def p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tokens", type=int, default=2000, help="distinct tokens per key type (default 2000)")
    parser.add_argument("--repeat", type=int, default=7, help="timed rounds per step (default 7)")
    args = parser.parse_args()

    started = time.perf_counter()
    rows: list[tuple[str, list[float], float]] = []
    admin = Authenticator(admin_secret="s3cret")
    admin_requests = [{"x-hasura-admin-secret": "s3cret", "x-hasura-role": "user"}] * args.tokens
    await timed(admin, admin_requests)  # warm-up
    baseline: list[float] = []
    for _ in range(args.repeat):
        baseline += await timed(admin, admin_requests)
    rows.append(("admin secret (baseline)", baseline, 0.0))

    for alg, (signing, key_type, key) in keys().items():
        requests = mint(signing, alg, args.tokens)
        secret = json.dumps({"type": key_type, "key": key})
        cold: list[float] = []
        cached: list[float] = []
        cold_verifications = cached_verifications = 0
        for _ in range(args.repeat):
            auth = Authenticator(admin_secret="s3cret", jwt_secret=secret)
            assert auth.jwt is not None
            cold += await timed(auth, requests)
            cold_verifications += auth.jwt.verifications
            before = auth.jwt.verifications
            cached += await timed(auth, requests)
            cached_verifications += auth.jwt.verifications - before
        calls = args.tokens * args.repeat
        rows.append((f"{alg} cold (first sight)", cold, cold_verifications / calls))
        rows.append((f"{alg} cached (seen before)", cached, cached_verifications / calls))

    base = statistics.median(baseline)
    print(f"Authenticator.resolve, {args.tokens} tokens x {args.repeat} rounds, Python {platform.python_version()}")
    print()
    print("| step | median µs | p90 µs | x baseline | verifications per call |")
    print("|---|---:|---:|---:|---:|")
    for name, samples, verifications in rows:
        median = statistics.median(samples)
        print(f"| {name} | {median:.1f} | {p90(samples):.1f} | {median / base:.2f} | {verifications:.2f} |")
    print(f"\n(total run time {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    asyncio.run(main())
