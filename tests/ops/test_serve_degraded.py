"""``archive serve`` starts while a dependency is down: live at once, not ready (naming
the dependency), typed 503s for what needs it, and ready without a restart once it
answers. The outage is a closed loopback port; the shared services are never stopped.
Recovery: a small TCP proxy starts listening on that port and forwards to the real
Elasticsearch or S3 server, so the same app sees the index or the bucket come up."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from starlette.applications import Starlette

from archive.app import create_app
from archive.settings import Settings
from tests.conftest import ES_ENV, S3_ENV, production_settings
from tests.support.gql import post_deposit
from tests.support.graphql import SEARCH, metadata
from tests.support.hostile import write_sample_pdf

FAST_RETRIES = {"worker_retry_base_seconds": 0.05, "worker_retry_cap_seconds": 0.2}


def closed_port() -> int:
    """A loopback port nothing listens on (bound once by us, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.asynccontextmanager
async def served(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    """The app with its lifespan run, as uvicorn would, and a client on it."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as client:
            yield client


async def readyz(client: httpx.AsyncClient) -> tuple[int, dict[str, Any]]:
    response = await client.get("/readyz")
    return response.status_code, response.json()


def failed(body: dict[str, Any]) -> set[str]:
    return {name for name, check in body["checks"].items() if check["status"] == "fail"}


async def failing_checks_settle(client: httpx.AsyncClient, expected: set[str]) -> dict[str, Any]:
    """The body once the failing checks are exactly ``expected`` (the worker check aside:
    these apps run no embedded worker, so it always fails)."""
    body: dict[str, Any] = {}
    for _ in range(200):
        status, body = await readyz(client)
        assert status == 503
        if failed(body) - {"worker"} == expected:
            return body
        await asyncio.sleep(0.05)
    raise AssertionError(f"failing checks never became {expected}: {body}")


@contextlib.asynccontextmanager
async def forwarding(port: int, target: tuple[str, int]) -> AsyncIterator[None]:
    """Listen on ``port`` and pipe every connection to ``target``: the service "comes up"."""

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.close()

    async def connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection(*target)
        await asyncio.gather(pipe(reader, upstream_writer), pipe(upstream_reader, writer))

    server = await asyncio.start_server(connect, "127.0.0.1", port)
    try:
        yield
    finally:
        server.close()


def down_settings(tmp_path: Path, postgres_url: str, **down: str) -> Settings:
    """The real services' settings, with the servers ``down`` names pointed elsewhere."""
    settings = production_settings(tmp_path / "data", postgres_url, embedded_worker=False, **FAST_RETRIES)
    return settings.model_copy(update=down)


async def test_serve_starts_with_s3_and_elasticsearch_down_and_answers_typed_503s(
    tmp_path: Path, postgres_url: str
) -> None:
    dead = closed_port()
    settings = down_settings(
        tmp_path, postgres_url, s3_endpoint=f"127.0.0.1:{dead}", elasticsearch_url=f"http://127.0.0.1:{dead}"
    )
    async with served(create_app(settings)) as client:
        live = await client.get("/livez")
        assert (live.status_code, live.json()) == (200, {"status": "ok"})
        body = await failing_checks_settle(client, {"blob_store", "search_index"})
        assert body["status"] == "fail"
        assert body["checks"]["database"]["status"] == "ok"  # migrated at start (development mode)

        search = await client.post("/graphql", json={"query": SEARCH, "variables": {"q": "x"}})
        assert search.status_code == 503, search.text
        assert search.headers["retry-after"]
        assert [e["extensions"]["code"] for e in search.json()["errors"]] == ["SEARCH_UNAVAILABLE"]

        pdf = write_sample_pdf(tmp_path / "a.pdf").read_bytes()
        deposit = await post_deposit(client, pdf, metadata("12"))
        assert deposit.status_code == 503, deposit.text
        assert [e["extensions"]["code"] for e in deposit.json()["errors"]] == ["STORAGE_UNAVAILABLE"]
        assert str(dead) not in deposit.text and "Traceback" not in deposit.text


async def test_serve_starts_in_development_with_the_database_down(tmp_path: Path, postgres_url: str) -> None:
    dead = closed_port()
    database_url = postgres_url.replace(str(urlsplit(postgres_url).port), str(dead), 1)
    settings = down_settings(tmp_path, database_url)
    async with served(create_app(settings)) as client:
        assert (await client.get("/livez")).status_code == 200
        body = await failing_checks_settle(client, {"database", "audit"})
        assert body["checks"]["blob_store"]["status"] == "ok"
        rules = await client.post("/graphql", json={"query": "{ retentionRules { __typename } }"})
        assert rules.status_code == 503, rules.text
        assert [e["extensions"]["code"] for e in rules.json()["errors"]] == ["DATABASE_UNAVAILABLE"]


async def test_the_index_is_created_in_the_background_once_elasticsearch_answers(
    tmp_path: Path, postgres_url: str
) -> None:
    if not os.environ.get(ES_ENV):
        pytest.skip(f"{ES_ENV} not set: run scripts/test to start the real services")
    real = urlsplit(os.environ[ES_ENV])
    assert real.hostname is not None and real.port is not None
    port = closed_port()
    settings = down_settings(tmp_path, postgres_url, elasticsearch_url=f"http://127.0.0.1:{port}")
    async with served(create_app(settings)) as client:
        await failing_checks_settle(client, {"search_index"})
        async with forwarding(port, (real.hostname, real.port)):
            # No restart: the start-up step retried in the background creates the index.
            body = await failing_checks_settle(client, set())
            assert body["checks"]["search_index"]["status"] == "ok"
            search = await client.post("/graphql", json={"query": SEARCH, "variables": {"q": "x"}})
            assert search.status_code == 200, search.text
            assert search.json()["data"]["search"]["totalCount"] == 0


async def test_the_bucket_is_created_in_the_background_once_the_s3_server_answers(
    tmp_path: Path, postgres_url: str
) -> None:
    real = os.environ.get(S3_ENV)
    if not real:
        pytest.skip(f"{S3_ENV} not set: run scripts/test to start the real services")
    host, _, real_port = real.rpartition(":")
    port = closed_port()
    settings = down_settings(tmp_path, postgres_url, s3_endpoint=f"127.0.0.1:{port}")
    async with served(create_app(settings)) as client:
        await failing_checks_settle(client, {"blob_store"})
        # TLS passes through the proxy untouched: the certificate is the real server's.
        async with forwarding(port, (host, int(real_port))):
            body = await failing_checks_settle(client, set())
            assert body["checks"]["blob_store"]["status"] == "ok"
