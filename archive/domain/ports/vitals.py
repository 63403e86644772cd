"""The vitals port: the shared state the metrics scrape reads at scrape time.

These are gauges of state every process shares (queue depth, disposition
progress, the latest fixity findings, the last backup), so any process answers
them when scraped; counting them in the process that changes them would lose
them when a worker or a CLI command exits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from archive.domain.disposition import ItemState
from archive.domain.jobs import JobStatus


@dataclass(frozen=True, slots=True)
class Vitals:
    """The stored side of the service's health, at one instant."""

    jobs: dict[JobStatus, int]
    oldest_pending_at: datetime | None
    disposition_items: dict[ItemState, int]
    fixity_changed: int  # in the latest finished fixity run
    fixity_missing: int
    last_backup_at: datetime | None


@runtime_checkable
class VitalsSource(Protocol):
    """Reads every gauge at once. Blocking: callers on the event loop use a thread."""

    def read(self) -> Vitals: ...
