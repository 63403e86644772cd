"""Webhook subscriptions and their deliveries, as the domain sees them; Standard Webhooks
signing; and which target addresses a delivery may reach.

Signing follows the Standard Webhooks convention (standardwebhooks.com): the secret is
``whsec_`` + base64 of random bytes; each request carries ``webhook-id``,
``webhook-timestamp`` (Unix seconds) and ``webhook-signature`` =
``v1,`` + base64(HMAC-SHA256(secret bytes, "{id}.{timestamp}.{body}")). It is a dozen
lines of ``hmac``, so no library is needed to send; receivers can use any Standard
Webhooks library to verify.

Targets: a webhook makes the server call a URL an admin typed, from inside the
archive's network, so it must not be a way to reach the cloud metadata service or
the host's own ports (SSRF). By default link-local (169.254.0.0/16, fe80::/10, which
hold the metadata endpoints), loopback, unspecified, multicast and reserved
addresses are refused; ``allowed`` networks lift that (tests allow loopback), and
``denied`` networks are refused always.
"""

from __future__ import annotations

import base64
import enum
import hashlib
import hmac
import ipaddress
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from archive.domain.access import Principal, Role
from archive.domain.errors import MetadataInvalid
from archive.domain.events import EVENT_TYPES
from archive.domain.records import Classification

SECRET_PREFIX = "whsec_"  # noqa: S105 - the Standard Webhooks prefix, not a secret
SIGNATURE_VERSION = "v1"
MAX_URL_LENGTH = 2000


@dataclass(frozen=True, slots=True)
class Owner:
    """The principal a subscription acts for: events reach it only about what it may
    read. An API key owner (``apikey:<id>``) is looked up again at each delivery, so a
    revoked or narrowed key narrows the events at once; any other owner is the scope it
    had when the subscription was made."""

    subject: str
    roles: frozenset[Role]
    agencies: frozenset[str]
    clearance: Classification

    @classmethod
    def of(cls, principal: Principal) -> Owner:
        return cls(principal.subject, principal.roles, principal.agencies, principal.clearance)

    @property
    def api_key_id(self) -> str | None:
        return self.subject.removeprefix("apikey:") if self.subject.startswith("apikey:") else None

    def principal(self) -> Principal:
        return Principal(self.subject, self.roles, self.agencies, self.clearance)


@dataclass(frozen=True, slots=True)
class Subscription:
    """Where to send which events, signed with which secret, on whose behalf."""

    id: str
    url: str
    event_types: frozenset[str]
    secret: str  # whsec_...
    owner: Owner
    active: bool
    created_at: datetime
    created_by: str
    after_seq: int  # the audit head when it was made: it hears of later events only
    description: str = ""

    def wants(self, event_type: str) -> bool:
        return self.active and event_type in self.event_types


class DeliveryStatus(enum.StrEnum):
    """Where a delivery stands."""

    PENDING = "pending"  # due at ``next_at`` (first try, or a retry after a failure)
    DELIVERED = "delivered"  # the receiver answered 2xx
    PARKED = "parked"  # failed ``max_attempts`` times; ``redeliver`` puts it back
    WITHHELD = "withheld"  # the owner may no longer read the subject: never sent


@dataclass(frozen=True, slots=True)
class Delivery:
    """One event owed to one subscription, and how its attempts went."""

    id: int
    subscription_id: str
    seq: int  # the audit entry (the event); never shown to subscribers
    event_type: str
    subject_id: str
    status: DeliveryStatus
    attempts: int
    next_at: datetime
    created_at: datetime
    last_attempt_at: datetime | None = None
    last_status_code: int | None = None
    last_error: str | None = None


@dataclass(frozen=True, slots=True)
class SendResult:
    """What one HTTP attempt came to: a status code, or an error (refused target, timeout)."""

    status_code: int | None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


# -- signing ---------------------------------------------------------------------------------


def new_secret() -> str:
    """A fresh signing secret: ``whsec_`` + base64 of 24 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode("ascii")


def secret_bytes(secret: str) -> bytes:
    """The key a ``whsec_`` secret stands for."""
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header value: ``v1,<base64 HMAC-SHA256>``."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    mac = hmac.new(secret_bytes(secret), signed, hashlib.sha256).digest()
    return f"{SIGNATURE_VERSION},{base64.b64encode(mac).decode('ascii')}"


def signed_headers(secret: str, message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The headers of one delivery attempt."""
    return {
        "content-type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(secret, message_id, timestamp, body),
    }


# -- validation ------------------------------------------------------------------------------


def check_url(url: str) -> str:
    """An http(s) URL with a host and no credentials in it.

    Raises:
        MetadataInvalid: anything else.
    """
    if len(url) > MAX_URL_LENGTH or any(ch.isspace() or not ch.isprintable() for ch in url):
        raise MetadataInvalid("url", "must be a URL without blanks or controls, at most 2000 characters")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise MetadataInvalid("url", "must be an http or https URL with a host")
    if parts.username is not None or parts.password is not None:
        raise MetadataInvalid("url", "must not carry credentials; the signature authenticates the archive")
    return url


def check_event_types(names: Iterable[str]) -> frozenset[str]:
    """Known event type names, at least one.

    Raises:
        MetadataInvalid: none given, or one that is not an event type.
    """
    chosen = frozenset(names)
    unknown = sorted(chosen - EVENT_TYPES)
    if unknown:
        raise MetadataInvalid("eventTypes", f"unknown event types {unknown}; known: {sorted(EVENT_TYPES)}")
    if not chosen:
        raise MetadataInvalid("eventTypes", "name at least one event type")
    return chosen


# -- target addresses ------------------------------------------------------------------------

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True, slots=True)
class TargetPolicy:
    """Which resolved addresses a delivery may connect to (see the module docstring)."""

    allowed: tuple[Network, ...] = ()
    denied: tuple[Network, ...] = ()

    @classmethod
    def parse(cls, allowed: str, denied: str) -> TargetPolicy:
        """From comma-separated CIDRs (``127.0.0.0/8,::1/128``)."""
        return cls(_networks(allowed), _networks(denied))

    def allows(self, address: Address) -> bool:
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        if any(address in n for n in self.denied if n.version == address.version):
            return False
        if any(address in n for n in self.allowed if n.version == address.version):
            return True
        return not _refused_by_default(address)


def _refused_by_default(address: Address) -> bool:
    return (
        address.is_link_local
        or address.is_loopback
        or address.is_unspecified
        or address.is_multicast
        or address.is_reserved
    )


def _networks(text: str) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(part.strip(), strict=False) for part in text.split(",") if part.strip())
