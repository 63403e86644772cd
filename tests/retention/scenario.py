"""Two agencies, their records managers, and GraphQL calls as each of them: the cast of the
retention scope tests (findings 1 and 2 of issue 10)."""

from __future__ import annotations

import asyncio
import io
from dataclasses import replace
from datetime import date
from typing import Any

from archive.api.context import Context
from archive.api.schema import build_schema
from archive.domain.access import Principal, Role
from archive.domain.records import Classification, Record
from archive.services.container import Services
from archive.services.deposit import deposit
from archive.services.indexing import index_document
from archive.services.retention import seal
from tests.retention.support import make_pdf, metadata

ISSUED = date(2001, 3, 1)  # long past a ten-year period, whatever today is

ADMIN = Principal(subject="admin-1", roles=frozenset({Role.ADMIN}), clearance=Classification.TOP_SECRET)
ADMIN_2 = Principal(subject="admin-2", roles=frozenset({Role.ADMIN}), clearance=Classification.TOP_SECRET)
RM_A = Principal(
    subject="rm-a",
    roles=frozenset({Role.RECORDS_MANAGER}),
    agencies=frozenset({"A"}),
    clearance=Classification.TOP_SECRET,
)
RM_B = Principal(
    subject="rm-b",
    roles=frozenset({Role.RECORDS_MANAGER}),
    agencies=frozenset({"B"}),
    clearance=Classification.ORDINARY,
)
RM_B_CLEARED = replace(RM_B, subject="rm-b2", clearance=Classification.TOP_SECRET)

CATCH_ALL = """mutation { upsertRetentionRule(rule: {code: "CV-10", title: "Công văn", periodYears: 10,
  documentTypes: ["Công văn"]}) { codes } }"""
BATCH_FIELDS = "id status plannedBy approvedBy items { recordId documentNumber documentType agencyCode }"
PLAN = f"mutation {{ planDisposition {{ {BATCH_FIELDS} }} }}"
APPROVE = f"""mutation($id: String!) {{ approveDisposition(batchId: $id, decisionRef: "QĐ 1/QĐ-UBND") {{
  {BATCH_FIELDS} }} }}"""
BATCHES = f"{{ dispositionBatches {{ {BATCH_FIELDS} }} }}"
EXPORT = "query($id: String!, $f: String!) { dispositionExport(batchId: $id, format: $f) }"
TOMBSTONE = "query($id: String!) { tombstone(recordId: $id) { recordId agencyCode sha256 } }"
HOLD = """mutation($ids: [String!], $sel: RecordSelectorInput) {
  placeLegalHold(name: "Thanh tra", reason: "r", authority: "TTr 1", recordIds: $ids, selector: $sel) {
    added refused hold { recordCount } } }"""
ADD = """mutation($hold: String!, $ids: [String!]) {
  addToLegalHold(holdId: $hold, recordIds: $ids) { added refused hold { recordCount } } }"""
HOLDS = "{ legalHolds { id recordCount } }"


async def call(services: Services, principal: Principal, query: str, **variables: Any) -> Any:
    """One GraphQL operation as ``principal``: (data, error codes)."""
    result = await build_schema().execute(
        query, variable_values=variables, context_value=Context(services=services, principal=principal)
    )
    codes = [(e.extensions or {}).get("code") for e in result.errors or []]
    return result.data, codes


async def kept(
    services: Services,
    number: str,
    *,
    agency: str,
    level: Classification = Classification.ORDINARY,
    document_type: str = "Công văn",
) -> Record:
    """A record of ``agency`` at ``level``, deposited, sealed and indexed as the worker would."""
    meta = replace(metadata(number, document_type=document_type, issued=ISSUED), classification=level)
    record = await asyncio.to_thread(
        deposit,
        services,
        ADMIN,
        io.BytesIO(make_pdf(f"{agency}-{number}")),
        filename=f"{number}.pdf",
        metadata=meta,
        agency_code=agency,
    )
    await asyncio.to_thread(seal, services, record.id)
    await services.index.upsert(index_document(record))
    return record
