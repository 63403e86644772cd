"""The audit log port: an append-only hash chain (see ``archive.domain.audit``)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from archive.domain.audit import AuditEntry, DetailValue, Outcome


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """Which entries to list; None does not filter."""

    actor: str | None = None
    action: str | None = None
    target: str | None = None
    since: datetime | None = None
    until: datetime | None = None


@runtime_checkable
class AuditLog(Protocol):
    """Appends one sealed entry at a time, serialised on the chain's head."""

    def append(
        self,
        *,
        at: datetime,
        actor: str,
        action: str,
        target: str,
        outcome: Outcome,
        client: str = "",
        details: Mapping[str, DetailValue] | None = None,
    ) -> AuditEntry:
        """Seal and store the next entry of the chain, in its own transaction."""
        ...

    def entries(self, batch_size: int = 1000) -> Iterator[AuditEntry]:
        """Every entry in ``seq`` order (for ``verify_chain``)."""
        ...

    def find(self, filter: AuditFilter, *, first: int, after_seq: int | None = None) -> list[AuditEntry]:
        """Up to ``first`` entries matching ``filter``, newest first, older than ``after_seq``."""
        ...
