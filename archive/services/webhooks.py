"""Webhooks: subscriptions (admins), and the outbox that delivers events to them.

The outbox is a cursor over the audit seq plus a deliveries table. The worker
(``dispatch_forever``, started beside the job loop) repeatedly

1. **fans out** the events after the cursor (``archive.domain.events``): one pending
   delivery per subscription that wants the event type, was made before the event, and
   whose owner may see it now; the cursor moves in the same transaction;
2. **delivers** the due ones: checks again that the owner may see the event (a grant
   revoked since withholds it, ``WITHHELD``), signs the body per Standard Webhooks and
   POSTs it; a 2xx is ``DELIVERED``, anything else is retried with exponential backoff
   and jitter, and ``PARKED`` after ``webhook_max_attempts``. ``redeliver`` puts a
   parked delivery back.

Every retry of one event carries the same ``webhook-id`` (the event's opaque id), so a
subscriber can drop repeats; ``webhook-timestamp`` is the attempt's time.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from archive.domain.access import Principal, can_own_subscription, manages_webhooks
from archive.domain.audit import Outcome
from archive.domain.errors import ArchiveError, Forbidden, InvalidQuery, MetadataInvalid, NotFound
from archive.domain.events import ACTION_EVENTS, Event, event_of, payload_bytes
from archive.domain.webhooks import (
    Delivery,
    DeliveryStatus,
    Owner,
    SendResult,
    Subscription,
    check_event_types,
    check_url,
    new_secret,
    signed_headers,
)
from archive.services.audit import append
from archive.services.backoff import Backoff, pause
from archive.services.changes import event_ids
from archive.services.container import Services
from archive.services.events import SCAN_BATCH, FactsCache, may_see, subject_facts

log = logging.getLogger(__name__)

CLAIM_BATCH = 20
LEASE = timedelta(minutes=5)
_BY_NAME = {t.name: t for t in ACTION_EVENTS.values()}


# -- subscriptions (admins) --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NewSubscription:
    """What an admin asks for. ``owner_api_key``: the portal key the subscription acts for
    (None: the admin itself)."""

    url: str
    event_types: tuple[str, ...]
    owner_api_key: str | None = None
    description: str = ""


def _manager(services: Services, principal: Principal, action: str, target: str) -> None:
    if not manages_webhooks(principal):
        append(services, actor=principal.subject, action=action, target=target, outcome=Outcome.DENIED)
        raise Forbidden("only admins manage webhooks")


def create_subscription(services: Services, principal: Principal, wanted: NewSubscription) -> Subscription:
    """Make a subscription; its secret is in the result, and shown only this once. Blocking.

    Raises:
        Forbidden: the caller is not an admin, or the owner's clearance is above its own.
        MetadataInvalid: a bad URL, event type, description or owner key.
    """
    _manager(services, principal, "webhook.create", "webhooks")
    owner = _owner(services, principal, wanted.owner_api_key)
    if not can_own_subscription(principal, owner.principal()):
        raise Forbidden("the owner's clearance is above yours")
    if len(wanted.description) > 500:
        raise MetadataInvalid("description", "at most 500 characters")
    subscription = Subscription(
        id=str(uuid.uuid4()),
        url=check_url(wanted.url),
        event_types=check_event_types(wanted.event_types),
        secret=new_secret(),
        owner=owner,
        active=True,
        created_at=services.clock(),
        created_by=principal.subject,
        after_seq=services.audit.head()[0],
        description=wanted.description,
    )
    services.webhooks.add(subscription)
    details = {"owner": owner.subject, "events": ",".join(sorted(subscription.event_types))}
    append(
        services, actor=principal.subject, action="webhook.create", target=subscription.id, details=details
    )
    return subscription


def _owner(services: Services, principal: Principal, api_key_id: str | None) -> Owner:
    if api_key_id is None:
        return Owner.of(principal)
    key = services.api_keys.get(api_key_id)
    if key is None or not key.is_active(services.clock()):
        raise MetadataInvalid("ownerApiKey", "no active API key with this id")
    return Owner.of(key.principal())


def list_subscriptions(services: Services, principal: Principal) -> list[Subscription]:
    """Every subscription, oldest first (admins). Blocking."""
    _manager(services, principal, "webhook.list", "webhooks")
    return services.webhooks.all()


def set_active(services: Services, principal: Principal, subscription_id: str, active: bool) -> Subscription:
    """Pause or resume a subscription (a paused one gets no new deliveries). Blocking."""
    _manager(services, principal, "webhook.update", subscription_id)
    changed = services.webhooks.set_active(subscription_id, active)
    if changed is None:
        raise NotFound(f"no webhook subscription {subscription_id}")
    append(
        services,
        actor=principal.subject,
        action="webhook.update",
        target=subscription_id,
        details={"active": active},
    )
    return changed


def remove_subscription(services: Services, principal: Principal, subscription_id: str) -> None:
    """Delete a subscription and its delivery log. Blocking."""
    _manager(services, principal, "webhook.delete", subscription_id)
    if not services.webhooks.remove(subscription_id):
        raise NotFound(f"no webhook subscription {subscription_id}")
    append(services, actor=principal.subject, action="webhook.delete", target=subscription_id)


# -- the delivery log (admins, each through its own read rule) --------------------------------


def delivery_log(
    services: Services,
    principal: Principal,
    *,
    subscription_id: str | None = None,
    status: DeliveryStatus | None = None,
    first: int = 50,
    before_id: int | None = None,
) -> tuple[list[Delivery], bool]:
    """Deliveries newest first, and whether older ones follow. An admin sees only
    deliveries about events it may see itself (``can_see_event``), so the log never
    names a record above its clearance. Blocking."""
    _manager(services, principal, "webhook.deliveries", subscription_id or "webhooks")
    limit = services.settings.max_page_size
    if not 1 <= first <= limit:
        raise InvalidQuery(f"first must be between 1 and {limit}")
    cache = FactsCache(services)
    shown: list[Delivery] = []
    while len(shown) <= first:
        batch = services.webhooks.deliveries(
            subscription_id=subscription_id, status=status, before_id=before_id, limit=SCAN_BATCH
        )
        shown.extend(d for d in batch if _visible_delivery(principal, cache, d))
        if len(batch) < SCAN_BATCH:
            break
        before_id = batch[-1].id
    return shown[:first], len(shown) > first


def _visible_delivery(principal: Principal, cache: FactsCache, delivery: Delivery) -> bool:
    event = _event(delivery, at=delivery.created_at)
    return event is not None and may_see(principal, cache.of(event))


def redeliver(services: Services, principal: Principal, delivery_id: int) -> Delivery:
    """Put a parked (or withheld) delivery back in the queue, due now, attempts from 0. Blocking.

    Raises:
        NotFound: no such delivery the caller may see, or it is not parked or withheld.
    """
    _manager(services, principal, "webhook.redeliver", str(delivery_id))
    found = services.webhooks.delivery(delivery_id)
    if found is None or not _visible_delivery(principal, FactsCache(services), found):
        raise NotFound(f"no delivery {delivery_id}")
    again = services.webhooks.redeliver(delivery_id, now=services.clock())
    if again is None:
        raise NotFound(
            f"delivery {delivery_id} is {found.status.value}: only parked or withheld ones go again"
        )
    append(services, actor=principal.subject, action="webhook.redeliver", target=str(delivery_id))
    return again


# -- the outbox ------------------------------------------------------------------------------


def owner_now(services: Services, subscription: Subscription) -> Principal | None:
    """The principal a subscription acts for, as it stands now: an API key owner is looked
    up again (revoked: None, so nothing is delivered)."""
    key_id = subscription.owner.api_key_id
    if key_id is None:
        return subscription.owner.principal()
    key = services.api_keys.get(key_id)
    return key.principal() if key is not None and key.is_active(services.clock()) else None


def fan_out(services: Services) -> int:
    """Turn the events after the cursor into pending deliveries; returns how many. Blocking."""
    start = services.webhooks.cursor()
    entries = services.audit.after(start, actions=list(ACTION_EVENTS), limit=SCAN_BATCH)
    if not entries:
        return 0
    subscriptions = [s for s in services.webhooks.all() if s.active]
    owners = {s.id: owner_now(services, s) for s in subscriptions}
    cache, now = FactsCache(services), services.clock()
    deliveries = [
        _pending(s, event, now)
        for event in (e for e in map(event_of, entries) if e is not None)
        for s in _wanting(subscriptions, event)
        if (owner := owners[s.id]) is not None and may_see(owner, cache.of(event))
    ]
    if not services.webhooks.fan_out(start, entries[-1].seq, deliveries):
        return 0  # another worker fanned these out first
    return len(deliveries)


def _wanting(subscriptions: Iterable[Subscription], event: Event) -> list[Subscription]:
    return [s for s in subscriptions if s.wants(event.name) and event.seq > s.after_seq]


def _pending(subscription: Subscription, event: Event, now: datetime) -> Delivery:
    return Delivery(
        id=0,
        subscription_id=subscription.id,
        seq=event.seq,
        event_type=event.name,
        subject_id=event.subject_id,
        status=DeliveryStatus.PENDING,
        attempts=0,
        next_at=now,
        created_at=now,
    )


def _event(delivery: Delivery, *, at: datetime) -> Event | None:
    kind = _BY_NAME.get(delivery.event_type)
    return None if kind is None else Event(seq=delivery.seq, type=kind, at=at, subject_id=delivery.subject_id)


async def deliver_due(services: Services) -> int:
    """Attempt every due delivery (a batch at a time); returns how many were attempted."""
    claimed = await asyncio.to_thread(
        services.webhooks.claim, now=services.clock(), lease=LEASE, limit=CLAIM_BATCH
    )
    for delivery in claimed:
        await _attempt(services, delivery)
    return len(claimed)


async def _attempt(services: Services, delivery: Delivery) -> None:
    subscription = await asyncio.to_thread(services.webhooks.get, delivery.subscription_id)
    entry = await asyncio.to_thread(services.audit.entry, delivery.seq)
    event = None if entry is None else event_of(entry)
    if subscription is None or event is None or not subscription.active:
        await _finish(services, delivery, DeliveryStatus.WITHHELD, None)
        return
    if not await asyncio.to_thread(_still_visible, services, subscription, event):
        await _finish(services, delivery, DeliveryStatus.WITHHELD, None)
        return
    event_id = event_ids(services).encode(event.seq)
    body = payload_bytes(event, event_id)
    now = services.clock()
    headers = signed_headers(subscription.secret, event_id, int(now.timestamp()), body)
    result = await services.webhook_sender.send(subscription.url, headers, body)
    services.metrics.webhook_attempt(result.ok)
    await _finish(services, delivery, _after(services, delivery, result), result)


def _still_visible(services: Services, subscription: Subscription, event: Event) -> bool:
    owner = owner_now(services, subscription)
    return owner is not None and may_see(owner, subject_facts(services, event))


def _after(services: Services, delivery: Delivery, result: SendResult) -> DeliveryStatus:
    if result.ok:
        return DeliveryStatus.DELIVERED
    if delivery.attempts + 1 >= services.settings.webhook_max_attempts:
        return DeliveryStatus.PARKED
    return DeliveryStatus.PENDING


async def _finish(
    services: Services, delivery: Delivery, status: DeliveryStatus, result: SendResult | None
) -> None:
    now = services.clock()
    s = services.settings
    delay = Backoff(base=s.webhook_retry_base_seconds, cap=s.webhook_retry_cap_seconds).delay(
        delivery.attempts + 1
    )
    next_at = now + timedelta(seconds=delay) if status is DeliveryStatus.PENDING else now
    await asyncio.to_thread(
        services.webhooks.record_attempt, delivery.id, status=status, at=now, next_at=next_at, result=result
    )


async def dispatch_once(services: Services) -> int:
    """One round of the outbox: fan out, then deliver what is due. Returns attempts made."""
    await asyncio.to_thread(fan_out, services)
    return await deliver_due(services)


async def dispatch_forever(services: Services, stop: asyncio.Event) -> None:
    """The outbox loop the worker runs beside its job loop, until ``stop`` is set. A
    failed round (a database outage, anything unforeseen) is retried after a backoff, and
    logged once per run of failures, not per round: the loop itself never dies while the
    worker lives."""
    s = services.settings
    backoff = Backoff(base=s.worker_retry_base_seconds, cap=s.worker_retry_cap_seconds)
    failures = 0
    while not stop.is_set():
        try:
            attempted = await dispatch_once(services)
        except Exception as error:
            failures += 1
            _log_failure(error, first=failures == 1)
            await pause(stop, backoff.delay(failures))
            continue
        if failures:
            log.warning("webhook delivery works again after %d failed rounds", failures)
            failures = 0
        if not attempted:
            await pause(stop, s.webhook_poll_seconds)


def _log_failure(error: Exception, *, first: bool) -> None:
    if not first:
        log.debug("webhook delivery round failed again: %s", type(error).__name__)
    elif isinstance(error, ArchiveError):
        log.warning("webhook delivery round failed (%s: %s); retrying", error.code, error.message)
    else:
        log.error("webhook delivery round crashed; retrying with backoff", exc_info=error)
