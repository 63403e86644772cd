"""The ``changes`` feed over GraphQL, on both stacks: changes in order, only what the
caller may read, stable opaque cursors, and nothing (no gap, no moved cursor, no
``hasNextPage``) that lets a caller count changes it may not see."""

from __future__ import annotations

import asyncio
import io
from dataclasses import replace
from typing import Any

from archive.domain.access import Principal, Role
from archive.domain.records import Classification, Record
from archive.samples import SampleDocument, render_pdf
from archive.services.container import Services
from archive.services.deposit import deposit
from archive.services.worker import drain
from tests.e2e.documents import metadata_for
from tests.retention.scenario import call

HG, LC = "UBND-HG", "UBND-LC"
CLERK_HG = Principal("clerk-hg", frozenset({Role.CLERK}), frozenset({HG}), Classification.TOP_SECRET)
CLERK_LC = Principal("clerk-lc", frozenset({Role.CLERK}), frozenset({LC}), Classification.TOP_SECRET)
READER_HG = Principal("reader-hg", frozenset({Role.READER}), frozenset({HG}))

CHANGES = """query($first: Int!, $after: String) { changes(first: $first, after: $after) {
  edges { cursor node { id type subjectKind subjectId subject deleted at } }
  pageInfo { hasNextPage endCursor } } }"""


async def put(services: Services, number: str, by: Principal, **changes: Any) -> Record:
    doc = SampleDocument(number=number, subject=f"Về việc số {number}")
    metadata = replace(metadata_for(doc, agency=min(by.agencies)), **changes)
    return await asyncio.to_thread(
        deposit, services, by, io.BytesIO(render_pdf(doc)), filename=f"{number}.pdf", metadata=metadata
    )


async def page(services: Services, who: Principal, first: int, after: str | None = None) -> dict[str, Any]:
    data, codes = await call(services, who, CHANGES, first=first, after=after)
    assert codes == []
    result: dict[str, Any] = data["changes"]
    return result


async def walk(services: Services, who: Principal, first: int) -> list[dict[str, Any]]:
    after, seen = None, []
    while True:
        found = await page(services, who, first, after)
        seen.extend(e["node"] for e in found["edges"])
        if not found["pageInfo"]["hasNextPage"]:
            return seen
        after = found["pageInfo"]["endCursor"]


async def test_the_feed_shows_each_caller_its_own_changes_in_order(services: Services) -> None:
    mine = await put(services, "1", CLERK_HG)
    await put(services, "2", CLERK_LC)
    secret = await put(services, "3", CLERK_HG, classification=Classification.SECRET)
    assert await drain(services) == 3

    seen = await walk(services, READER_HG, first=1)
    assert [(c["type"], c["subjectId"]) for c in seen] == [
        ("record.deposited", mine.id),
        ("record.processed", mine.id),
    ]
    assert all(c["subjectKind"] == "record" and not c["deleted"] for c in seen)
    everything = await walk(services, CLERK_HG, first=2)  # TOP_SECRET clerk of HG: its two records
    assert {c["subjectId"] for c in everything} == {mine.id, secret.id}
    assert len(everything) == 4
    assert await walk(services, READER_HG, first=50) == seen  # stable: same ids, same cursors


async def test_hidden_changes_move_no_cursor_and_leave_no_gap(services: Services) -> None:
    mine = await put(services, "1", CLERK_HG)
    first = await page(services, READER_HG, 10)
    [edge] = first["edges"]
    assert edge["node"]["subjectId"] == mine.id and edge["cursor"] == edge["node"]["id"]
    end = first["pageInfo"]["endCursor"]
    assert end == edge["cursor"] and first["pageInfo"]["hasNextPage"] is False

    before = await page(services, READER_HG, 10, end)
    for number in ("2", "3", "4"):  # another agency's deposits, after the reader's cursor
        await put(services, number, CLERK_LC)
    after = await page(services, READER_HG, 10, end)
    assert before == after == {"edges": [], "pageInfo": {"hasNextPage": False, "endCursor": end}}
    assert await page(services, READER_HG, 10) == first

    later = await put(services, "5", CLERK_HG)
    [next_edge] = (await page(services, READER_HG, 10, end))["edges"]
    assert next_edge["node"]["subjectId"] == later.id
    # Opaque: nothing in two consecutive visible ids tells how many were skipped between them.
    assert not next_edge["cursor"].startswith(edge["cursor"][:8])


async def test_a_cursor_the_archive_did_not_issue_is_refused(services: Services) -> None:
    await put(services, "1", CLERK_HG)
    [edge] = (await page(services, READER_HG, 10))["edges"]
    forged = edge["cursor"][:-2] + ("AA" if not edge["cursor"].endswith("AA") else "BB")
    for bad in (forged, "evt_", "audit:1", "MQ=="):
        data, codes = await call(services, READER_HG, CHANGES, first=5, after=bad)
        assert data is None and codes == ["INVALID_CURSOR"]
    data, codes = await call(services, READER_HG, CHANGES, first=0)
    assert data is None and codes == ["INVALID_QUERY"]
