"""``Record.retention`` and ``Record.holds`` through GraphQL, for every kind of caller.

Retention is shown to whoever may read the record (``can_read``); holds only to those
who manage its retention (``can_manage``: a records manager of its agency or an admin,
cleared for it), null for other readers. A record the caller may not read answers
exactly like an id that never existed.
"""

from __future__ import annotations

import asyncio
import io
from dataclasses import replace
from datetime import date
from typing import Any

from archive.api.context import Context
from archive.api.schema import build_schema
from archive.api.types import to_global_id
from archive.domain.access import UNRESTRICTED, Principal, Role
from archive.domain.records import Classification, Record
from archive.domain.retention import Dossier, RetentionRule, Trigger
from archive.services import holds, retention
from archive.services.container import Services
from archive.services.deposit import deposit
from archive.services.indexing import index_document
from tests.retention.support import RM, Clock, archived, make_pdf, metadata

HG = frozenset({"UBND-HG"})
MANAGER = Principal("rm-hg", frozenset({Role.RECORDS_MANAGER}), HG, Classification.SECRET)
READER = Principal("reader-hg", frozenset({Role.READER}), HG, Classification.SECRET)
ARCHIVIST = Principal("arch", frozenset({Role.ARCHIVIST}), clearance=Classification.TOP_SECRET)
OTHER_MANAGER = Principal("rm-lc", frozenset({Role.RECORDS_MANAGER}), frozenset({"UBND-LC"}))
LOW_MANAGER = Principal("rm-hg-low", frozenset({Role.RECORDS_MANAGER}), HG)  # ORDINARY clearance
ARCHIVIST_MANAGER_LC = Principal(
    "am-lc", frozenset({Role.ARCHIVIST, Role.RECORDS_MANAGER}), frozenset({"UBND-LC"})
)
ADMIN = Principal("admin", frozenset({Role.ADMIN}), clearance=Classification.TOP_SECRET)

CV = RetentionRule(
    "TT10-12.6",
    "Công văn trao đổi",
    10,
    document_types=("Công văn",),
    schedule="TT10-2022",
    legal_basis="Thông tư 10/2022/TT-BNV, mục 12.6",
)
HS = RetentionRule("HS-20", "Hồ sơ", 20, trigger=Trigger.DOSSIER_CLOSE, document_types=("Hồ sơ",))

FIELDS = (
    "retention { rule schedule code legalBasis disposalDate permanent } holds { name active recordCount }"
)
RECORD = "query($id: ID!) { record(id: $id) { " + FIELDS + " } }"
SEARCH = "{ search(first: 10) { totalCount edges { node { recordId retention { code } holds { name } } } } }"


async def run(services: Services, principal: Principal, query: str, **variables: Any) -> dict[str, Any]:
    result = await build_schema().execute(
        query, variable_values=variables, context_value=Context(services=services, principal=principal)
    )
    assert result.errors is None, result.errors
    assert result.data is not None
    return result.data


async def record_of(services: Services, principal: Principal, record_id: str) -> Any:
    return (await run(services, principal, RECORD, id=to_global_id("Record", record_id)))["record"]


async def secret_of_lc(services: Services) -> Record:
    """A SECRET record of another agency, deposited by an admin."""
    meta = replace(metadata("99", issued=date(2019, 4, 5)), classification=Classification.SECRET)
    record = await asyncio.to_thread(
        deposit,
        services,
        ADMIN,
        io.BytesIO(make_pdf("99")),
        filename="99.pdf",
        metadata=meta,
        agency_code="UBND-LC",
    )
    await asyncio.to_thread(retention.seal, services, record.id)
    await services.index.upsert(index_document(record))
    return record


