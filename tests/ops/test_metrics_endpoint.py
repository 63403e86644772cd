"""``/metrics`` on both stacks: off unless configured, closed without the token, and
the figures move with deposits, processing, searches, downloads and refusals. One
test scrapes counters written by separate ``archive worker`` processes."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr

from archive.domain.audit import Outcome
from archive.samples import SampleDocument, render_pdf
from archive.services.container import Services
from archive.services.worker import drain
from archive.settings import Settings
from tests.support import hostile
from tests.support.graphql import api_client, deposited_id, fetch, gql, metadata, open_services, settings_env
from tests.support.signing import make_pki, sign_pdf

TOKEN = "metrics-token-for-tests-0123456789"
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]

SEARCH = 'query Search { search(query: "chu ky so", first: 5) { totalCount } }'
DOWNLOAD = "query Download($id: ID!) { record(id: $id) { download { url } } }"


@pytest.fixture
async def metered(stack_settings: Settings) -> AsyncIterator[Services]:
    settings = stack_settings.model_copy(update={"metrics_token": SecretStr(TOKEN), "extract_max_pages": 1})
    async with open_services(settings) as built:
        yield built


@pytest.fixture
async def http(metered: Services) -> AsyncIterator[httpx.AsyncClient]:
    async with api_client(metered) as client:
        yield client


async def scrape(client: httpx.AsyncClient) -> Samples:
    response = await client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=")
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_metrics_are_off_unless_a_token_is_configured(client: httpx.AsyncClient) -> None:
    assert (await client.get("/metrics")).status_code == 404


async def test_metrics_need_the_token(http: httpx.AsyncClient) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}, {"X-Api-Key": TOKEN}):
        response = await http.get("/metrics", headers=headers)
        assert response.status_code == 401, headers
        assert TOKEN not in response.text
    assert "archive_jobs" in (await http.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})).text


async def test_counters_move_with_the_main_job(
    http: httpx.AsyncClient, metered: Services, stack: str, tmp_path: Path
) -> None:
    before = await scrape(http)
    assert value(before, "archive_jobs", state="pending") == 0
    assert value(before, "archive_last_backup_timestamp_seconds") == 0

    pki = make_pki()
    signed = await asyncio.to_thread(sign_pdf, render_pdf(SampleDocument()), pki.signer, pki)
    record_id = await deposited_id(http, signed, metadata("501"))
    two_pages = render_pdf(SampleDocument(number="502", pages=2))  # past extract_max_pages=1
    await deposited_id(http, two_pages, metadata("502"))
    deposited = await scrape(http)
    assert value(deposited, "archive_jobs", state="pending") == 2
    assert value(deposited, "archive_oldest_pending_job_age_seconds") >= 0
    assert value(deposited, "archive_graphql_operation_seconds_count", operation="Deposit") == 2

    assert await drain(metered) == 2
    await metered.index.refresh()
    processed = await scrape(http)
    assert value(processed, "archive_jobs", state="pending") == 0
    assert value(processed, "archive_jobs", state="done") == 2
    assert value(processed, "archive_signature_verdicts_total", verdict="untrusted") == 1  # no trust roots
    assert value(processed, "archive_extraction_limit_hits_total", kind="page_cap") == 1

    assert (await gql(http, SEARCH))["search"]["totalCount"] == 2
    url = (await gql(http, DOWNLOAD, id=record_id))["record"]["download"]["url"]
    assert await fetch(http, url) == signed
    refused = await http.post("/graphql", json={"query": "{ nope }"})
    assert refused.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    bad = await http.post("/graphql", json={"query": "{ __typename }"}, headers={"X-API-Key": "ark_bad"})
    assert bad.status_code == 401
    now = metered.clock()
    metered.audit.append(at=now, actor="cli", action="backup.run", target="/b", outcome=Outcome.OK)

    after = await scrape(http)
    searches = value(processed, "archive_search_seconds_count")
    assert value(after, "archive_search_seconds_count") == searches + 1
    assert value(after, "archive_graphql_operation_seconds_count", operation="Search") == 1
    assert value(after, "archive_downloads_total", stage="issued") == 1
    # Presigned S3 links are served by the S3 server; only the token route is ours to count.
    assert value(after, "archive_downloads_total", stage="served") == (1 if stack == "embedded" else 0)
    assert value(after, "archive_graphql_refusals_total", code="GRAPHQL_VALIDATION_FAILED") == 1
    assert value(after, "archive_graphql_refusals_total", code="UNAUTHENTICATED") == 1
    assert value(after, "archive_last_backup_timestamp_seconds") == pytest.approx(now.timestamp(), abs=0.01)
    assert value(after, "archive_fixity_mismatches", kind="changed") == 0
    assert value(after, "archive_disposition_items", state="done") == 0


@pytest.mark.tesseract
@pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract is not installed")
async def test_ocr_pages_are_counted_and_timed(
    http: httpx.AsyncClient, metered: Services, tmp_path: Path
) -> None:
    scan = hostile.scanned_pdf(tmp_path / "scan.pdf", SampleDocument(), dpi=200)
    await deposited_id(http, scan.read_bytes(), metadata("511"), name="scan.pdf")
    assert await drain(metered) == 1
    samples = await scrape(http)
    assert value(samples, "archive_ocr_pages_total") == 1
    assert value(samples, "archive_ocr_page_seconds_count") == 1
    assert 0 < value(samples, "archive_ocr_page_seconds_sum") < metered.settings.extract_wall_seconds


async def test_separate_worker_processes_report_through_the_multiprocess_directory(
    http: httpx.AsyncClient, metered: Services, stack: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if stack != "embedded":
        pytest.skip("the multiprocess files are the same on both stacks; the embedded one is quicker")
    pki = make_pki()
    for number in ("521", "522"):
        pdf = await asyncio.to_thread(sign_pdf, render_pdf(SampleDocument(number=number)), pki.signer, pki)
        await deposited_id(http, pdf, metadata(number))
    directory = tmp_path / "prometheus"
    directory.mkdir()
    env = {**os.environ, **settings_env(metered.settings), "PROMETHEUS_MULTIPROC_DIR": str(directory)}
    worker = [str(Path(sys.executable).with_name("archive")), "worker", "--processes", "2", "--once"]
    subprocess.run(worker, env=env, check=True, timeout=300, capture_output=True)
    assert len(list(directory.glob("counter_*.db"))) >= 2  # one file per process that counted

    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(directory))
    samples = await scrape(http)
    assert value(samples, "archive_signature_verdicts_total", verdict="untrusted") == 2
    assert value(samples, "archive_jobs", state="done") == 2
