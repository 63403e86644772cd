"""PREMIS 3.0 documents: built from audit entries, valid against the official schema."""

from __future__ import annotations

from datetime import UTC, datetime

from lxml import etree

from archive.domain.audit import AuditEntry, chain_append
from archive.domain.formats import FormatIdentification, FormatTool, unidentified
from archive.domain.preservation import (
    AUDIT_EVENT,
    Agent,
    AgentKind,
    FileObject,
    Premis,
    agent_of,
    audit_event,
    event_identifier,
    fixity_event,
    signature_outcome,
)
from archive.domain.signatures import ModificationLevel, SignatureCoverage, SignatureReport, SignatureVerdict
from archive.preservation import render, validate
from archive.preservation.premis import PREMIS_NS

NS = {"p": PREMIS_NS, "sig": "urn:records-archive:premis-signature:1"}
TOOL = FormatTool("fido", "1.6.1", "PRONOM v109")
PDF = FormatIdentification(
    "fmt/276", "Acrobat PDF 1.7 - Portable Document Format", "1.7", "application/pdf", "signature", TOOL
)
RECORD = "0b5c1a5e-6f4e-4a8e-9d1c-2f3a4b5c6d7e"
AT = datetime(2026, 3, 1, 8, 30, tzinfo=UTC)


def _signature(verdict: SignatureVerdict) -> SignatureReport:
    return SignatureReport(
        field_name="Signature1",
        signer_subject="CN=Nguyễn Văn An,O=UBND tỉnh Hà Giang",
        signer_common_name="Nguyễn Văn An",
        issuer="CN=Government CA",
        serial="1a2b",
        signing_time=AT,
        timestamp_time=None,
        intact=True,
        valid=True,
        trusted=verdict is SignatureVerdict.VALID,
        coverage=SignatureCoverage.ENTIRE_FILE,
        modification_level=ModificationLevel.NONE,
        verdict=verdict,
        summary="intact, signed by Nguyễn Văn An",
    )


def _chain() -> tuple[AuditEntry, AuditEntry, AuditEntry]:
    deposit = chain_append(
        None, at=AT, actor="local:clerk", action="record.deposit", target=RECORD, outcome="ok"
    )
    read = chain_append(
        deposit, at=AT, actor="local:clerk", action="record.read", target=RECORD, outcome="ok"
    )
    fixity = chain_append(
        read,
        at=AT,
        actor="system:fixity",
        action="fixity.run",
        target="7",
        outcome="ok",
        details={"ok": 3, "changed": 0, "missing": 0, "first_changed": None},
    )
    return deposit, read, fixity


def _premis() -> Premis:
    deposit, read, fixity = _chain()
    path = "data/doc-1.pdf"
    events = [e for e in (audit_event(deposit, (path,)), audit_event(read, (path,))) if e is not None]
    events.append(fixity_event(fixity, {RECORD: path}))
    obj = FileObject(
        path=path,
        record_id=RECORD,
        size=1234,
        sha256="ab" * 32,
        format=PDF,
        original_name="Quyết định 123.pdf",
        signatures=(_signature(SignatureVerdict.VALID),),
        events=tuple((AUDIT_EVENT, e.identifier) for e in events),
    )
    agents = (
        agent_of("local:clerk"),
        agent_of("system:fixity"),
        Agent("fido", "fido", AgentKind.SOFTWARE, "1.6.1"),
    )
    return Premis(objects=(obj,), events=tuple(events), agents=agents, representation="rep1")


def test_a_document_with_objects_events_and_agents_validates() -> None:
    document = render(_premis(), schema_location="../../../../schemas/premis-v3-0.xsd")
    assert validate(document) == []
    root = etree.fromstring(document)
    assert root.get("version") == "3.0"
    file = root.find("p:object[@{http://www.w3.org/2001/XMLSchema-instance}type='file']", NS)
    assert file is not None
    assert (
        file.findtext("p:objectCharacteristics/p:fixity/p:messageDigestAlgorithm", namespaces=NS) == "SHA-256"
    )
    assert file.findtext("p:objectCharacteristics/p:fixity/p:messageDigest", namespaces=NS) == "ab" * 32
    assert file.findtext("p:objectCharacteristics/p:size", namespaces=NS) == "1234"
    registry = file.find("p:objectCharacteristics/p:format/p:formatRegistry", NS)
    assert registry is not None and registry.findtext("p:formatRegistryKey", namespaces=NS) == "fmt/276"
    assert file.findtext(".//sig:verdict", namespaces=NS) == "valid"
    assert file.findtext("p:originalName", namespaces=NS) == "Quyết định 123.pdf"


def test_only_actions_with_a_preservation_meaning_become_events() -> None:
    deposit, read, _ = _chain()
    assert audit_event(read, ("x",)) is None  # a read is not a preservation event
    ingestion = audit_event(deposit, ("x",))
    assert ingestion is not None and ingestion.type == "ingestion"
    assert ingestion.identifier == event_identifier(deposit) == f"1:{deposit.hash}"
    document = render(_premis(), schema_location="premis-v3-0.xsd")
    types = etree.fromstring(document).xpath("//p:event/p:eventType/text()", namespaces=NS)
    assert types == ["ingestion", "fixity check"]


def test_a_fixity_run_fails_a_file_it_names_and_passes_a_clean_run() -> None:
    _, _, clean = _chain()
    assert fixity_event(clean, {RECORD: "p"}).outcome == "success"
    bad = chain_append(
        clean,
        at=AT,
        actor="system:fixity",
        action="fixity.run",
        target="8",
        outcome="ok",
        details={"ok": 2, "changed": 1, "missing": 0, "first_changed": RECORD},
    )
    assert fixity_event(bad, {RECORD: "p", "another": "q"}).outcome == "failure"
    assert fixity_event(bad, {"another": "q"}).outcome == "undetermined"


def test_the_worst_signature_verdict_is_the_outcome() -> None:
    assert signature_outcome([]) == "no signature"
    both = [_signature(SignatureVerdict.VALID), _signature(SignatureVerdict.UNTRUSTED)]
    assert signature_outcome(both) == "untrusted"


def test_an_unidentified_file_still_validates_and_says_so() -> None:
    premis = _premis()
    obj = premis.objects[0]
    odd = FileObject(obj.path, obj.record_id, obj.size, obj.sha256, unidentified(TOOL))
    document = render(Premis((odd,), (), ()), schema_location="premis-v3-0.xsd")
    root = etree.fromstring(document)
    assert root.find(".//p:formatRegistry", NS) is None
    assert root.findtext(".//p:formatName", namespaces=NS) == "unidentified"


def test_the_schema_refuses_what_premis_does_not_allow() -> None:
    document = render(_premis(), schema_location="premis-v3-0.xsd")
    root = etree.fromstring(document)
    size = root.find(".//p:size", NS)
    assert size is not None
    size.text = "many"  # xs:long
    assert validate(etree.tostring(root))
    assert validate(b"<premis") and validate(b"<premis xmlns='http://www.loc.gov/premis/v3'/>")
