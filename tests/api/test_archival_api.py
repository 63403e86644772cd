"""Fonds and dossiers through GraphQL on both stacks: describe, place, close, read (issue 12).

Who may read or describe a dossier, and what its figures count, is the policy of
``archive.domain.access`` (``can_read_dossier``, ``can_describe``, ``can_read_fonds``);
these tests drive it through the schema as records managers, readers and admins.
"""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

from archive.api.context import Context
from archive.api.schema import build_schema, schema_sdl
from archive.api.types import to_global_id
from archive.domain.access import Principal, Role
from archive.domain.ports import AuditFilter
from archive.domain.records import Classification, Record, TextStatus
from archive.services.audit import ClientInfo
from archive.services.audit import query as audit_query
from archive.services.container import Services
from tests.retention.scenario import ADMIN, RM_A, RM_B, call
from tests.support.access import make_record

SCHEMA_SDL = schema_sdl()
READER_A = Principal(subject="reader-a", roles=frozenset({Role.READER}), agencies=frozenset({"A"}))
READER_B = Principal(subject="reader-b", roles=frozenset({Role.READER}), agencies=frozenset({"B"}))
ARCHIVIST = Principal(
    subject="archivist-1", roles=frozenset({Role.ARCHIVIST}), clearance=Classification.TOP_SECRET
)

CREATE_FONDS = """mutation($code: String!, $agency: String) {
  createFonds(input: {code: $code, name: "Phông UBND", agencyCode: $agency}) {
    id fondsId code agencyCode } }"""
DOSSIER_FIELDS = """id dossierId fileCode title status closedOn rowVersion totalDoc numberOfPage
  startDate endDate maintenance { code label } mode { code } confidenceLevel { code }"""
CREATE_DOSSIER = f"""mutation($fonds: String!, $number: String!, $mode: String!) {{
  createDossier(input: {{fondsId: $fonds, title: "Hồ sơ tuyển dụng", maintenance: "04", year: 2025,
    fileNumber: $number, mode: $mode}}) {{ {DOSSIER_FIELDS} }} }}"""
PLACE = """mutation($d: String!, $ids: [String!]!) {
  placeRecords(dossierId: $d, recordIds: $ids) { recordIds refused dossier { id } } }"""
REMOVE = """mutation($d: String!, $ids: [String!]!) {
  removeRecords(dossierId: $d, recordIds: $ids) { recordIds refused } }"""
MOVE = """mutation($r: String!, $d: String!, $p: Int) {
  moveRecord(recordId: $r, dossierId: $d, position: $p) { recordIds refused } }"""
REORDER = (
    """mutation($d: String!, $ids: [String!]!) { reorderDossier(dossierId: $d, recordIds: $ids) { id } }"""
)
CLOSE = f"mutation($d: String!) {{ closeDossier(id: $d) {{ {DOSSIER_FIELDS} }} }}"
REOPEN = f"mutation($d: String!) {{ reopenDossier(id: $d) {{ {DOSSIER_FIELDS} }} }}"
HAND_OVER = f"mutation($d: String!) {{ handOverDossier(id: $d) {{ {DOSSIER_FIELDS} }} }}"
TRANSFER = f"mutation($d: String!) {{ transferDossier(id: $d) {{ {DOSSIER_FIELDS} }} }}"
DOSSIER = f"""query($d: String!) {{ dossier(id: $d) {{ {DOSSIER_FIELDS}
  fonds {{ code }} documents(first: 50) {{ totalCount edges {{ node {{ recordId docCode docOrdinal }} }} }}
  }} }}"""
RECORD = """query($id: ID!) { record(id: $id) { recordId docCode dossier { fileCode } fonds { code } } }"""
DOSSIERS = """query($f: DossierFilter, $first: Int!, $after: String) {
  dossiers(filter: $f, first: $first, after: $after) {
  edges { cursor node { fileCode } } pageInfo { hasNextPage endCursor } } }"""
