"""Keeps a worker loop alive: whatever kills it, it is started again after a backoff.

The loop rides out outages by itself (``archive.services.worker``); this is the
net under it, for what nobody foresaw (a bug, a driver error nothing translated).
Without it, the embedded worker of ``archive serve`` would die silently with its
task and the API would go on accepting deposits that nothing processes.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from archive.services.backoff import Backoff, pause
from archive.services.worker import WorkerStatus

log = logging.getLogger(__name__)

# A loop that ran this long before dying starts again from the shortest backoff.
HEALTHY_RUN_SECONDS = 60.0


async def supervise(
    loop: Callable[[], Awaitable[None]],
    stop: asyncio.Event,
    status: WorkerStatus,
    backoff: Backoff,
) -> None:
    """Run ``loop()`` until ``stop`` is set, restarting it whenever it raises.

    Each crash is logged with its traceback and recorded in ``status``
    (``RESTARTING``, ``restarts``, ``last_error_code``); the restarts back off
    exponentially, so a loop that dies at once does not spin. Cancelling the
    supervisor cancels the loop.
    """
    crashes = 0
    while not stop.is_set():
        started = time.monotonic()
        try:
            await loop()
        except Exception as error:
            if time.monotonic() - started >= HEALTHY_RUN_SECONDS:
                crashes = 0
            crashes += 1
            status.restarting(error)
            delay = backoff.delay(crashes)
            log.exception(
                "the worker loop died; restarting it in %.1f s (restart %d)", delay, status.restarts
            )
            await pause(stop, delay)
        else:
            # The loop returns only once ``stop`` is set; anything else is a bug worth a line.
            if not stop.is_set():
                log.error("the worker loop returned without being stopped; restarting it")
                await pause(stop, backoff.delay(1))
    status.stopped()
