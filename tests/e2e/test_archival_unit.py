"""The archival unit end to end over HTTP, on both stacks (issue 12): a fonds and a
dossier are described, five documents are deposited and processed by the worker,
placed in the dossier in order, found by dossier in search, and the dossier is
closed, which starts its documents' retention clock.

Each step is a helper, so later steps (the dossier list and table of contents as
exports, review and destruction) can be added after ``close_dossier``.
"""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

import httpx

from archive.samples import SampleDocument, render_pdf
from archive.services.container import Services
from archive.services.worker import drain
from tests.support.gql import METADATA, deposit, gql

AGENCY = "UBND-HG"
RULE = """mutation { upsertRetentionRule(rule: {code: "QD-10-HS",
  title: "Quyết định, 10 năm từ khi đóng hồ sơ", periodYears: 10, trigger: DOSSIER_CLOSE,
  documentTypes: ["Quyết định"]}) { codes } }"""
CREATE_FONDS = """mutation($agency: String!) {
  createFonds(input: {code: "HG-UBND", name: "Phông Ủy ban nhân dân tỉnh Hà Giang", agencyCode: $agency}) {
    id code } }"""
CREATE_DOSSIER = """mutation($fonds: String!) {
  createDossier(input: {fondsId: $fonds, title: "Hồ sơ chuyển đổi số năm 2025", maintenance: "06",
    year: 2025, fileNumber: "12-CĐS", language: ["Tiếng Việt"]}) { id dossierId fileCode status } }"""
PLACE = """mutation($d: String!, $ids: [String!]!) {
  placeRecords(dossierId: $d, recordIds: $ids) { recordIds refused } }"""
CLOSE = """mutation($d: String!) { closeDossier(id: $d) {
  status closedOn totalDoc numberOfPage startDate endDate confidenceLevel { code } } }"""
DOCUMENTS = """query($d: String!) { dossier(id: $d) { fonds { code } documents(first: 10) {
  totalCount edges { node { recordId docCode dossier { fileCode } fonds { code } } } } } }"""
BY_DOSSIER = """query($d: String!) { search(filter: {dossierIds: [$d]}, first: 10) {
  totalCount facets { dossier { value count } } } }"""


async def ok(client: httpx.AsyncClient, query: str, **variables: Any) -> Any:
    body = await gql(client, query, **variables)
    assert "errors" not in body, body
    return body["data"]


async def describe_fonds_and_dossier(client: httpx.AsyncClient) -> tuple[str, dict[str, Any]]:
    fonds = (await ok(client, CREATE_FONDS, agency=AGENCY))["createFonds"]
    dossier = (await ok(client, CREATE_DOSSIER, fonds=fonds["id"]))["createDossier"]
    return fonds["id"], dossier


async def deposit_documents(client: httpx.AsyncClient, services: Services, count: int) -> list[str]:
    """``count`` distinct Quyết định of the agency, deposited and processed by the worker."""
    ids = []
    for n in range(1, count + 1):
        subject = f"Về việc chuyển đổi số, đợt {n}"
        pdf = render_pdf(SampleDocument(number=str(200 + n), subject=subject, body=(f"Nội dung đợt {n}.",)))
        result = await deposit(client, pdf, {**METADATA, "number": str(200 + n), "subject": subject})
        assert result["__typename"] == "DepositSuccess", result
        ids.append(result["record"]["recordId"])
    assert await drain(services) == count
    return ids


async def place_documents(client: httpx.AsyncClient, dossier_id: str, record_ids: list[str]) -> None:
    placed = (await ok(client, PLACE, d=dossier_id, ids=record_ids))["placeRecords"]
    assert placed == {"recordIds": record_ids, "refused": []}


async def close_dossier(client: httpx.AsyncClient, dossier_id: str) -> dict[str, Any]:
    closed = (await ok(client, CLOSE, d=dossier_id))["closeDossier"]
    assert closed["status"] == "CLOSED"
    return dict(closed)


def disposal_dates(services: Services, record_ids: list[str]) -> list[date | None]:
    found = [services.retention.assignment(r) for r in record_ids]
    return [None if f is None else f[0].disposal_date for f in found]


async def test_a_dossier_of_five_documents_from_deposit_to_its_disposal_dates(
    client: httpx.AsyncClient, services: Services
) -> None:
    await ok(client, RULE)
    _, dossier = await describe_fonds_and_dossier(client)
    assert dossier["fileCode"] == f"{AGENCY}.2025.12-CĐS"
    record_ids = await deposit_documents(client, services, 5)
    await place_documents(client, dossier["id"], record_ids)

    listed = (await ok(client, DOCUMENTS, d=dossier["id"]))["dossier"]
    assert listed["documents"]["totalCount"] == 5
    nodes = [e["node"] for e in listed["documents"]["edges"]]
    assert [n["recordId"] for n in nodes] == record_ids
    assert [n["docCode"] for n in nodes] == [f"{dossier['fileCode']}.{i:07d}" for i in range(1, 6)]
    assert all(n["fonds"] == {"code": "HG-UBND"} for n in nodes)

    # The placement queued re-index jobs in its transaction: once run, search knows the dossier.
    assert await drain(services) == 5
    await services.index.refresh()
    found = (await ok(client, BY_DOSSIER, d=dossier["id"]))["search"]
    assert found["totalCount"] == 5
    assert found["facets"]["dossier"] == [{"value": dossier["dossierId"], "count": 5}]

    assert disposal_dates(services, record_ids) == [None] * 5  # the clock has not started
    closed = await close_dossier(client, dossier["id"])
    assert closed["totalDoc"] == 5 and closed["numberOfPage"] >= 5
    assert closed["confidenceLevel"] == {"code": "01"}  # text layers: born digital
    closed_on = date.fromisoformat(closed["closedOn"])
    # Ten years counted from 1 January of the year after the close (Circular 10/2022/TT-BNV).
    expected = date(closed_on.year + 11, 1, 1)
    assert await asyncio.to_thread(disposal_dates, services, record_ids) == [expected] * 5
