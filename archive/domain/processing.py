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
