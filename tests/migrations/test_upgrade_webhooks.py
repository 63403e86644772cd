"""0027: a database of every earlier release gains the webhook tables; the fan-out cursor
starts at the release's audit head, so an upgrade never turns the history into deliveries."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from archive.db.migrate import current_revision, head_revision, upgrade
from archive.db.webhooks import SqlWebhookStore
from tests.migrations.test_upgrade import Snapshot, at_release, snapshot

__all__ = ["snapshot"]  # a fixture, re-exported for pytest


def test_the_webhook_tables_come_with_the_upgrade(engine: Engine, snapshot: Snapshot) -> None:
    at_release(engine, snapshot)
    with engine.connect() as connection:
        head = connection.execute(sa.text("SELECT COALESCE(MAX(seq), 0) FROM audit_log")).scalar_one()
    assert head > 0  # the release's data has an audit chain to start after
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    store = SqlWebhookStore(engine)
    assert store.cursor() == head
    assert store.all() == []
    assert store.deliveries(subscription_id=None, status=None, before_id=None, limit=10) == []
