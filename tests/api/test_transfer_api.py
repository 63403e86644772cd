"""``exportTransferPackage`` and ``GET /exports/packages/{token}`` on both stacks: a records
manager of the agency gets a package whose zip is what the mutation describes; another
agency's records manager is FORBIDDEN, an unknown dossier NOT_FOUND, a bad status a
VALIDATION error; a forged or record token opens no package."""

from __future__ import annotations

import hashlib
import zipfile
from io import BytesIO

import httpx

from archive.domain.access import Principal, Role
from archive.domain.records import Classification
from archive.services.container import Services
from tests.retention.scenario import RM_A, call
from tests.support.dossiers import agency_fonds, dossier, place
from tests.support.packages import stored_records

AGENCY = "UBND-HG"
RM_HG = Principal(
    subject="rm-hg",
    roles=frozenset({Role.RECORDS_MANAGER}),
    agencies=frozenset({AGENCY}),
    clearance=Classification.ORDINARY,
)
EXPORT = """mutation($d: String!, $s: String!) { exportTransferPackage(dossierId: $d, recordStatus: $s) {
  objid kind fileCode recordIds size sha256 downloadPath expiresAt } }"""


async def test_a_records_manager_exports_and_downloads_the_package(
    services: Services, client: httpx.AsyncClient
) -> None:
    records = await stored_records(services, 2)
    made = dossier(services, agency_fonds(services, AGENCY, "Ủy ban nhân dân"), "07/VP", "Hồ sơ", mode="01")
    place(services, made, [r.id for r in records])

    data, codes = await call(services, RM_HG, EXPORT, d=made.id, s="NEW")

    assert codes == []
    package = data["exportTransferPackage"]
    assert package["kind"] == "SIP_hoso" and package["fileCode"] == made.file_code
    assert package["recordIds"] == [r.id for r in records]
    response = await client.get(package["downloadPath"])
    assert response.status_code == 200 and response.headers["content-type"] == "application/zip"
    assert hashlib.sha256(response.content).hexdigest() == package["sha256"]
    assert len(response.content) == package["size"]
    with zipfile.ZipFile(BytesIO(response.content)) as archive:
        assert f"{package['objid']}/METS.xml" in archive.namelist()
    token = package["downloadPath"].rsplit("/", 1)[1]
    forged = await client.get(f"/exports/packages/{token[:-2]}xx")
    assert forged.status_code == 404


async def test_refusals_carry_codes(services: Services) -> None:
    records = await stored_records(services, 1)
    made = dossier(services, agency_fonds(services, AGENCY, "Ủy ban nhân dân"), "08/VP", "Hồ sơ", mode="01")
    place(services, made, [r.id for r in records])

    assert (await call(services, RM_A, EXPORT, d=made.id, s="NEW"))[1] == ["FORBIDDEN"]
    unknown = "00000000-0000-0000-0000-000000000000"
    assert (await call(services, RM_HG, EXPORT, d=unknown, s="NEW"))[1] == ["NOT_FOUND"]
    assert (await call(services, RM_HG, EXPORT, d=made.id, s="MAYBE"))[1] == ["VALIDATION"]
    assert not [e for e in services.audit.entries() if e.action == "package.export"]
