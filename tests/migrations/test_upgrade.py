"""A database filled at an earlier release upgrades to today's head with its data intact.

Each ``releases/<version>.json`` is a snapshot of a database filled through the
command line at that release, with the heads it shipped (how to refresh it at a
release: tests/migrations/snapshot.py). The database is created at those heads,
filled with plain inserts into that release's table shapes, upgraded, and then
every row must still be there, and the app's own stores must read and extend it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from archive.db.archival import SqlArchivalStore
from archive.db.audit import SqlAuditLog
from archive.db.disposition import SqlDispositionStore
from archive.db.holds import SqlHoldStore
from archive.db.jobs import SqlJobQueue
from archive.db.lifecycle import SqlLifecycleStore
from archive.db.migrate import current_revision, head_revision, upgrade
from archive.db.repository import SqlRecordRepository
from archive.db.retention import SqlRetentionStore
from archive.domain.access import UNRESTRICTED
from archive.domain.archival import default_fonds_id
from archive.domain.audit import Outcome, verify_chain
from archive.domain.disposition import DisposalReason
from tests.migrations.snapshot import dump, load, release_files
from tests.support.access import NOW, make_record

Snapshot = dict[str, Any]

CONVERTED: dict[tuple[str, str], Callable[[Any], Any]] = {
    # 0012: a language becomes a JSON list of codes (tests/migrations/test_document_fields.py)
    ("records", "language"): lambda value: json.dumps(["01"]) if value == "vi" else value,
}
"""Columns a migration rewrites on purpose: (table, column) -> what an old value becomes."""


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


# Columns a later release moved elsewhere, and where their data went (checked below).
MOVED = {
    ("record_retention", "dossier_code"): "records.dossier_id (0010)",
}


def rows_of(
    tables: dict[str, list[dict[str, Any]]], table: str, columns: list[str], *, converted: bool = False
) -> list[str]:
    """The rows of ``table`` cut to ``columns`` (a later release may add some), comparable;
    ``converted``: as the upgrade rewrites them (``CONVERTED``)."""

    def value(row: dict[str, Any], column: str) -> Any:
        convert = CONVERTED.get((table, column)) if converted else None
        return row[column] if convert is None else convert(row[column])

    return sorted(json.dumps({c: value(row, c) for c in columns}, sort_keys=True) for row in tables[table])


def test_every_row_survives_the_upgrade(engine: Engine, snapshot: Snapshot) -> None:
    at_release(engine, snapshot)

    upgrade(engine)

    assert current_revision(engine) == head_revision()
    after = dump(engine)
    for table, rows in snapshot["tables"].items():
        columns = sorted(c for c in rows[0] if (table, c) not in MOVED) if rows else []
        assert table in after, f"table {table} is gone"
        expected = rows_of(snapshot["tables"], table, columns, converted=True)
        assert rows_of(after, table, columns) == expected, table


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
    retention = SqlRetentionStore(engine)
    rules = {r.code: r for r in retention.rules()}
    assert set(rules) == {r["code"] for r in tables["retention_rules"]}
    # 0013: rules from before schedules keep working in the default schedule, with no basis;
    # assignments counted the old way are due for recomputing (planning does it first).
    assert {(r.schedule, r.legal_basis) for r in rules.values()} <= {("default", "")}
    stale = {a["record_id"] for a in tables["record_retention"]}
    assert stale <= set(retention.uncomputed_ids())
    for tombstone in tables["tombstones"]:
        assert SqlDispositionStore(engine).tombstone_of(tombstone["record_id"]) is not None
    for batch_row in tables["disposition_batches"]:  # destruction (0014): reasons, note, council
        batch = SqlDispositionStore(engine).get(batch_row["id"])
        assert batch is not None and batch.explanatory_note == "" and batch.council == batch.papers == ()
        assert batch.decided_on is None and {i.reason for i in batch.items} <= {DisposalReason.EXPIRED}
    assert SqlDispositionStore(engine).reviews([r["id"] for r in tables["records"]]) == {}
    held = {h["record_id"] for h in tables["legal_hold_records"]}
    assert SqlHoldStore(engine).held_ids([r["id"] for r in tables["records"]]) == held

    lifecycle = SqlLifecycleStore(engine)  # 0025: every old record is at version 1, as deposited
    for row in tables["records"]:
        [first] = lifecycle.versions(row["id"])
        assert (first.version, first.metadata.subject, first.actor) == (1, row["subject"], None)
    if tables["records"]:
        old = tables["records"][0]
        [deposited] = lifecycle.versions(old["id"])
        fixed = lifecycle.correct(
            old["id"], replace(deposited.metadata, subject="Trích yếu đã sửa"), actor="t", at=NOW, reason="r"
        )
        assert fixed is not None and fixed.metadata_version == 2
        subjects = [v.metadata.subject for v in lifecycle.versions(old["id"])]
        assert subjects == [old["subject"], "Trích yếu đã sửa"]

    added = make_record()  # the app goes on: new ids must not collide with the old ones
    records.add(added)
    assert SqlJobQueue(engine).for_record(added.id) is not None
    log.append(
        at=added.created_at, actor="test", action="record.deposit", target=added.id, outcome=Outcome.OK
    )
    assert verify_chain(log.entries()).checked == head["seq"] + 1


def test_the_destruction_tables_match_the_models(engine: Engine, snapshot: Snapshot) -> None:
    """Migration 0014 builds the columns and tables the models declare, on both engines."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    from sqlmodel import SQLModel

    at_release(engine, snapshot)
    upgrade(engine)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    mine = [d for d in diff if "disposition" in repr(d)]
    assert mine == []


