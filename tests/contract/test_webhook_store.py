"""The ``WebhookStore`` contract on SQLite and PostgreSQL: subscriptions round-trip, the
fan-out cursor moves by compare-and-set (so two workers write a batch once), claims lease
(so two workers never send one delivery at once), attempts park and redeliver."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine

from archive.db.webhooks import SqlWebhookStore
from archive.domain.access import Role
from archive.domain.records import Classification
from archive.domain.webhooks import Delivery, DeliveryStatus, Owner, SendResult, Subscription, new_secret
from tests.contract.test_database_ports import blank, engine

__all__ = ["blank", "engine"]  # fixtures, re-exported for pytest

NOW = datetime(2025, 3, 1, 8, 30, tzinfo=UTC)
OWNER = Owner("apikey:k1", frozenset({Role.READER}), frozenset({"UBND-HG"}), Classification.CONFIDENTIAL)


def subscription() -> Subscription:
    return Subscription(
        id=str(uuid.uuid4()),
        url="https://portal.example/hook",
        event_types=frozenset({"record.processed", "record.deposited"}),
        secret=new_secret(),
        owner=OWNER,
        active=True,
        created_at=NOW,
        created_by="admin",
        after_seq=7,
        description="cổng thông tin",
    )


def pending(subscription_id: str, seq: int) -> Delivery:
    return Delivery(0, subscription_id, seq, "record.processed", "r-1", DeliveryStatus.PENDING, 0, NOW, NOW)


def test_subscriptions_round_trip(engine: Engine) -> None:
    store = SqlWebhookStore(engine)
    made = subscription()
    store.add(made)
    assert store.get(made.id) == made and store.all() == [made]
    paused = store.set_active(made.id, False)
    assert paused is not None and not paused.active and not paused.wants("record.processed")
    assert store.set_active("nope", True) is None
    assert store.remove(made.id) and not store.remove(made.id) and store.all() == []


def test_the_cursor_moves_once(engine: Engine) -> None:
    store = SqlWebhookStore(engine)
    made = subscription()
    store.add(made)
    start = store.cursor()
    assert store.fan_out(start, start + 5, [pending(made.id, start + 3)])
    assert not store.fan_out(start, start + 5, [pending(made.id, start + 3)])  # the second worker
    assert store.cursor() == start + 5
    assert len(store.deliveries(subscription_id=made.id, status=None, before_id=None, limit=10)) == 1


def test_claims_lease_and_attempts_park(engine: Engine) -> None:
    store = SqlWebhookStore(engine)
    made = subscription()
    store.add(made)
    store.fan_out(store.cursor(), store.cursor() + 2, [pending(made.id, 1), pending(made.id, 2)])
    lease = timedelta(minutes=5)
    first = store.claim(now=NOW, lease=lease, limit=1)
    second = store.claim(now=NOW, lease=lease, limit=10)
    assert len(first) == 1 and len(second) == 1 and first[0].id != second[0].id
    assert store.claim(now=NOW, lease=lease, limit=10) == []  # both leased
    assert len(store.claim(now=NOW + lease + timedelta(seconds=1), lease=lease, limit=10)) == 2  # expired

    failed = SendResult(500, "HTTP 500")
    parked = store.record_attempt(
        first[0].id, status=DeliveryStatus.PARKED, at=NOW, next_at=NOW, result=failed
    )
    assert parked is not None and parked.status is DeliveryStatus.PARKED and parked.attempts == 1
    assert parked.last_status_code == 500 and parked.last_error == "HTTP 500"
    later = NOW + timedelta(hours=1)
    assert [d.id for d in store.claim(now=later, lease=lease, limit=10)] == [second[0].id]
    again = store.redeliver(first[0].id, now=later)
    assert again is not None and again.status is DeliveryStatus.PENDING and again.attempts == 0
    assert store.redeliver(second[0].id, now=later) is None  # pending: nothing to redeliver
    log = store.deliveries(subscription_id=made.id, status=None, before_id=None, limit=10)
    assert [d.id for d in log] == sorted((first[0].id, second[0].id), reverse=True)
    assert store.deliveries(subscription_id=made.id, status=None, before_id=log[0].id, limit=10) == log[1:]
