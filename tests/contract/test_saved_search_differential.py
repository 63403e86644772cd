"""Saved searches against their rules (``can_save_search``, ``can_use_saved_search``,
``can_delete_saved_search``) for drawn owners and runners, and running one against the
runner's own search: a saved search shows the runner exactly what the same search by the
runner shows, whoever saved it. SQLite, and PostgreSQL + Elasticsearch when available."""

from __future__ import annotations

import asyncio

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archive.domain.access import (
    Principal,
    can_delete_saved_search,
    can_export_results,
    can_save_search,
    can_see_result_export,
    can_use_saved_search,
)
from archive.domain.errors import Forbidden, NotFound
from archive.domain.listing import ExportFormat
from archive.domain.result_exports import ExportStatus
from archive.domain.search import SearchFilter, SearchOrder, SortField
from archive.services import result_exports, saved_searches
from archive.services.audit import ClientInfo
from archive.services.container import Services
from archive.services.search import search
from tests.support import strategies
from tests.support.access import make_record, put

AGENCIES = ["A", "B"]
EXAMPLES = settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
records = st.lists(
    st.builds(
        lambda agency, level, public: make_record(
            agency=agency, classification=level, public=public, subject="Báo cáo tổng kết năm"
        ),
        st.sampled_from(AGENCIES),
        strategies.classifications,
        st.booleans(),
    ),
    max_size=4,
)


@EXAMPLES
@given(
    made=records,
    owner=strategies.principals(AGENCIES),
    runner=strategies.principals(AGENCIES),
    share=st.sampled_from([None, "A", "B"]),
)
async def test_saved_searches_follow_their_rules(
    services: Services,
    made: list,
    owner: Principal,
    runner: Principal,
    share: str | None,  # type: ignore[type-arg]
) -> None:
    await put(services, *made)
    client = ClientInfo()
    try:
        saved = await saved_searches.save(
            services,
            owner,
            name="Báo cáo",
            query="báo cáo",
            filter=SearchFilter(),
            shared_with=share,
            client=client,
        )
    except Forbidden:
        assert not can_save_search(owner, share)
        return
    assert can_save_search(owner, share)
    listed = {s.id for s in await saved_searches.visible(services, runner)}
    usable = can_use_saved_search(runner, saved.owner, saved.shared_with)
    assert (saved.id in listed) == usable
    try:
        _, page = await saved_searches.run(services, runner, saved.id, first=50, after=None)
    except NotFound:
        assert not usable
    else:
        assert usable
        direct = await search(services, runner, query="báo cáo", filter=SearchFilter(), first=50, after=None)
        assert [i.record.id for i in page.items] == [i.record.id for i in direct.items]
        assert page.result.total == direct.result.total
    try:
        await saved_searches.delete(services, runner, saved.id, client=client)
    except NotFound:
        assert not usable
    except Forbidden:
        assert usable and not can_delete_saved_search(runner, saved.owner)
    else:
        assert usable and can_delete_saved_search(runner, saved.owner)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(made=records, owner=strategies.principals(AGENCIES), other=strategies.principals(AGENCIES))
async def test_result_exports_follow_their_rules(
    services: Services,
    made: list,  # type: ignore[type-arg]
    owner: Principal,
    other: Principal,
) -> None:
    """An export starts only under ``can_export_results``, holds exactly the owner's own
    search, and is seen by ``can_see_result_export`` alone."""
    await put(services, *made)
    client = ClientInfo()
    order = SearchOrder(SortField.ISSUE_DATE)
    try:
        job = await result_exports.start(
            services,
            owner,
            query="báo cáo",
            filter=SearchFilter(),
            order=order,
            fmt=ExportFormat.CSV,
            client=client,
        )
    except Forbidden:
        assert not can_export_results(owner)
        return
    assert can_export_results(owner)
    for _ in range(600):  # the job runs in this event loop, started by ``start``
        if (await result_exports.get(services, owner, job.id)).status is ExportStatus.DONE:
            break
        await asyncio.sleep(0.05)
    done, _ = await result_exports.file(services, owner, job.id)
    direct = await search(
        services, owner, query="báo cáo", filter=SearchFilter(), first=50, after=None, order=order
    )
    assert done.done == len(direct.items) == done.total
    try:
        await result_exports.get(services, other, job.id)
    except NotFound:
        assert not can_see_result_export(other, owner.subject)
    else:
        assert can_see_result_export(other, owner.subject)
