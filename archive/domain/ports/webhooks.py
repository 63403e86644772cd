"""The webhook ports: subscriptions and the delivery outbox (``WebhookStore``), and the
outbound HTTP call (``WebhookSender``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable

from archive.domain.webhooks import Delivery, DeliveryStatus, SendResult, Subscription


@runtime_checkable
class WebhookStore(Protocol):
    """Subscriptions, the fan-out cursor over the audit seq, and the deliveries table."""

    def add(self, subscription: Subscription) -> None: ...

    def get(self, subscription_id: str) -> Subscription | None: ...

    def all(self) -> list[Subscription]:
        """Every subscription, oldest first."""
        ...

    def set_active(self, subscription_id: str, active: bool) -> Subscription | None: ...

    def remove(self, subscription_id: str) -> bool:
        """Delete a subscription and its deliveries; False when there is none."""
        ...

    def cursor(self) -> int:
        """The last audit seq whose events have been fanned out to deliveries."""
        ...

    def fan_out(self, from_seq: int, to_seq: int, deliveries: Sequence[Delivery]) -> bool:
        """Add ``deliveries`` and move the cursor from ``from_seq`` to ``to_seq``, in one
        transaction, only if the cursor is still at ``from_seq`` (another worker may have
        fanned out the same entries: then nothing is written and the answer is False)."""
        ...

    def claim(self, *, now: datetime, lease: timedelta, limit: int) -> list[Delivery]:
        """Take up to ``limit`` pending deliveries that are due, oldest first, leased until
        ``now + lease`` (so two workers never send the same one at once)."""
        ...

    def record_attempt(
        self,
        delivery_id: int,
        *,
        status: DeliveryStatus,
        at: datetime,
        next_at: datetime,
        result: SendResult | None,
    ) -> Delivery | None:
        """Write how an attempt went (attempts + 1 when ``result`` is not None) and release
        the lease."""
        ...

    def delivery(self, delivery_id: int) -> Delivery | None: ...

    def deliveries(
        self,
        *,
        subscription_id: str | None,
        status: DeliveryStatus | None,
        before_id: int | None,
        limit: int,
    ) -> list[Delivery]:
        """The delivery log, newest first, with ids below ``before_id``."""
        ...

    def redeliver(self, delivery_id: int, *, now: datetime) -> Delivery | None:
        """Put a parked (or withheld) delivery back: pending, due now, attempts from 0."""
        ...


@runtime_checkable
class WebhookSender(Protocol):
    """POSTs one signed body to a subscriber, with a timeout, never following redirects,
    and only to addresses the target policy allows."""

    async def send(self, url: str, headers: Mapping[str, str], body: bytes) -> SendResult: ...

    async def close(self) -> None: ...
