"""``RecordRepository`` on SQL (SQLite or PostgreSQL), through sqlmodel."""

from __future__ import annotations

import heapq
import json
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from archive.db.archival import ensure_default_fonds
from archive.db.files import file_rows, files_of, load_files, mirror_main, version_row
from archive.db.jobs import new_index_job_row, new_job_row
from archive.db.scope import scope_clause
from archive.db.tables import GrantRow, PageRow, RecordFileRow, RecordRow
from archive.db.timestamps import as_utc
from archive.domain.access import UNRESTRICTED, ReadScope
from archive.domain.archival import default_fonds_id
from archive.domain.errors import DuplicateRecord, FileRejected, NotFound
from archive.domain.files import FileRole, FileVersion, RecordFile
from archive.domain.records import (
    Classification,
    Direction,
    Page,
    Record,
    RecordMetadata,
    StoredFile,
    TextSource,
    TextStatus,
    Urgency,
    derive_confidence_level,
    type_code_of,
)
from archive.domain.text import normalize_document_number


class SqlRecordRepository:
    """Records in the metadata database. Every read takes a ReadScope and applies it
    in the SQL itself, so an unreadable record is indistinguishable from a missing one."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @property
    def engine(self) -> Engine:
        """For tests and benchmarks that look under the port; services never do."""
        return self._engine

    def add(self, record: Record) -> None:
        with Session(self._engine) as session:
            try:
                ensure_default_fonds(session, record.agency_code, record.created_at)
                session.add(_to_row(record))
                session.flush()  # the record row must exist before its children (FKs)
                session.add_all(file_rows(files_of(record)))
                session.add_all(_page_rows(record.id, record.pages))
                session.add_all(GrantRow(record_id=record.id, grantee=g) for g in record.grants)
                session.add(new_job_row(record.id, record.created_at))  # the outbox, same transaction
                session.commit()
            except sa.exc.IntegrityError as exc:
                # The unique (agency, SHA-256, classification) constraint decides, so two
                # deposits of the same bytes racing each other cannot both win.
                session.rollback()
                existing = self._same_copy(record)
                if existing is None:
                    raise
                raise DuplicateRecord(record.file.sha256, existing) from exc

    def get(self, record_id: str, scope: ReadScope) -> Record | None:
        return self.get_many([record_id], scope).get(record_id)

    def get_many(
        self, record_ids: Sequence[str], scope: ReadScope, *, with_pages: bool = True
    ) -> dict[str, Record]:
        if not record_ids:
            return {}
        with Session(self._engine) as session:
            rows = session.exec(
                select(RecordRow).where(col(RecordRow.id).in_(list(record_ids)), scope_clause(scope))
            ).all()
            return _hydrate(session, rows, with_pages=with_pages)

    def find_by_sha256(self, agency_code: str, sha256: str, scope: ReadScope = UNRESTRICTED) -> Record | None:
        with Session(self._engine) as session:
            row = session.exec(
                select(RecordRow)
                .where(RecordRow.agency_code == agency_code, RecordRow.sha256 == sha256, scope_clause(scope))
                .order_by(col(RecordRow.classification), col(RecordRow.id))
            ).first()
            return None if row is None else _hydrate(session, [row])[row.id]

    def _same_copy(self, record: Record) -> str | None:
        """The id of the row that holds the record's place under the unique constraint."""
        with Session(self._engine) as session:
            return session.exec(
                select(RecordRow.id).where(
                    RecordRow.agency_code == record.agency_code,
                    RecordRow.sha256 == record.file.sha256,
                    RecordRow.classification == int(record.classification),
                )
            ).first()

    def set_pages(self, record_id: str, pages: Sequence[Page], status: TextStatus) -> Record:
        with Session(self._engine) as session:
            row = session.get(RecordRow, record_id, with_for_update=True)
            if row is None:
                raise NotFound(f"record {record_id} does not exist")
            session.exec(sa.delete(PageRow).where(col(PageRow.record_id) == record_id))
            session.add_all(_page_rows(record_id, pages))
            row.text_status = status.value
            row.confidence_level = derive_confidence_level(tuple(pages), status)
            row.page_count = row.page_count or (len(pages) or None)
            row.row_version += 1
            row.updated_at = datetime.now(UTC)
            session.add(row)
            session.commit()
            session.refresh(row)
            return _hydrate(session, [row])[row.id]

    def add_file_version(self, file: RecordFile, version: FileVersion) -> Record:
        """Add ``version`` (the next number) to ``file``; a new version of the main file
        also becomes what the records row mirrors. Bumps the row version and enqueues a
        processing job in the same transaction, so the new bytes are sealed, verified,
        extracted and indexed. Raises FileRejected when that version number is taken
        (a concurrent correction won), DuplicateRecord when a new main file repeats
        another record's bytes, NotFound when the record is gone."""
        with Session(self._engine) as session:
            row = session.get(RecordRow, file.record_id, with_for_update=True)
            if row is None:
                raise NotFound(f"record {file.record_id} does not exist")
            if session.get(RecordFileRow, (file.id, version.number)) is not None:
                raise FileRejected(f"file {file.id} already has a version {version.number}; try again")
            if file.role is FileRole.MAIN:
                mirror_main(row, version.stored, version.created_at)
            row.row_version += 1
            row.updated_at = version.created_at
            session.add(row)
            session.add(version_row(file, version))
            session.add(new_job_row(file.record_id, version.created_at))
            try:
                session.commit()
            except sa.exc.IntegrityError as exc:
                session.rollback()
                raise DuplicateRecord(version.stored.sha256, "") from exc
            session.refresh(row)
            return _hydrate(session, [row])[row.id]

    def set_grant(
        self, record_id: str, grantee: str, *, present: bool, now: datetime | None = None
    ) -> Record | None:
        """Add (``present``) or remove one grant; a change bumps the row version, so the
        re-index that follows is not refused as stale, and writes an index-only job in the
        same transaction (the outbox): the index filters on grants, so it must follow even
        when it is down at the moment of the change. ``now`` (the services' clock) stamps
        the change and makes the job due. None when there is no such record."""
        with Session(self._engine) as session:
            row = session.get(RecordRow, record_id, with_for_update=True)
            if row is None:
                return None
            existing = session.get(GrantRow, (record_id, grantee))
            if (existing is not None) != present:
                if existing is not None:
                    session.delete(existing)
                else:
                    session.add(GrantRow(record_id=record_id, grantee=grantee))
                row.row_version += 1
                row.updated_at = now or datetime.now(UTC)
                session.add(row)
                session.add(new_index_job_row(record_id, row.updated_at))
            session.commit()
            session.refresh(row)
            return _hydrate(session, [row])[row.id]

    def iter_all(self, batch_size: int = 500) -> Iterator[Record]:
        last = ""
        while True:
            with Session(self._engine) as session:
                rows = session.exec(
                    select(RecordRow).where(RecordRow.id > last).order_by(col(RecordRow.id)).limit(batch_size)
                ).all()
                if not rows:
                    return
                hydrated = _hydrate(session, rows)
            for row in rows:
                yield hydrated[row.id]
            last = rows[-1].id

    def iter_versions(self, batch_size: int = 1000) -> Iterator[tuple[str, int]]:
        return _keyset(self._engine, col(RecordRow.id), col(RecordRow.row_version), batch_size)

    def iter_storage_keys(self, batch_size: int = 1000) -> Iterator[tuple[str, str]]:
        """Every key of every version of every file of every record (``record_files``), and
        each record's main key (``records``, which mirrors its main file), once each, in
        ascending key order: two keyset streams merged."""
        mains = _keyset(self._engine, col(RecordRow.storage_key), col(RecordRow.id), batch_size)
        files = _keyset(
            self._engine, col(RecordFileRow.storage_key), col(RecordFileRow.record_id), batch_size
        )
        last: str | None = None
        for key, record_id in heapq.merge(mains, files, key=lambda pair: str(pair[0])):
            if key != last:
                yield str(key), str(record_id)
                last = str(key)

    def count(self, scope: ReadScope) -> int:
        with Session(self._engine) as session:
            query = select(sa.func.count()).select_from(RecordRow).where(scope_clause(scope))
            return int(session.exec(query).one())


