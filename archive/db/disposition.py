"""Disposition batches, their items' purge states, and tombstones, on SQL."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from archive.db import destruction
from archive.db.destruction import duplicate_item
from archive.db.destruction_tables import BatchPaperRow, CouncilSeatRow
from archive.db.holds import active_hold_exists
from archive.db.locking import lock_record
from archive.db.retention_tables import (
    DispositionBatchRow,
    DispositionItemRow,
    RecordRetentionRow,
    TombstoneRow,
)
from archive.db.scope import manage_clause, scope_from_json, scope_to_json
from archive.db.tables import JobRow, RecordRow
from archive.db.timestamps import as_utc
from archive.db.transfer_tables import TransferRecordRow
from archive.domain.access import ManageScope, Readable
from archive.domain.council import CouncilMember, Vote
from archive.domain.disposition import (
    BatchItem,
    BatchStatus,
    DestructionReview,
    DisposalReason,
    DispositionBatch,
    ItemState,
    Paper,
    Tombstone,
)
from archive.domain.errors import DispositionRefused, NotFound
from archive.domain.records import Classification

_OPEN = destruction.OPEN


class SqlDispositionStore:
    """Batches and tombstones in the metadata database."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    # -- planning -------------------------------------------------------------------

    def candidates(
        self, today: date, scope: ManageScope, *, limit: int, among: Sequence[str] | None = None
    ) -> list[BatchItem]:
        """Records due on or before ``today`` that ``scope`` manages, under no active hold
        and in no open batch (and, with ``among``, one of those ids)."""
        query = (
            select(RecordRow, RecordRetentionRow)
            .join(RecordRetentionRow, col(RecordRetentionRow.record_id) == col(RecordRow.id))
            .where(
                col(RecordRetentionRow.disposal_date) <= today,
                manage_clause(scope),
                ~active_hold_exists(RecordRow.id),
                col(RecordRow.id).not_in(destruction.open_items()),
                col(RecordRow.id).not_in(destruction.kept_for_open_items()),
                sa.true() if among is None else col(RecordRow.id).in_(list(among)),
            )
            .order_by(col(RecordRetentionRow.disposal_date), col(RecordRow.id))
            .limit(limit)
        )
        with Session(self._engine) as session:
            return [_candidate(r, a) for r, a in session.exec(query).all()]

    def transferred(self, today: date, scope: ManageScope, *, among: Sequence[str]) -> list[BatchItem]:
        query = (
            select(RecordRow)
            .join(TransferRecordRow, col(TransferRecordRow.record_id) == col(RecordRow.id))
            .where(
                col(RecordRow.id).in_(list(among)),
                manage_clause(scope),
                ~active_hold_exists(RecordRow.id),
                col(RecordRow.id).not_in(destruction.open_items()),
                col(RecordRow.id).not_in(destruction.kept_for_open_items()),
            )
            .order_by(col(TransferRecordRow.position), col(RecordRow.id))
        )
        with Session(self._engine) as session:
            return [_transferred(r, today) for r in session.exec(query).all()]

    def duplicates(self, today: date, scope: ManageScope, *, limit: int) -> list[BatchItem]:
        """Redundant copies ``scope`` manages (see ``archive.db.destruction``), kept
        permanently, under no hold and in no open batch, each naming the copy kept."""
        with Session(self._engine) as session:
            pairs = destruction.duplicate_pairs(session, scope, limit=limit)
            return [destruction.duplicate_item(r, kept, rule, today) for r, kept, rule in pairs]

    def create(self, batch: DispositionBatch) -> None:
        with Session(self._engine) as session:
            session.add(
                DispositionBatchRow(
                    id=batch.id,
                    status=batch.status.value,
                    planned_by=batch.planned_by,
                    planned_at=batch.planned_at,
                    cutoff=batch.cutoff,
                    planner_scope=None if batch.planner_scope is None else scope_to_json(batch.planner_scope),
                    explanatory_note=batch.explanatory_note,
                )
            )
            session.flush()
            session.add_all(_item_row(i, batch.planned_at) for i in batch.items)
            session.commit()

    def get(self, batch_id: str) -> DispositionBatch | None:
        with Session(self._engine) as session:
            row = session.get(DispositionBatchRow, batch_id)
            return None if row is None else _to_batch(session, row)

    def listing(self, status: BatchStatus | None = None, *, limit: int = 100) -> list[DispositionBatch]:
        query = select(DispositionBatchRow).order_by(col(DispositionBatchRow.planned_at).desc()).limit(limit)
        if status is not None:
            query = query.where(DispositionBatchRow.status == status.value)
        with Session(self._engine) as session:
            return [_to_batch(session, r) for r in session.exec(query).all()]

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
        with Session(self._engine) as session:
            row = _proposed(session, batch_id)
            row.status, row.approved_by, row.approved_at, row.decision_ref = (
                BatchStatus.APPROVED.value,
                approver,
                now,
                decision_ref,
            )
            row.approver_scope = scope_to_json(scope)
            row.decided_on = decided_on or now.date()
            session.add(row)
            session.commit()

    # -- the council, the note and the papers ----------------------------------------

    def set_note(self, batch_id: str, note: str) -> None:
        """Replace the explanatory note of a proposed batch."""
        with Session(self._engine) as session:
            row = _proposed(session, batch_id)
            row.explanatory_note = note
            session.add(row)
            session.commit()

    def seat(self, batch_id: str, member: CouncilMember) -> None:
        """Seat a member on a proposed batch's council (again: name and role are updated,
        the vote kept)."""
        with Session(self._engine) as session:
            _proposed(session, batch_id)
            seat = session.get(CouncilSeatRow, (batch_id, member.subject))
            if seat is None:
                session.add(destruction.seat_row(batch_id, member))
            else:
                seat.name, seat.role = member.name, member.role
                session.add(seat)
            session.commit()

    def unseat(self, batch_id: str, subject: str) -> bool:
        """Take a member (and its vote) off a proposed batch's council; False if not seated."""
        with Session(self._engine) as session:
            _proposed(session, batch_id)
            seat = session.get(CouncilSeatRow, (batch_id, subject))
            if seat is None:
                return False
            session.delete(seat)
            session.commit()
            return True

    def vote(self, batch_id: str, subject: str, vote: Vote, note: str, *, now: datetime) -> None:
        """Record (or change) a member's vote on a proposed batch."""
        with Session(self._engine) as session:
            _proposed(session, batch_id)
            seat = session.get(CouncilSeatRow, (batch_id, subject))
            if seat is None:
                raise DispositionRefused("only a member of the batch's council may vote")
            destruction.cast_vote(seat, vote, note, now)
            session.add(seat)
            session.commit()

    def attach(self, batch_id: str, paper: Paper) -> None:
        """Link a deposited paper to the batch; a kind is attached once (DispositionRefused)."""
        with Session(self._engine) as session:
            row = session.get(DispositionBatchRow, batch_id, with_for_update=True)
            if row is None:
                raise NotFound(f"disposition batch {batch_id} does not exist")
            if session.get(BatchPaperRow, (batch_id, paper.kind.value)) is not None:
                raise DispositionRefused(f"the batch already has its {paper.kind.value.replace('_', ' ')}")
            session.add(destruction.paper_row(batch_id, paper))
            session.commit()

    def dossier_reviews(self, dossier_id: str) -> list[DestructionReview]:
        """The records planned from the dossier that sit in an open batch."""
        with Session(self._engine) as session:
            return destruction.dossier_reviews_of(session, dossier_id)

    def reviews(self, record_ids: Sequence[str]) -> dict[str, DestructionReview]:
        """Which of ``record_ids`` are in an open batch, and where they stand."""
        with Session(self._engine) as session:
            return destruction.reviews_of(session, record_ids)

    # -- the purge ------------------------------------------------------------------

    def start(self, batch_id: str, record_id: str, *, today: date, now: datetime) -> ItemState:
        """PENDING -> STARTED, or SKIPPED, under the record's row lock (see ``archive.db.locking``)."""
        with Session(self._engine) as session:
            record = lock_record(session, record_id)
            item = session.get(DispositionItemRow, (batch_id, record_id), populate_existing=True)
            if item is None:
                raise NotFound(f"record {record_id} is not in batch {batch_id}")
            if item.state != ItemState.PENDING.value:
                return ItemState(item.state)
            batch = session.get(DispositionBatchRow, batch_id)
            assert batch is not None
            reason = _skip_reason(session, record, item, today) or _out_of_scope(batch, record)
            item.state = (ItemState.SKIPPED if reason else ItemState.STARTED).value
            item.note, item.updated_at = reason, now
            session.add(item)
            session.commit()
            return ItemState(item.state)

    def set_state(
        self,
        batch_id: str,
        record_id: str,
        state: ItemState,
        *,
        now: datetime,
        note: str | None = None,
        version_ids: Sequence[str] | None = None,
    ) -> None:
        with Session(self._engine) as session:
            item = session.get(DispositionItemRow, (batch_id, record_id))
            if item is None:
                raise NotFound(f"record {record_id} is not in batch {batch_id}")
            item.state, item.note, item.updated_at = state.value, note, now
            if version_ids:
                item.version_ids = json.dumps(list(version_ids))
            session.add(item)
            session.commit()

    def set_version_ids(self, batch_id: str, record_id: str, version_ids: Sequence[str]) -> None:
        """Keep the object's version ids on the item before they are deleted."""
        with Session(self._engine) as session:
            item = session.get(DispositionItemRow, (batch_id, record_id))
            if item is None:
                raise NotFound(f"record {record_id} is not in batch {batch_id}")
            item.version_ids = json.dumps(list(version_ids))
            session.add(item)
            session.commit()

    def tombstone(self, batch: DispositionBatch, item: BatchItem, *, now: datetime) -> None:
        """Replace the record's row by its tombstone and mark the item TOMBSTONED, in ONE transaction."""
        with Session(self._engine) as session:
            record = session.get(RecordRow, item.record_id)
            if session.get(TombstoneRow, item.record_id) is None:
                if record is None:
                    raise NotFound(f"record {item.record_id} has neither a row nor a tombstone")
                session.add(_tombstone_row(batch, item, record, now))
            session.execute(sa.delete(RecordRow).where(col(RecordRow.id) == item.record_id))
            session.execute(sa.delete(JobRow).where(col(JobRow.record_id) == item.record_id))
            row = session.get(DispositionItemRow, (item.batch_id, item.record_id))
            assert row is not None
            row.state, row.updated_at = ItemState.TOMBSTONED.value, now
            session.add(row)
            session.commit()

    def finish(self, batch_id: str, *, now: datetime) -> bool:
        """Mark the batch EXECUTED once every item is final; True when it is."""
        with Session(self._engine) as session:
            row = session.get(DispositionBatchRow, batch_id, with_for_update=True)
            if row is None:
                raise NotFound(f"disposition batch {batch_id} does not exist")
            if row.status == BatchStatus.EXECUTED.value:
                return True
            if any(not i.state.final for i in _items(session, batch_id)):
                return False
            row.status, row.executed_at = BatchStatus.EXECUTED.value, now
            session.add(row)
            session.commit()
            return True

    # -- tombstones -----------------------------------------------------------------

    def tombstone_of(self, record_id: str) -> Tombstone | None:
        with Session(self._engine) as session:
            row = session.get(TombstoneRow, record_id)
            return None if row is None else _to_tombstone(row)

    def tombstones(self, batch_id: str) -> list[Tombstone]:
        query = (
            select(TombstoneRow)
            .where(TombstoneRow.batch_id == batch_id)
            .order_by(col(TombstoneRow.record_id))
        )
        with Session(self._engine) as session:
            return [_to_tombstone(r) for r in session.exec(query).all()]


