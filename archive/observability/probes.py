"""``/readyz``: is every dependency there, and is someone processing the queue?

Checks, each run concurrently in a small thread pool of its own (a hung driver
must not take the event loop or the request threads with it) and each cut off
after ``ready_check_timeout_seconds``:

=============  ===============================================================
database       answers, and stands at the revision the code was shipped with
blob_store     answers; on S3, the bucket has versioning and Object Lock
search_index   the index exists and answers
worker         a heartbeat within ``ready_heartbeat_window_seconds``: this
               process's embedded worker when it has one, else any worker
audit          the audit chain's head is readable and matches its last entry
=============  ===============================================================

A failed check says why in a short message with every secret masked.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from archive.domain.errors import ArchiveError
from archive.domain.heartbeats import WorkerKind, is_fresh
from archive.observability.redaction import Redactor, redactor_for
from archive.services.container import Services
from archive.services.worker import WorkerStatus

MAX_MESSAGE = 200


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One check's outcome, with what it found (``details``) or why it failed."""

    ok: bool
    seconds: float
    details: dict[str, Any] = field(default_factory=dict)
    error: str = ""

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"status": "ok" if self.ok else "fail", "seconds": round(self.seconds, 4)}
        if self.error:
            body["error"] = self.error
        return body | self.details


class CheckFailed(Exception):
    """A check found the dependency there but not as it must be."""


class Readiness:
    """The readiness checks of one API process.

    Args:
        services: the process's adapters.
        embedded_worker_id: the id of this process's embedded worker, or None when
            the queue is left to separate ``archive worker`` processes.
        worker_status: the embedded worker's live state, when this process runs one:
            a fresh heartbeat is not enough while the worker is degraded (a service
            it needs is down) or being restarted.
    """

    def __init__(
        self,
        services: Services,
        *,
        embedded_worker_id: str | None,
        worker_status: WorkerStatus | None = None,
    ) -> None:
        self._services = services
        self._worker_id = embedded_worker_id
        self._status = worker_status
        self._redact: Redactor = redactor_for(services.settings)
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=5, thread_name_prefix="readyz")

    async def check(self) -> dict[str, CheckResult]:
        """Run every check at once; the answer names each."""
        checks: dict[str, Callable[[], Awaitable[dict[str, Any]]]] = {
            "database": lambda: self._in_pool(self._database),
            "blob_store": lambda: self._in_pool(self._blob_store),
            "search_index": self._search_index,
            "worker": lambda: self._in_pool(self._worker),
            "audit": lambda: self._in_pool(self._audit),
        }
        results = await asyncio.gather(*(self._timed(check) for check in checks.values()))
        return dict(zip(checks, results, strict=True))

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    async def _timed(self, check: Callable[[], Awaitable[dict[str, Any]]]) -> CheckResult:
        started = time.perf_counter()
        timeout = self._services.settings.ready_check_timeout_seconds
        try:
            details = await asyncio.wait_for(check(), timeout=timeout)
        except TimeoutError:
            return CheckResult(False, time.perf_counter() - started, error=f"no answer within {timeout:g} s")
        except Exception as exc:
            return CheckResult(False, time.perf_counter() - started, error=self._message(exc))
        return CheckResult(True, time.perf_counter() - started, details)

    async def _in_pool(self, work: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        return await asyncio.get_running_loop().run_in_executor(self._pool, work)

    def _message(self, exc: Exception) -> str:
        # Our own errors carry a message written for people; a driver's may hold a
        # URL or a query, so only its type is said.
        if isinstance(exc, ArchiveError):
            text = exc.message
        elif isinstance(exc, CheckFailed):
            text = str(exc)
        else:
            text = f"{type(exc).__name__} (see the service log)"
        return self._redact(text)[:MAX_MESSAGE]

    def _database(self) -> dict[str, Any]:
        schema = self._services.schema
        heads, applied = schema.heads(), schema.applied()
        if set(applied) != set(heads):
            raise CheckFailed(
                f"database at revision {','.join(applied) or 'none'}, code needs {','.join(heads)}: "
                "run archive migrate"
            )
        return {"revision": ",".join(applied)}

    def _blob_store(self) -> dict[str, Any]:
        self._services.blobs.check_ready()
        return {}

    async def _search_index(self) -> dict[str, Any]:
        await self._services.index.check_ready()
        return {}

    def _worker(self) -> dict[str, Any]:
        settings = self._services.settings
        kind = WorkerKind.EMBEDDED if self._worker_id is not None else WorkerKind.WORKER
        beat = self._services.heartbeats.latest(kind=kind, worker_id=self._worker_id)
        window = timedelta(seconds=settings.ready_heartbeat_window_seconds)
        now = self._services.clock()
        if not is_fresh(beat, now=now, window=window):
            whose = "the embedded worker" if self._worker_id is not None else "any worker"
            age = "never" if beat is None else f"{(now - beat.beat_at).total_seconds():.0f} s ago"
            raise CheckFailed(f"no heartbeat from {whose} within {window.total_seconds():g} s (last: {age})")
        assert beat is not None
        if self._status is not None and not self._status.ready:
            state = self._status.as_dict()
            down = ", ".join(f"{name} ({code})" for name, code in state["down"].items())
            raise CheckFailed(f"the embedded worker is {state['state']}" + (f": {down} down" if down else ""))
        details: dict[str, Any] = {
            "kind": kind.value,
            "age_seconds": round((now - beat.beat_at).total_seconds(), 3),
        }
        if self._status is not None:
            details["state"] = self._status.state.value
            details["restarts"] = self._status.restarts
        return details

    def _audit(self) -> dict[str, Any]:
        seq, _hash = self._services.audit.head()
        return {"seq": seq}
