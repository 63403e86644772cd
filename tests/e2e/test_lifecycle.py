"""Records that live (issue 14): corrections with history, relations, revocation and
replacement, through the services, on both stacks (SQLite + FTS5, and PostgreSQL +
Elasticsearch + S3)."""

from __future__ import annotations

import asyncio
import io
from dataclasses import replace
from datetime import date

import pytest

from archive.domain.access import Principal, ReadScope, Role
from archive.domain.errors import Forbidden, MetadataInvalid, NotFound, VersionConflict
from archive.domain.ports import AuditFilter
from archive.domain.query import parse_query
from archive.domain.records import Classification, Record
from archive.domain.relations import ExternalReference, RecordStatus, RelationKind
from archive.domain.search import SearchFilter, SearchRequest
from archive.services import audit, corrections, relations
from archive.services.audit import ClientInfo
from archive.services.container import Services
from archive.services.deposit import deposit
from archive.services.maintenance import rebuild_index
from archive.services.search import get_record
from archive.services.worker import drain
from tests.retention.scenario import ADMIN
from tests.retention.support import make_pdf
from tests.retention.support import metadata as deposit_metadata
from tests.support.access import make_record, put

CLERK_A = Principal(
    subject="clerk-a",
    roles=frozenset({Role.CLERK}),
    agencies=frozenset({"A"}),
    clearance=Classification.SECRET,
)
READER_B = Principal(subject="reader-b", roles=frozenset({Role.READER}), agencies=frozenset({"B"}))


async def hits(services: Services, principal: Principal, query: str, **flt: object) -> list[str]:
    request = SearchRequest(
        query=parse_query(query),
        scope=ReadScope.for_principal(principal),
        filter=SearchFilter(**flt),  # type: ignore[arg-type]
        first=50,
    )
    await services.index.refresh()
    return [h.record_id for h in (await services.index.search(request)).hits]


def record_a(subject: str = "Về việc cấp phép khai thác cát sông Lô", **kw: object) -> Record:
    return make_record(agency="A", subject=subject, text="Nội dung văn bản", **kw)  # type: ignore[arg-type]


async def test_two_corrections_leave_three_versions_with_their_diffs(services: Services) -> None:
    record = record_a()
    await put(services, record)

    first = await corrections.correct(
        services,
        CLERK_A,
        record.id,
        {"subject": "Về việc thu hồi giấy phép khai thác"},
        reason="sai trích yếu",
    )
    second = await corrections.correct(
        services,
        CLERK_A,
        record.id,
        {"issue_place": "Hà Giang", "signer_name": "Trần Thị Bình"},
        reason="bổ sung địa danh",
        expected_version=2,
    )

    assert (first.metadata_version, second.metadata_version) == (2, 3)
    history = await corrections.history(services, CLERK_A, record.id)
    assert [v.version for v, _ in history] == [1, 2, 3]
    assert [v.actor for v, _ in history] == [None, "clerk-a", "clerk-a"]
    assert [v.reason for v, _ in history] == ["deposit", "sai trích yếu", "bổ sung địa danh"]
    assert history[0][1] == ()
    assert [(c.field, c.before, c.after) for c in history[1][1]] == [
        ("subject", record.metadata.subject, "Về việc thu hồi giấy phép khai thác")
    ]
    assert {c.field for c in history[2][1]} == {"issue_place", "signer_name"}
    assert history[0][0].metadata.subject == record.metadata.subject  # version 1: as deposited
    current = await get_record(services, CLERK_A, record.id)
    assert current is not None and current.metadata == second.metadata
    assert current.metadata.subject == "Về việc thu hồi giấy phép khai thác"
    entries = [e for e in services.audit.entries() if e.action == "record.correct"]
    assert [(e.target, e.details["version"]) for e in entries] == [(record.id, "2"), (record.id, "3")]
    with pytest.raises(VersionConflict):  # someone else's correction is never overwritten blindly
        await corrections.correct(
            services, CLERK_A, record.id, {"keyword": "cát"}, reason="r", expected_version=2
        )


async def test_search_finds_the_corrected_subject_and_not_the_old_one(services: Services) -> None:
    record = record_a()
    await put(services, record)
    assert await hits(services, CLERK_A, "khai thác cát") == [record.id]

    await corrections.correct(
        services, CLERK_A, record.id, {"subject": "Về việc phê duyệt quy hoạch thủy lợi"}, reason="nhầm"
    )

    assert await hits(services, CLERK_A, "khai thác cát") == []
    assert await hits(services, CLERK_A, "quy hoach thuy loi") == [record.id]


async def test_a_correction_is_validated_as_a_deposit_is_and_needs_a_reason(services: Services) -> None:
    record = record_a()
    await put(services, record)
    with pytest.raises(MetadataInvalid) as future:
        await corrections.correct(services, CLERK_A, record.id, {"issue_date": date(2999, 1, 1)}, reason="r")
    assert future.value.field == "issue_date"
    with pytest.raises(MetadataInvalid) as unknown:
        await corrections.correct(services, CLERK_A, record.id, {"agency_code": "B"}, reason="r")
    assert unknown.value.field == "agency_code"
    with pytest.raises(MetadataInvalid) as no_reason:
        await corrections.correct(services, CLERK_A, record.id, {"keyword": "x"}, reason="  ")
    assert no_reason.value.field == "reason"
    assert [v.version for v, _ in await corrections.history(services, CLERK_A, record.id)] == [1]


