"""The archive's own preservation packages: AIP_hoso (a dossier) and AIP_tailieu (loose
documents), Circular 05/2025 Appendices I and II.

An AIP is the SIP layout (``archive.services.packages``) plus PREMIS 3.0: the package's
``metadata/preservation/PREMIS.xml`` and the representation's, with each document's
SHA-256, size, PRONOM format (fido, from the bytes) and signature findings, and its
history from the audit chain (``archive.services.preservation``).

Check -> act -> audit: ``can_export_preservation_package`` (auditors who may read every
record), then the package is streamed to a file, then ``package.export`` is audited.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

import archive
from archive.domain.access import Principal, can_export_preservation_package
from archive.domain.packages import REPRESENTATION, Package, PackageKind, WrittenPackage, data_path
from archive.domain.records import Record
from archive.services import packages, preservation
from archive.services.audit import ClientInfo
from archive.services.container import Services
from archive.services.packages import ExportedPackage, Packaging

_REFUSAL = "an AIP is made by an archivist or admin who may read every document in it"
HOSO = Packaging(PackageKind.AIP_HOSO, rule=can_export_preservation_package, refusal=_REFUSAL)
TAILIEU = Packaging(PackageKind.AIP_TAILIEU, rule=can_export_preservation_package, refusal=_REFUSAL)


def data_paths(package: Package) -> dict[str, str]:
    """Each record's data file, relative to the representation folder (as PREMIS names it)."""
    prefix = f"representations/{REPRESENTATION}/"
    return {d.record_id: data_path(d.doc_id, d.media_type).removeprefix(prefix) for d in package.documents}


async def export(
    services: Services,
    principal: Principal,
    client: ClientInfo,
    directory: Path,
    *,
    dossier_id: str | None = None,
    record_ids: Sequence[str] = (),
    title: str = "",
) -> ExportedPackage:
    """Write the AIP of a dossier (or of loose documents of one agency) to
    ``directory/{OBJID}.zip``.

    Raises:
        NotFound: the dossier (or a record) the caller may not read, or none.
        Forbidden: the caller may not make an AIP of it.
        MetadataInvalid: documents still being processed (named), or nothing to package.
        ServiceUnavailable: the format identifier is not installed.
    """
    if dossier_id is not None:
        package, records = await asyncio.to_thread(
            packages.dossier_package, services, principal, dossier_id, packaging=HOSO
        )
    else:
        package, records = await asyncio.to_thread(
            packages.documents_package, services, principal, record_ids, title=title, packaging=TAILIEU
        )
    return await _write(services, principal, client, directory, package, records, dossier_id)


async def _write(
    services: Services,
    principal: Principal,
    client: ClientInfo,
    directory: Path,
    package: Package,
    records: list[Record],
    dossier_id: str | None,
) -> ExportedPackage:
    context = preservation.PackageContext(package.objid, package.created, archive.__version__)
    premis = await preservation.preservation(
        services, principal, client, records, data_paths(package), context
    )

    def writing(sink: BinaryIO) -> WrittenPackage:
        return packages.write(services, principal, package, records, sink, preservation=premis)

    written, path = await asyncio.to_thread(packages.to_file, directory, package.objid, writing)
    file_code = package.dossier.file_code if package.dossier else None
    return ExportedPackage(path, written, dossier_id, file_code)


async def prepare_download(
    services: Services,
    principal: Principal,
    client: ClientInfo,
    *,
    dossier_id: str | None = None,
    record_ids: Sequence[str] = (),
    title: str = "",
) -> packages.PreparedPackage:
    """``export`` into the data directory, with a short-lived download token for the caller."""
    directory = packages.download_dir(services)
    exported = await export(
        services, principal, client, directory, dossier_id=dossier_id, record_ids=record_ids, title=title
    )
    return packages.offer_download(services, principal, exported)
