"""The handover over HTTP on both stacks: the GraphQL workflow, the minutes PDF (read back
with pdftotext), the deadline query and its Prometheus metric."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from archive.services.container import Services
from tests.ops.test_metrics_endpoint import http, metered, scrape, value
from tests.retention.scenario import call
from tests.support.exports import pdf_text
from tests.transfer.world import ADMIN, RM_A, RM_B, permanent

__all__ = ["http", "metered"]  # fixtures, re-exported for pytest

BATCH = """id status archiveName dossierCount documentCount pageCount byteCount
  items { dossierId fileCode documents pages bytes package { name size sha256 } }"""
PREPARE = f"""mutation($ids: [String!]) {{ prepareTransferBatch(archiveName: "Trung tâm Lưu trữ lịch sử tỉnh",
  selection: {{dossierIds: $ids}}) {{ batch {{ {BATCH} }} refused {{ fileCode reason }} }} }}"""
SEND = f"""mutation($id: String!) {{ sendTransferBatch(id: $id, reference: "CV 9/LTLS") {{ {BATCH} }} }}"""
ACCEPT = (
    f"""mutation($id: String!) {{ acceptTransferBatch(id: $id, receiptRef: "BB 3/LTLS") {{ {BATCH} }} }}"""
)
BATCHES = f"{{ transferBatches {{ {BATCH} }} }}"
DEADLINES = "{ transferDeadlines(withinDays: 30) { deadline overdue dossier { dossierId fileCode } } }"


async def test_the_graphql_workflow_and_the_minutes(services: Services, client: httpx.AsyncClient) -> None:
    ready, _records = await permanent(services)
    data, errors = await call(services, RM_A, PREPARE, ids=[ready.id])
    assert errors == [] and data["prepareTransferBatch"]["refused"] == []
    batch: dict[str, Any] = data["prepareTransferBatch"]["batch"]
    assert (batch["status"], batch["dossierCount"], batch["documentCount"]) == ("PREPARED", 1, 2)
    assert (await call(services, RM_B, BATCHES))[0] == {"transferBatches": []}
    assert (await call(services, RM_B, SEND, id=batch["id"]))[1] == ["NOT_FOUND"]
    assert (await call(services, RM_A, SEND, id=batch["id"]))[0]["sendTransferBatch"]["status"] == "SENT"
    accepted = (await call(services, RM_A, ACCEPT, id=batch["id"]))[0]["acceptTransferBatch"]
    assert accepted["status"] == "ACCEPTED"

    response = await client.get(f"/exports/transfers/{batch['id']}/minutes")
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    text = " ".join(pdf_text(response.content).split())
    item = batch["items"][0]
    assert "BIÊN BẢN GIAO NHẬN TÀI LIỆU" in text
    assert "Trung tâm Lưu trữ lịch sử tỉnh" in text
    assert f"Tổng số: 1 hồ sơ, 2 văn bản, 2 trang, {int(batch['byteCount'])} byte" in text
    digest = item["package"]["sha256"]
    assert all(digest[n : n + 16] in text for n in range(0, 64, 16))  # printed in groups of 16
    assert ready.file_code in text
    assert (await client.get("/exports/transfers/no-such-batch/minutes")).status_code == 404


async def test_the_deadline_query_follows_the_read_rule(services: Services) -> None:
    overdue, _ = await permanent(services)
    other, _ = await permanent(services, "B")
    await permanent(services, maintenance="04")  # not permanent: never due
    data, errors = await call(services, RM_A, DEADLINES)
    assert errors == []
    rows = data["transferDeadlines"]
    assert [r["dossier"]["dossierId"] for r in rows] == [overdue.id]
    assert rows[0] == {
        "deadline": "2025-12-31",
        "overdue": True,
        "dossier": {"dossierId": overdue.id, "fileCode": overdue.file_code},
    }
    seen = {
        r["dossier"]["dossierId"] for r in (await call(services, ADMIN, DEADLINES))[0]["transferDeadlines"]
    }
    assert seen == {overdue.id, other.id}
    await call(services, RM_A, PREPARE, ids=[overdue.id])  # its handover is under way: no longer due
    assert (await call(services, RM_A, DEADLINES))[0]["transferDeadlines"] == []


async def test_the_metric_counts_due_dossiers_per_agency(metered: Services, http: httpx.AsyncClient) -> None:
    before = await scrape(http)
    assert value(before, "archive_transfer_due_dossiers", agency="A") == 0
    await permanent(metered)
    await permanent(metered)
    await permanent(metered, "B")
    await asyncio.sleep(0)
    after = await scrape(http)
    assert value(after, "archive_transfer_due_dossiers", agency="A") == 2
    assert value(after, "archive_transfer_due_dossiers", agency="B") == 1
