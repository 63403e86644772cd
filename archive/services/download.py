"""Downloads: issuing a short-lived link to a record's bytes, and serving a link.

Issue: check (the caller may read the record; otherwise it does not exist) ->
act (a presigned URL, or a signed token for the API's own route) -> audit
(``download.issue``). Serve: the token is the capability (it was issued after a
read check and names its record) -> find the record -> open the bytes (all, or
one range) -> stream -> audit ``download.serve`` with how the sending REALLY
ended, after the last byte or the failure, never before. A conditional request
answered "not modified" and a range refused as unsatisfiable are audited too:
every use of a token that names a record leaves one entry.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from archive.domain.access import UNRESTRICTED, Principal, ReadScope
from archive.domain.audit import Outcome
from archive.domain.errors import ArchiveError, NotFound
from archive.domain.records import Record, StoredFile, download_filename
from archive.services.audit import ClientInfo, audit
from archive.services.container import Services


class BytesUnavailable(ArchiveError):
    """A valid link whose record's bytes cannot be read now (missing, locked, store down)."""

    code = "BYTES_UNAVAILABLE"


@dataclass(frozen=True, slots=True)
class DownloadLink:
    """Where to GET the bytes, until when."""

    url: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class Span:
    """A part of the bytes (an HTTP range): ``length`` bytes from offset ``start``."""

    start: int
    length: int

    @property
    def last(self) -> int:
        """The offset of the last byte (inclusive, as HTTP counts)."""
        return self.start + self.length - 1


@dataclass(frozen=True, slots=True)
class Download:
    """A download found behind a valid token: the headers' facts, no bytes opened yet."""

    record_id: str
    subject: str  # who the link was issued to: the actor of the audit entry
    filename: str  # cleaned, with the extension of the detected media type
    media_type: str
    size: int
    sha256: str  # of the stored bytes: the download's entity tag
    public: bool  # published as public: the only bytes shared caches may keep
    storage_key: str
    version_id: str | None


async def issue_link(
    services: Services,
    principal: Principal,
    record_id: str,
    *,
    client: ClientInfo,
    base_url: str = "",
    file_id: str | None = None,
    version: int | None = None,
) -> DownloadLink:
    """A short-lived link to the original bytes of one file of the record (the main
    file's current version by default), audited. NotFound when the record is missing or
    unreadable, or has no such file or version: they look the same, and none is audited."""
    scope = ReadScope.for_principal(principal)
    record = await asyncio.to_thread(services.records.get, record_id, scope)
    if record is None:
        raise NotFound("no such record")
    stored = file_version(record, file_id, version)
    now = services.clock()
    ttl = timedelta(seconds=services.settings.download_url_ttl_seconds)
    url = await asyncio.to_thread(
        services.blobs.presigned_get_url,
        stored.storage_key,
        version_id=stored.version_id,
        expires=ttl,
        download_name=download_filename(stored.original_filename, stored.media_type),
        media_type=stored.media_type,
    )
    if url is not None:
        link = DownloadLink(url=url, expires_at=now + ttl)
    else:
        token, expires = services.links.issue(
            record.id, principal.subject, now=now, ttl=ttl, file_id=file_id, version=version
        )
        base = (services.settings.public_base_url or base_url).rstrip("/")
        link = DownloadLink(url=f"{base}/download/{token}", expires_at=expires)
    details = {"expires_at": link.expires_at.isoformat(), **_file_details(file_id, version)}
    await audit(services, principal, client, "download.issue", record.id, details=details)
    services.metrics.downloads.labels("issued").inc()
    return link


def file_version(record: Record, file_id: str | None, version: int | None) -> StoredFile:
    """The stored bytes of one version of one file of ``record``: by default the main
    file's current version. NotFound when the record has no such file or version."""
    if file_id is None and version is None:
        return record.file
    wanted = file_id or record.id
    file = next((f for f in record.files if f.id == wanted), None)
    found = None if file is None else file.version(version)
    if found is None:
        raise NotFound("no such record")
    return found.stored


def _file_details(file_id: str | None, version: int | None) -> dict[str, str]:
    details = {} if file_id is None else {"file": file_id}
    return details if version is None else {**details, "version": str(version)}


async def find_download(services: Services, token: str) -> Download:
    """The record behind a download token, its bytes not opened yet.

    Raises:
        NotFound: a bad, altered or expired token, or a record (or file) that is gone (not
            audited for a bad token: it names nothing). Checked before anything else about
            the request (its range, its entity tags), so every such token answers alike.
    """
    claims = services.links.check(token, now=services.clock())
    record = await asyncio.to_thread(services.records.get, claims.record_id, UNRESTRICTED)
    if record is None:
        raise NotFound("no such download")
    try:
        stored = file_version(record, claims.file_id, claims.version)
    except NotFound:
        raise NotFound("no such download") from None
    return Download(
        record_id=record.id,
        subject=claims.subject,
        filename=download_filename(stored.original_filename, stored.media_type),
        media_type=stored.media_type,
        size=stored.size,
        sha256=stored.sha256,
        public=record.is_public,
        storage_key=stored.storage_key,
        version_id=stored.version_id,
    )


async def open_bytes(
    services: Services, download: Download, *, client: ClientInfo, span: Span | None = None
) -> Iterator[bytes]:
    """The bytes of ``download`` (all of them, or ``span``), streamed from the blob store.

    Raises:
        BytesUnavailable: the bytes cannot be opened (audited as a failed serve, with the
            store's error code).
    """
    key, version = download.storage_key, download.version_id
    try:
        if span is None:
            return await asyncio.to_thread(services.blobs.iter_bytes, key, version_id=version)
        return await asyncio.to_thread(
            services.blobs.iter_range, key, start=span.start, length=span.length, version_id=version
        )
    except ArchiveError as exc:
        await finish_download(services, download, client=client, sent=0, failure=exc.code, span=span)
        message = f"the bytes of record {download.record_id} cannot be read: {exc.code}"
        raise BytesUnavailable(message) from exc


async def finish_download(
    services: Services,
    download: Download,
    *,
    client: ClientInfo,
    sent: int,
    failure: str | None,
    span: Span | None = None,
    not_modified: bool = False,
) -> None:
    """Audit how serving ``download`` ended: ok only when every byte asked for went out
    (none for a client whose copy is current, ``not_modified``)."""
    expected = 0 if not_modified else (download.size if span is None else span.length)
    if failure is None and sent != expected:
        failure = "INCOMPLETE"
    details: dict[str, str | int] = {"size": download.size, "sent": sent}
    if span is not None:
        details["range"] = f"{span.start}-{span.last}"
    if not_modified:
        details["not_modified"] = 1
    await _audit_serve(services, download, client, details, failure)


async def _audit_serve(
    services: Services,
    download: Download,
    client: ClientInfo,
    details: dict[str, str | int],
    failure: str | None,
) -> None:
    if failure is not None:
        details["reason"] = failure
    outcome = Outcome.OK if failure is None else Outcome.ERROR
    await audit(services, download.subject, client, "download.serve", download.record_id, outcome, details)
    if failure is None:
        services.metrics.downloads.labels("served").inc()
