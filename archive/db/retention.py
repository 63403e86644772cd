"""Retention on SQL: the schedule, dossiers and each record's computed disposal date."""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from itertools import islice

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from archive.db.archival import SqlArchivalStore, ensure_default_fonds
from archive.db.archival_tables import DossierRow
from archive.db.retention_tables import RecordRetentionRow, RetentionRuleRow
from archive.db.scope import manage_clause
from archive.db.tables import RecordFileRow, RecordRow
from archive.domain.access import ManageScope
from archive.domain.archival import DossierStatus
from archive.domain.errors import NotFound
from archive.domain.retention import (
    Assignment,
    Dossier,
    RetentionFacts,
    RetentionRule,
    RetentionState,
    Trigger,
)

_SAVE_BATCH = 500  # assignments written per statement of a streamed rule change
_ASSIGNED = ("rule_code", "disposal_date", "maintenance", "computed_at")  # what an upsert overwrites


class SqlRetentionStore:
    """Rules, dossiers and assignments in the metadata database."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    # -- the schedule ---------------------------------------------------------------

    def rules(self) -> list[RetentionRule]:
        with Session(self._engine) as session:
            rows = session.exec(select(RetentionRuleRow).order_by(col(RetentionRuleRow.code))).all()
            return [_to_rule(r) for r in rows]

    # Dossiers as the schedule file and ``upsertDossier`` see them: by file code. A file code
    # is unique within a fonds; these look it up across fonds (the first match by id).

    def dossiers(self) -> list[Dossier]:
        with Session(self._engine) as session:
            rows = session.exec(select(DossierRow).order_by(col(DossierRow.code), col(DossierRow.id))).all()
            return [
                Dossier(code=r.code, title=r.title, closed_on=r.closed_on, agency_code=r.agency_code)
                for r in rows
            ]

    def upsert_dossier(self, dossier: Dossier) -> None:
        with Session(self._engine) as session:
            now = datetime.now(UTC)
            row = _dossier_by_code(session, dossier.code)
            if row is None:
                fonds_id = ensure_default_fonds(session, dossier.agency_code, now)
                row = DossierRow(
                    id=str(uuid.uuid4()),
                    fonds_id=fonds_id,
                    agency_code=dossier.agency_code,
                    code=dossier.code,
                    title=dossier.title,
                    maintenance="07",  # "other": the schedule rule decides
                    mode="02",
                    status=DossierStatus.OPEN.value,
                    created_at=now,
                    updated_at=now,
                )
            row.title, row.closed_on, row.updated_at = dossier.title, dossier.closed_on, now
            row.status = (DossierStatus.OPEN if dossier.closed_on is None else DossierStatus.CLOSED).value
            row.year = None if dossier.closed_on is None else dossier.closed_on.year
            row.row_version = (row.row_version or 0) + 1
            session.add(row)
            session.commit()

    def dossier_members(self, code: str) -> list[str]:
        with Session(self._engine) as session:
            row = _dossier_by_code(session, code)
            if row is None:
                return []
            query = (
                select(RecordRow.id)
                .where(RecordRow.dossier_id == row.id)
                .order_by(col(RecordRow.doc_ordinal))
            )
            return list(session.exec(query).all())

    def set_dossier(self, code: str | None, record_ids: Sequence[str], *, now: datetime) -> list[str]:
        """Put records in dossier ``code`` (None: out of any); returns the ids that exist."""
        store = SqlArchivalStore(self._engine)
        if code is None:
            with Session(self._engine) as session:
                found = session.exec(
                    select(RecordRow.id).where(col(RecordRow.id).in_(list(record_ids)))
                ).all()
            store.unplace(list(found), now=now)
            return list(found)
        with Session(self._engine) as session:
            row = _dossier_by_code(session, code)
            if row is None:
                raise NotFound(f"dossier {code} does not exist")
            dossier_id = row.id
        return store.place(dossier_id, record_ids, now=now)

    # -- assignments ----------------------------------------------------------------

    def states(
        self, record_ids: Sequence[str] | None = None, *, after: str = "", limit: int = 500
    ) -> list[RetentionState]:
        """Records with their facts and assignment: the given ids, or a page after ``after``."""
        query = (
            select(RecordRow, RecordRetentionRow, DossierRow)
            .join(RecordRetentionRow, col(RecordRetentionRow.record_id) == col(RecordRow.id), isouter=True)
            .join(DossierRow, col(DossierRow.id) == col(RecordRow.dossier_id), isouter=True)
            .order_by(col(RecordRow.id))
        )
        if record_ids is not None:
            query = query.where(col(RecordRow.id).in_(list(record_ids)))
        else:
            query = query.where(col(RecordRow.id) > after).limit(limit)
        with Session(self._engine) as session:
            found = [_to_state(r, a, d) for r, a, d in session.exec(query).all()]
            objects = _objects(session, [s.facts.record_id for s in found])
        return [dataclasses.replace(s, objects=objects.get(s.facts.record_id, ())) for s in found]

    def uncomputed_ids(self, limit: int = 1000) -> list[str]:
        """Records that have no assignment yet (deposited, not sealed), or one computed
        before the tiers and the count from the year of completion (migration 0013)."""
        query = (
            select(RecordRow.id)
            .join(RecordRetentionRow, col(RecordRetentionRow.record_id) == col(RecordRow.id), isouter=True)
            .where(
                sa.or_(
                    col(RecordRetentionRow.record_id).is_(None),
                    col(RecordRetentionRow.maintenance).is_(None),  # counted before migration 0013
                )
            )
            .order_by(col(RecordRow.id))
            .limit(limit)
        )
        with Session(self._engine) as session:
            return list(session.exec(query).all())

    def save(self, assignments: Mapping[str, Assignment], *, now: datetime) -> None:
        with Session(self._engine) as session:
            _save(session, assignments, now)
            session.commit()

    def change_rules(
        self,
        upserts: Iterable[RetentionRule],
        deletes: Iterable[str],
        assignments: Mapping[str, Assignment] | Iterable[tuple[str, Assignment]],
        *,
        now: datetime,
    ) -> None:
        """Write the new schedule and the recomputed assignments in ONE transaction.

        The stream is written a batch at a time, one upsert statement each, so memory holds
        one batch whatever the archive's size."""
        pairs = iter(assignments.items() if isinstance(assignments, Mapping) else assignments)
        with Session(self._engine) as session:
            for code in deletes:
                row = session.get(RetentionRuleRow, code)
                if row is not None:
                    session.delete(row)
            for rule in upserts:
                session.merge(_to_row(rule, now))
            while batch := dict(islice(pairs, _SAVE_BATCH)):
                _save(session, batch, now)
            session.commit()

    def assignment(self, record_id: str) -> tuple[Assignment, str | None] | None:
        """The stored assignment and dossier (file) code of a record."""
        with Session(self._engine) as session:
            row = session.get(RecordRetentionRow, record_id)
            if row is None:
                return None
            dossier = session.exec(
                select(DossierRow.code)
                .join(RecordRow, col(RecordRow.dossier_id) == col(DossierRow.id))
                .where(RecordRow.id == record_id)
            ).first()
            assignment = Assignment(
                rule_code=row.rule_code, disposal_date=row.disposal_date, maintenance=row.maintenance
            )
            return assignment, dossier

    def manageable(self, record_ids: Sequence[str], scope: ManageScope) -> set[str]:
        """Which of ``record_ids`` exist and ``scope`` manages, in one query."""
        if not record_ids:
            return set()
        query = select(RecordRow.id).where(col(RecordRow.id).in_(list(record_ids)), manage_clause(scope))
        with Session(self._engine) as session:
            return set(session.exec(query).all())

    def due(self, today: date, *, exclude: Sequence[str] = (), limit: int = 1000) -> list[str]:
        """Ids of records whose disposal date is on or before ``today`` (holds are the caller's)."""
        query = (
            select(RecordRetentionRow.record_id)
            .where(col(RecordRetentionRow.disposal_date) <= today)
            .order_by(col(RecordRetentionRow.disposal_date), col(RecordRetentionRow.record_id))
            .limit(limit)
        )
        if exclude:
            query = query.where(col(RecordRetentionRow.record_id).not_in(list(exclude)))
        with Session(self._engine) as session:
            return list(session.exec(query).all())


