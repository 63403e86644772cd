"""The ``VitalsSource`` port over the metadata database: queue depth, disposition
progress, the latest fixity findings, the last backup, read at scrape time."""

from __future__ import annotations

import json
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from archive.db.access_tables import AuditRow
from archive.db.retention_tables import DispositionItemRow, FixityRunRow
from archive.db.tables import JobRow
from archive.db.timestamps import as_utc
from archive.domain.audit import Outcome
from archive.domain.backup import BACKUP_ACTION
from archive.domain.disposition import ItemState
from archive.domain.jobs import JobStatus
from archive.domain.ports.vitals import Vitals

E = TypeVar("E", JobStatus, ItemState)


class SqlVitals:
    """Every gauge in one session (a few indexed aggregate queries)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def read(self) -> Vitals:
        return read_vitals(self._engine)


def read_vitals(engine: Engine) -> Vitals:
    """Read every gauge in one session (a few indexed aggregate queries)."""
    with Session(engine) as session:
        jobs = _counts(session, JobRow.status, JobStatus)
        items = _counts(session, DispositionItemRow.state, ItemState)
        oldest = session.exec(
            select(sa.func.min(JobRow.created_at)).where(JobRow.status == JobStatus.PENDING.value)
        ).one()
        changed, missing = _fixity(session)
        backup = session.exec(
            select(sa.func.max(AuditRow.at)).where(
                AuditRow.action == BACKUP_ACTION, AuditRow.outcome == Outcome.OK.value
            )
        ).one()
    return Vitals(
        jobs=jobs,
        oldest_pending_at=as_utc(oldest),
        disposition_items=items,
        fixity_changed=changed,
        fixity_missing=missing,
        last_backup_at=as_utc(backup),
    )


def _counts(session: Session, column: Any, kind: type[E]) -> dict[E, int]:
    rows = session.execute(sa.select(column, sa.func.count()).group_by(column)).all()
    found = {str(value): int(n) for value, n in rows}
    return {member: found.get(member.value, 0) for member in kind}


def _fixity(session: Session) -> tuple[int, int]:
    row = session.exec(
        select(FixityRunRow)
        .where(col(FixityRunRow.finished_at).is_not(None))
        .order_by(col(FixityRunRow.id).desc())
        .limit(1)
    ).first()
    if row is None:
        return 0, 0
    return len(json.loads(row.changed)), len(json.loads(row.missing))
