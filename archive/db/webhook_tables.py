"""Tables for webhooks: subscriptions, the fan-out cursor over the audit seq, deliveries."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

import archive.db.tables  # noqa: F401 - one naming convention for every table

_TZ = sa.DateTime(timezone=True)


class WebhookSubscriptionRow(SQLModel, table=True):
    """A subscription: where to send which events, signed how, on whose behalf."""

    __tablename__ = "webhook_subscriptions"

    id: str = Field(primary_key=True, max_length=36)
    url: str = Field(sa_type=sa.Text)
    event_types: str = Field(default="[]", sa_type=sa.Text)  # JSON list of event type names
    # The Standard Webhooks secret. Stored as given: the archive must sign with it, so a
    # hash would not do; it is shown once, when the subscription is made.
    secret: str = Field(max_length=100)
    owner_subject: str = Field(max_length=200)
    owner_roles: str = Field(default="[]", sa_type=sa.Text)  # JSON list of role values
    owner_agencies: str = Field(default="[]", sa_type=sa.Text)  # JSON list of agency codes
    owner_clearance: int = 0
    active: bool = True
    created_at: datetime = Field(sa_type=_TZ)
    created_by: str = Field(max_length=200)
    after_seq: int = 0  # the audit head when it was made
    description: str = Field(default="", max_length=500)


class WebhookCursorRow(SQLModel, table=True):
    """One row: the last audit seq whose events were fanned out into deliveries."""

    __tablename__ = "webhook_cursor"

    id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    seq: int = 0


class WebhookDeliveryRow(SQLModel, table=True):
    """One event owed to one subscription (the outbox), and how its attempts went."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        sa.UniqueConstraint("subscription_id", "seq", name="uq_webhook_deliveries_subscription_seq"),
    )

    id: int | None = Field(default=None, primary_key=True)
    subscription_id: str = Field(max_length=36, index=True)
    seq: int
    event_type: str = Field(max_length=60)
    subject_id: str = Field(max_length=200)
    status: str = Field(max_length=20, index=True)
    attempts: int = 0
    next_at: datetime = Field(sa_type=_TZ, index=True)
    lease_until: datetime | None = Field(default=None, sa_type=_TZ)
    created_at: datetime = Field(sa_type=_TZ)
    last_attempt_at: datetime | None = Field(default=None, sa_type=_TZ)
    last_status_code: int | None = None
    last_error: str | None = Field(default=None, sa_type=sa.Text)