async def test_corrections_never_leak_nor_lose_a_record(services: Services) -> None:
    secret = record_a(classification=Classification.SECRET)
    ordinary = record_a()
    await put(services, secret, ordinary)
    # Down-classifying (or publishing) widens who reads it: an admin's decision, not a clerk's.
    with pytest.raises(Forbidden):
        await corrections.correct(
            services, CLERK_A, secret.id, {"classification": Classification.ORDINARY}, reason="r"
        )
    with pytest.raises(Forbidden):
        await corrections.correct(services, CLERK_A, ordinary.id, {"is_public": True}, reason="r")
    # Above the corrector's own clearance: it would lose sight of what it corrected.
    with pytest.raises(Forbidden):
        await corrections.correct(
            services, CLERK_A, ordinary.id, {"classification": Classification.TOP_SECRET}, reason="r"
        )
    # Narrowing within its clearance is fine; the mode follows the classification.
    narrowed = await corrections.correct(
        services, CLERK_A, ordinary.id, {"classification": Classification.CONFIDENTIAL}, reason="Mật"
    )
    assert narrowed.metadata.mode == "03"
    assert await hits(services, READER_B, "khai thác") == []
    # An unreadable record looks exactly like a missing one.
    for record_id in (secret.id, "00000000-0000-4000-8000-000000000000"):
        with pytest.raises(NotFound):
            await corrections.correct(services, READER_B, record_id, {"keyword": "x"}, reason="r")
        assert await corrections.history(services, READER_B, record_id) == []
    declassified = await corrections.correct(
        services, ADMIN, secret.id, {"classification": Classification.ORDINARY}, reason="giải mật"
    )
    assert (
        declassified.metadata.classification is Classification.ORDINARY and declassified.metadata.mode is None
    )


async def test_relations_read_in_both_directions(services: Services) -> None:
    amended, amending = record_a(), record_a(subject="Sửa đổi quyết định")
    await put(services, amended, amending)

    made = await relations.relate(services, CLERK_A, amending.id, RelationKind.AMENDS, target_id=amended.id)

    from_amending = await relations.visible_relations(services, CLERK_A, amending)
    from_amended = await relations.visible_relations(services, CLERK_A, amended)
    assert [(r.kind, r.record.id if r.record else None) for r in from_amending] == [
        (RelationKind.AMENDS, amended.id)
    ]
    assert [(r.kind, r.record.id if r.record else None) for r in from_amended] == [
        (RelationKind.AMENDED_BY, amending.id)
    ]
    again = await relations.relate(services, CLERK_A, amending.id, RelationKind.AMENDS, target_id=amended.id)
    assert again.id == made.id  # a repeated declaration (a re-sent package) is the same relation
    audit = [e for e in services.audit.entries() if e.action == "record.relate"]
    assert len(audit) == 2 and audit[0].details["related"] == amended.id


async def test_a_revoked_record_leaves_search_comes_back_with_the_filter_and_stays_readable(
    services: Services,
) -> None:
    revoked, revoking = record_a(), record_a(subject="Quyết định bãi bỏ")
    await put(services, revoked, revoking)
    assert await hits(services, CLERK_A, "khai thác cát") == [revoked.id]

    await relations.revoke(services, CLERK_A, revoked.id, by_record_id=revoking.id)

    assert await hits(services, CLERK_A, "khai thác cát") == []
    assert await hits(services, CLERK_A, "khai thác cát", include_revoked=True) == [revoked.id]
    again = await get_record(services, CLERK_A, revoked.id)
    assert again is not None
    status = await relations.visible_status(services, CLERK_A, again)
    assert status.status is RecordStatus.REVOKED and status.at is not None
    assert status.by is not None and status.by.record is not None and status.by.record.id == revoking.id
    from_revoking = await relations.visible_relations(services, CLERK_A, revoking)
    assert [(r.kind, r.record.id if r.record else None) for r in from_revoking] == [
        (RelationKind.REVOKES, revoked.id)
    ]
    assert [e.target for e in services.audit.entries() if e.action == "record.revoke"] == [revoked.id]


async def test_a_replaced_record_stays_in_search_marked_replaced(services: Services) -> None:
    old, new = record_a(), record_a(subject="Về việc cấp phép khai thác cát (thay thế)")
    await put(services, old, new)

    await relations.replace(services, CLERK_A, new.id, replaced_id=old.id)

    assert sorted(await hits(services, CLERK_A, "khai thác cát")) == sorted([old.id, new.id])
    status = await relations.visible_status(services, CLERK_A, old)
    assert status.status is RecordStatus.REPLACED
    assert (
        status.by is not None and status.by.kind is RelationKind.REPLACED_BY and status.by.record is not None
    )
    assert (await relations.visible_status(services, CLERK_A, new)).status is RecordStatus.ACTIVE


