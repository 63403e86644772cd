"""Search ordered by each field, both directions, on both backends: paging two at a time
across many equal keys gives exactly the order computed here (the field, then the record
id), with no repeat and no gap; a cursor of one order is refused by another; and the
filters on updated-since, signer and urgency."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from archive.domain.records import Record, Urgency
from archive.domain.search import number_sort_key
from archive.domain.text import normalize_document_number
from archive.services.container import Services
from tests.retention.scenario import ADMIN, call
from tests.support.access import make_record, put

SEARCH = """query($first: Int!, $after: String, $order: SearchOrderInput, $filter: SearchFilterInput) {
  search(first: $first, after: $after, orderBy: $order, filter: $filter) {
    totalCount edges { cursor node { recordId } } pageInfo { hasNextPage endCursor } } }"""
T0 = datetime(2025, 6, 1, 8, 0, tzinfo=UTC)


def shaped(n: int) -> Record:
    """Twelve records whose keys collide in every field: three issue dates, arrival dates
    with gaps, numbers 2, 10 and 2 again under two notations, four deposit moments."""
    record = make_record(agency="A", subject=f"Văn bản số {n}")
    metadata = dataclasses.replace(
        record.metadata,
        number=("2", "10", "2")[n % 3],
        notation=("QĐ-UBND", "CV-UBND")[n % 2],
        issue_date=date(2024, 1 + n % 3, 5),
        arrival_date=None if n % 4 == 0 else date(2024, 2, 1 + n % 2),
        signer_name=("Nguyễn Văn An", "Trần Thị Bình")[n % 2],
        urgency=(Urgency.NORMAL, Urgency.URGENT, Urgency.FLASH)[n % 3],
    )
    moment = T0 + timedelta(minutes=n % 4)
    return dataclasses.replace(record, metadata=metadata, created_at=moment, updated_at=moment)


def expected(records: list[Record], field: str, descending: bool) -> list[str]:
    """The order the API promises, computed with stable sorts (the last sort is the first key)."""
    ordered = sorted(records, key=lambda r: r.id)
    if field == "ISSUE_DATE":
        ordered.sort(key=lambda r: r.metadata.issue_date, reverse=descending)
    elif field == "ARRIVAL_DATE":
        ordered.sort(key=lambda r: r.metadata.arrival_date or date.min, reverse=descending)
        ordered.sort(key=lambda r: r.metadata.arrival_date is None)
    elif field == "DEPOSITED_AT":
        ordered.sort(key=lambda r: r.created_at, reverse=descending)
    elif field == "DOCUMENT_NUMBER":
        ordered.sort(
            key=lambda r: (
                number_sort_key(r.metadata.document_number),
                normalize_document_number(r.metadata.document_number),
            ),
            reverse=descending,
        )
    return [r.id for r in ordered]


async def pages(services: Services, order: dict[str, str], filter: dict[str, Any] | None = None) -> list[str]:
    seen: list[str] = []
    after = None
    while True:
        data, errors = await call(services, ADMIN, SEARCH, first=2, after=after, order=order, filter=filter)
        assert errors == [], errors
        page = data["search"]
        seen += [e["node"]["recordId"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return seen
        after = page["pageInfo"]["endCursor"]


@pytest.mark.parametrize("field", ["ISSUE_DATE", "ARRIVAL_DATE", "DEPOSITED_AT", "DOCUMENT_NUMBER"])
async def test_every_order_pages_across_equal_keys(services: Services, field: str) -> None:
    records = [shaped(n) for n in range(12)]
    await put(services, *records)
    for direction in ("ASC", "DESC"):
        got = await pages(services, {"field": field, "direction": direction})
        assert got == expected(records, field, direction == "DESC"), (field, direction)


async def test_a_cursor_belongs_to_its_order_and_filters_narrow(services: Services) -> None:
    records = [shaped(n) for n in range(12)]
    await put(services, *records)
    data, _ = await call(services, ADMIN, SEARCH, first=2, order={"field": "ISSUE_DATE"})
    cursor = data["search"]["pageInfo"]["endCursor"]
    for other in ({"field": "DOCUMENT_NUMBER"}, {"field": "ISSUE_DATE", "direction": "ASC"}, None):
        _, errors = await call(services, ADMIN, SEARCH, first=2, after=cursor, order=other)
        assert errors == ["INVALID_CURSOR"], other

    relevance = await pages(services, {"field": "RELEVANCE"})
    assert sorted(relevance) == sorted(r.id for r in records)

    by_signer = await pages(services, {"field": "ISSUE_DATE"}, {"signer": "tran thi BINH"})
    assert set(by_signer) == {r.id for r in records if r.metadata.signer_name == "Trần Thị Bình"}
    urgent = await pages(services, {"field": "ISSUE_DATE"}, {"urgencies": ["URGENT", "FLASH"]})
    assert set(urgent) == {r.id for r in records if r.metadata.urgency is not Urgency.NORMAL}
    since = (T0 + timedelta(minutes=2)).isoformat()
    recent = await pages(services, {"field": "DEPOSITED_AT"}, {"updatedSince": since})
    assert set(recent) == {r.id for r in records if r.updated_at >= T0 + timedelta(minutes=2)}
