"""Readers' requests and DIPs: the rules in ``archive.domain.access`` against what the
services do (issue 13's differential).

For every drawn set of records, reader, deciders and exporters:

- a request is seen (``get``, ``listed``) exactly as ``can_see_access_request`` says,
  and a request the caller may not see answers like one that does not exist;
- approving succeeds exactly when ``can_decide_access_request`` allows it, with an id
  that names nothing counted like a record the decider may not read;
- the DIP is made exactly when ``can_export_for_request`` allows it, and carries exactly
  the documents ``can_copy_for_request`` allows, in the order asked;
- an AIP of a dossier is prepared exactly when ``can_export_preservation_package`` allows
  it, and a dossier the caller may not read is NOT_FOUND.

Runs on SQLite, and on PostgreSQL (with Elasticsearch) when they are available.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archive.domain import archival as da
from archive.domain.access import (
    Principal,
    Readable,
    Role,
    can_copy_for_request,
    can_decide_access_request,
    can_export_for_request,
    can_export_preservation_package,
    can_read,
    can_see_access_request,
)
from archive.domain.access_requests import RequestForm, RequestStatus
from archive.domain.errors import Forbidden, MetadataInvalid, NotFound, RequestDecided
from archive.domain.records import Classification, Record
from archive.services import access_requests, aip, dip, packages
from archive.services.audit import ClientInfo
from archive.services.container import Services
from tests.support.access import make_record
from tests.support.dossiers import dossier, place

AGENCIES = ["A", "B"]
NOW = datetime(2026, 3, 1, 8, 30, tzinfo=UTC)
CLIENT = ClientInfo()
classifications = st.sampled_from(list(Classification))
principals = st.builds(
    lambda n, roles, agencies, clearance, anonymous: Principal(
        subject="anonymous" if anonymous else f"p{n}",
        roles=frozenset() if anonymous else frozenset(roles),
        agencies=frozenset() if anonymous else frozenset(agencies),
        clearance=clearance,
        anonymous=anonymous,
    ),
    st.integers(0, 3),
    st.sets(st.sampled_from([Role.READER, Role.ARCHIVIST, Role.ADMIN, Role.CLERK]), max_size=2),
    st.sets(st.sampled_from(AGENCIES), max_size=2),
    classifications,
    st.booleans(),
)
readers = principals.filter(lambda p: not p.anonymous)
records = st.lists(
    st.builds(
        lambda agency, level, public, grants: make_record(
            agency=agency, classification=level, public=public, grants=grants
        ),
        st.sampled_from(AGENCIES),
        classifications,
        st.booleans(),
        st.sampled_from([(), ("user:p1",), ("agency:B",)]),
    ),
    min_size=1,
    max_size=4,
)
EXAMPLES = settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def facts(record: Record) -> Readable:
    return Readable.of(record)


def form(ids: list[str]) -> RequestForm:
    return RequestForm(
        code="PYC-01/2026",
        requested_on=date(2026, 3, 2),
        purpose="01",
        topic="Lịch sử hành chính tỉnh",
        reader_name="Trần Thị Bình",
        record_ids=tuple(ids),
    )


async def seen(services: Services, principal: Principal, request_id: str) -> bool:
    try:
        await access_requests.get(services, principal, request_id)
    except NotFound:
        return False
    return True


async def exported(services: Services, principal: Principal, request_id: str) -> list[str] | str:
    try:
        _, found = await dip.dip_documents(services, principal, CLIENT, request_id)
    except (NotFound, Forbidden) as error:
        return error.code
    return [r.id for r in found]


@EXAMPLES
@given(
    drawn=records,
    with_unknown=st.booleans(),
    reader=readers,
    deciders=st.lists(principals, min_size=1, max_size=3),
    exporters=st.lists(principals, min_size=1, max_size=3),
)
async def test_requests_approvals_and_dips_follow_the_rules(
    services: Services,
    drawn: list[Record],
    with_unknown: bool,
    reader: Principal,
    deciders: list[Principal],
    exporters: list[Principal],
) -> None:
    for record in drawn:
        services.records.add(record)
    unknown = str(uuid.uuid4())  # names no record: must behave like an unreadable one
    ids = [r.id for r in drawn] + ([unknown] if with_unknown else [])
    request = await access_requests.submit(services, reader, CLIENT, form(ids))
    readable: list[Readable | None] = [facts(r) for r in drawn] + ([None] if with_unknown else [])
    approved = False
    for decider in deciders:
        assert await seen(services, decider, request.id) == can_see_access_request(decider, reader.subject)
        listed = {r.id for r in await access_requests.listed(services, decider, first=100)}
        assert (request.id in listed) == can_see_access_request(decider, reader.subject)
        may = can_see_access_request(decider, reader.subject) and can_decide_access_request(
            decider, reader=reader.subject, records=readable
        )
        try:
            decided = await access_requests.decide(services, decider, CLIENT, request.id, approve=True)
        except (NotFound, Forbidden):
            assert not may
            continue
        except RequestDecided:  # a decision is made once
            assert may and approved
            continue
        assert may and not approved
        assert decided.status is RequestStatus.APPROVED
        approved = True
    for exporter in [reader, *exporters]:
        answer = await exported(services, exporter, request.id)
        if not can_see_access_request(exporter, reader.subject):
            assert answer == "NOT_FOUND"
        elif not can_export_for_request(exporter, reader=reader.subject, approved=approved):
            assert answer == "FORBIDDEN"
        else:
            want = [
                r.id
                for r in drawn
                if can_copy_for_request(exporter, facts(r), reader=reader.subject, covered=approved)
            ]
            assert answer == want


async def test_a_request_for_unknown_ids_tells_the_reader_nothing(services: Services) -> None:
    reader = Principal(subject="reader-1", roles=frozenset({Role.READER}))
    hidden = make_record(agency="A", classification=Classification.SECRET)
    services.records.add(hidden)
    made = [
        await access_requests.submit(services, reader, CLIENT, form([i]))
        for i in (hidden.id, str(uuid.uuid4()))
    ]
    # Both are accepted and stored the same way: no answer says which id names a record.
    assert [r.status for r in made] == [RequestStatus.PENDING, RequestStatus.PENDING]
    archivist = Principal(
        subject="arch", roles=frozenset({Role.ARCHIVIST}), clearance=Classification.ORDINARY
    )
    for request in made:  # an archivist who cannot read the secret one cannot approve either
        try:
            await access_requests.decide(services, archivist, CLIENT, request.id, approve=True)
        except Forbidden as error:
            assert "may read every document" in error.message
        else:
            raise AssertionError("approved a request for a document the archivist may not read")


@EXAMPLES
@given(drawn=records, callers=st.lists(principals, min_size=1, max_size=4))
async def test_who_may_make_an_aip_follows_the_rule(
    services: Services, drawn: list[Record], callers: list[Principal]
) -> None:
    """The AIP's check (``can_export_preservation_package``) against what packaging answers:
    NOT_FOUND for a dossier the caller may not read, FORBIDDEN when the rule refuses."""
    fonds = da.Fonds(
        id=str(uuid.uuid4()), code=f"F-{uuid.uuid4().hex[:12]}", name="Phông", agency_code="A", created_at=NOW
    )
    services.archival.save_fonds(fonds)
    made = dossier(services, fonds, f"{uuid.uuid4().hex[:6]}/VP", "Hồ sơ", mode="01")
    for record in drawn:
        services.records.add(record)
    place(services, made, [r.id for r in drawn])
    unit = Readable(made.agency_code, made.classification, made.is_public)
    for principal in callers:
        try:
            packages.dossier_package(services, principal, made.id, packaging=aip.HOSO)
        except (NotFound, Forbidden) as error:
            answer = error.code
        except MetadataInvalid:  # documents still processing: only once the check passed
            answer = "OK"
        else:
            answer = "OK"
        if not can_read(principal, unit):
            assert answer == "NOT_FOUND"
        else:
            allowed = can_export_preservation_package(principal, unit, [facts(r) for r in drawn])
            assert answer == ("OK" if allowed else "FORBIDDEN")
