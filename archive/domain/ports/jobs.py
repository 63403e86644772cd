"""The job queue port: the outbox the worker drains, with leases and retries."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable

from archive.domain.jobs import Job, JobStatus, Step


@runtime_checkable
class JobQueue(Protocol):
    """Jobs claimed under a lease, retried with backoff, parked after N attempts."""

    def enqueue(self, record_id: str, *, kind: str = "process", max_attempts: int = 5) -> Job: ...

    def claim(self, worker_id: str, *, lease: timedelta, now: datetime | None = None) -> Job | None:
        """The next due job, leased to ``worker_id``; None when none is due."""
        ...

    def step_done(self, job_id: int, step: Step, *, worker_id: str) -> None: ...

    def complete(self, job_id: int, *, worker_id: str) -> None: ...

    def fail(self, job_id: int, error: str, *, worker_id: str, retryable: bool = True) -> Job | None:
        """Record a failed attempt: retried later with backoff, or parked as failed."""
        ...

    def release(self, job_id: int, reason: str, *, worker_id: str, delay: timedelta) -> Job | None:
        """Give a job back after an outage, due after ``delay``, its attempt refunded."""
        ...

    def wake(self, error_code: str) -> int:
        """Make due now the pending jobs given back because of ``error_code``; how many."""
        ...

    def retry(self, job_id: int) -> Job | None:
        """Requeue a failed job now, with a fresh attempt budget."""
        ...

    def for_record(self, record_id: str) -> Job | None:
        """The latest processing job of a record; index-only jobs (``INDEX_KIND``) are left out."""
        ...

    def for_records(self, record_ids: Sequence[str]) -> dict[str, Job]:
        """``for_record`` for many records, by record id."""
        ...

    def list(self, status: JobStatus | None = None, limit: int = 100) -> builtins.list[Job]: ...

    def counts(self) -> dict[JobStatus, int]: ...


@runtime_checkable
class OcrBacklog(Protocol):
    """Records left ``PENDING_OCR``, and the jobs that give them another extraction."""

    def requeue(self, *, now: datetime, max_attempts: int) -> builtins.list[str]:
        """Enqueue an extract-and-index job (seal and verify already done) for every
        PENDING_OCR record without a pending or running job; returns the record ids.

        Raises ServiceUnavailable when the database cannot be reached.
        """
        ...
