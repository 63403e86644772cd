"""The transfer port: transfer batches to the historical archive and the records they took.

A batch is stored whole (its items are the dossiers' figures and packages at preparation);
its moves are conditional on the state it was read in, so two people recording an
acceptance and a refusal at once cannot both succeed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from archive.domain.transfer import TransferBatch, TransferStatus


@runtime_checkable
class TransferStore(Protocol):
    """Transfer batches in the metadata database."""

    def create(self, batch: TransferBatch) -> None:
        """Insert a new batch and its items."""
        ...

    def get(self, batch_id: str) -> TransferBatch | None: ...

    def listing(self, status: TransferStatus | None = None, *, limit: int = 200) -> list[TransferBatch]:
        """Batches, newest first (the service shows each only to who may see it whole)."""
        ...

    def move(self, batch_id: str, current: TransferStatus, wanted: TransferStatus, **fields: Any) -> bool:
        """Set the status (and the named fields) when the stored status is still ``current``;
        False when it is not (someone moved it first)."""
        ...

    def busy_dossiers(self, dossier_ids: Sequence[str]) -> set[str]:
        """The ids among ``dossier_ids`` already in a prepared, sent or accepted batch."""
        ...

    def mark_transferred(self, batch_id: str, record_ids: Sequence[str], *, now: datetime) -> None:
        """Record that these records went to the historical archive with this batch."""
        ...

    def transferred_records(self, batch_id: str) -> list[str]:
        """The records an accepted batch took, in the order they were marked."""
        ...

    def transferred_among(self, record_ids: Sequence[str]) -> dict[str, str]:
        """record id -> the accepted batch that took it, for the ids that were transferred."""
        ...

    def dossiers_in_open_batches(self) -> set[str]:
        """Every dossier in a prepared or sent batch (not yet due: its handover is under way)."""
        ...
