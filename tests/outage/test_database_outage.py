"""PostgreSQL restarts under a running worker and a running API.

The worker retries every database call with backoff and finishes every job
exactly once; the API answers 503 with a code while the database is down and
works again, without a restart, once it is back.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx
import pytest

from archive.domain.jobs import JobStatus
from archive.services.container import Services
from archive.services.worker import WorkerState, WorkerStatus
from tests.outage.support import all_done, documents, eventually, jobs_of, table_counts
from tests.outage.switch import Switch
from tests.support.graphql import RECORD, SEARCH, api_client, deposit, deposited_id, metadata

pytestmark = [pytest.mark.postgres, pytest.mark.elasticsearch, pytest.mark.s3, pytest.mark.slow]

COUNT = 12


async def test_a_postgresql_restart_costs_no_job_and_the_api_answers_503_meanwhile(
    outage_services: Services, worker: WorkerStatus, switch: Switch, caplog: pytest.LogCaptureFixture
) -> None:
    services = outage_services
    caplog.set_level(logging.WARNING, logger="archive.services.worker")
    pdfs = documents(COUNT + 1)
    async with api_client(services) as client:
        ids = [await deposited_id(client, pdf, metadata(str(n))) for n, pdf in enumerate(pdfs[:COUNT])]
        await eventually(lambda: _some_done(services), timeout=60, every=0.05)  # the worker is mid-queue

        switch.stop("postgres")
        down = await _post(client, RECORD, id=ids[0])
        assert down.status_code == 503, down.text
        assert _codes(down) == ["DATABASE_UNAVAILABLE"]
        assert "Traceback" not in down.text and "psycopg" not in down.text
        # An API key is looked up in the database: the gate answers 503 too, not 401 or 500.
        keyed = await client.post(
            "/graphql", json={"query": "{ __typename }"}, headers={"x-api-key": f"ark_{'0' * 16}_{'a' * 43}"}
        )
        assert keyed.status_code == 503 and _codes(keyed) == ["DATABASE_UNAVAILABLE"], keyed.text
        alive = await client.post("/graphql", json={"query": "{ __typename }"})
        assert alive.status_code == 200  # what needs no database still works
        await eventually(lambda: _degraded(worker), timeout=20)
        switch.start("postgres")

        # The same app and engine, not rebuilt: the pool reconnects by itself.
        back = await _post(client, RECORD, id=ids[0])
        assert back.status_code == 200, back.text
        assert back.json()["data"]["record"]["id"] == ids[0]
        await eventually(all_done(services, COUNT), timeout=90)
        late = await deposit(client, pdfs[COUNT], metadata("late"))
        assert late["__typename"] == "DepositSuccess"
        await eventually(all_done(services, COUNT + 1), timeout=30)
        await services.index.refresh()
        hits = (await _post(client, SEARCH, q="chu ky so", filter=None)).json()["data"]["search"]

    jobs = jobs_of(services)
    assert table_counts(services) == {"records": COUNT + 1, "jobs": COUNT + 1}
    assert len({j.record_id for j in jobs}) == COUNT + 1 and all(j.status is JobStatus.DONE for j in jobs)
    assert hits["totalCount"] == COUNT + 1  # each record indexed once
    assert len({e["node"]["id"] for e in hits["edges"]}) == COUNT + 1
    assert worker.state is WorkerState.RUNNING and worker.restarts == 0
    lines = [r.getMessage() for r in caplog.records if r.name == "archive.services.worker"]
    assert sum("database is unavailable" in line for line in lines) == 1, lines
    assert sum("database is available again" in line for line in lines) == 1, lines


async def _some_done(services: Services) -> bool:
    jobs = await asyncio.to_thread(jobs_of, services)
    done = sum(j.status is JobStatus.DONE for j in jobs)
    return 0 < done < COUNT


async def _degraded(worker: WorkerStatus) -> bool:
    return worker.state is WorkerState.DEGRADED and worker.down.get("database") == "DATABASE_UNAVAILABLE"


async def _post(client: httpx.AsyncClient, query: str, **variables: Any) -> httpx.Response:
    return await client.post("/graphql", json={"query": query, "variables": variables})


def _codes(response: httpx.Response) -> list[str]:
    return [e["extensions"]["code"] for e in response.json()["errors"]]
