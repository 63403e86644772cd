"""The transfer-package rule (``can_export_package``) in Python against what the package
service answers: the differential for issue 13's export.

For every drawn principal, dossier and set of member records, preparing the dossier's
SIP_hoso succeeds exactly when the dossier is readable and ``can_export_package``
allows it over every member; otherwise it is NOT_FOUND when the caller may not read
the dossier (as for a random id), else FORBIDDEN. Nothing is audited for a refusal.

Runs on SQLite, and on PostgreSQL (with Elasticsearch) when they are available.
"""

from __future__ import annotations

import uuid

from hypothesis import given
from hypothesis import strategies as st

from archive.domain.access import Principal, can_export_package, can_read_dossier
from archive.domain.errors import Forbidden, NotFound
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
