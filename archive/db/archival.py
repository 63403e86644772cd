"""``ArchivalStore`` on SQL: fonds, dossiers and the place of each record in them."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from archive.db.archival_tables import DossierRow, FondsRow
from archive.db.jobs import new_index_job_row
from archive.db.scope import dossier_scope_clause, scope_clause
from archive.db.tables import PageRow, RecordRow
from archive.db.timestamps import as_utc
from archive.domain.access import ReadScope
from archive.domain.archival import (
    Dossier,
    DossierStatus,
    Fonds,
    FondsStatus,
    Member,
    default_fonds_id,
)
from archive.domain.errors import MetadataInvalid, StaleWrite
from archive.domain.records import Classification, TextStatus

_PROCESSING = (TextStatus.PENDING.value, TextStatus.PENDING_OCR.value)


def ensure_default_fonds(session: Session, agency_code: str, now: datetime) -> str:
    """The id of the agency's default fonds, inserted if it does not exist yet (in the
    caller's transaction; concurrent deposits of a new agency both succeed)."""
    fonds_id = default_fonds_id(agency_code)
    values = {
        "id": fonds_id,
        "code": agency_code,
        "name": f"Phông lưu trữ {agency_code}",
        "agency_code": agency_code,
        "status": FondsStatus.OPEN.value,
        "history": "",
        "time_span": "",
        "classification_scheme": "",
        "languages": '["01"]',
        "backup_mode": "0",
        "notes": "",
        "created_at": now,
    }
    dialect = session.connection().dialect.name
    table = FondsRow.__table__  # type: ignore[attr-defined]
    if dialect == "postgresql":
        statement: sa.Executable = postgresql.insert(table).values(values).on_conflict_do_nothing()
    else:
        statement = sqlite.insert(table).values(values).on_conflict_do_nothing()
    session.execute(statement)
    return fonds_id


