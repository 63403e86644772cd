"""The retention ports: the schedule and assignments, legal holds, disposition batches.

Every method that picks records for a caller takes the caller's ``ManageScope``
and compiles it into its own query, the way ``RecordRepository`` compiles
``ReadScope``: a record outside the scope is never proposed, held, counted or
released by someone who may not manage it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Protocol, runtime_checkable

from archive.domain.access import ManageScope
from archive.domain.council import CouncilMember, Vote
from archive.domain.disposition import (
    BatchItem,
    BatchStatus,
    DestructionReview,
    DispositionBatch,
    ItemState,
    Paper,
    Tombstone,
)
from archive.domain.holds import LegalHold, RecordSelector
from archive.domain.retention import Assignment, Dossier, RetentionRule, RetentionState


@runtime_checkable
class RetentionStore(Protocol):
    """Rules, dossiers and each record's computed disposal date."""

    def rules(self) -> list[RetentionRule]: ...

    def dossiers(self) -> list[Dossier]: ...

    def upsert_dossier(self, dossier: Dossier) -> None: ...

    def dossier_members(self, code: str) -> list[str]: ...

    def set_dossier(self, code: str | None, record_ids: Sequence[str], *, now: datetime) -> list[str]:
        """Put records in dossier ``code`` (None: out of any); returns the ids that exist.
        Raises NotFound for an unknown dossier."""
        ...

    def states(
        self, record_ids: Sequence[str] | None = None, *, after: str = "", limit: int = 500
    ) -> list[RetentionState]:
        """Records with their facts and assignment: the given ids, or a page after ``after``."""
        ...

    def uncomputed_ids(self, limit: int = 1000) -> list[str]:
        """Records that have no assignment yet (deposited, not sealed), or one computed before
        the tiers (``Assignment.maintenance`` None): disposition recomputes them before planning."""
        ...

    def save(self, assignments: Mapping[str, Assignment], *, now: datetime) -> None: ...

    def change_rules(
        self,
        upserts: Iterable[RetentionRule],
        deletes: Iterable[str],
        assignments: Mapping[str, Assignment] | Iterable[tuple[str, Assignment]],
        *,
        now: datetime,
    ) -> None:
        """Write the new schedule and the recomputed assignments in ONE transaction.

        ``assignments`` may be a lazy stream of ``(record_id, assignment)`` pairs: it is
        consumed inside the transaction in bounded batches, so a change touching every
        record holds one batch in memory, never the whole archive."""
        ...

    def assignment(self, record_id: str) -> tuple[Assignment, str | None] | None:
        """The stored assignment and dossier code of a record."""
        ...

    def manageable(self, record_ids: Sequence[str], scope: ManageScope) -> set[str]:
        """Which of ``record_ids`` exist AND ``scope`` manages (the rest look alike: absent)."""
        ...


@runtime_checkable
class HoldStore(Protocol):
    """Holds, the records they name, and which records are held."""

    def create(self, hold: LegalHold) -> None: ...

    def get(self, hold_id: str, scope: ManageScope) -> LegalHold | None:
        """The hold, its ``record_count`` counting only records ``scope`` manages."""
        ...

    def listing(self, scope: ManageScope, *, active_only: bool = False) -> list[LegalHold]:
        """Every hold, newest first, counted like ``get``."""
        ...

    def add_record(self, hold_id: str, record_id: str, *, actor: str, now: datetime) -> bool:
        """Name a record in the hold under its row lock; False when it is gone or its purge began."""
        ...

    def select_ids(self, selector: RecordSelector, scope: ManageScope, *, limit: int = 100_000) -> list[str]:
        """Ids of the records the selector names AND ``scope`` manages (none for an empty selector)."""
        ...

    def release(
        self, hold_id: str, scope: ManageScope, *, actor: str, reason: str, now: datetime
    ) -> tuple[LegalHold, list[str]]:
        """Mark the hold released; returns it and the records it named. Raises NotFound for
        no such hold, and Forbidden (changing nothing) when it names a record outside ``scope``."""
        ...

    def held_ids(self, record_ids: Sequence[str]) -> set[str]:
        """Which of ``record_ids`` at least one unreleased hold names."""
        ...

    def naming(self, record_ids: Sequence[str], scope: ManageScope) -> dict[str, list[LegalHold]]:
        """The holds (released ones too, newest first) naming each of ``record_ids`` that
        ``scope`` manages, counted like ``get``; ids it does not manage, or that no hold
        names, are left out."""
        ...


