"""A record's files and their versions in SQL (``record_files``), used by the record
repository: rows from domain files, and domain files from rows."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlmodel import Session, col, select

from archive.db.tables import RecordFileRow, RecordRow
from archive.db.timestamps import as_utc
from archive.domain.files import FileRole, FileVersion, RecordFile
from archive.domain.records import Record, StoredFile


def files_of(record: Record) -> tuple[RecordFile, ...]:
    """The record's files. ``Record.file`` is authoritative for the main file: files that
    belong to another record, or whose main file is not ``record.file`` (a copy made
    with ``dataclasses.replace``), are not this record's, which then has its main file only."""
    if record.files and _consistent(record):
        return record.files
    first = FileVersion(number=1, stored=record.file, created_at=record.created_at)
    return (RecordFile(id=record.id, record_id=record.id, role=FileRole.MAIN, ordinal=0, versions=(first,)),)


def _consistent(record: Record) -> bool:
    main = next((f for f in record.files if f.role is FileRole.MAIN), None)
    owned = all(f.record_id == record.id for f in record.files)
    return owned and main is not None and main.id == record.id and main.stored == record.file


def file_rows(files: Iterable[RecordFile]) -> list[RecordFileRow]:
    """One row per version of each file."""
    return [version_row(f, v) for f in files for v in f.versions]


def version_row(file: RecordFile, version: FileVersion) -> RecordFileRow:
    s = version.stored
    return RecordFileRow(
        id=file.id,
        version=version.number,
        record_id=file.record_id,
        role=file.role.value,
        ordinal=file.ordinal,
        storage_key=s.storage_key,
        version_id=s.version_id,
        sha256=s.sha256,
        size=s.size,
        media_type=s.media_type,
        original_filename=s.original_filename,
        created_at=version.created_at,
        created_by=version.created_by,
        reason=version.reason,
    )


def load_files(session: Session, record_ids: Sequence[str]) -> dict[str, tuple[RecordFile, ...]]:
    """Every file of each record, ordered by ordinal, each with its versions oldest first."""
    rows = session.exec(
        select(RecordFileRow)
        .where(col(RecordFileRow.record_id).in_(list(record_ids)))
        .order_by(col(RecordFileRow.ordinal), col(RecordFileRow.id), col(RecordFileRow.version))
    ).all()
    grouped: dict[str, list[RecordFileRow]] = {}
    for row in rows:
        grouped.setdefault(row.id, []).append(row)
    found: dict[str, list[RecordFile]] = {i: [] for i in record_ids}
    for versions in grouped.values():
        file = _to_file(versions)
        found[file.record_id].append(file)
    return {i: tuple(files) for i, files in found.items()}


def mirror_main(row: RecordRow, stored: StoredFile, now: datetime) -> None:
    """Point the records row's file columns at the main file's new current version."""
    row.storage_key = stored.storage_key
    row.sha256 = stored.sha256
    row.size = stored.size
    row.media_type = stored.media_type
    row.original_filename = stored.original_filename
    row.version_id = stored.version_id
    row.updated_at = now


def _to_file(rows: Sequence[RecordFileRow]) -> RecordFile:
    first = rows[0]
    return RecordFile(
        id=first.id,
        record_id=first.record_id,
        role=FileRole(first.role),
        ordinal=first.ordinal,
        versions=tuple(_to_version(r) for r in rows),
    )


def _to_version(row: RecordFileRow) -> FileVersion:
    return FileVersion(
        number=row.version,
        stored=StoredFile(
            storage_key=row.storage_key,
            sha256=row.sha256,
            size=row.size,
            media_type=row.media_type,
            original_filename=row.original_filename,
            version_id=row.version_id,
        ),
        created_at=as_utc(row.created_at),
        created_by=row.created_by,
        reason=row.reason,
    )
