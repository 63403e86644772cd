"""Transfer packages for the reader's tests: a small hand-made one, and mutations of any package.

The hand-made package has the CSIP shape the checks look at (one folder named after its
OBJID, a root METS listing a file with SIZE and SHA-256, ``schemas/``) and a deliberately
lax METS schema of its own, so the reader's checks can be tested before and apart from
the real writer. Bad packages are built by ``mutated``: the same entries, with some
replaced, added or dropped, re-zipped without recomputing anything.
"""

from __future__ import annotations

import hashlib
import uuid
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path

from lxml import etree

METS = "http://www.loc.gov/METS/"
XLINK = "http://www.w3.org/1999/xlink"
CSIP = "https://DILCIS.eu/XML/METS/CSIPExtensionMETS"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
PROFILE = "https://earkcsip.dilcis.eu/profile/E-ARK-CSIP.xml"

LAX_METS_XSD = b"""<?xml version="1.0" encoding="UTF-8"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="http://www.loc.gov/METS/"
    xmlns="http://www.loc.gov/METS/" elementFormDefault="qualified">
  <xs:element name="mets">
    <xs:complexType>
      <xs:sequence><xs:any processContents="skip" minOccurs="0" maxOccurs="unbounded"/></xs:sequence>
      <xs:attribute name="OBJID" type="xs:string" use="required"/>
      <xs:anyAttribute processContents="skip"/>
    </xs:complexType>
  </xs:element>
</xs:schema>
"""

# Entities nested ten deep: expanded, a few hundred bytes become gigabytes.
BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<mets xmlns="http://www.loc.gov/METS/" OBJID="x">&lol3;</mets>
"""

PDF = b"%PDF-1.4\n% a stand-in for a document's bytes, checked only by size and hash\n%%EOF\n"


def objid() -> str:
    return f"uuid-{str(uuid.uuid4()).upper()}"


def mets_document(package_id: str, files: Mapping[str, bytes], *, profile: str = PROFILE) -> bytes:
    """A root METS listing ``files`` (path -> bytes) with their true SIZE and SHA-256."""
    m = etree.Element(
        f"{{{METS}}}mets",
        nsmap={None: METS, "xlink": XLINK, "csip": CSIP, "xsi": XSI},
        attrib={
            "OBJID": package_id,
            "PROFILE": profile,
            f"{{{CSIP}}}CONTENTINFORMATIONTYPE": "MIXED",
            f"{{{XSI}}}schemaLocation": f"{METS} schemas/mets.xsd",
        },
    )
    etree.SubElement(
        m,
        f"{{{METS}}}metsHdr",
        {
            "CREATEDATE": "2026-11-30T10:00:00+07:00",
            "RECORDSTATUS": "NEW",
            f"{{{CSIP}}}OAISPACKAGETYPE": "SIP",
        },
    )
    group = etree.SubElement(etree.SubElement(m, f"{{{METS}}}fileSec"), f"{{{METS}}}fileGrp", USE="Data")
    for i, (path, data) in enumerate(files.items()):
        f = etree.SubElement(
            group,
            f"{{{METS}}}file",
            ID=f"file-{i}",
            SIZE=str(len(data)),
            CHECKSUMTYPE="SHA-256",
            CHECKSUM=hashlib.sha256(data).hexdigest().upper(),
        )
        etree.SubElement(f, f"{{{METS}}}FLocat", {f"{{{XLINK}}}href": path, "LOCTYPE": "URL"})
    return etree.tostring(m, xml_declaration=True, encoding="UTF-8")


def minimal_entries(package_id: str | None = None) -> dict[str, bytes]:
    """The entries (zip name -> bytes) of a small valid package."""
    package_id = package_id or objid()
    files = {"representations/rep1/data/doc1.pdf": PDF}
    entries = {f"{package_id}/{p}": b for p, b in files.items()}
    entries[f"{package_id}/schemas/mets.xsd"] = LAX_METS_XSD
    entries[f"{package_id}/METS.xml"] = mets_document(package_id, files)
    return entries


def write_zip(path: Path, entries: Mapping[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression) as out:
        for name, data in entries.items():
            out.writestr(name, data)
    return path


def read_entries(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as source:
        return {i.filename: source.read(i) for i in source.infolist() if not i.is_dir()}


def mutated(
    source: Path,
    target: Path,
    *,
    replace: Mapping[str, bytes] | None = None,
    drop: tuple[str, ...] = (),
    add: Mapping[str, bytes] | None = None,
    edit: Mapping[str, Callable[[bytes], bytes]] | None = None,
) -> Path:
    """``source``'s entries with some replaced, dropped, added or edited, zipped to ``target``.
    Names may be given without the package folder (``METS.xml``): the folder is prefixed."""
    entries = read_entries(source)
    top = next(iter(entries)).split("/", 1)[0]

    def full(name: str) -> str:
        return name if name in entries or name.startswith(top + "/") else f"{top}/{name}"

    for name in drop:
        del entries[full(name)]
    for name, data in (replace or {}).items():
        entries[full(name)] = data
    for name, change in (edit or {}).items():
        entries[full(name)] = change(entries[full(name)])
    entries.update(add or {})
    return write_zip(target, entries)


def package_folder(path: Path) -> str:
    """The top folder of a zipped package (its OBJID)."""
    return next(iter(read_entries(path))).split("/", 1)[0]