def _save(session: Session, assignments: Mapping[str, Assignment], now: datetime) -> None:
    """One upsert statement for the whole batch, sent as an executemany: a rule change
    recomputing a million records must not pay an ORM load and flush per record."""
    if not assignments:
        return
    table = RecordRetentionRow.__table__  # type: ignore[attr-defined]
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(table)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.record_id],
        set_={name: statement.excluded[name] for name in _ASSIGNED},
    )
    session.execute(
        statement,
        [
            {
                "record_id": record_id,
                "rule_code": assignment.rule_code,
                "disposal_date": assignment.disposal_date,
                "maintenance": assignment.maintenance,
                "computed_at": now,
            }
            for record_id, assignment in assignments.items()
        ],
    )


def _to_rule(row: RetentionRuleRow) -> RetentionRule:
    return RetentionRule(
        code=row.code,
        title=row.title,
        period_years=row.period_years,
        trigger=Trigger(row.trigger),
        document_types=tuple(json.loads(row.document_types)),
        agencies=tuple(json.loads(row.agencies)),
        description=row.description,
        schedule=row.schedule,
        legal_basis=row.legal_basis,
    )


def _to_row(rule: RetentionRule, now: datetime) -> RetentionRuleRow:
    return RetentionRuleRow(
        code=rule.code,
        title=rule.title,
        period_years=rule.period_years,
        trigger=rule.trigger.value,
        document_types=json.dumps(list(rule.document_types), ensure_ascii=False),
        agencies=json.dumps(list(rule.agencies), ensure_ascii=False),
        description=rule.description,
        schedule=rule.schedule,
        legal_basis=rule.legal_basis,
        updated_at=now,
    )


