"""What ``archive serve`` prepares at start-up (bucket, index, development migrations),
retried in the background until it succeeds.

A dependency that is down when the process starts must not keep it from starting:
``/livez`` answers at once, ``/readyz`` names what is missing, requests that need it
answer their typed 503, and the step that creates the bucket or the index runs again
with a backoff until the service answers, so nothing needs a restart once it is back.
Each step says once that it failed and once that it succeeded, not at every retry.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

from archive.domain.errors import Outage
from archive.services.backoff import Backoff, pause

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class StartupStep:
    """One idempotent preparation: ``name`` is the readiness check it unblocks."""

    name: str
    run: Callable[[], Awaitable[None]]
    first_try_at_start: bool = False
    """Await the first try before serving (development migrations: requests must not
    meet a half-made schema while the database is there); retries stay in the background."""


async def prepare(step: StartupStep, stop: asyncio.Event, backoff: Backoff, *, failures: int = 0) -> bool:
    """Run ``step`` until it succeeds or ``stop`` is set; True when it succeeded.

    Any error is retried, not only an ``Outage``: a bucket without Object Lock or a
    failed migration is a misconfiguration someone fixes while the process waits,
    and the readiness probe says so meanwhile.
    """
    while not stop.is_set():
        try:
            await step.run()
        except Exception as error:
            failures += 1
            if failures == 1:
                _log_down(step, error)
            await pause(stop, backoff.delay(failures))
            continue
        if failures:
            log.info("start-up step %s succeeded after %d failed tries", step.name, failures)
        return True
    return False


@contextlib.asynccontextmanager
async def prepared_in_background(steps: list[StartupStep], backoff: Backoff) -> AsyncIterator[None]:
    """Run every step concurrently in the background while the block runs; on leaving,
    stop retrying (a try in a thread is abandoned, not waited for)."""
    stop = asyncio.Event()
    tasks = []
    for step in steps:
        failures = 0
        if step.first_try_at_start:
            if await _try_once(step):
                continue
            failures = 1
        work = prepare(step, stop, backoff, failures=failures)
        tasks.append(asyncio.create_task(work, name=f"startup:{step.name}"))
    try:
        yield
    finally:
        stop.set()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def _try_once(step: StartupStep) -> bool:
    try:
        await step.run()
    except Exception as error:
        _log_down(step, error)
        return False
    return True


def _log_down(step: StartupStep, error: Exception) -> None:
    if isinstance(error, Outage):
        # Expected while a service is down: its message, no traceback.
        log.warning("start-up step %s failed, retrying in the background: %s", step.name, error.message)
    else:
        log.error("start-up step %s failed, retrying in the background", step.name, exc_info=error)