def record_row(record: Record) -> RecordRow:
    """The records row alone (no pages, files, grants or job), e.g. for a migration test."""
    return _to_row(record)


def _to_row(record: Record) -> RecordRow:
    m, f = record.metadata, record.file
    return RecordRow(
        id=record.id,
        agency_code=record.agency_code,
        document_type=m.document_type,
        number=m.number,
        notation=m.notation,
        document_number_key=normalize_document_number(m.document_number),
        issuing_agency_code=m.issuing_agency_code,
        issuing_agency_name=m.issuing_agency_name,
        issue_date=m.issue_date,
        issue_place=m.issue_place,
        subject=m.subject,
        signer_name=m.signer_name,
        signer_position=m.signer_position,
        recipients=json.dumps(list(m.recipients), ensure_ascii=False),
        urgency=m.urgency.name,
        classification=int(m.classification),
        direction=m.direction.value,
        language=json.dumps(list(m.languages)),
        page_count=m.page_count,
        arrival_number=m.arrival_number,
        arrival_date=m.arrival_date,
        due_date=m.due_date,
        is_public=m.is_public,
        retention_code=m.retention_code,
        type_name=m.type_name or type_code_of(m.document_type),
        mode=m.mode,
        keyword=m.keyword,
        infor_sign=m.infor_sign,
        autograph=m.autograph,
        physical_format=m.physical_format,
        process=m.process,
        description=m.description,
        issued_amount=m.issued_amount,
        confidence_level=record.confidence_level,
        fonds_id=record.fonds_id or default_fonds_id(record.agency_code),
        dossier_id=record.dossier_id,
        doc_ordinal=record.doc_ordinal,
        storage_key=f.storage_key,
        sha256=f.sha256,
        size=f.size,
        media_type=f.media_type,
        original_filename=f.original_filename,
        version_id=f.version_id,
        text_status=record.text_status.value,
        created_at=record.created_at,
        updated_at=record.updated_at,
        row_version=record.row_version,
        metadata_version=record.metadata_version,
    )