def _skip_reason(
    session: Session, record: RecordRow | None, item: DispositionItemRow, today: date
) -> str | None:
    if record is None:
        return "the record no longer exists"
    if session.exec(select(active_hold_exists(item.record_id))).one():
        return "under legal hold"
    if item.reason == DisposalReason.TRANSFERRED.value:
        # The historical archive keeps it: it goes while an accepted batch still records that.
        taken = session.get(TransferRecordRow, item.record_id)
        return None if taken is not None else "no longer recorded as transferred"
    if item.reason == DisposalReason.DUPLICATE.value:
        # A redundant copy goes only while the copy kept is still there.
        kept = None if item.duplicate_of is None else session.get(RecordRow, item.duplicate_of)
        return None if kept is not None else "no longer a duplicate: the copy kept is gone"
    retention = session.get(RecordRetentionRow, item.record_id)
    if retention is None or retention.disposal_date is None or retention.disposal_date > today:
        return "no longer due: its disposal date moved"
    return None


def _out_of_scope(batch: DispositionBatchRow, record: RecordRow | None) -> str | None:
    """The purge's own check of THE retention rule, on the record as it stands now: both
    the planner and the approver must (still) be able to manage it."""
    if record is None:
        return None
    facts = Readable(record.agency_code, Classification(record.classification), record.is_public)
    for who, stored in (("planner", batch.planner_scope), ("approver", batch.approver_scope)):
        scope = scope_from_json(stored)
        if scope is None or not scope.allows(facts):
            return f"outside the {who}'s retention scope"
    return None


