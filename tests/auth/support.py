"""Keys, tokens and small real HTTP servers (JWKS endpoints, auth webhooks) for the auth tests."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

NS = "https://hasura.io/jwt/claims"
HS_KEY = "a-very-long-hmac-secret-of-64-characters-for-the-hs512-tests-000"


def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_pem(private: Any) -> str:
    data: bytes = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return data.decode()


def ec_key(curve: ec.EllipticCurve) -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(curve)


def ed_key() -> ed25519.Ed25519PrivateKey:
    return ed25519.Ed25519PrivateKey.generate()


def hasura_claims(role: str = "user", roles: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    claims: dict[str, Any] = {
        "x-hasura-default-role": role,
        "x-hasura-allowed-roles": roles if roles is not None else [role],
    }
    claims.update({k.replace("_", "-"): v for k, v in extra.items()})
    return claims


def mint(
    key: Any,
    alg: str,
    claims: dict[str, Any] | None = None,
    *,
    namespace: str | None = NS,
    lifetime: float | None = 3600,
    headers: dict[str, Any] | None = None,
    **payload: Any,
) -> str:
    """A signed token whose Hasura claims sit under ``namespace`` (or at the top when None)."""
    body: dict[str, Any] = {"sub": "1", "iat": int(time.time())}
    if lifetime is not None:
        body["exp"] = int(time.time() + lifetime)
    if claims is not None:
        if namespace is None:
            body.update(claims)
        else:
            body[namespace] = claims
    body.update(payload)
    return jwt.encode(body, key, algorithm=alg, headers=headers)


def jwk_of(private: Any, kid: str, alg: str) -> dict[str, Any]:
    data: dict[str, Any]
    if isinstance(private, rsa.RSAPrivateKey):
        data = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(private.public_key()))
    elif isinstance(private, ec.EllipticCurvePrivateKey):
        data = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(private.public_key()))
    else:
        data = json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(private.public_key()))
    data.update({"kid": kid, "alg": alg, "use": "sig"})
    return dict(data)


@dataclass
class Answer:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


class Receiver:
    """A real HTTP server on a free port whose answer a test sets: ``receiver.answer = ...``
    (an ``Answer`` or a function of the request). Every request is recorded in ``seen``."""

    def __init__(self) -> None:
        self.answer: Answer | Callable[[Seen], Answer] = Answer(200, {})
        self.seen: list[Seen] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                seen = Seen(
                    self.command,
                    self.path,
                    {k.lower(): v for k, v in self.headers.items()},
                    json.loads(raw) if raw else None,
                )
                receiver.seen.append(seen)
                answer = receiver.answer(seen) if callable(receiver.answer) else receiver.answer
                data = answer.body if isinstance(answer.body, bytes) else json.dumps(answer.body).encode()
                self.send_response(answer.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            do_GET = _handle
            do_POST = _handle

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> Receiver:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@contextmanager
def receiver() -> Iterator[Receiver]:
    r = Receiver().start()
    try:
        yield r
    finally:
        r.stop()