def _page_rows(record_id: str, pages: Sequence[Page]) -> list[PageRow]:
    return [
        PageRow(
            record_id=record_id,
            file_id=p.file_id or record_id,
            number=p.number,
            text=p.text,
            source=p.source.value,
            confidence=p.confidence,
        )
        for p in pages
    ]


def _hydrate(session: Session, rows: Sequence[RecordRow], *, with_pages: bool = True) -> dict[str, Record]:
    ids = [r.id for r in rows]
    pages: dict[str, list[Page]] = {i: [] for i in ids}
    grants: dict[str, list[str]] = {i: [] for i in ids}
    if ids and with_pages:
        for p in session.exec(
            select(PageRow).where(col(PageRow.record_id).in_(ids)).order_by(col(PageRow.number))
        ):
            pages[p.record_id].append(
                Page(
                    number=p.number,
                    text=p.text,
                    source=TextSource(p.source),
                    confidence=p.confidence,
                    file_id=None if p.file_id == p.record_id else p.file_id,  # None: the main file
                )
            )
    files = load_files(session, ids) if ids else {}
    if ids:
        for g in session.exec(select(GrantRow).where(col(GrantRow.record_id).in_(ids))):
            grants[g.record_id].append(g.grantee)
    return {
        r.id: replace(
            _to_record(r, _in_file_order(pages[r.id], files[r.id]), tuple(sorted(grants[r.id]))),
            files=files[r.id],
        )
        for r in rows
    }


