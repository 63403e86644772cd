"""Destruction under Circular 06/2025: duplicates as a disposal reason, the review status a
record shows, the appraisal council and its quorum, the papers kept as records, and the
15-day deadline. On the embedded stack and on PostgreSQL + Elasticsearch + S3."""

from __future__ import annotations

import asyncio
import io
import json
import uuid
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest

from archive.api.types import to_global_id
from archive.domain.access import UNRESTRICTED, Principal, Role
from archive.domain.council import Vote
from archive.domain.disposition import BatchStatus, DisposalReason, PaperKind
from archive.domain.errors import DispositionRefused, MetadataInvalid, NotFound
from archive.domain.records import Classification, Record
from archive.domain.retention import Assignment, RetentionRule
from archive.services import destruction, disposition, retention
from archive.services.container import Services
from archive.services.deposit import deposit
from archive.services.retention import seal
from tests.retention.scenario import ADMIN, ADMIN_2, RM_A, RM_B, call, kept
from tests.retention.support import make_pdf, metadata

# Công văn kept permanently: never due, so every one proposed here is a duplicate. A
# Giấy mời is kept ten years: a copy is under an Object Lock until then, so it is never
# proposed as a duplicate, only as expired once due.
CV_KEEP = RetentionRule("CV-P", "Công văn", None, document_types=("Công văn",))
GM_10 = RetentionRule("GM-10", "Giấy mời", 10, document_types=("Giấy mời",))

READER_A = Principal(subject="reader-a", roles=frozenset({Role.READER}), agencies=frozenset({"A"}))
APPRAISER = Principal(
    subject="appraiser", roles=frozenset({Role.ARCHIVIST}), clearance=Classification.TOP_SECRET
)
APPRAISER_LOW = replace(APPRAISER, subject="appraiser-low", clearance=Classification.ORDINARY)

REVIEW = (
    """query($id: ID!) { record(id: $id) { id destructionReview { status batchId reason duplicateOf } } }"""
)
BATCH = """id status explanatoryNote decidedOn minutesDue minutesOverdue
  items { recordId reason duplicateOf } council { subject name role vote note }
  councilTally { members approvals rejections required reached } papers { kind recordId issuedOn }"""
PLAN = f"""mutation($note: String!) {{ planDisposition(explanatoryNote: $note) {{ {BATCH} }} }}"""
SEAT = f"""mutation($id: String!, $s: String!, $n: String!, $r: String!) {{
  seatCouncilMember(batchId: $id, subject: $s, name: $n, role: $r) {{ {BATCH} }} }}"""
VOTE = """mutation($id: String!, $v: Vote!, $note: String!) {
  voteOnDisposition(batchId: $id, vote: $v, note: $note) { members approvals required reached } }"""
APPROVE = f"""mutation($id: String!, $on: Date) {{
  approveDisposition(batchId: $id, decisionRef: "QĐ 7/QĐ-UBND", decidedOn: $on) {{ {BATCH} }} }}"""
DEADLINES = """query($o: Boolean!) { destructionDeadlines(overdueOnly: $o) {
  batchId decidedOn due minutesOn overdue daysLeft } }"""


async def copy_of(
    services: Services,
    number: str,
    *,
    agency: str = "A",
    level: Classification = Classification.ORDINARY,
    variant: str = "",
    document_type: str = "Công văn",
) -> Record:
    """A record of ``agency`` numbered ``number``; ``variant`` changes its bytes, not its number."""
    issued = services.clock().date() - timedelta(days=30)
    meta = replace(
        metadata(number, issued=issued, document_type=document_type),
        classification=level,
        issuing_agency_code=agency,
    )
    record = await asyncio.to_thread(
        deposit,
        services,
        ADMIN,
        io.BytesIO(make_pdf(f"{number}{variant}")),
        filename=f"{number}.pdf",
        metadata=meta,
        agency_code=agency,
    )
    await asyncio.to_thread(seal, services, record.id)
    return record


