"""The database under the ports, for tests that must look at it directly."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from archive.db.repository import SqlRecordRepository
from archive.services.container import Services


def engine_of(services: Services) -> Engine:
    """The engine behind the services' SQL stores (services themselves never see one)."""
    records = services.records
    assert isinstance(records, SqlRecordRepository)
    return records.engine
