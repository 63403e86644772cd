"""A grant change and its index job are committed together, so the search index
follows the grant even when it is down at the moment of the change.

A revoke that reached the database but not the index would leave the former
grantee finding the record (hits, totals, facets) until an operator ran
``archive reconcile``; the index-only job makes the worker converge it instead.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import io
import logging
import socket
from datetime import UTC, datetime, timedelta

import pytest

from archive.app import DEV_ADMIN
from archive.domain.access import UNRESTRICTED, Principal, ReadScope, Role
from archive.domain.jobs import INDEX_KIND, PIPELINE, Job, JobStatus, Step
from archive.domain.query import parse_query
from archive.domain.records import Record, RecordMetadata
from archive.domain.search import Facets, SearchRequest, SearchResult
from archive.samples import SampleDocument, render_pdf
from archive.services.container import Services
from archive.services.deposit import deposit
from archive.services.grants import change_grant
from archive.services.worker import drain, run_one
from archive.settings import Settings
from indexing.search.elastic import ElasticsearchIndex
from tests.e2e.documents import metadata_for
from tests.support import hostile
from tests.support.graphql import api_client, gql, open_services

GRANTEE = Principal(subject="g1", roles=frozenset({Role.READER}))
REVOKE = """mutation($id: ID!, $g: String!) { revokeRecordAccess(recordId: $id, grantee: $g) {
  __typename ... on GrantSuccess { record { rowVersion } grantee } } }"""
PROCESSING = """query($id: ID!) { record(id: $id) { processing { status } } }"""


async def test_each_grant_change_writes_an_index_job_the_worker_runs(services: Services) -> None:
    """With the index up, search follows at once; the job is there all the same, runs
    only the INDEX step, and does not stand for the record's processing status."""
    record = await _processed_record(services)
    granted = await change_grant(services, DEV_ADMIN, record.id, "user:g1", present=True)
    assert await _grantee_total(services) == 1  # the immediate re-index, before any worker
    revoked = await change_grant(services, DEV_ADMIN, record.id, "user:g1", present=False)
    assert await _grantee_total(services) == 0
    unchanged = await change_grant(services, DEV_ADMIN, record.id, "user:g1", present=False)
    assert unchanged.row_version == revoked.row_version == granted.row_version + 1

    pending = _index_jobs(services, record.id)
    assert [j.status for j in pending] == [JobStatus.PENDING] * 2  # one per change, none for a no-op
    assert {j.steps_done for j in pending} == {tuple(s for s in PIPELINE if s is not Step.INDEX)}
    assert await _processing_status(services, record.id) == "done"  # still the deposit's job

    assert await drain(services) == 2
    assert [j.status for j in _index_jobs(services, record.id)] == [JobStatus.DONE] * 2
    await services.index.refresh()
    assert await _grantee_total(services) == 0
    versions = {rid: v async for rid, v in services.index.get_versions()}
    assert versions == {record.id: revoked.row_version}


PRODUCTION = pytest.param(
    "production", id="production", marks=[pytest.mark.postgres, pytest.mark.elasticsearch, pytest.mark.s3]
)


