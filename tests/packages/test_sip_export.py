"""SIP_hoso and SIP_tailieu end to end, on both stacks: documents deposited over GraphQL
(one of them signed) and processed by the worker, placed in a dossier, exported as a
Circular 05/2025 package; eark-validator (in its own virtualenv) reports it valid, our
own checks find every listed file with its size and SHA-256 and every XML valid against
the shipped schemas, and the extracted PDFs are the deposited bytes, signatures intact."""

from __future__ import annotations

import asyncio
import hashlib
import zipfile
from pathlib import Path
from typing import Any

import httpx
import pytest
from lxml import etree

from archive.domain import tt05
from archive.domain.access import Principal, Role
from archive.domain.errors import Forbidden, MetadataInvalid, NotFound
from archive.domain.records import Classification
from archive.packaging.mets import METS_NS
from archive.packaging.validation import check_folder, safe_parser
from archive.samples import SampleDocument, render_pdf
from archive.services import packages
from archive.services.container import Services
from archive.services.worker import drain
from indexing.signatures import TrustRoots, verify_pdf_signatures
from tests.retention.scenario import ADMIN, RM_A
from tests.support import eark
from tests.support.gql import METADATA, deposit, gql
from tests.support.signing import make_pki, sign_pdf, write_trust_roots

AGENCY = "UBND-HG"
RM_HG = Principal(
    subject="rm-hg",
    roles=frozenset({Role.RECORDS_MANAGER}),
    agencies=frozenset({AGENCY}),
    clearance=Classification.ORDINARY,
)
CREATE_FONDS = """mutation($agency: String!) {
  createFonds(input: {code: "HG-UBND", name: "Phông Ủy ban nhân dân tỉnh Hà Giang", agencyCode: $agency}) {
    id code } }"""
CREATE_DOSSIER = """mutation($fonds: String!) {
  createDossier(input: {fondsId: $fonds, title: "Hồ sơ chuyển đổi số năm 2025 <&>", maintenance: "01",
    year: 2025, fileNumber: "12-CĐS", language: ["Tiếng Việt"]}) { id dossierId fileCode } }"""
PLACE = (
    """mutation($d: String!, $ids: [String!]!) { placeRecords(dossierId: $d, recordIds: $ids) { refused } }"""
)
NS = {"t": tt05.NAMESPACE, "mets": METS_NS}


async def ok(client: httpx.AsyncClient, query: str, **variables: Any) -> Any:
    body = await gql(client, query, **variables)
    assert "errors" not in body, body
    return body["data"]


async def deposited(client: httpx.AsyncClient, services: Services, pdfs: list[bytes]) -> list[str]:
    ids = []
    for n, pdf in enumerate(pdfs, start=1):
        result = await deposit(
            client, pdf, {**METADATA, "number": str(300 + n), "subject": f"Về việc đợt {n}"}
        )
        assert result["__typename"] == "DepositSuccess", result
        ids.append(result["record"]["recordId"])
    return ids


async def dossier_of(
    client: httpx.AsyncClient, services: Services, pdfs: list[bytes]
) -> tuple[dict[str, Any], list[str]]:
    fonds = (await ok(client, CREATE_FONDS, agency=AGENCY))["createFonds"]
    made = (await ok(client, CREATE_DOSSIER, fonds=fonds["id"]))["createDossier"]
    ids = await deposited(client, services, pdfs)
    assert await drain(services) == len(pdfs)
    assert (await ok(client, PLACE, d=made["id"], ids=ids))["placeRecords"]["refused"] == []
    return made, ids


async def signed_pdfs(services: Services) -> list[bytes]:
    pki = make_pki()
    write_trust_roots(services.settings.resolved_trust_roots_dir, pki.root.certificate)
    # pyHanko signs on its own event loop: off this one
    unsigned = render_pdf(SampleDocument(number="301", subject="Ký số"))
    signed = await asyncio.to_thread(sign_pdf, unsigned, pki.signer, pki)
    return [signed, render_pdf(SampleDocument(number="302", subject="Không ký"))]


def unpack(zip_path: Path, into: Path) -> Path:
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(into)
    [root] = list(into.iterdir())
    return root


