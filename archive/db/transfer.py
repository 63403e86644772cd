"""``TransferStore`` on SQL: transfer batches, their dossiers, and the records they took."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from archive.db.timestamps import as_utc
from archive.db.transfer_tables import TransferBatchRow, TransferItemRow, TransferRecordRow
from archive.domain.transfer import OPEN_STATUSES, Package, TransferBatch, TransferItem, TransferStatus

_MOVABLE = frozenset(
    {
        "sent_by",
        "sent_at",
        "reference",
        "decided_by",
        "decided_at",
        "receipt_ref",
        "receipt_sha256",
        "receipt_key",
        "refusal_reason",
    }
)
_HOLDING = tuple(s.value for s in (*OPEN_STATUSES, TransferStatus.ACCEPTED))


class SqlTransferStore:
    """Transfer batches in the metadata database."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def create(self, batch: TransferBatch) -> None:
        with Session(self._engine) as session:
            session.add(_batch_row(batch))
            session.flush()
            session.add_all(_item_row(batch.id, n, item) for n, item in enumerate(batch.items, 1))
            session.commit()

    def get(self, batch_id: str) -> TransferBatch | None:
        with Session(self._engine) as session:
            row = session.get(TransferBatchRow, batch_id)
            return None if row is None else _to_batch(session, row)

    def listing(self, status: TransferStatus | None = None, *, limit: int = 200) -> list[TransferBatch]:
        query = select(TransferBatchRow).order_by(
            col(TransferBatchRow.prepared_at).desc(), col(TransferBatchRow.id)
        )
        if status is not None:
            query = query.where(TransferBatchRow.status == status.value)
        with Session(self._engine) as session:
            return [_to_batch(session, r) for r in session.exec(query.limit(limit)).all()]

    def move(self, batch_id: str, current: TransferStatus, wanted: TransferStatus, **fields: Any) -> bool:
        unknown = set(fields) - _MOVABLE
        if unknown:
            raise ValueError(f"not a batch field: {sorted(unknown)}")
        statement = (
            sa.update(TransferBatchRow)
            .where(col(TransferBatchRow.id) == batch_id, col(TransferBatchRow.status) == current.value)
            .values(status=wanted.value, **fields)
        )
        with Session(self._engine) as session:
            result = session.execute(statement)
            session.commit()
            return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    def busy_dossiers(self, dossier_ids: Sequence[str]) -> set[str]:
        if not dossier_ids:
            return set()
        query = (
            select(TransferItemRow.dossier_id)
            .join(TransferBatchRow, col(TransferBatchRow.id) == col(TransferItemRow.batch_id))
            .where(
                col(TransferItemRow.dossier_id).in_(list(dossier_ids)),
                col(TransferBatchRow.status).in_(_HOLDING),
            )
        )
        with Session(self._engine) as session:
            return set(session.exec(query).all())

    def mark_transferred(self, batch_id: str, record_ids: Sequence[str], *, now: datetime) -> None:
        with Session(self._engine) as session:
            known = set(
                session.exec(
                    select(TransferRecordRow.record_id).where(
                        col(TransferRecordRow.record_id).in_(record_ids)
                    )
                ).all()
            )
            session.add_all(
                TransferRecordRow(record_id=r, batch_id=batch_id, position=n, transferred_at=now)
                for n, r in enumerate(record_ids, 1)
                if r not in known
            )
            session.commit()

    def transferred_records(self, batch_id: str) -> list[str]:
        query = (
            select(TransferRecordRow.record_id)
            .where(TransferRecordRow.batch_id == batch_id)
            .order_by(col(TransferRecordRow.position))
        )
        with Session(self._engine) as session:
            return list(session.exec(query).all())

    def transferred_among(self, record_ids: Sequence[str]) -> dict[str, str]:
        if not record_ids:
            return {}
        query = select(TransferRecordRow.record_id, TransferRecordRow.batch_id).where(
            col(TransferRecordRow.record_id).in_(list(record_ids))
        )
        with Session(self._engine) as session:
            return {r: b for r, b in session.exec(query).all()}

    def dossiers_in_open_batches(self) -> set[str]:
        query = (
            select(TransferItemRow.dossier_id)
            .join(TransferBatchRow, col(TransferBatchRow.id) == col(TransferItemRow.batch_id))
            .where(col(TransferBatchRow.status).in_([s.value for s in OPEN_STATUSES]))
        )
        with Session(self._engine) as session:
            return set(session.exec(query).all())


def _batch_row(batch: TransferBatch) -> TransferBatchRow:
    return TransferBatchRow(
        id=batch.id,
        status=batch.status.value,
        archive_name=batch.archive_name,
        prepared_by=batch.prepared_by,
        prepared_at=batch.prepared_at,
        reference=batch.reference,
        receipt_ref="",
        receipt_sha256="",
        receipt_key="",
        refusal_reason="",
    )


def _item_row(batch_id: str, position: int, item: TransferItem) -> TransferItemRow:
    return TransferItemRow(
        batch_id=batch_id,
        dossier_id=item.dossier_id,
        position=position,
        file_code=item.file_code,
        title=item.title,
        agency_code=item.agency_code,
        classification=item.classification,
        documents=item.documents,
        pages=item.pages,
        bytes=item.bytes,
        package_name=item.package.name,
        package_size=item.package.size,
        package_sha256=item.package.sha256,
    )


def _to_item(row: TransferItemRow) -> TransferItem:
    return TransferItem(
        dossier_id=row.dossier_id,
        file_code=row.file_code,
        title=row.title,
        agency_code=row.agency_code,
        classification=row.classification,
        documents=row.documents,
        pages=row.pages,
        bytes=row.bytes,
        package=Package(row.dossier_id, row.package_name, row.package_size, row.package_sha256),
    )


def _to_batch(session: Session, row: TransferBatchRow) -> TransferBatch:
    items = session.exec(
        select(TransferItemRow)
        .where(TransferItemRow.batch_id == row.id)
        .order_by(col(TransferItemRow.position))
    ).all()
    return TransferBatch(
        id=row.id,
        status=TransferStatus(row.status),
        archive_name=row.archive_name,
        prepared_by=row.prepared_by,
        prepared_at=as_utc(row.prepared_at),
        items=tuple(_to_item(i) for i in items),
        sent_by=row.sent_by,
        sent_at=as_utc(row.sent_at),
        reference=row.reference,
        decided_by=row.decided_by,
        decided_at=as_utc(row.decided_at),
        receipt_ref=row.receipt_ref,
        receipt_sha256=row.receipt_sha256,
        receipt_key=row.receipt_key,
        refusal_reason=row.refusal_reason,
    )