def _objects(session: Session, record_ids: list[str]) -> dict[str, tuple[tuple[str, str | None], ...]]:
    """Every stored object of each record (all files, all versions), keyed by record."""
    if not record_ids:
        return {}
    query = (
        select(RecordFileRow.record_id, RecordFileRow.storage_key, RecordFileRow.version_id)
        .where(col(RecordFileRow.record_id).in_(record_ids))
        .order_by(col(RecordFileRow.storage_key))
    )
    found: dict[str, list[tuple[str, str | None]]] = {}
    for record_id, key, version in session.exec(query).all():
        found.setdefault(record_id, []).append((key, version))
    return {i: tuple(objects) for i, objects in found.items()}


def _to_state(
    record: RecordRow, retention: RecordRetentionRow | None, dossier: DossierRow | None
) -> RetentionState:
    facts = RetentionFacts(
        record_id=record.id,
        document_type=record.document_type,
        agency_code=record.agency_code,
        issue_date=record.issue_date,
        retention_code=record.retention_code,
        dossier_closed_on=None if dossier is None else dossier.closed_on,
        in_dossier=dossier is not None,
        dossier_maintenance=None if dossier is None else dossier.maintenance,
    )
    current = None
    if retention is not None:
        current = Assignment(
            rule_code=retention.rule_code,
            disposal_date=retention.disposal_date,
            maintenance=retention.maintenance,
        )
    return RetentionState(
        facts=facts,
        current=current,
        dossier_code=None if dossier is None else dossier.code,
        storage_key=record.storage_key,
        version_id=record.version_id,
    )


def _dossier_by_code(session: Session, code: str) -> DossierRow | None:
    return session.exec(
        select(DossierRow).where(DossierRow.code == code).order_by(col(DossierRow.id))
    ).first()
