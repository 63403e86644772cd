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

from archive.factory import build_services, open_ocr_backlog
from archive.observability.logs import configure_logging
from archive.services.ocr_backlog import requeue_at_start
from archive.services.worker import drain, work_forever, worker_name
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
    services = await asyncio.to_thread(build_services, settings, migrate=False)
    await services.index.ensure_ready()
    await asyncio.to_thread(warm_up)  # the extraction zygote imports while we wait for jobs
    name = worker_name()
    try:
        if once:
            done = await drain(services, name)
            log.info("%s processed %d jobs", name, done)
        else:
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
            log.info("%s waiting for jobs", name)
            await work_forever(services, stop, name)
    finally:
        await services.close()
    return 0
