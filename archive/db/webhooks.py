"""Webhook subscriptions and the delivery outbox on SQL.

Fan-out moves the cursor with a compare-and-set in the same transaction as the
deliveries it adds, so two workers reading the same audit entries write them once.
Claims lease deliveries (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite serialises
writers), so two workers never send the same delivery at the same time.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from archive.db.timestamps import as_utc
from archive.db.webhook_tables import WebhookCursorRow, WebhookDeliveryRow, WebhookSubscriptionRow
from archive.domain.access import Role
from archive.domain.records import Classification
from archive.domain.webhooks import Delivery, DeliveryStatus, Owner, SendResult, Subscription

_CURSOR_ID = 1


class SqlWebhookStore:
    """Subscriptions, the cursor and the deliveries in the metadata database."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    # -- subscriptions ---------------------------------------------------------------------

    def add(self, subscription: Subscription) -> None:
        with Session(self._engine) as session:
            session.add(_subscription_row(subscription))
            session.commit()

    def get(self, subscription_id: str) -> Subscription | None:
        with Session(self._engine) as session:
            row = session.get(WebhookSubscriptionRow, subscription_id)
            return None if row is None else _to_subscription(row)

    def all(self) -> list[Subscription]:
        query = select(WebhookSubscriptionRow).order_by(
            col(WebhookSubscriptionRow.created_at), col(WebhookSubscriptionRow.id)
        )
        with Session(self._engine) as session:
            return [_to_subscription(row) for row in session.exec(query)]

    def set_active(self, subscription_id: str, active: bool) -> Subscription | None:
        with Session(self._engine) as session:
            row = session.get(WebhookSubscriptionRow, subscription_id, with_for_update=True)
            if row is None:
                return None
            row.active = active
            session.add(row)
            session.commit()
            session.refresh(row)
            return _to_subscription(row)

    def remove(self, subscription_id: str) -> bool:
        with Session(self._engine) as session:
            row = session.get(WebhookSubscriptionRow, subscription_id)
            if row is None:
                return False
            session.execute(
                sa.delete(WebhookDeliveryRow).where(
                    col(WebhookDeliveryRow.subscription_id) == subscription_id
                )
            )
            session.delete(row)
            session.commit()
            return True

    # -- fan-out ---------------------------------------------------------------------------

    def cursor(self) -> int:
        with Session(self._engine) as session:
            row = session.get(WebhookCursorRow, _CURSOR_ID)
            return 0 if row is None else row.seq

    def fan_out(self, from_seq: int, to_seq: int, deliveries: Sequence[Delivery]) -> bool:
        move = (
            sa.update(WebhookCursorRow)
            .where(col(WebhookCursorRow.id) == _CURSOR_ID, col(WebhookCursorRow.seq) == from_seq)
            .values(seq=to_seq)
        )
        with Session(self._engine) as session:
            if session.execute(move).rowcount != 1:  # type: ignore[attr-defined]
                session.rollback()
                return False
            session.add_all(_delivery_row(d) for d in deliveries)
            session.commit()
            return True

    # -- deliveries ------------------------------------------------------------------------

    def claim(self, *, now: datetime, lease: timedelta, limit: int) -> list[Delivery]:
        due = sa.and_(
            col(WebhookDeliveryRow.status) == DeliveryStatus.PENDING.value,
            col(WebhookDeliveryRow.next_at) <= now,
            sa.or_(col(WebhookDeliveryRow.lease_until).is_(None), col(WebhookDeliveryRow.lease_until) < now),
        )
        pick = select(WebhookDeliveryRow.id).where(due).order_by(col(WebhookDeliveryRow.id)).limit(limit)
        if self._engine.dialect.name == "postgresql":
            pick = pick.with_for_update(skip_locked=True)
        with Session(self._engine) as session:
            if self._engine.dialect.name == "sqlite":
                self._take_write_lock(session)
            # Two statements in one transaction: the picked rows stay locked (SKIP LOCKED lets
            # other workers pass them by), and an UPDATE ... IN (subquery with LIMIT) could
            # see its subquery run again by the planner and take more rows than asked.
            ids = list(session.exec(pick).all())
            if ids:
                session.execute(
                    sa.update(WebhookDeliveryRow)
                    .where(col(WebhookDeliveryRow.id).in_(ids))
                    .values(lease_until=now + lease)
                )
            session.commit()
            rows = session.exec(select(WebhookDeliveryRow).where(col(WebhookDeliveryRow.id).in_(ids))).all()
            return sorted((_to_delivery(r) for r in rows), key=lambda d: d.id)

    def _take_write_lock(self, session: Session) -> None:
        """SQLite has no row locks: a write first takes the database's write lock, so the
        pick below cannot race another worker's."""
        session.execute(
            sa.update(WebhookCursorRow)
            .where(col(WebhookCursorRow.id) == _CURSOR_ID)
            .values(seq=WebhookCursorRow.seq)
        )

    def record_attempt(
        self,
        delivery_id: int,
        *,
        status: DeliveryStatus,
        at: datetime,
        next_at: datetime,
        result: SendResult | None,
    ) -> Delivery | None:
        with Session(self._engine) as session:
            row = session.get(WebhookDeliveryRow, delivery_id, with_for_update=True)
            if row is None:
                return None
            row.status, row.next_at, row.lease_until = status.value, next_at, None
            if result is not None:
                row.attempts += 1
                row.last_attempt_at = at
                row.last_status_code = result.status_code
                row.last_error = None if result.error is None else result.error[:2000]
            session.add(row)
            session.commit()
            session.refresh(row)
            return _to_delivery(row)

    def delivery(self, delivery_id: int) -> Delivery | None:
        with Session(self._engine) as session:
            row = session.get(WebhookDeliveryRow, delivery_id)
            return None if row is None else _to_delivery(row)

    def deliveries(
        self,
        *,
        subscription_id: str | None,
        status: DeliveryStatus | None,
        before_id: int | None,
        limit: int,
    ) -> list[Delivery]:
        query = select(WebhookDeliveryRow)
        if subscription_id is not None:
            query = query.where(col(WebhookDeliveryRow.subscription_id) == subscription_id)
        if status is not None:
            query = query.where(col(WebhookDeliveryRow.status) == status.value)
        if before_id is not None:
            query = query.where(col(WebhookDeliveryRow.id) < before_id)
        with Session(self._engine) as session:
            rows = session.exec(query.order_by(col(WebhookDeliveryRow.id).desc()).limit(limit)).all()
            return [_to_delivery(r) for r in rows]

    def redeliver(self, delivery_id: int, *, now: datetime) -> Delivery | None:
        with Session(self._engine) as session:
            row = session.get(WebhookDeliveryRow, delivery_id, with_for_update=True)
            if row is None or row.status not in (DeliveryStatus.PARKED.value, DeliveryStatus.WITHHELD.value):
                return None
            row.status, row.attempts, row.next_at, row.lease_until = (
                DeliveryStatus.PENDING.value,
                0,
                now,
                None,
            )
            session.add(row)
            session.commit()
            session.refresh(row)
            return _to_delivery(row)


