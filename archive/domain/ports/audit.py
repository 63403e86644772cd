"""The audit log port: an append-only hash chain (see ``archive.domain.audit``)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from archive.domain.access import AuditScope
from archive.domain.audit import AuditEntry, ChainHead, DetailValue, Outcome


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
        records: Iterable[str] = (),
    ) -> AuditEntry:
        """Seal and store the next entry of the chain, in its own transaction, with the
        records it is about (``record_subjects``, plus ``records``)."""
        ...

    @property
    def keyed(self) -> bool:
        """Whether appends seal the head with a MAC."""
        ...

    def head(self) -> tuple[int, str]:
        """The head (seq, hash), checked against the entry it names (IntegrityError if not)."""
        ...

    def stored_head(self) -> ChainHead:
        """The stored head as appends left it (seq, hash, MAC), unchecked."""
        ...

    def seal_head(self) -> ChainHead:
        """Seal the current head with the key (``archive audit seal``, after verifying)."""
        ...

    def entry(self, seq: int) -> AuditEntry | None:
        """One entry by its seq."""
        ...

    def entries(self, batch_size: int = 1000) -> Iterator[AuditEntry]:
        """Every entry in ``seq`` order (for ``verify_chain``)."""
        ...

    def find(
        self,
        filter: AuditFilter,
        *,
        first: int,
        after_seq: int | None = None,
        scope: AuditScope | None = None,
    ) -> list[AuditEntry]:
        """Up to ``first`` entries matching ``filter``, newest first, older than ``after_seq``;
        with a ``scope``, only those it allows (compiled into the query)."""
        ...

    def after(self, seq: int, *, actions: Collection[str], limit: int) -> list[AuditEntry]:
        """Up to ``limit`` entries with a seq above ``seq`` whose action is one of
        ``actions``, oldest first (events are read from the chain this way)."""
        ...

    def hidden_subjects(self, seqs: Sequence[int], scope: AuditScope) -> dict[int, frozenset[str]]:
        """For each of ``seqs``, the records it is about that ``scope`` does not allow."""
        ...
