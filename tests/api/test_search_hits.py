"""Search hits are hydrated without page text, yet a client that asks for pages gets them."""

from __future__ import annotations

import httpx

from archive.samples import SampleDocument, render_pdf
from archive.services.container import Services
from archive.services.worker import drain
from tests.support.gql import METADATA, deposit, gql

QUERY = (
    '{ search(query: "chu ky so", first: 5) { edges { node { recordId pages { number text source } } } } }'
)


async def test_a_hit_reads_its_pages_when_asked(client: httpx.AsyncClient, services: Services) -> None:
    result = await deposit(client, render_pdf(SampleDocument(pages=2)), METADATA)
    assert result["__typename"] == "DepositSuccess", result
    await drain(services)
    await services.index.refresh()

    body = await gql(client, QUERY)
    assert "errors" not in body, body
    (edge,) = body["data"]["search"]["edges"]
    pages = edge["node"]["pages"]
    assert [p["number"] for p in pages] == [1, 2]
    assert "chữ ký số" in pages[0]["text"]
    assert {p["source"] for p in pages} == {"TEXT_LAYER"}
