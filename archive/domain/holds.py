"""Legal holds: a named, authorised freeze on destroying records.

A record may be under several holds at once. While ANY hold that names it is
unreleased the record is never destroyed, whatever its disposal date, and its
object carries an S3 legal hold. Releasing a hold needs a reason; the hold and
its release stay on record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from archive.domain.errors import MetadataInvalid


@dataclass(frozen=True, slots=True)
class LegalHold:
    """Who froze what, on whose authority, and whether it still stands."""

    id: str
    name: str
    reason: str
    authority: str  # case number or decision reference
    created_by: str
    created_at: datetime
    record_count: int = 0
    released_at: datetime | None = None
    released_by: str | None = None
    release_reason: str | None = None

    @property
    def active(self) -> bool:
        return self.released_at is None


@dataclass(frozen=True, slots=True)
class RecordSelector:
    """Which records a hold covers, besides explicit ids. Empty fields do not filter;
    an entirely empty selector selects nothing (holding everything must be explicit
    through ``everything``)."""

    agency_codes: tuple[str, ...] = ()
    document_types: tuple[str, ...] = ()
    issued_from: date | None = None
    issued_to: date | None = None
    dossier_code: str | None = None
    everything: bool = False

    @property
    def empty(self) -> bool:
        return not (
            self.everything
            or self.agency_codes
            or self.document_types
            or self.issued_from
            or self.issued_to
            or self.dossier_code
        )


SELECTOR_LIST_MAX = 100
SELECTOR_TEXT_MAX = 300


def validate_selector(selector: RecordSelector) -> RecordSelector:
    """The selector, or MetadataInvalid naming a list too long to be a real question."""
    for name, values in (
        ("agency_codes", selector.agency_codes),
        ("document_types", selector.document_types),
    ):
        if len(values) > SELECTOR_LIST_MAX or any(len(v) > SELECTOR_TEXT_MAX for v in values):
            raise MetadataInvalid(
                f"selector.{name}",
                f"at most {SELECTOR_LIST_MAX} entries of at most {SELECTOR_TEXT_MAX} characters",
            )
    if selector.dossier_code is not None and len(selector.dossier_code) > SELECTOR_TEXT_MAX:
        raise MetadataInvalid("selector.dossier_code", f"at most {SELECTOR_TEXT_MAX} characters")
    return selector


@dataclass(frozen=True, slots=True)
class HoldChange:
    """What adding records to a hold did."""

    hold: LegalHold
    added: tuple[str, ...]
    refused: tuple[str, ...]  # missing, or already being destroyed
