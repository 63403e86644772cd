"""The job outbox on SQL: claim with a lease, retry with backoff, park after N attempts.

PostgreSQL claims with ``FOR UPDATE SKIP LOCKED``, so workers on many machines
never take the same job. SQLite serialises writers, so the same single UPDATE is
atomic there.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from archive.db.tables import JobRow
from archive.db.timestamps import as_utc
from archive.domain.jobs import INDEX_KIND, PIPELINE, PROCESS_KIND, Job, JobStatus, Step, backoff


def new_job_row(record_id: str, now: datetime, *, kind: str = PROCESS_KIND, max_attempts: int = 5) -> JobRow:
    """A pending job, to be added in the same transaction as its record."""
    return JobRow(
        record_id=record_id,
        kind=kind,
        status=JobStatus.PENDING.value,
        max_attempts=max_attempts,
        run_after=now,
        created_at=now,
        updated_at=now,
    )


def new_index_job_row(record_id: str, now: datetime, *, max_attempts: int = 5) -> JobRow:
    """A pending job that only re-indexes the record, to be added in the same transaction
    as a change the index must follow (a grant). Every earlier step is marked done, so
    the worker's step table runs INDEX alone: it reads the record as it is when the job
    runs and writes it versioned by its row version, so a late or repeated run is harmless."""
    row = new_job_row(record_id, now, kind=INDEX_KIND, max_attempts=max_attempts)
    row.steps_done = json.dumps([step.value for step in PIPELINE if step is not Step.INDEX])
    return row


class SqlJobQueue:
    """Jobs in the metadata database."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def enqueue(self, record_id: str, *, kind: str = "process", max_attempts: int = 5) -> Job:
        with Session(self._engine) as session:
            row = new_job_row(record_id, datetime.now(UTC), kind=kind, max_attempts=max_attempts)
            session.add(row)
            session.commit()
            session.refresh(row)
            return _to_job(row)

    def claim(self, worker_id: str, *, lease: timedelta, now: datetime | None = None) -> Job | None:
        """Take the oldest runnable job: pending and due, or running with an expired lease."""
        now = now or datetime.now(UTC)
        runnable = sa.or_(
            sa.and_(col(JobRow.status) == JobStatus.PENDING.value, col(JobRow.run_after) <= now),
            sa.and_(col(JobRow.status) == JobStatus.RUNNING.value, col(JobRow.lease_until) < now),
        )
        pick = select(JobRow.id).where(runnable).order_by(col(JobRow.run_after), col(JobRow.id)).limit(1)
        if self._engine.dialect.name == "postgresql":
            pick = pick.with_for_update(skip_locked=True)
        claim = (
            sa.update(JobRow)
            .where(col(JobRow.id) == pick.scalar_subquery())
            .values(
                status=JobStatus.RUNNING.value,
                lease_until=now + lease,
                leased_by=worker_id,
                attempts=JobRow.attempts + 1,
                updated_at=now,
            )
            .returning(col(JobRow.id))
        )
        with Session(self._engine) as session:
            job_id = session.execute(claim).scalar_one_or_none()
            session.commit()
            if job_id is None:
                return None
            row = session.get(JobRow, job_id)
            assert row is not None
            return _to_job(row)

    def step_done(self, job_id: int, step: Step, *, worker_id: str) -> None:
        """Record a finished step, only while this worker still holds the lease."""
        with Session(self._engine) as session:
            row = session.get(JobRow, job_id, with_for_update=True)
            if row is None or row.leased_by != worker_id:
                return
            steps = json.loads(row.steps_done)
            if step.value not in steps:
                steps.append(step.value)
            row.steps_done = json.dumps(steps)
            row.updated_at = datetime.now(UTC)
            session.add(row)
            session.commit()

    def complete(self, job_id: int, *, worker_id: str) -> None:
        self._finish(job_id, worker_id, JobStatus.DONE, error=None)

    def fail(self, job_id: int, error: str, *, worker_id: str, retryable: bool = True) -> Job | None:
        """Requeue with backoff, or park as failed after the last attempt."""
        with Session(self._engine) as session:
            row = session.get(JobRow, job_id, with_for_update=True)
            if row is None or row.leased_by != worker_id:
                return None
            now = datetime.now(UTC)
            parked = not retryable or row.attempts >= row.max_attempts
            row.status = (JobStatus.FAILED if parked else JobStatus.PENDING).value
            row.run_after = now if parked else now + backoff(row.attempts)
            row.lease_until = None
            row.leased_by = None
            row.last_error = error[:4000]
            row.updated_at = now
            session.add(row)
            session.commit()
            session.refresh(row)
            return _to_job(row)

    def release(self, job_id: int, reason: str, *, worker_id: str, delay: timedelta) -> Job | None:
        """Give a job back after an outage: pending again, due after ``delay``, and
        the attempt its claim counted refunded, since a service that was down is not
        the document's fault. Ignored unless ``worker_id`` still holds the lease."""
        with Session(self._engine) as session:
            row = session.get(JobRow, job_id, with_for_update=True)
            if row is None or row.leased_by != worker_id:
                return None
            now = datetime.now(UTC)
            row.status, row.run_after = JobStatus.PENDING.value, now + delay
            row.attempts = max(0, row.attempts - 1)
            row.lease_until, row.leased_by = None, None
            row.last_error = reason[:4000]
            row.updated_at = now
            session.add(row)
            session.commit()
            session.refresh(row)
            return _to_job(row)

    def wake(self, error_code: str) -> int:
        """Make due now the pending jobs given back because of ``error_code`` (an
        outage that just ended), instead of leaving them to their backoff. Returns
        how many were woken."""
        now = datetime.now(UTC)
        wake = (
            sa.update(JobRow)
            .where(col(JobRow.status) == JobStatus.PENDING.value)
            .where(col(JobRow.run_after) > now)
            .where(col(JobRow.last_error).startswith(f"{error_code}:", autoescape=True))
            .values(run_after=now, updated_at=now)
            .returning(col(JobRow.id))
        )
        with Session(self._engine) as session:
            woken = len(session.execute(wake).all())
            session.commit()
        return woken

    def retry(self, job_id: int) -> Job | None:
        """Requeue a failed job now, with a fresh attempt budget."""
        with Session(self._engine) as session:
            row = session.get(JobRow, job_id, with_for_update=True)
            if row is None or row.status != JobStatus.FAILED.value:
                return None
            now = datetime.now(UTC)
            row.status, row.attempts, row.run_after, row.updated_at = (
                JobStatus.PENDING.value,
                0,
                now,
                now,
            )
            session.add(row)
            session.commit()
            session.refresh(row)
            return _to_job(row)

    def for_record(self, record_id: str) -> Job | None:
        """The latest processing job of a record (index-only jobs are not its processing)."""
        with Session(self._engine) as session:
            row = session.exec(
                select(JobRow)
                .where(JobRow.record_id == record_id, col(JobRow.kind) != INDEX_KIND)
                .order_by(col(JobRow.id).desc())
                .limit(1)
            ).first()
            return None if row is None else _to_job(row)

    def for_records(self, record_ids: Sequence[str]) -> dict[str, Job]:
        with Session(self._engine) as session:
            rows = session.exec(
                select(JobRow)
                .where(col(JobRow.record_id).in_(list(record_ids)), col(JobRow.kind) != INDEX_KIND)
                .order_by(col(JobRow.id))
            ).all()
            return {row.record_id: _to_job(row) for row in rows}

    def list(self, status: JobStatus | None = None, limit: int = 100) -> list[Job]:
        query = select(JobRow).order_by(col(JobRow.id).desc()).limit(limit)
        if status is not None:
            query = query.where(JobRow.status == status.value)
        with Session(self._engine) as session:
            return [_to_job(r) for r in session.exec(query)]

    def counts(self) -> dict[JobStatus, int]:
        query = select(JobRow.status, sa.func.count()).group_by(col(JobRow.status))
        with Session(self._engine) as session:
            found = {JobStatus(s): int(n) for s, n in session.exec(query)}
        return {s: found.get(s, 0) for s in JobStatus}

    def _finish(self, job_id: int, worker_id: str, status: JobStatus, error: str | None) -> None:
        with Session(self._engine) as session:
            row = session.get(JobRow, job_id, with_for_update=True)
            if row is None or row.leased_by != worker_id:
                return
            row.status, row.last_error = status.value, error
            row.lease_until, row.leased_by = None, None
            row.updated_at = datetime.now(UTC)
            session.add(row)
            session.commit()


def _to_job(row: JobRow) -> Job:
    assert row.id is not None
    return Job(
        id=row.id,
        record_id=row.record_id,
        kind=row.kind,
        status=JobStatus(row.status),
        attempts=row.attempts,
        max_attempts=row.max_attempts,
        run_after=as_utc(row.run_after),
        lease_until=as_utc(row.lease_until),
        leased_by=row.leased_by,
        steps_done=tuple(Step(s) for s in json.loads(row.steps_done)),
        last_error=row.last_error,
        created_at=as_utc(row.created_at),
        updated_at=as_utc(row.updated_at),
    )