async def test_a_reader_sees_the_rule_its_legal_basis_and_the_disposal_date(embedded: Services) -> None:
    await asyncio.to_thread(retention.change_rules, embedded, RM, upserts=[CV])
    record = await archived(embedded, "1", issued=date(2024, 3, 4))
    expected = {
        "rule": "TT10-12.6",
        "schedule": "TT10-2022",
        "code": "06",
        "legalBasis": "Thông tư 10/2022/TT-BNV, mục 12.6",
        "disposalDate": "2035-01-01",  # issued in 2024, 10 years: from 1 January 2035
        "permanent": False,
    }
    for principal in (READER, ARCHIVIST, MANAGER, ADMIN):
        assert (await record_of(embedded, principal, record.id))["retention"] == expected


def view(
    rule: str | None, schedule: str | None, code: str, disposal: str | None, *, permanent: bool = False
) -> dict[str, Any]:
    return {
        "rule": rule,
        "schedule": schedule,
        "code": code,
        "legalBasis": "",
        "disposalDate": disposal,
        "permanent": permanent,
    }


async def test_permanent_tier_coded_and_not_started_records(embedded: Services) -> None:
    await asyncio.to_thread(retention.change_rules, embedded, RM, upserts=[CV, HS])
    forever = await archived(embedded, "2", issued=date(2020, 1, 1), document_type="Quyết định")
    tiered = await archived(embedded, "3", issued=date(2020, 1, 1), document_type="Tờ trình", code="04")
    waiting = await archived(embedded, "4", issued=date(2020, 1, 1), document_type="Hồ sơ")
    shown = {r.id: (await record_of(embedded, READER, r.id))["retention"] for r in (forever, tiered, waiting)}
    assert shown[forever.id] == view(None, None, "01", None, permanent=True)
    assert shown[tiered.id] == view(None, None, "04", "2051-01-01")
    # a dossier rule, in no dossier: the clock has not started
    assert shown[waiting.id] == view("HS-20", "default", "05", None)


async def test_holds_only_for_those_who_manage_the_record(embedded: Services, clock: Clock) -> None:
    await asyncio.to_thread(retention.change_rules, embedded, RM, upserts=[CV])
    record = await archived(embedded, "5", issued=date(2020, 6, 1))
    other = await secret_of_lc(embedded)
    placed = await asyncio.to_thread(
        holds.place_hold, embedded, ADMIN, name="Thanh tra", reason="r", authority="TTr 7",
        record_ids=[record.id, other.id],
    )  # fmt: skip
    await asyncio.to_thread(holds.release_hold, embedded, ADMIN, placed.hold.id, reason="xong")
    clock.advance(1)
    await asyncio.to_thread(
        holds.place_hold,
        embedded,
        ADMIN,
        name="Kiểm toán",
        reason="r",
        authority="KT 1",
        record_ids=[record.id],
    )

    managed = await record_of(embedded, MANAGER, record.id)
    assert managed["holds"] == [  # newest first; each counts only the records the caller manages
        {"name": "Kiểm toán", "active": True, "recordCount": 1},
        {"name": "Thanh tra", "active": False, "recordCount": 1},
    ]
    assert [h["recordCount"] for h in (await record_of(embedded, ADMIN, record.id))["holds"]] == [1, 2]
    for principal in (READER, ARCHIVIST, ARCHIVIST_MANAGER_LC):  # may read it, may not manage it
        shown = await record_of(embedded, principal, record.id)
        assert shown["holds"] is None and shown["retention"]["rule"] == "TT10-12.6"


async def test_an_unreadable_record_answers_like_one_that_never_existed(embedded: Services) -> None:
    await asyncio.to_thread(retention.change_rules, embedded, RM, upserts=[CV])
    other = await secret_of_lc(embedded)
    await asyncio.to_thread(
        holds.place_hold, embedded, ADMIN, name="H", reason="r", authority="a", record_ids=[other.id]
    )
    assert (await record_of(embedded, ADMIN, other.id))["holds"][0]["name"] == "H"
    never = "00000000-0000-0000-0000-000000000000"
    for principal in (READER, MANAGER, OTHER_MANAGER, LOW_MANAGER):
        assert await record_of(embedded, principal, other.id) is None
        assert await record_of(embedded, principal, other.id) == await record_of(embedded, principal, never)
    found = await asyncio.to_thread(retention.of_records, embedded, MANAGER, [other.id, never])
    assert found == {}
    assert await asyncio.to_thread(holds.naming, embedded, MANAGER, [other.id, never]) == {}


