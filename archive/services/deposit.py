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
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
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
from archive.domain.records import (
    Record,
    RecordMetadata,
    StoredFile,
    TextStatus,
    clean_filename,
    validate_metadata,
)
from archive.services.audit import append
from archive.services.container import Services
from archive.services.crash import crash_point
from archive.services.relations import link_arrived
from indexing.extraction.inspection import inspect_document

CHUNK = 1024 * 1024


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
    """Server-generated key. The original file name never enters it."""
    return f"records/{record_id[:2]}/{record_id}"


def admits_uploads(services: Services, principal: Principal, *, client: str = "") -> bool:
    """Whether the caller may send an upload at all: asked before the body is read, so
    a reader cannot make the server parse and spool 200 MiB. A refusal is audited.
    Blocking."""
    if may_deposit(principal):
        return True
    _audit(services, principal, "upload", Outcome.DENIED, {"code": Forbidden.code}, client)
    return False


def deposit(
    services: Services,
    principal: Principal,
    source: BinaryIO,
    *,
    filename: str,
    metadata: RecordMetadata,
    agency_code: str | None = None,
    client: str = "",
) -> Record:
    """Archive one document for ``principal``. Blocking: call it from a worker thread.

    Either the bytes, the row and the job are all written, or no row is; a blob
    whose row failed is deleted here (or found later by ``archive reconcile``).

    Raises:
        Forbidden: not a clerk of the owning agency (nor an admin), or a classification
            above the depositor's clearance.
        MetadataInvalid, FileRejected: bad input, nothing written.
        DuplicateRecord: the agency holds the same bytes in a record the depositor may read.
    """
    owner = agency_code or metadata.issuing_agency_code
    return _deposit(
        services, principal, source, filename, metadata, owner, client, allowed=can_write(principal, owner)
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
    return _deposit(services, principal, source, filename, metadata, agency_code, client, allowed=True)


def _deposit(
    services: Services,
    principal: Principal,
    source: BinaryIO,
    filename: str,
    metadata: RecordMetadata,
    owner: str,
    client: str,
    *,
    allowed: bool,
) -> Record:
    try:
        _check(principal, owner, metadata, allowed=allowed)
        record = _archive(services, principal, source, filename, metadata, owner)
    except Forbidden as exc:
        _audit(services, principal, f"agency:{owner}", Outcome.DENIED, {"code": exc.code}, client)
        raise
    except DuplicateRecord as exc:
        details = {"code": exc.code, "agency": owner}
        _audit(services, principal, exc.existing_id, Outcome.ERROR, details, client)
        raise
    except (MetadataInvalid, FileRejected) as exc:
        details = {"code": exc.code, "agency": owner}
        if isinstance(exc, MetadataInvalid):
            details["field"] = exc.field
        _audit(services, principal, f"agency:{owner}", Outcome.ERROR, details, client)
        raise
    _audit(services, principal, record.id, Outcome.OK, {"agency": record.agency_code}, client)
    link_arrived(services, record)  # references declared before this document arrived
    return record


def _check(principal: Principal, owner: str, metadata: RecordMetadata, *, allowed: bool) -> None:
    if not allowed:
        raise Forbidden(f"you may not deposit for agency {owner}")
    if not can_classify(principal, metadata.classification):
        raise Forbidden("you may not deposit a record classified above your clearance")


def _archive(
    services: Services,
    principal: Principal,
    source: BinaryIO,
    filename: str,
    metadata: RecordMetadata,
    owner: str,
) -> Record:
    now = services.clock()
    metadata = validate_metadata(metadata, today=now.date())
    with spool(
        source, services.settings.data_dir / "tmp", max_bytes=services.settings.max_upload_bytes
    ) as up:
        # Only a copy the depositor may read is a duplicate; any other match must
        # look exactly like no match, so the deposit goes on as a new record.
        existing = services.records.find_by_sha256(owner, up.sha256, ReadScope.for_principal(principal))
        if existing is not None:
            raise DuplicateRecord(up.sha256, existing.id)
        info = inspect_document(up.path)
        record_id = str(uuid.uuid4())
        key = storage_key(record_id)
        with up.path.open("rb") as handle:
            version = services.blobs.put(
                key, handle, size=up.size, sha256=up.sha256, media_type=info.media_type
            )
        crash_point(services.settings, "upload")
    record = Record(
        id=record_id,
        agency_code=owner,
        fonds_id=default_fonds_id(owner),  # an archivist files it elsewhere later
        metadata=_with_page_count(metadata, info.page_count),
        file=StoredFile(
            storage_key=key,
            sha256=up.sha256,
            size=up.size,
            media_type=info.media_type,
            original_filename=clean_filename(filename),
            version_id=version,
        ),
        created_at=now,
        updated_at=now,
        text_status=TextStatus.PENDING,
    )
    try:
        services.records.add(record)
    except BaseException:
        _discard_blob(services, key)
        raise
    crash_point(services.settings, "commit")
    return record


def _audit(
    services: Services,
    principal: Principal,
    target: str,
    outcome: Outcome,
    details: dict[str, str],
    client: str,
) -> None:
    append(
        services,
        actor=principal.subject,
        action="record.deposit",
        target=target,
        outcome=outcome,
        details=details,
        client=client,
    )


def _with_page_count(metadata: RecordMetadata, pages: int | None) -> RecordMetadata:
    return metadata if metadata.page_count or not pages else replace(metadata, page_count=pages)


def _discard_blob(services: Services, key: str) -> None:
    # On failure the blob is left for `archive reconcile`, which reports blobs without a row.
    with contextlib.suppress(ArchiveError):
        services.blobs.delete_all_versions(key)
