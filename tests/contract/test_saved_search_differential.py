"""Saved searches against their rules (``can_save_search``, ``can_use_saved_search``,
``can_delete_saved_search``) for drawn owners and runners, and running one against the
runner's own search: a saved search shows the runner exactly what the same search by the
runner shows, whoever saved it. SQLite, and PostgreSQL + Elasticsearch when available."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archive.domain.access import Principal, can_delete_saved_search, can_save_search, can_use_saved_search
from archive.domain.errors import Forbidden, NotFound
from archive.domain.search import SearchFilter
from archive.services import saved_searches
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
