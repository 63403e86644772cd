"""Legal holds on SQL."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from archive.db.archival_tables import DossierRow
from archive.db.locking import lock_record
from archive.db.retention_tables import DispositionItemRow, HoldRecordRow, LegalHoldRow, RecordRetentionRow
from archive.db.scope import manage_clause
from archive.db.tables import RecordRow
from archive.db.timestamps import as_utc
from archive.domain.access import MANAGE_ALL, ManageScope
from archive.domain.disposition import ItemState
from archive.domain.errors import Forbidden, NotFound
from archive.domain.holds import LegalHold, RecordSelector

_PURGING = [s.value for s in ItemState if s.purging]


class SqlHoldStore:
    """Holds, the records they name, and which records are held."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def create(self, hold: LegalHold) -> None:
        with Session(self._engine) as session:
            session.add(
                LegalHoldRow(
                    id=hold.id,
                    name=hold.name,
                    reason=hold.reason,
                    authority=hold.authority,
                    created_by=hold.created_by,
                    created_at=hold.created_at,
                )
            )
            session.commit()

    def get(self, hold_id: str, scope: ManageScope) -> LegalHold | None:
        with Session(self._engine) as session:
            row = session.get(LegalHoldRow, hold_id)
            return None if row is None else _to_hold(row, _count(session, row.id, scope))

    def listing(self, scope: ManageScope, *, active_only: bool = False) -> list[LegalHold]:
        query = select(LegalHoldRow).order_by(col(LegalHoldRow.created_at).desc())
        if active_only:
            query = query.where(col(LegalHoldRow.released_at).is_(None))
        with Session(self._engine) as session:
            return [_to_hold(r, _count(session, r.id, scope)) for r in session.exec(query).all()]

    def add_record(self, hold_id: str, record_id: str, *, actor: str, now: datetime) -> bool:
        """Name ``record_id`` in the hold, under the record's row lock.

        False when the record is gone or its purge has already started: the purge
        committed first and wins. True when the record is (now) held.
        """
        with Session(self._engine) as session:
            if lock_record(session, record_id) is None:
                return False
            purging = session.exec(
                select(DispositionItemRow.record_id).where(
                    DispositionItemRow.record_id == record_id, col(DispositionItemRow.state).in_(_PURGING)
                )
            ).first()
            if purging is not None:
                return False
            if session.get(HoldRecordRow, (hold_id, record_id)) is None:
                session.add(HoldRecordRow(hold_id=hold_id, record_id=record_id, added_by=actor, added_at=now))
            session.commit()
            return True

    def select_ids(self, selector: RecordSelector, scope: ManageScope, *, limit: int = 100_000) -> list[str]:
        """Ids of the records a selector names and ``scope`` manages (none for an empty selector)."""
        if selector.empty:
            return []
        query = (
            select(RecordRow.id)
            .join(RecordRetentionRow, col(RecordRetentionRow.record_id) == col(RecordRow.id), isouter=True)
            .where(*_selector_clauses(selector), manage_clause(scope))
            .order_by(col(RecordRow.id))
            .limit(limit)
        )
        with Session(self._engine) as session:
            return list(session.exec(query).all())

    def release(
        self, hold_id: str, scope: ManageScope, *, actor: str, reason: str, now: datetime
    ) -> tuple[LegalHold, list[str]]:
        """Mark the hold released; returns it and the records it named.

        Forbidden, changing nothing, when it names a record ``scope`` does not manage:
        releasing would lift the protection of records the caller may not touch.
        """
        with Session(self._engine) as session:
            row = session.get(LegalHoldRow, hold_id, with_for_update=True)
            if row is None:
                raise NotFound(f"legal hold {hold_id} does not exist")
            if _count(session, hold_id, MANAGE_ALL) != _count(session, hold_id, scope):
                raise Forbidden("this hold names records outside your retention scope")
            if row.released_at is None:
                row.released_at, row.released_by, row.release_reason = now, actor, reason
                session.add(row)
                session.commit()
                session.refresh(row)
            ids = list(session.exec(select(HoldRecordRow.record_id).where(HoldRecordRow.hold_id == hold_id)))
            return _to_hold(row, _count(session, hold_id, scope)), ids

    def held_ids(self, record_ids: Sequence[str]) -> set[str]:
        """Which of ``record_ids`` at least one unreleased hold names."""
        if not record_ids:
            return set()
        query = (
            select(HoldRecordRow.record_id)
            .join(LegalHoldRow, col(LegalHoldRow.id) == col(HoldRecordRow.hold_id))
            .where(
                col(HoldRecordRow.record_id).in_(list(record_ids)), col(LegalHoldRow.released_at).is_(None)
            )
        )
        with Session(self._engine) as session:
            return set(session.exec(query).all())

    def naming(self, record_ids: Sequence[str], scope: ManageScope) -> dict[str, list[LegalHold]]:
        """The holds, released or not, that name each of ``record_ids`` that ``scope``
        manages (newest first), each counted like ``get``; other ids are left out."""
        if not record_ids:
            return {}
        query = (
            select(RecordRow.id, LegalHoldRow)
            .join(HoldRecordRow, col(HoldRecordRow.record_id) == col(RecordRow.id))
            .join(LegalHoldRow, col(LegalHoldRow.id) == col(HoldRecordRow.hold_id))
            .where(col(RecordRow.id).in_(list(record_ids)), manage_clause(scope))
            .order_by(col(LegalHoldRow.created_at).desc(), col(LegalHoldRow.id))
        )
        found: dict[str, list[LegalHold]] = {}
        with Session(self._engine) as session:
            counts: dict[str, int] = {}
            for record_id, row in session.exec(query).all():
                if row.id not in counts:
                    counts[row.id] = _count(session, row.id, scope)
                found.setdefault(record_id, []).append(_to_hold(row, counts[row.id]))
        return found


