"""Elasticsearch goes away while documents are deposited, and comes back.

Deposits never touch the search index, so all are accepted; the worker seals,
verifies and extracts them meanwhile, gives each job back when its index step
finds the engine down (without spending an attempt), and indexes them all once
the engine answers again.
"""

from __future__ import annotations

import asyncio
import logging

import httpx
import pytest

from archive.domain.jobs import JobStatus, Step
from archive.services.container import Services
from archive.services.worker import WorkerState, WorkerStatus
from tests.outage.support import all_done, documents, eventually, jobs_of
from tests.outage.switch import Switch
from tests.support.graphql import SEARCH, api_client, deposited_id, gql, metadata

pytestmark = [pytest.mark.postgres, pytest.mark.elasticsearch, pytest.mark.s3, pytest.mark.slow]

COUNT = 50
# The claim is that the worker resumes by itself and every document becomes searchable
# once, with no restart and no attempt spent: a bound, not a speed target (those live in
# the benchmarks). On a quiet machine it takes ~6 s (the backoff up to
# ARCHIVE_WORKER_RETRY_CAP_SECONDS, then ~0.1 s a job); with CI's load beside it, up to ~11 s.
BACK_IN = 60.0


async def test_documents_deposited_while_elasticsearch_is_down_are_each_searchable_once_after_it_returns(
    outage_services: Services, worker: WorkerStatus, switch: Switch, caplog: pytest.LogCaptureFixture
) -> None:
    services = outage_services
    caplog.set_level(logging.WARNING, logger="archive.services.worker")
    switch.stop("elasticsearch")
    async with api_client(services) as client:
        ids = {await deposited_id(client, pdf, metadata(str(n))) for n, pdf in enumerate(documents(COUNT))}
        assert len(ids) == COUNT  # every deposit accepted while the engine was down

        # The worker does all it can meanwhile: everything but the index step.
        await eventually(lambda: _all_waiting_for_the_index(services), timeout=120)
        assert worker.state is WorkerState.DEGRADED
        assert worker.down == {"search_index": "SEARCH_UNAVAILABLE"}

        switch.start("elasticsearch")
        try:
            took = await eventually(lambda: _searchable_once(client, ids), timeout=BACK_IN, every=0.5)
        except TimeoutError:
            pending = [j for j in jobs_of(services) if j.status is not JobStatus.DONE]
            pytest.fail(f"{len(pending)} jobs not done {BACK_IN} s after the return: {pending[:3]}")

    await eventually(all_done(services, COUNT), timeout=10)
    jobs = jobs_of(services)
    assert len({j.record_id for j in jobs}) == COUNT  # one job per record
    assert {j.attempts for j in jobs} == {1}  # the outage spent no attempt
    assert worker.state is WorkerState.RUNNING and worker.down == {}
    # The outage is logged once going down and once coming back, not per retry.
    lines = [r.getMessage() for r in caplog.records if r.name == "archive.services.worker"]
    assert sum("search_index is unavailable" in line for line in lines) == 1, lines
    assert sum("search_index is available again" in line for line in lines) == 1, lines
    print(f"all {COUNT} searchable {took:.1f} s after Elasticsearch answered again")


async def _all_waiting_for_the_index(services: Services) -> bool:
    jobs = await asyncio.to_thread(jobs_of, services)
    return len(jobs) == COUNT and all(
        j.status is JobStatus.PENDING and Step.EXTRACT in j.steps_done and Step.INDEX not in j.steps_done
        for j in jobs
    )


async def _searchable_once(client: httpx.AsyncClient, ids: set[str]) -> bool:
    try:
        found = (await gql(client, SEARCH, q="chu ky so", filter=None))["search"]
    except AssertionError:
        return False  # still answering 503 while the node recovers its shards
    hits = [edge["node"]["id"] for edge in found["edges"]]
    return found["totalCount"] == COUNT and len(hits) == COUNT and set(hits) == ids
