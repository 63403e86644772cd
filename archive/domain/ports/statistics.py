"""The statistics port: counts compiled into one GROUP BY each, with the caller's scope in
the WHERE clause (never counted first and filtered after)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol, runtime_checkable

from archive.domain.access import AuditScope, ReadScope
from archive.domain.statistics import AccessBucket, CountBucket, DossierDimension, RecordDimension


@runtime_checkable
class StatisticsStore(Protocol):
    """Counts over the metadata database."""

    def record_counts(self, scope: ReadScope, by: RecordDimension) -> list[CountBucket]:
        """Records ``scope`` may read, grouped ``by`` one dimension, by value."""
        ...

    def dossier_counts(self, scope: ReadScope, by: DossierDimension) -> list[CountBucket]:
        """Dossiers ``scope`` may read, grouped ``by`` one dimension, by value."""
        ...

    def access_counts(
        self, scope: AuditScope, actions: tuple[str, ...], since: datetime | None, until: datetime | None
    ) -> list[AccessBucket]:
        """Audit entries of ``actions`` between ``since`` and ``until``, one per record they
        are about that ``scope`` allows (a readable record, not a tombstone), by month."""
        ...