async def same_bytes(services: Services, first: Record, level: Classification) -> Record:
    """A later copy of ``first``'s bytes at ``level``, as an import of older holdings leaves
    it (a deposit refuses bytes its depositor can already read)."""
    record_id = str(uuid.uuid4())
    copy = replace(
        first,
        id=record_id,
        metadata=replace(first.metadata, classification=level),
        file=replace(first.file, storage_key=f"records/{record_id[:2]}/{record_id}"),
        created_at=first.created_at + timedelta(seconds=1),
    )
    await asyncio.to_thread(services.records.add, copy)
    return copy


def destroy_elsewhere(services: Services, record: Record) -> None:
    """Tombstone ``record`` through a batch of its own, as another purge would."""
    from archive.domain.access import MANAGE_ALL
    from archive.domain.disposition import BatchItem, DispositionBatch, ItemState

    batch_id, now = str(uuid.uuid4()), services.clock()
    item = BatchItem(
        batch_id=batch_id,
        record_id=record.id,
        state=ItemState.PENDING,
        document_number=record.metadata.number,
        document_type=record.metadata.document_type,
        agency_code=record.agency_code,
        classification=int(record.classification),
        rule_code=None,
        disposal_date=now.date(),
        sha256=record.file.sha256,
        storage_key=record.file.storage_key,
    )
    batch = DispositionBatch(
        batch_id, BatchStatus.PROPOSED, "system", now, now.date(), items=(item,), planner_scope=MANAGE_ALL
    )
    services.disposition.create(batch)
    services.disposition.tombstone(batch, item, now=now)


async def schedule(services: Services) -> None:
    await asyncio.to_thread(retention.change_rules, services, ADMIN, upserts=[CV_KEEP, GM_10])


def council_on(services: Services, quorum: str = "majority") -> None:
    """Production's rules: a council with ``quorum``, and the two-person rule."""
    services.settings.destruction_quorum = quorum
    services.settings.retention_separate_approver = True


def pdf(text: str) -> io.BytesIO:
    return io.BytesIO(make_pdf(f"paper-{text}-{uuid.uuid4().hex[:6]}"))


def paper_meta(number: str, issued: date) -> Any:
    return replace(metadata(number, issued=issued), issuing_agency_code="A", notation="BB-HĐXĐGTTL")


async def test_duplicates_are_proposed_with_their_reason_and_only_the_redundant_copy_goes(
    services: Services,
) -> None:
    await schedule(services)
    first = await copy_of(services, "7")
    again = await copy_of(services, "7", variant="-rescanned")  # same document, other bytes
    higher = await same_bytes(services, first, Classification.SECRET)
    secret = await copy_of(services, "8", level=Classification.SECRET)
    lower = await copy_of(services, "8", variant="-copy")  # an ORDINARY copy of a SECRET one: not redundant
    alone = await copy_of(services, "9")
    locked = await copy_of(services, "10", document_type="Giấy mời")
    locked_copy = await copy_of(services, "10", document_type="Giấy mời", variant="-b")

    batch = await asyncio.to_thread(disposition.plan, services, ADMIN, note="Trùng thừa")
    assert batch is not None and batch.explanatory_note == "Trùng thừa"
    items = {i.record_id: (i.reason, i.duplicate_of) for i in batch.items}
    assert items == {
        again.id: (DisposalReason.DUPLICATE, first.id),
        higher.id: (DisposalReason.DUPLICATE, first.id),
    }
    assert {secret.id, lower.id, alone.id, first.id, locked.id, locked_copy.id}.isdisjoint(items)
    assert await asyncio.to_thread(disposition.plan, services, ADMIN) is None  # nothing proposed twice

    await asyncio.to_thread(disposition.approve, services, ADMIN_2, batch.id, decision_ref="QĐ 1")
    report = await disposition.run(services)
    assert sorted(report.destroyed) == sorted([again.id, higher.id]), report
    assert services.records.get(first.id, UNRESTRICTED) is not None
    assert services.records.get(again.id, UNRESTRICTED) is None
    tomb = services.disposition.tombstone_of(higher.id)
    assert tomb is not None and tomb.sha256 == first.file.sha256
    [certificate] = [p for p in report.certificates if p.suffix == ".json"]
    destroyed = json.loads(certificate.read_text(encoding="utf-8"))["destroyed"]
    assert {(d["record_id"], d["reason"], d["duplicate_of"]) for d in destroyed} == {
        (again.id, "duplicate", first.id),
        (higher.id, "duplicate", first.id),
    }


