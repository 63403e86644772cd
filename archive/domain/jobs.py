"""Jobs: the work the worker owes a record after its deposit (the outbox)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta


class JobStatus(enum.Enum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class Step(enum.Enum):
    """The pipeline's steps, in order. Each is idempotent, so a retried job redoes
    at most the step it was in when it stopped."""

    SEAL = "seal"
    VERIFY = "verify"
    EXTRACT = "extract"
    INDEX = "index"


PIPELINE: tuple[Step, ...] = (Step.SEAL, Step.VERIFY, Step.EXTRACT, Step.INDEX)

PROCESS_KIND = "process"
"""A job that processes the record (its deposit, or another extraction once OCR works):
the one a record's processing status reports."""
INDEX_KIND = "index"
"""A job that only re-indexes the record after a change the index filters on (a grant);
not part of its processing, so it never stands for the record's processing status."""


@dataclass(frozen=True, slots=True)
class Job:
    id: int
    record_id: str
    kind: str
    status: JobStatus
    attempts: int
    max_attempts: int
    run_after: datetime
    lease_until: datetime | None
    leased_by: str | None
    steps_done: tuple[Step, ...]
    last_error: str | None
    created_at: datetime
    updated_at: datetime


def backoff(attempts: int, *, base: float = 5.0, cap: float = 3600.0) -> timedelta:
    """Exponential backoff after ``attempts`` failures: 5 s, 10 s, 20 s … at most an hour."""
    return timedelta(seconds=min(cap, base * 2 ** max(0, attempts - 1)))
