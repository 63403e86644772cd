"""AIP_hoso and AIP_tailieu end to end, on both stacks: the SIP layout plus PREMIS 3.0
(root and representation), eark-validator reports the package valid, our own checks find
every file with its size and SHA-256 and every XML (PREMIS included) valid against the
shipped schemas; the PREMIS objects carry fido's PRONOM identification, the signature
findings and events that are entries of the audit chain."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path

import httpx
import pytest
from lxml import etree

from archive.domain.access import Principal, Role
from archive.domain.audit import Outcome
from archive.domain.errors import Forbidden
from archive.domain.records import Classification
from archive.packaging.validation import check_folder, safe_parser
from archive.preservation import validate
from archive.preservation.premis import PREMIS_NS, SIGNATURE_NS
from archive.samples import SampleDocument, render_pdf
from archive.services import aip
from archive.services.audit import ClientInfo, append
from archive.services.container import Services
from archive.services.fixity import run_fixity
from archive.services.worker import drain
from tests.packages.test_sip_export import RM_HG, deposited, dossier_of, signed_pdfs, unpack
from tests.retention.scenario import ADMIN
from tests.support import eark
from tests.support.access import make_record

NS = {"p": PREMIS_NS, "sig": SIGNATURE_NS}
CLIENT = ClientInfo()
ARCHIVIST = Principal(
    subject="archivist-1", roles=frozenset({Role.ARCHIVIST}), clearance=Classification.ORDINARY
)
REP_PREMIS = "representations/rep1/metadata/preservation/PREMIS.xml"


def premis_of(path: Path) -> etree._ElementTree:
    assert validate(path.read_bytes()) == []
    return etree.parse(str(path), safe_parser())


def object_of(tree: etree._ElementTree, path: str) -> etree._Element:
    [found] = tree.xpath(
        "//p:object[p:objectIdentifier/p:objectIdentifierValue=$path]", namespaces=NS, path=path
    )
    return found


@pytest.fixture
def fido_installed(services: Services) -> None:
    if not services.settings.resolved_fido_python.is_file():
        pytest.skip("fido is not provisioned (scripts/provision installs it)")


async def test_aip_hoso_is_valid_and_its_premis_comes_from_the_bytes_and_the_audit_chain(
    client: httpx.AsyncClient, services: Services, tmp_path: Path, fido_installed: None
) -> None:
    pdfs = await signed_pdfs(services)
    made, ids = await dossier_of(client, services, pdfs)
    await asyncio.to_thread(run_fixity, services)

    exported = await aip.export(services, ARCHIVIST, CLIENT, tmp_path / "out", dossier_id=made["dossierId"])

    assert exported.written.kind.value == "AIP_hoso"
    assert hashlib.sha256(exported.path.read_bytes()).hexdigest() == exported.written.zip_sha256
    report = eark.validate(exported.path)
    assert report.is_valid, report.errors()
    root = unpack(exported.path, tmp_path / "unpacked")
    assert check_folder(root) == []
    assert (root / "schemas/premis-v3-0.xsd").is_file()
    mets = (root / "METS.xml").read_text(encoding="utf-8")
    assert 'OAISPACKAGETYPE="AIP"' in mets and 'MDTYPE="PREMIS"' in mets
    package_premis = premis_of(root / "metadata/preservation/PREMIS.xml")
    assert package_premis.xpath("//p:eventType/text()", namespaces=NS) == ["information package creation"]

    premis = premis_of(root / REP_PREMIS)
    code = made["fileCode"]
    signed, unsigned = (object_of(premis, f"data/{code}.{n:07d}.pdf") for n in (1, 2))
    for obj, pdf in ((signed, pdfs[0]), (unsigned, pdfs[1])):
        assert obj.findtext(".//p:messageDigest", namespaces=NS) == hashlib.sha256(pdf).hexdigest()
        assert obj.findtext(".//p:size", namespaces=NS) == str(len(pdf))
        assert obj.findtext(".//p:formatRegistryKey", namespaces=NS).startswith("fmt/")
        assert "application/pdf" in obj.findtext(".//p:formatNote", namespaces=NS)
    assert signed.findtext(".//sig:verdict", namespaces=NS) == "valid"
    assert unsigned.find(".//p:signatureInformation", NS) is None

    # Every audit event is an entry of the chain, named by its seq and hash.
    chain = {f"{e.seq}:{e.hash}": e for e in services.audit.entries()}
    events = premis.xpath("//p:event[p:eventIdentifier/p:eventIdentifierType='audit-chain']", namespaces=NS)
    kinds = {}
    for event in events:
        entry = chain[event.findtext("p:eventIdentifier/p:eventIdentifierValue", namespaces=NS)]
        kinds.setdefault(event.findtext("p:eventType", namespaces=NS), []).append(entry)
    assert sorted(e.target for e in kinds["ingestion"]) == sorted(ids)
    assert [e.action for e in kinds["fixity check"]] == ["fixity.run"]
    [fixity] = premis.xpath("//p:event[p:eventType='fixity check']", namespaces=NS)
    assert fixity.findtext(".//p:eventOutcome", namespaces=NS) == "success"
    assert "format identification" in premis.xpath("//p:eventType/text()", namespaces=NS)
    linked = signed.xpath("p:linkingEventIdentifier/p:linkingEventIdentifierValue/text()", namespaces=NS)
    assert set(linked) >= {f"{e.seq}:{e.hash}" for e in kinds["fixity check"]}

    [entry] = [e for e in services.audit.entries() if e.action == "package.export"]
    assert entry.details["kind"] == "AIP_hoso" and entry.actor == ARCHIVIST.subject
    assert entry.outcome is Outcome.OK


async def test_aip_tailieu_of_loose_documents_is_valid(
    client: httpx.AsyncClient, services: Services, tmp_path: Path, fido_installed: None
) -> None:
    pdfs = [render_pdf(SampleDocument(number=str(n), subject=f"Lẻ {n}")) for n in (1, 2)]
    ids = await deposited(client, services, pdfs)
    assert await drain(services) == 2
    exported = await aip.export(
        services, ADMIN, CLIENT, tmp_path / "out", record_ids=ids, title="Tài liệu lẻ"
    )
    assert exported.written.kind.value == "AIP_tailieu"
    assert eark.validate(exported.path).is_valid
    root = unpack(exported.path, tmp_path / "unpacked")
    assert check_folder(root) == []
    premis = premis_of(root / REP_PREMIS)
    assert {o.findtext("p:objectIdentifier[2]/p:objectIdentifierValue", namespaces=NS) for o in
            premis.xpath("//p:object", namespaces=NS)} == set(ids)  # fmt: skip


async def test_an_aip_is_made_by_auditors_only(
    client: httpx.AsyncClient, services: Services, tmp_path: Path, fido_installed: None
) -> None:
    made, _ = await dossier_of(client, services, [render_pdf(SampleDocument(number="5"))])
    out = tmp_path / "out"
    # The records manager may export a SIP of its dossier, but an AIP carries the audit
    # history, which it may not read.
    with pytest.raises(Forbidden, match="archivist or admin"):
        await aip.export(services, RM_HG, CLIENT, out, dossier_id=made["dossierId"])
    assert not out.exists() or list(out.iterdir()) == []


async def test_a_premis_file_that_breaks_its_schema_is_found(
    client: httpx.AsyncClient, services: Services, tmp_path: Path, fido_installed: None
) -> None:
    made, _ = await dossier_of(client, services, [render_pdf(SampleDocument(number="6"))])
    exported = await aip.export(services, ADMIN, CLIENT, tmp_path / "out", dossier_id=made["dossierId"])
    root = unpack(exported.path, tmp_path / "unpacked")
    target = root / REP_PREMIS
    before = hashlib.sha256(target.read_bytes()).hexdigest().upper()
    # An element renamed, and the representation METS told the new checksum (same size):
    # only the schema check can notice.
    text = target.read_text(encoding="utf-8").replace("<size>", "<sise>").replace("</size>", "</sise>")
    target.write_text(text, encoding="utf-8")
    after = hashlib.sha256(target.read_bytes()).hexdigest().upper()
    rep_mets = root / "representations/rep1/METS.xml"
    rep_mets.write_text(rep_mets.read_text(encoding="utf-8").replace(before, after), encoding="utf-8")
    problems = check_folder(root)
    assert any("premis-v3-0.xsd" in p and "PREMIS.xml" in p for p in problems), problems


async def test_the_history_is_read_through_the_audit_read_rule(
    client: httpx.AsyncClient, services: Services, tmp_path: Path, fido_installed: None
) -> None:
    made, _ = await dossier_of(client, services, [render_pdf(SampleDocument(number="7"))])
    hidden = make_record(agency="UBND-KHAC", classification=Classification.SECRET)
    services.records.add(hidden)
    # A fixity run that found the hidden record changed: the entry is about that record, so
    # the ORDINARY archivist's audit log does not show it, and neither does its AIP.
    append(
        services,
        actor="system:fixity",
        action="fixity.run",
        target="99",
        details={"ok": 1, "changed": 1, "missing": 0, "first_changed": hidden.id, "first_missing": None},
    )
    exported = await aip.export(services, ARCHIVIST, CLIENT, tmp_path / "out", dossier_id=made["dossierId"])
    root = unpack(exported.path, tmp_path / "unpacked")
    text = (root / REP_PREMIS).read_text(encoding="utf-8")
    assert hidden.id not in text
    assert premis_of(root / REP_PREMIS).xpath("//p:event[p:eventType='fixity check']", namespaces=NS) == []
    # An admin reads every record: its AIP has the run, undetermined for this package's file
    # (the run names another record), and names the record it found changed.
    exported = await aip.export(services, ADMIN, CLIENT, tmp_path / "admin", dossier_id=made["dossierId"])
    root = unpack(exported.path, tmp_path / "admin-unpacked")
    [run] = premis_of(root / REP_PREMIS).xpath("//p:event[p:eventType='fixity check']", namespaces=NS)
    assert run.findtext(".//p:eventOutcome", namespaces=NS) == "undetermined"
    assert hidden.id in (root / REP_PREMIS).read_text(encoding="utf-8")
