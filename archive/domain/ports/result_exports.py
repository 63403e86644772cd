"""The result-export port: export jobs, their progress and their file."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol, runtime_checkable

from archive.domain.result_exports import ResultExport


@runtime_checkable
class ResultExportStore(Protocol):
    def add(self, job: ResultExport) -> None: ...

    def get(self, job_id: str) -> ResultExport | None: ...

    def owned_by(self, owner: str, limit: int = 50) -> list[ResultExport]:
        """The owner's jobs, newest first."""
        ...

    def progress(self, job_id: str, *, done: int, total: int, truncated: bool, at: datetime) -> None:
        """Mark it running with ``done`` of ``total`` written (its heartbeat)."""
        ...

    def finish(self, job_id: str, *, content: bytes, filename: str, done: int, at: datetime) -> None: ...

    def fail(self, job_id: str, *, error: str, at: datetime) -> None: ...

    def content(self, job_id: str) -> bytes | None:
        """The file of a finished job."""
        ...
