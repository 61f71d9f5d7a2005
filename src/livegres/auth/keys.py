"""Verification keys: PEM keys from the JWT settings and JWKs from a key set, with the
algorithms each may verify (an RSA key never verifies an HMAC token and so on)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from jwt.algorithms import Algorithm, ECAlgorithm, HMACAlgorithm, OKPAlgorithm, RSAAlgorithm, get_default_algorithms

ALGORITHMS: dict[str, Algorithm] = {
    name: algorithm for name, algorithm in get_default_algorithms().items() if name not in ("none", "ES256K", "ES521")
}
"""The signature algorithms a token may use (the set Hasura accepts)."""

_EC_CURVES = {"ES256": "secp256r1", "ES384": "secp384r1", "ES512": "secp521r1"}


def family(alg: str) -> str:
    if alg.startswith("HS"):
        return "oct"
    if alg.startswith(("RS", "PS")):
        return "RSA"
    if alg.startswith("ES"):
        return "EC"
    return "OKP"


@dataclass(frozen=True, slots=True)
class VerifyKey:
    kid: str | None
    kty: str
    key: Any
    """A ``cryptography`` public key, or the HMAC secret's bytes."""
    alg: str | None = None
    """The only algorithm this key may verify, when its JWK names one."""

    def accepts(self, alg: str) -> bool:
        if alg not in ALGORITHMS or family(alg) != self.kty or (self.alg is not None and self.alg != alg):
            return False
        if self.kty == "EC":
            return bool(self.key.curve.name == _EC_CURVES[alg])
        return True


def key_from_config(key_type: str, raw: str) -> VerifyKey:
    """The key of ``{"type": ..., "key": ...}``; ValueError with Hasura's message when unusable."""
    if key_type in ("HS256", "HS384", "HS512"):
        size = int(key_type[2:]) // 8
        if len(raw) < size:
            raise ValueError(f"Invalid JWK: Key size too small; should be atleast {size} characters")
        return VerifyKey(None, "oct", raw.encode())
    expected: dict[str, tuple[type, ...]] = {
        "RS256": (rsa.RSAPublicKey,),
        "RS384": (rsa.RSAPublicKey,),
        "RS512": (rsa.RSAPublicKey,),
        "ES256": (ec.EllipticCurvePublicKey,),
        "ES384": (ec.EllipticCurvePublicKey,),
        "ES512": (ec.EllipticCurvePublicKey,),
        "Ed25519": (ed25519.Ed25519PublicKey, ed448.Ed448PublicKey),
    }
    if key_type not in expected:
        raise ValueError(f"Invalid JWK: Key type: {key_type} is not supported")
    public = _load_public_pem(raw)
    if not isinstance(public, expected[key_type]):
        raise ValueError(f"Invalid JWK: the key is not a {key_type} public key")
    kty = {"RS": "RSA", "ES": "EC", "Ed": "OKP"}[key_type[:2]]
    return VerifyKey(None, kty, public)


def _load_public_pem(raw: str) -> Any:
    data = raw.strip().encode()
    try:
        if b"CERTIFICATE" in data:
            return x509.load_pem_x509_certificate(data).public_key()
        return load_pem_public_key(data)
    except Exception as exc:  # any unreadable key is a configuration error
        raise ValueError(f"Invalid JWK: could not read the PEM key: {exc}") from None


def key_from_jwk(jwk: Any) -> VerifyKey | None:
    """A key of a JWK set, or None when it cannot verify signatures (``use: enc``, unknown type)."""
    if not isinstance(jwk, dict) or jwk.get("use", "sig") != "sig":
        return None
    kty = jwk.get("kty")
    loaders: dict[str, Any] = {
        "RSA": RSAAlgorithm,
        "EC": ECAlgorithm,
        "OKP": OKPAlgorithm,
        "oct": HMACAlgorithm,
    }
    loader = loaders.get(kty) if isinstance(kty, str) else None
    if loader is None:
        return None
    try:
        key = loader.from_jwk(jwk)
    except Exception:  # a malformed key in the set is skipped, not fatal
        return None
    if isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        key = key.public_key()
    kid = jwk.get("kid")
    alg = jwk.get("alg")
    return VerifyKey(kid if isinstance(kid, str) else None, str(kty), key, alg if isinstance(alg, str) else None)
