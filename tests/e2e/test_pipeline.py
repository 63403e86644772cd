"""The worker's pipeline, seen through GraphQL: a deposit answers at once with status
pending, the worker takes the record to done; signatures are verified and filterable;
thumbnails come back as data URLs; a crashed service is retried, a scan without OCR
waits for it."""

from __future__ import annotations

import asyncio
import base64
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from archive.domain.jobs import JobStatus
from archive.samples import SampleDocument, render_pdf
from archive.services.container import Services
from archive.services.maintenance import rebuild_index
from archive.services.worker import drain, run_one
from archive.settings import Settings
from indexing.search.elastic import ElasticsearchIndex
from tests.support import hostile
from tests.support.graphql import (
    api_client,
    deposit,
    deposited_id,
    fetch,
    metadata,
    open_services,
    record,
    search_ids,
)
from tests.support.signing import (
    add_receipt_stamp,
    flip_signed_byte,
    make_pki,
    replace_page_content,
    sign_pdf,
    write_trust_roots,
)

ALL_STEPS = ["seal", "verify", "extract", "index"]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


async def test_deposit_returns_pending_then_the_worker_takes_it_to_done(services: Services) -> None:
    pdf = render_pdf(SampleDocument(pages=2))
    async with api_client(services) as client:
        result = await deposit(client, pdf, metadata("7"))
        assert result["__typename"] == "DepositSuccess", result
        assert result["record"]["processing"] == {"status": "pending", "stepsDone": []}
        assert result["record"]["textStatus"] == "PENDING"
        record_id = result["record"]["id"]
        before = await record(client, record_id)
        assert before["signatureStatus"] == {"verified": False, "signed": False, "allValid": False}
        assert before["thumbnails"] == []

        assert await drain(services) == 1
        await services.index.refresh()

        after = await record(client, record_id)
        assert after["processing"] == {
            "status": "done",
            "stepsDone": ALL_STEPS,
            "attempts": 1,
            "error": None,
            "limitHit": None,
        }
        assert after["textStatus"] == "EXTRACTED"
        assert after["signatureStatus"] == {"verified": True, "signed": False, "allValid": False}
        assert after["signatures"] == []
        [thumbnail] = after["thumbnails"]
        assert thumbnail["page"] == 1
        prefix = "data:image/png;base64,"
        assert thumbnail["dataUrl"].startswith(prefix)
        assert base64.b64decode(thumbnail["dataUrl"][len(prefix) :]).startswith(PNG_MAGIC)
        assert (await search_ids(client, "chu ky so"))[1] == {record_id}


def signature_cases(trust_roots: Path) -> dict[str, tuple[bytes, str]]:
    """The five cases, by name: (the PDF, the verdict it must get). pyHanko's signer
    runs its own event loop, so call this from a thread."""
    pki, stranger = make_pki(), make_pki(root_name="Root CA Lạ")
    write_trust_roots(trust_roots, pki.root.certificate)
    signed = sign_pdf(render_pdf(SampleDocument(number="1")), pki.signer, pki)
    untrusted = sign_pdf(render_pdf(SampleDocument(number="2")), stranger.signer, stranger)
    return {
        "trusted": (signed, "VALID"),
        "untrusted": (untrusted, "UNTRUSTED"),
        "incremental": (replace_page_content(signed), "INVALID"),
        "stamped": (add_receipt_stamp(signed), "VALID"),
        "flipped": (flip_signed_byte(signed), "INVALID"),
    }


