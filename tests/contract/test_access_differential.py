"""One rule, three implementations: ``can_read`` in Python, the SQL filter behind
``RecordRepository.get_many``, and the filter inside ``SearchIndex.search``.
Hypothesis draws principals and records; all three must pick the same records,
and the search total must count exactly those. Runs on SQLite + FTS5, and on
PostgreSQL + Elasticsearch when they are available."""

from __future__ import annotations

import uuid
from dataclasses import replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archive.domain.access import ANONYMOUS, Principal, Readable, ReadScope, Role, can_read
from archive.domain.query import parse_query
from archive.domain.records import Classification, Record
from archive.domain.search import SearchFilter, SearchRequest
from archive.services.container import Services
from archive.services.indexing import index_document
from tests.support.access import make_record

AGENCIES = ["A", "B", "C"]
SUBJECTS = ["u1", "u2", "u3"]
GRANTEES = ["agency:A", "agency:B", "user:u1", "user:u2"]

classifications = st.sampled_from(list(Classification))


def _record(agency: str, level: Classification, public: bool, grants: set[str], mode: str | None) -> Record:
    record = make_record(agency=agency, classification=level, public=public, grants=tuple(sorted(grants)))
    return replace(record, metadata=replace(record.metadata, mode=mode))


# Modes are drawn freely, also against the classification and public flag (a deposit
# refuses those mixes; the rule and its compiled forms must agree on them anyway).
records = st.builds(
    _record,
    st.sampled_from(AGENCIES),
    classifications,
    st.booleans(),
    st.sets(st.sampled_from(GRANTEES), max_size=2),
    st.sampled_from([None, "01", "02", "02", "03"]),
)
principals = st.one_of(
    st.just(ANONYMOUS),
    st.builds(
        lambda subject, roles, agencies, clearance: Principal(
            subject=subject, roles=frozenset(roles), agencies=frozenset(agencies), clearance=clearance
        ),
        st.sampled_from(SUBJECTS),
        st.sets(st.sampled_from(list(Role)), max_size=2),
        st.sets(st.sampled_from(AGENCIES), max_size=2),
        classifications,
    ),
)


def readable(record: Record) -> Readable:
    return Readable.of(record)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(drawn=st.lists(records, min_size=1, max_size=8), callers=st.lists(principals, min_size=1, max_size=4))
async def test_can_read_sql_and_search_agree(
    services: Services, drawn: list[Record], callers: list[Principal]
) -> None:
    # Each example is its own issuing agency, so examples sharing the stores stay apart.
    tag = f"ex-{uuid.uuid4().hex[:10]}"
    batch = [replace(r, metadata=replace(r.metadata, issuing_agency_code=tag)) for r in drawn]
    for record in batch:
        services.records.add(record)
    await services.index.upsert_many(index_document(r) for r in batch)
    await services.index.refresh()
    ids = [r.id for r in batch]
    for principal in callers:
        scope = ReadScope.for_principal(principal)
        expected = {r.id for r in batch if can_read(principal, readable(r))}
        assert {r.id for r in batch if scope.allows(readable(r))} == expected
        assert set(services.records.get_many(ids, scope)) == expected
        result = await services.index.search(
            SearchRequest(
                query=parse_query(None), scope=scope, filter=SearchFilter(agency_codes=(tag,)), first=50
            )
        )
        assert {h.record_id for h in result.hits} == expected
        assert result.total == len(expected)
        assert sum(b.count for b in result.facets.agencies) == len(expected)