async def test_sip_hoso_is_valid_and_carries_the_original_bytes(
    client: httpx.AsyncClient, services: Services, tmp_path: Path
) -> None:
    pdfs = await signed_pdfs(services)
    made, ids = await dossier_of(client, services, pdfs)

    exported = packages.export_dossier(services, ADMIN, made["dossierId"], tmp_path / "out")

    assert exported.path.name == f"{exported.written.objid}.zip"
    assert hashlib.sha256(exported.path.read_bytes()).hexdigest() == exported.written.zip_sha256
    report = eark.validate(exported.path)
    assert report.is_valid, report.errors()
    # Without our fix of its SIP14 rule, the only error is that rule on the software agent's note.
    assert eark.validate(exported.path, as_published=True).errors() == [
        ("SIP14", report_location("SIP14", exported.path))
    ]
    root = unpack(exported.path, tmp_path / "unpacked")
    assert root.name == exported.written.objid
    assert check_folder(root) == []
    code = made["fileCode"]
    data = [root / f"representations/rep1/data/{code}.{n:07d}.pdf" for n in (1, 2)]
    assert [d.read_bytes() for d in data] == pdfs
    roots = TrustRoots.from_directory(services.settings.resolved_trust_roots_dir)
    verdicts = await asyncio.to_thread(verify_pdf_signatures, data[0], roots)
    assert [v.verdict.value for v in verdicts] == ["valid"]
    first = etree.parse(str(root / "representations/rep1/metadata/descriptive/EAD_doc_1.xml"), safe_parser())
    assert first.findtext("t:docCode", namespaces=NS) == f"{code}.0000001"
    assert first.findtext("t:recordId", namespaces=NS) is None  # not a TT05 field
    described = etree.parse(str(root / "metadata/descriptive/EAD.xml"), safe_parser())
    assert described.findtext("t:title", namespaces=NS) == "Hồ sơ chuyển đổi số năm 2025 <&>"
    assert described.findtext("t:totalDoc", namespaces=NS) == "2"
    assert described.findtext("t:organId", namespaces=NS) == "HG-UBND"
    header = etree.parse(str(root / "METS.xml"), safe_parser()).find("mets:metsHdr", NS)
    assert header is not None and header.get("CREATEDATE", "").endswith("+07:00")
    notes = {n.text: n.getparent().get("ROLE") for n in header.iterfind("mets:agent/mets:note", NS)}
    assert notes == {"0.1.0": "CREATOR", "HG-UBND": "ARCHIVIST"}
    [entry] = [e for e in services.audit.entries() if e.action == "package.export"]
    assert entry.target == code and entry.details["ids"] == ",".join(ids)
    assert entry.details["sha256"] == exported.written.zip_sha256


def report_location(rule: str, package: Path) -> str:
    """Where the as-published validator places ``rule``: on the first agent's note."""
    found = [loc for r, loc in eark.validate(package, as_published=True).errors() if r == rule]
    assert found and all("agent' and namespace-uri()='http://www.loc.gov/METS/'][1]" in f for f in found), (
        found
    )
    return found[0]


async def test_sip_tailieu_of_loose_documents_is_valid(
    client: httpx.AsyncClient, services: Services, tmp_path: Path
) -> None:
    pdfs = [render_pdf(SampleDocument(number=str(n), subject=f"Lẻ {n}")) for n in (1, 2, 3)]
    ids = await deposited(client, services, pdfs)
    assert await drain(services) == 3
    package, records = packages.documents_package(services, ADMIN, ids, title="Tài liệu lẻ năm 2025")
    target = tmp_path / "tailieu.zip"
    with target.open("wb") as sink:
        written = packages.write(services, ADMIN, package, records, sink)
    assert written.kind.value == "SIP_tailieu"
    assert eark.validate(target).is_valid
    root = unpack(target, tmp_path / "unpacked")
    assert check_folder(root) == []
    assert [(root / f"representations/rep1/data/{r}.pdf").read_bytes() for r in ids] == pdfs
    batch = etree.parse(str(root / "metadata/descriptive/EAD.xml"), safe_parser()).getroot()
    assert etree.QName(batch).localname == tt05.BATCH_ROOT
    assert batch.findtext("t:totalDoc", namespaces=NS) == "3"


async def test_export_is_refused_while_documents_are_processing_naming_them(
    client: httpx.AsyncClient, services: Services, tmp_path: Path
) -> None:
    fonds = (await ok(client, CREATE_FONDS, agency=AGENCY))["createFonds"]
    made = (await ok(client, CREATE_DOSSIER, fonds=fonds["id"]))["createDossier"]
    ids = await deposited(client, services, [render_pdf(SampleDocument(number="9"))])
    await ok(client, PLACE, d=made["id"], ids=ids)  # the worker has not run

    with pytest.raises(MetadataInvalid, match=ids[0]):
        packages.export_dossier(services, ADMIN, made["dossierId"], tmp_path / "out")
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []


async def test_who_may_export(client: httpx.AsyncClient, services: Services, tmp_path: Path) -> None:
    out = tmp_path / "out"
    made, _ = await dossier_of(client, services, [render_pdf(SampleDocument(number="5"))])
    with pytest.raises(Forbidden):  # another agency's records manager reads the public dossier only
        packages.export_dossier(services, RM_A, made["dossierId"], out)
    with pytest.raises(NotFound):
        packages.export_dossier(services, ADMIN, "00000000-0000-0000-0000-000000000000", out)
    assert not out.exists()
    exported = packages.export_dossier(services, RM_HG, made["dossierId"], out)
    assert exported.written.record_ids and exported.path.exists()
