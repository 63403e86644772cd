"""What the worker does for one record, step by step. Each step is idempotent."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

from archive.domain.access import UNRESTRICTED
from archive.domain.errors import NotFound
from archive.domain.jobs import PIPELINE, Job, Step
from archive.domain.records import Record
from archive.services.container import Services
from archive.services.indexing import index_document
from indexing.extraction import ExtractionLimits, extract_document

StepRunner = Callable[[Services, Record], Awaitable[None]]


async def run_pipeline(services: Services, job: Job, *, worker_id: str) -> None:
    """Run every step the job has not finished yet, recording each as it ends."""
    for step in PIPELINE:
        if step in job.steps_done:
            continue
        record = await asyncio.to_thread(services.records.get, job.record_id, UNRESTRICTED)
        if record is None:
            raise NotFound(f"record {job.record_id} is gone")
        await STEPS[step](services, record)
        await asyncio.to_thread(services.jobs.step_done, job.id, step, worker_id=worker_id)


async def _seal(services: Services, record: Record) -> None:
    # Retention until the disposal date, or a legal hold for permanent and held
    # records; see archive.services.retention.
    from archive.services.retention import seal

    await asyncio.to_thread(seal, services, record.id)


async def _verify(services: Services, record: Record) -> None:
    return None


async def _extract(services: Services, record: Record) -> None:
    limits = extraction_limits(services)
    with tempfile.TemporaryDirectory(dir=_tmp(services)) as scratch:
        local = Path(scratch) / "document"
        await asyncio.to_thread(_download, services, record, local)
        outcome = await asyncio.to_thread(extract_document, local, limits)
    await asyncio.to_thread(services.records.set_pages, record.id, outcome.pages, outcome.status)


async def _index(services: Services, record: Record) -> None:
    await services.index.upsert(index_document(record))


STEPS: dict[Step, StepRunner] = {
    Step.SEAL: _seal,
    Step.VERIFY: _verify,
    Step.EXTRACT: _extract,
    Step.INDEX: _index,
}


def extraction_limits(services: Services) -> ExtractionLimits:
    s = services.settings
    return ExtractionLimits(
        memory_mb=s.extract_memory_mb,
        cpu_seconds=s.extract_cpu_seconds,
        wall_seconds=s.extract_wall_seconds,
        max_pages=s.extract_max_pages,
        ocr=s.ocr_enabled,
        ocr_lang=s.ocr_languages,
    )


def _download(services: Services, record: Record, target: Path) -> None:
    with target.open("wb") as out:
        for chunk in services.blobs.iter_bytes(record.file.storage_key, version_id=record.file.version_id):
            out.write(chunk)


def _tmp(services: Services) -> Path:
    path = services.settings.data_dir / "tmp"
    path.mkdir(parents=True, exist_ok=True)
    return path
