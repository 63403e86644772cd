"""Worker heartbeats: how readiness knows that someone is processing the queue.

Every worker process (``archive worker``) and every embedded worker (inside
``archive serve``) writes a beat every few seconds. A beat older than the
readiness window means the worker is gone or wedged, even though its jobs still
look leased.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable


class WorkerKind(enum.Enum):
    """Where a worker runs: its own process, or inside the API process."""

    WORKER = "worker"
    EMBEDDED = "embedded"


@dataclass(frozen=True, slots=True)
class Heartbeat:
    """The last sign of life of one worker."""

    worker_id: str  # host:pid, the name it leases jobs under
    host: str
    pid: int
    kind: WorkerKind
    beat_at: datetime


def is_fresh(beat: Heartbeat | None, *, now: datetime, window: timedelta) -> bool:
    """True when ``beat`` is no older than ``window`` (a missing beat is not fresh)."""
    return beat is not None and now - beat.beat_at <= window


def freshest(beats: Iterable[Heartbeat | None], *, now: datetime, window: timedelta) -> Heartbeat | None:
    """The most recent of ``beats`` that is fresh: a worker claiming jobs right now, or None."""
    fresh = [b for b in beats if b is not None and is_fresh(b, now=now, window=window)]
    return max(fresh, key=lambda b: b.beat_at, default=None)


@runtime_checkable
class HeartbeatStore(Protocol):
    """Where workers leave their beats (the metadata database)."""

    def beat(self, beat: Heartbeat) -> None:
        """Insert or refresh the row of ``beat.worker_id``."""
        ...

    def latest(self, *, kind: WorkerKind, worker_id: str | None = None) -> Heartbeat | None:
        """The most recent beat of that kind (of that worker, when named), or None."""
        ...

    def forget(self, worker_id: str) -> None:
        """Drop a worker's row when it stops cleanly, so it is not mistaken for a stale one."""
        ...
