"""The reader-request store on SQL (``access_requests``)."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from archive.db.access_request_tables import AccessRequestRow
from archive.db.timestamps import as_utc
from archive.domain.access_requests import AccessRequest, RequestForm, RequestStatus


class SqlAccessRequestStore:
    """``AccessRequestStore`` on the metadata database."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def add(self, request: AccessRequest) -> None:
        with Session(self._engine) as session:
            session.add(_to_row(request))
            session.commit()

    def get(self, request_id: str) -> AccessRequest | None:
        with Session(self._engine) as session:
            row = session.get(AccessRequestRow, request_id)
            return None if row is None else _to_request(row)

    def decide(
        self, request_id: str, *, status: RequestStatus, by: str, at: datetime, note: str
    ) -> AccessRequest | None:
        # One conditional UPDATE: two archivists deciding at once cannot both win.
        with Session(self._engine) as session:
            changed = session.execute(
                update(AccessRequestRow)
                .where(col(AccessRequestRow.id) == request_id)
                .where(col(AccessRequestRow.status) == RequestStatus.PENDING.value)
                .values(status=status.value, decided_by=by, decided_at=at, note=note)
            )
            session.commit()
        if changed.rowcount != 1:  # type: ignore[attr-defined]
            return None
        return self.get(request_id)

    def list(self, *, reader: str | None, first: int) -> list[AccessRequest]:
        query = select(AccessRequestRow)
        if reader is not None:
            query = query.where(col(AccessRequestRow.reader) == reader)
        query = query.order_by(col(AccessRequestRow.created_at).desc(), col(AccessRequestRow.id)).limit(first)
        with Session(self._engine) as session:
            return [_to_request(row) for row in session.exec(query)]


def _to_row(request: AccessRequest) -> AccessRequestRow:
    form = request.form
    return AccessRequestRow(
        id=request.id,
        code=form.code,
        requested_on=form.requested_on,
        purpose=form.purpose,
        topic=form.topic,
        reader_name=form.reader_name,
        record_ids=json.dumps(list(form.record_ids)),
        reader=request.reader,
        created_at=request.created_at,
        status=request.status.value,
        decided_by=request.decided_by,
        decided_at=request.decided_at,
        note=request.note,
    )


def _to_request(row: AccessRequestRow) -> AccessRequest:
    form = RequestForm(
        code=row.code,
        requested_on=row.requested_on,
        purpose=row.purpose,
        topic=row.topic,
        reader_name=row.reader_name,
        record_ids=tuple(json.loads(row.record_ids)),
    )
    return AccessRequest(
        id=row.id,
        form=form,
        reader=row.reader,
        created_at=as_utc(row.created_at),
        status=RequestStatus(row.status),
        decided_by=row.decided_by,
        decided_at=as_utc(row.decided_at),
        note=row.note,
    )