def test_records_move_into_their_agencys_default_fonds_and_keep_their_dossier(
    engine: Engine, snapshot: Snapshot
) -> None:
    """0010: every record is in the default fonds of its agency, and a record that was in a
    dossier (``record_retention.dossier_code``) is in the dossier with that file code."""
    tables = snapshot["tables"]
    at_release(engine, snapshot)
    upgrade(engine)
    after = dump(engine)
    fonds = {f["id"]: f for f in after["fonds"]}
    dossiers = {d["id"]: d for d in after["dossiers"]}
    was_in = {r["record_id"]: r.get("dossier_code") for r in tables["record_retention"]}
    for record in after["records"]:
        assert record["fonds_id"] == default_fonds_id(record["agency_code"])
        assert fonds[record["fonds_id"]]["agency_code"] == record["agency_code"]
        code = None if record["dossier_id"] is None else dossiers[record["dossier_id"]]["code"]
        assert code == was_in.get(record["id"])
    for old in tables["dossiers"]:
        [new] = [d for d in after["dossiers"] if d["code"] == old["code"]]
        assert (new["title"], new["status"]) == (
            old["title"],
            "open" if old["closed_on"] is None else "closed",
        )


def test_dossiers_get_an_empty_compiler_and_heading_and_keep_them_once_set(
    engine: Engine, snapshot: Snapshot
) -> None:
    """0018: the dossier list's compiler and heading columns arrive empty on existing
    dossiers, and the store reads and writes them."""
    at_release(engine, snapshot)
    upgrade(engine)
    after = dump(engine)
    assert all((d["compiler"], d["heading"]) == ("", "") for d in after["dossiers"])
    store = SqlArchivalStore(engine)
    for row in after["dossiers"]:
        dossier = store.dossier(row["id"], UNRESTRICTED)
        assert dossier is not None and (dossier.compiler, dossier.heading) == ("", "")
        changed = replace(dossier, compiler="Văn phòng", heading="I. Tổng hợp")
        saved = store.save_dossier(changed, expected_version=dossier.row_version)
        assert (saved.compiler, saved.heading) == ("Văn phòng", "I. Tổng hợp")


def test_signatures_from_before_revisions_read_as_unknown(engine: Engine, snapshot: Snapshot) -> None:
    """0026: a signature verified before revisions were recorded keeps its verdict and
    has no revision answer (null, no later revisions) until the record is verified again."""
    from archive.db.results import SqlProcessingResults

    tables = snapshot["tables"]
    at_release(engine, snapshot)
    upgrade(engine)
    record_ids = sorted({row["record_id"] for row in tables["signatures"]})
    assert record_ids, "the snapshot has signatures"
    found = SqlProcessingResults(engine).signatures_of(record_ids)
    for row in tables["signatures"]:
        report = found[row["record_id"]][row["position"]]
        assert report.verdict.value == row["verdict"]
        assert (report.signed_revision, report.permission, report.later_revisions) == (None, None, ())
        assert report.changes_permitted is None


def test_edxml_intakes_start_empty_and_take_rows_for_upgraded_records(
    engine: Engine, snapshot: Snapshot
) -> None:
    """0026: the intake table arrives empty; an old record can be named by an intake, and
    the (sender, DocumentId, business type) key is unique."""
    from archive.db.intake import SqlIntakeStore
    from archive.domain.edxml import BusinessType, EnvelopeSignatureState, IntakeKey
    from archive.domain.intake import Intake, IntakeStatus

    at_release(engine, snapshot)
    upgrade(engine)
    assert dump(engine)["edxml_intakes"] == []
    record_id = snapshot["tables"]["records"][0]["id"]
    key = IntakeKey("000.00.00.H10", "000.00.00.H10,2026/01/02,1/QĐ-UBND", BusinessType.NEW)
    intake = Intake(
        id="i-1",
        key=key,
        agency_code="H10",
        status=IntakeStatus.APPLIED,
        record_id=record_id,
        target_document_id="",
        received_at=datetime(2026, 1, 3, tzinfo=UTC),
        received_by="local:test",
        package_sha256="0" * 64,
        signature=EnvelopeSignatureState.PLACEHOLDER,
    )
    store = SqlIntakeStore(engine)
    assert store.add(intake) is True
    assert store.add(replace(intake, id="i-2")) is False  # the same document again
    assert store.by_key(key) == intake and store.record_of(key.sender_organ_id, key.document_id) == record_id