async def test_a_duplicate_whose_kept_copy_is_gone_is_skipped(services: Services) -> None:
    await schedule(services)
    first = await copy_of(services, "7")
    again = await copy_of(services, "7", variant="-b")
    batch = await asyncio.to_thread(disposition.plan, services, ADMIN)
    assert batch is not None and [i.record_id for i in batch.items] == [again.id]
    await asyncio.to_thread(disposition.approve, services, ADMIN_2, batch.id, decision_ref="QĐ 2")
    await asyncio.to_thread(destroy_elsewhere, services, first)  # the copy kept goes another way
    report = await disposition.run(services)
    assert report.skipped == [again.id] and report.destroyed == []
    assert services.records.get(again.id, UNRESTRICTED) is not None
    stored = services.disposition.get(batch.id)
    assert stored is not None and stored.items[0].note == "no longer a duplicate: the copy kept is gone"


async def test_a_record_shows_its_review_status_and_only_managers_see_why(services: Services) -> None:
    await schedule(services)
    first = await copy_of(services, "7")
    again = await copy_of(services, "7", variant="-b")
    rid = to_global_id("Record", again.id)
    before, _ = await call(services, RM_A, REVIEW, id=rid)
    assert before["record"]["destructionReview"] is None

    planned, errors = await call(services, RM_A, PLAN, note="")
    assert errors == []
    batch_id = planned["planDisposition"]["id"]
    manager, _ = await call(services, RM_A, REVIEW, id=rid)
    assert manager["record"]["destructionReview"] == {
        "status": "UNDER_REVIEW",
        "batchId": batch_id,
        "reason": "DUPLICATE",
        "duplicateOf": first.id,
    }
    reader, _ = await call(services, READER_A, REVIEW, id=rid)
    assert reader["record"]["destructionReview"] == {
        "status": "UNDER_REVIEW",
        "batchId": None,
        "reason": None,
        "duplicateOf": None,
    }
    stranger, _ = await call(services, RM_B, REVIEW, id=rid)
    assert stranger == {"record": None}  # not readable: no record, so no review either

    await asyncio.to_thread(disposition.approve, services, ADMIN_2, batch_id, decision_ref="QĐ 3")
    approved, _ = await call(services, READER_A, REVIEW, id=rid)
    assert approved["record"]["destructionReview"]["status"] == "DESTRUCTION_APPROVED"
    kept_copy, _ = await call(services, READER_A, REVIEW, id=to_global_id("Record", first.id))
    assert kept_copy["record"]["destructionReview"] is None


