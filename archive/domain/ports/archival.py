"""The archival port: fonds, dossiers and each record's place in them.

Reads that a caller makes take the caller's ``ReadScope`` and compile it into the
query (a dossier by its own agency, classification and mode; its members by the
record read rule), so a dossier's figures never count a record the caller may not
read.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol, runtime_checkable

from archive.domain.access import ReadScope
from archive.domain.archival import Dossier, DossierStatus, Fonds, Member


@runtime_checkable
class ArchivalStore(Protocol):
    """Fonds and dossiers in the metadata database."""

    def fonds(self, fonds_id: str) -> Fonds | None: ...

    def fonds_by_code(self, code: str) -> Fonds | None: ...

    def fonds_listing(self, agencies: frozenset[str] | None) -> list[Fonds]:
        """Every fonds of ``agencies`` (None: of every agency), by code."""
        ...

    def save_fonds(self, fonds: Fonds) -> None:
        """Insert or update by id. Raises MetadataInvalid when the code is taken."""
        ...

    def dossier(self, dossier_id: str, scope: ReadScope) -> Dossier | None: ...

    def dossier_by_code(self, fonds_id: str, file_code: str, scope: ReadScope) -> Dossier | None: ...

    def dossiers(
        self,
        scope: ReadScope,
        *,
        fonds_id: str | None = None,
        status: DossierStatus | None = None,
        year: int | None = None,
        after: str | None = None,
        limit: int = 100,
    ) -> list[Dossier]:
        """Dossiers the scope reads, ordered by (fonds, file code, id); ``after`` is the last
        id of the previous page."""
        ...

    def save_dossier(self, dossier: Dossier, *, expected_version: int | None) -> Dossier:
        """Insert (``expected_version`` None) or update when the stored row version is
        ``expected_version``; returns the stored dossier with its new row version.
        Raises StaleWrite on a concurrent change, MetadataInvalid when the file code is taken
        in the fonds."""
        ...

    def members(self, dossier_id: str, scope: ReadScope) -> list[Member]:
        """The member records the scope reads, in ordinal order."""
        ...

    def member_ids(self, dossier_id: str) -> list[str]:
        """Every member's id in ordinal order, readable or not (for system work and the
        checks a service makes before it changes a dossier)."""
        ...

    def place(self, dossier_id: str, record_ids: Sequence[str], *, now: datetime) -> list[str]:
        """Append records to a dossier (taking them out of any other), in the given order,
        after its last ordinal; returns the ids that exist. Safe under concurrent callers. Each
        moved record gets a re-index job in the same transaction (search filters on it)."""
        ...

    def unplace(self, record_ids: Sequence[str], *, now: datetime) -> list[str]:
        """Take records out of their dossier; returns the ids that were in one."""
        ...

    def reorder(self, dossier_id: str, record_ids: Sequence[str], *, now: datetime) -> None:
        """Renumber a dossier's members 1..n in the order of ``record_ids``, which must name
        every member once (MetadataInvalid otherwise), with the dossier row locked."""
        ...
