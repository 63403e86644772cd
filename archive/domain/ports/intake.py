"""The intake port: one row per edXML document taken in (see ``archive.domain.intake``)."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from archive.domain.edxml import IntakeKey
from archive.domain.intake import Intake


@runtime_checkable
class IntakeStore(Protocol):
    """Intakes by key; written once, a pending one later marked applied."""

    def by_key(self, key: IntakeKey) -> Intake | None:
        """The intake of this document, sender and business type, if any."""
        ...

    def add(self, intake: Intake) -> bool:
        """Store a new intake; False (and nothing written) when its key is already taken,
        so two concurrent imports of one document leave one row."""
        ...

    def record_of(self, sender_organ_id: str, document_id: str) -> str | None:
        """The record a new or replacing package of this document created, if any."""
        ...

    def pending_for(self, sender_organ_id: str, document_id: str) -> list[Intake]:
        """Updates and revocations of this document still waiting for it, oldest first."""
        ...

    def mark_applied(self, intake_id: str) -> None:
        """A pending intake's action is done."""
        ...

    def of_record(self, record_id: str) -> list[Intake]:
        """Every intake that created or acted on this record, oldest first."""
        ...
