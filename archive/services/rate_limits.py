"""Rate limits per caller: which bucket a request draws on, and the limits from settings.

A credential (an API key, a bearer token's subject, the development admin) has its
own bucket, wherever it calls from; anonymous callers have one per client address,
with the anonymous rate. Refused credentials are not limited here: they never reach
an operation, and their audit entries are bounded by ``RefusalTally``.
"""

from __future__ import annotations

from dataclasses import dataclass

from archive.domain.rate_limits import Allowance, TokenBuckets
from archive.services.identity import Caller
from archive.settings import Settings


@dataclass(frozen=True, slots=True)
class Draw:
    """The bucket one request draws on, and the policy it is under (for the headers)."""

    key: str
    anonymous: bool
    per_minute: int


class RateLimiter:
    """The buckets of one serving process; None of it when limits are off."""

    def __init__(self, settings: Settings) -> None:
        self._named = _buckets(settings.rate_limit_cost_per_minute, settings.rate_limit_burst)
        anonymous = settings.resolved_anonymous_rate_per_minute
        self._anonymous = _buckets(anonymous, settings.rate_limit_burst)
        self._per_minute = (settings.rate_limit_cost_per_minute, anonymous)

    def draw(self, caller: Caller, client_ip: str) -> Draw | None:
        """The bucket ``caller`` draws on, or None when its kind of caller is not limited."""
        if caller.credential in ("none",) or caller.principal.anonymous:
            return None if self._anonymous is None else Draw(f"ip:{client_ip}", True, self._per_minute[1])
        if self._named is None:
            return None
        key = f"apikey:{caller.api_key_id}" if caller.api_key_id else f"subject:{caller.principal.subject}"
        return Draw(key, False, self._per_minute[0])

    def look(self, draw: Draw, now: float) -> Allowance:
        return self._of(draw).look(draw.key, now)

    def charge(self, draw: Draw, cost: int, now: float) -> Allowance:
        return self._of(draw).charge(draw.key, max(1, cost), now)

    def capacity(self, draw: Draw) -> int:
        return int(self._of(draw).capacity)

    def _of(self, draw: Draw) -> TokenBuckets:
        buckets = self._anonymous if draw.anonymous else self._named
        assert buckets is not None  # a Draw is only made for a limited kind
        return buckets


def _buckets(per_minute: int, burst: int) -> TokenBuckets | None:
    if per_minute <= 0:
        return None
    return TokenBuckets(rate=per_minute / 60, capacity=burst or per_minute)
