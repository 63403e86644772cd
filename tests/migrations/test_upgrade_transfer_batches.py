"""0022: a database of every earlier release gains the transfer tables, empty, and the store
reads and extends them (apart from test_upgrade.py, so the two grow without conflict)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.engine import Engine

from archive.db.migrate import current_revision, head_revision, upgrade
from archive.db.transfer import SqlTransferStore
from archive.domain.transfer import Package, TransferBatch, TransferItem, TransferStatus
from tests.migrations.test_upgrade import Snapshot, at_release, snapshot

__all__ = ["snapshot"]  # a fixture, re-exported for pytest

AT = datetime(2026, 3, 1, 8, tzinfo=UTC)


def test_the_transfer_tables_come_with_the_upgrade(engine: Engine, snapshot: Snapshot) -> None:
    at_release(engine, snapshot)
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    store = SqlTransferStore(engine)
    assert store.listing() == []
    item = TransferItem(
        "d-1", "A.2019.01", "Hồ sơ", "A", 0, 2, 3, 4_000_000_000, Package("d-1", "p.zip", 5, "ab" * 32)
    )
    batch = TransferBatch("b-1", TransferStatus.PREPARED, "Lưu trữ lịch sử", "rm-a", AT, (item,))
    store.create(batch)
    assert store.get("b-1") == batch  # big byte counts fit (BIGINT)
    assert store.move("b-1", TransferStatus.PREPARED, TransferStatus.SENT, sent_by="rm-b", sent_at=AT)
    assert not store.move("b-1", TransferStatus.PREPARED, TransferStatus.SENT)
    assert store.busy_dossiers(["d-1", "d-2"]) == {"d-1"}
    store.mark_transferred("b-1", ["r-1", "r-2"], now=AT)
    assert store.transferred_records("b-1") == ["r-1", "r-2"]
    assert store.transferred_among(["r-2", "r-3"]) == {"r-2": "b-1"}


def test_the_transfer_tables_match_the_models(engine: Engine, snapshot: Snapshot) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    from sqlmodel import SQLModel

    at_release(engine, snapshot)
    upgrade(engine)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    assert [d for d in diff if "transfer" in repr(d)] == []
