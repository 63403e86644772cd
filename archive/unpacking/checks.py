"""The checks an unpacked package must pass, beyond what the E-ARK validator does.

eark-validator checks the root METS against CSIP's rules; it does not check that the
files a METS lists exist with the stated SIZE and SHA-256, nor validate any XML but
the root METS. These do, for every METS of the package (the root one and each
representation's), and for every XML file the package holds.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree

from archive.domain import tt05
from archive.domain.package_checks import (
    CHECKSUM,
    LAYOUT,
    PATH,
    PROFILE,
    REFERENCE,
    SIZE,
    Failure,
    is_sha256_hex,
)
from archive.unpacking import mets
from archive.unpacking.xml import SchemaCache, XmlRefused, parse, schema_failures

ROOT_METS = "METS.xml"
SCHEMAS = "schemas"
OBJID_SHAPE = re.compile(r"^uuid-[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$")
# The METS profiles this archive reads: E-ARK CSIP 2.0.x, which Circular 05/2025 extends.
KNOWN_PROFILES = frozenset(
    {
        "https://earkcsip.dilcis.eu/profile/E-ARK-CSIP.xml",
        "https://earksip.dilcis.eu/profile/E-ARK-SIP.xml",
        "https://earkaip.dilcis.eu/profile/E-ARK-AIP.xml",
        "https://earkdip.dilcis.eu/profile/E-ARK-DIP.xml",
    }
)
PACKAGE_TYPES = frozenset({"SIP", "AIP", "DIP"})
RECORD_STATUSES = frozenset({"NEW", "SUPPLEMENT", "REPLACEMENT", "TEST", "OTHER"})
CHUNK = 1024 * 1024


@dataclass
class Inspection:
    """What the checks found: the package folder, the root METS header, the trees parsed, the failures."""

    folder: Path
    header: mets.Header | None = None
    trees: dict[str, Any] = field(default_factory=dict)  # package-relative path -> parsed XML
    failures: list[Failure] = field(default_factory=list)


def inspect(unpacked: Path) -> Inspection:
    """Run every check on the package unpacked in ``unpacked``; never raises for its content."""
    folder, failures = _package_folder(unpacked)
    found = Inspection(folder=folder, failures=failures)
    if failures:
        return found
    schema_problems = _parse_all(found)
    root = found.trees.get(ROOT_METS)
    if root is not None:
        found.header = mets.header(root.getroot())
        found.failures += _header_failures(found.header, folder.name)
        for path in mets_paths(found):
            found.failures += _reference_failures(found, path)
    found.failures += schema_problems
    return found


def _package_folder(unpacked: Path) -> tuple[Path, list[Failure]]:
    tops = list(unpacked.iterdir())
    if len(tops) != 1 or not tops[0].is_dir():
        names = ", ".join(sorted(t.name for t in tops)) or "nothing"
        return unpacked, [
            Failure(LAYOUT, "zip", f"must hold one folder named after the OBJID, holds {names}")
        ]
    folder = tops[0]
    if not (folder / ROOT_METS).is_file():
        return folder, [Failure(LAYOUT, f"{folder.name}/{ROOT_METS}", "is missing")]
    return folder, []


def _parse_all(found: Inspection) -> list[Failure]:
    """Parse every XML and XSD file (refusing DTDs and entities), validate each XML file
    against the shipped schemas, and keep only the trees read later (the METS files and the
    TT05 descriptions): one file's tree at a time in memory, whatever the package holds.
    Returns the schema failures."""
    schemas = SchemaCache(found.folder / SCHEMAS)
    problems = []
    for path in sorted(_files(found.folder)):
        if not path.endswith((".xml", ".xsd")):
            continue
        part = f"{found.folder.name}/{path}"
        try:
            tree = parse(found.folder / path, part)
        except XmlRefused as exc:
            found.failures.append(exc.failure)
            continue
        if path.endswith(".xml"):
            problems += schema_failures(tree, part, schemas)
            if path.endswith(ROOT_METS) or etree.QName(tree.getroot()).namespace == tt05.NAMESPACE:
                found.trees[path] = tree
    return problems


def _files(folder: Path) -> Iterator[str]:
    for path in folder.rglob("*"):
        if path.is_symlink():  # unzip never makes one; refuse anyway
            continue
        if path.is_file():
            yield path.relative_to(folder).as_posix()


def _header_failures(header: mets.Header, folder_name: str) -> list[Failure]:
    part = f"{folder_name}/{ROOT_METS}: mets"
    failures = []
    if not OBJID_SHAPE.match(header.objid):
        failures.append(
            Failure(PROFILE, f"{part}/@OBJID", f"{header.objid!r} is not 'uuid-' + an upper-case UUID")
        )
    elif header.objid != folder_name:
        failures.append(Failure(LAYOUT, f"{part}/@OBJID", f"{header.objid} is not the package folder's name"))
    if header.profile not in KNOWN_PROFILES:
        failures.append(Failure(PROFILE, f"{part}/@PROFILE", f"unknown profile {header.profile!r}"))
    if header.package_type not in PACKAGE_TYPES:
        failures.append(
            Failure(
                PROFILE,
                f"{part}/metsHdr/@csip:OAISPACKAGETYPE",
                f"unknown package type {header.package_type!r}",
            )
        )
    if header.record_status not in RECORD_STATUSES:
        failures.append(
            Failure(
                PROFILE, f"{part}/metsHdr/@RECORDSTATUS", f"unknown record status {header.record_status!r}"
            )
        )
    return failures


def mets_paths(found: Inspection) -> list[str]:
    """The root METS and every representation METS it lists (only those parsed)."""
    paths = [ROOT_METS]
    for item in mets.listed(found.trees[ROOT_METS].getroot()):
        target = mets.resolve(ROOT_METS, item.href)
        if target and target != ROOT_METS and target.endswith("/" + ROOT_METS) and target in found.trees:
            paths.append(target)
    return paths


def _reference_failures(found: Inspection, mets_path: str) -> list[Failure]:
    failures = []
    for item in mets.listed(found.trees[mets_path].getroot()):
        failures += reference_failures(found.folder, mets_path, item)
    return failures


def reference_failures(folder: Path, mets_path: str, item: mets.Listed) -> list[Failure]:
    """Whether the file ``item`` names exists inside the package with its stated size and SHA-256."""
    part = f"{folder.name}/{mets_path}: {item.element}"
    target = mets.resolve(mets_path, item.href)
    if target is None:
        return [Failure(PATH, part, f"href {item.href!r} does not name a file inside the package")]
    path = folder / target
    if path.is_symlink() or not path.is_file():
        return [Failure(REFERENCE, part, f"lists {target}, which the package does not hold")]
    return _stated_failures(f"{folder.name}/{target} ({mets_path} {item.element})", path, item)


def _stated_failures(part: str, path: Path, item: mets.Listed) -> list[Failure]:
    failures = []
    size, digest = _measure(path)
    if item.size is None or not item.size.isdigit():
        failures.append(Failure(SIZE, part, f"states no SIZE (or not a number: {item.size!r})"))
    elif int(item.size) != size:
        failures.append(Failure(SIZE, part, f"states SIZE {item.size}, the file holds {size} bytes"))
    if item.checksum_type != "SHA-256":
        failures.append(Failure(CHECKSUM, part, f"CHECKSUMTYPE is {item.checksum_type!r}, not 'SHA-256'"))
    elif item.checksum is None or not is_sha256_hex(item.checksum) or item.checksum != item.checksum.upper():
        failures.append(Failure(CHECKSUM, part, "CHECKSUM is not 64 upper-case hexadecimal digits"))
    elif item.checksum != digest.upper():
        failures.append(
            Failure(CHECKSUM, part, f"states SHA-256 {item.checksum}, the file's is {digest.upper()}")
        )
    return failures


def _measure(path: Path) -> tuple[int, str]:
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            size += len(chunk)
            digest.update(chunk)
    return size, digest.hexdigest()


def failures_by_check(failures: Iterable[Failure]) -> dict[str, int]:
    """How many failures each check has, for a summary line."""
    counts: dict[str, int] = {}
    for failure in failures:
        counts[failure.check] = counts.get(failure.check, 0) + 1
    return counts
