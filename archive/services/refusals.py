"""Refused credentials, counted: anonymous traffic must not grow the audit chain without bound.

Every refused credential used to append its own ``auth.denied`` entry, under the
chain's one head lock: a single client could add hundreds of entries a second.
Now refusals are counted per client address and reason, in fixed windows
(``audit_refusal_window_seconds``):

- the FIRST refusal of a (client, reason) in a window is appended at once, with
  ``count: 1``, so an attack shows in the log as it starts;
- the others only raise a counter; when the window has ended (checked on the next
  refusal, by the server's periodic flush, and at shutdown) ONE entry carries their
  ``count``, with the first and last time seen.

So a client adds at most two entries per reason and window, and the ``count``
details of a (client, reason) always add up to the refusals it made: nothing about
a refusal is lost but the exact instant of each repeat. Distinct keys are capped
(``max_keys``); refusals past the cap are counted under one overflow key, so a
flood from many addresses or with made-up reasons is still bounded and counted.
Counters live in the serving process: a crash loses the repeats of the current
window (never the first refusal, which is already in the chain).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from archive.domain.audit import DetailValue, Outcome
from archive.services.audit import ClientInfo
from archive.services.container import Services

log = logging.getLogger(__name__)

ACTION = "auth.denied"
ACTOR = "unauthenticated"
OVERFLOW = ("*", "more distinct clients or reasons than are counted apart")


@dataclass
class _Window:
    """The refusals of one (client, reason) in one window, after the first."""

    ends: datetime
    client: str  # the first refusal's client, as its entry described it
    repeats: int = 0
    first_repeat: datetime | None = None
    last_repeat: datetime | None = None


class RefusalTally:
    """Counts refused credentials per client address and reason; see the module docstring."""

    def __init__(self, *, window_seconds: int, target: str = "/graphql", max_keys: int = 10_000) -> None:
        self._window = timedelta(seconds=window_seconds)
        self._target = target
        self._max_keys = max_keys
        self._open: dict[tuple[str, str], _Window] = {}

    async def refuse(self, services: Services, client: ClientInfo, reason: str) -> None:
        """Count one refusal; appends an entry only for the first of its window."""
        now = services.clock()
        await self.flush(services, now=now)
        key = self._key(client.ip, reason[:200])
        window = self._open.get(key)
        if window is not None:
            window.repeats += 1
            window.first_repeat = window.first_repeat or now
            window.last_repeat = now
            return
        described = client.describe() if key != OVERFLOW else ""
        self._open[key] = _Window(ends=self._window_end(now), client=described)
        details: dict[str, DetailValue] = {
            "reason": key[1],
            "count": 1,
            "window_seconds": int(self._window.total_seconds()),
        }
        await asyncio.to_thread(self._append, services, described, details)

    async def flush(self, services: Services, *, now: datetime | None = None) -> int:
        """Append one entry per ended window that saw repeats (every window when ``now``
        is None: at shutdown). Returns how many entries were appended."""
        due = [key for key, w in self._open.items() if now is None or w.ends <= now]
        closed = [(key, self._open.pop(key)) for key in due]  # taken before any await
        written = 0
        for (_, reason), window in closed:
            if window.repeats == 0:
                continue
            details: dict[str, DetailValue] = {
                "reason": reason,
                "count": window.repeats,
                "repeated": True,
                "first_at": None if window.first_repeat is None else window.first_repeat.isoformat(),
                "last_at": None if window.last_repeat is None else window.last_repeat.isoformat(),
            }
            try:
                await asyncio.to_thread(self._append, services, window.client, details)
            except Exception:
                # The database is down: the count goes to the log instead of being lost silently.
                log.exception("could not audit %d refused credentials (%s)", window.repeats, reason)
                continue
            written += 1
        return written

    @property
    def pending(self) -> int:
        """Refusals counted but not yet in the chain."""
        return sum(w.repeats for w in self._open.values())

    def _key(self, ip: str, reason: str) -> tuple[str, str]:
        key = (ip, reason)
        if key in self._open or len(self._open) < self._max_keys:
            return key
        return OVERFLOW

    def _window_end(self, now: datetime) -> datetime:
        step = self._window.total_seconds()
        start = (now.timestamp() // step) * step
        return datetime.fromtimestamp(start + step, tz=now.tzinfo)

    def _append(self, services: Services, client: str, details: dict[str, DetailValue]) -> None:
        services.audit.append(
            at=services.clock(),
            actor=ACTOR,
            action=ACTION,
            target=self._target,
            outcome=Outcome.DENIED,
            client=client,
            details=details,
        )
