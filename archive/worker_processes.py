"""``archive worker --processes N``: N independent worker processes.

Each process builds its own engines and clients (nothing is shared across a
fork) and claims jobs with a lease, so N processes on any number of machines
never take the same job when the database is PostgreSQL.

The processes are forked when the parent has a single thread and no open
connection (it has only imported modules, and disposed the one engine it used):
they start with the app already imported instead of importing it again each
(about 1.7 CPU-seconds a process, most of a cold start). Otherwise they are spawned.

``start_pool`` starts them ahead of work still arriving (``archive import
--start-workers``): they warm up and take jobs while the deposits go in, and
drain what is left once told that nothing more will come.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import multiprocessing
import os
import signal
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from multiprocessing.context import ForkContext, SpawnContext
from multiprocessing.process import BaseProcess
from multiprocessing.synchronize import Event
from typing import TYPE_CHECKING

from archive.observability.logs import configure_logging
from archive.settings import Settings

if TYPE_CHECKING:
    from archive.services.backoff import Backoff
    from archive.services.container import Services

log = logging.getLogger(__name__)


_WORKER_MODULES = (
    "archive.factory",
    "archive.services.supervisor",
    "archive.services.worker",
    "indexing.extraction",
)


def _preload() -> None:
    """Import what a worker runs (the pipeline, pyHanko, the stores: ~0.7 CPU-s), once,
    here, so that forked workers start with it rather than each paying it again. (Forking
    first and letting each import beside the import's deposits was measured no faster on
    two cores: the workers' imports then take the CPU the deposits need.)"""
    for module in (
        "archive.factory",
        "archive.services.supervisor",
        "archive.services.worker",
        "indexing.extraction",
    ):
        importlib.import_module(module)


def run_workers(settings: Settings, *, processes: int = 1, once: bool = False) -> int:
    """Run ``processes`` workers until SIGINT/SIGTERM (or until the queue is empty with
    ``once``). Returns an exit code."""
    from archive.factory import open_ocr_backlog
    from archive.services.ocr_backlog import requeue_at_start

    configure_logging(settings)
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")  # tesseract: one thread per process is fastest
    _preload()
    with open_ocr_backlog(settings) as backlog:
        requeue_at_start(backlog, settings)  # scans left PENDING_OCR, now that OCR may be installed
    if processes <= 1:
        return _run(settings, once, None)
    return WorkerPool.start(settings, processes, once=once).join()


@dataclass(frozen=True)
class WorkerPool:
    """Worker processes started by this one and, when they were started to drain work
    still arriving, the events that tell them a job was queued and that no more will come."""

    children: Sequence[BaseProcess]
    signals: _Signals | None

    @classmethod
    def start(cls, settings: Settings, processes: int, *, once: bool, until: bool = False) -> WorkerPool:
        ctx = _context()
        signals = _Signals(queued=ctx.Event(), finished=ctx.Event()) if until else None
        children = [
            ctx.Process(target=_run, args=(settings, once, signals), name=f"worker-{i}")
            for i in range(processes)
        ]
        for child in children:
            child.start()
        return cls(children, signals)

    def nudge(self) -> None:
        """A job was queued: wake the idle workers now rather than at their next poll."""
        if self.signals is not None:
            self.signals.queued.set()

    def finish(self) -> int:
        """Nothing more will be queued: the workers drain what is left and exit. Their exit code."""
        if self.signals is not None:
            self.signals.finished.set()
            self.signals.queued.set()
        return self.join()

    def join(self) -> int:
        try:
            for child in self.children:
                child.join()
        except KeyboardInterrupt:
            self.stop()
        return max((c.exitcode or 0) for c in self.children)

    def stop(self) -> None:
        """Interrupt the workers (each ends its current step's job safely) and wait for them."""
        for child in self.children:
            if child.pid is not None and child.exitcode is None:
                os.kill(child.pid, signal.SIGINT)
        for child in self.children:
            child.join()


@dataclass(frozen=True)
class _Signals:
    queued: Event
    finished: Event


def start_pool(settings: Settings, processes: int) -> WorkerPool:
    """``processes`` workers that take jobs as they are queued, until ``finish()``: then
    they drain the queue and exit. Start it before queueing the jobs, with no engine or
    client open in this process (it forks)."""
    configure_logging(settings)
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    _preload()
    return WorkerPool.start(settings, processes, once=True, until=True)


def _context() -> ForkContext | SpawnContext:
    # fork() copies only the calling thread: with another one running (a lock it holds
    # would stay held in the child) start clean interpreters instead.
    if threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def _run(settings: Settings, once: bool, signals: _Signals | None) -> int:
    from indexing.extraction import stop_zygote

    configure_logging(settings)  # a spawned child starts with logging unconfigured
    try:
        return asyncio.run(_main(settings, once, signals))
    finally:
        # A forked child ends in os._exit, which runs no atexit handler: end (and reap)
        # the zygote here, as a spawned one's interpreter would at exit.
        stop_zygote()


async def _main(settings: Settings, once: bool, signals: _Signals | None) -> int:
    from archive.services.supervisor import supervise
    from archive.services.worker import WorkerStatus, drain, work_forever, worker_name
    from indexing.extraction import warm_up

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    if not once:
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
        if signals is not None:
            done = await _drain_until(services, name, signals)
            log.info("%s processed %d jobs", name, done)
        elif once:
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


async def _drain_until(services: Services, name: str, signals: _Signals) -> int:
    from archive.services.worker import drain

    """Take jobs as they are queued until ``finished`` is set, then drain what is left.
    ``finished`` is read before each drain, so a job queued before it was set is taken by
    that last drain at the latest. A nudge is cleared before a drain (the drain sees its
    job) and never once ``finished`` is set, and a worker does not wait after it: a nudge
    lost to another worker's clear costs at most one poll, and never at the end."""
    done = 0
    while True:
        last = signals.finished.is_set()
        if not last:
            signals.queued.clear()
        done += await drain(services, name)
        if last:
            return done
        if not signals.finished.is_set():
            await asyncio.to_thread(signals.queued.wait, services.settings.worker_poll_seconds)


async def _started(settings: Settings, stop: asyncio.Event | None) -> Services | None:
    """The services, once the blob store and the search index answer. A worker
    started during an outage waits for it (logged once) instead of exiting; with
    ``--once`` (no ``stop``) the outage is raised. None: stopped while waiting."""
    from archive.domain.errors import Outage
    from archive.services.backoff import pause

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
    from archive.factory import build_services

    services = await asyncio.to_thread(build_services, settings, migrate=False)
    try:
        await services.index.ensure_ready()
    except BaseException:
        await services.close()
        raise
    return services


def _backoff(settings: Settings) -> Backoff:
    from archive.services.backoff import Backoff

    return Backoff(base=settings.worker_retry_base_seconds, cap=settings.worker_retry_cap_seconds)
