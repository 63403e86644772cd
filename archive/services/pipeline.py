"""What the worker does for one record, step by step. Each step is idempotent: it
replaces whatever an interrupted earlier run of itself left behind, so a retried
job redoes at most the step it was in when it stopped.

Steps that read the document work on a private temporary copy, downloaded from
the blob store and checked against the SHA-256 recorded at deposit; the stored
bytes are never opened for writing.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import logging
import shutil
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path

from archive.domain.access import UNRESTRICTED
from archive.domain.errors import FileRejected, IntegrityError, NotFound
from archive.domain.files import SEARCHED_ROLES, FileRole, RecordFile
from archive.domain.jobs import PIPELINE, PROCESS_KIND, Job, Step
from archive.domain.processing import ExtractionReport
from archive.domain.records import Record, StoredFile
from archive.domain.signatures import SignatureReport
from archive.services.audit import append, find
from archive.services.container import Services
from archive.services.crash import crash_point
from archive.services.indexing import index_document_of
from archive.services.retention import seal
from indexing.extraction import ExtractionLimits, ExtractionOutcome, extract_document
from indexing.extraction.inspection import JPEG, PDF, PNG, TIFF
from indexing.signatures import TrustRoots, verify_pdf_signatures

log = logging.getLogger(__name__)

READABLE = frozenset({PDF, PNG, JPEG, TIFF})
"""Media types the extraction sandbox reads."""

StepRunner = Callable[[Services, Record], Awaitable[None]]


async def run_pipeline(
    services: Services, job: Job, *, worker_id: str, after_step: Callable[[Step], None] | None = None
) -> None:
    """Run every step the job has not finished yet, recording each as it ends;
    ``after_step`` hears of each step that succeeded (the worker's outage watch)."""
    record: Record | None = None
    ran: list[Step] = []
    for step in PIPELINE:
        if step in job.steps_done:
            continue
        if record is None or step is Step.INDEX:
            # One read for the steps before INDEX, which need the files but not the pages;
            # INDEX reads again, with the pages and text status EXTRACT wrote.
            record = await asyncio.to_thread(_read, services, job.record_id, with_pages=step is Step.INDEX)
        await STEPS[step](services, record)
        crash_point(services.settings, step.value)
        await asyncio.to_thread(services.jobs.step_done, job.id, step, worker_id=worker_id)
        ran.append(step)
        if after_step is not None:
            after_step(step)
    if job.kind == PROCESS_KIND:
        # Read just before INDEX ran in this call, the record has its final text status.
        indexed = record if Step.INDEX in ran else None
        await asyncio.to_thread(_audit_processed, services, job, indexed, resumed=not ran)
        crash_point(services.settings, "processed")


def _read(services: Services, record_id: str, *, with_pages: bool) -> Record:
    record = services.records.get_many([record_id], UNRESTRICTED, with_pages=with_pages).get(record_id)
    if record is None:
        raise NotFound(f"record {record_id} is gone")
    return record


PROCESSED = "record.processed"
WORKER_ACTOR = "system:worker"


def _audit_processed(services: Services, job: Job, record: Record | None, *, resumed: bool) -> None:
    """The ``record.processed`` entry (text and signatures ready): the event portals wait
    for instead of polling. Written once per processing job. Only a run that found every
    step already done (``resumed``) can follow an earlier run that wrote it (a crash or an
    outage between this entry and the job's completion): it alone looks for that entry.
    Any other run recorded a step of its own, so no earlier run of the job got this far."""
    if resumed:
        last = find(services, action=PROCESSED, target=job.record_id)
        if last is not None and last.details.get("job") == job.id:
            return
    if record is None:
        record = services.records.get_many([job.record_id], UNRESTRICTED, with_pages=False).get(job.record_id)
    details = {"job": job.id, "text": None if record is None else record.text_status.value}
    append(services, actor=WORKER_ACTOR, action=PROCESSED, target=job.record_id, details=details)


async def _seal(services: Services, record: Record) -> None:
    # Retention until the disposal date, or a legal hold for permanent and held
    # records; see archive.services.retention.
    await asyncio.to_thread(seal, services, record.id)


async def _verify(services: Services, record: Record) -> None:
    # Every PDF among the record's files (current versions), main file first.
    reports: list[SignatureReport] = []
    pdfs = [f for f in _files(record) if f.media_type == PDF]
    if pdfs:
        roots = await asyncio.to_thread(load_trust_roots, services)
    for stored in pdfs:
        async with _local_copy(services, stored) as local:
            reports += await asyncio.to_thread(_verify_copy, local, roots, record.created_at)
    await asyncio.to_thread(services.results.replace_signatures, record.id, reports)
    services.metrics.signatures(r.verdict.value for r in reports)


def _verify_copy(path: Path, roots: TrustRoots, moment: datetime) -> list[SignatureReport]:
    # The deposit time as the validation moment: a verdict must not flip when a
    # certificate expires years later, or differ between a run and its retry.
    try:
        return verify_pdf_signatures(path, roots, moment=moment)
    except FileRejected as error:
        # The deposit accepted it as a PDF; a structure pyHanko cannot read carries
        # no signature it could vouch for. Final, not retried.
        log.warning("signatures of %s cannot be read: %s", path, error.message)
        return []


async def _extract(services: Services, record: Record) -> None:
    limits = extraction_limits(services)
    async with _local_copy(services, record.file) as local:
        outcome = await asyncio.to_thread(extract_document, local, limits)
    # The main file decides the record's text status, report and thumbnails; the pages of
    # appendices and attachments join it, each page keyed by its file.
    pages = list(outcome.pages)  # file_id None: the main file
    for file in _others_to_read(record):
        async with _local_copy(services, file.stored) as local:
            other = await asyncio.to_thread(extract_document, local, limits)
        pages += [dataclasses.replace(p, file_id=file.id) for p in other.pages]
    # A limit is a final outcome, not an error to retry: the record keeps its bytes
    # and its metadata stays searchable; the report says which limit stopped it.
    await asyncio.to_thread(services.records.set_pages, record.id, pages, outcome.status)
    await asyncio.to_thread(services.results.replace_thumbnails, record.id, outcome.thumbnails)
    report = extraction_report(outcome, limits, services.clock())
    await asyncio.to_thread(services.results.save_extraction, record.id, report)
    services.metrics.extraction(outcome.ocr_page_seconds, outcome.limit_hit)


async def _index(services: Services, record: Record) -> None:
    document = await asyncio.to_thread(index_document_of, services, record)
    await services.index.upsert(document)


STEPS: dict[Step, StepRunner] = {
    Step.SEAL: _seal,
    Step.VERIFY: _verify,
    Step.EXTRACT: _extract,
    Step.INDEX: _index,
}


def extraction_limits(services: Services) -> ExtractionLimits:
    """The sandbox limits from settings. OCR is off when tesseract is not installed,
    so a scan then ends PENDING_OCR instead of failing."""
    s = services.settings
    return ExtractionLimits(
        memory_mb=s.extract_memory_mb,
        cpu_seconds=s.extract_cpu_seconds,
        wall_seconds=s.extract_wall_seconds,
        max_pages=s.extract_max_pages,
        ocr=s.ocr_enabled and shutil.which("tesseract") is not None,
        ocr_lang=s.ocr_languages,
    )


def extraction_report(
    outcome: ExtractionOutcome, limits: ExtractionLimits, now: datetime
) -> ExtractionReport:
    """What the archive keeps of an extraction's outcome."""
    error = outcome.error
    if error is None and outcome.limit_hit == "page_cap":
        error = f"page_cap: only the first {limits.max_pages} of {outcome.page_count} pages were read"
    elif error is not None and outcome.limit_hit is not None and outcome.limit_hit not in error:
        error = f"{outcome.limit_hit}: {error}"
    return ExtractionReport(
        status=outcome.status,
        limit_hit=outcome.limit_hit,
        error=error,
        page_count=outcome.page_count,
        pages_read=len(outcome.pages),
        finished_at=now,
    )


def load_trust_roots(services: Services) -> TrustRoots:
    """The configured trust roots; none when the directory is missing or empty."""
    directory = services.settings.resolved_trust_roots_dir
    return TrustRoots.from_directory(directory) if directory.is_dir() else TrustRoots()


def _files(record: Record) -> list[StoredFile]:
    """The current version of every file whose content is read (not the source package)."""
    if not record.files:
        return [record.file]
    return [f.stored for f in record.files if f.role in SEARCHED_ROLES]


def _others_to_read(record: Record) -> list[RecordFile]:
    """Appendices and attachments whose type has text to extract (PDF or image)."""
    return [
        f
        for f in record.files
        if f.role in SEARCHED_ROLES and f.role is not FileRole.MAIN and f.stored.media_type in READABLE
    ]


@asynccontextmanager
async def _local_copy(services: Services, stored: StoredFile) -> AsyncIterator[Path]:
    with tempfile.TemporaryDirectory(dir=_tmp(services)) as scratch:
        local = Path(scratch) / "document"
        await asyncio.to_thread(_download, services, stored, local)
        yield local


def _download(services: Services, stored: StoredFile, target: Path) -> None:
    digest = hashlib.sha256()
    with target.open("wb") as out:
        for chunk in services.blobs.iter_bytes(stored.storage_key, version_id=stored.version_id):
            digest.update(chunk)
            out.write(chunk)
    if digest.hexdigest() != stored.sha256:
        raise IntegrityError(f"{stored.storage_key}: stored bytes do not match the deposit's SHA-256")


def _tmp(services: Services) -> Path:
    path = services.settings.data_dir / "tmp"
    path.mkdir(parents=True, exist_ok=True)
    return path