async def test_the_council_approves_by_quorum_and_never_by_the_planner_alone(services: Services) -> None:
    council_on(services, "majority")
    await schedule(services)
    await copy_of(services, "7")
    await copy_of(services, "7", level=Classification.SECRET, variant="-s")
    planned, _ = await call(services, ADMIN, PLAN, note="Bản thuyết minh")
    batch_id = planned["planDisposition"]["id"]
    for subject, name, role in (
        ("admin-1", "Nguyễn Văn An", "Chủ tịch Hội đồng"),
        ("appraiser", "Trần Thị Bình", "Ủy viên"),
        ("appraiser-low", "Lê Văn Cường", "Thư ký"),
    ):
        seated, errors = await call(services, ADMIN, SEAT, id=batch_id, s=subject, n=name, r=role)
        assert errors == []
    assert [m["role"] for m in seated["seatCouncilMember"]["council"]] == [
        "Chủ tịch Hội đồng",
        "Ủy viên",
        "Thư ký",
    ]
    refused, errors = await call(services, ADMIN_2, APPROVE, id=batch_id, on=None)
    assert refused is None and errors == ["DISPOSITION_REFUSED"]

    tally, errors = await call(services, ADMIN, VOTE, id=batch_id, v="APPROVE", note="Đồng ý")
    assert errors == [] and tally["voteOnDisposition"] == {
        "members": 3,
        "approvals": 1,
        "required": 2,
        "reached": False,
    }
    # Seated, but not cleared for the SECRET copy: the batch does not exist for it.
    hidden = await call(services, APPRAISER_LOW, VOTE, id=batch_id, v="APPROVE", note="")
    random = await call(services, APPRAISER_LOW, VOTE, id=str(uuid.uuid4()), v="APPROVE", note="")
    assert hidden == random == (None, ["NOT_FOUND"])
    outsider = await call(services, ADMIN_2, VOTE, id=batch_id, v="APPROVE", note="")
    assert outsider == (None, ["NOT_FOUND"])
    tally, _ = await call(services, APPRAISER, VOTE, id=batch_id, v="APPROVE", note="Trùng thừa")
    assert tally["voteOnDisposition"]["reached"] is True

    approved, errors = await call(services, ADMIN_2, APPROVE, id=batch_id, on=None)
    assert errors == []
    batch = approved["approveDisposition"]
    assert batch["status"] == "APPROVED" and batch["explanatoryNote"] == "Bản thuyết minh"
    assert batch["councilTally"] == {
        "members": 3,
        "approvals": 2,
        "rejections": 0,
        "required": 2,
        "reached": True,
    }
    assert [m["vote"] for m in batch["council"]] == ["APPROVE", "APPROVE", None]
    late = await call(services, APPRAISER, VOTE, id=batch_id, v="REJECT", note="")
    assert late == (None, ["DISPOSITION_REFUSED"])  # votes close with the decision


async def test_the_planner_cannot_be_the_only_approver_even_with_a_quorum_of_one(services: Services) -> None:
    council_on(services, "1")
    await schedule(services)
    await copy_of(services, "7")
    await copy_of(services, "7", variant="-b")
    batch = await asyncio.to_thread(disposition.plan, services, ADMIN)
    assert batch is not None
    await asyncio.to_thread(
        destruction.seat, services, ADMIN, batch.id, subject="admin-1", name="An", role="Chủ tịch"
    )
    found = await asyncio.to_thread(destruction.vote, services, ADMIN, batch.id, Vote.APPROVE)
    assert (found.approvals, found.required, found.reached) == (1, 1, False)
    with pytest.raises(DispositionRefused, match="not the planner"):
        await asyncio.to_thread(disposition.approve, services, ADMIN_2, batch.id, decision_ref="QĐ 4")
    await asyncio.to_thread(
        destruction.seat, services, ADMIN, batch.id, subject="admin-2", name="Bình", role="Ủy viên"
    )
    await asyncio.to_thread(destruction.vote, services, ADMIN_2, batch.id, Vote.APPROVE, "ok")
    approved = await asyncio.to_thread(disposition.approve, services, ADMIN_2, batch.id, decision_ref="QĐ 4")
    assert approved.status is BatchStatus.APPROVED


