"""Who processes what ``archive import`` deposits: the workers already running, or
worker processes the import starts for itself once its deposits are in.

Workers that are running (``archive worker``, or the embedded worker of ``archive
serve``) claim new jobs within a poll, and their start-up (the extraction zygote, the
OCR engine) is already paid; starting more beside them only competes for the same
cores. So an import starts its own only when asked (``start_workers``); by default it only
deposits and says who will claim the jobs: the workers whose heartbeat is within the
readiness window, or nobody yet (the jobs wait for ``archive worker``).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from archive.domain.heartbeats import Heartbeat, WorkerKind, freshest
from archive.services.container import Services


class Processing(enum.Enum):
    """What happens to an import's jobs after its deposits."""

    RUNNING_WORKERS = "running_workers"  # left to the workers already running
    STARTED = "started"  # the import's own worker processes take the jobs as they come, then drain
    QUEUED = "queued"  # nobody yet: the jobs wait for `archive worker`


@dataclass(frozen=True, slots=True)
class Handoff:
    """The decision, with the worker that made it (the freshest running one, if any)."""

    processing: Processing
    running: Heartbeat | None
    forced: bool
    processes: int
    now: datetime

    def describe(self) -> str:
        """One line for the operator: who will process the jobs, and why."""
        seen = "" if self.running is None else self._seen(self.running)
        if self.processing is Processing.RUNNING_WORKERS:
            return f"workers are running ({seen}): this import only deposits; they claim the jobs"
        if self.processing is Processing.QUEUED:
            return "no worker is running: the jobs wait in the queue until `archive worker` starts"
        why = f"as asked, beside the running workers ({seen})" if self.running else "no worker is running"
        return (
            f"{why}: this import processes its deposits with {self.processes} worker process(es) "
            "of its own, as they go in"
        )

    def _seen(self, beat: Heartbeat) -> str:
        age = max(0.0, (self.now - beat.beat_at).total_seconds())
        return f"{beat.kind.value} {beat.worker_id}, last beat {age:.0f} s ago"


def decide(services: Services, *, start_workers: bool | None, processes: int) -> Handoff:
    """Start workers only when ``start_workers`` asks; otherwise name who claims the jobs. Blocking."""
    now = services.clock()
    window = timedelta(seconds=services.settings.ready_heartbeat_window_seconds)
    beats = [services.heartbeats.latest(kind=kind) for kind in WorkerKind]
    running = freshest(beats, now=now, window=window)
    start = bool(start_workers)
    if start:
        processing = Processing.STARTED
    else:
        processing = Processing.RUNNING_WORKERS if running is not None else Processing.QUEUED
    return Handoff(processing, running, forced=start_workers is not None, processes=processes, now=now)
