"""The ``/download/{token}`` route: parse the token, call the download service, stream.

The response streams the bytes and only then tells the service how the sending
ended (every byte, a read error, a client gone), so ``download.serve`` is audited
with its real outcome.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from urllib.parse import quote

from starlette.concurrency import iterate_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from archive.domain.errors import ArchiveError, NotFound
from archive.services.audit import ClientInfo
from archive.services.container import Services
from archive.services.download import Download, finish_download, open_download

log = logging.getLogger(__name__)


async def serve(services: Services, request: Request) -> Response:
    """Answer one download request."""
    client = ClientInfo(
        ip=request.client.host if request.client else "", user_agent=request.headers.get("user-agent", "")
    )
    try:
        download = await open_download(services, request.path_params["token"], client=client)
    except NotFound:
        return JSONResponse({"error": "not found", "code": NotFound.code}, status_code=404)
    except ArchiveError as exc:
        log.warning("download could not be opened: %s", exc.message)
        return JSONResponse({"error": "the file cannot be read now", "code": exc.code}, status_code=503)

    async def finish(sent: int, failure: str | None) -> None:
        await finish_download(services, download, client=client, sent=sent, failure=failure)

    return AuditedStream(download, finish)


class AuditedStream(StreamingResponse):
    """Streams a download, then reports the bytes sent and the failure, if any."""

    def __init__(self, download: Download, finish: Callable[[int, str | None], Awaitable[None]]) -> None:
        super().__init__(
            iterate_in_threadpool(download.chunks),
            media_type=download.media_type,
            headers={
                "Content-Length": str(download.size),
                "Content-Disposition": content_disposition(download.filename),
                "Cache-Control": "private, no-store",
                "X-Content-Type-Options": "nosniff",
            },
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
