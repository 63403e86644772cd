"""Use copies for readers (DIP, Circular 05/2025 Appendix V): which documents an approved
request yields, and the package made of them.

Check -> act -> audit: ``can_export_for_request`` decides who may make the DIP of a
request, ``can_copy_for_request`` which of its documents go in. A requested id that
names no record, or a record nobody may copy for this caller, is simply left out.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import BinaryIO

import archive
from archive.domain import archival as da
from archive.domain import codes
from archive.domain.access import (
    UNRESTRICTED,
    Principal,
    Readable,
    can_copy_for_request,
    can_export_for_request,
)
from archive.domain.access_requests import AccessRequest, CopiedDocument, authentication
from archive.domain.audit import Outcome
from archive.domain.errors import Forbidden, MetadataInvalid, NotFound
from archive.domain.listing import ExportFormat
from archive.domain.packages import (
    BatchDescription,
    Package,
    PackageKind,
    RecordStatus,
    Software,
    Submitter,
    WrittenPackage,
    data_path,
    new_objid,
    vietnam_time,
)
from archive.domain.preservation import ExtraFile
from archive.domain.records import Record, TextStatus
from archive.services import access_requests, packages
from archive.services.audit import ClientInfo, audit
from archive.services.container import Services
from archive.services.packages import ExportedPackage

EXPORT = "package.export"


async def approved_request(
    services: Services, principal: Principal, client: ClientInfo, request_id: str
) -> AccessRequest:
    """The request, once the caller may make its DIP.

    Raises:
        NotFound: the caller may not see the request, or there is none.
        Forbidden: not approved, or the caller is neither its reader nor an archivist
            or admin (audited).
    """
    request = await access_requests.get(services, principal, request_id)
    if not can_export_for_request(principal, reader=request.reader, approved=request.approved):
        await audit(services, principal, client, EXPORT, request.id, Outcome.DENIED, {"kind": "DIP"})
        raise Forbidden("a DIP is made for an approved request, by its reader or an archivist")
    return request


def documents(services: Services, principal: Principal, request: AccessRequest) -> list[Record]:
    """The request's documents that go into the caller's DIP, in the order asked: those
    the caller may read, and for the reader those the approval covers. Blocking."""
    ids = list(request.form.record_ids)
    found = services.records.get_many(ids, UNRESTRICTED, with_pages=False)
    covered = request.approved
    return [
        found[i]
        for i in ids
        if i in found
        and can_copy_for_request(principal, Readable.of(found[i]), reader=request.reader, covered=covered)
    ]


async def dip_documents(
    services: Services, principal: Principal, client: ClientInfo, request_id: str
) -> tuple[AccessRequest, list[Record]]:
    """The approved request and the documents its DIP carries for ``principal``."""
    request = await approved_request(services, principal, client, request_id)
    return request, await asyncio.to_thread(documents, services, principal, request)


REQUEST_PATH = "documentation/access_request.json"
AUTHENTICATION_PATH = "documentation/authentication.pdf"
_PROCESSING = frozenset({TextStatus.PENDING, TextStatus.PENDING_OCR})


async def export(
    services: Services, principal: Principal, client: ClientInfo, request_id: str, directory: Path
) -> ExportedPackage:
    """Write the DIP of an approved request to ``directory/{OBJID}.zip``: copies of the
    documents the caller may receive (their original bytes), the request's metadata
    (``documentation/access_request.json``, and the batch description) and the
    authentication PDF (``documentation/authentication.pdf``).

    Raises:
        NotFound: the request is not the caller's to see, or there is none.
        Forbidden: not approved, or not the caller's to export (audited).
        MetadataInvalid: no document can be copied for the caller, or some are still
            being processed (named).
    """
    request, records = await dip_documents(services, principal, client, request_id)
    if not records:
        raise MetadataInvalid("documents", "none of the requested documents can be copied for you")
    waiting = [r.id for r in records if r.text_status in _PROCESSING]
    if waiting:
        raise MetadataInvalid("documents", f"still being processed: {', '.join(waiting)}")
    package = await asyncio.to_thread(_package, services, request, records)
    extras = await asyncio.to_thread(_papers, services, request, package)

    def writing(sink: BinaryIO) -> WrittenPackage:
        return packages.write(services, principal, package, records, sink, extras=extras)

    written, path = await asyncio.to_thread(packages.to_file, directory, package.objid, writing)
    return ExportedPackage(path, written, None, None)


def _package(services: Services, request: AccessRequest, records: list[Record]) -> Package:
    first = records[0]
    fonds = services.archival.fonds(first.fonds_id or da.default_fonds_id(first.agency_code))
    if fonds is None:
        raise NotFound(f"no fonds for agency {first.agency_code}")
    form = request.form
    dates = [r.metadata.issue_date for r in records]
    batch = BatchDescription(
        title=f"Bản sao theo phiếu yêu cầu {form.code}",
        fonds_code=fonds.code,
        agency_code=fonds.agency_code,
        total_doc=len(records),
        start_date=min(dates),
        end_date=max(dates),
        description=(
            f"Người đọc: {form.reader_name}. Mục đích: {_purpose(form.purpose)}. Đề tài: {form.topic}."
        ),
    )
    documents = tuple(packages.document_description(services, r, None) for r in records)
    return Package(
        kind=PackageKind.DIP,
        objid=new_objid(),
        created=services.clock(),
        record_status=RecordStatus.NEW,
        submitter=Submitter(name=fonds.name, agency_code=fonds.agency_code, fonds_code=fonds.code),
        software=Software(packages.SOFTWARE_NAME, archive.__version__),
        submission_agreement=f"Phiếu yêu cầu {form.code} ({request.id})",
        label=batch.title,
        dossier=None,
        batch=batch,
        documents=documents,
        notes=(f"Access request: {request.id}", f"Approved by {request.decided_by}"),
    )


def _purpose(code: str) -> str:
    return codes.code_lists()[codes.ACCESS_PURPOSE].label(code)


def _papers(services: Services, request: AccessRequest, package: Package) -> tuple[ExtraFile, ...]:
    """The request's metadata (JSON) and the authentication PDF (the archive's PDF writer)."""
    form = request.form
    metadata = {
        "requestId": request.id,
        "code": form.code,
        "requestedOn": form.requested_on.isoformat(),
        "purpose": {"code": form.purpose, "label": _purpose(form.purpose)},
        "topic": form.topic,
        "reader": request.reader,
        "readerName": form.reader_name,
        "requestedRecordIds": list(form.record_ids),
        "copiedRecordIds": [d.record_id for d in package.documents],
        "approvedBy": request.decided_by,
        "approvedAt": None if request.decided_at is None else request.decided_at.isoformat(),
        "package": package.objid,
    }
    text = json.dumps(metadata, ensure_ascii=False, indent=2).encode("utf-8")
    copies = tuple(
        CopiedDocument(
            number=f"{d.code_number}/{d.code_notation}" if d.code_number else d.code_notation,
            issued_on=d.issued_date,
            subject=d.subject,
            path=data_path(d.doc_id, d.media_type),
            sha256=d.sha256.lower(),
            size=d.size,
        )
        for d in package.documents
    )
    listing = authentication(
        request, _purpose(form.purpose), package.objid, vietnam_time(package.created), copies
    )
    pdf = services.renderer.render(listing, ExportFormat.PDF)
    return (
        ExtraFile(REQUEST_PATH, text, "application/json"),
        ExtraFile(AUTHENTICATION_PATH, pdf, "application/pdf"),
    )


async def prepare_download(
    services: Services, principal: Principal, client: ClientInfo, request_id: str
) -> packages.PreparedPackage:
    """``export`` into the data directory, with a short-lived download token for the caller."""
    exported = await export(services, principal, client, request_id, packages.download_dir(services))
    return packages.offer_download(services, principal, exported)
