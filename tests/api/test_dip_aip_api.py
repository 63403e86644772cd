"""Readers' requests, ``exportDip`` and ``exportPreservationPackage`` over GraphQL on both
stacks: the reader asks, an archivist approves, the reader downloads a DIP whose zip is what
the mutation describes; refusals carry codes (a stranger's request NOT_FOUND, an unapproved
export or a self-approval FORBIDDEN, a second decision REQUEST_DECIDED)."""

from __future__ import annotations

import hashlib
import zipfile
from io import BytesIO

import httpx
import pytest

from archive.domain.access import Principal, Role
from archive.domain.records import Classification
from archive.services.container import Services
from tests.retention.scenario import ADMIN, RM_A, call
from tests.support.dossiers import agency_fonds, dossier, place
from tests.support.packages import stored_records

READER = Principal(subject="reader-binh", roles=frozenset({Role.READER}))
STRANGER = Principal(subject="reader-2", roles=frozenset({Role.READER}))
ARCHIVIST = Principal(
    subject="archivist-1", roles=frozenset({Role.ARCHIVIST}), clearance=Classification.ORDINARY
)
SUBMIT = """mutation($ids: [String!]!) { submitAccessRequest(input: {code: "PYC-9", requestedOn: "2026-03-02",
  purpose: "02", topic: "Cải cách hành chính", readerName: "Trần Thị Bình", recordIds: $ids}) {
  id status reader } }"""
APPROVE = 'mutation($id: String!) { approveAccessRequest(id: $id, note: "Đồng ý") { status decidedBy } }'
EXPORT_DIP = (
    "mutation($id: String!) { exportDip(requestId: $id) { objid kind recordIds size sha256 downloadPath } }"
)
EXPORT_AIP = """mutation($d: String!) { exportPreservationPackage(dossierId: $d) {
  objid kind fileCode recordIds sha256 downloadPath } }"""
REQUESTS = "{ accessRequests { id status } }"


async def test_a_reader_asks_an_archivist_approves_the_reader_downloads(
    services: Services, client: httpx.AsyncClient
) -> None:
    records = await stored_records(services, 2)
    ids = [r.id for r in records]
    data, codes = await call(services, READER, SUBMIT, ids=ids)
    assert codes == [] and data["submitAccessRequest"]["status"] == "PENDING"
    request_id = data["submitAccessRequest"]["id"]
    assert (await call(services, STRANGER, REQUESTS))[0] == {"accessRequests": []}
    assert (await call(services, READER, EXPORT_DIP, id=request_id))[1] == ["FORBIDDEN"]  # not approved
    assert (await call(services, READER, APPROVE, id=request_id))[1] == ["FORBIDDEN"]  # its own

    data, codes = await call(services, ARCHIVIST, APPROVE, id=request_id)
    assert codes == [] and data["approveAccessRequest"] == {
        "status": "APPROVED",
        "decidedBy": ARCHIVIST.subject,
    }
    assert (await call(services, ADMIN, APPROVE, id=request_id))[1] == ["REQUEST_DECIDED"]
    assert (await call(services, STRANGER, EXPORT_DIP, id=request_id))[1] == ["NOT_FOUND"]

    data, codes = await call(services, READER, EXPORT_DIP, id=request_id)
    assert codes == []
    package = data["exportDip"]
    assert package["kind"] == "DIP" and package["recordIds"] == ids
    response = await client.get(package["downloadPath"])
    assert response.status_code == 200 and hashlib.sha256(response.content).hexdigest() == package["sha256"]
    with zipfile.ZipFile(BytesIO(response.content)) as archive:
        names = archive.namelist()
    assert f"{package['objid']}/documentation/authentication.pdf" in names


async def test_an_archivist_exports_an_aip_and_a_records_manager_may_not(
    services: Services, client: httpx.AsyncClient
) -> None:
    if not services.settings.resolved_fido_python.is_file():
        pytest.skip("fido is not provisioned (scripts/provision installs it)")
    records = await stored_records(services, 1)
    made = dossier(
        services, agency_fonds(services, "UBND-HG", "Ủy ban nhân dân"), "09/VP", "Hồ sơ", mode="01"
    )
    place(services, made, [r.id for r in records])
    assert (await call(services, RM_A, EXPORT_AIP, d=made.id))[1] == ["FORBIDDEN"]
    data, codes = await call(services, ARCHIVIST, EXPORT_AIP, d=made.id)
    assert codes == []
    package = data["exportPreservationPackage"]
    assert package["kind"] == "AIP_hoso" and package["fileCode"] == made.file_code
    response = await client.get(package["downloadPath"])
    with zipfile.ZipFile(BytesIO(response.content)) as archive:
        assert f"{package['objid']}/metadata/preservation/PREMIS.xml" in archive.namelist()
