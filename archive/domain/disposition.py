"""Defensible disposition: batches, the per-record purge state machine, tombstones.

A batch is proposed from records whose disposal date has passed and that no
hold protects, approved by a records manager with a decision reference, then
executed. Each record goes through the purge steps in order; every step is
idempotent and its end is recorded, so a run that stops anywhere resumes to
the same end state::

    PENDING -> STARTED -> UNINDEXED -> BLOBS_DELETED -> TOMBSTONED -> DONE
          \\-> SKIPPED (held, no longer due, or gone before it started)

STARTED is taken under a row lock on the record, with the hold check in the
same transaction: a hold that commits first wins, and a hold placed after a
purge has started is refused.

Circular 06/2025/TT-BNV adds to this: every item carries its disposal reason
(retention expired, or a redundant duplicate of a copy the archive keeps); a
record in an open batch is "under review for destruction" (Xem xét hủy); the
batch carries its explanatory note (bản thuyết minh), its appraisal council
(``archive.domain.council``) and its papers, each kept as a record of the
agency: the council's minutes, the destruction decision and the destruction
minutes, the last due within ``MINUTES_DAYS`` days of the decision.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from archive.domain.access import ManageScope, Readable
from archive.domain.council import CouncilMember
from archive.domain.records import Classification

MINUTES_DAYS = 15
"""Circular 06/2025: the destruction minutes within 15 days of the destruction decision
(counted here in calendar days, the decision's day being day 0)."""

NOTE_MAX = 20_000  # the explanatory note: a few pages of text


class BatchStatus(enum.Enum):
    PROPOSED = "proposed"
    APPROVED = "approved"
    EXECUTED = "executed"


class ItemState(enum.Enum):
    """Where one record of a batch stands; ordered along the purge."""

    PENDING = "pending"
    STARTED = "started"
    UNINDEXED = "unindexed"
    BLOBS_DELETED = "blobs_deleted"
    TOMBSTONED = "tombstoned"
    DONE = "done"
    SKIPPED = "skipped"

    @property
    def final(self) -> bool:
        return self in (ItemState.DONE, ItemState.SKIPPED)

    @property
    def purging(self) -> bool:
        """The purge has begun and must run to its end."""
        return self in (ItemState.STARTED, ItemState.UNINDEXED, ItemState.BLOBS_DELETED, ItemState.TOMBSTONED)


class DisposalReason(enum.Enum):
    """Why a record is proposed for destruction."""

    EXPIRED = "expired"  # its retention period is over
    DUPLICATE = "duplicate"  # a redundant copy of a record the archive keeps
    TRANSFERRED = "transferred"  # the historical archive accepted it: the local copy may go


class ReviewStatus(enum.Enum):
    """Where a record stands on its way to destruction, as shown on the record."""

    UNDER_REVIEW = "under_review"  # Xem xét hủy: in a proposed batch
    DESTRUCTION_APPROVED = "destruction_approved"  # in an approved batch, not yet destroyed


class PaperKind(enum.Enum):
    """The papers a batch keeps as records of the agency."""

    COUNCIL_MINUTES = "council_minutes"  # Biên bản họp Hội đồng xác định giá trị tài liệu
    DECISION = "decision"  # Quyết định hủy tài liệu
    DESTRUCTION_MINUTES = "destruction_minutes"  # Biên bản hủy tài liệu

    @property
    def document_type(self) -> str:
        """The type the paper is deposited under (Circular 05/2025 type names)."""
        return "Quyết định" if self is PaperKind.DECISION else "Biên bản"


@dataclass(frozen=True, slots=True)
class Paper:
    """A paper of the batch, deposited as a record of ``agency_code``."""

    kind: PaperKind
    record_id: str
    agency_code: str
    classification: int
    issued_on: date
    attached_by: str
    attached_at: datetime

    @property
    def readable(self) -> Readable:
        return Readable(self.agency_code, Classification(self.classification), is_public=False)


PURGE_ORDER: tuple[ItemState, ...] = (
    ItemState.PENDING,
    ItemState.STARTED,
    ItemState.UNINDEXED,
    ItemState.BLOBS_DELETED,
    ItemState.TOMBSTONED,
    ItemState.DONE,
)


def next_state(state: ItemState) -> ItemState:
    """The state the next purge step leads to."""
    return PURGE_ORDER[PURGE_ORDER.index(state) + 1]


@dataclass(frozen=True, slots=True)
class BatchItem:
    """One record in a batch, with what the certificate and tombstone will need."""

    batch_id: str
    record_id: str
    state: ItemState
    document_number: str
    document_type: str
    agency_code: str
    classification: int
    rule_code: str | None
    disposal_date: date
    sha256: str
    storage_key: str
    version_ids: tuple[str, ...] = ()
    note: str | None = None  # why it was skipped, or the last error
    reason: DisposalReason = DisposalReason.EXPIRED
    duplicate_of: str | None = None  # the copy kept, for a DUPLICATE
    dossier_id: str | None = None  # the dossier it was in when planned

    @property
    def readable(self) -> Readable:
        """The facts ``can_manage`` decides on, as they stood when the batch was planned."""
        return Readable(self.agency_code, Classification(self.classification), is_public=False)


@dataclass(frozen=True, slots=True)
class DispositionBatch:
    """A proposed, approved or executed set of records to destroy."""

    id: str
    status: BatchStatus
    planned_by: str
    planned_at: datetime
    cutoff: date  # records due on or before this day
    approved_by: str | None = None
    approved_at: datetime | None = None
    decision_ref: str | None = None
    executed_at: datetime | None = None
    items: tuple[BatchItem, ...] = ()
    planner_scope: ManageScope | None = None  # what the planner could manage, at planning
    approver_scope: ManageScope | None = None  # what the approver could manage, at approval
    explanatory_note: str = ""  # bản thuyết minh
    decided_on: date | None = None  # the destruction decision's date: the minutes' clock
    council: tuple[CouncilMember, ...] = ()
    papers: tuple[Paper, ...] = ()

    def paper(self, kind: PaperKind) -> Paper | None:
        return next((p for p in self.papers if p.kind is kind), None)

    @property
    def minutes_due(self) -> date | None:
        """The last day for the destruction minutes; None before a decision."""
        return None if self.decided_on is None else self.decided_on + timedelta(days=MINUTES_DAYS)

    def minutes_overdue(self, today: date) -> bool:
        """Decided, no destruction minutes yet, and past the deadline."""
        due = self.minutes_due
        return due is not None and self.paper(PaperKind.DESTRUCTION_MINUTES) is None and today > due


@dataclass(frozen=True, slots=True)
class DestructionReview:
    """A record's place in an open batch (what ``Record.destructionReview`` shows)."""

    record_id: str
    status: ReviewStatus
    batch_id: str
    reason: DisposalReason
    duplicate_of: str | None
    agency_code: str
    classification: int

    @property
    def readable(self) -> Readable:
        return Readable(self.agency_code, Classification(self.classification), is_public=False)


@dataclass(frozen=True, slots=True)
class Tombstone:
    """What remains of a destroyed record: enough to prove what was destroyed, and why."""

    record_id: str
    document_number: str
    document_type: str
    agency_code: str
    classification: int
    issue_date: date
    rule_code: str | None
    disposal_date: date
    decision_ref: str
    batch_id: str
    approved_by: str
    deposited_at: datetime
    destroyed_at: datetime
    sha256: str
    size: int
    version_ids: tuple[str, ...]
