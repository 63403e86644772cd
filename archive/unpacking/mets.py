"""The facts a METS document states about its package: its identity, profile and the files it lists.

Only the METS standard's own names appear here (``mets``, ``metsHdr``, ``file``,
``FLocat``, ``mdRef``); everything TT05-specific lives in the sip writer's mapping
module. A METS document is read, never trusted: each reference is resolved against
the METS file's own folder and must stay inside the package.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import unquote, urlparse

METS = "http://www.loc.gov/METS/"
XLINK = "http://www.w3.org/1999/xlink"
CSIP = "https://DILCIS.eu/XML/METS/CSIPExtensionMETS"


@dataclass(frozen=True, slots=True)
class Listed:
    """One ``file`` or ``mdRef`` of a METS document, as stated."""

    element: str  # ``file[@ID='x']`` or ``mdRef[@ID='x']``: how a failure names it
    href: str
    size: str | None
    checksum: str | None
    checksum_type: str | None
    mime_type: str | None
    use: str | None  # the fileGrp's USE (files only)


@dataclass(frozen=True, slots=True)
class Agent:
    """A ``metsHdr/agent``: who made or sent the package."""

    role: str
    type: str  # TYPE, or OTHERTYPE when TYPE is OTHER (SOFTWARE)
    name: str
    notes: tuple[tuple[str, str], ...]  # (csip:NOTETYPE, text)


@dataclass(frozen=True, slots=True)
class Header:
    """The root attributes and header of a METS document."""

    objid: str
    profile: str
    package_type: str  # OAISPACKAGETYPE: SIP, AIP, DIP
    content_type: str  # csip:CONTENTINFORMATIONTYPE
    record_status: str  # metsHdr RECORDSTATUS
    create_date: str
    agents: tuple[Agent, ...]


def q(name: str, namespace: str = METS) -> str:
    return f"{{{namespace}}}{name}"


def header(root: Any) -> Header:
    """The identity a METS root states (empty strings where it is silent)."""
    hdr = root.find(q("metsHdr"))
    return Header(
        objid=root.get("OBJID") or "",
        profile=root.get("PROFILE") or "",
        # CSIP 2 puts it on metsHdr (CSIP117); CSIP 1 had it on the root.
        package_type=(None if hdr is None else hdr.get(q("OAISPACKAGETYPE", CSIP)))
        or root.get(q("OAISPACKAGETYPE", CSIP))
        or "",
        content_type=root.get(q("CONTENTINFORMATIONTYPE", CSIP)) or "",
        record_status="" if hdr is None else hdr.get("RECORDSTATUS") or "",
        create_date="" if hdr is None else hdr.get("CREATEDATE") or "",
        agents=tuple(_agent(a) for a in ([] if hdr is None else hdr.findall(q("agent")))),
    )


def _agent(agent: Any) -> Agent:
    kind = agent.get("TYPE") or ""
    notes = tuple(
        (note.get(q("NOTETYPE", CSIP)) or "", (note.text or "").strip()) for note in agent.findall(q("note"))
    )
    return Agent(
        role=agent.get("OTHERROLE") or agent.get("ROLE") or "",
        type=agent.get("OTHERTYPE") or kind if kind == "OTHER" else kind,
        name=(agent.findtext(q("name")) or "").strip(),
        notes=notes,
    )


def listed(root: Any) -> list[Listed]:
    """Every ``mdRef`` and every ``file`` (its first ``FLocat``) the document lists."""
    found = [_md_ref(ref) for ref in root.iter(q("mdRef"))]
    for group in root.iter(q("fileGrp")):
        for file in group.findall(q("file")):
            found.append(_file(file, group.get("USE")))
    return found


def _md_ref(ref: Any) -> Listed:
    return Listed(
        element=_named("mdRef", ref.get("ID"), ref.get(q("href", XLINK))),
        href=ref.get(q("href", XLINK)) or "",
        size=ref.get("SIZE"),
        checksum=ref.get("CHECKSUM"),
        checksum_type=ref.get("CHECKSUMTYPE"),
        mime_type=ref.get("MIMETYPE"),
        use=None,
    )


def _file(file: Any, use: str | None) -> Listed:
    locat = file.find(q("FLocat"))
    return Listed(
        element=_named("file", file.get("ID"), None if locat is None else locat.get(q("href", XLINK))),
        href="" if locat is None else locat.get(q("href", XLINK)) or "",
        size=file.get("SIZE"),
        checksum=file.get("CHECKSUM"),
        checksum_type=file.get("CHECKSUMTYPE"),
        mime_type=file.get("MIMETYPE"),
        use=use,
    )


def _named(tag: str, identifier: str | None, href: str | None) -> str:
    """How a failure names an element: by its ID, else by the file it points at."""
    return f"{tag}[@ID='{identifier}']" if identifier else f"{tag}[@xlink:href='{href or ''}']"


def resolve(mets_path: str, href: str) -> str | None:
    """The package-relative POSIX path ``href`` names from the METS at ``mets_path``, or
    None when it is not a plain relative reference inside the package (a URL, absolute,
    or climbing out with ``..``)."""
    parsed = urlparse(href)
    if not href or parsed.scheme not in {"", "file"} or parsed.netloc or parsed.query or parsed.fragment:
        return None
    path = unquote(parsed.path)
    if parsed.scheme == "file" or path.startswith("/") or "\\" in path:
        return None
    parts: list[str] = list(PurePosixPath(mets_path).parent.parts)
    for segment in path.split("/"):
        if segment in {"", "."}:
            continue
        if segment == "..":
            if not parts:
                return None
            parts.pop()
        else:
            parts.append(segment)
    return "/".join(parts) if parts else None
