"""Downloads: issuing a short-lived link to a record's bytes, and serving a link.

Issue: check (the caller may read the record; otherwise it does not exist) ->
act (a presigned URL, or a signed token for the API's own route) -> audit
(``download.issue``). Serve: the token is the capability (it was issued after a
read check and names its record) -> open the bytes -> stream -> audit
``download.serve`` with how the sending REALLY ended, after the last byte or the
failure, never before.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from archive.domain.access import UNRESTRICTED, Principal, ReadScope
from archive.domain.audit import Outcome
from archive.domain.errors import ArchiveError, NotFound
from archive.domain.records import download_filename
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
class Download:
    """An opened download: the headers' facts and the bytes, not yet sent."""

    record_id: str
    subject: str  # who the link was issued to: the actor of the audit entry
    filename: str  # cleaned, with the extension of the detected media type
    media_type: str
    size: int
    chunks: Iterator[bytes]


async def issue_link(
    services: Services, principal: Principal, record_id: str, *, client: ClientInfo, base_url: str = ""
) -> DownloadLink:
    """A short-lived link to the original bytes, audited. NotFound when the record is
    missing or unreadable: the two look the same, and neither is audited."""
    scope = ReadScope.for_principal(principal)
    record = await asyncio.to_thread(services.records.get, record_id, scope)
    if record is None:
        raise NotFound("no such record")
    now = services.clock()
    ttl = timedelta(seconds=services.settings.download_url_ttl_seconds)
    url = await asyncio.to_thread(
        services.blobs.presigned_get_url,
        record.file.storage_key,
        version_id=record.file.version_id,
        expires=ttl,
        download_name=download_filename(record.file.original_filename, record.file.media_type),
        media_type=record.file.media_type,
    )
    if url is not None:
        link = DownloadLink(url=url, expires_at=now + ttl)
    else:
        token, expires = services.links.issue(record.id, principal.subject, now=now, ttl=ttl)
        base = (services.settings.public_base_url or base_url).rstrip("/")
        link = DownloadLink(url=f"{base}/download/{token}", expires_at=expires)
    details = {"expires_at": link.expires_at.isoformat()}
    await audit(services, principal, client, "download.issue", record.id, details=details)
    services.metrics.downloads.labels("issued").inc()
    return link


async def open_download(services: Services, token: str, *, client: ClientInfo) -> Download:
    """The record behind a download token, with its bytes opened.

    Raises:
        NotFound: a bad, altered or expired token, or a record that is gone (not audited
            for a bad token: it names nothing).
        BytesUnavailable: the record is there but its bytes cannot be opened (audited as
            a failed serve, with the store's error code).
    """
    claims = services.links.check(token, now=services.clock())
    record = await asyncio.to_thread(services.records.get, claims.record_id, UNRESTRICTED)
    if record is None:
        raise NotFound("no such download")
    try:
        chunks = await asyncio.to_thread(
            services.blobs.iter_bytes, record.file.storage_key, version_id=record.file.version_id
        )
    except ArchiveError as exc:
        await _audit_serve(services, claims.subject, client, record.id, record.file.size, 0, exc.code)
        raise BytesUnavailable(f"the bytes of record {record.id} cannot be read: {exc.code}") from exc
    return Download(
        record_id=record.id,
        subject=claims.subject,
        filename=download_filename(record.file.original_filename, record.file.media_type),
        media_type=record.file.media_type,
        size=record.file.size,
        chunks=chunks,
    )


async def finish_download(
    services: Services, download: Download, *, client: ClientInfo, sent: int, failure: str | None
) -> None:
    """Audit how serving ``download`` ended: ok only when every byte went out."""
    if failure is None and sent != download.size:
        failure = "INCOMPLETE"
    await _audit_serve(services, download.subject, client, download.record_id, download.size, sent, failure)


async def _audit_serve(
    services: Services,
    subject: str,
    client: ClientInfo,
    record_id: str,
    size: int,
    sent: int,
    failure: str | None,
) -> None:
    details: dict[str, str | int] = {"size": size, "sent": sent}
    if failure is not None:
        details["reason"] = failure
    outcome = Outcome.OK if failure is None else Outcome.ERROR
    await audit(services, subject, client, "download.serve", record_id, outcome, details)
    if failure is None:
        services.metrics.downloads.labels("served").inc()
