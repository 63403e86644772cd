"""The worker loop: claim a job with a lease, run the pipeline, retry with backoff."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from datetime import timedelta

from archive.domain.errors import ArchiveError, NotFound
from archive.domain.heartbeats import WorkerKind
from archive.domain.jobs import Job
from archive.domain.processing import PROCESSING_FAILED
from archive.services.container import Services
from archive.services.heartbeat import beating
from archive.services.pipeline import run_pipeline

log = logging.getLogger(__name__)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


async def run_one(services: Services, worker_id: str) -> Job | None:
    """Claim and process one job. Returns the job it took, or None when none was due."""
    lease = timedelta(seconds=services.settings.worker_lease_seconds)
    job = await asyncio.to_thread(services.jobs.claim, worker_id, lease=lease, now=services.clock())
    if job is None:
        return None
    try:
        await run_pipeline(services, job, worker_id=worker_id)
    except NotFound as exc:
        await asyncio.to_thread(services.jobs.fail, job.id, exc.message, worker_id=worker_id, retryable=False)
    except ArchiveError as exc:
        log.warning("job %s for record %s failed: %s", job.id, job.record_id, exc.message)
        await asyncio.to_thread(services.jobs.fail, job.id, f"{exc.code}: {exc.message}", worker_id=worker_id)
    except Exception as exc:
        # The exception's text (paths, values, library internals) goes to the log only;
        # the job keeps a code that callers may be shown.
        log.exception("job %s for record %s crashed: %s", job.id, job.record_id, type(exc).__name__)
        detail = f"{PROCESSING_FAILED}: unexpected {type(exc).__name__}; see the worker log"
        await asyncio.to_thread(services.jobs.fail, job.id, detail, worker_id=worker_id)
    else:
        await asyncio.to_thread(services.jobs.complete, job.id, worker_id=worker_id)
    return job


async def drain(services: Services, worker_id: str | None = None, *, limit: int = 10_000) -> int:
    """Process due jobs until none is left; returns how many were taken."""
    name = worker_id or worker_name()
    taken = 0
    while taken < limit and await run_one(services, name) is not None:
        taken += 1
    return taken


async def work_forever(
    services: Services,
    stop: asyncio.Event,
    worker_id: str | None = None,
    *,
    kind: WorkerKind = WorkerKind.WORKER,
) -> None:
    """Poll for jobs until ``stop`` is set, beating a heartbeat all along."""
    name = worker_id or worker_name()
    async with beating(services, name, kind):
        while not stop.is_set():
            if await run_one(services, name) is None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=services.settings.worker_poll_seconds)