FONDS_WITH_DOSSIERS = """{ fondsList { totalCount edges { node { code
  dossiers(first: 5) { edges { node { fileCode } } } } } } }"""
RENUMBER = """mutation($d: String!, $v: Int!) {
  updateDossier(id: $d, rowVersion: $v, changes: {fileNumber: "05-HS"}) { fileCode } }"""
UPDATE = """mutation($d: String!, $v: Int!, $title: String) {
  updateDossier(id: $d, rowVersion: $v, changes: {title: $title}) { title rowVersion } }"""


async def ok(services: Services, principal: Principal, query: str, **variables: Any) -> Any:
    data, errors = await call(services, principal, query, **variables)
    assert errors == [], errors
    return data


async def stored(services: Services, *records: Record) -> list[Record]:
    for record in records:
        await asyncio.to_thread(services.records.add, record)
    return list(records)


async def a_dossier(services: Services, number: str = "01-HS", *, mode: str = "02") -> dict[str, Any]:
    """A fonds of agency A (made once) and a new open dossier in it, by A's records manager."""
    listed = await ok(services, ADMIN, "{ fondsList { edges { node { id code } } } }")
    fonds = [e["node"] for e in listed["fondsList"]["edges"] if e["node"]["code"] == "A-PHONG"]
    if not fonds:
        fonds = [(await ok(services, RM_A, CREATE_FONDS, code="A-PHONG", agency="A"))["createFonds"]]
    made = await ok(services, RM_A, CREATE_DOSSIER, fonds=fonds[0]["id"], number=number, mode=mode)
    return dict(made["createDossier"])


async def test_a_dossier_lives_from_open_to_transferred(services: Services) -> None:
    dossier = await a_dossier(services)
    assert dossier["fileCode"] == "A.2025.01-HS"
    assert dossier["status"] == "OPEN" and dossier["totalDoc"] == 0
    assert dossier["maintenance"] == {"code": "04", "label": dossier["maintenance"]["label"]}
    d = dossier["id"]

    refused, errors = await call(services, RM_A, CLOSE, d=d)
    assert refused is None and errors == ["VALIDATION"]

    first, second = await stored(services, make_record(agency="A"), make_record(agency="A"))
    placed = await ok(services, RM_A, PLACE, d=d, ids=[first.id, second.id])
    assert placed["placeRecords"]["recordIds"] == [first.id, second.id]

    closed = (await ok(services, RM_A, CLOSE, d=d))["closeDossier"]
    assert closed["status"] == "CLOSED" and closed["closedOn"] is not None
    assert closed["totalDoc"] == 2 and closed["confidenceLevel"] == {"code": "01"}
    assert (await call(services, RM_A, PLACE, d=d, ids=[first.id]))[1] == ["VALIDATION"]  # closed

    reopened = (await ok(services, RM_A, REOPEN, d=d))["reopenDossier"]
    assert reopened["status"] == "OPEN" and reopened["closedOn"] is None
    assert (await call(services, RM_A, TRANSFER, d=d))[1] == ["VALIDATION"]  # not from open
    await ok(services, RM_A, CLOSE, d=d)
    assert (await ok(services, RM_A, HAND_OVER, d=d))["handOverDossier"]["status"] == "IN_AGENCY_ARCHIVE"
    assert (await ok(services, RM_A, TRANSFER, d=d))["transferDossier"]["status"] == "TRANSFERRED"
    assert (await call(services, RM_A, REOPEN, d=d))[1] == ["VALIDATION"]


async def test_closing_names_the_documents_still_processing(services: Services) -> None:
    d = (await a_dossier(services))["id"]
    waiting = dataclasses.replace(make_record(agency="A"), text_status=TextStatus.PENDING_OCR)
    done = make_record(agency="A")
    await stored(services, waiting, done)
    await ok(services, RM_A, PLACE, d=d, ids=[done.id, waiting.id])
    result = await build_schema().execute(
        CLOSE, variable_values={"d": d}, context_value=Context(services=services, principal=RM_A)
    )
    assert (
        result.errors and waiting.id in result.errors[0].message and done.id not in result.errors[0].message
    )
    still = (await ok(services, ADMIN, DOSSIER, d=d))["dossier"]
    assert still["status"] == "OPEN"  # nothing half-done