class SqlArchivalStore:
    """Fonds and dossiers in the metadata database."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    # -- fonds ----------------------------------------------------------------------------

    def fonds(self, fonds_id: str) -> Fonds | None:
        with Session(self._engine) as session:
            row = session.get(FondsRow, fonds_id)
            return None if row is None else _to_fonds(row)

    def fonds_by_code(self, code: str) -> Fonds | None:
        with Session(self._engine) as session:
            row = session.exec(select(FondsRow).where(FondsRow.code == code)).first()
            return None if row is None else _to_fonds(row)

    def fonds_listing(self, agencies: frozenset[str] | None) -> list[Fonds]:
        with Session(self._engine) as session:
            query = select(FondsRow).order_by(col(FondsRow.code))
            if agencies is not None:
                query = query.where(col(FondsRow.agency_code).in_(sorted(agencies)))
            return [_to_fonds(r) for r in session.exec(query)]

    def save_fonds(self, fonds: Fonds) -> None:
        with Session(self._engine) as session:
            taken = session.exec(
                select(FondsRow).where(FondsRow.code == fonds.code, FondsRow.id != fonds.id)
            ).first()
            if taken is not None:
                raise MetadataInvalid("code", f"fonds code {fonds.code} is already used")
            row = session.get(FondsRow, fonds.id)
            values = _fonds_values(fonds)
            if row is None:
                session.add(FondsRow.model_validate(values))
            else:
                for name, value in values.items():
                    if name not in {"id", "created_at"}:
                        setattr(row, name, value)
            session.commit()

    # -- dossiers -------------------------------------------------------------------------

    def dossier(self, dossier_id: str, scope: ReadScope) -> Dossier | None:
        with Session(self._engine) as session:
            row = session.exec(
                select(DossierRow).where(DossierRow.id == dossier_id, dossier_scope_clause(scope))
            ).first()
            return None if row is None else _to_dossier(row)

    def dossier_by_code(self, fonds_id: str, file_code: str, scope: ReadScope) -> Dossier | None:
        with Session(self._engine) as session:
            row = session.exec(
                select(DossierRow).where(
                    DossierRow.fonds_id == fonds_id, DossierRow.code == file_code, dossier_scope_clause(scope)
                )
            ).first()
            return None if row is None else _to_dossier(row)

    def dossiers(
        self,
        scope: ReadScope,
        *,
        fonds_id: str | None = None,
        status: DossierStatus | None = None,
        year: int | None = None,
        after: str | None = None,
        limit: int = 100,
    ) -> list[Dossier]:
        with Session(self._engine) as session:
            query = select(DossierRow).where(dossier_scope_clause(scope))
            if fonds_id is not None:
                query = query.where(DossierRow.fonds_id == fonds_id)
            if status is not None:
                query = query.where(DossierRow.status == status.value)
            if year is not None:
                query = query.where(DossierRow.year == year)
            if after is not None:
                last = session.get(DossierRow, after)
                if last is not None:
                    key = sa.tuple_(col(DossierRow.fonds_id), col(DossierRow.code), col(DossierRow.id))
                    query = query.where(key > sa.tuple_(last.fonds_id, last.code, last.id))
            query = query.order_by(col(DossierRow.fonds_id), col(DossierRow.code), col(DossierRow.id)).limit(
                limit
            )
            return [_to_dossier(r) for r in session.exec(query)]

    def save_dossier(self, dossier: Dossier, *, expected_version: int | None) -> Dossier:
        with Session(self._engine) as session:
            taken = session.exec(
                select(DossierRow.id).where(
                    DossierRow.fonds_id == dossier.fonds_id,
                    DossierRow.code == dossier.file_code,
                    DossierRow.id != dossier.id,
                )
            ).first()
            if taken is not None:
                raise MetadataInvalid("file_code", f"{dossier.file_code} is already used in this fonds")
            values = _dossier_values(dossier)
            if expected_version is None:
                values["row_version"] = 1
                row = DossierRow.model_validate(values)
                session.add(row)
            else:
                values["row_version"] = expected_version + 1
                changed = session.execute(
                    sa.update(DossierRow)
                    .where(col(DossierRow.id) == dossier.id, col(DossierRow.row_version) == expected_version)
                    .values({k: v for k, v in values.items() if k not in {"id", "created_at"}})
                )
                if changed.rowcount != 1:  # type: ignore[attr-defined]
                    raise StaleWrite(f"dossier {dossier.id} changed since version {expected_version}")
            session.commit()
            stored = session.get(DossierRow, dossier.id, populate_existing=True)
            assert stored is not None
            return _to_dossier(stored)

    def members(self, dossier_id: str, scope: ReadScope) -> list[Member]:
        with Session(self._engine) as session:
            rows = session.exec(
                select(RecordRow)
                .where(RecordRow.dossier_id == dossier_id, scope_clause(scope))
                .order_by(col(RecordRow.doc_ordinal))
            ).all()
            sources: dict[str, set[str]] = {r.id: set() for r in rows}
            if rows:
                for record_id, source in session.exec(
                    select(PageRow.record_id, PageRow.source)
                    .where(col(PageRow.record_id).in_(list(sources)))
                    .distinct()
                ):
                    sources[record_id].add(source)
            return [
                Member(
                    record_id=r.id,
                    ordinal=r.doc_ordinal or 0,
                    issue_date=r.issue_date,
                    page_count=r.page_count,
                    text_sources=frozenset(sources[r.id]),
                    processing=r.text_status in _PROCESSING,
                )
                for r in rows
            ]

    def member_ids(self, dossier_id: str) -> list[str]:
        with Session(self._engine) as session:
            query = (
                select(RecordRow.id)
                .where(RecordRow.dossier_id == dossier_id)
                .order_by(col(RecordRow.doc_ordinal))
            )
            return list(session.exec(query))

    def place(self, dossier_id: str, record_ids: Sequence[str], *, now: datetime) -> list[str]:
        with Session(self._engine) as session:
            fonds_id = _lock_dossier(session, dossier_id).fonds_id
            wanted = list(dict.fromkeys(record_ids))
            found = _lock_records(session, col(RecordRow.id).in_(wanted))
            last = session.exec(
                select(sa.func.max(RecordRow.doc_ordinal)).where(RecordRow.dossier_id == dossier_id)
            ).one()
            ordinal = int(last or 0)
            placed = []
            for record_id in wanted:
                if record_id not in found:
                    continue
                ordinal += 1
                _set_place(session, record_id, dossier_id, ordinal, now, fonds_id=fonds_id)
                placed.append(record_id)
            session.commit()
            return placed

    def unplace(self, record_ids: Sequence[str], *, now: datetime) -> list[str]:
        with Session(self._engine) as session:
            ids = list(
                session.exec(
                    select(RecordRow.id).where(
                        col(RecordRow.id).in_(list(record_ids)), col(RecordRow.dossier_id).is_not(None)
                    )
                )
            )
            for record_id in ids:
                _set_place(session, record_id, None, None, now)
            session.commit()
            return ids

    def reorder(self, dossier_id: str, record_ids: Sequence[str], *, now: datetime) -> None:
        with Session(self._engine) as session:
            _lock_dossier(session, dossier_id)
            # Locking the members makes a concurrent move out of the dossier wait for the
            # renumbering (or the renumbering see it gone), never write over its new ordinal.
            members = _lock_records(session, col(RecordRow.dossier_id) == dossier_id)
            if set(record_ids) != members or len(record_ids) != len(members):
                raise MetadataInvalid(
                    "recordIds", "name every document of the dossier once, in the new order"
                )
            # Two passes: the unique (dossier, ordinal) would refuse a swap made in place.
            session.execute(
                sa.update(RecordRow)
                .where(col(RecordRow.dossier_id) == dossier_id)
                .values(doc_ordinal=-col(RecordRow.doc_ordinal))
            )
            for ordinal, record_id in enumerate(record_ids, start=1):
                session.execute(
                    sa.update(RecordRow)
                    .where(col(RecordRow.id) == record_id, col(RecordRow.dossier_id) == dossier_id)
                    .values(doc_ordinal=ordinal, updated_at=now)
                )
            session.commit()


def _lock_records(session: Session, where: ColumnElement[bool]) -> set[str]:
    """The ids of the records matching ``where``, row-locked in id order: two placements of
    the same records in opposite orders then queue instead of deadlocking."""
    query = select(RecordRow.id).where(where).order_by(col(RecordRow.id)).with_for_update()
    return set(session.exec(query))


def _set_place(
    session: Session,
    record_id: str,
    dossier_id: str | None,
    ordinal: int | None,
    now: datetime,
    *,
    fonds_id: str | None = None,
) -> None:
    """Move one record and queue its re-index in the same transaction (the outbox): search
    filters on a record's dossier, so the index must follow even when it is down now. The
    row version moves on so the re-index is not refused as stale. A placed record joins its
    dossier's fonds; one taken out stays in the fonds it was in."""
    values: dict[str, object] = {
        "dossier_id": dossier_id,
        "doc_ordinal": ordinal,
        "updated_at": now,
        "row_version": col(RecordRow.row_version) + 1,
    }
    if fonds_id is not None:
        values["fonds_id"] = fonds_id
    session.execute(sa.update(RecordRow).where(col(RecordRow.id) == record_id).values(values))
    session.add(new_index_job_row(record_id, now))


