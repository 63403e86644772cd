"""OIDC/JWT bearer tokens: verify one, and map its claims to a Principal.

The algorithms are pinned to asymmetric ones, so neither ``alg: none`` nor an
HMAC token signed with the public key (the classic key-confusion attack) can pass.
``iss``, ``aud``, ``exp`` and ``sub`` are required and ``nbf`` is checked.

The key is either a PEM public key (offline deployments: no outbound call, ever)
or a JWKS URL, fetched on first use and cached. A JWKS fetch blocks, so when a
URL is configured call ``verify`` off the event loop, and ``prefetch`` it in the
lifespan.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import jwt
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePublicKey
from cryptography.hazmat.primitives.asymmetric.ed448 import Ed448PublicKey
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from archive.auth.claims import (
    claim_at,
    default_role_map,
    map_agencies,
    map_clearance,
    map_roles,
)
from archive.auth.errors import Unauthenticated
from archive.domain.access import Principal, Role, is_external_subject
from archive.domain.errors import ServiceUnavailable

ASYMMETRIC_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)
MAX_TOKEN_LENGTH = 16 * 1024  # far above any real token; refuses junk before parsing
_REQUIRED_CLAIMS = ["exp", "iss", "aud", "sub"]

PublicKey = RSAPublicKey | EllipticCurvePublicKey | Ed25519PublicKey | Ed448PublicKey
_PUBLIC_KEY_TYPES = (RSAPublicKey, EllipticCurvePublicKey, Ed25519PublicKey, Ed448PublicKey)


@dataclass(frozen=True, slots=True)
class TokenConfig:
    """How bearer tokens are checked and read. Exactly one of the PEM key and the JWKS URL."""

    issuer: str
    audience: str
    algorithms: tuple[str, ...] = ("RS256", "ES256")
    public_key_pem: str | None = None  # a public key or an X.509 certificate, PEM
    jwks_url: str | None = None  # https, or http on a loopback address
    leeway_seconds: int = 30
    subject_claim: str = "sub"
    roles_claim: str = "roles"  # Keycloak: "realm_access.roles"
    agencies_claim: str = "agencies"
    clearance_claim: str = "clearance"
    role_map: Mapping[str, Role] = field(default_factory=default_role_map)
    jwks_cache_seconds: int = 300
    jwks_timeout_seconds: float = 5.0

    def __post_init__(self) -> None:
        if not self.issuer or not self.audience:
            raise ValueError("token issuer and audience are required")
        if not self.algorithms or not set(self.algorithms) <= ASYMMETRIC_ALGORITHMS:
            raise ValueError(f"token algorithms must be among {sorted(ASYMMETRIC_ALGORITHMS)}")
        if (self.public_key_pem is None) == (self.jwks_url is None):
            raise ValueError("configure exactly one of a PEM public key and a JWKS URL")
        if self.jwks_url is not None:
            _check_jwks_url(self.jwks_url)
        if not 0 <= self.leeway_seconds <= 300:
            raise ValueError("token leeway must be between 0 and 300 seconds")


def _check_jwks_url(url: str) -> None:
    """Keys fetched over plain HTTP could be swapped in transit, except on loopback."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and parts.hostname and _is_loopback(parts.hostname):
        return
    raise ValueError("the JWKS URL must use https (plain http only on a loopback address)")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def load_public_key(pem: str) -> PublicKey:
    """Parse a PEM public key or certificate; raises ValueError for anything else."""
    data = pem.strip().encode("ascii")
    if b"-----BEGIN CERTIFICATE-----" in data:
        key: object = x509.load_pem_x509_certificate(data).public_key()
    else:
        key = load_pem_public_key(data)
    if not isinstance(key, _PUBLIC_KEY_TYPES):
        raise ValueError("the token public key must be RSA, EC or Ed25519/Ed448")
    return key


class TokenVerifier:
    """Verifies bearer tokens against one issuer; build it once, in the app factory."""

    def __init__(self, config: TokenConfig) -> None:
        self._config = config
        self._key: PublicKey | None = None
        self._jwks: jwt.PyJWKClient | None = None
        if config.public_key_pem is not None:
            self._key = load_public_key(config.public_key_pem)
        else:
            assert config.jwks_url is not None  # TokenConfig guarantees one of the two
            self._jwks = jwt.PyJWKClient(
                config.jwks_url,
                cache_jwk_set=True,
                lifespan=config.jwks_cache_seconds,
                timeout=config.jwks_timeout_seconds,
            )

    @property
    def may_block(self) -> bool:
        """True when ``verify`` may fetch the JWKS over the network."""
        return self._jwks is not None

    def prefetch(self) -> None:
        """Fetch the JWKS now (in the lifespan), so the first request does not wait.

        Raises:
            ServiceUnavailable: the JWKS endpoint did not answer.
        """
        if self._jwks is None:
            return
        try:
            self._jwks.get_jwk_set()
        except jwt.PyJWKClientError as exc:
            raise ServiceUnavailable("the identity provider's JWKS could not be fetched") from exc

    def verify(self, token: str) -> Principal:
        """The Principal a valid bearer token names.

        Raises:
            Unauthenticated: for every kind of invalid token, with one message.
            ServiceUnavailable: the JWKS endpoint could not be reached.
        """
        if not token or len(token) > MAX_TOKEN_LENGTH:
            raise Unauthenticated("token empty or too long")
        claims = self._decode(token)
        return self._principal(claims)

    def _decode(self, token: str) -> dict[str, Any]:
        config = self._config
        try:
            key = self._signing_key(token)
            return jwt.decode(
                token,
                key,
                algorithms=list(config.algorithms),
                audience=config.audience,
                issuer=config.issuer,
                leeway=config.leeway_seconds,
                options={"require": _REQUIRED_CLAIMS, "verify_signature": True},
            )
        except jwt.PyJWKClientConnectionError as exc:
            raise ServiceUnavailable("the identity provider's JWKS could not be fetched") from exc
        except jwt.PyJWTError as exc:
            raise Unauthenticated(f"{type(exc).__name__}: {exc}") from exc

    def _signing_key(self, token: str) -> PublicKey | jwt.PyJWK:
        if self._jwks is None:
            assert self._key is not None
            return self._key
        # Looks the header's kid up in the cached set; an unknown kid refetches at
        # most once per cooldown, so random kids cannot hammer the provider.
        return self._jwks.get_signing_key_from_jwt(token)

    def _principal(self, claims: Mapping[str, Any]) -> Principal:
        config = self._config
        subject = claim_at(claims, config.subject_claim)
        if not isinstance(subject, str) or not subject.strip():
            raise Unauthenticated("no subject")
        if not is_external_subject(subject):
            # Blanks and controls, or a name the service gives its own actors (API keys,
            # the anonymous caller, local operators): a token must not pose as them.
            raise Unauthenticated("reserved subject")
        return Principal(
            subject=subject,
            roles=map_roles(claim_at(claims, config.roles_claim), config.role_map),
            agencies=map_agencies(claim_at(claims, config.agencies_claim)),
            clearance=map_clearance(claim_at(claims, config.clearance_claim)),
        )
