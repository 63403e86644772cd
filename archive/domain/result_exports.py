"""Exports of a search's result set (CSV, XLSX, PDF) as jobs with progress.

A job belongs to the principal who asked: it holds what THAT caller could read when it
ran, so only its owner sees its status and downloads its file. It runs in the process
that received the request (the API), page by page through the same search as
``search``; a job whose process stopped before it finished is reported FAILED once its
heartbeat (``updated_at``) is older than ``STALE_AFTER``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from archive.domain.listing import ExportFormat

MAX_ROWS = 5_000  # records in one export: more is a query to narrow, and the file says so
STALE_AFTER = timedelta(minutes=10)
PER_OWNER_ACTIVE = 3  # jobs one caller may have running at once


class ExportStatus(enum.Enum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class ResultExport:
    id: str
    owner: str
    format: ExportFormat
    query: str | None
    filter_json: str  # archive.domain.saved_searches.filter_to_json, as JSON text
    order_tag: str  # SearchOrder.tag
    status: ExportStatus
    done: int  # records written so far
    total: int | None  # records the search found (None until the first page)
    truncated: bool
    error: str | None
    filename: str | None
    created_at: datetime
    updated_at: datetime

    def seen_at(self, now: datetime) -> ResultExport:
        """The job as a reader should see it: one unfinished and silent for too long failed."""
        unfinished = self.status in (ExportStatus.PENDING, ExportStatus.RUNNING)
        if unfinished and now - self.updated_at > STALE_AFTER:
            return _failed(self, "the process running it stopped before it finished")
        return self


def _failed(job: ResultExport, error: str) -> ResultExport:
    return replace(job, status=ExportStatus.FAILED, error=error)