async def test_search_hits_carry_retention_and_holds_per_caller(embedded: Services) -> None:
    await asyncio.to_thread(retention.change_rules, embedded, RM, upserts=[CV])
    first = await archived(embedded, "6", issued=date(2020, 6, 1))
    second = await archived(embedded, "7", issued=date(2020, 6, 1), code="02")
    await secret_of_lc(embedded)
    await asyncio.to_thread(
        holds.place_hold, embedded, ADMIN, name="H", reason="r", authority="a", record_ids=[first.id]
    )
    managed = (await run(embedded, MANAGER, SEARCH))["search"]
    assert managed["totalCount"] == 2
    nodes = {e["node"]["recordId"]: e["node"] for e in managed["edges"]}
    assert nodes[first.id]["retention"] == {"code": "06"} and nodes[first.id]["holds"] == [{"name": "H"}]
    assert nodes[second.id]["retention"] == {"code": "02"} and nodes[second.id]["holds"] == []
    read = (await run(embedded, READER, SEARCH))["search"]
    assert {e["node"]["recordId"] for e in read["edges"]} == {first.id, second.id}
    assert all(e["node"]["holds"] is None for e in read["edges"])


async def test_a_dossier_retention_code_keeps_its_records_at_least_that_long(embedded: Services) -> None:
    await asyncio.to_thread(retention.change_rules, embedded, RM, upserts=[CV])
    record = await archived(embedded, "8", issued=date(2020, 6, 1))
    await asyncio.to_thread(
        retention.upsert_dossier, embedded, RM, Dossier("HS-1", "Hồ sơ", agency_code="UBND-HG")
    )
    await asyncio.to_thread(retention.assign_dossier, embedded, RM, "HS-1", [record.id])
    # A new dossier's code is 07 ("other"): the rule decides, even while the dossier is open.
    assert (await record_of(embedded, READER, record.id))["retention"]["disposalDate"] == "2031-01-01"

    [dossier] = [d for d in embedded.archival.dossiers(UNRESTRICTED) if d.file_code == "HS-1"]
    embedded.archival.save_dossier(replace(dossier, maintenance="03"), expected_version=dossier.row_version)
    closed = Dossier("HS-1", "Hồ sơ", date(2024, 5, 6))
    assert await asyncio.to_thread(retention.upsert_dossier, embedded, RM, closed) == (record.id,)
    shown = (await record_of(embedded, READER, record.id))["retention"]
    assert shown == view(None, None, "03", "2075-01-01")  # 50 years from the close in 2024 beat 2031


RULE_IN_SCHEDULE = """mutation($schedule: String!) { upsertRetentionRule(rule: {code: "TT10-12.6",
  title: "Công văn", periodYears: 10, schedule: $schedule, legalBasis: "Thông tư 10/2022/TT-BNV, mục 12.6"})
  { codes } }"""


async def test_rules_carry_schedule_legal_basis_and_tier_through_graphql(embedded: Services) -> None:
    await run(embedded, ADMIN, RULE_IN_SCHEDULE, schedule="TT10-2022")
    listed = await run(embedded, ADMIN, "{ retentionRules { code schedule legalBasis maintenance } }")
    assert listed["retentionRules"] == [
        {
            "code": "TT10-12.6",
            "schedule": "TT10-2022",
            "legalBasis": "Thông tư 10/2022/TT-BNV, mục 12.6",
            "maintenance": "06",
        }
    ]
    moved = await build_schema().execute(
        RULE_IN_SCHEDULE,
        variable_values={"schedule": "TT53-2017-BYT"},
        context_value=Context(services=embedded, principal=ADMIN),
    )
    assert moved.errors and moved.errors[0].extensions == {"code": "VALIDATION"}
    assert "belongs to schedule TT10-2022" in moved.errors[0].message
