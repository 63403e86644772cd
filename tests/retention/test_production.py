"""On the production stack (PostgreSQL, a real S3 server with Object Lock, Elasticsearch):
a sealed version cannot be deleted, overwritten or unlocked early; a held one cannot be
deleted even with a governance bypass; and a due record is purged end to end."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from minio.error import S3Error

from archive.domain.access import UNRESTRICTED
from archive.domain.disposition import ItemState
from archive.domain.errors import ObjectLocked
from archive.domain.ports import Retention, RetentionMode
from archive.domain.retention import RetentionRule, lock_until
from archive.factory import build_services
from archive.services import audit, disposition, holds, retention
from archive.services.container import Services
from tests.conftest import production_settings
from tests.contract.blob_fixtures import S3Server
from tests.retention.support import CHIEF, PLANNER, RM, archived, indexed_ids
from tests.support.db import engine_of

pytestmark = [pytest.mark.postgres, pytest.mark.elasticsearch, pytest.mark.s3]

CV_10 = RetentionRule("CV-10", "Công văn", 10, document_types=("Công văn",))


@pytest.fixture
async def production(tmp_path: Path, postgres_url: str) -> AsyncIterator[Services]:
    services = await asyncio.to_thread(build_services, production_settings(tmp_path / "data", postgres_url))
    await services.index.ensure_ready()
    try:
        yield services
    finally:
        await asyncio.to_thread(_empty_bucket, services)
        await services.close()


def raw(services: Services) -> S3Server:
    s = services.settings
    return S3Server(
        s.s3_endpoint, s.s3_access_key, s.s3_secret_key.get_secret_value(), s.s3_ca_file, s.s3_bucket
    )


def _empty_bucket(services: Services) -> None:
    """Lift holds and delete with a governance bypass: the test's locks are governance ones."""
    server = raw(services)
    client = server.raw_client()
    store = services.blobs
    for version in list(store.iter_versions()):  # type: ignore[attr-defined]
        if not version.delete_marker:
            client.disable_object_legal_hold(server.bucket, version.key, version.version_id)
        client._execute(  # minio has no single-version delete with the bypass header
            "DELETE",
            server.bucket,
            object_name=version.key,
            query_params={"versionId": version.version_id},
            headers={"x-amz-bypass-governance-retention": "true"},
        )
    client.remove_bucket(server.bucket)


async def test_a_sealed_version_is_refused_deletion_overwrite_and_shortening(production: Services) -> None:
    await asyncio.to_thread(retention.change_rules, production, RM, upserts=[CV_10])
    issued = production.clock().date() - timedelta(days=30)
    record = await archived(production, "1", issued=issued)
    key, version = record.file.storage_key, record.file.version_id
    lock = production.blobs.get_retention(key, version)
    assert lock is not None and lock.mode is RetentionMode.GOVERNANCE
    assert lock.until == lock_until(date(issued.year + 11, 1, 1))  # 1 January after the year, plus 10

    with pytest.raises(ObjectLocked):
        production.blobs.delete_all_versions(key)
    server = raw(production)
    with pytest.raises(S3Error) as refused:  # the server itself refuses, not just our adapter
        server.raw_client().remove_object(server.bucket, key, version_id=version)
    assert refused.value.code == "AccessDenied"
    with pytest.raises(ObjectLocked):
        production.blobs.put(key, io.BytesIO(b"other"), size=5, sha256="0" * 64, media_type="application/pdf")
    with pytest.raises(ObjectLocked):
        production.blobs.set_retention(
            key, version, Retention(RetentionMode.GOVERNANCE, lock.until - timedelta(days=365))
        )
    assert b"".join(production.blobs.iter_bytes(key, version_id=version))[:5] == b"%PDF-"
    assert production.blobs.version_ids(key) == (version,)


async def test_a_held_version_cannot_be_deleted_even_bypassing_governance(production: Services) -> None:
    record = await archived(production, "2", issued=date(2020, 1, 1), document_type="Quyết định")  # permanent
    key, version = record.file.storage_key, record.file.version_id
    assert production.blobs.get_legal_hold(key, version) is True
    server = raw(production)
    client = server.raw_client()
    with pytest.raises(S3Error):
        client._execute(
            "DELETE",
            server.bucket,
            object_name=key,
            query_params={"versionId": version or ""},
            headers={"x-amz-bypass-governance-retention": "true"},
        )
    with pytest.raises(ObjectLocked):
        production.blobs.delete_all_versions(key)
    assert production.blobs.version_ids(key) == (version,)


async def test_a_due_record_is_purged_end_to_end_and_a_held_one_is_not(production: Services) -> None:
    await asyncio.to_thread(retention.change_rules, production, RM, upserts=[CV_10])
    due = await archived(production, "3", issued=date(2012, 5, 5))
    held = await archived(production, "4", issued=date(2012, 6, 6))
    await asyncio.to_thread(
        holds.place_hold,
        production,
        RM,
        name="Thanh tra",
        reason="r",
        authority="TTr 2",
        record_ids=[held.id],
    )
    batch = await asyncio.to_thread(disposition.plan, production, PLANNER)
    assert batch is not None and [i.record_id for i in batch.items] == [due.id]
    await asyncio.to_thread(disposition.approve, production, CHIEF, batch.id, decision_ref="QĐ 3")
    with pytest.raises(disposition.InjectedCrash):
        await disposition.run(production, crash_after=ItemState.BLOBS_DELETED)
    report = await disposition.run(production)
    assert report.destroyed == [due.id]
    await production.index.refresh()
    assert production.records.get(due.id, UNRESTRICTED) is None
    assert production.blobs.version_ids(due.file.storage_key) == ()
    assert due.id not in await indexed_ids(production)
    tomb = production.disposition.tombstone_of(due.id)
    assert tomb is not None and tomb.version_ids == (due.file.version_id,)
    assert audit.find(production, action=disposition.DESTROY_ACTION, target=due.id) is not None
    assert production.records.get(held.id, UNRESTRICTED) is not None
    assert production.blobs.get_legal_hold(held.file.storage_key, held.file.version_id) is True


async def test_a_hold_that_commits_first_wins_over_a_purge_waiting_on_the_row_lock(
    production: Services,
) -> None:
    from sqlmodel import Session

    from archive.db.locking import lock_record
    from archive.db.retention_tables import HoldRecordRow

    await asyncio.to_thread(retention.change_rules, production, RM, upserts=[CV_10])
    record = await archived(production, "5", issued=date(2012, 7, 7))
    batch = await asyncio.to_thread(disposition.plan, production, PLANNER)
    assert batch is not None
    await asyncio.to_thread(disposition.approve, production, CHIEF, batch.id, decision_ref="QĐ 4")
    hold = await asyncio.to_thread(
        holds.place_hold, production, RM, name="late", reason="r", authority="a", record_ids=[]
    )
    today, now = production.clock().date(), production.clock()
    with Session(engine_of(production)) as session:
        assert lock_record(session, record.id) is not None  # the hold's transaction has the row
        start = asyncio.create_task(
            asyncio.to_thread(production.disposition.start, batch.id, record.id, today=today, now=now)
        )
        await asyncio.sleep(0.5)
        assert not start.done()  # the purge waits for the row lock
        session.add(HoldRecordRow(hold_id=hold.hold.id, record_id=record.id, added_by="rm", added_at=now))
        session.commit()
    assert await start is ItemState.SKIPPED
    report = await disposition.run(production)
    assert report.destroyed == []
    assert production.records.get(record.id, UNRESTRICTED) is not None
