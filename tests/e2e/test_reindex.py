"""`archive reindex`: the index is derived, and is rebuilt from the database alone."""

from __future__ import annotations

import asyncio
import io
import threading

from archive.app import DEV_ADMIN
from archive.domain.access import UNRESTRICTED, Principal, ReadScope, Role
from archive.domain.query import parse_query
from archive.domain.records import Record
from archive.domain.search import IndexDocument, SearchFilter, SearchRequest, SearchResult
from archive.samples import SampleDocument, render_pdf
from archive.services.container import Services
from archive.services.deposit import deposit
from archive.services.grants import change_grant
from archive.services.maintenance import rebuild_index
from archive.services.search import search
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


GRANTEE = Principal(subject="g1", roles=frozenset({Role.READER}))


async def test_a_grant_revoked_during_a_reindex_stays_revoked(services: Services) -> None:
    """`archive reindex` pauses after reading every record; meanwhile a grant is revoked
    and a record deposited and processed. After the swap the former grantee finds
    nothing, and the deposit is searchable, with no `archive reconcile` in between."""
    records = [await _deposit(services, str(n), "chữ ký số") for n in range(1, 5)]
    assert await drain(services) == 4
    shared = min(records, key=lambda r: r.id)  # read first: the build holds its granted version
    await change_grant(services, DEV_ADMIN, shared.id, "user:g1", present=True)
    assert await _found(services, GRANTEE, "chu ky so") == [shared.id]

    read_all, resume = threading.Event(), threading.Event()
    last = max(r.id for r in records)

    def pause(document: IndexDocument) -> None:
        if document.record_id == last:
            read_all.set()
            assert resume.wait(timeout=120)

    build = asyncio.create_task(rebuild_index(services, on_read=pause))
    assert await asyncio.to_thread(read_all.wait, 60)

    async def writes() -> None:
        await change_grant(services, DEV_ADMIN, shared.id, "user:g1", present=False)
        await _deposit(services, "99", "phòng chống lụt bão")
        assert await drain(services) == 3  # the deposit, and the re-indexes the grant and revoke enqueued

    during = asyncio.create_task(writes())
    # FTS5 has one writer at a time: there the index writes wait for the build's
    # transaction and land after it. Elasticsearch takes them while the build runs.
    on_elasticsearch = services.settings.search_backend == "elasticsearch"
    await asyncio.wait({during}, timeout=60 if on_elasticsearch else 3)
    assert during.done() or not on_elasticsearch  # there, written while the build ran
    resume.set()
    await build
    await during
    await services.index.refresh()

    assert await _found(services, GRANTEE, "chu ky so") == []
    hidden = await services.index.search(
        SearchRequest(query=parse_query("chu ky so"), scope=ReadScope.for_principal(GRANTEE))
    )
    assert hidden.total == 0 and hidden.hits == ()
    assert len(await _found(services, DEV_ADMIN, "lut bao")) == 1
    versions = {rid: v async for rid, v in services.index.get_versions()}
    assert versions == {r.id: r.row_version for r in services.records.iter_all()}


async def _deposit(services: Services, number: str, subject: str) -> Record:
    doc = SampleDocument(number=number, subject=f"Về việc {subject}")
    return await asyncio.to_thread(
        deposit,
        services,
        DEV_ADMIN,
        io.BytesIO(render_pdf(doc)),
        filename="a.pdf",
        metadata=metadata_for(doc),
    )


async def _found(services: Services, principal: Principal, text: str) -> list[str]:
    page = await search(services, principal, query=text, filter=SearchFilter(), first=20, after=None)
    assert page.result.total == len(page.items)  # the index agrees with the database
    return [item.record.id for item in page.items]
