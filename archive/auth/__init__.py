"""Who is calling: bearer tokens (OIDC/JWT) and API keys, both ending in a Principal."""

from archive.auth.apikeys import (
    ApiKey,
    NewApiKey,
    authenticate_api_key,
    derive_pepper,
    generate_api_key,
    hash_secret,
    parse_api_key,
    verify_secret,
)
from archive.auth.errors import Unauthenticated
from archive.auth.tokens import TokenConfig, TokenVerifier

__all__ = [
    "ApiKey",
    "NewApiKey",
    "TokenConfig",
    "TokenVerifier",
    "Unauthenticated",
    "authenticate_api_key",
    "derive_pepper",
    "generate_api_key",
    "hash_secret",
    "parse_api_key",
    "verify_secret",
]