async def test_a_records_manager_never_convenes_or_sees_another_agencys_classified_records(
    services: Services,
) -> None:
    await schedule(services)
    await copy_of(services, "7", agency="A")
    await copy_of(services, "7", agency="A", level=Classification.TOP_SECRET, variant="-ts")
    await copy_of(services, "5", agency="B")
    await copy_of(services, "5", agency="B", variant="-b")
    batch = await asyncio.to_thread(disposition.plan, services, ADMIN)
    assert batch is not None and {i.agency_code for i in batch.items} == {"A", "B"}
    with pytest.raises(DispositionRefused):
        await asyncio.to_thread(
            destruction.seat, services, RM_B, batch.id, subject="rm-b", name="B", role="r"
        )
    with pytest.raises(DispositionRefused):
        await asyncio.to_thread(
            destruction.attach_paper,
            services,
            RM_B,
            batch.id,
            PaperKind.COUNCIL_MINUTES,
            pdf("b"),
            filename="bb.pdf",
            metadata=paper_meta("1", services.clock().date()),
            agency_code="B",
        )
    seen = await asyncio.to_thread(disposition.get, services, RM_B, batch.id)
    assert {i.agency_code for i in seen.items} == {"B"} and seen.explanatory_note == ""
    await asyncio.to_thread(destruction.seat, services, ADMIN, batch.id, subject="rm-b", name="B", role="r")
    with pytest.raises(NotFound):  # seated, but may not judge agency A's records
        await asyncio.to_thread(destruction.vote, services, RM_B, batch.id, Vote.APPROVE)
    assert await asyncio.to_thread(destruction.council_batches, services, RM_B) == []
    with pytest.raises(MetadataInvalid):
        await asyncio.to_thread(
            destruction.seat, services, ADMIN, batch.id, subject="a b", name="x", role="y"
        )


async def test_papers_are_kept_as_records_and_the_minutes_deadline_is_reported(services: Services) -> None:
    await schedule(services)
    await copy_of(services, "7")
    secret_copy = await copy_of(services, "7", level=Classification.SECRET, variant="-s")
    today = services.clock().date()
    batch = await asyncio.to_thread(disposition.plan, services, ADMIN)
    assert batch is not None and [i.record_id for i in batch.items] == [secret_copy.id]

    with pytest.raises(DispositionRefused, match="takes no decision"):
        await asyncio.to_thread(
            destruction.attach_paper,
            services,
            ADMIN,
            batch.id,
            PaperKind.DECISION,
            pdf("d"),
            filename="qd.pdf",
            metadata=paper_meta("2", today),
            agency_code="A",
        )
    with_minutes, minutes = await asyncio.to_thread(
        destruction.attach_paper,
        services,
        RM_A,
        batch.id,
        PaperKind.COUNCIL_MINUTES,
        pdf("m"),
        filename="bien-ban.pdf",
        metadata=paper_meta("1", today),
        agency_code="A",
    )
    stored = services.records.get(minutes.id, UNRESTRICTED)
    assert stored is not None
    assert (stored.metadata.document_type, stored.classification, stored.agency_code) == (
        "Biên bản",
        Classification.SECRET,  # it lists the SECRET copy
        "A",
    )
    assert (
        services.jobs.for_record(minutes.id) is not None
    )  # sealed under WORM by the worker, like any record
    assert [(p.kind, p.record_id) for p in with_minutes.papers] == [(PaperKind.COUNCIL_MINUTES, minutes.id)]
    ordinary = replace(RM_A, subject="rm-a-low", clearance=Classification.ORDINARY)
    assert services.records.get(minutes.id, _scope(ordinary)) is None  # read under can_read

    decided = today - timedelta(days=20)
    await asyncio.to_thread(
        disposition.approve, services, ADMIN_2, batch.id, decision_ref="QĐ 9", decided_on=decided
    )
    await asyncio.to_thread(
        destruction.attach_paper,
        services,
        ADMIN,
        batch.id,
        PaperKind.DECISION,
        pdf("d"),
        filename="qd.pdf",
        metadata=paper_meta("2", decided),
        agency_code="A",
    )
    overdue, _ = await call(services, RM_A, DEADLINES, o=True)
    assert overdue["destructionDeadlines"] == [
        {
            "batchId": batch.id,
            "decidedOn": decided.isoformat(),
            "due": (decided + timedelta(days=15)).isoformat(),
            "minutesOn": None,
            "overdue": True,
            "daysLeft": -5,
        }
    ]
    assert (await call(services, RM_B, DEADLINES, o=False))[0] == {"destructionDeadlines": []}

    await disposition.run(services)
    await asyncio.to_thread(
        destruction.attach_paper,
        services,
        ADMIN,
        batch.id,
        PaperKind.DESTRUCTION_MINUTES,
        pdf("h"),
        filename="bien-ban-huy.pdf",
        metadata=paper_meta("3", today),
        agency_code="A",
    )
    [done] = await asyncio.to_thread(destruction.deadlines, services, ADMIN)
    assert (done.minutes_on, done.overdue) == (today, True)  # attached, but after the 15 days
    with pytest.raises(DispositionRefused, match="already has"):
        await asyncio.to_thread(
            destruction.attach_paper,
            services,
            ADMIN,
            batch.id,
            PaperKind.DESTRUCTION_MINUTES,
            pdf("h2"),
            filename="again.pdf",
            metadata=paper_meta("4", today),
            agency_code="A",
        )


