"""The SQL of destruction under Circular 06/2025, used by ``SqlDispositionStore``:
duplicate candidates, a batch's council and papers, and records under review.

A duplicate is a record of the same agency as a copy the archive keeps: the same
bytes (SHA-256), or the same document (normalised number and notation, issuing
agency and issue date). Only copies kept permanently are proposed as duplicates:
any other copy is under an Object Lock retention until its own disposal date, which
the archive never shortens, and is proposed as expired once that date comes.

The copy kept is the earliest deposited one whose classification is at most the
duplicate's: whoever may manage the duplicate may then manage the kept copy too
(same agency, lower or equal level), so naming it never reveals a record the
caller may not see.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select, SelectOfScalar

from archive.db.destruction_tables import BatchPaperRow, CouncilSeatRow
from archive.db.holds import active_hold_exists
from archive.db.retention_tables import DispositionBatchRow, DispositionItemRow, RecordRetentionRow
from archive.db.scope import manage_clause
from archive.db.tables import RecordRow
from archive.db.timestamps import as_utc
from archive.domain.access import ManageScope
from archive.domain.council import CouncilMember, Vote
from archive.domain.disposition import (
    BatchItem,
    BatchStatus,
    DestructionReview,
    DisposalReason,
    ItemState,
    Paper,
    PaperKind,
    ReviewStatus,
)

OPEN = [BatchStatus.PROPOSED.value, BatchStatus.APPROVED.value]
FINAL = [ItemState.DONE.value, ItemState.SKIPPED.value]


def open_items() -> SelectOfScalar[str]:
    """Ids of records in a batch still open (their purge not final)."""
    return (
        select(DispositionItemRow.record_id)
        .join(DispositionBatchRow, col(DispositionBatchRow.id) == col(DispositionItemRow.batch_id))
        .where(col(DispositionBatchRow.status).in_(OPEN), col(DispositionItemRow.state).not_in(FINAL))
    )


def kept_for_open_items() -> SelectOfScalar[str | None]:
    """Ids of the copies kept for duplicates in an open batch: never proposed while it is."""
    return (
        select(col(DispositionItemRow.duplicate_of))
        .join(DispositionBatchRow, col(DispositionBatchRow.id) == col(DispositionItemRow.batch_id))
        .where(
            col(DispositionBatchRow.status).in_(OPEN),
            col(DispositionItemRow.state).not_in(FINAL),
            col(DispositionItemRow.duplicate_of).is_not(None),
        )
    )


def duplicate_pairs(
    session: Session, scope: ManageScope, *, limit: int
) -> list[tuple[RecordRow, str, str | None]]:
    """(duplicate, kept copy's id, its rule code) for records ``scope`` manages, kept
    permanently, under no hold, in no open batch and not kept for one; the earliest kept
    copy each. One query per kind of sameness, so each joins on an indexed equality."""
    best: dict[str, tuple[tuple[datetime, str], RecordRow, str, str | None]] = {}
    for same in (_same_bytes, _same_number):
        for record, kept_id, kept_at, rule in session.exec(_pairs(same, scope)).all():
            rank = (as_utc(kept_at), kept_id)
            if record.id not in best or rank < best[record.id][0]:
                best[record.id] = (rank, record, kept_id, rule)
    ordered = sorted(best.values(), key=lambda found: (as_utc(found[1].created_at), found[1].id))
    return [(record, kept_id, rule) for _, record, kept_id, rule in ordered[:limit]]


def _pairs(
    same: Callable[[type[RecordRow]], ColumnElement[bool]], scope: ManageScope
) -> Select[RecordRow, str, datetime, str | None]:
    kept = aliased(RecordRow)
    return (
        select(RecordRow, col(kept.id), col(kept.created_at), col(RecordRetentionRow.rule_code))
        .join(kept, sa.and_(same(kept), _kept_copy(kept)))
        .join(RecordRetentionRow, col(RecordRetentionRow.record_id) == col(RecordRow.id))
        .where(
            manage_clause(scope),
            # Kept permanently: its object is protected by a legal hold the archive lifts
            # itself. A copy with a disposal date is under an Object Lock retention until
            # then, which the archive never shortens (WORM): it goes once due, as expired.
            col(RecordRetentionRow.disposal_date).is_(None),
            ~active_hold_exists(RecordRow.id),
            col(RecordRow.id).not_in(open_items()),
            col(RecordRow.id).not_in(kept_for_open_items()),
            col(kept.id).not_in(open_items()),
        )
    )


def _same_bytes(kept: type[RecordRow]) -> ColumnElement[bool]:
    return col(kept.sha256) == col(RecordRow.sha256)


def _same_number(kept: type[RecordRow]) -> ColumnElement[bool]:
    return sa.and_(
        col(kept.document_number_key) == col(RecordRow.document_number_key),
        col(kept.issuing_agency_code) == col(RecordRow.issuing_agency_code),
        col(kept.issue_date) == col(RecordRow.issue_date),
    )


def _kept_copy(kept: type[RecordRow]) -> ColumnElement[bool]:
    """``kept`` may be kept for the record: same agency, at most as classified, earlier."""
    mine = RecordRow
    earlier = sa.or_(
        col(kept.created_at) < col(mine.created_at),
        sa.and_(col(kept.created_at) == col(mine.created_at), col(kept.id) < col(mine.id)),
    )
    return sa.and_(
        col(kept.agency_code) == col(mine.agency_code),
        col(kept.id) != col(mine.id),
        col(kept.classification) <= col(mine.classification),
        earlier,
    )


def duplicate_item(record: RecordRow, kept_id: str, rule: str | None, today: date) -> BatchItem:
    """A duplicate as a batch item; its "disposal date" is the day it was found redundant."""
    return BatchItem(
        batch_id="",
        record_id=record.id,
        state=ItemState.PENDING,
        document_number=f"{record.number}/{record.notation}" if record.notation else record.number,
        document_type=record.document_type,
        agency_code=record.agency_code,
        classification=record.classification,
        rule_code=rule,
        disposal_date=today,
        sha256=record.sha256,
        storage_key=record.storage_key,
        reason=DisposalReason.DUPLICATE,
        duplicate_of=kept_id,
        dossier_id=record.dossier_id,
    )


# -- council and papers ------------------------------------------------------------------


def council_of(session: Session, batch_id: str) -> tuple[CouncilMember, ...]:
    query = (
        select(CouncilSeatRow)
        .where(CouncilSeatRow.batch_id == batch_id)
        .order_by(col(CouncilSeatRow.seated_at), col(CouncilSeatRow.subject))
    )
    return tuple(
        CouncilMember(
            subject=r.subject,
            name=r.name,
            role=r.role,
            seated_by=r.seated_by,
            seated_at=as_utc(r.seated_at),
            vote=None if r.vote is None else Vote(r.vote),
            note=r.note,
            voted_at=as_utc(r.voted_at),
        )
        for r in session.exec(query).all()
    )


def papers_of(session: Session, batch_id: str) -> tuple[Paper, ...]:
    query = select(BatchPaperRow).where(BatchPaperRow.batch_id == batch_id).order_by(col(BatchPaperRow.kind))
    return tuple(
        Paper(
            kind=PaperKind(r.kind),
            record_id=r.record_id,
            agency_code=r.agency_code,
            classification=r.classification,
            issued_on=r.issued_on,
            attached_by=r.attached_by,
            attached_at=as_utc(r.attached_at),
        )
        for r in session.exec(query).all()
    )


def seat_row(batch_id: str, member: CouncilMember) -> CouncilSeatRow:
    return CouncilSeatRow(
        batch_id=batch_id,
        subject=member.subject,
        name=member.name,
        role=member.role,
        seated_by=member.seated_by,
        seated_at=member.seated_at,
    )


def paper_row(batch_id: str, paper: Paper) -> BatchPaperRow:
    return BatchPaperRow(
        batch_id=batch_id,
        kind=paper.kind.value,
        record_id=paper.record_id,
        agency_code=paper.agency_code,
        classification=paper.classification,
        issued_on=paper.issued_on,
        attached_by=paper.attached_by,
        attached_at=paper.attached_at,
    )


def cast_vote(seat: CouncilSeatRow, vote: Vote, note: str, now: datetime) -> None:
    seat.vote, seat.note, seat.voted_at = vote.value, note, now


# -- records under review ----------------------------------------------------------------


def reviews_of(session: Session, record_ids: Sequence[str]) -> dict[str, DestructionReview]:
    """Each of ``record_ids`` that sits in an open batch, with where it stands."""
    if not record_ids:
        return {}
    return _reviews(session, col(DispositionItemRow.record_id).in_(list(record_ids)))


def dossier_reviews_of(session: Session, dossier_id: str) -> list[DestructionReview]:
    """The records planned from ``dossier_id`` that sit in an open batch."""
    found = _reviews(session, col(DispositionItemRow.dossier_id) == dossier_id)
    return [found[k] for k in sorted(found)]


def _reviews(session: Session, which: ColumnElement[bool]) -> dict[str, DestructionReview]:
    query = (
        select(DispositionItemRow, DispositionBatchRow.status)
        .join(DispositionBatchRow, col(DispositionBatchRow.id) == col(DispositionItemRow.batch_id))
        .where(which, col(DispositionBatchRow.status).in_(OPEN), col(DispositionItemRow.state).not_in(FINAL))
    )
    found: dict[str, DestructionReview] = {}
    for item, status in session.exec(query).all():
        approved = status == BatchStatus.APPROVED.value
        found[item.record_id] = DestructionReview(
            record_id=item.record_id,
            status=ReviewStatus.DESTRUCTION_APPROVED if approved else ReviewStatus.UNDER_REVIEW,
            batch_id=item.batch_id,
            reason=DisposalReason(item.reason),
            duplicate_of=item.duplicate_of,
            agency_code=item.agency_code,
            classification=item.classification,
        )
    return found