async def test_documents_keep_their_order_and_doc_codes(services: Services) -> None:
    d = (await a_dossier(services))["id"]
    one, two, three = await stored(services, *(make_record(agency="A") for _ in range(3)))
    await ok(services, RM_A, PLACE, d=d, ids=[one.id, two.id, three.id])
    await ok(services, RM_A, REORDER, d=d, ids=[three.id, one.id, two.id])
    docs = (await ok(services, RM_A, DOSSIER, d=d))["dossier"]["documents"]
    assert [e["node"]["recordId"] for e in docs["edges"]] == [three.id, one.id, two.id]
    assert [e["node"]["docCode"] for e in docs["edges"]] == [f"A.2025.01-HS.{n:07d}" for n in (1, 2, 3)]
    assert (await call(services, RM_A, REORDER, d=d, ids=[one.id, two.id]))[1] == ["VALIDATION"]

    await ok(services, RM_A, MOVE, r=two.id, d=d, p=1)
    docs = (await ok(services, RM_A, DOSSIER, d=d))["dossier"]["documents"]
    assert [e["node"]["recordId"] for e in docs["edges"]] == [two.id, three.id, one.id]

    removed = (await ok(services, RM_A, REMOVE, d=d, ids=[three.id, "not-a-member"]))["removeRecords"]
    assert removed == {"recordIds": [three.id], "refused": ["not-a-member"]}
    found = (await ok(services, RM_A, RECORD, id=_gid(three.id)))["record"]
    assert found["dossier"] is None and found["docCode"] is None


async def test_a_record_belongs_to_one_dossier_and_placing_moves_it(services: Services) -> None:
    first = (await a_dossier(services, "01-HS"))["id"]
    second = (await a_dossier(services, "02-HS"))["id"]
    (record,) = await stored(services, make_record(agency="A"))
    await ok(services, RM_A, PLACE, d=first, ids=[record.id])
    await ok(services, RM_A, PLACE, d=second, ids=[record.id])
    assert (await ok(services, RM_A, DOSSIER, d=first))["dossier"]["totalDoc"] == 0
    found = (await ok(services, RM_A, RECORD, id=_gid(record.id)))["record"]
    assert found["dossier"] == {"fileCode": "A.2025.02-HS"} and found["docCode"] == "A.2025.02-HS.0000001"


async def test_only_manageable_records_of_the_dossiers_agency_are_placed(services: Services) -> None:
    d = (await a_dossier(services))["id"]
    own, other_agency = await stored(services, make_record(agency="A"), make_record(agency="B"))
    secret = make_record(agency="A", classification=Classification.SECRET)
    await stored(services, secret)
    for principal in (RM_A, ADMIN):
        placed = (await ok(services, principal, PLACE, d=d, ids=[own.id, other_agency.id]))["placeRecords"]
        assert placed["recordIds"] == [own.id] and placed["refused"] == [other_agency.id]
    # B's manager may neither see nor change A's dossier: NOT_FOUND, as if it did not exist.
    assert (await call(services, RM_B, PLACE, d=d, ids=[own.id]))[1] == ["NOT_FOUND"]
    assert (await call(services, RM_B, CLOSE, d=d))[1] == ["NOT_FOUND"]
    # A reader of A reads it but does not describe it.
    assert (await call(services, READER_A, CLOSE, d=d))[1] == ["FORBIDDEN"]
    fonds_id = (await ok(services, ADMIN, "{ fondsList { edges { node { id } } } }"))["fondsList"]["edges"][0]
    assert (
        await call(services, READER_A, CREATE_DOSSIER, fonds=fonds_id["node"]["id"], number="9", mode="01")
    )[1] == ["FORBIDDEN"]


