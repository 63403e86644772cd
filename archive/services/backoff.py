"""How long to wait before calling a service that is down again.

Exponential, so a long outage costs a few calls a minute rather than thousands;
capped, so the first call after the service is back comes soon; and jittered, so
a fleet of workers that lost the same database does not knock on its door in
step the moment it restarts.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Backoff:
    """Delays of ``base``, ``2 * base``, ``4 * base`` … seconds, at most ``cap``,
    each scaled by a random factor between 0.5 and 1 ("equal jitter")."""

    base: float = 0.5
    cap: float = 5.0

    def delay(self, failures: int, *, rand: Callable[[], float] = random.random) -> float:
        """Seconds to wait after the ``failures``-th failure in a row (counted from 1)."""
        step: float = min(self.cap, self.base * 2.0 ** max(0, failures - 1))
        return step * (0.5 + rand() / 2)


async def pause(stop: asyncio.Event, seconds: float) -> None:
    """Sleep ``seconds``, or less when ``stop`` is set meanwhile."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