async def test_each_signature_case_reports_through_graphql(services: Services) -> None:
    cases = await asyncio.to_thread(signature_cases, services.settings.resolved_trust_roots_dir)
    async with api_client(services) as client:
        ids = {
            name: await deposited_id(client, data, metadata(str(n)))
            for n, (name, (data, _)) in enumerate(cases.items(), start=1)
        }
        unsigned = await deposited_id(client, render_pdf(SampleDocument(number="9")), metadata("9"))
        assert await drain(services) == 6
        await services.index.refresh()

        for name, (data, verdict) in cases.items():
            found = await record(client, ids[name])
            assert found["processing"]["status"] == "done", (name, found["processing"])
            [signature] = found["signatures"]
            assert signature["verdict"] == verdict, (name, signature)
            assert found["signatureStatus"] == {
                "verified": True,
                "signed": True,
                "allValid": verdict == "VALID",
            }
            assert await _downloaded(client, found) == data, name
        trusted = (await record(client, ids["trusted"]))["signatures"][0]
        assert trusted["signerCommonName"] == "Nguyễn Văn An"
        assert (trusted["intact"], trusted["valid"], trusted["trusted"]) == (True, True, True)
        assert (trusted["coverage"], trusted["modificationLevel"]) == ("ENTIRE_FILE", "NONE")
        assert "Root CA" not in trusted["issuer"] and "CA phục vụ" in trusted["issuer"]
        assert trusted["serial"] and trusted["signingTime"] and trusted["summary"].startswith("Valid")
        untrusted = (await record(client, ids["untrusted"]))["signatures"][0]
        assert (untrusted["intact"], untrusted["valid"], untrusted["trusted"]) == (True, True, False)
        flipped = (await record(client, ids["flipped"]))["signatures"][0]
        assert flipped["intact"] is False
        incremental = (await record(client, ids["incremental"]))["signatures"][0]
        assert incremental["modificationLevel"] == "OTHER"
        assert (incremental["signedRevision"], incremental["revisionCount"]) == (2, 3)
        assert incremental["changesPermitted"] is False
        stamped = (await record(client, ids["stamped"]))["signatures"][0]
        assert (stamped["modificationLevel"], stamped["permission"]) == ("ANNOTATIONS", "ANNOTATIONS")
        assert stamped["laterRevisions"] == [
            {"revision": 3, "modificationLevel": "ANNOTATIONS", "permitted": True}
        ]
        assert stamped["changesPermitted"] is True
        assert trusted["laterRevisions"] == [] and trusted["signedRevision"] == 2

        assert (await search_ids(client, None, signed=True))[1] == set(ids.values())
        assert (await search_ids(client, None, signed=False))[1] == {unsigned}
        valid = {ids["trusted"], ids["stamped"]}
        assert (await search_ids(client, None, signatureValid=True))[1] == valid
        assert (await search_ids(client, "chu ky so", signed=True, signatureValid=False))[0] == 3

        await rebuild_index(services)  # reindex keeps what the VERIFY step found
        assert (await search_ids(client, None, signatureValid=True))[1] == valid


async def _downloaded(client: httpx.AsyncClient, found: dict[str, Any]) -> bytes:
    return await fetch(client, found["download"]["url"])


async def test_a_search_service_that_is_down_is_retried_with_backoff_without_spending_attempts(
    services: Services,
) -> None:
    """The index swapped for an Elasticsearch that is not listening, on both stacks."""
    async with api_client(services) as client:
        record_id = await deposited_id(client, render_pdf(), metadata("5"))
        # A long backoff, so the given-back job is surely not due when drained below.
        services.settings = services.settings.model_copy(
            update={"worker_retry_base_seconds": 60.0, "worker_retry_cap_seconds": 60.0}
        )
        working = services.index
        services.index = ElasticsearchIndex(f"http://127.0.0.1:{_closed_port()}", index="down")
        try:
            job = await run_one(services, "w1")
        finally:
            await services.index.close()
            services.index = working
        assert job is not None
        retried = services.jobs.for_record(job.record_id)
        assert retried is not None
        # An outage is not the document's fault: the job is given back, its attempt refunded.
        assert (retried.status, retried.attempts, retried.leased_by) == (JobStatus.PENDING, 0, None)
        assert retried.run_after > datetime.now(UTC)  # backoff: not due yet
        assert await drain(services) == 0
        assert [s.value for s in retried.steps_done] == ["seal", "verify", "extract"]
        assert retried.last_error and "index" not in [s.value for s in retried.steps_done]

        services.clock = lambda: datetime.now(UTC) + timedelta(minutes=5)
        assert await drain(services) == 1
        await services.index.refresh()
        after = await record(client, record_id)
        assert after["processing"]["status"] == "done"
        assert after["processing"]["attempts"] == 1
        assert (await search_ids(client, "chu ky so"))[1] == {record_id}


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_a_scan_without_ocr_ends_pending_ocr(stack_settings: Settings) -> None:
    settings = stack_settings.model_copy(update={"ocr_enabled": False})
    scan = hostile.scanned_pdf(stack_settings.data_dir.parent / "scan.pdf", dpi=100)
    async with open_services(settings) as services, api_client(services) as client:
        record_id = await deposited_id(client, scan.read_bytes(), metadata("11"), name="scan.pdf")
        assert await drain(services) == 1
        await services.index.refresh()
        found = await record(client, record_id)
        assert found["processing"]["status"] == "done"
        assert found["textStatus"] == "PENDING_OCR"
        assert (await search_ids(client, "chu ky so"))[1] == {record_id}  # by its metadata
