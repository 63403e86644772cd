"""The lifecycle port: a record's metadata versions and its relations."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol, runtime_checkable

from archive.domain.records import Record, RecordMetadata
from archive.domain.relations import ExternalReference, Relation
from archive.domain.versions import MetadataVersion


@runtime_checkable
class LifecycleStore(Protocol):
    """Corrections with history, and relations between records (and external references).

    Every write that changes what the search index holds (the current metadata, a record's
    revoked or replaced status) bumps that record's row version and enqueues an index-only
    job in the same transaction (the outbox), as grants do.
    """

    def correct(
        self,
        record_id: str,
        metadata: RecordMetadata,
        *,
        actor: str,
        at: datetime,
        reason: str,
        expected_version: int | None = None,
    ) -> Record | None:
        """Make ``metadata`` the record's next version (keeping version 1, the deposit's,
        the first time) and its current metadata, in one transaction. None when there is
        no such record; VersionConflict when ``expected_version`` is not the current one."""
        ...

    def versions(self, record_id: str) -> list[MetadataVersion]:
        """Every metadata version, oldest first; a record never corrected has one, the
        deposit's (read from its row). Empty when there is no such record."""
        ...

    def add_relation(self, relation: Relation) -> None:
        """Store the relation; when it revokes or replaces a record in the archive, that
        record is re-indexed (row version, index job) in the same transaction."""
        ...

    def relations_of(self, record_ids: Sequence[str]) -> dict[str, list[Relation]]:
        """For each id, the relations that name it, declared by it or pointing at it,
        oldest first (ids naming nothing map to an empty list)."""
        ...

    def find_by_reference(self, reference: ExternalReference) -> list[tuple[str, str]]:
        """(record id, owning agency) of the records ``reference`` names, oldest first."""
        ...

    def pending_naming(self, record: Record) -> list[Relation]:
        """Pending relations (declared by reference, no record yet) whose reference names
        ``record`` (``ExternalReference.matches``), oldest first."""
        ...

    def link(self, relation_id: str, target_id: str, *, at: datetime) -> Relation | None:
        """Link a pending relation to the record it names (once: None when it is linked
        already or gone); the record a status-changing relation changes is re-indexed."""
        ...