@runtime_checkable
class DispositionStore(Protocol):
    """Batches, their items' purge states, and tombstones."""

    def candidates(
        self, today: date, scope: ManageScope, *, limit: int, among: Sequence[str] | None = None
    ) -> list[BatchItem]:
        """Records due on or before ``today`` that ``scope`` manages, under no active hold
        and in no open batch (and, with ``among``, one of those ids)."""
        ...

    def transferred(self, today: date, scope: ManageScope, *, among: Sequence[str]) -> list[BatchItem]:
        """Records among ``among`` that an accepted transfer batch took to the historical
        archive, that ``scope`` manages, under no active hold and in no open batch; ``today``
        is their item's date, their reason TRANSFERRED."""
        ...

    def duplicates(self, today: date, scope: ManageScope, *, limit: int) -> list[BatchItem]:
        """Redundant copies ``scope`` manages (same agency, same bytes or same document, a
        kept copy at most as classified), kept permanently (any other copy is locked until
        it is due), under no hold, in no open batch; ``today`` is their item's date."""
        ...

    def create(self, batch: DispositionBatch) -> None:
        """Store a proposed batch, its items, its explanatory note and its planner's scope."""
        ...

    def get(self, batch_id: str) -> DispositionBatch | None: ...

    def listing(self, status: BatchStatus | None = None, *, limit: int = 100) -> list[DispositionBatch]: ...

    def approve(
        self,
        batch_id: str,
        *,
        approver: str,
        scope: ManageScope,
        decision_ref: str,
        now: datetime,
        decided_on: date | None = None,
    ) -> None:
        """PROPOSED -> APPROVED, keeping the approver's scope and the decision's date (default:
        ``now``'s); DispositionRefused otherwise."""
        ...

    def set_note(self, batch_id: str, note: str) -> None:
        """Replace a proposed batch's explanatory note."""
        ...

    def seat(self, batch_id: str, member: CouncilMember) -> None:
        """Seat a member on a proposed batch's council (or update its name and role)."""
        ...

    def unseat(self, batch_id: str, subject: str) -> bool:
        """Take a member and its vote off a proposed batch's council; False if not seated."""
        ...

    def vote(self, batch_id: str, subject: str, vote: Vote, note: str, *, now: datetime) -> None:
        """Record or change a seated member's vote on a proposed batch."""
        ...

    def attach(self, batch_id: str, paper: Paper) -> None:
        """Link a deposited paper to the batch, once per kind (DispositionRefused after)."""
        ...

    def dossier_reviews(self, dossier_id: str) -> list[DestructionReview]:
        """The records planned from the dossier that sit in an open batch."""
        ...

    def reviews(self, record_ids: Sequence[str]) -> dict[str, DestructionReview]:
        """Which of ``record_ids`` sit in an open batch, and where they stand."""
        ...

    def start(self, batch_id: str, record_id: str, *, today: date, now: datetime) -> ItemState:
        """PENDING -> STARTED, or SKIPPED (held, no longer due, gone, or outside the planner's
        or the approver's scope as the record stands now), under the record's row lock."""
        ...

    def set_state(
        self,
        batch_id: str,
        record_id: str,
        state: ItemState,
        *,
        now: datetime,
        note: str | None = None,
        version_ids: Sequence[str] | None = None,
    ) -> None: ...

    def set_version_ids(self, batch_id: str, record_id: str, version_ids: Sequence[str]) -> None:
        """Keep the object's version ids on the item before they are deleted."""
        ...

    def tombstone(self, batch: DispositionBatch, item: BatchItem, *, now: datetime) -> None:
        """Replace the record's row by its tombstone and mark the item TOMBSTONED, in ONE transaction."""
        ...

    def finish(self, batch_id: str, *, now: datetime) -> bool:
        """Mark the batch EXECUTED once every item is final; True when it is."""
        ...

    def tombstone_of(self, record_id: str) -> Tombstone | None: ...

    def tombstones(self, batch_id: str) -> list[Tombstone]: ...
