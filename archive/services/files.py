"""File versions: a corrected file becomes a new version of the same record file.

Check -> act -> audit: the caller must be allowed to correct the record
(``can_add_file_version``); the new bytes are spooled and checked like a deposit's,
stored under a key of their own (``archive.domain.files.file_key``: written once,
never over an earlier version), then ONE transaction adds the version, bumps the
record's row version and enqueues its reprocessing (seal, verify, extract, index), so
search shows the current version. Each attempt on a record the caller may read leaves
one ``record.file_version`` entry; a record it may not read answers NotFound exactly
like a missing one, and is not audited (as for downloads).
"""

from __future__ import annotations

import contextlib
import uuid
from pathlib import Path
from typing import BinaryIO

from archive.domain.access import Principal, Readable, ReadScope, can_add_file_version
from archive.domain.audit import Outcome
from archive.domain.errors import (
    ArchiveError,
    DuplicateRecord,
    FileRejected,
    Forbidden,
    MetadataInvalid,
    NotFound,
)
from archive.domain.files import DOCUMENT_ROLES, VERSION_REASON_MAX, FileVersion, RecordFile, file_key
from archive.domain.records import Record, StoredFile, clean_filename, nfc
from archive.services.audit import append_for
from archive.services.container import Services
from archive.services.deposit import spool
from indexing.extraction.inspection import inspect_attachment, inspect_document, opaque_media_type

ACTION = "record.file_version"


def add_file_version(
    services: Services,
    principal: Principal,
    record_id: str,
    file_id: str,
    source: BinaryIO,
    *,
    filename: str,
    reason: str,
    client: str = "",
) -> tuple[Record, RecordFile]:
    """Store ``source`` as the next version of file ``file_id`` of the record. Blocking.

    Raises:
        NotFound: no such record or file, or a record the caller may not read.
        Forbidden: the caller may read the record but not correct it.
        MetadataInvalid: no reason, or one too long.
        FileRejected: empty, too large, the wrong type for the file's role, or the same
            bytes as the current version; nothing is written.
        DuplicateRecord: a new main file repeating another record's bytes.
    """
    record = services.records.get(record_id, ReadScope.for_principal(principal))
    file = None if record is None else next((f for f in record.files if f.id == file_id), None)
    if record is None or file is None:
        raise NotFound("no such record file")
    try:
        return _add(services, principal, record, file, source, filename, reason, client)
    except (Forbidden, MetadataInvalid, FileRejected, DuplicateRecord) as exc:
        outcome = Outcome.DENIED if isinstance(exc, Forbidden) else Outcome.ERROR
        details = {"code": exc.code, "file": file.id}
        append_for(services, principal, ACTION, record.id, outcome, details, client)
        raise


def _add(
    services: Services,
    principal: Principal,
    record: Record,
    file: RecordFile,
    source: BinaryIO,
    filename: str,
    reason: str,
    client: str,
) -> tuple[Record, RecordFile]:
    if not can_add_file_version(principal, Readable.of(record)):
        raise Forbidden("you may not correct this record's files")
    why = nfc(reason)
    if not why or len(why) > VERSION_REASON_MAX:
        raise MetadataInvalid("reason", f"is required, at most {VERSION_REASON_MAX} characters")
    number = file.current.number + 1
    key = file_key(record.id, file.id, number, nonce=uuid.uuid4().hex[:12])
    with spool(
        source, services.settings.data_dir / "tmp", max_bytes=services.settings.max_upload_bytes
    ) as up:
        if up.sha256 == file.stored.sha256:
            raise FileRejected("the file is the same as its current version")
        media_type = _media_type(file, up.path)
        with up.path.open("rb") as handle:
            version_id = services.blobs.put(
                key, handle, size=up.size, sha256=up.sha256, media_type=media_type
            )
    stored = StoredFile(key, up.sha256, up.size, media_type, clean_filename(filename), version_id)
    version = FileVersion(number, stored, services.clock(), principal.subject, why)
    try:
        updated = services.records.add_file_version(file, version)
    except BaseException:
        with contextlib.suppress(ArchiveError):  # else `archive reconcile` reports it
            services.blobs.delete_all_versions(key)
        raise
    details = {"file": file.id, "version": str(number), "sha256": up.sha256}
    append_for(services, principal, ACTION, record.id, Outcome.OK, details, client)
    return updated, next(f for f in updated.files if f.id == file.id)


def _media_type(file: RecordFile, path: Path) -> str:
    """What the new version is; a main file or appendix must stay a readable document."""
    if file.role in DOCUMENT_ROLES:
        return inspect_document(path).media_type
    found = inspect_attachment(path)
    return opaque_media_type(path) if found is None else found.media_type