async def test_figures_count_only_what_the_caller_reads(services: Services) -> None:
    d = (await a_dossier(services))["id"]
    plain = make_record(agency="A")
    secret = make_record(agency="A", classification=Classification.SECRET)
    await stored(services, plain, secret)
    await ok(services, ADMIN, PLACE, d=d, ids=[plain.id, secret.id])
    as_admin = (await ok(services, ADMIN, DOSSIER, d=d))["dossier"]
    as_reader = (await ok(services, READER_A, DOSSIER, d=d))["dossier"]
    assert as_admin["totalDoc"] == 2 and as_admin["documents"]["totalCount"] == 2
    assert as_reader["totalDoc"] == 1 and as_reader["documents"]["totalCount"] == 1
    assert [e["node"]["recordId"] for e in as_reader["documents"]["edges"]] == [plain.id]
    # B's reader does not read A's (conditional-use) dossier at all.
    assert (await ok(services, READER_B, DOSSIER, d=d))["dossier"] is None
    # RM_A is cleared TOP_SECRET and closes it; an ORDINARY manager could not start the secret one's clock.
    assert (await call(services, dataclasses.replace(RM_A, clearance=Classification.ORDINARY), CLOSE, d=d))[
        1
    ] == ["FORBIDDEN"]


async def test_a_reader_of_the_record_but_not_the_dossier_sees_no_dossier(services: Services) -> None:
    d = (await a_dossier(services, mode="02"))["id"]
    (public,) = await stored(services, make_record(agency="A", public=True))
    await ok(services, RM_A, PLACE, d=d, ids=[public.id])
    seen = (await ok(services, READER_B, RECORD, id=_gid(public.id)))["record"]
    assert seen == {"recordId": public.id, "docCode": None, "dossier": None, "fonds": None}
    seen = (await ok(services, READER_A, RECORD, id=_gid(public.id)))["record"]
    assert seen["docCode"] == "A.2025.01-HS.0000001" and seen["fonds"] == {"code": "A-PHONG"}


async def test_dossiers_page_and_filter(services: Services) -> None:
    for n in range(3):
        await a_dossier(services, f"0{n}-HS")
    page = (await ok(services, ADMIN, DOSSIERS, f={"year": 2025}, first=2))["dossiers"]
    assert [e["node"]["fileCode"] for e in page["edges"]] == ["A.2025.00-HS", "A.2025.01-HS"]
    assert page["pageInfo"]["hasNextPage"]
    rest = (await ok(services, ADMIN, DOSSIERS, first=2, after=page["pageInfo"]["endCursor"]))["dossiers"]
    assert [e["node"]["fileCode"] for e in rest["edges"]] == ["A.2025.02-HS"]
    assert (await ok(services, ADMIN, DOSSIERS, f={"year": 1999}, first=2))["dossiers"]["edges"] == []
    # They are conditional-use (mode 02): an archivist of no agency reads them only once granted,
    # as it would their records (can_read); the list shows nothing of them.
    hidden = (await ok(services, ARCHIVIST, DOSSIERS, first=10))["dossiers"]
    assert hidden["edges"] == [] and not hidden["pageInfo"]["hasNextPage"]
    assert (await ok(services, READER_B, DOSSIERS, first=10))["dossiers"]["edges"] == []
    by_fonds = await ok(services, READER_A, FONDS_WITH_DOSSIERS)
    assert by_fonds["fondsList"]["totalCount"] == 1
    (fonds,) = [e["node"] for e in by_fonds["fondsList"]["edges"]]
    assert fonds["code"] == "A-PHONG" and len(fonds["dossiers"]["edges"]) == 3
    assert (await ok(services, READER_B, "{ fondsList { totalCount } }"))["fondsList"]["totalCount"] == 0


