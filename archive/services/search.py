"""Search and retrieval for a principal. The read rule travels into every query."""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass

from archive.domain.access import Principal, ReadScope
from archive.domain.errors import InvalidCursor
from archive.domain.query import parse_query
from archive.domain.records import Record
from archive.domain.search import (
    RELEVANCE,
    SearchFilter,
    SearchHit,
    SearchOrder,
    SearchRequest,
    SearchResult,
    SortKey,
)
from archive.services.container import Services


@dataclass(frozen=True, slots=True)
class FoundRecord:
    hit: SearchHit
    record: Record
    cursor: str


@dataclass(frozen=True, slots=True)
class SearchPage:
    items: tuple[FoundRecord, ...]
    result: SearchResult


async def search(
    services: Services,
    principal: Principal,
    *,
    query: str | None,
    filter: SearchFilter,
    first: int,
    after: str | None,
    order: SearchOrder = RELEVANCE,
) -> SearchPage:
    """One page of hits the principal may read, with records loaded in one query."""
    scope = ReadScope.for_principal(principal)
    request = SearchRequest(
        query=parse_query(query),
        scope=scope,
        filter=filter,
        first=first,
        after=decode_cursor(after),
        order=order,
    )
    with services.metrics.search_seconds.time():
        result = await services.index.search(request)
    ids = [h.record_id for h in result.hits]
    # A page of hits shows metadata, not the text of every page of every hit.
    records = await asyncio.to_thread(services.records.get_many, ids, scope, with_pages=False)
    # The index is derived and may lag a purge or an access change: the database,
    # read under the same scope, has the last word on every hit.
    items = tuple(
        FoundRecord(hit=h, record=records[h.record_id], cursor=encode_cursor(h.sort_key))
        for h in result.hits
        if h.record_id in records
    )
    return SearchPage(items=items, result=result)


async def get_record(services: Services, principal: Principal, record_id: str) -> Record | None:
    """The record, or None when it is missing or unreadable: the two look the same."""
    return await asyncio.to_thread(services.records.get, record_id, ReadScope.for_principal(principal))


async def get_records(
    services: Services, principal: Principal, record_ids: Sequence[str]
) -> dict[str, Record]:
    """The readable records among ``record_ids``, by id, in one query (without pages); a
    missing id and an unreadable one are both simply absent."""
    return await asyncio.to_thread(
        services.records.get_many,
        list(dict.fromkeys(record_ids)),
        ReadScope.for_principal(principal),
        with_pages=False,
    )


def encode_cursor(key: SortKey) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(key), separators=(",", ":")).encode()).decode()


def decode_cursor(cursor: str | None) -> SortKey | None:
    """The sort key inside a cursor; InvalidCursor for anything this service did not issue."""
    if cursor is None:
        return None
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor.encode("ascii")))
    except (ValueError, binascii.Error, UnicodeError) as exc:
        raise InvalidCursor("the cursor is malformed") from exc
    if not isinstance(values, list) or not values or len(values) > 8:
        raise InvalidCursor("the cursor is malformed")
    if not all(isinstance(v, int | float | str) and not isinstance(v, bool) for v in values):
        raise InvalidCursor("the cursor is malformed")
    return tuple(values)
