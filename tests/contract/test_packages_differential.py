"""The transfer-package rule (``can_export_package``) in Python against what the package
service answers: the differential for issue 13's export.

For every drawn principal, dossier and set of member records, preparing the dossier's
SIP_hoso succeeds exactly when the dossier is readable and ``can_export_package``
allows it over every member; otherwise it is NOT_FOUND when the caller may not read
the dossier (as for a random id), else FORBIDDEN. Likewise for loose documents (a
SIP_tailieu): NOT_FOUND when one of them is unreadable, VALIDATION when they belong to
several agencies, otherwise OK exactly when ``can_export_package`` allows it.

Runs on SQLite, and on PostgreSQL (with Elasticsearch) when they are available.
"""

from __future__ import annotations

import uuid

from hypothesis import given
from hypothesis import strategies as st

from archive.domain.access import Principal, Readable, can_export_package, can_read, can_read_dossier
from archive.domain.errors import Forbidden, MetadataInvalid, NotFound
from archive.domain.records import Classification, Record
from archive.services import packages
from archive.services.container import Services
from tests.contract.test_archival_differential import (
    EXAMPLES,
    NOW,
    facts,
    new_dossier,
    new_fonds,
    principals,
    record_facts,
)
from tests.support.access import make_record

members = st.lists(
    st.builds(
        lambda level: make_record(agency="A", classification=level), st.sampled_from(list(Classification))
    ),
    min_size=1,
    max_size=4,
)


def documents_outcome(services: Services, principal: Principal, record_ids: list[str]) -> str:
    try:
        packages.documents_package(services, principal, record_ids, title="Tài liệu lẻ")
    except (NotFound, Forbidden, MetadataInvalid) as exc:
        return exc.code
    return "OK"


def outcome(services: Services, principal: Principal, dossier_id: str) -> str:
    try:
        packages.dossier_package(services, principal, dossier_id)
    except (NotFound, Forbidden) as exc:
        return exc.code
    return "OK"


@EXAMPLES
@given(
    drawn=members,
    level=st.sampled_from(list(Classification)),
    public=st.booleans(),
    callers=st.lists(principals, min_size=1, max_size=4),
)
async def test_who_may_export_a_dossiers_package(
    services: Services, drawn: list[Record], level: Classification, public: bool, callers: list[Principal]
) -> None:
    dossier = new_dossier(services, new_fonds(services, "A"), level, public)
    for record in drawn:
        services.records.add(record)
    services.archival.place(dossier.id, [r.id for r in drawn], now=NOW)
    for principal in callers:
        readable = can_read_dossier(principal, facts(dossier))
        allowed = can_export_package(principal, facts(dossier), [record_facts(r) for r in drawn])
        want = "OK" if readable and allowed else ("FORBIDDEN" if readable else "NOT_FOUND")
        assert outcome(services, principal, dossier.id) == want
        assert outcome(services, principal, str(uuid.uuid4())) == "NOT_FOUND"


loose = st.lists(
    st.builds(
        lambda agency, level: make_record(agency=agency, classification=level),
        st.sampled_from(["A", "B"]),
        st.sampled_from(list(Classification)),
    ),
    min_size=1,
    max_size=4,
)


@EXAMPLES
@given(drawn=loose, callers=st.lists(principals, min_size=1, max_size=4))
async def test_who_may_export_loose_documents(
    services: Services, drawn: list[Record], callers: list[Principal]
) -> None:
    for record in drawn:
        services.records.add(record)
    ids = [r.id for r in drawn]
    for principal in callers:
        facts_ = [record_facts(r) for r in drawn]
        agencies = {r.agency_code for r in drawn}
        if not all(can_read(principal, f) for f in facts_):
            want = "NOT_FOUND"  # a record it may not read is one that does not exist
        elif len(agencies) > 1:
            want = "VALIDATION"
        else:
            unit = Readable(agencies.pop(), max(r.classification for r in drawn), False)
            want = "OK" if can_export_package(principal, unit, facts_) else "FORBIDDEN"
        assert documents_outcome(services, principal, ids) == want
