"""Records waiting for OCR, and the jobs that give them another extraction.

A scan deposited while OCR was unavailable ends ``PENDING_OCR`` with its job
done. Once OCR works, ``requeue`` adds one job per such record that has no job
pending or running, with ``seal`` and ``verify`` already marked done: only
extract and index run again (both idempotent), so the signature verdict and the
Object Lock state are left as they were.
"""

from __future__ import annotations

import json
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select

from archive.db.jobs import new_job_row
from archive.db.tables import JobRow, RecordRow
from archive.domain.errors import ServiceUnavailable
from archive.domain.jobs import INDEX_KIND, JobStatus, Step
from archive.domain.records import TextStatus

_ALREADY_DONE = json.dumps([Step.SEAL.value, Step.VERIFY.value])


class SqlOcrBacklog:
    """The ``OcrBacklog`` port over one engine."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def requeue(self, *, now: datetime, max_attempts: int) -> list[str]:
        try:
            return requeue(self._engine, now=now, max_attempts=max_attempts)
        except SQLAlchemyError as exc:
            # Said in the port's terms: start-up logs it and goes on (the caller holds no driver).
            raise ServiceUnavailable(f"the database did not answer: {exc}") from exc


def requeue(engine: Engine, *, now: datetime, max_attempts: int) -> list[str]:
    """Enqueue an extract-and-index job for every PENDING_OCR record without an open job.

    Returns the record ids. A database that has no tables yet has no backlog.
    """
    if not sa.inspect(engine).has_table(RecordRow.__tablename__):
        return []
    open_job = (
        select(JobRow.id)
        .where(col(JobRow.record_id) == RecordRow.id)
        .where(col(JobRow.status).in_([JobStatus.PENDING.value, JobStatus.RUNNING.value]))
        .where(col(JobRow.kind) != INDEX_KIND)  # a pending re-index after a grant extracts nothing
    )
    waiting = (
        select(RecordRow.id)
        .where(col(RecordRow.text_status) == TextStatus.PENDING_OCR.value)
        .where(~open_job.exists())
        .order_by(col(RecordRow.created_at))
    )
    with Session(engine) as session:
        record_ids = list(session.exec(waiting).all())
        for record_id in record_ids:
            row = new_job_row(record_id, now, max_attempts=max_attempts)
            row.steps_done = _ALREADY_DONE
            session.add(row)
        session.commit()
    return record_ids