def _candidate(record: RecordRow, retention: RecordRetentionRow) -> BatchItem:
    assert retention.disposal_date is not None
    return BatchItem(
        batch_id="",
        record_id=record.id,
        state=ItemState.PENDING,
        document_number=f"{record.number}/{record.notation}" if record.notation else record.number,
        document_type=record.document_type,
        agency_code=record.agency_code,
        classification=record.classification,
        rule_code=retention.rule_code,
        disposal_date=retention.disposal_date,
        sha256=record.sha256,
        storage_key=record.storage_key,
        dossier_id=record.dossier_id,
    )


def _transferred(record: RecordRow, today: date) -> BatchItem:
    """A transferred record as a batch item; its "disposal date" is the day it was planned."""
    return dataclasses.replace(
        duplicate_item(record, "", None, today), reason=DisposalReason.TRANSFERRED, duplicate_of=None
    )


def _item_row(item: BatchItem, now: datetime) -> DispositionItemRow:
    return DispositionItemRow(
        batch_id=item.batch_id,
        record_id=item.record_id,
        state=item.state.value,
        document_number=item.document_number,
        document_type=item.document_type,
        agency_code=item.agency_code,
        classification=item.classification,
        rule_code=item.rule_code,
        disposal_date=item.disposal_date,
        sha256=item.sha256,
        storage_key=item.storage_key,
        version_ids=json.dumps(list(item.version_ids)),
        note=item.note,
        updated_at=now,
        reason=item.reason.value,
        duplicate_of=item.duplicate_of,
        dossier_id=item.dossier_id,
    )


