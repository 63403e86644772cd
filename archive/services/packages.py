"""Export of transfer packages (Circular 05/2025/TT-BNV SIP_hoso and SIP_tailieu).

Check -> act -> audit, like every use case:
- a dossier the caller may not read is NOT_FOUND, like one that does not exist; one
  it may read but not export (``can_export_package``: a records manager of its
  agency or an admin, within clearance, who manages every record in it) is FORBIDDEN;
- a dossier with documents still being processed (text extraction, OCR) is refused
  naming their ids: a package describes finished documents;
- the package is streamed to the caller's sink (the bytes from storage in chunks,
  checked against their recorded SHA-256 on the way);
- each package written is audited as ``package.export`` with the dossier (or the
  first record) as target, the record ids, the package id and its SHA-256.

Blocking (storage and database); callers on the event loop use a worker thread.
The handover workflow calls ``export_batch`` to build the packages of a transfer batch.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import BinaryIO

import archive
from archive.domain import archival as da
from archive.domain.access import (
    UNRESTRICTED,
    Principal,
    Readable,
    ReadScope,
    can_export_package,
    can_read_fonds,
)
from archive.domain.archival import Dossier, Fonds
from archive.domain.audit import COUNT_DETAIL, IDS_DETAIL, DetailValue
from archive.domain.errors import Forbidden, MetadataInvalid, NotFound
from archive.domain.packages import (
    BatchDescription,
    DocumentDescription,
    DossierDescription,
    Package,
    PackageKind,
    RecordStatus,
    Software,
    Submitter,
    WrittenPackage,
    check_objid,
    new_objid,
)
from archive.domain.preservation import ExtraFile, Preservation
from archive.domain.records import Classification, Record, TextStatus, nfc, type_code_of
from archive.services import audit
from archive.services.container import Services

ACTION = "package.export"
SOFTWARE_NAME = "records-archive"
SUBMISSION_AGREEMENT = "Circular 05/2025/TT-BNV"
MAX_DOSSIERS = 10_000  # one export run; a province's permanent dossiers of a year stay below
_PROCESSING = frozenset({TextStatus.PENDING, TextStatus.PENDING_OCR})
_SIP_REFUSAL = "exporting a package needs the records_manager role for every record in it, or admin"

ExportRule = Callable[[Principal, Readable, list[Readable]], bool]
"""Who may package a unit and its records: ``can_export_package`` for a SIP; an AIP's rule
is ``can_export_preservation_package`` (``archive.services.aip``)."""


@dataclass(frozen=True, slots=True)
class Packaging:
    """Which package to make, under which rule: a SIP by default."""

    kind: PackageKind
    rule: ExportRule = can_export_package
    refusal: str = _SIP_REFUSAL


@dataclass(frozen=True, slots=True)
class ExportedPackage:
    """A package written to a file: where, and what it holds."""

    path: Path
    written: WrittenPackage
    dossier_id: str | None
    file_code: str | None


# -- selection --------------------------------------------------------------------------------


def select_dossiers(
    services: Services,
    principal: Principal,
    *,
    fonds_code: str | None = None,
    year: int | None = None,
    file_codes: Sequence[str] = (),
) -> list[Dossier]:
    """The dossiers an export names: by file codes (in a fonds, or any fonds the caller
    reads), or every dossier of a fonds (and year). Only dossiers the caller may read;
    a file code it may not read is NotFound exactly like a missing one."""
    scope = ReadScope.for_principal(principal)
    fonds = _fonds(services, principal, nfc(fonds_code)) if fonds_code else None
    if file_codes:
        return [_by_code(services, principal, scope, fonds, nfc(code)) for code in file_codes]
    if fonds is None:
        raise MetadataInvalid("fonds", "name the fonds (and year), or the dossiers' file codes")
    found = services.archival.dossiers(scope, fonds_id=fonds.id, year=year, limit=MAX_DOSSIERS + 1)
    if len(found) > MAX_DOSSIERS:
        raise MetadataInvalid("dossiers", f"more than {MAX_DOSSIERS} in one export: narrow it by year")
    return found


def _fonds(services: Services, principal: Principal, code: str) -> Fonds:
    fonds = services.archival.fonds_by_code(code)
    if fonds is None or not can_read_fonds(principal, fonds.agency_code):
        raise NotFound(f"no fonds {code}")
    return fonds


def _by_code(
    services: Services, principal: Principal, scope: ReadScope, fonds: Fonds | None, code: str
) -> Dossier:
    candidates = [fonds] if fonds else services.archival.fonds_listing(None)
    for candidate in candidates:
        if candidate is None or not can_read_fonds(principal, candidate.agency_code):
            continue
        dossier = services.archival.dossier_by_code(candidate.id, code, scope)
        if dossier is not None:
            return dossier
    raise NotFound(f"no dossier {code}")


# -- packages ---------------------------------------------------------------------------------


def dossier_package(
    services: Services,
    principal: Principal,
    dossier_id: str,
    *,
    record_status: RecordStatus = RecordStatus.NEW,
    packaging: Packaging = Packaging(PackageKind.SIP_HOSO),
) -> tuple[Package, list[Record]]:
    """The SIP_hoso (or ``packaging.kind``) of a dossier and its records, after every
    check; nothing written.

    Raises NotFound, Forbidden, or MetadataInvalid naming the documents still processing.
    """
    dossier = services.archival.dossier(dossier_id, ReadScope.for_principal(principal))
    if dossier is None:
        raise NotFound(f"no dossier {dossier_id}")
    members = services.archival.members(dossier.id, UNRESTRICTED)
    records = _records(services, [m.record_id for m in members])
    _check(principal, Readable.of_dossier(dossier), records, packaging)
    fonds = services.archival.fonds(dossier.fonds_id)
    if fonds is None:  # a dossier always has its fonds (a foreign key): a broken store
        raise NotFound(f"no fonds for dossier {dossier_id}")
    described = _dossier(services, dossier, fonds, members, records)
    documents = tuple(document_description(services, r, dossier) for r in records)
    package = _package(packaging.kind, services, fonds, dossier.title, record_status, described, documents)
    return package, records


def documents_package(
    services: Services,
    principal: Principal,
    record_ids: Sequence[str],
    *,
    title: str,
    record_status: RecordStatus = RecordStatus.NEW,
    packaging: Packaging = Packaging(PackageKind.SIP_TAILIEU),
) -> tuple[Package, list[Record]]:
    """The SIP_tailieu (or ``packaging.kind``) of loose documents of one agency (in the
    order given)."""
    if not record_ids:
        raise MetadataInvalid("records", "name at least one record")
    readable = services.records.get_many(
        list(record_ids), ReadScope.for_principal(principal), with_pages=False
    )
    missing = [r for r in record_ids if r not in readable]
    if missing:
        raise NotFound(f"no record {missing[0]}")
    records = [readable[r] for r in record_ids]
    agencies = {r.agency_code for r in records}
    if len(agencies) != 1:
        raise MetadataInvalid("records", "a SIP_tailieu holds the documents of one agency")
    agency = agencies.pop()
    _check(
        principal,
        Readable(agency_code=agency, classification=_highest(records), is_public=False),
        records,
        packaging,
    )
    fonds = services.archival.fonds(records[0].fonds_id or da.default_fonds_id(agency))
    if fonds is None:
        raise NotFound(f"no fonds for agency {agency}")
    dates = [r.metadata.issue_date for r in records]
    batch = BatchDescription(
        title=title, fonds_code=fonds.code, agency_code=agency, total_doc=len(records),
        start_date=min(dates), end_date=max(dates),
    )  # fmt: skip
    documents = tuple(document_description(services, r, None) for r in records)
    package = _package(packaging.kind, services, fonds, title, record_status, batch, documents)
    return package, records


def write(
    services: Services,
    principal: Principal,
    package: Package,
    records: list[Record],
    sink: BinaryIO,
    *,
    preservation: Preservation | None = None,
    extras: tuple[ExtraFile, ...] = (),
) -> WrittenPackage:
    """Stream a checked package to ``sink`` and audit it (``package.export``); an AIP
    adds its ``preservation`` metadata, a DIP its ``extras``."""
    keys = {r.id: r for r in records}
    contents = _contents(services, keys)
    written = services.packages.write(package, contents, sink, preservation=preservation, extras=extras)
    target = package.dossier.file_code if package.dossier else records[0].id
    details: dict[str, DetailValue] = {
        IDS_DETAIL: ",".join(written.record_ids),
        COUNT_DETAIL: len(written.record_ids),
        "kind": package.kind.value,
        "objid": package.objid,
        "sha256": written.zip_sha256,
    }
    audit.append(services, actor=principal.subject, action=ACTION, target=target, details=details)
    return written


def export_dossier(
    services: Services,
    principal: Principal,
    dossier_id: str,
    directory: Path,
    *,
    record_status: RecordStatus = RecordStatus.NEW,
) -> ExportedPackage:
    """Write a dossier's SIP_hoso to ``directory/{OBJID}.zip`` (a temporary name until it
    is complete, so a failed export leaves no file behind)."""
    package, records = dossier_package(services, principal, dossier_id, record_status=record_status)
    written, path = to_file(
        directory, package.objid, lambda sink: write(services, principal, package, records, sink)
    )
    dossier = package.dossier
    return ExportedPackage(path, written, dossier_id, dossier.file_code if dossier else None)


def export_documents(
    services: Services,
    principal: Principal,
    record_ids: Sequence[str],
    directory: Path,
    *,
    title: str,
    record_status: RecordStatus = RecordStatus.NEW,
) -> ExportedPackage:
    """Write loose documents' SIP_tailieu to ``directory/{OBJID}.zip`` (atomically, like
    ``export_dossier``)."""
    package, records = documents_package(
        services, principal, record_ids, title=title, record_status=record_status
    )
    written, path = to_file(directory, package.objid, _writing(services, principal, package, records))
    return ExportedPackage(path, written, None, None)


def export_batch(
    services: Services,
    principal: Principal,
    dossier_ids: Sequence[str],
    directory: Path,
    *,
    record_status: RecordStatus = RecordStatus.NEW,
    progress: Callable[[ExportedPackage], None] | None = None,
) -> list[ExportedPackage]:
    """One SIP_hoso per dossier, all checked before the first is written (a batch is
    refused whole: NotFound, Forbidden, or the documents still processing)."""
    prepared = [dossier_package(services, principal, d, record_status=record_status) for d in dossier_ids]
    exported = []
    for dossier_id, (package, records) in zip(dossier_ids, prepared, strict=True):
        written, path = to_file(directory, package.objid, _writing(services, principal, package, records))
        item = ExportedPackage(
            path, written, dossier_id, package.dossier.file_code if package.dossier else None
        )
        exported.append(item)
        if progress is not None:
            progress(item)
    return exported


def _writing(
    services: Services, principal: Principal, package: Package, records: list[Record]
) -> Callable[[BinaryIO], WrittenPackage]:
    def writing(sink: BinaryIO) -> WrittenPackage:
        return write(services, principal, package, records, sink)

    return writing


def to_file(
    directory: Path, objid: str, writing: Callable[[BinaryIO], WrittenPackage]
) -> tuple[WrittenPackage, Path]:
    """``writing`` into ``directory/{objid}.zip`` under a temporary name, renamed once
    complete: a failed export leaves no file behind."""
    directory.mkdir(parents=True, exist_ok=True)
    final = directory / f"{objid}.zip"
    handle, partial = tempfile.mkstemp(prefix=f".{objid}.", suffix=".partial", dir=directory)
    try:
        with os.fdopen(handle, "wb") as sink:
            written = writing(sink)
        Path(partial).replace(final)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            Path(partial).unlink()
        raise
    return written, final


# -- download (GraphQL) ------------------------------------------------------------------------

PACKAGES_DIR = "packages"  # under the data directory: packages prepared for download
_LINK_PREFIX = "package:"  # a package link never names a record, so a record link never opens one


@dataclass(frozen=True, slots=True)
class PreparedPackage:
    """A package written for download, with the short-lived link that fetches it."""

    exported: ExportedPackage
    token: str
    expires_at: datetime


def prepare_download(
    services: Services,
    principal: Principal,
    dossier_id: str,
    *,
    record_status: RecordStatus = RecordStatus.NEW,
) -> PreparedPackage:
    """Export a dossier's SIP_hoso into the data directory and issue a download token
    (``download_url_ttl_seconds``) for it, to the caller. Checks and audit as ``export_dossier``."""
    exported = export_dossier(
        services, principal, dossier_id, download_dir(services), record_status=record_status
    )
    return offer_download(services, principal, exported)


def download_dir(services: Services) -> Path:
    """Where packages prepared for download are written (the data directory's ``packages/``)."""
    return services.settings.data_dir / PACKAGES_DIR


def offer_download(services: Services, principal: Principal, exported: ExportedPackage) -> PreparedPackage:
    """A short-lived download token (``download_url_ttl_seconds``) for a package written in
    ``download_dir``, issued to the caller (AIPs and DIPs are offered the same way)."""
    ttl = timedelta(seconds=services.settings.download_url_ttl_seconds)
    token, expires = services.links.issue(
        f"{_LINK_PREFIX}{exported.written.objid}", principal.subject, now=services.clock(), ttl=ttl
    )
    return PreparedPackage(exported, token, expires)


def package_file(services: Services, token: str) -> Path:
    """The package file a valid, unexpired token names; NotFound for anything else."""
    claims = services.links.check(token, now=services.clock())
    if not claims.record_id.startswith(_LINK_PREFIX):
        raise NotFound("no such download")
    objid = check_objid_or_none(claims.record_id.removeprefix(_LINK_PREFIX))
    path = services.settings.data_dir / PACKAGES_DIR / f"{objid}.zip"
    if objid is None or not path.is_file():
        raise NotFound("no such download")
    return path


def check_objid_or_none(value: str) -> str | None:
    try:
        return check_objid(value)
    except MetadataInvalid:
        return None


# -- helpers ----------------------------------------------------------------------------------


def _records(services: Services, record_ids: list[str]) -> list[Record]:
    found = services.records.get_many(record_ids, UNRESTRICTED, with_pages=False)
    return [found[r] for r in record_ids if r in found]


def _check(principal: Principal, unit: Readable, records: list[Record], packaging: Packaging) -> None:
    if not packaging.rule(principal, unit, [_record_facts(r) for r in records]):
        raise Forbidden(packaging.refusal)
    waiting = [r.id for r in records if r.text_status in _PROCESSING]
    if waiting:
        raise MetadataInvalid("documents", f"still being processed: {', '.join(waiting)}")
    if not records:
        raise MetadataInvalid("documents", "the dossier holds no document")


def _record_facts(record: Record) -> Readable:
    # Every read fact (grants, mode 02 too): an AIP's rule applies can_read to them.
    return Readable.of(record)


def _highest(records: list[Record]) -> Classification:
    return max(r.classification for r in records)


def _contents(
    services: Services, records: dict[str, Record]
) -> Callable[[DocumentDescription], Iterator[bytes]]:
    def contents(document: DocumentDescription) -> Iterator[bytes]:
        stored = records[document.record_id].file
        return services.blobs.iter_bytes(stored.storage_key, version_id=stored.version_id)

    return contents


def _package(
    kind: PackageKind,
    services: Services,
    fonds: Fonds,
    label: str,
    record_status: RecordStatus,
    description: DossierDescription | BatchDescription,
    documents: tuple[DocumentDescription, ...],
) -> Package:
    return Package(
        kind=kind,
        objid=new_objid(),
        created=services.clock(),
        record_status=record_status,
        submitter=Submitter(name=fonds.name, agency_code=fonds.agency_code, fonds_code=fonds.code),
        software=Software(SOFTWARE_NAME, archive.__version__),
        submission_agreement=SUBMISSION_AGREEMENT,
        label=label,
        dossier=description if isinstance(description, DossierDescription) else None,
        batch=description if isinstance(description, BatchDescription) else None,
        documents=documents,
    )


def _dossier(
    services: Services, dossier: Dossier, fonds: Fonds, members: list[da.Member], records: list[Record]
) -> DossierDescription:
    figures = da.figures(dossier, members)
    archive_code = services.settings.archive_code
    return DossierDescription(
        file_code=dossier.file_code,
        arc_file_code=da.arc_file_code(archive_code, dossier.file_code) if archive_code else None,
        title=dossier.title,
        maintenance=dossier.maintenance,
        mode=dossier.mode,
        languages=dossier.languages,
        start_date=figures.start_date,
        end_date=figures.end_date,
        keyword=dossier.keyword,
        total_doc=len(records),
        number_of_paper=dossier.number_of_paper,
        number_of_page=figures.number_of_page,
        physical_format=dossier.physical_format,
        infor_sign=dossier.infor_sign,
        confidence_level=figures.confidence_level,
        paper_file_code=dossier.paper_file_code,
        risk_recovery=dossier.risk_recovery,
        risk_recovery_status=dossier.risk_recovery_status,
        description=dossier.description,
        fonds_code=fonds.code,
        agency_code=dossier.agency_code,
    )


def document_description(services: Services, record: Record, dossier: Dossier | None) -> DocumentDescription:
    """A record as a package describes it (TT05 document fields); ``dossier`` gives its docCode."""
    m = record.metadata
    ordinal = record.doc_ordinal if dossier is not None else None
    code = da.doc_code(dossier.file_code, ordinal) if dossier is not None and ordinal is not None else None
    archive_code = services.settings.archive_code
    return DocumentDescription(
        record_id=record.id,
        doc_id=code or record.id,
        doc_code=code,
        arc_doc_code=f"{archive_code}.{code}" if archive_code and code else None,
        file_code=dossier.file_code if dossier else None,
        doc_ordinal=ordinal,
        type_name=m.type_name or type_code_of(m.document_type),
        code_number=m.number,
        code_notation=m.notation,
        issued_date=m.issue_date,
        organ_name=m.issuing_agency_name,
        organ_code=m.issuing_agency_code,
        subject=m.subject,
        languages=m.languages,
        page_amount=m.page_count,
        signer_name=m.signer_name,
        signer_position=m.signer_position,
        keyword=m.keyword,
        mode=m.mode,
        confidence_level=record.confidence_level,
        infor_sign=m.infor_sign,
        autograph=m.autograph,
        physical_format=m.physical_format,
        process=m.process,
        description=m.description,
        issued_amount=m.issued_amount,
        media_type=record.file.media_type,
        sha256=record.file.sha256,
        size=record.file.size,
        deposited_at=record.created_at,
    )
