"""The RecordRepository contract (and the job outbox beside it), on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from archive.db.engine import create_db_engine
from archive.db.jobs import SqlJobQueue
from archive.db.migrate import upgrade
from archive.db.repository import SqlRecordRepository
from archive.domain.access import UNRESTRICTED, Principal, ReadScope, Role
from archive.domain.archival import default_fonds_id
from archive.domain.errors import DuplicateRecord
from archive.domain.jobs import JobStatus, Step
from archive.domain.records import (
    Classification,
    Direction,
    Page,
    Record,
    RecordMetadata,
    StoredFile,
    TextSource,
    TextStatus,
    Urgency,
)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'archive.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def repo_and_jobs(engine_url: str) -> Iterator[tuple[SqlRecordRepository, SqlJobQueue]]:
    engine = create_db_engine(engine_url)
    upgrade(engine)
    yield SqlRecordRepository(engine), SqlJobQueue(engine)
    engine.dispose()


@pytest.fixture
def repo(repo_and_jobs: tuple[SqlRecordRepository, SqlJobQueue]) -> SqlRecordRepository:
    return repo_and_jobs[0]


@pytest.fixture
def jobs(repo_and_jobs: tuple[SqlRecordRepository, SqlJobQueue]) -> SqlJobQueue:
    return repo_and_jobs[1]


NOW = datetime(2025, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)


def make_record(
    *,
    agency: str = "UBND-HG",
    classification: Classification = Classification.ORDINARY,
    public: bool = False,
    grants: tuple[str, ...] = (),
    sha: str | None = None,
) -> Record:
    record_id = str(uuid.uuid4())
    return Record(
        id=record_id,
        agency_code=agency,
        fonds_id=default_fonds_id(agency),
        metadata=RecordMetadata(
            document_type="Quyết định",
            number="123",
            notation="QĐ-UBND",
            issuing_agency_code=agency,
            issuing_agency_name="Ủy ban nhân dân tỉnh Hà Giang",
            issue_date=date(2024, 3, 15),
            subject="Về việc áp dụng chữ ký số",
            signer_name="Nguyễn Văn An",
            signer_position="Chủ tịch",
            direction=Direction.INCOMING,
            issue_place="Hà Giang",
            recipients=("Sở Nội vụ", "Văn phòng UBND tỉnh"),
            urgency=Urgency.FLASH,
            classification=classification,
            page_count=2,
            arrival_number="45",
            arrival_date=date(2024, 3, 16),
            due_date=date(2024, 4, 1),
            is_public=public,
            retention_code="QD-70",
            languages=("01", "02"),
            type_name="02",
            mode="03" if classification else "01" if public else "02",
            keyword="chữ ký số",
            infor_sign="TT-1",
            autograph="Đồng ý",
            physical_format="02",
            process=True,
            description="Bản chính",
            issued_amount=5,
        ),
        file=StoredFile(
            storage_key=f"records/{record_id[:2]}/{record_id}",
            sha256=sha or uuid.uuid4().hex * 2,
            size=1234,
            media_type="application/pdf",
            original_filename="quyết định.pdf",
            version_id="v1",
        ),
        created_at=NOW,
        updated_at=NOW,
        grants=grants,
        pages=(
            Page(1, "Trang một chữ ký số", TextSource.TEXT_LAYER),
            Page(2, "Trang hai", TextSource.OCR, 91.5),
        ),
        confidence_level="03",
    )


def test_round_trip_keeps_every_field(repo: SqlRecordRepository) -> None:
    record = make_record(grants=("agency:SNV", "user:alice"))
    repo.add(record)
    loaded = repo.get(record.id, UNRESTRICTED)
    assert loaded == record
    assert loaded is not None and loaded.pages == record.pages


def test_same_bytes_twice_in_one_agency_is_a_duplicate(repo: SqlRecordRepository) -> None:
    first = make_record(sha="a" * 64)
    repo.add(first)
    with pytest.raises(DuplicateRecord) as caught:
        repo.add(make_record(sha="a" * 64))
    assert caught.value.existing_id == first.id
    # The same signed PDF is the outgoing record of one agency and the incoming one of another.
    repo.add(make_record(sha="a" * 64, agency="SNV"))
    assert repo.count(UNRESTRICTED) == 2


def test_one_copy_of_the_same_bytes_per_classification(repo: SqlRecordRepository) -> None:
    """A depositor who may not read the classified copy archives its own (issue 10)."""
    secret = make_record(sha="b" * 64, classification=Classification.CONFIDENTIAL)
    repo.add(secret)
    ordinary_clerk = ReadScope.for_principal(
        Principal(subject="clerk", roles=frozenset({Role.CLERK}), agencies=frozenset({"UBND-HG"}))
    )
    assert repo.find_by_sha256("UBND-HG", "b" * 64, ordinary_clerk) is None
    found = repo.find_by_sha256("UBND-HG", "b" * 64)
    assert found is not None and found.id == secret.id
    own = make_record(sha="b" * 64)
    repo.add(own)
    found = repo.find_by_sha256("UBND-HG", "b" * 64, ordinary_clerk)
    assert found is not None and found.id == own.id
    with pytest.raises(DuplicateRecord) as caught:
        repo.add(make_record(sha="b" * 64))
    assert caught.value.existing_id == own.id
    assert repo.count(UNRESTRICTED) == 2


def test_add_writes_the_processing_job_in_the_same_transaction(
    repo: SqlRecordRepository, jobs: SqlJobQueue
) -> None:
    record = make_record()
    repo.add(record)
    job = jobs.for_record(record.id)
    assert job is not None and job.status is JobStatus.PENDING and job.steps_done == ()
    with pytest.raises(DuplicateRecord):
        repo.add(dataclasses.replace(make_record(sha=record.file.sha256), agency_code=record.agency_code))
    assert sum(jobs.counts().values()) == 1


def reader(
    *agencies: str, clearance: Classification = Classification.ORDINARY, subject: str = "bob"
) -> ReadScope:
    return ReadScope.for_principal(
        Principal(
            subject=subject, roles=frozenset({Role.READER}), agencies=frozenset(agencies), clearance=clearance
        )
    )


def test_scope_decides_what_get_returns(repo: SqlRecordRepository) -> None:
    secret = make_record(classification=Classification.CONFIDENTIAL)
    public = make_record(agency="OTHER", public=True)
    granted = make_record(agency="OTHER", grants=("user:bob",))
    foreign = make_record(agency="OTHER")
    for r in (secret, public, granted, foreign):
        repo.add(r)
    anonymous = ReadScope.for_principal(Principal(subject="anonymous", anonymous=True))
    assert set(repo.get_many([r.id for r in (secret, public, granted, foreign)], anonymous)) == {public.id}
    bob = reader("UBND-HG")
    assert repo.get(secret.id, bob) is None
    assert repo.get(public.id, bob) is not None
    assert repo.get(granted.id, bob) is not None
    assert repo.get(foreign.id, bob) is None
    cleared = reader("UBND-HG", clearance=Classification.SECRET)
    assert repo.get(secret.id, cleared) is not None
    assert repo.count(bob) == 2
    assert repo.count(UNRESTRICTED) == 4


def test_set_pages_replaces_text_and_bumps_row_version(repo: SqlRecordRepository) -> None:
    record = make_record()
    repo.add(record)
    updated = repo.set_pages(record.id, [Page(1, "mới", TextSource.OCR, 88.0)], TextStatus.OCR_DONE)
    assert updated.row_version == record.row_version + 1
    assert updated.pages == (Page(1, "mới", TextSource.OCR, 88.0),)
    assert updated.text_status is TextStatus.OCR_DONE
    assert updated.confidence_level == "02"  # every page OCR'd now (it was mixed)
    waiting = repo.set_pages(record.id, [Page(1, "x", TextSource.TEXT_LAYER)], TextStatus.PENDING_OCR)
    assert waiting.confidence_level is None  # some pages still wait for OCR


def test_iter_all_visits_every_record_once_across_batches(repo: SqlRecordRepository) -> None:
    records = [make_record() for _ in range(7)]
    for r in records:
        repo.add(r)
    seen = [r.id for r in repo.iter_all(batch_size=3)]
    assert sorted(seen) == sorted(r.id for r in records)


def test_versions_and_storage_keys_stream_sorted_in_keyset_pages(repo: SqlRecordRepository) -> None:
    records = [make_record() for _ in range(7)]
    for r in records:
        repo.add(r)
    fetched: list[int] = []

    def count_rows(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        if "ORDER BY" in statement and "LIMIT" in statement:
            fetched.append(-1)  # one page query; its rows are counted as they are read below

    sa.event.listen(repo.engine, "after_cursor_execute", count_rows)
    try:
        versions = list(repo.iter_versions(batch_size=3))
        pages_for_versions = len(fetched)
        keys = list(repo.iter_storage_keys(batch_size=3))
    finally:
        sa.event.remove(repo.engine, "after_cursor_execute", count_rows)
    assert versions == sorted((r.id, 1) for r in records)
    assert keys == sorted((r.file.storage_key, r.id) for r in records)
    # 7 rows in pages of 3: three queries per stream (versions; the records' main keys and
    # the record files' keys, merged, each key once), so no query ever read more than a page.
    assert pages_for_versions == 3 and len(fetched) == 3 + 3 + 3


def test_jobs_lease_retry_and_park(repo: SqlRecordRepository, jobs: SqlJobQueue) -> None:
    record = make_record()
    repo.add(record)
    job = jobs.claim("w1", lease=timedelta(minutes=5))
    assert job is not None and job.record_id == record.id and job.attempts == 1
    assert jobs.claim("w2", lease=timedelta(minutes=5)) is None  # leased
    # A crashed worker's lease expires and the job comes back.
    later = datetime.now(UTC) + timedelta(minutes=6)
    again = jobs.claim("w2", lease=timedelta(minutes=5), now=later)
    assert again is not None and again.id == job.id and again.attempts == 2
    # The first worker wakes up after losing its lease: nothing it reports may stick.
    jobs.step_done(job.id, Step.SEAL, worker_id="w1")
    assert jobs.fail(job.id, "stale", worker_id="w1") is None
    jobs.complete(job.id, worker_id="w1")
    held = jobs.for_record(record.id)
    assert held is not None
    assert (held.status, held.leased_by, held.steps_done, held.last_error) == (
        JobStatus.RUNNING,
        "w2",
        (),
        None,
    )
    jobs.step_done(job.id, Step.SEAL, worker_id="w2")
    failed = jobs.fail(job.id, "boom", worker_id="w2")
    assert failed is not None and failed.status is JobStatus.PENDING and failed.run_after > datetime.now(UTC)
    assert failed.steps_done == (Step.SEAL,)
    for attempt in range(3, 6):
        claimed = jobs.claim(
            "w3", lease=timedelta(minutes=5), now=datetime.now(UTC) + timedelta(days=attempt)
        )
        assert claimed is not None and claimed.attempts == attempt
        jobs.fail(claimed.id, f"boom {attempt}", worker_id="w3")
    parked = jobs.for_record(record.id)
    assert parked is not None and parked.status is JobStatus.FAILED and parked.last_error == "boom 5"
    assert jobs.claim("w4", lease=timedelta(minutes=5), now=datetime.now(UTC) + timedelta(days=30)) is None
    retried = jobs.retry(job.id)
    assert retried is not None and retried.status is JobStatus.PENDING and retried.attempts == 0


def test_concurrent_workers_never_take_the_same_job(repo: SqlRecordRepository, jobs: SqlJobQueue) -> None:
    for _ in range(30):
        repo.add(make_record())
    taken: list[int] = []
    lock = threading.Lock()

    def work(name: str) -> None:
        while (job := jobs.claim(name, lease=timedelta(minutes=5))) is not None:
            with lock:
                taken.append(job.id)

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(taken) == 30
    assert len(set(taken)) == 30


def test_get_many_can_leave_the_page_text_out(repo: SqlRecordRepository) -> None:
    record = make_record(grants=("agency:SNV",))
    repo.add(record)
    light = repo.get_many([record.id], UNRESTRICTED, with_pages=False)[record.id]
    assert light.pages == ()
    assert light.grants == record.grants
    assert light == record  # pages do not take part in equality: everything else is there
