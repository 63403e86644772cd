"""``/livez`` and ``/readyz`` on both stacks: ready when every dependency is there,
503 naming the check when one is not. Each condition is made on this test's own
database, bucket, index or heartbeat, never by stopping a shared service."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
import urllib3
from elasticsearch import AsyncElasticsearch
from minio import Minio

from archive.db.engine import create_db_engine
from archive.db.migrate import SqlSchemaRevisions, head_revision
from archive.domain.audit import Outcome
from archive.domain.heartbeats import Heartbeat, WorkerKind
from archive.services.container import Services
from archive.services.worker import work_forever, worker_name
from tests.support.db import engine_of
from tests.support.graphql import api_client

CHECKS = {"database", "blob_store", "search_index", "worker", "audit"}


@contextlib.asynccontextmanager
async def embedded_worker(services: Services) -> AsyncIterator[None]:
    """The real worker loop, as ``archive serve`` runs it, in this process."""
    stop = asyncio.Event()
    task = asyncio.create_task(work_forever(services, stop, kind=WorkerKind.EMBEDDED))
    try:
        yield
    finally:
        stop.set()
        await task


async def readyz(client: httpx.AsyncClient) -> tuple[int, dict[str, Any]]:
    response = await client.get("/readyz")
    return response.status_code, response.json()


async def until_ready(client: httpx.AsyncClient) -> dict[str, Any]:
    for _ in range(100):
        status, body = await readyz(client)
        if status == 200:
            return body
        await asyncio.sleep(0.05)
    raise AssertionError(f"never ready: {body}")


def failed(body: dict[str, Any]) -> set[str]:
    return {name for name, check in body["checks"].items() if check["status"] == "fail"}


async def test_live_always_and_ready_when_everything_is_there(
    client: httpx.AsyncClient, services: Services
) -> None:
    for path in ("/livez", "/healthz"):
        response = await client.get(path)
        assert (response.status_code, response.json()) == (200, {"status": "ok"})
    async with embedded_worker(services):
        body = await until_ready(client)
    assert body["status"] == "ok"
    assert set(body["checks"]) == CHECKS
    assert failed(body) == set()
    assert body["checks"]["database"]["revision"] == head_revision()
    assert body["checks"]["worker"]["kind"] == "embedded"

    # The worker stopped cleanly and took its heartbeat with it.
    status, body = await readyz(client)
    assert status == 503 and body["status"] == "fail"
    assert failed(body) == {"worker"}
    assert "no heartbeat from the embedded worker" in body["checks"]["worker"]["error"]


async def test_a_stale_heartbeat_fails_the_worker_check(
    client: httpx.AsyncClient, services: Services
) -> None:
    window = services.settings.ready_heartbeat_window_seconds
    old = services.clock() - timedelta(seconds=window + 90)
    host, pid = os.uname().nodename, os.getpid()
    services.heartbeats.beat(Heartbeat(worker_name(), host, pid, WorkerKind.EMBEDDED, old))
    status, body = await readyz(client)
    assert status == 503
    assert failed(body) == {"worker"}
    error = body["checks"]["worker"]["error"]
    assert error.startswith(f"no heartbeat from the embedded worker within {window:g} s (last: ")
    age = float(error.rsplit("last: ", 1)[1].removesuffix(" s ago)"))
    assert window + 90 <= age < window + 90 + 30  # the beat's age, give or take a slow check


async def test_a_separate_worker_counts_when_no_embedded_worker_is_expected(services: Services) -> None:
    services.settings = services.settings.model_copy(update={"embedded_worker": False})
    async with api_client(services) as client:
        async with embedded_worker(services):  # an embedded beat does not stand in for a worker's
            status, body = await readyz(client)
            assert status == 503 and failed(body) == {"worker"}
            assert "no heartbeat from any worker" in body["checks"]["worker"]["error"]
        stop = asyncio.Event()
        task = asyncio.create_task(work_forever(services, stop, "other-host:4242"))
        try:
            body = await until_ready(client)
            assert body["checks"]["worker"]["kind"] == "worker"
        finally:
            stop.set()
            await task


async def test_a_database_behind_the_code_fails_the_database_check(
    client: httpx.AsyncClient, services: Services
) -> None:
    async with embedded_worker(services):
        await until_ready(client)
        with engine_of(services).begin() as connection:
            connection.execute(sa.text("UPDATE alembic_version SET version_num = '0005'"))
        status, body = await readyz(client)
    assert status == 503
    assert failed(body) == {"database"}
    assert body["checks"]["database"]["error"] == (
        f"database at revision 0005, code needs {head_revision()}: run archive migrate"
    )


async def test_a_missing_search_index_fails_its_check(
    client: httpx.AsyncClient, services: Services, stack: str
) -> None:
    async with embedded_worker(services):
        await until_ready(client)
        settings = services.settings
        if stack == "embedded":
            for suffix in ("", "-wal", "-shm"):
                with contextlib.suppress(FileNotFoundError):
                    os.remove(f"{settings.search_db_path}{suffix}")
        else:
            async with AsyncElasticsearch(settings.elasticsearch_url) as es:
                await es.indices.delete(index=f"{settings.elasticsearch_index}-v*")
        status, body = await readyz(client)
    assert status == 503
    assert failed(body) == {"search_index"}
    assert "does not exist" in body["checks"]["search_index"]["error"]


async def test_a_missing_blob_store_fails_its_check(
    client: httpx.AsyncClient, services: Services, stack: str
) -> None:
    async with embedded_worker(services):
        await until_ready(client)
        settings = services.settings
        if stack == "embedded":
            shutil.rmtree(settings.blob_dir)
        else:
            http = urllib3.PoolManager(ca_certs=str(settings.s3_ca_file or "") or None)
            s3 = Minio(
                settings.s3_endpoint,
                access_key=settings.s3_access_key,
                secret_key=settings.s3_secret_key.get_secret_value(),
                secure=settings.s3_secure,
                region=settings.s3_region,
                http_client=http,
            )
            s3.remove_bucket(settings.s3_bucket)  # this test's own, still empty
            http.clear()
        status, body = await readyz(client)
    assert status == 503
    assert failed(body) == {"blob_store"}
    assert "does not exist" in body["checks"]["blob_store"]["error"]


async def test_an_audit_head_without_its_entry_fails_the_audit_check(
    client: httpx.AsyncClient, services: Services
) -> None:
    services.audit.append(
        at=services.clock(), actor="test", action="probe.test", target="-", outcome=Outcome.OK
    )
    async with embedded_worker(services):
        await until_ready(client)
        with engine_of(services).begin() as connection:
            connection.execute(sa.text("UPDATE audit_head SET seq = seq + 5"))
        status, body = await readyz(client)
    assert status == 503
    assert failed(body) == {"audit"}
    assert "does not match it" in body["checks"]["audit"]["error"]


async def test_an_unreachable_database_fails_fast_without_its_password(
    client: httpx.AsyncClient, services: Services, stack: str
) -> None:
    if stack == "embedded":
        pytest.skip("an embedded SQLite file has no server to be unreachable or password to leak")
    url = engine_of(services).url.set(host="127.0.0.1", port=1)  # nothing listens on port 1
    unreachable = create_db_engine(url.render_as_string(hide_password=False))
    real, services.schema = services.schema, SqlSchemaRevisions(unreachable)
    try:
        status, body = await readyz(client)
    finally:
        unreachable.dispose()
        services.schema = real
    assert status == 503
    assert "database" in failed(body)
    assert url.password and url.password not in str(body)
    # The engine reports a lost server as the domain's DatabaseUnavailable, whose message is safe.
    assert body["checks"]["database"]["error"] == "the database is not reachable; try again shortly"


async def test_a_degraded_embedded_worker_fails_the_worker_check_despite_a_fresh_heartbeat(
    services: Services,
) -> None:
    """A worker that beats but finds a service it needs down is not ready to work."""
    from archive.domain.errors import SearchUnavailable
    from archive.observability.probes import Readiness
    from archive.services.worker import WorkerStatus

    now = services.clock()
    services.heartbeats.beat(
        Heartbeat(worker_name(), os.uname().nodename, os.getpid(), WorkerKind.EMBEDDED, now)
    )
    status = WorkerStatus()
    status.running()
    readiness = Readiness(services, embedded_worker_id=worker_name(), worker_status=status)
    try:
        checks = await readiness.check()
        assert checks["worker"].ok and checks["worker"].as_json()["state"] == "running"
        status.went_down(SearchUnavailable("the search index does not answer"))
        checks = await readiness.check()
        assert not checks["worker"].ok
        assert checks["worker"].as_json()["error"] == (
            "the embedded worker is degraded: search_index (SEARCH_UNAVAILABLE) down"
        )
        status.came_back(["search_index"])
        status.running()
        assert (await readiness.check())["worker"].ok
    finally:
        readiness.close()
