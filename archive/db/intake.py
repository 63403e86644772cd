"""``IntakeStore`` on SQL: the ``edxml_intakes`` table."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from archive.db.intake_tables import IntakeRow
from archive.db.timestamps import as_utc
from archive.domain.edxml import BusinessType, EnvelopeSignatureState, IntakeKey, TraceHop
from archive.domain.intake import Intake, IntakeStatus

_CREATING = (BusinessType.NEW.value, BusinessType.REPLACE.value)
_WAITING = (BusinessType.UPDATE.value, BusinessType.REVOKE.value)


class SqlIntakeStore:
    """Intakes in the metadata database."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def by_key(self, key: IntakeKey) -> Intake | None:
        query = select(IntakeRow).where(
            col(IntakeRow.sender_organ_id) == key.sender_organ_id,
            col(IntakeRow.document_id) == key.document_id,
            col(IntakeRow.business_type) == key.business_type.value,
        )
        with Session(self._engine) as session:
            row = session.exec(query).first()
        return None if row is None else _intake(row)

    def add(self, intake: Intake) -> bool:
        try:
            with Session(self._engine) as session:
                session.add(_row(intake))
                session.commit()
        except IntegrityError:  # the unique key: another import of this document won
            return False
        return True

    def record_of(self, sender_organ_id: str, document_id: str) -> str | None:
        query = (
            select(IntakeRow.record_id)
            .where(
                col(IntakeRow.sender_organ_id) == sender_organ_id,
                col(IntakeRow.document_id) == document_id,
                col(IntakeRow.business_type).in_(_CREATING),
            )
            .order_by(col(IntakeRow.received_at))
        )
        with Session(self._engine) as session:
            return session.exec(query).first()

    def pending_for(self, sender_organ_id: str, document_id: str) -> list[Intake]:
        query = (
            select(IntakeRow)
            .where(
                col(IntakeRow.sender_organ_id) == sender_organ_id,
                col(IntakeRow.target_document_id) == document_id,
                col(IntakeRow.business_type).in_(_WAITING),
                col(IntakeRow.status) == IntakeStatus.PENDING_TARGET.value,
            )
            .order_by(col(IntakeRow.received_at), col(IntakeRow.id))
        )
        with Session(self._engine) as session:
            return [_intake(row) for row in session.exec(query)]

    def mark_applied(self, intake_id: str) -> None:
        with Session(self._engine) as session:
            row = session.get(IntakeRow, intake_id, with_for_update=True)
            if row is not None:
                row.status = IntakeStatus.APPLIED.value
                session.add(row)
                session.commit()

    def of_record(self, record_id: str) -> list[Intake]:
        query = (
            select(IntakeRow)
            .where(col(IntakeRow.record_id) == record_id)
            .order_by(col(IntakeRow.received_at), col(IntakeRow.id))
        )
        with Session(self._engine) as session:
            return [_intake(row) for row in session.exec(query)]


def _row(intake: Intake) -> IntakeRow:
    return IntakeRow(
        id=intake.id,
        sender_organ_id=intake.key.sender_organ_id[:100],
        document_id=intake.key.document_id[:300],
        business_type=intake.key.business_type.value,
        agency_code=intake.agency_code,
        status=intake.status.value,
        record_id=intake.record_id,
        target_document_id=intake.target_document_id[:300],
        received_at=intake.received_at,
        received_by=intake.received_by[:300],
        package_sha256=intake.package_sha256,
        signature=intake.signature.value,
        trace=json.dumps([[hop.organ_id, _iso(hop.timestamp)] for hop in intake.trace]),
        reason=intake.reason,
    )


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _intake(row: IntakeRow) -> Intake:
    received_at = as_utc(row.received_at)
    assert received_at is not None
    return Intake(
        id=row.id,
        key=IntakeKey(row.sender_organ_id, row.document_id, BusinessType(row.business_type)),
        agency_code=row.agency_code,
        status=IntakeStatus(row.status),
        record_id=row.record_id,
        target_document_id=row.target_document_id,
        received_at=received_at,
        received_by=row.received_by,
        package_sha256=row.package_sha256,
        signature=EnvelopeSignatureState(row.signature),
        trace=tuple(
            TraceHop(organ_id, None if stamp is None else datetime.fromisoformat(stamp))
            for organ_id, stamp in json.loads(row.trace)
        ),
        reason=row.reason,
    )
