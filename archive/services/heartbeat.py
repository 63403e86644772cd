"""The worker's heartbeat: a beat every few seconds, beside the job loop.

It runs as its own task, not between jobs, because one job (a long OCR) can take
minutes and a busy worker must not look dead. A beat that cannot be written (the
database is away) is logged once and tried again at the next tick; it never stops
the worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import AsyncIterator

from archive.domain.heartbeats import Heartbeat, WorkerKind
from archive.services.container import Services

log = logging.getLogger(__name__)


@contextlib.asynccontextmanager
async def beating(services: Services, worker_id: str, kind: WorkerKind) -> AsyncIterator[None]:
    """Beat for ``worker_id`` while the block runs; forget the worker when it ends."""
    task = asyncio.create_task(_beat_forever(services, worker_id, kind), name=f"heartbeat {worker_id}")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        with contextlib.suppress(Exception):  # a clean stop; a stale row would only age out
            await asyncio.to_thread(services.heartbeats.forget, worker_id)


async def beat_once(services: Services, worker_id: str, kind: WorkerKind) -> None:
    """Write one beat for ``worker_id`` now."""
    beat = Heartbeat(
        worker_id=worker_id, host=socket.gethostname(), pid=os.getpid(), kind=kind, beat_at=services.clock()
    )
    await asyncio.to_thread(services.heartbeats.beat, beat)


async def _beat_forever(services: Services, worker_id: str, kind: WorkerKind) -> None:
    failing = False
    while True:
        try:
            await beat_once(services, worker_id, kind)
        except Exception as exc:
            if not failing:
                log.warning("heartbeat of %s not written: %s", worker_id, type(exc).__name__)
            failing = True
        else:
            if failing:
                log.info("heartbeat of %s written again", worker_id)
            failing = False
        await asyncio.sleep(services.settings.worker_heartbeat_seconds)
