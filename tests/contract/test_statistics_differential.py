"""The statistics queries against the read rules (issue 15): for every drawn caller,

- the record counts by each dimension are exactly the counts of the records ``can_read``
  allows, and the dossier counts those ``can_read_dossier`` allows;
- access counts are refused to whoever ``can_read_audit`` refuses, and otherwise count one
  access per audited read of a record the caller may read, and nothing about the others.

Runs on SQLite, and on PostgreSQL when it is available.
"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archive.api.types import to_global_id
from archive.domain.access import (
    UNRESTRICTED,
    Principal,
    Readable,
    can_read,
    can_read_audit,
    can_read_dossier,
)
from archive.domain.errors import Forbidden
from archive.domain.records import MODE_CONDITIONAL, Classification, Record
from archive.domain.statistics import DossierDimension, RecordDimension
from archive.services import statistics
from archive.services.container import Services
from tests.retention.scenario import ADMIN, call
from tests.support import strategies
from tests.support.access import make_record
from tests.support.dossiers import agency_fonds, dossier

AGENCIES = ["A", "B", "C"]
EXAMPLES = settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
shapes = st.tuples(
    st.sampled_from(AGENCIES),
    strategies.classifications,
    st.booleans(),  # public
    st.booleans(),  # conditional use (mode 02) when not public
    st.sampled_from([(), ("agency:B",), ("user:p1",)]),
)


def shaped(
    agency: str, level: Classification, public: bool, conditional: bool, grants: tuple[str, ...]
) -> Record:
    record = make_record(agency=agency, classification=level, public=public, grants=grants)
    if conditional and not public:
        record = dataclasses.replace(
            record, metadata=dataclasses.replace(record.metadata, mode=MODE_CONDITIONAL)
        )
    return record


def expected_records(services: Services, principal: Principal, by: RecordDimension) -> dict[str, int]:
    key = {
        RecordDimension.AGENCY: lambda r: r.agency_code,
        RecordDimension.CLASSIFICATION: lambda r: r.metadata.classification.name,
        RecordDimension.YEAR: lambda r: str(r.metadata.issue_date.year),
        RecordDimension.FONDS: lambda r: r.fonds_id,
    }[by]
    return dict(Counter(key(r) for r in services.records.iter_all() if can_read(principal, Readable.of(r))))


@EXAMPLES
@given(
    drawn=st.lists(shapes, min_size=1, max_size=6),
    callers=st.lists(strategies.principals(AGENCIES), max_size=4),
)
async def test_counts_are_those_of_the_read_rules(
    services: Services,
    drawn: list[tuple[str, Classification, bool, bool, tuple[str, ...]]],
    callers: list[Principal],
) -> None:
    for shape in drawn:
        record = shaped(*shape)
        await asyncio.to_thread(services.records.add, record)
        agency, level, public, conditional, _ = shape
        fonds = agency_fonds(services, agency, f"Phông {agency}")
        mode = "01" if public else ("02" if conditional else "03")
        if mode == "03" and level is Classification.ORDINARY:
            level = Classification.CONFIDENTIAL
        dossier(services, fonds, uuid.uuid4().hex[:8], "Hồ sơ", mode=mode, classification=level)
    every_dossier = services.archival.dossiers(UNRESTRICTED, limit=10_000)
    for principal in [*callers, ADMIN]:
        for by in (
            RecordDimension.AGENCY,
            RecordDimension.CLASSIFICATION,
            RecordDimension.YEAR,
            RecordDimension.FONDS,
        ):
            got = await asyncio.to_thread(statistics.record_counts, services, principal, by)
            assert {b.value: b.count for b in got} == expected_records(services, principal, by), (
                principal,
                by,
            )
        got = await asyncio.to_thread(statistics.dossier_counts, services, principal, DossierDimension.AGENCY)
        shown = Counter(
            d.agency_code for d in every_dossier if can_read_dossier(principal, Readable.of_dossier(d))
        )
        assert {b.value: b.count for b in got} == dict(shown), principal


@EXAMPLES
@given(callers=st.lists(strategies.principals(AGENCIES), min_size=1, max_size=4))
async def test_access_counts_follow_the_audit_rules(services: Services, callers: list[Principal]) -> None:
    mine = make_record(agency="A")
    theirs = make_record(agency="B", classification=Classification.SECRET)
    for record in (mine, theirs):
        await asyncio.to_thread(services.records.add, record)
    query = "query($id: ID!) { record(id: $id) { id } }"
    for record in (mine, mine, theirs):
        data, errors = await call(services, ADMIN, query, id=to_global_id("Record", record.id))
        assert errors == [] and data["record"] is not None
    reads = Counter(
        e.target
        for e in services.audit.entries()
        if e.action == "record.read" and e.target in (mine.id, theirs.id)
    )
    assert reads == {mine.id: 2, theirs.id: 1}
    for principal in callers:
        if not can_read_audit(principal):
            try:
                await asyncio.to_thread(statistics.access_counts, services, principal)
            except Forbidden:
                continue
            raise AssertionError(f"{principal} read access statistics")
        got = await asyncio.to_thread(statistics.access_counts, services, principal)
        counted = sum(b.count for b in got if b.action == "record.read")
        expected = sum(
            1
            for e in services.audit.entries()
            if e.action == "record.read"
            and (record := services.records.get(e.target, UNRESTRICTED)) is not None
            and can_read(principal, Readable.of(record))
        )
        assert counted == expected, principal
