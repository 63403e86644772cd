"""The packages of a transfer batch: one zip per dossier, written beside the batch.

``Packager`` is what the transfer workflow needs from packaging: build the packages of
these dossiers in this folder, and say each one's name, size and SHA-256. ``plain_packages``
is the stand-in until the Circular 05/2025 SIP writer is wired in: a stored (uncompressed)
zip of the members' original bytes, unchanged, with a ``metadata.json`` per dossier.
"""

from __future__ import annotations

import hashlib
import json
import re
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path

from archive.domain.access import UNRESTRICTED
from archive.domain.archival import Dossier, doc_code
from archive.domain.transfer import Package
from archive.services.container import Services

Packager = Callable[[Services, Sequence[Dossier], Path], list[Package]]
"""(services, dossiers, folder) -> one package per dossier, in the order given."""

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_CHUNK = 1024 * 1024


def package_name(dossier: Dossier) -> str:
    """A file name from the file code: letters, digits, '.', '_' and '-' only."""
    return f"{_UNSAFE.sub('_', dossier.file_code)[:150] or dossier.id}.zip"


def plain_packages(services: Services, dossiers: Sequence[Dossier], folder: Path) -> list[Package]:
    """One stored zip per dossier; the bytes stream from the blob store (memory stays flat)."""
    folder.mkdir(parents=True, exist_ok=True)
    return [_package(services, d, folder / package_name(d)) for d in dossiers]


def _package(services: Services, dossier: Dossier, path: Path) -> Package:
    members = services.archival.members(dossier.id, UNRESTRICTED)
    records = services.records.get_many([m.record_id for m in members], UNRESTRICTED, with_pages=False)
    described = []
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        for member in members:
            record = records[member.record_id]
            name = f"data/{doc_code(dossier.file_code, member.ordinal)}.pdf"
            with zf.open(name, "w", force_zip64=True) as out:
                for chunk in services.blobs.iter_bytes(
                    record.file.storage_key, version_id=record.file.version_id
                ):
                    out.write(chunk)
            described.append({"record_id": record.id, "file": name, "sha256": record.file.sha256})
        head = {"file_code": dossier.file_code, "title": dossier.title, "documents": described}
        zf.writestr("metadata.json", json.dumps(head, ensure_ascii=False, indent=2))
    return Package(dossier.id, path.name, path.stat().st_size, file_sha256(path))


def file_sha256(path: Path) -> str:
    """The file's SHA-256 in lower-case hex, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
