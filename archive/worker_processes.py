"""``archive worker --processes N``: N independent worker processes.

Each process builds its own engines and clients (nothing is shared across a
fork) and claims jobs with a lease, so N processes on any number of machines
never take the same job when the database is PostgreSQL.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import signal

from archive.domain.errors import Outage
from archive.factory import build_services, open_ocr_backlog
from archive.observability.logs import configure_logging
from archive.services.backoff import Backoff, pause
from archive.services.container import Services
from archive.services.ocr_backlog import requeue_at_start
from archive.services.supervisor import supervise
from archive.services.worker import WorkerStatus, drain, work_forever, worker_name
from archive.settings import Settings
from indexing.extraction import warm_up

log = logging.getLogger(__name__)


def run_workers(settings: Settings, *, processes: int = 1, once: bool = False) -> int:
    """Run ``processes`` workers until SIGINT/SIGTERM (or until the queue is empty with
    ``once``). Returns an exit code."""
    configure_logging(settings)
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")  # tesseract: one thread per process is fastest
    with open_ocr_backlog(settings) as backlog:
        requeue_at_start(backlog, settings)  # scans left PENDING_OCR, now that OCR may be installed
    if processes <= 1:
        return _run(settings, once)
    ctx = multiprocessing.get_context("spawn")
    children = [ctx.Process(target=_run, args=(settings, once), name=f"worker-{i}") for i in range(processes)]
    for child in children:
        child.start()
    try:
        for child in children:
            child.join()
    except KeyboardInterrupt:
        for child in children:
            if child.pid is not None:
                os.kill(child.pid, signal.SIGINT)
        for child in children:
            child.join()
    return max((c.exitcode or 0) for c in children)


def _run(settings: Settings, once: bool) -> int:
    configure_logging(settings)  # a spawned child starts with logging unconfigured
    return asyncio.run(_main(settings, once))


async def _main(settings: Settings, once: bool) -> int:
    stop = asyncio.Event()
    if not once:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
    # The extraction zygote imports and loads tesseract's languages (~1-2 s) while this
    # process builds its services and claims its first jobs, not after.
    await asyncio.to_thread(warm_up)
    services = await _started(settings, None if once else stop)
    if services is None:
        return 0  # stopped while waiting for the services to come up
    name = worker_name()
    try:
        if once:
            done = await drain(services, name)
            log.info("%s processed %d jobs", name, done)
        else:
            log.info("%s waiting for jobs", name)
            status = WorkerStatus()
            await supervise(
                lambda: work_forever(services, stop, name, status), stop, status, _backoff(settings)
            )
    finally:
        await services.close()
    return 0


async def _started(settings: Settings, stop: asyncio.Event | None) -> Services | None:
    """The services, once the blob store and the search index answer. A worker
    started during an outage waits for it (logged once) instead of exiting; with
    ``--once`` (no ``stop``) the outage is raised. None: stopped while waiting."""
    backoff, failures = _backoff(settings), 0
    while True:
        try:
            services = await _build(settings)
        except Outage as error:
            if stop is None:
                raise
            if failures == 0:
                log.warning("%s is unavailable at start (%s); waiting for it", error.service, error.code)
            failures += 1
            await pause(stop, backoff.delay(failures))
            if stop.is_set():
                return None
            continue
        if failures:
            log.warning("the backing services answer again; the worker starts")
        return services


async def _build(settings: Settings) -> Services:
    services = await asyncio.to_thread(build_services, settings, migrate=False)
    try:
        await services.index.ensure_ready()
    except BaseException:
        await services.close()
        raise
    return services


def _backoff(settings: Settings) -> Backoff:
    return Backoff(base=settings.worker_retry_base_seconds, cap=settings.worker_retry_cap_seconds)