def _in_file_order(pages: list[Page], files: tuple[RecordFile, ...]) -> tuple[Page, ...]:
    """Pages by file (main first, then by ordinal), then by number: the main file's first
    page opens the record, as the index expects (its header block)."""
    rank = {f.id: f.ordinal for f in files}
    return tuple(sorted(pages, key=lambda p: (rank.get(p.file_id or "", 0), p.number)))


def _to_record(row: RecordRow, pages: tuple[Page, ...], grants: tuple[str, ...]) -> Record:
    metadata = RecordMetadata(
        document_type=row.document_type,
        number=row.number,
        notation=row.notation,
        issuing_agency_code=row.issuing_agency_code,
        issuing_agency_name=row.issuing_agency_name,
        issue_date=row.issue_date,
        issue_place=row.issue_place,
        subject=row.subject,
        signer_name=row.signer_name,
        signer_position=row.signer_position,
        recipients=tuple(json.loads(row.recipients)),
        urgency=Urgency[row.urgency],
        classification=Classification(row.classification),
        direction=Direction(row.direction),
        languages=tuple(json.loads(row.language)),
        page_count=row.page_count,
        arrival_number=row.arrival_number,
        arrival_date=row.arrival_date,
        due_date=row.due_date,
        is_public=row.is_public,
        retention_code=row.retention_code,
        type_name=row.type_name,
        mode=row.mode,
        keyword=row.keyword,
        infor_sign=row.infor_sign,
        autograph=row.autograph,
        physical_format=row.physical_format,
        process=row.process,
        description=row.description,
        issued_amount=row.issued_amount,
    )
    stored = StoredFile(
        storage_key=row.storage_key,
        sha256=row.sha256,
        size=row.size,
        media_type=row.media_type,
        original_filename=row.original_filename,
        version_id=row.version_id,
    )
    return Record(
        id=row.id,
        agency_code=row.agency_code,
        metadata=metadata,
        file=stored,
        created_at=as_utc(row.created_at),
        updated_at=as_utc(row.updated_at),
        text_status=TextStatus(row.text_status),
        row_version=row.row_version,
        grants=grants,
        pages=pages,
        confidence_level=row.confidence_level,
        fonds_id=row.fonds_id,
        dossier_id=row.dossier_id,
        doc_ordinal=row.doc_ordinal,
        metadata_version=row.metadata_version,
    )


METADATA_COLUMNS = (
    "document_type", "number", "notation", "document_number_key", "issuing_agency_code",
    "issuing_agency_name", "issue_date", "issue_place", "subject", "signer_name", "signer_position",
    "recipients", "urgency", "classification", "direction", "language", "page_count",
    "arrival_number", "arrival_date", "due_date", "is_public", "retention_code", "type_name", "mode",
    "keyword", "infor_sign", "autograph", "physical_format", "process", "description", "issued_amount",
)  # fmt: skip
"""The ``records`` columns that hold a record's metadata: what a correction rewrites."""


def metadata_columns(record: Record) -> dict[str, object]:
    """The values of ``METADATA_COLUMNS`` for ``record``, as ``records`` stores them."""
    row = _to_row(record)
    return {name: getattr(row, name) for name in METADATA_COLUMNS}


def hydrate(session: Session, rows: Sequence[RecordRow]) -> dict[str, Record]:
    """Domain records for ``rows`` (with pages and grants), for stores that write records."""
    return _hydrate(session, rows)


def _keyset(engine: Engine, key: Any, value: Any, batch_size: int) -> Iterator[tuple[Any, Any]]:
    """``(key, value)`` pairs in ascending ``key`` order (a unique, indexed column), one
    short transaction per page: memory and lock time stay flat however many rows there are."""
    last: Any = None
    while True:
        query = sa.select(key, value).order_by(key).limit(batch_size)
        if last is not None:
            query = query.where(key > last)
        with engine.connect() as connection:
            rows = [(row[0], row[1]) for row in connection.execute(query)]
        yield from rows
        if len(rows) < batch_size:
            return
        last = rows[-1][0]
