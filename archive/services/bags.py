"""``archive export bagit``: a fonds, dossiers or records as a BagIt bag (RFC 8493) for backup
and exchange where no Circular 05/2025 package is asked for.

Each record the caller may read (``can_read``; the caller itself must be allowed bulk exports,
``can_export_bag``) is written as its original bytes, unchanged, and a metadata JSON beside
them, under ``data/<fonds code>/<dossier file code or _no-dossier>/``. ``bagit`` (the Library
of Congress's reference implementation) then writes the SHA-256 manifests and tag files; the
manifest's digest of every data file is checked against the SHA-256 the archive recorded at
deposit, so a bag never carries altered bytes. Audited as ``package.export`` with the ids
of the records written.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import bagit

from archive.domain.access import Principal, Readable, ReadScope, can_export_bag, can_read_fonds
from archive.domain.audit import COUNT_DETAIL, IDS_DETAIL, DetailValue
from archive.domain.errors import Forbidden, IntegrityError, MetadataInvalid
from archive.domain.records import Record
from archive.services import audit
from archive.services.container import Services

EXPORT_ACTION = "package.export"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_EXTENSIONS = {"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg", "image/tiff": ".tif"}


@dataclass(frozen=True, slots=True)
class BagSelection:
    """A fonds (every record of it the caller may read), or dossiers, or records."""

    fonds_id: str | None = None
    dossier_ids: tuple[str, ...] = ()
    record_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class BagReport:
    """What the bag holds."""

    path: Path
    records: int
    bytes: int


def export_bag(services: Services, principal: Principal, target: Path, selection: BagSelection) -> BagReport:
    """Write the bag at ``target`` (a new or empty folder). Blocking."""
    if not can_export_bag(principal):
        raise Forbidden("a bag export needs the archivist, records_manager or admin role")
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise MetadataInvalid("output", f"{target} must be a new or empty folder")
    target.mkdir(parents=True, exist_ok=True)
    written: dict[str, Record] = {}
    for record in _selected(services, principal, selection):
        where = (_fonds_code(services, principal, record), _dossier_code(services, principal, record))
        folder = target / _safe(where[0]) / _safe(where[1])
        folder.mkdir(parents=True, exist_ok=True)
        _write_record(services, record, folder)
        written[f"data/{folder.relative_to(target).as_posix()}/{_file_name(record)}"] = record
    if not written:
        raise MetadataInvalid("selection", "it holds no record you may read")
    bag = bagit.make_bag(str(target), bag_info=_bag_info(services, selection), checksums=["sha256"])
    _check_digests(bag, written)
    ids = list(r.id for r in written.values())
    details: dict[str, DetailValue] = {"format": "bagit", IDS_DETAIL: ",".join(ids), COUNT_DETAIL: len(ids)}
    audit.append(
        services, actor=principal.subject, action=EXPORT_ACTION, target=str(target)[:200], details=details
    )
    return BagReport(target, len(written), sum(r.file.size for r in written.values()))


def _selected(services: Services, principal: Principal, selection: BagSelection) -> Iterator[Record]:
    scope = ReadScope.for_principal(principal)
    if selection.record_ids:
        found = services.records.get_many(list(selection.record_ids), scope, with_pages=False)
        yield from (found[i] for i in dict.fromkeys(selection.record_ids) if i in found)
    elif selection.dossier_ids:
        for dossier_id in dict.fromkeys(selection.dossier_ids):
            if services.archival.dossier(dossier_id, scope) is not None:
                ids = [m.record_id for m in services.archival.members(dossier_id, scope)]
                found = services.records.get_many(ids, scope, with_pages=False)
                yield from (found[i] for i in ids if i in found)
    elif selection.fonds_id is not None:
        yield from (
            r
            for r in services.records.iter_all()
            if r.fonds_id == selection.fonds_id and scope.allows(Readable.of(r))
        )
    else:
        raise MetadataInvalid("selection", "give a fonds, dossiers or records")


def _write_record(services: Services, record: Record, folder: Path) -> None:
    with (folder / _file_name(record)).open("wb") as out:
        for chunk in services.blobs.iter_bytes(record.file.storage_key, version_id=record.file.version_id):
            out.write(chunk)
    meta = folder / f"{record.id}.json"
    meta.write_text(
        json.dumps(_metadata(record), ensure_ascii=False, indent=2, default=str), encoding="utf-8"
    )


def _metadata(record: Record) -> dict[str, Any]:
    return {
        "record_id": record.id,
        "agency_code": record.agency_code,
        "fonds_id": record.fonds_id,
        "dossier_id": record.dossier_id,
        "doc_ordinal": record.doc_ordinal,
        "metadata": _plain(asdict(record.metadata)),
        "file": {
            "sha256": record.file.sha256,
            "size": record.file.size,
            "media_type": record.file.media_type,
            "original_filename": record.file.original_filename,
        },
        "created_at": record.created_at.isoformat(),
    }


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    """Enums by value, so the JSON reads ``"outgoing"`` rather than a Python repr."""
    return {k: getattr(v, "value", v) for k, v in values.items()}


def _check_digests(bag: Any, written: dict[str, Record]) -> None:
    """The manifest's SHA-256 of every data file against the one recorded at deposit."""
    for path, record in written.items():
        found = bag.entries.get(path, {}).get("sha256")
        if found != record.file.sha256:
            raise IntegrityError(f"record {record.id}: the bytes written do not match its SHA-256")


def _bag_info(services: Services, selection: BagSelection) -> dict[str, str]:
    scope = (
        f"fonds {selection.fonds_id}"
        if selection.fonds_id
        else f"{len(selection.dossier_ids)} dossiers"
        if selection.dossier_ids
        else f"{len(selection.record_ids)} records"
    )
    return {
        "Source-Organization": "records-archive",
        "External-Description": f"Records archive export: {scope}",
        "Bagging-Date": services.clock().date().isoformat(),
    }


def _fonds_code(services: Services, principal: Principal, record: Record) -> str:
    """The fonds's code where the caller may read the fonds, else the record's agency."""
    found = services.archival.fonds(record.fonds_id) if record.fonds_id else None
    return (
        found.code
        if found is not None and can_read_fonds(principal, found.agency_code)
        else record.agency_code
    )


def _dossier_code(services: Services, principal: Principal, record: Record) -> str:
    """The dossier's file code where the caller may read the dossier (a granted record's
    dossier may stay hidden), else a folder for records outside a dossier."""
    if record.dossier_id is None:
        return "_no-dossier"
    found = services.archival.dossier(record.dossier_id, ReadScope.for_principal(principal))
    return found.file_code if found is not None else "_no-dossier"


def _file_name(record: Record) -> str:
    return f"{record.id}{_EXTENSIONS.get(record.file.media_type, '.bin')}"


def _safe(name: str) -> str:
    return _UNSAFE.sub("_", name)[:120].strip(".") or "_"
