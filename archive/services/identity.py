"""Who is calling: the credentials of a request, turned into a Principal.

``Authorization: Bearer <jwt>`` is checked by the OIDC verifier; ``X-API-Key:
ark_...`` (or ``Authorization: ApiKey ark_...``) against the hashed key table.
No credentials means the anonymous caller, or the local admin in development, or
a refusal when the deployment turns anonymous access off. Every bad credential
raises the same ``Unauthenticated``; its ``reason`` is for the audit log only.

The command line acts as a local operator (``local:<os user>``, an admin cleared
for everything: whoever runs it already holds the database and the secret key),
or as an API key it was given, verified exactly like one sent over HTTP.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass

from archive.auth.apikeys import authenticate_api_key, parse_api_key
from archive.auth.errors import Unauthenticated
from archive.domain.access import ANONYMOUS, Principal, Role
from archive.domain.records import Classification
from archive.services.container import Services

DEV_ADMIN = Principal(
    subject="dev-admin",
    roles=frozenset({Role.ADMIN}),
    clearance=Classification.TOP_SECRET,
)


@dataclass(frozen=True, slots=True)
class Caller:
    """The principal, and how it proved who it is."""

    principal: Principal
    credential: str  # "bearer", "apikey", "dev", or "none"
    api_key_id: str = ""

    @property
    def sent_credentials(self) -> bool:
        return self.credential in ("bearer", "apikey")


def presented_credentials(headers: Mapping[str, str]) -> tuple[str, str] | None:
    """(scheme, value) of the credentials in ``headers``: ("bearer"|"apikey", ...) or None.

    Raises:
        Unauthenticated: an unknown scheme, or both headers at once.
    """
    api_key = headers.get("x-api-key")
    authorization = headers.get("authorization")
    if api_key is not None and authorization is not None:
        raise Unauthenticated("both X-API-Key and Authorization")
    if api_key is not None:
        return "apikey", api_key
    if authorization is None:
        return None
    scheme, _, value = authorization.strip().partition(" ")
    if scheme.lower() == "bearer":
        return "bearer", value.strip()
    if scheme.lower() == "apikey":
        return "apikey", value.strip()
    raise Unauthenticated(f"unknown authorization scheme {scheme[:20]!r}")


async def identify(services: Services, headers: Mapping[str, str]) -> Caller:
    """The caller behind a request's headers (lower-case names).

    Raises:
        Unauthenticated: bad credentials, or none where anonymous access is off.
        ServiceUnavailable: the identity provider's keys could not be fetched.
    """
    presented = presented_credentials(headers)
    if presented is None:
        return _without_credentials(services)
    scheme, value = presented
    if scheme == "bearer":
        return Caller(await _verify_token(services, value), "bearer")
    principal = await asyncio.to_thread(_verify_api_key, services, value)
    return Caller(principal, "apikey", api_key_id=principal.subject.removeprefix("apikey:"))


LOCAL_PREFIX = "local:"


def local_operator(os_user: str) -> Principal:
    """The principal of someone running ``archive`` on the server as ``os_user``.

    The ``local:`` prefix is reserved, so no token can pose as a local operator.
    """
    name = "".join(ch for ch in os_user if ch.isprintable() and not ch.isspace())[:100] or "unknown"
    return Principal(
        subject=f"{LOCAL_PREFIX}{name}", roles=frozenset({Role.ADMIN}), clearance=Classification.TOP_SECRET
    )


def api_key_principal(services: Services, presented: str) -> Principal:
    """The principal behind an API key given on the command line. Blocking.

    Raises:
        Unauthenticated: malformed, unknown, revoked or wrong key.
    """
    return _verify_api_key(services, presented)


def _without_credentials(services: Services) -> Caller:
    settings = services.settings
    if settings.dev_admin_enabled:
        return Caller(DEV_ADMIN, "dev")
    if not settings.anonymous_access:
        raise Unauthenticated("no credentials and anonymous access is off")
    return Caller(ANONYMOUS, "none")


async def _verify_token(services: Services, token: str) -> Principal:
    verifier = services.tokens
    if verifier is None:
        raise Unauthenticated("bearer tokens are not configured")
    if verifier.may_block:  # a JWKS refresh is a network call
        return await asyncio.to_thread(verifier.verify, token)
    return verifier.verify(token)


def _verify_api_key(services: Services, presented: str) -> Principal:
    key_id, secret = parse_api_key(presented)
    key = services.api_keys.get(key_id)
    return authenticate_api_key(key, secret, pepper=services.api_keys.pepper, now=services.clock())