def active_hold_exists(record_id: str) -> ColumnElement[bool]:
    """SQL: an unreleased hold names ``record_id``. Used inside the purge's locked start."""
    return (
        select(HoldRecordRow.record_id)
        .join(LegalHoldRow, col(LegalHoldRow.id) == col(HoldRecordRow.hold_id))
        .where(HoldRecordRow.record_id == record_id, col(LegalHoldRow.released_at).is_(None))
        .exists()
    )


def _selector_clauses(selector: RecordSelector) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = [sa.true()]
    if selector.agency_codes:
        clauses.append(col(RecordRow.agency_code).in_(list(selector.agency_codes)))
    if selector.document_types:
        clauses.append(col(RecordRow.document_type).in_(list(selector.document_types)))
    if selector.issued_from:
        clauses.append(col(RecordRow.issue_date) >= selector.issued_from)
    if selector.issued_to:
        clauses.append(col(RecordRow.issue_date) <= selector.issued_to)
    if selector.dossier_code:
        in_dossier = select(DossierRow.id).where(
            DossierRow.id == RecordRow.dossier_id, DossierRow.code == selector.dossier_code
        )
        clauses.append(in_dossier.exists())
    return clauses


def _count(session: Session, hold_id: str, scope: ManageScope) -> int:
    """How many existing records the hold names that ``scope`` manages."""
    query = (
        select(sa.func.count())
        .select_from(HoldRecordRow)
        .join(RecordRow, col(RecordRow.id) == col(HoldRecordRow.record_id))
        .where(HoldRecordRow.hold_id == hold_id, manage_clause(scope))
    )
    return int(session.exec(query).one())


def _to_hold(row: LegalHoldRow, count: int) -> LegalHold:
    return LegalHold(
        id=row.id,
        name=row.name,
        reason=row.reason,
        authority=row.authority,
        created_by=row.created_by,
        created_at=as_utc(row.created_at),
        record_count=count,
        released_at=as_utc(row.released_at),
        released_by=row.released_by,
        release_reason=row.release_reason,
    )
