"""The fixity store port: checkpoints of runs that re-hash every stored object."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol, runtime_checkable

from archive.domain.fixity import FixityRun, StoredObject


@runtime_checkable
class FixityStore(Protocol):
    """Where a fixity run stands, so an interrupted run resumes."""

    def open_run(self, *, now: datetime, restart: bool) -> FixityRun:
        """The unfinished run to resume, or a new one (always new with ``restart``)."""
        ...

    def objects(self, *, after: str, limit: int) -> list[StoredObject]:
        """The next records' objects, in record id order."""
        ...

    def checkpoint(
        self, run_id: int, *, last: str, ok: int, changed: Sequence[str], missing: Sequence[str]
    ) -> FixityRun:
        """Add one batch's findings and move the checkpoint, in one transaction."""
        ...

    def finish(self, run_id: int, *, now: datetime) -> None: ...
