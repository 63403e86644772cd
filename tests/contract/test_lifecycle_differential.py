"""The lifecycle rules (``can_amend``, ``can_correct``, ``can_relate``) and ``can_read`` in
Python against what the correction and relation services answer and show: the
differential for issue 14.

For every drawn principal and pair of records (agency, classification, public, mode 02):

- correcting a record answers NOT_FOUND when the caller may not read it (as for a
  random id), VALIDATION when the metadata is refused, FORBIDDEN when ``can_correct``
  refuses, and succeeds otherwise;
- relating answers NOT_FOUND unless both records are readable, then FORBIDDEN or OK as
  ``can_relate`` says;
- ``visible_relations`` shows the other record exactly when ``can_read`` allows it; a
  relation declared by id to an unreadable record is not listed (the answer equals that
  of a record with no relation), one declared by reference shows only the reference
  (equal to a reference that names nothing in the archive).

Runs on SQLite, and on PostgreSQL (with Elasticsearch) when they are available.
"""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archive.domain.access import UNRESTRICTED, Principal, Readable, Role, can_correct, can_read, can_relate
from archive.domain.errors import Forbidden, MetadataInvalid, NotFound
from archive.domain.records import Classification, Record, validate_metadata
from archive.domain.relations import ExternalReference, RelationKind
from archive.domain.versions import diff
from archive.services import corrections, relations
from archive.services.container import Services
from tests.support.access import make_record

AGENCIES = ["A", "B"]
TODAY = datetime.now(UTC).date()
ADMIN = Principal(subject="admin", roles=frozenset({Role.ADMIN}), clearance=Classification.TOP_SECRET)

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
    st.sets(st.sampled_from(list(Role)), max_size=2),
    st.sets(st.sampled_from(AGENCIES), max_size=2),
    classifications,
    st.booleans(),
)


def _record(agency: str, level: Classification, public: bool, conditional: bool) -> Record:
    """A record of ``agency`` with a number no other record has (references name it alone)."""
    ordinary = level is Classification.ORDINARY
    record = make_record(agency=agency, classification=level, public=public and ordinary)
    mode = "03" if not ordinary else "01" if record.is_public else "02" if conditional else None
    number = uuid.uuid4().hex[:12]
    return dataclasses.replace(
        record, metadata=dataclasses.replace(record.metadata, mode=mode, number=number)
    )


def _copy(record: Record) -> Record:
    """Another record with the same facts (a new id, its own bytes)."""
    stored = dataclasses.replace(record.file, storage_key=f"k/{uuid.uuid4()}", sha256=uuid.uuid4().hex * 2)
    return dataclasses.replace(record, id=str(uuid.uuid4()), file=stored)


records = st.builds(_record, st.sampled_from(AGENCIES), classifications, st.booleans(), st.booleans())
changes = st.fixed_dictionaries(
    {},
    optional={
        "classification": classifications,
        "is_public": st.booleans(),
        "subject": st.sampled_from(["Trích yếu đã sửa", "Về việc khác"]),
    },
).filter(bool)
EXAMPLES = settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def facts(record: Record) -> Readable:
    return Readable.of(record)


async def correct_outcome(
    services: Services, principal: Principal, record_id: str, change: dict[str, object]
) -> str:
    try:
        await corrections.correct(services, principal, record_id, change, reason="kiểm tra")
    except (NotFound, Forbidden, MetadataInvalid) as exc:
        return exc.code
    return "OK"


def expected_correction(principal: Principal, record: Record, change: dict[str, object]) -> str:
    if not can_read(principal, facts(record)):
        return "NOT_FOUND"
    try:
        after = validate_metadata(corrections.corrected(record.metadata, change), today=TODAY)
    except MetadataInvalid:
        return "VALIDATION"
    later = Readable(
        record.agency_code, after.classification, after.is_public, record.grants, after.is_conditional
    )
    if not can_correct(principal, facts(record), later):
        return "FORBIDDEN"
    return "OK" if diff(record.metadata, after) else "VALIDATION"


@EXAMPLES
@given(record=records, principal=principals, change=changes)
async def test_a_correction_answers_what_the_rules_say(
    services: Services, record: Record, principal: Principal, change: dict[str, object]
) -> None:
    services.records.add(record)
    stored = services.records.get(record.id, UNRESTRICTED)
    assert stored is not None
    want = expected_correction(principal, stored, change)
    assert await correct_outcome(services, principal, record.id, change) == want
    assert await correct_outcome(services, principal, str(uuid.uuid4()), change) == "NOT_FOUND"
    versions = await corrections.history(services, ADMIN, record.id)
    assert len(versions) == (2 if want == "OK" else 1)


@EXAMPLES
@given(subject=records, target=records, principal=principals, kind=st.sampled_from(list(RelationKind)))
async def test_relations_show_only_what_the_caller_may_read(
    services: Services, subject: Record, target: Record, principal: Principal, kind: RelationKind
) -> None:
    alone, by_reference = _copy(subject), _copy(subject)
    for record in (subject, target, alone, by_reference):
        services.records.add(record)
    await relations.relate(services, ADMIN, subject.id, kind, target_id=target.id)
    m = target.metadata
    named = ExternalReference(m.issuing_agency_code, m.document_number, m.issue_date)
    await relations.relate(services, ADMIN, by_reference.id, kind, reference=named)

    if can_read(principal, facts(subject)):
        shown = await relations.visible_relations(services, principal, subject)
        if can_read(principal, facts(target)):
            assert [(r.kind, r.record.id if r.record else None) for r in shown] == [(kind, target.id)]
        else:  # exactly what a record with no relation shows
            assert shown == await relations.visible_relations(services, principal, alone) == []
    if can_read(principal, facts(target)):
        # Both subject and its copy relate to the target (by id, and by a reference that linked).
        shown = await relations.visible_relations(services, principal, target)
        seen = sorted((r.kind.value, r.record.id if r.record else "") for r in shown)
        readers = [r.id for r in (subject, by_reference) if can_read(principal, facts(r))]
        assert seen == sorted((kind.inverse.value, i) for i in readers)
    if can_read(principal, facts(by_reference)):
        shown = await relations.visible_relations(services, principal, by_reference)
        linked = [r.record.id if r.record else None for r in shown]
        assert [r.reference for r in shown] == [named]
        assert linked == ([target.id] if can_read(principal, facts(target)) else [None])

    try:
        await relations.relate(services, principal, subject.id, RelationKind.AMENDS, target_id=target.id)
        got = "OK"
    except (NotFound, Forbidden) as exc:
        got = exc.code
    if not (can_read(principal, facts(subject)) and can_read(principal, facts(target))):
        assert got == "NOT_FOUND"
    else:
        allowed = can_relate(principal, facts(subject), facts(target), changes_target=False)
        assert got == ("OK" if allowed else "FORBIDDEN")
