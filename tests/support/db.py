"""The database under the ports, for tests that must look at it directly."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.pool import NullPool

from archive.db.repository import SqlRecordRepository
from archive.services.container import Services


def engine_of(services: Services) -> Engine:
    """The engine behind the services' SQL stores (services themselves never see one)."""
    records = services.records
    assert isinstance(records, SqlRecordRepository)
    return records.engine


@contextmanager
def fresh_database(admin_url: str) -> Iterator[str]:
    """A new, empty PostgreSQL database on ``admin_url``'s server, dropped afterwards.

    Each admin statement opens its own connection (no pool): one kept from before a
    server restart would be dead at teardown.
    """
    url = sa.engine.make_url(admin_url)
    name = f"t_{uuid.uuid4().hex[:12]}"
    _admin(url, f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        _admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _admin(url: sa.URL, statement: str) -> None:
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text(statement))
    finally:
        engine.dispose()
