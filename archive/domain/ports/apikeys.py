"""The API key port: keys stored hashed, looked up by key id."""

from __future__ import annotations

import builtins
from collections.abc import Iterable
from datetime import datetime
from typing import Protocol, runtime_checkable

from archive.domain.access import Role
from archive.domain.apikeys import ApiKey, NewApiKey
from archive.domain.records import Classification


@runtime_checkable
class ApiKeyStore(Protocol):
    """Issued keys: the secret leaves ``create`` once and is never stored."""

    @property
    def pepper(self) -> bytes:
        """The server-held key the secrets are hashed with."""
        ...

    def create(
        self,
        *,
        name: str,
        agencies: Iterable[str],
        roles: Iterable[Role],
        clearance: Classification,
        now: datetime | None = None,
    ) -> tuple[ApiKey, NewApiKey]:
        """Store a new key's hash; returns the stored key and the one-time secret."""
        ...

    def get(self, key_id: str) -> ApiKey | None: ...

    def list(self) -> builtins.list[ApiKey]: ...

    def revoke(self, key_id: str, *, now: datetime | None = None) -> bool:
        """Revoke a key from ``now`` on; False when there is no such key."""
        ...
