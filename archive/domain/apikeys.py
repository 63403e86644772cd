"""API keys for portals, as the domain sees them: a scope and the hash of a secret.

Issuing and checking keys (the HMAC, the pepper) lives in ``archive.auth.apikeys``;
these are the values that cross the ``ApiKeyStore`` port.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from archive.domain.access import Principal, Role
from archive.domain.records import Classification


class NewApiKey(NamedTuple):
    """A freshly issued key. ``display`` is what the portal is given, once."""

    key_id: str
    secret: str
    display: str


@dataclass(frozen=True, slots=True)
class ApiKey:
    """A stored API key: its scope, and the hash of its secret."""

    id: str
    name: str
    agencies: frozenset[str]
    roles: frozenset[Role]
    clearance: Classification
    created_at: datetime
    revoked_at: datetime | None
    hash: str

    def is_active(self, now: datetime) -> bool:
        """Not revoked, or revoked only after ``now``."""
        return self.revoked_at is None or self.revoked_at > now

    def principal(self) -> Principal:
        """The caller this key authenticates."""
        return Principal(
            subject=f"apikey:{self.id}",
            roles=self.roles,
            agencies=self.agencies,
            clearance=self.clearance,
        )