def _lock_dossier(session: Session, dossier_id: str) -> DossierRow:
    """Serialise ordinal assignment in one dossier (see ``archive.db.locking``)."""
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    row = session.get(DossierRow, dossier_id, with_for_update=True, populate_existing=True)
    if row is None:
        raise MetadataInvalid("dossier", f"dossier {dossier_id} does not exist")
    return row


def _fonds_values(f: Fonds) -> dict[str, object]:
    return {
        "id": f.id,
        "code": f.code,
        "name": f.name,
        "agency_code": f.agency_code,
        "status": f.status.value,
        "history": f.history,
        "time_span": f.time_span,
        "total_documents": f.total_documents,
        "classification_scheme": f.classification_scheme,
        "languages": json.dumps(list(f.languages)),
        "backup_mode": f.backup_mode,
        "notes": f.notes,
        "created_at": f.created_at,
    }


def _to_fonds(row: FondsRow) -> Fonds:
    return Fonds(
        id=row.id,
        code=row.code,
        name=row.name,
        agency_code=row.agency_code,
        status=FondsStatus(row.status),
        history=row.history,
        time_span=row.time_span,
        total_documents=row.total_documents,
        classification_scheme=row.classification_scheme,
        languages=tuple(json.loads(row.languages)),
        backup_mode=row.backup_mode,
        notes=row.notes,
        created_at=as_utc(row.created_at),
    )


def _dossier_values(d: Dossier) -> dict[str, object]:
    return {
        "id": d.id,
        "fonds_id": d.fonds_id,
        "agency_code": d.agency_code,
        "code": d.file_code,
        "title": d.title,
        "maintenance": d.maintenance,
        "mode": d.mode,
        "languages": json.dumps(list(d.languages)),
        "start_date": d.start_date,
        "end_date": d.end_date,
        "keyword": d.keyword,
        "number_of_paper": d.number_of_paper,
        "physical_format": d.physical_format,
        "infor_sign": d.infor_sign,
        "paper_file_code": d.paper_file_code,
        "risk_recovery": d.risk_recovery,
        "risk_recovery_status": d.risk_recovery_status,
        "description": d.description,
        "status": d.status.value,
        "closed_on": d.closed_on,
        "classification": int(d.classification),
        "is_public": d.is_public,
        "year": d.year,
        "file_number": d.file_number,
        "compiler": d.compiler,
        "heading": d.heading,
        "created_at": d.created_at,
        "updated_at": d.updated_at,
    }


def _to_dossier(row: DossierRow) -> Dossier:
    return Dossier(
        id=row.id,
        fonds_id=row.fonds_id,
        agency_code=row.agency_code,
        file_code=row.code,
        title=row.title,
        maintenance=row.maintenance,
        mode=row.mode,
        languages=tuple(json.loads(row.languages)),
        start_date=row.start_date,
        end_date=row.end_date,
        keyword=row.keyword,
        number_of_paper=row.number_of_paper,
        physical_format=row.physical_format,
        infor_sign=row.infor_sign,
        paper_file_code=row.paper_file_code,
        risk_recovery=row.risk_recovery,
        risk_recovery_status=row.risk_recovery_status,
        description=row.description,
        status=DossierStatus(row.status),
        closed_on=row.closed_on,
        classification=Classification(row.classification),
        is_public=row.is_public,
        year=row.year,
        file_number=row.file_number,
        compiler=row.compiler,
        heading=row.heading,
        created_at=as_utc(row.created_at),
        updated_at=as_utc(row.updated_at),
        row_version=row.row_version,
    )
