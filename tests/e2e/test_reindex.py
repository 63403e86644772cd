"""`archive reindex`: the index is derived, and is rebuilt from the database alone."""

from __future__ import annotations

import io

from archive.app import DEV_ADMIN
from archive.domain.access import UNRESTRICTED
from archive.domain.query import parse_query
from archive.domain.search import SearchRequest, SearchResult
from archive.samples import SampleDocument, render_pdf
from archive.services.container import Services
from archive.services.deposit import deposit
from archive.services.maintenance import rebuild_index
from archive.services.worker import drain
from tests.e2e.documents import metadata_for


async def test_rebuild_restores_a_lost_index_and_drops_strays(services: Services) -> None:
    for number in ("1", "2", "3"):
        doc = SampleDocument(number=number, subject=f"Về việc số {number} chữ ký số")
        deposit(
            services, DEV_ADMIN, io.BytesIO(render_pdf(doc)), filename="a.pdf", metadata=metadata_for(doc)
        )
    assert await drain(services) == 3
    await services.index.refresh()
    one = next(r for r in services.records.iter_all() if r.metadata.number == "1")
    await services.index.delete(one.id)  # drift: a document lost from the index
    await services.index.refresh()
    assert (await _search(services, "chu ky so")).total == 2

    assert await rebuild_index(services) == 3
    await services.index.refresh()
    result = await _search(services, "chu ky so")
    assert result.total == 3
    versions = {rid: v async for rid, v in services.index.get_versions()}
    assert versions == {r.id: r.row_version for r in services.records.iter_all()}


async def _search(services: Services, text: str) -> SearchResult:
    return await services.index.search(SearchRequest(query=parse_query(text), scope=UNRESTRICTED))