def _scope(principal: Principal) -> Any:
    from archive.domain.access import ReadScope

    return ReadScope.for_principal(principal)


async def test_an_expired_record_and_its_kept_copy_are_never_both_proposed(services: Services) -> None:
    """The copy kept for a duplicate in an open batch is never proposed itself, and a
    duplicate whose kept copy this batch destroys is left out."""
    await schedule(services)
    old = await kept(services, "1", agency="A", document_type="Giấy mời")  # issued 2001: long due
    newer = await asyncio.to_thread(
        deposit,
        services,
        ADMIN,
        io.BytesIO(make_pdf("1-rescanned")),
        filename="b.pdf",
        metadata=old.metadata,
        agency_code="A",
    )
    await asyncio.to_thread(seal, services, newer.id)
    permanent = {newer.id: Assignment("KEEP", None, "01")}  # the newer copy itself is not due
    await asyncio.to_thread(services.retention.save, permanent, now=services.clock())
    batch = await asyncio.to_thread(disposition.plan, services, ADMIN)
    assert batch is not None and [(i.record_id, i.reason) for i in batch.items] == [
        (old.id, DisposalReason.EXPIRED)
    ]


ATTACH = """mutation($id: String!, $kind: PaperKind!, $file: Upload!, $meta: RecordMetadataInput!) {
  attachDispositionPaper(batchId: $id, kind: $kind, file: $file, metadata: $meta) {
    papers { kind recordId agencyCode } } }"""


async def test_a_paper_is_attached_over_multipart_graphql(services: Services) -> None:
    from tests.support.graphql import api_client
    from tests.support.graphql import metadata as graphql_metadata

    await schedule(services)
    await copy_of(services, "7")
    await copy_of(services, "7", variant="-b")
    batch = await asyncio.to_thread(disposition.plan, services, ADMIN)
    assert batch is not None
    meta = graphql_metadata("12", documentType="Công văn", agencyCode="A", issuingAgencyCode="A")
    operations = {
        "query": ATTACH,
        "variables": {"id": batch.id, "kind": "COUNCIL_MINUTES", "file": None, "meta": meta},
    }
    async with api_client(services) as client:  # the development admin
        response = await client.post(
            "/graphql",
            data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.file"]})},
            files={"0": ("biên bản.pdf", make_pdf("biên bản qua API"), "application/pdf")},
            headers={"X-Archive-Request": "1"},
        )
    body = response.json()
    assert response.status_code == 200 and "errors" not in body, body
    [paper] = body["data"]["attachDispositionPaper"]["papers"]
    assert (paper["kind"], paper["agencyCode"]) == ("COUNCIL_MINUTES", "A")
    stored = services.records.get(paper["recordId"], UNRESTRICTED)
    assert stored is not None and stored.metadata.document_type == "Biên bản"


