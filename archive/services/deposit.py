"""Deposit: check the depositor, spool and check the upload, store the bytes, then ONE
transaction writes the record and its processing job. The heavy work happens in the worker.

Check -> act -> audit all happen here: every deposit, refused, rejected, duplicate or
archived, leaves one ``record.deposit`` entry. A duplicate is named only when the
depositor may read it; bytes that match a record it may not read are archived as a
new record, exactly as if nothing matched.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from archive.domain.access import Principal, ReadScope, can_classify, can_write, may_deposit
from archive.domain.archival import default_fonds_id
from archive.domain.audit import Outcome
from archive.domain.errors import (
    ArchiveError,
    DuplicateRecord,
    FileRejected,
    FileTooLarge,
    Forbidden,
    MetadataInvalid,
)
from archive.domain.files import (
    DOCUMENT_ROLES,
    FileRole,
    FileVersion,
    RecordFile,
    check_roles,
    file_key,
    record_prefix,
)
from archive.domain.records import (
    Record,
    RecordMetadata,
    StoredFile,
    TextStatus,
    clean_filename,
    validate_metadata,
)
from archive.services.audit import append_for
from archive.services.container import Services
from archive.services.crash import crash_point
from archive.services.relations import link_arrived
from indexing.extraction.inspection import inspect_attachment, inspect_document, opaque_media_type

CHUNK = 1024 * 1024
DEPOSIT = "record.deposit"  # the audit action of every deposit, refused or not


@dataclass(frozen=True, slots=True)
class Spooled:
    """An upload copied to a private temp file, with its size and SHA-256."""

    path: Path
    size: int
    sha256: str


@contextmanager
def spool(source: BinaryIO, directory: Path, *, max_bytes: int) -> Iterator[Spooled]:
    """Copy ``source`` to a temp file in chunks, hashing on the way; never more than
    ``max_bytes`` (FileTooLarge), never the whole file in memory."""
    directory.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix="upload-", dir=directory)
    path = Path(name)
    try:
        digest, size = hashlib.sha256(), 0
        with os.fdopen(fd, "wb") as out:
            while chunk := source.read(CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise FileTooLarge(f"the file is larger than the limit of {max_bytes} bytes")
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            raise FileRejected("the file is empty")
        yield Spooled(path=path, size=size, sha256=digest.hexdigest())
    finally:
        path.unlink(missing_ok=True)


def storage_key(record_id: str) -> str:
    """Server-generated key of a record's main file. The original file name never enters it."""
    return record_prefix(record_id)


def admits_uploads(services: Services, principal: Principal, *, client: str = "") -> bool:
    """Whether the caller may send an upload at all: asked before the body is read, so
    a reader cannot make the server parse and spool 200 MiB. A refusal is audited.
    Blocking."""
    if may_deposit(principal):
        return True
    append_for(services, principal, DEPOSIT, "upload", Outcome.DENIED, {"code": Forbidden.code}, client)
    return False


@dataclass(frozen=True, slots=True)
class Upload:
    """One file of a deposit: its bytes, the name it was sent under, its role."""

    source: BinaryIO
    filename: str
    role: FileRole = FileRole.MAIN


def deposit(
    services: Services,
    principal: Principal,
    source: BinaryIO,
    *,
    filename: str,
    metadata: RecordMetadata,
    agency_code: str | None = None,
    client: str = "",
    others: Sequence[Upload] = (),
) -> Record:
    """Archive one document for ``principal``: ``source`` is its main file, ``others``
    its appendices, attachments and source package. Blocking: call it from a worker thread.

    Either every file, the row and the job are all written, or no row is; blobs
    stored before a failure are deleted here (or found later by ``archive reconcile``).

    Raises:
        Forbidden: not a clerk of the owning agency (nor an admin), or a classification
            above the depositor's clearance.
        MetadataInvalid, FileRejected: bad input (a file, its role, a limit), nothing written.
        DuplicateRecord: the agency holds the same main file in a record the depositor may read.
    """
    owner = agency_code or metadata.issuing_agency_code
    uploads = [Upload(source, filename, FileRole.MAIN), *others]
    return _deposit(
        services, principal, uploads, metadata, owner, client, allowed=can_write(principal, owner)
    )


