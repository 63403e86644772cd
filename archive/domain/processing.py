"""What the worker learned about a record: its signatures, its extraction outcome,
its page previews. The port that keeps them, ``ProcessingResults``, lives here too
so the domain can name it without a framework."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from archive.domain.records import TextStatus
from archive.domain.signatures import SignatureReport, SignatureSummary


@dataclass(frozen=True, slots=True)
class ExtractionReport:
    """How the text extraction of a record ended.

    ``limit_hit`` names the limit that stopped it (memory, cpu_time, wall_time,
    pixels) or cut it short (page_cap: the pages up to the cap were read). A limit
    is a final outcome: the job completes, the bytes stay archived, and the
    record stays findable by its metadata.
    """

    status: TextStatus
    limit_hit: str | None = None
    error: str | None = None
    page_count: int | None = None
    pages_read: int = 0
    finished_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ProcessingError:
    """Why processing failed or stopped short, as callers see it: a stable code and a
    message written for them. Raw exception text stays in the worker's log."""

    code: str
    message: str


PROCESSING_FAILED = "PROCESSING_FAILED"
EXTRACTION_FAILED = "EXTRACTION_FAILED"
EXTRACTION_LIMIT = "EXTRACTION_LIMIT"

_MESSAGES = {
    "SERVICE_UNAVAILABLE": "a backing service did not answer; the job is retried",
    # Outages: the job waits in the queue, no attempt spent, until the service is back.
    "DATABASE_UNAVAILABLE": "the database did not answer; the job waits for it",
    "STORAGE_UNAVAILABLE": "the blob store did not answer; the job waits for it",
    "SEARCH_UNAVAILABLE": "the search index did not answer; the job waits for it",
    "INTEGRITY": "the stored bytes no longer match the SHA-256 recorded at deposit",
    "OBJECT_LOCKED": "the storage refused to change a locked object",
    "RETENTION_CONFLICT": "the retention rule conflicts with the lock already on the object",
    "NOT_FOUND": "the record or its bytes are gone",
    "FILE_REJECTED": "the file could not be read",
    EXTRACTION_FAILED: "the text could not be extracted; the bytes and metadata are kept",
    PROCESSING_FAILED: "processing failed unexpectedly; the details are in the worker's log",
}
_LIMITS = {
    "memory": "memory: the extraction ran out of its memory limit",
    "cpu_time": "cpu_time: the extraction used up its CPU time limit",
    "wall_time": "wall_time: the extraction took longer than its time limit",
    "pixels": "pixels: a page image has more pixels than the limit allows",
}
_KEPT = "; the bytes and metadata are kept"


def job_error(stored: str | None) -> ProcessingError | None:
    """A failed job's stored error, as callers may see it. The worker stores
    ``CODE: message`` for expected errors; only a known code passes, with this
    module's own message, so nothing the exception said reaches a reader."""
    if not stored:
        return None
    code, sep, _ = stored.partition(":")
    if sep and code in _MESSAGES:
        return ProcessingError(code, _MESSAGES[code])
    return ProcessingError(PROCESSING_FAILED, _MESSAGES[PROCESSING_FAILED])


def extraction_error(report: ExtractionReport) -> ProcessingError | None:
    """How an extraction stopped, as callers may see it: the limit it hit, or a
    generic failure; the extractor's own words (library errors) stay in the log."""
    if report.limit_hit == "page_cap":
        read = f"only the first {report.pages_read} of {report.page_count} pages were read"
        return ProcessingError(EXTRACTION_LIMIT, f"page_cap: {read}")
    if report.limit_hit is not None:
        message = _LIMITS.get(report.limit_hit, f"{report.limit_hit}: an extraction limit was hit")
        return ProcessingError(EXTRACTION_LIMIT, message + _KEPT)
    if report.error is None:
        return None
    return ProcessingError(EXTRACTION_FAILED, _MESSAGES[EXTRACTION_FAILED])


@runtime_checkable
class ProcessingResults(Protocol):
    """Keeps what the pipeline steps produce, per record. Every write replaces the
    record's previous results, so a re-run step leaves exactly one set behind."""

    def replace_signatures(self, record_id: str, reports: Sequence[SignatureReport]) -> None:
        """Store the signature reports of a record, in signing order."""
        ...

    def signatures_of(self, record_ids: Sequence[str]) -> dict[str, list[SignatureReport]]:
        """The signature reports of many records in signing order (empty when unsigned or
        not verified), keyed by every id asked for."""
        ...

    def signature_summaries(self, record_ids: Sequence[str]) -> dict[str, SignatureSummary]:
        """``signature_summary`` for many records; verified records only."""
        ...

    def signature_summary(self, record_id: str) -> SignatureSummary | None:
        """Signed and all-valid, or None before the VERIFY step has run."""
        ...

    def replace_thumbnails(self, record_id: str, thumbnails: Mapping[int, bytes]) -> None:
        """Store PNG previews by 1-based page number."""
        ...

    def thumbnails_of(self, record_ids: Sequence[str]) -> dict[str, dict[int, bytes]]:
        """The PNG previews of many records by page number, keyed by every id asked for."""
        ...

    def save_extraction(self, record_id: str, report: ExtractionReport) -> None:
        """Record how the record's extraction ended."""
        ...

    def extractions(self, record_ids: Sequence[str]) -> dict[str, ExtractionReport]:
        """How each record's extraction ended; only records whose extraction has run."""
        ...
