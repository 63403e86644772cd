"""``ResultExportStore`` on SQL: one row per job, the file in the row once done."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from archive.db.search_tables import ResultExportRow
from archive.db.timestamps import as_utc
from archive.domain.listing import ExportFormat
from archive.domain.result_exports import ExportStatus, ResultExport


class SqlResultExportStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def add(self, job: ResultExport) -> None:
        with Session(self._engine) as session:
            session.add(
                ResultExportRow(
                    id=job.id,
                    owner=job.owner,
                    format=job.format.value,
                    query=job.query,
                    filter=job.filter_json,
                    order_tag=job.order_tag,
                    status=job.status.value,
                    done=job.done,
                    total=job.total,
                    truncated=job.truncated,
                    error=job.error,
                    filename=job.filename,
                    created_at=job.created_at,
                    updated_at=job.updated_at,
                )
            )
            session.commit()

    def get(self, job_id: str) -> ResultExport | None:
        with Session(self._engine) as session:
            row = session.get(ResultExportRow, job_id)
            return None if row is None else _to_job(row)

    def owned_by(self, owner: str, limit: int = 50) -> list[ResultExport]:
        query = (
            select(ResultExportRow)
            .where(col(ResultExportRow.owner) == owner)
            .order_by(col(ResultExportRow.created_at).desc(), col(ResultExportRow.id))
            .limit(limit)
        )
        with Session(self._engine) as session:
            return [_to_job(r) for r in session.exec(query)]

    def progress(self, job_id: str, *, done: int, total: int, truncated: bool, at: datetime) -> None:
        self._update(
            job_id,
            status=ExportStatus.RUNNING.value,
            done=done,
            total=total,
            truncated=truncated,
            updated_at=at,
        )

    def finish(self, job_id: str, *, content: bytes, filename: str, done: int, at: datetime) -> None:
        self._update(
            job_id,
            status=ExportStatus.DONE.value,
            content=content,
            filename=filename,
            done=done,
            updated_at=at,
        )

    def fail(self, job_id: str, *, error: str, at: datetime) -> None:
        self._update(job_id, status=ExportStatus.FAILED.value, error=error, updated_at=at)

    def content(self, job_id: str) -> bytes | None:
        with Session(self._engine) as session:
            row = session.get(ResultExportRow, job_id)
            return None if row is None or row.content is None else bytes(row.content)

    def _update(self, job_id: str, **values: object) -> None:
        with Session(self._engine) as session:
            row = session.get(ResultExportRow, job_id)
            if row is None:
                return
            for name, value in values.items():
                setattr(row, name, value)
            session.add(row)
            session.commit()


def _to_job(row: ResultExportRow) -> ResultExport:
    return ResultExport(
        id=row.id,
        owner=row.owner,
        format=ExportFormat(row.format),
        query=row.query,
        filter_json=row.filter,
        order_tag=row.order_tag,
        status=ExportStatus(row.status),
        done=row.done,
        total=row.total,
        truncated=row.truncated,
        error=row.error,
        filename=row.filename,
        created_at=as_utc(row.created_at),
        updated_at=as_utc(row.updated_at),
    )
