"""METS documents in the E-ARK CSIP 2.0.4 profile, built with lxml.

One builder serves every METS a package holds: the root METS (SIP, AIP, DIP) and
each representation's METS. A caller describes the document as a ``MetsPlan``
(agents, metadata references, files grouped by use, representations) and
``build`` returns the serialised bytes. A PREMIS file is one more
``PackageFile`` with use PRESERVATION: it becomes an ``amdSec/digiprovMD/mdRef``,
which is how the AIP writer adds preservation metadata without touching this module.

Element by element (the CSIP requirement in brackets):
- ``mets`` with OBJID, LABEL, TYPE, PROFILE, csip:CONTENTINFORMATIONTYPE (CSIP1-6);
- ``metsHdr`` with CREATEDATE (+07:00), RECORDSTATUS and csip:OAISPACKAGETYPE
  (CSIP7, CSIP9), the software agent with its single SOFTWARE VERSION note
  (CSIP10-16), the submitting body with its IDENTIFICATIONCODE note (SIP9-14), and
  ``altRecordID`` SUBMISSIONAGREEMENT (SIP5);
- ``dmdSec``/``amdSec`` each ``mdRef`` with SIZE, CREATED, CHECKSUM (CSIP17-44);
- ``fileSec`` one ``fileGrp`` per USE (CSIP58-79);
- ``structMap`` TYPE PHYSICAL, LABEL CSIP, with Metadata, Documentation, Schemas and
  Representations divisions (CSIP80-119).

Never string concatenation: every name and value goes through lxml, so a title with
``<`` or ``&`` cannot break the document.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from lxml import etree

from archive.domain import tt05
from archive.domain.packages import FileUse, PackageFile, RecordStatus, vietnam_time

METS_NS = "http://www.loc.gov/METS/"
XLINK_NS = "http://www.w3.org/1999/xlink"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
CSIP_NS = "https://DILCIS.eu/XML/METS/CSIPExtensionMETS"
SIP_NS = "https://DILCIS.eu/XML/METS/SIPExtensionMETS"
NSMAP = {"mets": METS_NS, "xlink": XLINK_NS, "xsi": XSI_NS, "csip": CSIP_NS, "sip": SIP_NS}

PROFILES = {
    "SIP": "https://earksip.dilcis.eu/profile/E-ARK-SIP.xml",
    "AIP": "https://earkaip.dilcis.eu/profile/E-ARK-AIP.xml",
    "DIP": "https://earkdip.dilcis.eu/profile/E-ARK-DIP.xml",
}
CONTENT_CATEGORY = "Textual works – Digital"  # CSIP vocabulary; signed PDFs are textual works
CONTENT_INFORMATION_TYPE = "MIXED"  # TT05: the documents follow no single CITS
CHECKSUM_TYPE = "SHA-256"
XML_MIME = "application/xml"


def mets(tag: str) -> str:
    return f"{{{METS_NS}}}{tag}"


def _q(ns: str, tag: str) -> str:
    return f"{{{ns}}}{tag}"


@dataclass(frozen=True, slots=True)
class Agent:
    """A ``metsHdr/agent``; ``notes`` pairs a csip:NOTETYPE with its text."""

    role: str
    type: str
    name: str
    other_type: str | None = None
    notes: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Representation:
    """A representation the root METS points to: its METS file, under ``Representations``."""

    name: str  # "rep1"
    mets_file: PackageFile


@dataclass(slots=True)
class MetsPlan:
    """What one METS document says. Paths in the files are relative to this METS's folder."""

    objid: str
    label: str
    oais_type: str
    created: datetime
    record_status: RecordStatus | None = None
    agents: tuple[Agent, ...] = ()
    alt_record_ids: tuple[tuple[str, str], ...] = ()  # (TYPE, value)
    metadata: list[PackageFile] = field(default_factory=list)  # DESCRIPTIVE and PRESERVATION
    files: list[PackageFile] = field(default_factory=list)  # everything in the fileSec
    representations: list[Representation] = field(default_factory=list)
    is_representation: bool = False  # a representation METS (its structMap has a Data division)
    schema_location: str = ""  # xsi:schemaLocation; the package's schemas/ folder