DOSSIER_REVIEW = (
    """query($d: String!) { dossierDestructionReview(dossierId: $d) { status records batchIds } }"""
)


def dossier_of(services: Services, agency: str, records: list[Record], level: Classification) -> str:
    """A dossier of ``agency``'s default fonds holding ``records``, in order."""
    from archive.domain.archival import Dossier, default_fonds_id

    dossier_id = str(uuid.uuid4())
    dossier = Dossier(
        id=dossier_id,
        fonds_id=default_fonds_id(agency),
        agency_code=agency,
        file_code=f"{agency}.2001.{dossier_id[:6]}",
        title="Hồ sơ hội nghị",
        maintenance="06",
        classification=level,
        created_at=services.clock(),
        updated_at=services.clock(),
    )
    services.archival.save_dossier(dossier, expected_version=None)
    services.archival.place(dossier_id, [r.id for r in records], now=services.clock())
    return dossier_id


async def test_a_dossier_is_destroyed_whole_and_shows_its_review(services: Services) -> None:
    await schedule(services)
    members = [await kept(services, n, agency="A", document_type="Giấy mời") for n in ("1", "2")]
    dossier_id = await asyncio.to_thread(dossier_of, services, "A", members, Classification.ORDINARY)
    loose = await kept(services, "3", agency="A", document_type="Giấy mời")  # due, in no dossier
    held = [await kept(services, "4", agency="A", document_type="Giấy mời")]
    held_dossier = await asyncio.to_thread(dossier_of, services, "A", held, Classification.ORDINARY)
    from archive.services import holds

    await asyncio.to_thread(
        holds.place_hold, services, ADMIN, name="h", reason="r", authority="a", record_ids=[held[0].id]
    )
    with pytest.raises(DispositionRefused, match="destroyed whole"):
        await asyncio.to_thread(disposition.plan, services, ADMIN, dossier_id=held_dossier)
    with pytest.raises(NotFound):  # another agency's records manager: no such dossier
        await asyncio.to_thread(disposition.plan, services, RM_B, dossier_id=dossier_id)
    assert (await call(services, READER_A, DOSSIER_REVIEW, d=dossier_id))[0] == {
        "dossierDestructionReview": None
    }

    batch = await asyncio.to_thread(disposition.plan, services, RM_A, dossier_id=dossier_id)
    assert batch is not None
    assert sorted((i.record_id, i.dossier_id) for i in batch.items) == sorted(
        (m.id, dossier_id) for m in members
    )
    assert loose.id not in {i.record_id for i in batch.items}
    manager, _ = await call(services, RM_A, DOSSIER_REVIEW, d=dossier_id)
    assert manager["dossierDestructionReview"] == {
        "status": "UNDER_REVIEW",
        "records": 2,
        "batchIds": [batch.id],
    }
    reader, _ = await call(services, READER_A, DOSSIER_REVIEW, d=dossier_id)
    assert reader["dossierDestructionReview"] == {"status": "UNDER_REVIEW", "records": 2, "batchIds": []}
    assert (await call(services, RM_B, DOSSIER_REVIEW, d=dossier_id))[0] == {"dossierDestructionReview": None}
    with pytest.raises(DispositionRefused):  # already in an open batch
        await asyncio.to_thread(disposition.plan, services, RM_A, dossier_id=dossier_id)

    await asyncio.to_thread(disposition.approve, services, ADMIN_2, batch.id, decision_ref="QĐ 5")
    approved, _ = await call(services, READER_A, DOSSIER_REVIEW, d=dossier_id)
    assert approved["dossierDestructionReview"]["status"] == "DESTRUCTION_APPROVED"
    report = await disposition.run(services)
    assert sorted(report.destroyed) == sorted(m.id for m in members)
    assert (await call(services, RM_A, DOSSIER_REVIEW, d=dossier_id))[0] == {"dossierDestructionReview": None}
