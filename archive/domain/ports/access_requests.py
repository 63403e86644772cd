"""The reader-request store port: requests for copies and the decisions on them."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol, runtime_checkable

from archive.domain.access_requests import AccessRequest, RequestStatus


@runtime_checkable
class AccessRequestStore(Protocol):
    """Requests by id; a decision is written once, on a pending request only."""

    def add(self, request: AccessRequest) -> None:
        """Store a new (pending) request."""
        ...

    def get(self, request_id: str) -> AccessRequest | None:
        """One request, or None."""
        ...

    def decide(
        self, request_id: str, *, status: RequestStatus, by: str, at: datetime, note: str
    ) -> AccessRequest | None:
        """Approve or refuse a pending request, atomically; None when it is not pending
        any more (decided meanwhile) or does not exist."""
        ...

    def list(self, *, reader: str | None, first: int) -> list[AccessRequest]:
        """Up to ``first`` requests, newest first; only ``reader``'s when given."""
        ...
