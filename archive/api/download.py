"""The ``/download/{token}`` route: parse the token, call the download service, stream.

The token is checked first: a bad, expired or forged token, or one whose record is
gone, answers the same 404 whatever else the request says (its Range, its
If-None-Match). Then ``If-None-Match`` against the entity tag (the stored SHA-256)
may answer 304, and one ``Range`` answers 206 streamed from the blob store's ranged
read (416 when it lies past the end; see ``archive.api.ranges``). Each of those
outcomes is audited as a ``download.serve`` of the record.

The response streams the bytes and only then tells the service how the sending
ended (every byte, a read error, a client gone), so ``download.serve`` is audited
with its real outcome.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterator
from urllib.parse import quote

from starlette.concurrency import iterate_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from archive.api.ranges import Unsatisfiable, entity_tag, not_modified, requested_span
from archive.domain.errors import ArchiveError, NotFound
from archive.services.audit import ClientInfo
from archive.services.container import Services
from archive.services.download import Download, Span, find_download, finish_download, open_bytes

log = logging.getLogger(__name__)

UNSATISFIABLE = "RANGE_NOT_SATISFIABLE"
NO_STORE = {"Cache-Control": "no-store"}


async def serve(services: Services, request: Request) -> Response:
    """Answer one download request: the token first, then its conditions and range."""
    client = ClientInfo(
        ip=request.client.host if request.client else "", user_agent=request.headers.get("user-agent", "")
    )
    try:
        download = await find_download(services, request.path_params["token"])
    except NotFound:
        return JSONResponse({"error": "not found", "code": NotFound.code}, status_code=404, headers=NO_STORE)
    etag = entity_tag(download.sha256)
    headers = _headers(download, etag)
    if not_modified(request.headers.get("if-none-match"), etag):
        await finish_download(services, download, client=client, sent=0, failure=None, not_modified=True)
        return Response(status_code=304, headers=headers)
    try:
        span = requested_span(
            request.headers.get("range"), request.headers.get("if-range"), etag, download.size
        )
    except Unsatisfiable:
        await finish_download(services, download, client=client, sent=0, failure=UNSATISFIABLE)
        body = {"error": "the range lies past the end of the file", "code": UNSATISFIABLE}
        headers["Content-Range"] = f"bytes */{download.size}"
        return JSONResponse(body, status_code=416, headers=headers)
    try:
        chunks = await open_bytes(services, download, client=client, span=span)
    except ArchiveError as exc:
        log.warning("download could not be opened: %s", exc.message)
        body = {"error": "the file cannot be read now", "code": exc.code}
        return JSONResponse(body, status_code=503, headers=NO_STORE)

    async def finish(sent: int, failure: str | None) -> None:
        await finish_download(services, download, client=client, sent=sent, failure=failure, span=span)

    return AuditedStream(chunks, download, span, headers, finish)


def _headers(download: Download, etag: str) -> dict[str, str]:
    """What every answer about these bytes carries (200, 206, 304, 416)."""
    return {
        "ETag": etag,
        "Accept-Ranges": "bytes",
        # Bytes that are not public are never stored on the way; public ones may be,
        # but every use revalidates here (and is audited), answered 304 while current.
        "Cache-Control": "public, no-cache" if download.public else "private, no-store",
        "Content-Disposition": content_disposition(download.filename),
        "X-Content-Type-Options": "nosniff",
    }


class AuditedStream(StreamingResponse):
    """Streams a download (all of it, or one range), then reports the bytes sent and
    the failure, if any."""

    def __init__(
        self,
        chunks: Iterator[bytes],
        download: Download,
        span: Span | None,
        headers: dict[str, str],
        finish: Callable[[int, str | None], Awaitable[None]],
    ) -> None:
        length = download.size if span is None else span.length
        headers = {**headers, "Content-Length": str(length)}
        if span is not None:
            headers["Content-Range"] = f"bytes {span.start}-{span.last}/{download.size}"
        super().__init__(
            iterate_in_threadpool(chunks),
            status_code=200 if span is None else 206,
            media_type=download.media_type,
            headers=headers,
        )
        self._finish = finish
        self._sent = 0

    async def stream_response(self, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        async for chunk in self.body_iterator:
            data = chunk.encode() if isinstance(chunk, str) else bytes(chunk)
            await send({"type": "http.response.body", "body": data, "more_body": True})
            self._sent += len(data)
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        except Exception as exc:
            await self._finish(self._sent, _failure(exc))
            raise
        # A client that disconnects ends the stream without an exception: the count tells.
        await self._finish(self._sent, None)


def _failure(exc: Exception) -> str:
    if isinstance(exc, ArchiveError):
        return exc.code
    return type(exc).__name__[:100]


def content_disposition(filename: str) -> str:
    """``attachment`` with an ASCII fallback and the UTF-8 name (RFC 6266 / 5987)."""
    fallback = filename.encode("ascii", "replace").decode().replace('"', "_").replace("?", "_")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"
