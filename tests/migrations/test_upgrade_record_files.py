"""0024: a database of every earlier release gains ``record_files``: each record's single
file becomes its main file (version 1, the record's id, the key it already had), its
pages belong to that file, and the stores read and extend it (apart from
test_upgrade.py, so the two grow without conflict)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine

from archive.db.jobs import SqlJobQueue
from archive.db.migrate import current_revision, head_revision, upgrade
from archive.db.repository import SqlRecordRepository
from archive.db.retention import SqlRetentionStore
from archive.domain.access import UNRESTRICTED
from archive.domain.files import FileRole, FileVersion, file_key
from archive.domain.jobs import JobStatus
from tests.migrations.snapshot import dump
from tests.migrations.test_upgrade import Snapshot, at_release, snapshot

__all__ = ["snapshot"]  # a fixture, re-exported for pytest


def test_each_record_keeps_its_file_as_its_main_file(engine: Engine, snapshot: Snapshot) -> None:
    tables = snapshot["tables"]
    at_release(engine, snapshot)
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    after = dump(engine)
    assert len(after["record_files"]) == len(tables["records"])
    assert {p["file_id"] for p in after["pages"]} <= {r["id"] for r in tables["records"]}
    assert all(p["file_id"] == p["record_id"] for p in after["pages"])

    records = SqlRecordRepository(engine)
    for row in tables["records"]:
        record = records.get(row["id"], UNRESTRICTED)
        assert record is not None
        [main] = record.files
        assert (main.id, main.role, main.ordinal, main.current.number) == (row["id"], FileRole.MAIN, 0, 1)
        stored = main.stored
        assert (stored.storage_key, stored.sha256, stored.size, stored.media_type) == (
            row["storage_key"],
            row["sha256"],
            row["size"],
            row["media_type"],
        )
        assert (stored.original_filename, stored.version_id) == (row["original_filename"], row["version_id"])
        assert record.file == stored
        assert all(p.file_id is None for p in record.pages)  # the main file's pages
    states = SqlRetentionStore(engine).states([r["id"] for r in tables["records"]])
    assert all(s.all_objects == ((s.storage_key, s.version_id),) for s in states)


def test_a_migrated_record_takes_a_new_file_version(engine: Engine, snapshot: Snapshot) -> None:
    tables = snapshot["tables"]
    if not tables["records"]:
        pytest.skip("this release's snapshot holds no record")
    at_release(engine, snapshot)
    upgrade(engine)
    records = SqlRecordRepository(engine)
    record = records.get(tables["records"][0]["id"], UNRESTRICTED)
    assert record is not None
    [main] = record.files
    key = file_key(record.id, main.id, 2)
    stored = replace(main.stored, storage_key=key, sha256="f" * 64, version_id=None)
    at = record.updated_at + timedelta(seconds=1)
    updated = records.add_file_version(main, FileVersion(2, stored, at, "local:tester", "đính chính"))
    assert updated.file == stored and updated.row_version == record.row_version + 1
    assert [v.number for v in updated.files[0].versions] == [1, 2]
    assert updated.files[0].versions[0].stored == main.stored  # the first version stays
    job = SqlJobQueue(engine).for_record(record.id)  # the newest: the reprocessing just enqueued
    assert job is not None and job.status is JobStatus.PENDING and job.steps_done == ()
