"""API keys for portals: issue, store hashed, and check.

A key is shown once, as ``ark_<key_id>_<secret>``. The key id finds the row;
only a keyed hash of the secret is stored.

Why HMAC-SHA256 with a server pepper and not a slow KDF (bcrypt, Argon2): the
secret is 32 random bytes (256 bits), not a password a person chose. Nobody can
guess it or run a dictionary against it, so slowing each guess buys nothing,
while a slow KDF on every API request would cost real CPU. The pepper (a key held
by the server, not in the database) means a leaked table alone cannot even be
used to test candidate secrets.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime

from archive.auth.errors import Unauthenticated
from archive.domain.access import Principal

# The stored key and the one-time secret are domain values (the ApiKeyStore port names them).
from archive.domain.apikeys import ApiKey as ApiKey
from archive.domain.apikeys import NewApiKey as NewApiKey

PREFIX = "ark"
HASH_SCHEME = "hmac-sha256"
_KEY_ID_BYTES = 8
_SECRET_BYTES = 32
_PEPPER_LABEL = b"archive/api-key-pepper/v1"
# Hex key ids hold no "_", so the first "_" after the id separates it from the
# secret, which is URL-safe base64 and may itself contain "_".
_KEY_PATTERN = re.compile(r"ark_(?P<key_id>[0-9a-f]{16})_(?P<secret>[A-Za-z0-9_-]{43})")


def generate_api_key() -> NewApiKey:
    """A new key id and secret, and the ``ark_<key_id>_<secret>`` string to hand out."""
    key_id = secrets.token_hex(_KEY_ID_BYTES)
    secret = secrets.token_urlsafe(_SECRET_BYTES)
    return NewApiKey(key_id, secret, f"{PREFIX}_{key_id}_{secret}")


def parse_api_key(presented: str) -> tuple[str, str]:
    """Split a presented key into (key_id, secret).

    Raises:
        Unauthenticated: the string is not a well-formed key.
    """
    match = _KEY_PATTERN.fullmatch(presented.strip())
    if match is None:
        raise Unauthenticated("malformed API key")
    return match["key_id"], match["secret"]


def derive_pepper(secret_key: str) -> bytes:
    """The API-key pepper, derived from the server secret key.

    Deriving it under its own label keeps these hashes separate from every
    other use of the same secret key (download tokens, cursors).
    """
    return hmac.new(secret_key.encode("utf-8"), _PEPPER_LABEL, hashlib.sha256).digest()


def hash_secret(secret: str, *, pepper: bytes) -> str:
    """The stored form of a key's secret: ``hmac-sha256:<hex>``."""
    digest = hmac.new(pepper, secret.encode("utf-8"), hashlib.sha256).hexdigest()
    return f"{HASH_SCHEME}:{digest}"


def verify_secret(secret: str, stored_hash: str, *, pepper: bytes) -> bool:
    """Whether a secret matches its stored hash, compared in constant time."""
    expected = hash_secret(secret, pepper=pepper)
    return hmac.compare_digest(expected.encode("ascii"), stored_hash.encode("utf-8"))


def authenticate_api_key(key: ApiKey | None, secret: str, *, pepper: bytes, now: datetime) -> Principal:
    """The Principal for a presented secret and the key row its id found (or None).

    Use after ``parse_api_key`` and the lookup by key id. A missing row still
    costs one hash, so the time taken does not tell which key ids exist.

    Raises:
        Unauthenticated: no such key, a revoked key, or a wrong secret.
    """
    if key is None:
        verify_secret(secret, f"{HASH_SCHEME}:{'0' * 64}", pepper=pepper)
        raise Unauthenticated("unknown API key id")
    if not verify_secret(secret, key.hash, pepper=pepper):
        raise Unauthenticated("wrong API key secret")
    if not key.is_active(now):
        raise Unauthenticated("revoked API key")
    return key.principal()