def build(plan: MetsPlan) -> bytes:
    """The METS document ``plan`` describes, as UTF-8 bytes with an XML declaration."""
    root = _root(plan)
    root.append(_header(plan))
    dmd_ids = _metadata_sections(root, plan)
    file_ids = _file_section(root, plan)
    root.append(_struct_map(plan, dmd_ids, file_ids))
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def _root(plan: MetsPlan) -> etree._Element:
    root = etree.Element(mets("mets"), nsmap=NSMAP)
    root.set("OBJID", plan.objid)
    root.set("LABEL", plan.label)
    root.set("TYPE", CONTENT_CATEGORY)
    root.set(_q(CSIP_NS, "CONTENTINFORMATIONTYPE"), CONTENT_INFORMATION_TYPE)
    root.set("PROFILE", PROFILES[plan.oais_type])
    if plan.schema_location:
        root.set(_q(XSI_NS, "schemaLocation"), plan.schema_location)
    return root


def _header(plan: MetsPlan) -> etree._Element:
    header = etree.Element(mets("metsHdr"))
    header.set("CREATEDATE", vietnam_time(plan.created))
    if plan.record_status is not None:
        header.set("RECORDSTATUS", plan.record_status.value)
    header.set(_q(CSIP_NS, "OAISPACKAGETYPE"), plan.oais_type)
    for agent in plan.agents:
        header.append(_agent(agent))
    for kind, value in plan.alt_record_ids:
        alt = etree.SubElement(header, mets("altRecordID"), TYPE=kind)
        alt.text = value
    return header


def _agent(agent: Agent) -> etree._Element:
    element = etree.Element(mets("agent"), ROLE=agent.role, TYPE=agent.type)
    if agent.other_type:
        element.set("OTHERTYPE", agent.other_type)
    etree.SubElement(element, mets("name")).text = agent.name
    for note_type, text in agent.notes:
        note = etree.SubElement(element, mets("note"))
        note.set(_q(CSIP_NS, "NOTETYPE"), note_type)
        note.text = text
    return element


def _metadata_sections(root: etree._Element, plan: MetsPlan) -> dict[str, list[str]]:
    """dmdSec per descriptive file, one amdSec with a digiprovMD per preservation file;
    returns the ids by section ("dmd", "amd") for the structMap's Metadata division."""
    ids: dict[str, list[str]] = {"dmd": [], "amd": []}
    preservation = [f for f in plan.metadata if f.use is FileUse.PRESERVATION]
    for n, ref in enumerate((f for f in plan.metadata if f.use is FileUse.DESCRIPTIVE), start=1):
        section = etree.SubElement(root, mets("dmdSec"), ID=f"dmd-{n}", CREATED=vietnam_time(ref.created))
        section.set("STATUS", "CURRENT")
        section.append(_md_ref(ref))
        ids["dmd"].append(f"dmd-{n}")
    if preservation:
        amd = etree.SubElement(root, mets("amdSec"), ID="amd-1")
        for n, ref in enumerate(preservation, start=1):
            digiprov = etree.SubElement(amd, mets("digiprovMD"), ID=f"digiprov-{n}", STATUS="CURRENT")
            digiprov.append(_md_ref(ref, md_type="PREMIS"))
            ids["amd"].append(f"digiprov-{n}")
    return ids


def _md_ref(ref: PackageFile, *, md_type: str | None = None) -> etree._Element:
    element = etree.Element(mets("mdRef"), LOCTYPE="URL")
    element.set(_q(XLINK_NS, "type"), "simple")
    element.set(_q(XLINK_NS, "href"), ref.path)
    if md_type is None:
        # the descriptive files are TT05's field set, in our own schema (archive.domain.tt05)
        element.set("MDTYPE", "OTHER")
        element.set("OTHERMDTYPE", tt05.OTHER_MDTYPE)
    else:
        element.set("MDTYPE", md_type)
    _fixity(element, ref)
    return element


def _fixity(element: etree._Element, ref: PackageFile) -> None:
    element.set("MIMETYPE", ref.mime_type)
    element.set("SIZE", str(ref.size))
    element.set("CREATED", vietnam_time(ref.created))
    element.set("CHECKSUM", ref.sha256)
    element.set("CHECKSUMTYPE", CHECKSUM_TYPE)


