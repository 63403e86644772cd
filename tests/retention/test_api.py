"""The retention slice: records managers only; tombstones only for those who may see them."""

from __future__ import annotations

from datetime import date
from typing import Any

from archive.api.context import Context
from archive.api.schema import build_schema
from archive.domain.access import Principal, Role
from archive.domain.records import Classification
from archive.services import disposition
from archive.services.container import Services
from tests.retention.support import Clock, archived

MANAGER = Principal(
    subject="rm",
    roles=frozenset({Role.RECORDS_MANAGER}),
    agencies=frozenset({"UBND-HG"}),
    clearance=Classification.TOP_SECRET,
)
CHIEF = Principal(subject="chief", roles=frozenset({Role.ADMIN}), clearance=Classification.TOP_SECRET)
ARCHIVIST = Principal(subject="arch", roles=frozenset({Role.ARCHIVIST}))
CLERK = Principal(subject="clerk", roles=frozenset({Role.CLERK}), agencies=frozenset({"UBND-HG"}))

RULE = """mutation { upsertRetentionRule(rule: {code: "CV-10", title: "Công văn", periodYears: 10,
  documentTypes: ["Công văn"], agencies: ["UBND-HG"]}) { codes recomputed } }"""
PLAN = "mutation { planDisposition { id status items { recordId state ruleCode disposalDate } } }"
APPROVE = """mutation($id: String!) { approveDisposition(batchId: $id, decisionRef: "QĐ 9/QĐ-UBND") {
  status approvedBy decisionRef } }"""
TOMBSTONE = (
    "query($id: String!) { tombstone(recordId: $id) { documentNumber decisionRef approvedBy sha256 } }"
)
RECORD = "query($id: ID!) { record(id: $id) { id } }"


async def run(services: Services, principal: Principal, query: str, **variables: Any) -> Any:
    result = await build_schema().execute(
        query, variable_values=variables, context_value=Context(services=services, principal=principal)
    )
    return result


async def test_only_records_managers_change_the_schedule(embedded: Services) -> None:
    result = await run(embedded, CLERK, RULE)
    assert result.errors and result.errors[0].extensions == {"code": "FORBIDDEN"}
    denied = await run(embedded, CLERK, "{ legalHolds { id } }")
    assert denied.errors and denied.errors[0].extensions == {"code": "FORBIDDEN"}
    ok = await run(embedded, MANAGER, RULE)
    assert ok.errors is None and ok.data == {"upsertRetentionRule": {"codes": ["CV-10"], "recomputed": 0}}
    rules = await run(embedded, MANAGER, "{ retentionRules { code periodYears permanent trigger } }")
    assert rules.data == {
        "retentionRules": [{"code": "CV-10", "periodYears": 10, "permanent": False, "trigger": "ISSUE_DATE"}]
    }


async def test_a_bad_rule_is_a_validation_error(embedded: Services) -> None:
    result = await run(
        embedded,
        MANAGER,
        'mutation { upsertRetentionRule(rule: {code: "", title: "x", periodYears: 1}) { codes } }',
    )
    assert result.errors and result.errors[0].extensions == {"code": "VALIDATION"}


async def test_a_destroyed_record_is_a_tombstone_for_managers_and_nothing_for_others(
    embedded: Services, clock: Clock
) -> None:
    await run(embedded, MANAGER, RULE)
    record = await archived(embedded, "7", issued=date(2013, 1, 2))  # 10 years: due 2024-01-01
    planned = await run(embedded, MANAGER, PLAN)
    assert planned.errors is None
    batch = planned.data["planDisposition"]
    assert batch["items"] == [
        {"recordId": record.id, "state": "PENDING", "ruleCode": "CV-10", "disposalDate": "2024-01-01"}
    ]
    approved = await run(embedded, CHIEF, APPROVE, id=batch["id"])
    assert approved.data == {
        "approveDisposition": {"status": "APPROVED", "approvedBy": "chief", "decisionRef": "QĐ 9/QĐ-UBND"}
    }
    await disposition.run(embedded)

    expected = {
        "documentNumber": "7/UBND-VP",
        "decisionRef": "QĐ 9/QĐ-UBND",
        "approvedBy": "chief",
        "sha256": record.file.sha256,
    }
    for principal in (MANAGER, CHIEF, ARCHIVIST):
        shown = await run(embedded, principal, TOMBSTONE, id=record.id)
        assert shown.data == {"tombstone": expected}
    hidden = await run(embedded, CLERK, TOMBSTONE, id=record.id)
    never = await run(embedded, CLERK, TOMBSTONE, id="00000000-0000-0000-0000-000000000000")
    assert hidden.data == never.data == {"tombstone": None}
    from archive.api.types import to_global_id

    gone = await run(embedded, MANAGER, RECORD, id=to_global_id("Record", record.id))
    missing = await run(embedded, MANAGER, RECORD, id=to_global_id("Record", "nope"))
    assert gone.data == missing.data == {"record": None}
    assert gone.errors is None and missing.errors is None
