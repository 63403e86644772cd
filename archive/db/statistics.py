"""``StatisticsStore`` over the metadata database: one GROUP BY per figure, the caller's
scope compiled into its WHERE clause (``archive.db.scope``), so a count never includes a
row the caller could not read."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from archive.db.access_tables import AuditRow, AuditSubjectRow
from archive.db.archival_tables import DossierRow
from archive.db.retention_tables import RecordRetentionRow
from archive.db.scope import dossier_scope_clause, scope_clause
from archive.db.tables import RecordRow
from archive.domain.access import AuditScope, ReadScope
from archive.domain.records import Classification
from archive.domain.statistics import NOT_SET, AccessBucket, CountBucket, DossierDimension, RecordDimension


def _record_key(by: RecordDimension) -> Any:
    if by is RecordDimension.AGENCY:
        return col(RecordRow.agency_code)
    if by is RecordDimension.DOCUMENT_TYPE:
        return col(RecordRow.type_name)
    if by is RecordDimension.YEAR:
        return sa.extract("year", col(RecordRow.issue_date))
    if by is RecordDimension.CLASSIFICATION:
        return col(RecordRow.classification)
    if by is RecordDimension.FONDS:
        return col(RecordRow.fonds_id)
    return col(RecordRetentionRow.maintenance)


def _dossier_key(by: DossierDimension) -> Any:
    return {
        DossierDimension.AGENCY: col(DossierRow.agency_code),
        DossierDimension.YEAR: col(DossierRow.year),
        DossierDimension.CLASSIFICATION: col(DossierRow.classification),
        DossierDimension.RETENTION_TIER: col(DossierRow.maintenance),
        DossierDimension.STATUS: col(DossierRow.status),
    }[by]


def _label(value: object, classification: bool) -> str:
    if value is None:
        return NOT_SET
    if classification:
        return Classification(int(str(value))).name
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # EXTRACT gives a numeric on PostgreSQL
    return str(value)


def _buckets(rows: Any, classification: bool) -> list[CountBucket]:
    counted: dict[str, int] = {}
    for value, count in rows:
        label = _label(value, classification)
        counted[label] = counted.get(label, 0) + int(count)
    return [CountBucket(v, c) for v, c in sorted(counted.items())]


class SqlStatisticsStore:
    """Counts in SQLite or PostgreSQL."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def record_counts(self, scope: ReadScope, by: RecordDimension) -> list[CountBucket]:
        key = _record_key(by)
        query = select(key, sa.func.count()).select_from(RecordRow).where(scope_clause(scope))
        if by is RecordDimension.RETENTION_TIER:
            query = query.outerjoin(RecordRetentionRow, col(RecordRetentionRow.record_id) == RecordRow.id)
        with Session(self._engine) as session:
            rows = session.exec(query.group_by(key)).all()
        return _buckets(rows, by is RecordDimension.CLASSIFICATION)

    def dossier_counts(self, scope: ReadScope, by: DossierDimension) -> list[CountBucket]:
        key = _dossier_key(by)
        query = select(key, sa.func.count()).select_from(DossierRow).where(dossier_scope_clause(scope))
        with Session(self._engine) as session:
            rows = session.exec(query.group_by(key)).all()
        return _buckets(rows, by is DossierDimension.CLASSIFICATION)

    def access_counts(
        self, scope: AuditScope, actions: tuple[str, ...], since: datetime | None, until: datetime | None
    ) -> list[AccessBucket]:
        if scope.nothing or not actions:
            return []
        year = sa.extract("year", col(AuditRow.at))
        month = sa.extract("month", col(AuditRow.at))
        query = (
            select(year, month, col(AuditRow.action), sa.func.count())
            .select_from(AuditRow)
            .join(AuditSubjectRow, col(AuditSubjectRow.seq) == AuditRow.seq)
            .join(RecordRow, col(RecordRow.id) == AuditSubjectRow.record_id)
            .where(col(AuditRow.action).in_(list(actions)), scope_clause(scope.records))
        )
        if since is not None:
            query = query.where(col(AuditRow.at) >= since)
        if until is not None:
            query = query.where(col(AuditRow.at) < until)
        with Session(self._engine) as session:
            rows = session.exec(query.group_by(year, month, col(AuditRow.action))).all()
        found = [AccessBucket(int(y), int(m), str(a), int(c)) for y, m, a, c in rows]
        return sorted(found, key=lambda b: (b.year, b.month, b.action))
