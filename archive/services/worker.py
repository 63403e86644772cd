"""The worker loop: claim a job with a lease, run the pipeline, retry with backoff; and,
beside it, the webhook outbox (``archive.services.webhooks.dispatch_forever``).

Two kinds of failure get two different answers:

- **the document's fault** (an ``ArchiveError`` or a crash inside a step): the job
  fails, and the queue retries it with its own backoff and parks it after
  ``job_max_attempts`` (``SqlJobQueue.fail``);
- **a backing service is down** (an ``Outage``: database, blob store or search
  index): nobody's fault, so it costs the job no attempt. The job goes back to
  the queue, the worker turns ``DEGRADED`` and waits, with exponential backoff and
  jitter (``archive.services.backoff``), before it tries again. Every database
  call the loop makes itself (claim, step done, complete, fail, release) is
  retried that way until it succeeds or the worker is stopped. The outage is
  logged once when a service goes down and once when it is back, never per retry.

``WorkerStatus`` is what a readiness probe reads; ``archive.services.supervisor``
restarts the loop if it ever dies anyway.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import os
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

from archive.domain.errors import ArchiveError, NotFound, Outage
from archive.domain.heartbeats import WorkerKind
from archive.domain.jobs import Job, Step
from archive.domain.ports import JobQueue
from archive.domain.processing import PROCESSING_FAILED
from archive.services.backoff import Backoff, pause
from archive.services.container import Services, utc_now
from archive.services.heartbeat import beating
from archive.services.pipeline import run_pipeline
from archive.services.webhooks import dispatch_forever

log = logging.getLogger(__name__)

T = TypeVar("T")

DATABASE = "database"

# What each step proves to be working when it succeeds (every step also reads and
# writes the database): the recovery of a service is logged on the first success
# of a step that needs it.
STEP_SERVICES: dict[Step, tuple[str, ...]] = {
    Step.SEAL: ("blob_store", DATABASE),
    Step.VERIFY: ("blob_store", DATABASE),
    Step.EXTRACT: ("blob_store", DATABASE),
    Step.INDEX: ("search_index", DATABASE),
}


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class WorkerState(enum.Enum):
    """Where a worker loop stands, as a readiness probe reports it."""

    STARTING = "starting"  # not looping yet (warming up, or waiting for the search index)
    RUNNING = "running"  # polling for jobs or processing one
    DEGRADED = "degraded"  # a backing service is down; waiting and retrying
    RESTARTING = "restarting"  # the loop died; the supervisor starts it again after a backoff
    STOPPED = "stopped"  # shut down on purpose


@dataclass
class WorkerStatus:
    """The live state of one worker loop (the embedded worker: ``app.state.worker_status``).

    Only the worker's own event loop writes it; a probe in the same loop reads it.
    ``down`` maps each service the worker currently finds down (``database``,
    ``blob_store``, ``search_index``) to the error code it got; ``last_error_code``
    and ``last_error`` keep the latest failure, also after recovery.
    """

    state: WorkerState = WorkerState.STARTING
    since: datetime = field(default_factory=utc_now)
    down: dict[str, str] = field(default_factory=dict)
    last_error_code: str | None = None
    last_error: str | None = None
    restarts: int = 0

    @property
    def ready(self) -> bool:
        """True while the worker can do its work: running, not degraded or restarting."""
        return self.state is WorkerState.RUNNING

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready view for probes and logs."""
        return {
            "state": self.state.value,
            "since": self.since.isoformat(),
            "down": dict(self.down),
            "last_error_code": self.last_error_code,
            "last_error": self.last_error,
            "restarts": self.restarts,
        }

    def running(self) -> None:
        """The loop (re)started; degraded again at once if a service is still known down."""
        self._become(WorkerState.DEGRADED if self.down else WorkerState.RUNNING)

    def went_down(self, error: Outage) -> bool:
        """Record an outage; True when this service was not already known down."""
        self.last_error_code, self.last_error = error.code, error.message
        new = error.service not in self.down
        self.down[error.service] = error.code
        self._become(WorkerState.DEGRADED)
        return new

    def came_back(self, services: Iterable[str]) -> list[str]:
        """Record that calls to ``services`` succeed; returns those that had been down."""
        back = [s for s in services if self.down.pop(s, None) is not None]
        if back and not self.down and self.state is WorkerState.DEGRADED:
            self._become(WorkerState.RUNNING)
        return back

    def restarting(self, error: BaseException) -> None:
        """The loop died of ``error``; the supervisor will start it again."""
        self.last_error_code = getattr(error, "code", type(error).__name__)
        self.last_error = str(error)[:500]
        self.restarts += 1
        self._become(WorkerState.RESTARTING)

    def stopped(self) -> None:
        self._become(WorkerState.STOPPED)

    def _become(self, state: WorkerState) -> None:
        if state is not self.state:
            self.state, self.since = state, utc_now()


class Stopping(Exception):
    """The worker was asked to stop while it waited for a service to come back."""


