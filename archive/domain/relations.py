"""Relations between documents: replaces, revokes, amends, responds to.

A relation is held by a record in the archive (its *subject*) and points either at
another record in the archive (``target_id``) or, while that document is not in the
archive, at an external reference (issuer, number/notation, date) the subject
declared. A reference is linked to its record automatically when that record is
deposited later (``ExternalReference.matches``); it is kept after linking, because it
is what the subject's own metadata says.

Each relation is stored once, in the direction it was declared; seen from the
other record, its kind is the inverse (``RelationKind.inverse``). Two kinds change
the target's status: ``revokes`` (a revoked record leaves default search results)
and ``replaces`` (a replaced record stays findable, marked: see the README).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime

from archive.domain.errors import MetadataInvalid
from archive.domain.records import Record, nfc
from archive.domain.text import normalize_document_number

NOTE_MAX = 1000


class RelationKind(enum.Enum):
    """How the subject relates to the other document, read from the subject."""

    REPLACES = "replaces"
    REPLACED_BY = "replaced_by"
    REVOKES = "revokes"
    REVOKED_BY = "revoked_by"
    AMENDS = "amends"
    AMENDED_BY = "amended_by"
    RESPONDS_TO = "responds_to"  # edXML ResponseFor
    RESPONDED_BY = "responded_by"

    @property
    def inverse(self) -> RelationKind:
        """The same relation read from the other document."""
        return _INVERSE[self]

    @property
    def changes_status(self) -> bool:
        """Whether the relation revokes or replaces one of its two documents."""
        return self in _STATUS_KINDS

    @property
    def affects_subject(self) -> bool:
        """Whether the document changed is the subject itself (revoked by, replaced by)."""
        return self in (RelationKind.REVOKED_BY, RelationKind.REPLACED_BY)


_PAIRS = (
    (RelationKind.REPLACES, RelationKind.REPLACED_BY),
    (RelationKind.REVOKES, RelationKind.REVOKED_BY),
    (RelationKind.AMENDS, RelationKind.AMENDED_BY),
    (RelationKind.RESPONDS_TO, RelationKind.RESPONDED_BY),
)
_INVERSE = {a: b for a, b in _PAIRS} | {b: a for a, b in _PAIRS}
_STATUS_KINDS = frozenset(
    {RelationKind.REPLACES, RelationKind.REPLACED_BY, RelationKind.REVOKES, RelationKind.REVOKED_BY}
)


class RecordStatus(enum.Enum):
    """Where a record stands in its life: in force, revoked, or replaced by another."""

    ACTIVE = "active"
    REVOKED = "revoked"  # leaves default search results; still retrievable by id
    REPLACED = "replaced"  # stays in search, marked; the replacing record is linked


@dataclass(frozen=True, slots=True)
class ExternalReference:
    """A document named by its issuer, number/notation and date (all as printed)."""

    issuer_code: str  # mã định danh of the issuing agency
    document_number: str  # "123/QĐ-UBND"
    issue_date: date | None = None

    @property
    def number_key(self) -> str:
        """The document number as the archive compares them (``normalize_document_number``)."""
        return normalize_document_number(self.document_number)

    def matches(self, record: Record) -> bool:
        """Whether ``record`` is the document this reference names: same issuer, same
        number/notation, and the same issue date when the reference gives one."""
        m = record.metadata
        return (
            m.issuing_agency_code == self.issuer_code
            and normalize_document_number(m.document_number) == self.number_key
            and (self.issue_date is None or m.issue_date == self.issue_date)
        )


def validate_reference(reference: ExternalReference) -> ExternalReference:
    """The reference NFC-normalised, or MetadataInvalid naming the part at fault."""
    issuer, number = nfc(reference.issuer_code), nfc(reference.document_number)
    if not issuer or len(issuer) > 40:
        raise MetadataInvalid("reference.issuer", "is required, at most 40 characters")
    if not number or len(number) > 100:
        raise MetadataInvalid("reference.number", "is required, at most 100 characters")
    return ExternalReference(issuer, number, reference.issue_date)


@dataclass(frozen=True, slots=True)
class Relation:
    """One declared relation: ``record_id`` ``kind`` the target (a record, or a reference
    while that document is not in the archive, or both once it was linked)."""

    id: str
    record_id: str
    kind: RelationKind
    target_id: str | None
    reference: ExternalReference | None
    created_at: datetime
    created_by: str
    note: str = ""

    @property
    def pending(self) -> bool:
        """Declared by reference, and the referenced document is not in the archive (yet)."""
        return self.target_id is None

    def seen_from(self, record_id: str) -> tuple[RelationKind, str | None, ExternalReference | None]:
        """(kind, the other record's id, the other document's reference) as read from
        ``record_id``: the subject reads it as declared; the target reads the inverse,
        and the other document is the subject (in the archive, so no reference)."""
        if record_id == self.record_id:
            return self.kind, self.target_id, self.reference
        return self.kind.inverse, self.record_id, None

    def changed_record(self) -> str | None:
        """The id of the record this relation revokes or replaces (None if it changes no
        status, or the changed document is not in the archive yet)."""
        if not self.kind.changes_status:
            return None
        return self.record_id if self.kind.affects_subject else self.target_id

    def status_of_changed(self) -> RecordStatus:
        """What the changed record becomes (only for kinds that change a status)."""
        revoking = self.kind in (RelationKind.REVOKES, RelationKind.REVOKED_BY)
        return RecordStatus.REVOKED if revoking else RecordStatus.REPLACED


@dataclass(frozen=True, slots=True)
class StatusMark:
    """A record's status and the relation that set it (None while ACTIVE)."""

    status: RecordStatus
    relation: Relation | None = None

    @property
    def at(self) -> datetime | None:
        return None if self.relation is None else self.relation.created_at


ACTIVE = StatusMark(RecordStatus.ACTIVE)


def status_of(record_id: str, relations: list[Relation]) -> StatusMark:
    """The record's status from the relations that name it: revoked wins over replaced
    (a revocation annuls whatever replaced it), and the earliest relation is the mark."""
    marks = [r for r in sorted(relations, key=lambda r: r.created_at) if r.changed_record() == record_id]
    for wanted in (RecordStatus.REVOKED, RecordStatus.REPLACED):
        for relation in marks:
            if relation.status_of_changed() is wanted:
                return StatusMark(wanted, relation)
    return ACTIVE