def deposit_files(
    services: Services,
    principal: Principal,
    uploads: Sequence[Upload],
    *,
    metadata: RecordMetadata,
    agency_code: str | None = None,
    client: str = "",
) -> Record:
    """``deposit`` with every file given with its role (exactly one MAIN). Blocking."""
    owner = agency_code or metadata.issuing_agency_code
    return _deposit(
        services, principal, uploads, metadata, owner, client, allowed=can_write(principal, owner)
    )


def deposit_authorised(
    services: Services,
    principal: Principal,
    source: BinaryIO,
    *,
    filename: str,
    metadata: RecordMetadata,
    agency_code: str,
    client: str = "",
) -> Record:
    """Archive a document for a use case whose own rule already allowed the caller to
    deposit it for ``agency_code`` (a disposition batch's papers: ``can_attach_paper``).
    Everything else is ``deposit``'s: the clearance check, validation, the duplicate
    check, one transaction, the audit entry. Blocking."""
    uploads = [Upload(source, filename, FileRole.MAIN)]
    return _deposit(services, principal, uploads, metadata, agency_code, client, allowed=True)


def _deposit(
    services: Services,
    principal: Principal,
    uploads: Sequence[Upload],
    metadata: RecordMetadata,
    owner: str,
    client: str,
    *,
    allowed: bool,
) -> Record:
    try:
        _check(principal, owner, metadata, allowed=allowed)
        record = _archive(services, principal, uploads, metadata, owner)
    except Forbidden as exc:
        details = {"code": exc.code}
        append_for(services, principal, DEPOSIT, f"agency:{owner}", Outcome.DENIED, details, client)
        raise
    except DuplicateRecord as exc:
        details = {"code": exc.code, "agency": owner}
        append_for(services, principal, DEPOSIT, exc.existing_id, Outcome.ERROR, details, client)
        raise
    except (MetadataInvalid, FileRejected) as exc:
        details = {"code": exc.code, "agency": owner}
        if isinstance(exc, MetadataInvalid):
            details["field"] = exc.field
        append_for(services, principal, DEPOSIT, f"agency:{owner}", Outcome.ERROR, details, client)
        raise
    details = {"agency": record.agency_code}
    if len(record.files) > 1:
        details["files"] = str(len(record.files))
    append_for(services, principal, DEPOSIT, record.id, Outcome.OK, details, client)
    link_arrived(services, record)  # references declared before this document arrived
    return record


def _check(principal: Principal, owner: str, metadata: RecordMetadata, *, allowed: bool) -> None:
    if not allowed:
        raise Forbidden(f"you may not deposit for agency {owner}")
    if not can_classify(principal, metadata.classification):
        raise Forbidden("you may not deposit a record classified above your clearance")


@dataclass(frozen=True, slots=True)
class _Checked:
    """A spooled upload, identified: what it is and how many pages it has."""

    upload: Upload
    spooled: Spooled
    media_type: str
    page_count: int | None


def _archive(
    services: Services,
    principal: Principal,
    uploads: Sequence[Upload],
    metadata: RecordMetadata,
    owner: str,
) -> Record:
    now = services.clock()
    metadata = validate_metadata(metadata, today=now.date())
    check_roles([u.role for u in uploads], limit=services.settings.max_record_files)
    with contextlib.ExitStack() as stack:
        checked = _spool_all(services, stack, uploads)
        main = next(c for c in checked if c.upload.role is FileRole.MAIN)
        # Only a copy the depositor may read is a duplicate; any other match must
        # look exactly like no match, so the deposit goes on as a new record.
        scope = ReadScope.for_principal(principal)
        existing = services.records.find_by_sha256(owner, main.spooled.sha256, scope)
        if existing is not None:
            raise DuplicateRecord(main.spooled.sha256, existing.id)
        record_id = str(uuid.uuid4())
        files = _store_all(services, record_id, checked, principal, now)
    crash_point(services.settings, "upload")
    record = Record(
        id=record_id,
        agency_code=owner,
        fonds_id=default_fonds_id(owner),  # an archivist files it elsewhere later
        metadata=_with_page_count(metadata, main.page_count),
        file=files[0].stored,
        files=files,
        created_at=now,
        updated_at=now,
        text_status=TextStatus.PENDING,
    )
    try:
        services.records.add(record)
    except BaseException:
        _discard_blobs(services, [f.stored.storage_key for f in files])
        raise
    crash_point(services.settings, "commit")
    return record


