"""Rate limits on the GraphQL route: 429 with ``Retry-After``, and the ``RateLimit``
headers (IETF draft ``draft-ietf-httpapi-ratelimit-headers``) on every answer.

The gate looks at the caller's bucket before reading the body (an empty bucket is
refused at once, 429 ``RATE_LIMITED``), and charges the operation's estimated cost
(``archive.api.cost`` leaves it in the request state) when the answer starts.
"""

from __future__ import annotations

import time

from starlette.types import Message, Scope, Send

from archive.domain.rate_limits import Allowance
from archive.observability.metrics import Metrics
from archive.services.rate_limits import Draw, RateLimiter

RATE_LIMITED = "RATE_LIMITED"
WINDOW_SECONDS = 60
COST_STATE = "query_cost"  # set by archive.api.cost once the operation's cost is known


def headers(limiter: RateLimiter, draw: Draw, allowance: Allowance) -> list[tuple[bytes, bytes]]:
    """``RateLimit-Policy`` (the bucket: size and refill window) and ``RateLimit`` (what is
    left, and when the bucket is full again), plus ``Retry-After`` on a refusal."""
    policy = f'"cost";q={limiter.capacity(draw)};w={WINDOW_SECONDS}'
    state = f'"cost";r={allowance.remaining};t={allowance.reset}'
    pairs = [(b"ratelimit-policy", policy.encode()), (b"ratelimit", state.encode())]
    if not allowance.admitted:
        pairs.append((b"retry-after", str(allowance.retry_after).encode()))
    return pairs


def refusal(limiter: RateLimiter, draw: Draw) -> tuple[Allowance, str] | None:
    """The state of an empty bucket and the message to refuse with; None when admitted."""
    allowance = limiter.look(draw, time.monotonic())
    if allowance.admitted:
        return None
    return allowance, f"too many requests: retry after {allowance.retry_after} s"


def charged(send: Send, scope: Scope, limiter: RateLimiter, draw: Draw, metrics: Metrics) -> Send:
    """``send`` that charges the operation's cost (1 when none was estimated: a refused
    body, GraphiQL) as the answer starts, and adds the ``RateLimit`` headers."""

    async def charging(message: Message) -> None:
        if message["type"] == "http.response.start":
            cost = max(1, int(scope.get("state", {}).get(COST_STATE, 1)))
            allowance = limiter.charge(draw, cost, time.monotonic())
            metrics.rate_limit_charged.labels("anonymous" if draw.anonymous else "credential").inc(cost)
            shown = Allowance(True, allowance.remaining, 0, allowance.reset)  # this one got through
            message = {**message, "headers": [*message.get("headers", []), *headers(limiter, draw, shown)]}
        await send(message)

    return charging