def _items(session: Session, batch_id: str) -> list[BatchItem]:
    query = (
        select(DispositionItemRow)
        .where(DispositionItemRow.batch_id == batch_id)
        .order_by(col(DispositionItemRow.record_id))
    )
    return [
        BatchItem(
            batch_id=r.batch_id,
            record_id=r.record_id,
            state=ItemState(r.state),
            document_number=r.document_number,
            document_type=r.document_type,
            agency_code=r.agency_code,
            classification=r.classification,
            rule_code=r.rule_code,
            disposal_date=r.disposal_date,
            sha256=r.sha256,
            storage_key=r.storage_key,
            version_ids=tuple(json.loads(r.version_ids)),
            note=r.note,
            reason=DisposalReason(r.reason),
            duplicate_of=r.duplicate_of,
            dossier_id=r.dossier_id,
        )
        for r in session.exec(query).all()
    ]


def _proposed(session: Session, batch_id: str) -> DispositionBatchRow:
    """The batch's row, locked, or NotFound / DispositionRefused when it is not proposed."""
    row = session.get(DispositionBatchRow, batch_id, with_for_update=True)
    if row is None:
        raise NotFound(f"disposition batch {batch_id} does not exist")
    if row.status != BatchStatus.PROPOSED.value:
        raise DispositionRefused(f"batch {batch_id} is {row.status}, not proposed")
    return row


def _to_batch(session: Session, row: DispositionBatchRow) -> DispositionBatch:
    items = _items(session, row.id)
    return DispositionBatch(
        id=row.id,
        status=BatchStatus(row.status),
        planned_by=row.planned_by,
        planned_at=as_utc(row.planned_at),
        cutoff=row.cutoff,
        approved_by=row.approved_by,
        approved_at=as_utc(row.approved_at),
        decision_ref=row.decision_ref,
        executed_at=as_utc(row.executed_at),
        items=tuple(items),
        planner_scope=scope_from_json(row.planner_scope),
        approver_scope=scope_from_json(row.approver_scope),
        explanatory_note=row.explanatory_note,
        decided_on=row.decided_on,
        council=destruction.council_of(session, row.id),
        papers=destruction.papers_of(session, row.id),
    )


def _tombstone_row(
    batch: DispositionBatch, item: BatchItem, record: RecordRow, now: datetime
) -> TombstoneRow:
    return TombstoneRow(
        record_id=record.id,
        document_number=item.document_number,
        document_type=record.document_type,
        agency_code=record.agency_code,
        classification=record.classification,
        issue_date=record.issue_date,
        rule_code=item.rule_code,
        disposal_date=item.disposal_date,
        decision_ref=batch.decision_ref or "",
        batch_id=batch.id,
        approved_by=batch.approved_by or "",
        deposited_at=record.created_at,
        destroyed_at=now,
        sha256=record.sha256,
        size=record.size,
        version_ids=json.dumps(list(item.version_ids)),
    )


def _to_tombstone(row: TombstoneRow) -> Tombstone:
    return Tombstone(
        record_id=row.record_id,
        document_number=row.document_number,
        document_type=row.document_type,
        agency_code=row.agency_code,
        classification=row.classification,
        issue_date=row.issue_date,
        rule_code=row.rule_code,
        disposal_date=row.disposal_date,
        decision_ref=row.decision_ref,
        batch_id=row.batch_id,
        approved_by=row.approved_by,
        deposited_at=as_utc(row.deposited_at),
        destroyed_at=as_utc(row.destroyed_at),
        sha256=row.sha256,
        size=row.size,
        version_ids=tuple(json.loads(row.version_ids)),
    )
