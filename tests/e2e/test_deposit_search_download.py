"""The main job, end to end over HTTP: deposit a signed Vietnamese PDF, let the
worker process it, find it with and without diacritics and by its number,
follow the download link and get the same bytes back."""

from __future__ import annotations

import os
import ssl
from typing import Any

import httpx

from archive.samples import SampleDocument, render_pdf
from archive.services.container import Services
from archive.services.worker import drain
from tests.support.gql import METADATA, deposit, gql

SEARCH = """
query Search($q: String, $first: Int!, $after: String) {
  search(query: $q, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    facets { issuingAgency { value count } documentType { value count } year { value count } }
    edges { cursor score highlights { page snippet } node { id documentNumber subject } }
  }
}"""


async def search(client: httpx.AsyncClient, q: str | None, first: int = 10) -> Any:
    body = await gql(client, SEARCH, q=q, first=first)
    assert "errors" not in body, body
    return body["data"]["search"]


async def test_deposit_find_and_download_byte_identical(
    client: httpx.AsyncClient, services: Services, stack: str
) -> None:
    pdf = render_pdf(SampleDocument())
    other = render_pdf(
        SampleDocument(number="124", subject="Về việc tổ chức hội nghị", body=("Nội dung khác.",))
    )
    result = await deposit(client, pdf, METADATA)
    assert result["__typename"] == "DepositSuccess", result
    assert result["record"]["processing"]["status"] == "pending"
    record_id = result["record"]["id"]
    second = await deposit(
        client, other, {**METADATA, "number": "124", "subject": "Về việc tổ chức hội nghị"}
    )
    assert second["__typename"] == "DepositSuccess", second

    assert await drain(services) == 2
    await services.index.refresh()

    with_marks = await search(client, "chữ ký số")
    without = await search(client, "chu ky so")
    for found in (with_marks, without):
        assert [e["node"]["id"] for e in found["edges"]] == [record_id]
        assert found["totalCount"] == 1
    highlights = with_marks["edges"][0]["highlights"]
    assert any(h["page"] == 1 and "<mark>" in h["snippet"] for h in highlights), highlights

    by_number = await search(client, "123/QĐ-UBND")
    assert [e["node"]["documentNumber"] for e in by_number["edges"]] == ["123/QĐ-UBND"]
    folded_number = await search(client, "123/QD-UBND")
    assert [e["node"]["id"] for e in folded_number["edges"]] == [record_id]

    everything = await search(client, None)
    assert everything["totalCount"] == 2
    assert {"value": "UBND-HG", "count": 2} in everything["facets"]["issuingAgency"]
    assert {"value": "2024", "count": 2} in everything["facets"]["year"]

    body = await gql(
        client, "query($id: ID!) { record(id: $id) { download { url } textStatus } }", id=record_id
    )
    record = body["data"]["record"]
    assert record["textStatus"] == "EXTRACTED"
    downloaded = await fetch(client, record["download"]["url"])
    assert downloaded == pdf


async def fetch(client: httpx.AsyncClient, url: str) -> bytes:
    """Follow a download link: our own route, or a presigned URL on the S3 server."""
    if url.startswith(str(client.base_url)):
        response = await client.get(url)
    else:
        ca_file = os.environ.get("ARCHIVE_TEST_S3_CA_FILE")
        verify = ssl.create_default_context(cafile=ca_file) if ca_file else True
        async with httpx.AsyncClient(verify=verify) as direct:
            response = await direct.get(url)
    assert response.status_code == 200, response.text
    return response.content
