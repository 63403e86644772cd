"""Exporting a search's results as a job: it runs as the caller, in the search's order,
reports progress, and its file (CSV, XLSX, PDF) holds exactly the hits the same search
shows; only its owner sees it or downloads it; an anonymous caller cannot start one."""

from __future__ import annotations

import asyncio
import csv
import dataclasses
import io
from datetime import date
from typing import Any

import httpx

from archive.domain.access import Principal
from archive.domain.records import Classification
from archive.services.container import Services
from tests.retention.scenario import RM_A, call
from tests.support.access import make_record, put
from tests.support.exports import pdf_text, xlsx_table
from tests.support.graphql import api_client, gql

START = """mutation($format: ExportFormat!, $q: String, $order: SearchOrderInput) {
  exportSearchResults(format: $format, query: $q, orderBy: $order) { id status } }"""
STATUS = """query($id: String!) { resultExport(id: $id) {
  id status done total truncated error downloadPath format } }"""
SEARCH = """query($q: String, $order: SearchOrderInput) { search(query: $q, first: 50, orderBy: $order) {
  edges { node { documentNumber } } } }"""
ANONYMOUS = Principal(subject="anonymous", anonymous=True)


async def finished(client: httpx.AsyncClient, job_id: str) -> dict[str, Any]:
    for _ in range(600):
        job = (await gql(client, STATUS, id=job_id))["resultExport"]
        if job["status"] in ("DONE", "FAILED"):
            return dict(job)
        await asyncio.sleep(0.05)
    raise AssertionError(f"export {job_id} did not finish: {job}")


async def test_an_export_holds_what_the_search_shows_in_its_order(services: Services) -> None:
    records = [
        dataclasses.replace(
            r, metadata=dataclasses.replace(r.metadata, number=str(n), issue_date=date(2024, 1 + n % 12, 1))
        )
        for n, r in enumerate(make_record(agency="A", subject=f"Kế hoạch số {n}") for n in range(7))
    ]
    secret = make_record(agency="B", subject="Kế hoạch mật", classification=Classification.SECRET)
    await put(services, *records, secret)
    order = {"field": "DOCUMENT_NUMBER", "direction": "ASC"}
    async with api_client(services) as client:
        shown = (await gql(client, SEARCH, q="kế hoạch", order=order))["search"]["edges"]
        numbers = [e["node"]["documentNumber"] for e in shown]
        for fmt in ("CSV", "XLSX", "PDF"):
            started = await gql(client, START, format=fmt, q="kế hoạch", order=order)
            job = await finished(client, started["exportSearchResults"]["id"])
            assert job["status"] == "DONE", job
            assert job["done"] == job["total"] == len(numbers) and job["truncated"] is False
            answer = await client.get(job["downloadPath"])
            assert answer.status_code == 200, answer.text
            if fmt == "CSV":
                rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
                header = next(i for i, row in enumerate(rows) if row and row[0] == "STT")
                assert [row[1] for row in rows[header + 1 :] if row] == numbers
            elif fmt == "XLSX":
                table = xlsx_table(answer.content, "STT")
                assert [row[1] for row in table[1:]] == numbers
            else:
                text = pdf_text(answer.content)
                assert "KẾT QUẢ TÌM KIẾM" in text and all(n in text for n in numbers)

        # Another caller, even one who may read the records, does not see the job or its file.
        _, errors = await call(services, RM_A, STATUS, id=job["id"])
        assert errors == ["NOT_FOUND"]
        _, errors = await call(services, ANONYMOUS, START, format="CSV", q="kế hoạch")
        assert errors == ["FORBIDDEN"]
    exported = [e for e in services.audit.entries() if e.action == "search.export"]
    assert len(exported) == 3 and all(int(str(e.details["count"])) == len(numbers) for e in exported)
