"""The TT05 descriptive files of a package (EAD.xml, EAD_doc_*.xml), read into ``PackageContents``.

Every element name comes from ``archive.domain.tt05``'s tables; a root in another
namespace or of another ``version`` is an unknown schema version, refused. Values are
read by each field's kind (dates ISO, counts integers, flags true/false, codes repeated).
"""

from __future__ import annotations

from datetime import date
from pathlib import PurePosixPath
from typing import Any

from lxml import etree

from archive.domain import tt05
from archive.domain.package_checks import LAYOUT, METADATA, PROFILE, REFERENCE, Failure, PackageInvalid
from archive.domain.package_import import DescribedDocument, DescribedFile, PackageContents
from archive.domain.packages import safe_name
from archive.unpacking import mets
from archive.unpacking.checks import ROOT_METS, Inspection, mets_paths


def contents(found: Inspection) -> PackageContents:
    """What the checked package ``found`` holds; PackageInvalid naming each part it cannot read."""
    failures: list[Failure] = []
    if found.header is None:
        problem = "cannot be read, so neither can what the package describes"
        raise PackageInvalid([Failure(LAYOUT, f"{found.folder.name}/{ROOT_METS}", problem)])
    described = _descriptions(found, ROOT_METS, failures)
    roots = [(p, r, f) for p, r, f in described if r in {tt05.DOSSIER_ROOT, tt05.BATCH_ROOT}]
    if len(roots) != 1:
        problem = f"lists {len(roots)} dossier or batch descriptions; a package has exactly one"
        raise PackageInvalid([*failures, Failure(METADATA, f"{found.folder.name}/{ROOT_METS}", problem)])
    part, root, fields = roots[0]
    documents = [d for path in mets_paths(found)[1:] for d in _documents(found, path, failures)]
    if failures:
        raise PackageInvalid(failures)
    submitter = _submitter(found.header)
    return PackageContents(
        objid=found.header.objid,
        root=root,
        record_status=found.header.record_status,
        submitter=submitter.name if submitter else "",
        fonds_code=_fonds_code(submitter),
        description_part=f"{found.folder.name}/{part}",
        description=fields,
        documents=tuple(documents),
    )


def _submitter(header: mets.Header) -> mets.Agent | None:
    """The submitting body: the organisation agent carrying the IDENTIFICATIONCODE note."""
    for agent in header.agents:
        if agent.type == "ORGANIZATION" and any(t == tt05.NOTE_IDENTIFICATION_CODE for t, _ in agent.notes):
            return agent
    return None


def _fonds_code(agent: mets.Agent | None) -> str:
    return next((text for t, text in agent.notes if t == tt05.NOTE_IDENTIFICATION_CODE), "") if agent else ""


def _descriptions(
    found: Inspection, mets_path: str, failures: list[Failure]
) -> list[tuple[str, str, dict[str, object]]]:
    """(path, root name, fields) of every TT05 file the METS at ``mets_path`` lists as metadata."""
    read = []
    for item in mets.listed(found.trees[mets_path].getroot()):
        path = mets.resolve(mets_path, item.href)
        tree = found.trees.get(path or "")
        if not item.element.startswith("mdRef") or tree is None:
            continue
        name = etree.QName(tree.getroot())
        if name.namespace != tt05.NAMESPACE:
            continue
        part = f"{found.folder.name}/{path}"
        fields = read_fields(tree.getroot(), part, failures)
        read.append((str(path), str(name.localname), fields))
    return read


def read_fields(root: Any, part: str, failures: list[Failure]) -> dict[str, object]:
    """The values of a TT05 root by attribute name; a problem is appended to ``failures``."""
    name = etree.QName(root).localname
    if name not in tt05.ROOTS:
        failures.append(Failure(PROFILE, part, f"unknown TT05 root element {name!r}"))
        return {}
    if root.get("version") != tt05.VERSION:
        problem = (
            f"TT05 schema version {root.get('version')!r} is not the one this archive reads ({tt05.VERSION})"
        )
        failures.append(Failure(PROFILE, f"{part}: {name}/@version", problem))
        return {}
    values: dict[str, object] = {}
    for field in tt05.ROOTS[name]:
        texts = [(e.text or "").strip() for e in root.findall(f"{{{tt05.NAMESPACE}}}{field.element}")]
        try:
            values[field.attribute] = _value(field, texts)
        except ValueError as exc:
            failures.append(Failure(METADATA, f"{part}: {field.element}", str(exc)))
    return values


def _value(field: tt05.Field, texts: list[str]) -> object:
    if field.kind is tt05.Kind.CODES:
        return tuple(texts)
    if not texts:
        return None
    text = texts[0]
    if field.kind is tt05.Kind.DATE:
        return date.fromisoformat(text)
    if field.kind is tt05.Kind.COUNT:
        return int(text)
    if field.kind is tt05.Kind.FLAG:
        return text in {"true", "1"}
    return text


def _documents(found: Inspection, rep_mets: str, failures: list[Failure]) -> list[DescribedDocument]:
    """Each document of a representation: its description paired with its data file, by the
    data file's name (the docCode) or, for loose documents, by their order."""
    described = [(p, f) for p, r, f in _descriptions(found, rep_mets, failures) if r == tt05.DOCUMENT_ROOT]
    data = [i for i in mets.listed(found.trees[rep_mets].getroot()) if i.element.startswith("file")]
    by_stem = {PurePosixPath(i.href).stem: i for i in data}
    documents = []
    for position, (path, fields) in enumerate(described):
        code = fields.get("doc_code")
        item = (
            by_stem.get(safe_name(str(code))) if code else (data[position] if position < len(data) else None)
        )
        part = f"{found.folder.name}/{path}"
        if item is None:
            failures.append(
                Failure(REFERENCE, part, "no data file of the representation carries this document")
            )
            continue
        documents.append(DescribedDocument(part=part, fields=fields, file=_file(rep_mets, item)))
    if len(described) != len(data):
        problem = f"lists {len(data)} data files for {len(described)} document descriptions"
        failures.append(Failure(REFERENCE, f"{found.folder.name}/{rep_mets}", problem))
    return documents


def _file(rep_mets: str, item: mets.Listed) -> DescribedFile:
    return DescribedFile(
        path=mets.resolve(rep_mets, item.href) or "",
        size=int(item.size or 0),
        sha256=(item.checksum or "").lower(),
        mime_type=item.mime_type or "",
    )
