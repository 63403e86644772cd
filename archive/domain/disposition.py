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
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime

from archive.domain.access import ManageScope, Readable
from archive.domain.records import Classification


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