async def test_updates_are_optimistic_and_codes_are_checked(services: Services) -> None:
    dossier = await a_dossier(services)
    d, version = dossier["id"], dossier["rowVersion"]
    updated = (await ok(services, RM_A, UPDATE, d=d, v=version, title="Hồ sơ mới"))["updateDossier"]
    assert updated == {"title": "Hồ sơ mới", "rowVersion": version + 1}
    assert (await call(services, RM_A, UPDATE, d=d, v=version, title="Cũ"))[1] == ["STALE_WRITE"]
    renumbered = await ok(
        services,
        RM_A,
        RENUMBER,
        d=d,
        v=version + 1,
    )
    assert renumbered["updateDossier"] == {"fileCode": "A.2025.05-HS"}
    bad, errors = await call(
        services,
        RM_A,
        CREATE_DOSSIER.replace('maintenance: "04"', 'maintenance: "99"'),
        fonds=(await ok(services, RM_A, "{ fondsList { edges { node { id } } } }"))["fondsList"]["edges"][0][
            "node"
        ]["id"],
        number="02",
        mode="01",
    )
    assert bad is None and errors == ["VALIDATION"]


def _gid(record_id: str) -> str:
    return str(to_global_id("Record", record_id))


async def test_the_audit_names_the_dossier_and_only_the_records_an_auditor_reads(services: Services) -> None:
    d = (await a_dossier(services))["id"]
    plain = make_record(agency="A")
    secret = make_record(agency="A", classification=Classification.SECRET)
    await stored(services, plain, secret)
    await ok(services, ADMIN, PLACE, d=d, ids=[plain.id, secret.id])
    dossier_id = (await ok(services, ADMIN, DOSSIER, d=d))["dossier"]["dossierId"]

    async def placed_ids(principal: Principal) -> list[Any]:
        return [
            (e.target, e.details["ids"], e.details["count"]) for e in await _placements(services, principal)
        ]

    cleared = dataclasses.replace(ARCHIVIST, subject="archivist-2")
    ordinary = dataclasses.replace(ARCHIVIST, subject="archivist-3", clearance=Classification.ORDINARY)
    assert await placed_ids(cleared) == [(dossier_id, f"{plain.id},{secret.id}", 2)]
    assert await placed_ids(ordinary) == [(dossier_id, plain.id, 1)]
    # The legacy mutations still answer, marked deprecated in the schema.
    assert "upsertDossier(" in SCHEMA_SDL and "Use createDossier" in SCHEMA_SDL


async def _placements(services: Services, principal: Principal) -> list[Any]:
    page = await audit_query(services, principal, ClientInfo(), AuditFilter(action="dossier.place"), first=10)
    return list(page.entries)


NODE = """query($id: ID!) {
  node(id: $id) { __typename id ... on Dossier { fileCode } ... on Fonds { code } } }"""


async def test_node_finds_a_fonds_and_a_dossier_only_for_who_may_read_them(services: Services) -> None:
    made = await a_dossier(services, mode="02")
    fonds = (await ok(services, ADMIN, "{ fondsList { edges { node { id code } } } }"))["fondsList"]["edges"]
    [fonds_id] = [e["node"]["id"] for e in fonds if e["node"]["code"] == "A-PHONG"]
    seen = (await ok(services, READER_A, NODE, id=made["id"]))["node"]
    assert seen == {"__typename": "Dossier", "id": made["id"], "fileCode": made["fileCode"]}
    assert (await ok(services, READER_A, NODE, id=fonds_id))["node"] == {
        "__typename": "Fonds",
        "id": fonds_id,
        "code": "A-PHONG",
    }
    # Another agency's reader: exactly what an id naming nothing gives.
    assert (await ok(services, READER_B, NODE, id=made["id"]))["node"] is None
    assert (await ok(services, READER_B, NODE, id=fonds_id))["node"] is None
    missing = to_global_id("Dossier", "00000000-0000-0000-0000-000000000000")
    assert (await ok(services, READER_A, NODE, id=missing))["node"] is None
