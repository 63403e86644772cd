"""The statistics queries over GraphQL: their shape, and the refusal of access counts to
callers who do not read the audit log."""

from __future__ import annotations

import asyncio

from archive.domain.access import Principal, Role
from archive.domain.records import Classification
from archive.services.container import Services
from tests.retention.scenario import ADMIN, call
from tests.support.access import make_record
from tests.support.dossiers import agency_fonds, dossier

READER_A = Principal(subject="reader-a", roles=frozenset({Role.READER}), agencies=frozenset({"A"}))
COUNTS = """{ byAgency: recordCounts(by: AGENCY) { value count }
  byLevel: recordCounts(by: CLASSIFICATION) { value count }
  byTier: recordCounts(by: RETENTION_TIER) { value count }
  dossiers: dossierCounts(by: STATUS) { value count } }"""
ACCESS = "{ accessCounts { year month action count } }"


async def test_counts_and_access_counts(services: Services) -> None:
    for record in (
        make_record(agency="A"),
        make_record(agency="A", classification=Classification.SECRET),
        make_record(agency="B"),
        make_record(agency="B", public=True),
    ):
        await asyncio.to_thread(services.records.add, record)
    dossier(services, agency_fonds(services, "A", "Phông A"), "01", "Hồ sơ")

    data, errors = await call(services, READER_A, COUNTS)
    assert errors == []
    assert data["byAgency"] == [{"value": "A", "count": 1}, {"value": "B", "count": 1}]
    assert data["byLevel"] == [{"value": "ORDINARY", "count": 2}]
    assert sum(b["count"] for b in data["byTier"]) == 2
    assert data["dossiers"] == [{"value": "open", "count": 1}]

    everything, errors = await call(services, ADMIN, COUNTS)
    assert errors == []
    assert everything["byAgency"] == [{"value": "A", "count": 2}, {"value": "B", "count": 2}]
    assert {b["value"] for b in everything["byLevel"]} == {"ORDINARY", "SECRET"}

    refused, errors = await call(services, READER_A, ACCESS)
    assert errors == ["FORBIDDEN"] and refused is None
    allowed, errors = await call(services, ADMIN, ACCESS)
    assert errors == [] and isinstance(allowed["accessCounts"], list)