def _file_section(root: etree._Element, plan: MetsPlan) -> dict[str, list[str]]:
    """One fileGrp per use, in the CSIP order; returns the file ids by use."""
    section = etree.SubElement(root, mets("fileSec"), ID="fileSec-1")
    ids: dict[str, list[str]] = {}
    counter = 0
    groups = _groups(plan)
    for use, files in groups:
        group = etree.SubElement(section, mets("fileGrp"), ID=f"fileGrp-{len(ids) + 1}", USE=use.value)
        if use in (FileUse.REPRESENTATIONS, FileUse.DATA):
            group.set(_q(CSIP_NS, "CONTENTINFORMATIONTYPE"), CONTENT_INFORMATION_TYPE)
        for file in files:
            counter += 1
            file_id = f"file-{counter}"
            group.append(_file(file_id, file))
            ids.setdefault(use.value, []).append(file_id)
    return ids


def _groups(plan: MetsPlan) -> list[tuple[FileUse, list[PackageFile]]]:
    order = (FileUse.DOCUMENTATION, FileUse.SCHEMAS, FileUse.REPRESENTATIONS, FileUse.DATA)
    files = list(plan.files) + [r.mets_file for r in plan.representations]
    return [(use, [f for f in files if f.use is use]) for use in order if any(f.use is use for f in files)]


def _file(file_id: str, file: PackageFile) -> etree._Element:
    element = etree.Element(mets("file"), ID=file_id)
    _fixity(element, file)
    locator = etree.SubElement(element, mets("FLocat"), LOCTYPE="URL")
    locator.set(_q(XLINK_NS, "type"), "simple")
    locator.set(_q(XLINK_NS, "href"), file.path)
    return element


def _struct_map(
    plan: MetsPlan, md_ids: dict[str, list[str]], file_ids: dict[str, list[str]]
) -> etree._Element:
    struct_map = etree.Element(mets("structMap"), ID="structMap-1", TYPE="PHYSICAL", LABEL="CSIP")
    top = etree.SubElement(struct_map, mets("div"), ID="div-1", LABEL=plan.objid)
    metadata = etree.SubElement(top, mets("div"), ID="div-metadata", LABEL="Metadata")
    if md_ids["dmd"]:
        metadata.set("DMDID", " ".join(md_ids["dmd"]))
    if md_ids["amd"]:
        metadata.set("ADMID", " ".join(md_ids["amd"]))
    for label, use in _divisions(plan):
        ids = file_ids.get(use.value, [])
        if ids:
            _fptr_division(top, label, ids)
    for n, representation in enumerate(plan.representations, start=1):
        _representation_division(top, n, representation)
    return struct_map


def _divisions(plan: MetsPlan) -> Iterable[tuple[str, FileUse]]:
    if plan.is_representation:
        return (("Data", FileUse.DATA),)
    return (
        ("Documentation", FileUse.DOCUMENTATION),
        ("Schemas", FileUse.SCHEMAS),
        ("Representations", FileUse.REPRESENTATIONS),
    )


def _fptr_division(top: etree._Element, label: str, ids: list[str]) -> None:
    division = etree.SubElement(top, mets("div"), ID=f"div-{label.lower()}", LABEL=label)
    for file_id in ids:
        etree.SubElement(division, mets("fptr"), FILEID=file_id)


def _representation_division(top: etree._Element, n: int, representation: Representation) -> None:
    """CSIP105-112: a division per representation pointing at its METS with an mptr.

    CSIP103/104 also want the Representations division itself, with an fptr to the
    representation METS file, which ``_fptr_division`` has written."""
    container = next((d for d in top if d.get("LABEL") == "Representations"), None)
    parent = container if container is not None else top
    division = etree.SubElement(
        parent, mets("div"), ID=f"div-rep-{n}", LABEL=f"Representations/{representation.name}"
    )
    pointer = etree.SubElement(division, mets("mptr"), LOCTYPE="URL")
    pointer.set(_q(XLINK_NS, "type"), "simple")
    pointer.set(_q(XLINK_NS, "href"), representation.mets_file.path)
    pointer.set(
        _q(XLINK_NS, "title"), posixpath.dirname(representation.mets_file.path) or representation.name
    )
