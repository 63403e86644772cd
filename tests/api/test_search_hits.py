"""Search hits are hydrated without page text, yet a client that asks for pages gets them."""

from __future__ import annotations

import httpx
import sqlalchemy as sa

from archive.samples import SampleDocument, render_pdf
from archive.services.container import Services
from archive.services.worker import drain
from tests.support.db import engine_of
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


LIST_QUERY = """{ search(first: 20) { edges { node {
  recordId processing { status limitHit } signatureStatus { signed allValid }
  signatures { verdict } thumbnails { page }
} } } }"""


async def count_queries(client: httpx.AsyncClient, services: Services) -> tuple[int, int]:
    """(hits, SQL statements) of one search listing processing, signatures and thumbnails."""
    statements: list[str] = []

    def seen(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(statement)

    sa.event.listen(engine_of(services), "before_cursor_execute", seen)
    try:
        body = await gql(client, LIST_QUERY)
    finally:
        sa.event.remove(engine_of(services), "before_cursor_execute", seen)
    assert "errors" not in body, body
    return len(body["data"]["search"]["edges"]), len(statements)


async def test_a_page_of_hits_costs_the_same_queries_however_many_hits(
    client: httpx.AsyncClient, services: Services
) -> None:
    for n in range(2):
        pdf = render_pdf(SampleDocument(number=str(n + 1), subject=f"Về việc số {n}"))
        await deposit(client, pdf, {**METADATA, "number": str(n + 1)})
    await drain(services)
    await services.index.refresh()
    few = await count_queries(client, services)
    for n in range(2, 7):
        pdf = render_pdf(SampleDocument(number=str(n + 1), subject=f"Về việc số {n}"))
        await deposit(client, pdf, {**METADATA, "number": str(n + 1)})
    await drain(services)
    await services.index.refresh()
    many = await count_queries(client, services)
    assert (few[0], many[0]) == (2, 7)
    assert many[1] == few[1], (few, many)
