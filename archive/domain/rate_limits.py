"""Rate limits: a token bucket per caller, on the estimated cost of its operations.

Each bucket holds up to ``capacity`` units and refills at ``rate`` units a second.
A request is admitted while the bucket holds more than zero; its operation's cost
(``archive.api.cost``: known only once the operation is parsed, validated and run)
is then taken from it, and may leave it in debt, so an expensive operation is paid
for by waiting afterwards instead of being refused for good. A refused request is
told when the bucket will hold more than zero again (``retry_after``).

The cost is estimated from the document and its variables alone, never from what
the operation found, so a bucket, a refusal and its timing say nothing about any
record. Buckets live in one process (each web worker keeps its own) and at most
``max_keys`` of them: past that, the one least recently used is forgotten.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Allowance:
    """A bucket's state after a look or a charge."""

    admitted: bool
    remaining: int  # whole units left (0 when in debt)
    retry_after: int  # seconds until the bucket holds more than zero (0 when it does)
    reset: int  # seconds until the bucket is full again


@dataclass(slots=True)
class _Bucket:
    level: float
    at: float


class TokenBuckets:
    """Buckets by key (a credential, or a client address for anonymous callers)."""

    def __init__(self, *, rate: float, capacity: float, max_keys: int = 100_000) -> None:
        if rate <= 0 or capacity <= 0:
            raise ValueError("a token bucket needs a positive rate and capacity")
        self.rate, self.capacity, self._max_keys = rate, capacity, max_keys
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def look(self, key: str, now: float) -> Allowance:
        """Whether ``key`` may start a request now (nothing is taken)."""
        return self._allowance(self._refilled(key, now))

    def charge(self, key: str, cost: float, now: float) -> Allowance:
        """Take ``cost`` units from ``key``'s bucket (it may go into debt)."""
        bucket = self._refilled(key, now)
        bucket.level -= cost
        return self._allowance(bucket)

    def _refilled(self, key: str, now: float) -> _Bucket:
        bucket = self._buckets.pop(key, None)
        if bucket is None:
            bucket = _Bucket(self.capacity, now)
            while len(self._buckets) >= self._max_keys:
                self._buckets.popitem(last=False)
        else:
            bucket.level = min(self.capacity, bucket.level + (now - bucket.at) * self.rate)
            bucket.at = now
        self._buckets[key] = bucket
        return bucket

    def _allowance(self, bucket: _Bucket) -> Allowance:
        admitted = bucket.level > 0
        retry = 0 if admitted else max(1, math.ceil((-bucket.level + 1e-9) / self.rate))
        reset = math.ceil((self.capacity - bucket.level) / self.rate)
        return Allowance(admitted, max(0, math.floor(bucket.level)), retry, reset)
