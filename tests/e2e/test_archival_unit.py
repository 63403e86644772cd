"""The archival unit end to end over HTTP, on both stacks (issue 12): a fonds and a
dossier are described, five documents are deposited and processed by the worker,
placed in the dossier in order, found by dossier in search, and the dossier is
closed, which starts its documents' retention clock.

Each step is a helper, so later steps (the dossier list and table of contents as
exports, review and destruction) can be added after ``close_dossier``.
"""

from __future__ import annotations

import asyncio
import csv
import dataclasses
import io
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx

from archive.api.types import to_global_id
from archive.domain.access import UNRESTRICTED
from archive.domain.disposition import PaperKind
from archive.samples import SampleDocument, render_pdf
from archive.services import destruction, disposition
from archive.services.container import Services
from archive.services.worker import drain
from tests.retention.scenario import ADMIN, ADMIN_2, call
from tests.retention.support import make_pdf
from tests.retention.support import metadata as paper_metadata
from tests.support.exports import first_page_png, pdf_text, xlsx_table
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


# -- the dossier list, its table of contents, review, the council and destruction ----------

OLD_DOSSIER = """mutation($fonds: String!) {
  createDossier(input: {fondsId: $fonds, title: "Hồ sơ hội nghị cải cách hành chính năm 2012",
    maintenance: "06", year: 2012, fileNumber: "07-VP", language: ["01"]}) { id dossierId fileCode } }"""
CLOSE_ON = """mutation($d: String!, $on: Date!) { closeDossier(id: $d, closedOn: $on) { status closedOn } }"""
REVIEWS = """query($d: String!) { dossier(id: $d) { destructionReview { status records } } }"""
RECORD_REVIEW = """query($id: ID!) { record(id: $id) { destructionReview { status reason } } }"""
PLAN = """mutation($d: String!) { planDisposition(dossierId: $d, explanatoryNote: "Hết thời hạn bảo quản") {
  id status items { recordId reason } } }"""
SEAT = """mutation($id: String!, $s: String!, $n: String!, $r: String!) {
  seatCouncilMember(batchId: $id, subject: $s, name: $n, role: $r) { id } }"""
VOTE = """mutation($id: String!) {
  voteOnDisposition(batchId: $id, vote: APPROVE, note: "Đồng ý hủy") { approvals required reached } }"""
APPROVE = """mutation($id: String!, $on: Date!) {
  approveDisposition(batchId: $id, decisionRef: "QĐ 12/QĐ-UBND", decidedOn: $on) { status minutesDue } }"""
DEADLINES = """query { destructionDeadlines(overdueOnly: false) { batchId due minutesOn overdue } }"""


async def export(client: httpx.AsyncClient, path: str, fmt: str, **params: str) -> bytes:
    response = await client.get(path, params={"format": fmt, **params})
    assert response.status_code == 200, response.text
    return response.content


def first_page(content: bytes, tmp_path: Path) -> str:
    """pdftoppm renders page 1, which must have ink on it; its text, by pdfplumber."""
    assert first_page_png(content, tmp_path).getextrema()[0] < 128
    return pdf_text(content, first_page_only=True)