@dataclass
class Patience:
    """How the loop rides out outages: it records them in ``status``, logs each
    change once, and waits between tries until ``stop`` is set.

    Without a ``stop`` event (``drain``, ``archive worker --once``) it does not
    wait: an outage of the database is raised to the caller.
    """

    status: WorkerStatus
    backoff: Backoff
    stop: asyncio.Event | None = None
    failures: int = 0  # outages in a row, for the backoff
    ended: list[str] = field(default_factory=list)  # codes of outages just over, whose jobs to wake

    @classmethod
    def of(
        cls, services: Services, stop: asyncio.Event | None, status: WorkerStatus | None = None
    ) -> Patience:
        s = services.settings
        backoff = Backoff(base=s.worker_retry_base_seconds, cap=s.worker_retry_cap_seconds)
        return cls(status=status or WorkerStatus(), backoff=backoff, stop=stop)

    async def db(self, call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``call`` in a thread, retried with backoff while the database is down."""
        while True:
            try:
                result = await asyncio.to_thread(call, *args, **kwargs)
            except Outage as error:
                if self.stop is None:
                    raise
                self.went_down(error)
                await self.wait()
                continue
            self.came_back((DATABASE,))
            return result

    def went_down(self, error: Outage) -> None:
        self.failures += 1
        if self.status.went_down(error):
            log.warning(
                "%s is unavailable (%s: %s); the worker keeps retrying with backoff",
                error.service,
                error.code,
                error.message,
            )

    def came_back(self, services: Iterable[str]) -> None:
        codes = dict(self.status.down)
        for service in self.status.came_back(services):
            log.warning("%s is available again; the worker resumes", service)
            self.ended.append(codes[service])
        if not self.status.down:
            self.failures = 0

    async def wake(self, jobs: JobQueue) -> None:
        """Make the jobs given back during outages that just ended due at once."""
        while self.ended:
            await self.db(jobs.wake, self.ended.pop())

    def delay(self) -> float:
        return self.backoff.delay(self.failures) if self.failures else 0.0

    async def wait(self) -> None:
        """Sleep the current backoff; raise ``Stopping`` if the worker is stopped meanwhile."""
        if self.stop is None:
            return
        await pause(self.stop, self.delay())
        if self.stop.is_set():
            raise Stopping


async def run_one(services: Services, worker_id: str, patience: Patience | None = None) -> Job | None:
    """Claim and process one job. Returns the job it took, or None when none was due."""
    patience = patience or Patience.of(services, None)
    lease = timedelta(seconds=services.settings.worker_lease_seconds)
    job = await patience.db(services.jobs.claim, worker_id, lease=lease, now=services.clock())
    await patience.wake(services.jobs)
    if job is None:
        return None
    try:
        await run_pipeline(services, job, worker_id=worker_id, after_step=_proof(patience))
    except Outage as exc:
        await _release(services, job, worker_id, patience, exc)
    except NotFound as exc:
        await patience.db(services.jobs.fail, job.id, exc.message, worker_id=worker_id, retryable=False)
    except ArchiveError as exc:
        log.warning("job %s for record %s failed: %s", job.id, job.record_id, exc.message)
        await patience.db(services.jobs.fail, job.id, f"{exc.code}: {exc.message}", worker_id=worker_id)
    except Exception as exc:
        # The exception's text (paths, values, library internals) goes to the log only;
        # the job keeps a code that callers may be shown.
        log.exception("job %s for record %s crashed: %s", job.id, job.record_id, type(exc).__name__)
        detail = f"{PROCESSING_FAILED}: unexpected {type(exc).__name__}; see the worker log"
        await patience.db(services.jobs.fail, job.id, detail, worker_id=worker_id)
    else:
        await patience.db(services.jobs.complete, job.id, worker_id=worker_id)
    await patience.wake(services.jobs)
    return job


def _proof(patience: Patience) -> Callable[[Step], None]:
    def after_step(step: Step) -> None:
        patience.came_back(STEP_SERVICES[step])

    return after_step


async def _release(services: Services, job: Job, worker_id: str, patience: Patience, error: Outage) -> None:
    """Give the job back without spending an attempt, due after the current backoff,
    then wait that backoff before the loop claims anything again."""
    patience.went_down(error)
    delay = timedelta(seconds=patience.delay())
    reason = f"{error.code}: {error.message}"
    await patience.db(services.jobs.release, job.id, reason, worker_id=worker_id, delay=delay)
    await patience.wait()


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
    status: WorkerStatus | None = None,
    *,
    kind: WorkerKind = WorkerKind.WORKER,
) -> None:
    """Poll for jobs until ``stop`` is set, beating a heartbeat all along and riding
    out outages (see the module docstring)."""
    name = worker_id or worker_name()
    patience = Patience.of(services, stop, status)
    patience.status.running()
    async with beating(services, name, kind):
        # The webhook outbox runs beside the job loop, in the same process: no new
        # process to deploy, and it stops (or restarts) with the worker. It starts after
        # the loop's first round, once the database answered (the embedded worker starts
        # while development migrations may still run).
        outbox: asyncio.Task[None] | None = None
        try:
            while not stop.is_set():
                found = await run_one(services, name, patience)
                outbox = outbox or asyncio.create_task(dispatch_forever(services, stop))
                if found is None:
                    await pause(stop, services.settings.worker_poll_seconds)
        except Stopping:
            pass
        finally:
            if outbox is not None:
                outbox.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await outbox
    patience.status.stopped()
