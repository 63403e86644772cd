"""The lifecycle mutations and Record fields over GraphQL (issue 14), on both stacks:
corrections and their history, relations both ways, revocation out of default search and
back with ``includeRevoked``, and what a reader of another agency sees of it all."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from archive.api.types import to_global_id
from archive.domain.access import Principal, Role
from archive.domain.records import Classification
from archive.services.container import Services
from tests.retention.scenario import ADMIN, call
from tests.support.access import make_record, put
from tests.support.db import engine_of

CLERK = Principal(subject="clerk-a", roles=frozenset({Role.CLERK}), agencies=frozenset({"A"}))
READER_B = Principal(subject="reader-b", roles=frozenset({Role.READER}), agencies=frozenset({"B"}))

CORRECT = """mutation($id: ID!, $subject: String!, $v: Int) {
  correctRecord(id: $id, changes: {subject: $subject}, reason: "sai trích yếu", expectedVersion: $v) {
    __typename
    ... on CorrectRecordSuccess { record { subject metadataVersion } }
    ... on VersionConflictError { code }
    ... on ValidationError { field code }
    ... on ForbiddenError { code }
    ... on NotFoundError { code } } }"""
HISTORY = """query($id: ID!) { record(id: $id) { metadataVersion
  history { version actor reason subject changes { field before after } } } }"""
RELATE = """mutation($id: ID!, $t: String) { relateRecords(id: $id, type: AMENDS, targetId: $t) {
  __typename ... on RelateSuccess { relation { type record { recordId } } }
  ... on NotFoundError { code } ... on ForbiddenError { code } } }"""
REVOKE = """mutation($id: ID!, $by: String) { revokeRecord(id: $id, byRecordId: $by) {
  __typename ... on RelateSuccess { record { lifecycle { status } } } } }"""
RELATIONS = """query($id: ID!) { record(id: $id) {
  relations { type record { recordId } reference { issuerCode documentNumber issueDate } }
  lifecycle { status changedAt by { type record { recordId } } } } }"""
SEARCH = """query($q: String!, $all: Boolean!) { search(query: $q, filter: {includeRevoked: $all}) {
  totalCount edges { node { recordId lifecycle { status } } } } }"""


def gid(record_id: str) -> str:
    return str(to_global_id("Record", record_id))


async def ok(services: Services, principal: Principal, query: str, **variables: Any) -> Any:
    data, codes = await call(services, principal, query, **variables)
    assert codes == [], codes
    return data


async def test_corrections_and_their_history(services: Services) -> None:
    record = make_record(agency="A", subject="Về việc khai thác cát")
    await put(services, record)

    first = await ok(services, CLERK, CORRECT, id=gid(record.id), subject="Về việc nạo vét luồng", v=1)
    stale = await ok(services, CLERK, CORRECT, id=gid(record.id), subject="Lần nữa", v=1)
    second = await ok(services, CLERK, CORRECT, id=record.id, subject="Về việc nạo vét luồng sông")

    assert first["correctRecord"]["record"] == {"subject": "Về việc nạo vét luồng", "metadataVersion": 2}
    assert stale["correctRecord"] == {"__typename": "VersionConflictError", "code": "VERSION_CONFLICT"}
    assert second["correctRecord"]["record"]["metadataVersion"] == 3
    found = (await ok(services, CLERK, HISTORY, id=gid(record.id)))["record"]
    assert found["metadataVersion"] == 3
    assert [(v["version"], v["actor"], v["subject"]) for v in found["history"]] == [
        (1, None, "Về việc khai thác cát"),
        (2, "clerk-a", "Về việc nạo vét luồng"),
        (3, "clerk-a", "Về việc nạo vét luồng sông"),
    ]
    assert found["history"][2]["changes"] == [
        {"field": "subject", "before": "Về việc nạo vét luồng", "after": "Về việc nạo vét luồng sông"}
    ]
    hits = await ok(services, CLERK, SEARCH, q="khai thác cát", all=False)
    assert hits["search"]["totalCount"] == 0
    hits = await ok(services, CLERK, SEARCH, q="nạo vét luồng sông", all=False)
    assert [e["node"]["recordId"] for e in hits["search"]["edges"]] == [record.id]


async def test_relations_revocation_and_the_include_revoked_filter(services: Services) -> None:
    old = make_record(agency="A", subject="Quy chế quản lý cát sỏi")
    new = make_record(agency="A", subject="Quyết định bãi bỏ quy chế")
    await put(services, old, new)

    related = await ok(services, CLERK, RELATE, id=gid(new.id), t=gid(old.id))
    assert related["relateRecords"]["relation"] == {"type": "AMENDS", "record": {"recordId": old.id}}
    revoked = await ok(services, CLERK, REVOKE, id=gid(old.id), by=new.id)
    assert revoked["revokeRecord"]["record"]["lifecycle"]["status"] == "REVOKED"

    seen_old = (await ok(services, CLERK, RELATIONS, id=gid(old.id)))["record"]
    assert sorted((r["type"], r["record"]["recordId"]) for r in seen_old["relations"]) == [
        ("AMENDED_BY", new.id),
        ("REVOKED_BY", new.id),
    ]
    assert seen_old["lifecycle"]["by"] == {"type": "REVOKED_BY", "record": {"recordId": new.id}}
    seen_new = (await ok(services, CLERK, RELATIONS, id=gid(new.id)))["record"]
    assert sorted(r["type"] for r in seen_new["relations"]) == ["AMENDS", "REVOKES"]
    assert seen_new["lifecycle"] == {"status": "ACTIVE", "changedAt": None, "by": None}

    default = await ok(services, CLERK, SEARCH, q="quy chế cát sỏi", all=False)
    assert default["search"]["totalCount"] == 0
    everything = await ok(services, CLERK, SEARCH, q="quy chế cát sỏi", all=True)
    assert [e["node"] for e in everything["search"]["edges"]] == [
        {"recordId": old.id, "lifecycle": {"status": "REVOKED"}}
    ]


async def test_a_reader_sees_no_relation_to_what_it_may_not_read(services: Services) -> None:
    mine = make_record(agency="B", subject="Công văn trả lời", public=False)
    hidden = make_record(agency="A", classification=Classification.SECRET, subject="Văn bản mật")
    alone = make_record(agency="B", subject="Công văn không liên quan")
    await put(services, mine, hidden, alone)
    relate = RELATE.replace("AMENDS", "RESPONDS_TO")
    assert (await ok(services, ADMIN, relate, id=gid(mine.id), t=gid(hidden.id)))["relateRecords"]["relation"]

    as_reader = (await ok(services, READER_B, RELATIONS, id=gid(mine.id)))["record"]
    untouched = (await ok(services, READER_B, RELATIONS, id=gid(alone.id)))["record"]
    assert (
        as_reader
        == untouched
        == {
            "relations": [],
            "lifecycle": {"status": "ACTIVE", "changedAt": None, "by": None},
        }
    )
    clerk_b = Principal(subject="clerk-b", roles=frozenset({Role.CLERK}), agencies=frozenset({"B"}))
    hidden_target = await ok(services, clerk_b, RELATE, id=gid(mine.id), t=gid(hidden.id))
    missing_target = await ok(services, clerk_b, RELATE, id=gid(mine.id), t=gid(make_record().id))
    assert (
        hidden_target
        == missing_target
        == {"relateRecords": {"__typename": "NotFoundError", "code": "NOT_FOUND"}}
    )
    correct_hidden = await ok(services, READER_B, CORRECT, id=gid(hidden.id), subject="x")
    assert correct_hidden["correctRecord"] == {"__typename": "NotFoundError", "code": "NOT_FOUND"}


async def test_a_correction_input_is_parsed_and_validated_like_a_deposit(services: Services) -> None:
    record = make_record(agency="A")
    await put(services, record)
    null_subject = """mutation($id: ID!) { correctRecord(id: $id, changes: {subject: null}, reason: "r") {
      ... on ValidationError { field code } } }"""
    dated = """mutation($id: ID!) { correctRecord(id: $id, reason: "r",
      changes: {dueDate: "2030-01-01", language: ["02"], urgency: URGENT, format: "02"}) {
      ... on CorrectRecordSuccess { record { dueDate language urgency format metadataVersion } } } }"""

    assert (await ok(services, CLERK, null_subject, id=gid(record.id)))["correctRecord"] == {
        "field": "subject",
        "code": "VALIDATION",
    }
    assert (await ok(services, CLERK, dated, id=gid(record.id)))["correctRecord"]["record"] == {
        "dueDate": "2030-01-01",
        "language": ["02"],
        "urgency": "URGENT",
        "format": "02",
        "metadataVersion": 2,
    }


PAGE = """query($q: String!) { search(query: $q, first: 50, filter: {includeRevoked: true}) {
  edges { node { recordId
    relations { type record { recordId } reference { issuerCode documentNumber issueDate } }
    lifecycle { status changedAt by { type record { recordId } } } } } } }"""


async def _page(services: Services, principal: Principal) -> tuple[dict[str, Any], int]:
    """Each hit's relations and lifecycle, by record id, and the SQL statements it cost."""
    statements: list[str] = []

    def seen(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(statement)

    sa.event.listen(engine_of(services), "before_cursor_execute", seen)
    try:
        data = await ok(services, principal, PAGE, q="quy hoạch bến thủy")
    finally:
        sa.event.remove(engine_of(services), "before_cursor_execute", seen)
    nodes = {e["node"]["recordId"]: e["node"] for e in data["search"]["edges"]}
    return nodes, len(statements)


async def _pairs(services: Services, count: int) -> list[tuple[str, str]]:
    """``count`` (revoking, revoked) pairs of agency A, each revoked one also amended by
    a record of agency C that a clerk of A may not read."""
    pairs = []
    for n in range(count):
        old = make_record(agency="A", subject=f"Quy hoạch bến thủy nội địa số {n}")
        new = make_record(agency="A", subject=f"Quyết định bãi bỏ quy hoạch bến thủy số {n}")
        hidden = make_record(agency="C", subject=f"Công văn về quy hoạch bến thủy số {n}")
        await put(services, old, new, hidden)
        await ok(services, CLERK, REVOKE, id=gid(old.id), by=new.id)
        await ok(services, ADMIN, RELATE, id=gid(hidden.id), t=gid(old.id))
        pairs.append((new.id, old.id))
    return pairs


async def test_a_page_of_records_reads_relations_and_lifecycle_in_batches(services: Services) -> None:
    """Record.relations and Record.lifecycle go through the request's loaders: a page costs
    the same statements however many hits it has, and each hit answers what it answers alone."""
    pairs = await _pairs(services, 2)
    few, few_statements = await _page(services, CLERK)
    pairs += await _pairs(services, 4)
    many, many_statements = await _page(services, CLERK)
    assert (len(few), len(many)) == (4, 12)  # agency C's records are not hits for the clerk
    assert many_statements == few_statements, (few_statements, many_statements)

    for new_id, old_id in pairs:
        assert many[old_id]["relations"] == [
            {"type": "REVOKED_BY", "record": {"recordId": new_id}, "reference": None}
        ]
        assert many[old_id]["lifecycle"]["by"] == {"type": "REVOKED_BY", "record": {"recordId": new_id}}
        assert many[new_id]["relations"] == [
            {"type": "REVOKES", "record": {"recordId": old_id}, "reference": None}
        ]
        assert many[new_id]["lifecycle"] == {"status": "ACTIVE", "changedAt": None, "by": None}
        for record_id in (new_id, old_id):
            alone = (await ok(services, CLERK, RELATIONS, id=gid(record_id)))["record"]
            assert alone == {k: v for k, v in many[record_id].items() if k != "recordId"}
    admin_view, _ = await _page(services, ADMIN)
    assert sorted(r["type"] for r in admin_view[pairs[0][1]]["relations"]) == ["AMENDED_BY", "REVOKED_BY"]
