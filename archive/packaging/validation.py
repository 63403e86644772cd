"""Our own checks of an unpacked package: what eark-validator does not check.

eark-validator 1.1.3 checks the structure and the root METS (its schema and the
CSIP/SIP Schematron rules), but not that the files METS lists exist, nor their SIZE
and CHECKSUM, and it schema-validates nothing but the root METS. So here, for the
root METS and every representation METS it points to:

- every ``file/FLocat`` and ``mdRef`` names a file inside the package that exists,
  with the stated SIZE and SHA-256;
- every METS validates against the METS and CSIP schemas the package ships in
  ``schemas/``, and every TT05 descriptive file against ``schemas/tt05-ead.xsd``.

XML is parsed with entity resolution, DTD loading and network access off.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from lxml import etree

from archive.domain import tt05
from archive.packaging import mets

_XS = "http://www.w3.org/2001/XMLSchema"
_CHUNK = 1 << 20


def safe_parser() -> etree.XMLParser:
    """No entities, no DTD, no network: a package is untrusted input."""
    return etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True, huge_tree=False)


def check_folder(root: Path) -> list[str]:
    """Every problem found in the package unpacked at ``root`` (empty: none)."""
    problems: list[str] = []
    schemas = root / "schemas"
    mets_schema = _mets_schema(schemas, problems)
    tt05_schema = _schema(schemas / tt05.SCHEMA_FILE, problems)
    pending = [root / "METS.xml"]
    while pending:
        document = pending.pop()
        pending.extend(_check_mets(root, document, mets_schema, tt05_schema, problems))
    return problems


def _schema(path: Path, problems: list[str]) -> etree.XMLSchema | None:
    try:
        return etree.XMLSchema(etree.parse(str(path), safe_parser()))
    except (OSError, etree.XMLSyntaxError, etree.XMLSchemaParseError) as error:
        problems.append(f"schemas/{path.name}: {error}")
        return None


def _mets_schema(schemas: Path, problems: list[str]) -> etree.XMLSchema | None:
    """METS and the CSIP/SIP extensions in one schema (a driver importing each file)."""
    driver = etree.Element(f"{{{_XS}}}schema", nsmap={"xs": _XS})
    for namespace, name in (
        (mets.METS_NS, "mets.xsd"),
        (mets.CSIP_NS, "DILCISExtensionMETS.xsd"),
        (mets.SIP_NS, "DILCISExtensionSIPMETS.xsd"),
    ):
        etree.SubElement(
            driver, f"{{{_XS}}}import", namespace=namespace, schemaLocation=(schemas / name).as_uri()
        )
    try:
        return etree.XMLSchema(driver)
    except etree.XMLSchemaParseError as error:
        problems.append(f"schemas: {error}")
        return None


def _check_mets(
    root: Path,
    document: Path,
    mets_schema: etree.XMLSchema | None,
    tt05_schema: etree.XMLSchema | None,
    problems: list[str],
) -> list[Path]:
    """Check one METS; returns the representation METS files it points to."""
    name = _relative(root, document)
    try:
        tree = etree.parse(str(document), safe_parser())
    except (OSError, etree.XMLSyntaxError) as error:
        problems.append(f"{name}: {error}")
        return []
    if mets_schema is not None and not mets_schema.validate(tree):
        problems.append(f"{name}: not valid METS: {_last(mets_schema)}")
    folder = document.parent
    ns = {"mets": mets.METS_NS, "xlink": mets.XLINK_NS}
    for element in tree.iterfind(".//mets:mdRef", ns):
        target = _target(root, folder, element.get(f"{{{mets.XLINK_NS}}}href", ""), problems, name)
        if (
            target is not None
            and _fixity(root, target, element, problems)
            and element.get("MDTYPE") == "OTHER"
        ):
            _validate(root, target, tt05_schema, problems)
    for file in tree.iterfind(".//mets:file", ns):
        locator = file.find("mets:FLocat", ns)
        href = "" if locator is None else locator.get(f"{{{mets.XLINK_NS}}}href", "")
        target = _target(root, folder, href, problems, name)
        if target is not None:
            _fixity(root, target, file, problems)
    pointers = tree.iterfind(".//mets:mptr", ns)
    found = [_target(root, folder, p.get(f"{{{mets.XLINK_NS}}}href", ""), problems, name) for p in pointers]
    return [f for f in found if f is not None]


def _target(root: Path, folder: Path, href: str, problems: list[str], name: str) -> Path | None:
    target = (folder / href).resolve()
    if not href or not target.is_relative_to(root.resolve()):
        problems.append(f"{name}: {href!r} is not a path inside the package")
        return None
    if not target.is_file():
        problems.append(f"{name}: {href} is missing")
        return None
    return target


def _fixity(root: Path, target: Path, element: etree._Element, problems: list[str]) -> bool:
    name = _relative(root, target)
    size, digest = 0, hashlib.sha256()
    with target.open("rb") as stream:
        while chunk := stream.read(_CHUNK):
            size += len(chunk)
            digest.update(chunk)
    ok = True
    if str(size) != element.get("SIZE"):
        problems.append(f"{name}: SIZE {element.get('SIZE')} but the file has {size} bytes")
        ok = False
    if (
        element.get("CHECKSUMTYPE") != mets.CHECKSUM_TYPE
        or element.get("CHECKSUM") != digest.hexdigest().upper()
    ):
        problems.append(f"{name}: CHECKSUM does not match the file's SHA-256")
        ok = False
    return ok


def _validate(root: Path, target: Path, schema: etree.XMLSchema | None, problems: list[str]) -> None:
    name = _relative(root, target)
    try:
        tree = etree.parse(str(target), safe_parser())
    except etree.XMLSyntaxError as error:
        problems.append(f"{name}: {error}")
        return
    if schema is not None and not schema.validate(tree):
        problems.append(f"{name}: not valid against {tt05.SCHEMA_FILE}: {_last(schema)}")


def _relative(root: Path, path: Path) -> str:
    return path.resolve().relative_to(root.resolve()).as_posix()


def _last(schema: etree.XMLSchema) -> str:
    lines = str(schema.error_log).strip().splitlines()
    return lines[-1] if lines else "invalid"
