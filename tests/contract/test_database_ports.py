"""The ports over the metadata database as a whole, on SQLite and PostgreSQL:
``SchemaRevisions`` (readiness), ``VitalsSource`` (the metrics scrape), ``OcrBacklog``
(scans left PENDING_OCR) and ``DatabaseSnapshot`` (backup and restore). The end-to-end
runs are in tests/ops (backup drill, probes, metrics); these pin each port's own promise."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from archive.db.audit import SqlAuditLog
from archive.db.engine import create_db_engine
from archive.db.jobs import SqlJobQueue
from archive.db.migrate import SqlSchemaRevisions, head_revision, upgrade
from archive.db.ocr_backlog import SqlOcrBacklog
from archive.db.repository import SqlRecordRepository
from archive.db.snapshot import SqlDatabaseSnapshot
from archive.db.vitals import SqlVitals
from archive.domain.audit import Outcome
from archive.domain.backup import BACKUP_ACTION
from archive.domain.jobs import JobStatus
from archive.domain.ports import DatabaseSnapshot, OcrBacklog, SchemaRevisions, VitalsSource
from archive.domain.records import Record, TextStatus
from tests.support.access import make_record

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def blank(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An engine on a database with no tables yet."""
    url = (
        f"sqlite:///{tmp_path / 'meta.db'}"
        if request.param == "sqlite"
        else request.getfixturevalue("postgres_url")
    )
    engine = create_db_engine(str(url))
    yield engine
    engine.dispose()


@pytest.fixture
def engine(blank: Engine) -> Engine:
    upgrade(blank)
    return blank


def add(engine: Engine, **changes: object) -> Record:
    record = dataclasses.replace(make_record(), **changes)  # type: ignore[arg-type]
    SqlRecordRepository(engine).add(record)
    return record


def finish_every_job(engine: Engine) -> None:
    queue = SqlJobQueue(engine)
    while (job := queue.claim("test", lease=timedelta(minutes=1))) is not None:
        queue.complete(job.id, worker_id="test")


def count_records(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(sa.text("SELECT count(*) FROM records")).scalar_one())


def test_the_adapters_implement_their_ports(engine: Engine) -> None:
    assert isinstance(SqlSchemaRevisions(engine), SchemaRevisions)
    assert isinstance(SqlVitals(engine), VitalsSource)
    assert isinstance(SqlOcrBacklog(engine), OcrBacklog)
    assert isinstance(SqlDatabaseSnapshot(engine), DatabaseSnapshot)


def test_schema_revisions_before_and_after_the_migrations(blank: Engine) -> None:
    schema = SqlSchemaRevisions(blank)
    assert schema.heads() == (head_revision(),)
    assert schema.applied() == ()
    upgrade(blank)
    assert schema.applied() == schema.heads()


def test_vitals_count_jobs_and_name_the_last_successful_backup(engine: Engine) -> None:
    vitals = SqlVitals(engine)
    empty = vitals.read()
    assert set(empty.jobs.values()) == {0} and set(empty.disposition_items.values()) == {0}
    assert (empty.oldest_pending_at, empty.last_backup_at) == (None, None)
    assert (empty.fixity_changed, empty.fixity_missing) == (0, 0)

    deposited = add(engine)  # a deposit's job is written with its record (the outbox), at its time
    audit = SqlAuditLog(engine)
    backed_up = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    audit.append(at=backed_up, actor="local:ops", action=BACKUP_ACTION, target="t", outcome=Outcome.OK)
    later = backed_up + timedelta(hours=1)  # a failed run does not count as the last backup
    audit.append(at=later, actor="local:ops", action=BACKUP_ACTION, target="t", outcome=Outcome.ERROR)

    busier = vitals.read()
    assert busier.jobs[JobStatus.PENDING] == 1
    assert busier.oldest_pending_at == deposited.created_at
    assert busier.oldest_pending_at.tzinfo is not None
    assert busier.last_backup_at == backed_up


def test_the_ocr_backlog_requeues_each_pending_ocr_record_once(blank: Engine) -> None:
    now = datetime.now(UTC)
    assert SqlOcrBacklog(blank).requeue(now=now, max_attempts=3) == []  # no tables: no backlog
    upgrade(blank)
    waiting = add(blank, text_status=TextStatus.PENDING_OCR)
    add(blank)  # extracted: not part of the backlog

    backlog = SqlOcrBacklog(blank)
    assert backlog.requeue(now=now, max_attempts=3) == []  # its deposit job is still open
    finish_every_job(blank)
    assert backlog.requeue(now=now, max_attempts=3) == [waiting.id]
    assert backlog.requeue(now=now, max_attempts=3) == []  # its job is still pending
    job = SqlJobQueue(blank).for_record(waiting.id)
    assert job is not None and job.status == JobStatus.PENDING


def test_a_snapshot_restores_the_database_as_it_was_dumped(engine: Engine, tmp_path: Path) -> None:
    snapshot = SqlDatabaseSnapshot(engine)
    assert snapshot.kind == ("sqlite" if engine.dialect.name == "sqlite" else "postgresql")
    assert set(snapshot.content_counts().values()) == {0}
    kept = add(engine)
    dump = tmp_path / "database.dump"
    snapshot.dump(dump)
    add(engine)  # written after the dump: gone once it is restored
    assert count_records(engine) == 2

    snapshot.restore(dump)

    assert count_records(engine) == 1
    assert snapshot.content_counts()["records"] == 1
    assert snapshot.media_types() == {kept.file.storage_key: kept.file.media_type}
    assert SqlSchemaRevisions(engine).applied() == (head_revision(),)


def test_remap_points_records_at_their_new_version_ids(engine: Engine) -> None:
    record = add(engine)
    snapshot = SqlDatabaseSnapshot(engine)
    key = record.file.storage_key
    unchanged = {(key, None): None}
    assert snapshot.remap_version_ids(unchanged) == 0
    assert snapshot.remap_version_ids({(key, None): "v2", ("records/none", None): "v9"}) == 1
    with engine.connect() as connection:
        stored = connection.execute(sa.text("SELECT version_id FROM records")).scalar_one()
    assert stored == "v2"