async def test_a_closed_dossier_is_listed_reviewed_approved_by_its_council_and_destroyed(
    client: httpx.AsyncClient, services: Services, tmp_path: Path
) -> None:
    await ok(client, RULE)
    fonds = (await ok(client, CREATE_FONDS, agency=AGENCY))["createFonds"]
    dossier = (await ok(client, OLD_DOSSIER, fonds=fonds["id"]))["createDossier"]
    ids = []
    for n in range(1, 6):  # documents of 2012, described when their paper dossier is digitised
        subject = f"Về việc cải cách hành chính, văn bản {n}"
        pdf = render_pdf(SampleDocument(number=str(300 + n), subject=subject, body=(f"Nội dung {n}.",)))
        meta = {**METADATA, "number": str(300 + n), "subject": subject, "issueDate": f"2012-0{n}-10"}
        result = await deposit(client, pdf, meta)
        assert result["__typename"] == "DepositSuccess", result
        ids.append(result["record"]["recordId"])
    assert await drain(services) == 5
    await place_documents(client, dossier["id"], ids)
    closed = (await ok(client, CLOSE_ON, d=dossier["id"], on="2012-12-31"))["closeDossier"]
    assert closed == {"status": "CLOSED", "closedOn": "2012-12-31"}
    # Ten years from 1 January 2013: eligible from 1 January 2023.
    assert await asyncio.to_thread(disposal_dates, services, ids) == [date(2023, 1, 1)] * 5
    assert await drain(services) == 5  # the placement's index jobs

    # The dossier list of the fonds for 2012 (Decree 30, Appendix V) and the table of contents.
    listing = f"/exports/fonds/{fonds['code']}/dossiers"
    rows = xlsx_table(await export(client, listing, "xlsx", year="2012"), "Đề mục")
    [row] = [r for r in rows if "07-VP" in r]  # its number and notation (số và ký hiệu hồ sơ)
    assert "Hồ sơ hội nghị cải cách hành chính năm 2012" in row and "10 năm" in row
    text = first_page(await export(client, listing, "pdf", year="2012"), tmp_path)
    assert "07-VP" in text and "cải cách hành chính" in text
    csv_rows = list(
        csv.reader(io.StringIO((await export(client, listing, "csv", year="2012")).decode("utf-8-sig")))
    )
    assert any("07-VP" in r and "10 năm" in r for r in csv_rows)
    contents = f"/exports/dossiers/{dossier['dossierId']}/contents"
    codes = [f"{dossier['fileCode']}.{i:07d}" for i in range(1, 6)]
    toc = xlsx_table(await export(client, contents, "xlsx"), "STT")
    assert [c for r in toc for c in r if c in codes] == codes
    assert codes[0] in first_page(await export(client, contents, "pdf"), tmp_path)
    toc_csv = (await export(client, contents, "csv")).decode("utf-8-sig")
    assert all(code in toc_csv for code in codes)

    # Review: the whole dossier is proposed, and shows it; then the council votes by quorum.
    services.settings.destruction_quorum = "majority"
    services.settings.retention_separate_approver = True
    planned, errors = await call(services, ADMIN, PLAN, d=dossier["dossierId"])
    assert errors == [], errors
    batch = planned["planDisposition"]
    assert sorted(i["recordId"] for i in batch["items"]) == sorted(ids)
    assert {i["reason"] for i in batch["items"]} == {"EXPIRED"}
    review = (await ok(client, REVIEWS, d=dossier["id"]))["dossier"]["destructionReview"]
    assert review == {"status": "UNDER_REVIEW", "records": 5}
    record_review = (await ok(client, RECORD_REVIEW, id=to_global_id("Record", ids[0])))["record"]
    assert record_review["destructionReview"] == {"status": "UNDER_REVIEW", "reason": "EXPIRED"}
    for subject, name, role in (
        ("admin-1", "Nguyễn Văn An", "Chủ tịch Hội đồng"),
        ("admin-2", "Trần Thị Bình", "Ủy viên"),
        ("admin-3", "Lê Văn Cường", "Thư ký"),
    ):
        _, errors = await call(services, ADMIN, SEAT, id=batch["id"], s=subject, n=name, r=role)
        assert errors == []
    refused = await call(services, ADMIN_2, APPROVE, id=batch["id"], on=date.today().isoformat())
    assert refused == (None, ["DISPOSITION_REFUSED"])  # no quorum yet
    for voter in (ADMIN, ADMIN_2):
        tally, errors = await call(services, voter, VOTE, id=batch["id"])
        assert errors == []
    assert tally["voteOnDisposition"] == {"approvals": 2, "required": 2, "reached": True}
    decided = services.clock().date()
    approved, errors = await call(services, ADMIN_2, APPROVE, id=batch["id"], on=decided.isoformat())
    assert errors == [] and approved["approveDisposition"]["status"] == "APPROVED"
    assert approved["approveDisposition"]["minutesDue"] == (decided + timedelta(days=15)).isoformat()

    # The council's minutes and the decision are kept as records; then the purge runs.
    for kind, number in ((PaperKind.COUNCIL_MINUTES, "41"), (PaperKind.DECISION, "12")):
        meta = dataclasses.replace(paper_metadata(number, issued=decided), document_type="Biên bản")
        _, paper = await asyncio.to_thread(
            destruction.attach_paper,
            services,
            ADMIN,
            batch["id"],
            kind,
            io.BytesIO(make_pdf(f"paper {number}")),
            filename=f"{kind.value}.pdf",
            metadata=meta,
            agency_code=AGENCY,
        )
        assert services.records.get(paper.id, UNRESTRICTED) is not None
    report = await disposition.run(services)
    assert sorted(report.destroyed) == sorted(ids)
    assert all(services.records.get(i, UNRESTRICTED) is None for i in ids)
    assert all(services.disposition.tombstone_of(i) is not None for i in ids)
    [deadline] = [
        d for d in (await ok(client, DEADLINES))["destructionDeadlines"] if d["batchId"] == batch["id"]
    ]
    assert deadline == {
        "batchId": batch["id"],
        "due": (decided + timedelta(days=15)).isoformat(),
        "minutesOn": None,
        "overdue": False,
    }
    left = (await ok(client, DOCUMENTS, d=dossier["id"]))["dossier"]["documents"]
    assert left["totalCount"] == 0
