"""A database filled at an earlier release upgrades to today's head with its data intact.

Each ``releases/<version>.json`` is a snapshot of a database filled through the
command line at that release, with the heads it shipped (how to refresh it at a
release: tests/migrations/snapshot.py). The database is created at those heads,
filled with plain inserts into that release's table shapes, upgraded, and then
every row must still be there, and the app's own stores must read and extend it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from archive.db.audit import SqlAuditLog
from archive.db.disposition import SqlDispositionStore
from archive.db.holds import SqlHoldStore
from archive.db.jobs import SqlJobQueue
from archive.db.migrate import current_revision, head_revision, upgrade
from archive.db.repository import SqlRecordRepository
from archive.db.retention import SqlRetentionStore
from archive.domain.access import UNRESTRICTED
from archive.domain.audit import Outcome, verify_chain
from tests.migrations.snapshot import dump, load, release_files
from tests.support.access import make_record

Snapshot = dict[str, Any]


@pytest.fixture(params=release_files(), ids=lambda path: path.stem)
def snapshot(request: pytest.FixtureRequest) -> Snapshot:
    path: Path = request.param
    return dict(json.loads(path.read_text(encoding="utf-8")))


def at_release(engine: Engine, snapshot: Snapshot) -> None:
    """The empty database brought to the release's heads (Alembic adds one branch
    per target), then filled with the release's rows."""
    for head in snapshot["heads"]:
        upgrade(engine, head)
    with engine.connect() as connection:
        found = connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalars()
        assert sorted(found) == sorted(snapshot["heads"])
    load(engine, snapshot["tables"])


def rows_of(tables: dict[str, list[dict[str, Any]]], table: str, columns: list[str]) -> list[str]:
    """The rows of ``table`` cut to ``columns`` (a later release may add some), comparable."""
    return sorted(json.dumps({c: row[c] for c in columns}, sort_keys=True) for row in tables[table])


def test_every_row_survives_the_upgrade(engine: Engine, snapshot: Snapshot) -> None:
    at_release(engine, snapshot)

    upgrade(engine)

    assert current_revision(engine) == head_revision()
    after = dump(engine)
    for table, rows in snapshot["tables"].items():
        columns = sorted(rows[0]) if rows else []
        assert table in after, f"table {table} is gone"
        assert rows_of(after, table, columns) == rows_of(snapshot["tables"], table, columns), table


def test_the_stores_read_and_extend_the_upgraded_data(engine: Engine, snapshot: Snapshot) -> None:
    tables = snapshot["tables"]
    at_release(engine, snapshot)
    upgrade(engine)

    records = SqlRecordRepository(engine)
    for row in tables["records"]:
        record = records.get(row["id"], UNRESTRICTED)
        assert record is not None and record.file.sha256 == row["sha256"]
        assert len(record.pages) == sum(p["record_id"] == row["id"] for p in tables["pages"])
        grants = sorted(g["grantee"] for g in tables["grants"] if g["record_id"] == row["id"])
        assert list(record.grants) == grants
    log = SqlAuditLog(engine)
    [head] = tables["audit_head"]
    report = verify_chain(log.entries(), expected_head=head["hash"])
    assert report.ok and report.checked == len(tables["audit_log"]) == head["seq"]
    rules = {r.code for r in SqlRetentionStore(engine).rules()}
    assert rules == {r["code"] for r in tables["retention_rules"]}
    for tombstone in tables["tombstones"]:
        assert SqlDispositionStore(engine).tombstone_of(tombstone["record_id"]) is not None
    held = {h["record_id"] for h in tables["legal_hold_records"]}
    assert SqlHoldStore(engine).held_ids([r["id"] for r in tables["records"]]) == held

    added = make_record()  # the app goes on: new ids must not collide with the old ones
    records.add(added)
    assert SqlJobQueue(engine).for_record(added.id) is not None
    log.append(
        at=added.created_at, actor="test", action="record.deposit", target=added.id, outcome=Outcome.OK
    )
    assert verify_chain(log.entries()).checked == head["seq"] + 1