@pytest.mark.parametrize("stack", [PRODUCTION], indirect=True)  # the outage is of Elasticsearch
async def test_a_revoke_while_the_index_is_down_is_indexed_by_the_worker(
    services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    """The revoke goes through a second set of services whose index points at a closed
    port (the shared Elasticsearch keeps running); the caller is told it succeeded,
    and the worker, on the real index, takes the record from the former grantee."""
    assert services.settings.search_backend == "elasticsearch"
    caplog.set_level(logging.WARNING, logger="archive.services.grants")
    record = await _processed_record(services)
    granted = await change_grant(services, DEV_ADMIN, record.id, "user:g1", present=True)
    assert await _grantee_total(services) == 1
    assert await drain(services) == 1  # the grant's own job, so only the revoke's is left

    down_index = ElasticsearchIndex(
        f"http://127.0.0.1:{_closed_port()}", index=services.settings.elasticsearch_index
    )
    # Same database and bucket; a long worker backoff, so the given-back job is surely not due below.
    patient = {"worker_retry_base_seconds": 60.0, "worker_retry_cap_seconds": 60.0}
    down = dataclasses.replace(
        services, index=down_index, settings=services.settings.model_copy(update=patient)
    )
    try:
        async with api_client(down) as client:
            answer = await gql(client, REVOKE, id=_global_id(record.id), g="user:g1")
        # A worker that meets the same outage gives the job back for later, its attempt refunded.
        assert await run_one(down, "w-down") is not None
    finally:
        await down_index.close()
    warned = [r.getMessage() for r in caplog.records if r.name == "archive.services.grants"]
    assert any("search index is down" in line for line in warned), warned  # the fast path failed
    assert answer["revokeRecordAccess"] == {
        "__typename": "GrantSuccess",
        "record": {"rowVersion": granted.row_version + 1},
        "grantee": "user:g1",
    }

    stored = await asyncio.to_thread(services.records.get, record.id, UNRESTRICTED)
    assert stored is not None and stored.grants == () and stored.row_version == granted.row_version + 1
    (job,) = [j for j in _index_jobs(services, record.id) if j.status is JobStatus.PENDING]
    assert (job.attempts, job.leased_by) == (0, None)
    assert job.last_error is not None and job.last_error.startswith("SEARCH_UNAVAILABLE:")
    assert job.run_after > services.clock()  # its backoff: not due yet
    stale = await _grantee_search(services)
    assert stale.total == 1  # the gap this job closes: the index still holds the grant
    assert await drain(services) == 0

    services.clock = lambda: datetime.now(UTC) + timedelta(hours=2)  # past any backoff
    assert await drain(services) == 1
    assert _index_jobs(services, record.id)[-1].status is JobStatus.DONE
    await services.index.refresh()
    after = await _grantee_search(services)
    assert (after.total, after.hits, after.facets) == (0, (), Facets())
    versions = {rid: v async for rid, v in services.index.get_versions()}
    assert versions == {record.id: granted.row_version + 1}


async def _processed_record(services: Services) -> Record:
    doc = SampleDocument(number="7", subject="Về việc áp dụng chữ ký số")
    record = await asyncio.to_thread(
        deposit,
        services,
        DEV_ADMIN,
        io.BytesIO(render_pdf(doc)),
        filename="a.pdf",
        metadata=metadata_for(doc),
    )
    assert await drain(services) == 1
    await services.index.refresh()
    return record


async def _grantee_search(services: Services) -> SearchResult:
    """What the index answers the grantee, before any check against the database."""
    request = SearchRequest(query=parse_query("chu ky so"), scope=ReadScope.for_principal(GRANTEE))
    return await services.index.search(request)


async def _grantee_total(services: Services) -> int:
    return (await _grantee_search(services)).total


def _index_jobs(services: Services, record_id: str) -> list[Job]:
    jobs = [j for j in services.jobs.list(limit=100) if j.record_id == record_id and j.kind == INDEX_KIND]
    return sorted(jobs, key=lambda j: j.id)


async def _processing_status(services: Services, record_id: str) -> str:
    async with api_client(services) as client:
        found = await gql(client, PROCESSING, id=_global_id(record_id))
    return str(found["record"]["processing"]["status"])


def _global_id(record_id: str) -> str:
    return base64.urlsafe_b64encode(f"Record:{record_id}".encode()).decode()


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_a_pending_index_job_does_not_hold_back_an_ocr_requeue(stack_settings: Settings) -> None:
    """The OCR backlog skips records with an open job; a grant's re-index extracts
    nothing, so a PENDING_OCR record with one still gets its extraction."""
    settings = stack_settings.model_copy(update={"ocr_enabled": False})
    scan = hostile.scanned_pdf(settings.data_dir.parent / "scan.pdf", dpi=100)
    async with open_services(settings) as services:
        record = await asyncio.to_thread(
            deposit, services, DEV_ADMIN, io.BytesIO(scan.read_bytes()), filename="scan.pdf", metadata=_meta()
        )
        assert await drain(services) == 1
        await change_grant(services, DEV_ADMIN, record.id, "user:g1", present=True)
        assert [j.status for j in _index_jobs(services, record.id)] == [JobStatus.PENDING]
        requeued = await asyncio.to_thread(services.ocr_backlog.requeue, now=services.clock(), max_attempts=5)
        assert requeued == [record.id]


def _meta() -> RecordMetadata:
    return metadata_for(SampleDocument(number="8", subject="Về việc lưu trữ hồ sơ"))