def _spool_all(services: Services, stack: contextlib.ExitStack, uploads: Sequence[Upload]) -> list[_Checked]:
    """Spool and identify every upload, main file first, within the per-file and
    per-record limits; nothing is stored yet, so a refusal leaves nothing behind."""
    settings = services.settings
    checked: list[_Checked] = []
    total = 0
    several = len(uploads) > 1
    ordered = sorted(uploads, key=lambda u: u.role is not FileRole.MAIN)
    for number, upload in enumerate(ordered, start=1):
        # A record may always hold one file of the largest size allowed per file.
        left = max(settings.max_record_bytes, settings.max_upload_bytes) - total
        try:
            up = stack.enter_context(
                spool(
                    upload.source, settings.data_dir / "tmp", max_bytes=min(settings.max_upload_bytes, left)
                )
            )
        except FileRejected as exc:
            raise _naming(
                exc, number, upload, several, record_limit=left < settings.max_upload_bytes
            ) from exc
        total += up.size
        try:
            checked.append(_identify(upload, up))
        except FileRejected as exc:
            raise _naming(exc, number, upload, several, record_limit=False) from exc
    return checked


def _naming(
    exc: FileRejected, number: int, upload: Upload, several: bool, *, record_limit: bool
) -> FileRejected:
    """The refusal, naming the file when the deposit has several (and the record's limit)."""
    if not several and not record_limit:
        return exc
    where = f"file {number} ({upload.role.value}, {clean_filename(upload.filename)!r})"
    message = exc.message
    if isinstance(exc, FileTooLarge) and record_limit:
        message = "the files together are larger than the record's limit"
    return type(exc)(f"{where}: {message}")


def _identify(upload: Upload, up: Spooled) -> _Checked:
    if upload.role in DOCUMENT_ROLES:
        info = inspect_document(up.path)
        return _Checked(upload, up, info.media_type, info.page_count)
    found = inspect_attachment(up.path)
    if found is None:
        return _Checked(upload, up, opaque_media_type(up.path), None)
    return _Checked(upload, up, found.media_type, found.page_count)


def _store_all(
    services: Services, record_id: str, checked: Sequence[_Checked], principal: Principal, now: datetime
) -> tuple[RecordFile, ...]:
    """Put every file; on any failure delete those already stored and re-raise."""
    files: list[RecordFile] = []
    try:
        for ordinal, item in enumerate(checked):
            file_id = record_id if item.upload.role is FileRole.MAIN else str(uuid.uuid4())
            stored = _put(services, file_key(record_id, file_id, 1), item)
            version = FileVersion(number=1, stored=stored, created_at=now, created_by=principal.subject)
            files.append(RecordFile(file_id, record_id, item.upload.role, ordinal, (version,)))
    except BaseException:
        _discard_blobs(services, [f.stored.storage_key for f in files])
        raise
    return tuple(files)


def _put(services: Services, key: str, item: _Checked) -> StoredFile:
    up = item.spooled
    with up.path.open("rb") as handle:
        version = services.blobs.put(key, handle, size=up.size, sha256=up.sha256, media_type=item.media_type)
    return StoredFile(
        storage_key=key,
        sha256=up.sha256,
        size=up.size,
        media_type=item.media_type,
        original_filename=clean_filename(item.upload.filename),
        version_id=version,
    )


def _with_page_count(metadata: RecordMetadata, pages: int | None) -> RecordMetadata:
    return metadata if metadata.page_count or not pages else replace(metadata, page_count=pages)


def _discard_blobs(services: Services, keys: Sequence[str]) -> None:
    # A blob that cannot be deleted is left for `archive reconcile`, which reports blobs
    # without a row.
    for key in keys:
        with contextlib.suppress(ArchiveError):
            services.blobs.delete_all_versions(key)
