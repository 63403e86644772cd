"""PREMIS 3.0 documents with lxml, checked against the official schema before they leave.

Signature findings go in ``signatureInformationExtension`` (our own namespace,
``SIGNATURE_NS``), not in PREMIS's ``signature``: that element requires the signature
value itself, which stays inside the PDF, byte for byte; restating it would add
nothing and the archive does not keep a copy.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import UTC, datetime
from importlib import resources

from lxml import etree

from archive.domain.audit import canonical_timestamp
from archive.domain.errors import IntegrityError
from archive.domain.formats import PRONOM
from archive.domain.preservation import (
    EVENT_TYPE_AUTHORITY,
    LOCAL,
    PACKAGE_PATH,
    Agent,
    Event,
    FileObject,
    Premis,
)
from archive.domain.signatures import SignatureReport

PREMIS_NS = "http://www.loc.gov/premis/v3"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
SIGNATURE_NS = "urn:records-archive:premis-signature:1"
SCHEMA_FILE = "premis-v3-0.xsd"
VERSION = "3.0"
DIGEST_ORIGINATOR = "records-archive"  # the archive took the SHA-256 at deposit
_P = f"{{{PREMIS_NS}}}"
_S = f"{{{SIGNATURE_NS}}}"


def schema_bytes() -> bytes:
    """The PREMIS 3.0 XSD as shipped (for a package's ``schemas/``)."""
    return resources.files("archive.preservation").joinpath("schemas", SCHEMA_FILE).read_bytes()


@functools.cache
def _schema() -> etree.XMLSchema:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    return etree.XMLSchema(etree.fromstring(schema_bytes(), parser))


def validate(document: bytes) -> list[str]:
    """The schema errors of a PREMIS document (empty: valid), with line numbers."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        root = etree.fromstring(document, parser)
    except etree.XMLSyntaxError as error:
        return [f"not well-formed: {error}"]
    schema = _schema()
    if schema.validate(root):
        return []
    return [line for line in str(schema.error_log).splitlines() if line.strip()]


def render(premis: Premis, *, schema_location: str) -> bytes:
    """A PREMIS document for ``premis``; ``schema_location`` is the relative path to the
    package's copy of the schema.

    Raises:
        IntegrityError: the document does not validate (a bug here, never bad input:
            nothing invalid is ever written into a package).
    """
    nsmap = {None: PREMIS_NS, "xsi": XSI_NS, "sig": SIGNATURE_NS}  # None: the default namespace
    root = etree.Element(f"{_P}premis", nsmap=nsmap)  # type: ignore[arg-type]
    root.set("version", VERSION)
    root.set(f"{{{XSI_NS}}}schemaLocation", f"{PREMIS_NS} {schema_location}")
    if premis.representation is not None:
        root.append(_representation(premis.representation, premis.objects))
    for obj in premis.objects:
        root.append(_file(obj))
    for event in premis.events:
        root.append(_event(event))
    for agent in premis.agents:
        root.append(_agent(agent))
    document = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    errors = validate(document)
    if errors:
        raise IntegrityError(f"PREMIS document does not validate: {errors[0]}")
    return bytes(document)


def _sub(parent: etree._Element, tag: str, text: str | None = None) -> etree._Element:
    child = etree.SubElement(parent, f"{_P}{tag}")
    if text is not None:
        child.text = text
    return child


def _identifier(parent: etree._Element, prefix: str, kind: str, value: str) -> None:
    wrapper = _sub(parent, f"{prefix}Identifier")
    _sub(wrapper, f"{prefix}IdentifierType", kind)
    _sub(wrapper, f"{prefix}IdentifierValue", value)


def _typed_object(kind: str) -> etree._Element:
    element = etree.Element(f"{_P}object")
    element.set(f"{{{XSI_NS}}}type", kind)
    return element


def _representation(name: str, files: Iterable[FileObject]) -> etree._Element:
    element = _typed_object("representation")
    _identifier(element, "object", LOCAL, name)
    paths = [f.path for f in files]
    if paths:
        relationship = _sub(element, "relationship")
        _sub(relationship, "relationshipType", "structural")
        _sub(relationship, "relationshipSubType", "includes")
        for path in paths:
            related = _sub(relationship, "relatedObjectIdentifier")
            _sub(related, "relatedObjectIdentifierType", PACKAGE_PATH)
            _sub(related, "relatedObjectIdentifierValue", path)
    return element


def _file(obj: FileObject) -> etree._Element:
    element = _typed_object("file")
    _identifier(element, "object", PACKAGE_PATH, obj.path)
    if obj.record_id is not None:
        _identifier(element, "object", LOCAL, obj.record_id)
    _characteristics(element, obj)
    if obj.original_name:
        _sub(element, "originalName", obj.original_name)
    if obj.signatures:
        information = _sub(element, "signatureInformation")
        extension = _sub(information, "signatureInformationExtension")
        for report in obj.signatures:
            extension.append(_signature(report))
    for kind, identifier in obj.events:
        linking = _sub(element, "linkingEventIdentifier")
        _sub(linking, "linkingEventIdentifierType", kind)
        _sub(linking, "linkingEventIdentifierValue", identifier)
    return element


def _characteristics(parent: etree._Element, obj: FileObject) -> None:
    characteristics = _sub(parent, "objectCharacteristics")
    _sub(characteristics, "compositionLevel", "0")
    fixity = _sub(characteristics, "fixity")
    _sub(fixity, "messageDigestAlgorithm", "SHA-256")
    _sub(fixity, "messageDigest", obj.sha256.lower())
    _sub(fixity, "messageDigestOriginator", DIGEST_ORIGINATOR)
    _sub(characteristics, "size", str(obj.size))
    found = obj.format
    fmt = _sub(characteristics, "format")
    designation = _sub(fmt, "formatDesignation")
    _sub(designation, "formatName", found.name)
    if found.version:
        _sub(designation, "formatVersion", found.version)
    if found.puid is not None:
        registry = _sub(fmt, "formatRegistry")
        _sub(registry, "formatRegistryName", PRONOM)
        _sub(registry, "formatRegistryKey", found.puid)
        _sub(registry, "formatRegistryRole", "specification")
    note = f"identified by {found.tool.describe()} from the bytes ({found.basis})"
    if found.mime_type:
        note += f"; MIME type {found.mime_type}"
    _sub(fmt, "formatNote", note)


def _signature(report: SignatureReport) -> etree._Element:
    element = etree.Element(f"{_S}signature")
    fields: dict[str, str | None] = {
        "fieldName": report.field_name,
        "verdict": report.verdict.value,
        "signer": report.signer_subject,
        "signerCommonName": report.signer_common_name,
        "issuer": report.issuer,
        "serial": report.serial,
        "signingTime": _when(report.signing_time),
        "timestampTime": _when(report.timestamp_time),
        "intact": str(report.intact).lower(),
        "cryptographicallyValid": str(report.valid).lower(),
        "trusted": str(report.trusted).lower(),
        "coverage": report.coverage.value,
        "modificationLevel": report.modification_level.value,
        "summary": report.summary,
    }
    for name, value in fields.items():
        if value is not None:
            etree.SubElement(element, f"{_S}{name}").text = value
    return element


def _when(moment: datetime | None) -> str | None:
    return None if moment is None else canonical_timestamp(moment)


def _event(event: Event) -> etree._Element:
    element = etree.Element(f"{_P}event")
    _identifier(element, "event", event.identifier_type, event.identifier)
    kind = _sub(element, "eventType", event.type)
    kind.set("authority", "eventType")
    kind.set("authorityURI", EVENT_TYPE_AUTHORITY)
    _sub(element, "eventDateTime", event.at.astimezone(UTC).isoformat(timespec="seconds"))
    detail = _sub(element, "eventDetailInformation")
    _sub(detail, "eventDetail", event.detail)
    outcome = _sub(element, "eventOutcomeInformation")
    _sub(outcome, "eventOutcome", event.outcome)
    if event.outcome_note:
        note = _sub(outcome, "eventOutcomeDetail")
        _sub(note, "eventOutcomeDetailNote", event.outcome_note)
    for agent_id, role in event.agents:
        linking = _sub(element, "linkingAgentIdentifier")
        _sub(linking, "linkingAgentIdentifierType", LOCAL)
        _sub(linking, "linkingAgentIdentifierValue", agent_id)
        _sub(linking, "linkingAgentRole", role)
    for path in event.objects:
        linking = _sub(element, "linkingObjectIdentifier")
        _sub(linking, "linkingObjectIdentifierType", PACKAGE_PATH)
        _sub(linking, "linkingObjectIdentifierValue", path)
    return element


def _agent(agent: Agent) -> etree._Element:
    element = etree.Element(f"{_P}agent")
    _identifier(element, "agent", LOCAL, agent.identifier)
    _sub(element, "agentName", agent.name)
    _sub(element, "agentType", agent.kind)
    if agent.version:
        _sub(element, "agentVersion", agent.version)
    if agent.note:
        _sub(element, "agentNote", agent.note)
    return element