def _subscription_row(s: Subscription) -> WebhookSubscriptionRow:
    return WebhookSubscriptionRow(
        id=s.id,
        url=s.url,
        event_types=json.dumps(sorted(s.event_types)),
        secret=s.secret,
        owner_subject=s.owner.subject,
        owner_roles=json.dumps(sorted(r.value for r in s.owner.roles)),
        owner_agencies=json.dumps(sorted(s.owner.agencies)),
        owner_clearance=int(s.owner.clearance),
        active=s.active,
        created_at=s.created_at,
        created_by=s.created_by,
        after_seq=s.after_seq,
        description=s.description,
    )


def _to_subscription(row: WebhookSubscriptionRow) -> Subscription:
    owner = Owner(
        subject=row.owner_subject,
        roles=frozenset(Role(r) for r in json.loads(row.owner_roles)),
        agencies=frozenset(json.loads(row.owner_agencies)),
        clearance=Classification(row.owner_clearance),
    )
    return Subscription(
        id=row.id,
        url=row.url,
        event_types=frozenset(json.loads(row.event_types)),
        secret=row.secret,
        owner=owner,
        active=row.active,
        created_at=as_utc(row.created_at),
        created_by=row.created_by,
        after_seq=row.after_seq,
        description=row.description,
    )


def _delivery_row(d: Delivery) -> WebhookDeliveryRow:
    return WebhookDeliveryRow(
        subscription_id=d.subscription_id,
        seq=d.seq,
        event_type=d.event_type,
        subject_id=d.subject_id,
        status=d.status.value,
        attempts=d.attempts,
        next_at=d.next_at,
        created_at=d.created_at,
    )


def _to_delivery(row: WebhookDeliveryRow) -> Delivery:
    assert row.id is not None
    return Delivery(
        id=row.id,
        subscription_id=row.subscription_id,
        seq=row.seq,
        event_type=row.event_type,
        subject_id=row.subject_id,
        status=DeliveryStatus(row.status),
        attempts=row.attempts,
        next_at=as_utc(row.next_at),
        created_at=as_utc(row.created_at),
        last_attempt_at=None if row.last_attempt_at is None else as_utc(row.last_attempt_at),
        last_status_code=row.last_status_code,
        last_error=row.last_error,
    )