async def test_an_external_reference_links_when_its_document_is_deposited(services: Services) -> None:
    revoking = record_a(subject="Quyết định thu hồi")
    await put(services, revoking)
    target_meta = replace(deposit_metadata("45", issued=date(2024, 5, 2)), issuing_agency_code="A")
    reference = ExternalReference("A", "45/UBND-VP", date(2024, 5, 2))

    pending = await relations.relate(
        services, CLERK_A, revoking.id, RelationKind.REVOKES, reference=reference
    )
    assert pending.pending
    shown = await relations.visible_relations(services, CLERK_A, revoking)
    assert [(r.kind, r.record, r.reference) for r in shown] == [(RelationKind.REVOKES, None, reference)]

    arrived = await asyncio.to_thread(
        deposit,
        services,
        ADMIN,
        io.BytesIO(make_pdf("45")),
        filename="45.pdf",
        metadata=target_meta,
        agency_code="A",
    )
    await drain(services)

    shown = await relations.visible_relations(services, CLERK_A, revoking)
    assert [(r.kind, r.record.id if r.record else None) for r in shown] == [
        (RelationKind.REVOKES, arrived.id)
    ]
    record = await get_record(services, CLERK_A, arrived.id)
    assert record is not None
    assert (await relations.visible_status(services, CLERK_A, record)).status is RecordStatus.REVOKED
    assert await hits(services, CLERK_A, "45/UBND-VP") == []
    assert await hits(services, CLERK_A, "45/UBND-VP", include_revoked=True) == [arrived.id]


async def test_a_reader_never_learns_of_a_relation_to_a_record_it_may_not_read(services: Services) -> None:
    mine = make_record(agency="B", subject="Công văn của B")
    hidden = make_record(agency="A", classification=Classification.SECRET, subject="Bí mật")
    await put(services, mine, hidden)
    # A relation declared by id to a record B may not read: B sees no relation at all.
    await relations.relate(services, ADMIN, mine.id, RelationKind.RESPONDS_TO, target_id=hidden.id)
    assert await relations.visible_relations(services, READER_B, mine) == []
    assert (await relations.visible_status(services, READER_B, mine)).status is RecordStatus.ACTIVE
    # Declared by reference: B sees the reference, exactly as if the document were not here.
    other = make_record(agency="B", subject="Công văn khác của B")
    await put(services, other)
    m = hidden.metadata
    named = ExternalReference(m.issuing_agency_code, m.document_number, m.issue_date)
    absent = ExternalReference(m.issuing_agency_code, "999/KHÔNG-CÓ", m.issue_date)
    await relations.relate(services, ADMIN, other.id, RelationKind.RESPONDS_TO, reference=named)
    await relations.relate(services, ADMIN, other.id, RelationKind.AMENDS, reference=absent)
    shown = await relations.visible_relations(services, READER_B, other)
    assert [(r.record, r.reference) for r in shown] == [(None, named), (None, absent)]
    # And a reader of B may not relate its readable record to the hidden one: not found.
    clerk_b = Principal(subject="clerk-b", roles=frozenset({Role.CLERK}), agencies=frozenset({"B"}))
    with pytest.raises(NotFound):
        await relations.relate(services, clerk_b, mine.id, RelationKind.AMENDS, target_id=hidden.id)


async def test_a_full_reindex_keeps_the_corrected_text_and_the_revocation(services: Services) -> None:
    revoked, corrected = record_a(), record_a(subject="Về việc cấp phép bến thủy")
    await put(services, revoked, corrected)
    await relations.revoke(services, CLERK_A, revoked.id, note="thu hồi do ban hành nhầm")
    await corrections.correct(
        services, CLERK_A, corrected.id, {"subject": "Về việc cấp phép cảng cá"}, reason="r"
    )

    await rebuild_index(services)

    assert await hits(services, CLERK_A, "khai thác cát") == []
    assert await hits(services, CLERK_A, "khai thác cát", include_revoked=True) == [revoked.id]
    assert await hits(services, CLERK_A, "bến thủy") == []
    assert await hits(services, CLERK_A, "cảng cá") == [corrected.id]


async def test_an_auditor_sees_no_id_of_a_related_record_it_may_not_read(services: Services) -> None:
    mine = make_record(agency="B", subject="Công văn của B")
    hidden = make_record(agency="A", classification=Classification.SECRET, subject="Bí mật")
    await put(services, mine, hidden)
    await relations.relate(services, ADMIN, mine.id, RelationKind.RESPONDS_TO, target_id=hidden.id)
    auditor = Principal(subject="arch", roles=frozenset({Role.ARCHIVIST}), agencies=frozenset({"B"}))

    page = await audit.query(services, auditor, ClientInfo(), AuditFilter(action="record.relate"), first=10)
    everything = await audit.query(
        services, ADMIN, ClientInfo(), AuditFilter(action="record.relate"), first=10
    )

    assert [(e.target, e.details["related"]) for e in page.entries] == [(mine.id, None)]
    assert [(e.target, e.details["related"]) for e in everything.entries] == [(mine.id, hidden.id)]
