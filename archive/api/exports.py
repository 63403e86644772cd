"""The export routes: the dossier list and a dossier's table of contents as files.

- ``GET /exports/fonds/{fondsCode}/dossiers?year=2026&format=pdf|xlsx|csv``
- ``GET /exports/dossiers/{dossierId}/contents?format=pdf|xlsx|csv``
- ``GET /exports/packages/{token}``: a transfer package made by ``exportTransferPackage``
- ``GET /exports/transfers/{batchId}/minutes``: a transfer batch's handover minutes (PDF)
- ``GET /exports/searches/{jobId}``: a finished export of a search's results (its owner only)

The caller is identified exactly as on ``/graphql`` (bearer token, API key, the
development admin, or the anonymous caller where the deployment allows it), and a
bad credential is refused with the same 401 and counted for the audit log. The
routes only parse, call ``archive.services.exports`` and map: NOT_FOUND is 404,
bad input 400 with its code, the file 200 with its media type and a Vietnamese
``Content-Disposition`` file name (RFC 6266 / 5987).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from archive.api.download import content_disposition
from archive.auth.errors import Unauthenticated
from archive.domain.errors import InvalidQuery, MetadataInvalid, NotFound, ServiceUnavailable
from archive.domain.listing import ExportFormat
from archive.services import result_exports, transfer
from archive.services.audit import ClientInfo
from archive.services.container import Services
from archive.services.exports import (
    ExportFile,
    export_dossier_contents,
    export_dossier_list,
    parse_format,
)
from archive.services.identity import Caller, identify
from archive.services.packages import package_file
from archive.services.refusals import RefusalTally

log = logging.getLogger(__name__)

DEFAULT_FORMAT = "pdf"


class ExportRoutes:
    """The two export routes, on the app's services and refusal tally."""

    def __init__(self, services: Callable[[], Services], *, refusals: RefusalTally) -> None:
        self._services = services
        self._refusals = refusals

    def routes(self) -> list[Route]:
        return [
            Route("/exports/fonds/{fonds_code}/dossiers", self.dossier_list, methods=["GET"]),
            Route("/exports/dossiers/{dossier_id}/contents", self.dossier_contents, methods=["GET"]),
            Route("/exports/packages/{token}", self.transfer_package, methods=["GET"]),
            Route("/exports/transfers/{batch_id}/minutes", self.transfer_minutes, methods=["GET"]),
            Route("/exports/searches/{job_id}", self.search_results, methods=["GET"]),
        ]

    async def transfer_package(self, request: Request) -> Response:
        """A transfer package prepared by ``exportTransferPackage``: the token is the credential
        (like ``/download/{token}``); the export itself was checked and audited when it was made."""
        services = self._services()
        try:
            path = await asyncio.to_thread(package_file, services, request.path_params["token"])
        except NotFound:
            return _problem(404, NotFound.code, "not found")
        return FileResponse(
            path,
            media_type="application/zip",
            filename=path.name,
            headers={"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"},
        )

    async def dossier_list(self, request: Request) -> Response:
        year_text = request.query_params.get("year", "")
        if not year_text.isascii() or not year_text.isdigit():
            return _problem(400, MetadataInvalid.code, "year: give the year as digits, e.g. year=2026")
        fonds_code = request.path_params["fonds_code"]

        async def run(services: Services, caller: Caller, client: ClientInfo) -> ExportFile:
            fmt = parse_format(request.query_params.get("format", DEFAULT_FORMAT))
            return await export_dossier_list(
                services, caller.principal, fonds_code, int(year_text), fmt, client=client
            )

        return await self._answer(request, run)

    async def dossier_contents(self, request: Request) -> Response:
        dossier_id = request.path_params["dossier_id"]

        async def run(services: Services, caller: Caller, client: ClientInfo) -> ExportFile:
            fmt = parse_format(request.query_params.get("format", DEFAULT_FORMAT))
            return await export_dossier_contents(services, caller.principal, dossier_id, fmt, client=client)

        return await self._answer(request, run)

    async def search_results(self, request: Request) -> Response:
        job_id = request.path_params["job_id"]

        async def run(services: Services, caller: Caller, client: ClientInfo) -> ExportFile:
            job, content = await result_exports.file(services, caller.principal, job_id)
            return ExportFile(job.filename or "export", job.format.media_type, content, rows=job.done)

        return await self._answer(request, run)

    async def transfer_minutes(self, request: Request) -> Response:
        batch_id = request.path_params["batch_id"]

        async def run(services: Services, caller: Caller, client: ClientInfo) -> ExportFile:
            name, content = await asyncio.to_thread(transfer.minutes, services, caller.principal, batch_id)
            return ExportFile(name, ExportFormat.PDF.media_type, content, rows=0)

        return await self._answer(request, run)

    async def _answer(
        self, request: Request, run: Callable[[Services, Caller, ClientInfo], Awaitable[ExportFile]]
    ) -> Response:
        services = self._services()
        peer = ClientInfo(
            ip=request.client.host if request.client else "", user_agent=request.headers.get("user-agent", "")
        )
        try:
            caller = await identify(services, request.headers)
        except Unauthenticated as exc:
            log.info("refused credentials: %s", exc.reason)
            await self._refusals.refuse(services, peer, exc.reason)
            response = _problem(401, Unauthenticated.code, Unauthenticated.MESSAGE)
            response.headers["WWW-Authenticate"] = 'Bearer realm="archive"'
            return response
        except ServiceUnavailable as exc:
            return _problem(503, exc.code, exc.message)
        request.state.caller = caller  # the request's log line names the actor
        client = ClientInfo(peer.ip, peer.user_agent, caller.api_key_id)
        try:
            exported = await run(services, caller, client)
        except NotFound:
            return _problem(404, NotFound.code, "not found")
        except (MetadataInvalid, InvalidQuery) as exc:
            return _problem(400, exc.code, exc.message)
        return _file_response(exported)


def _file_response(exported: ExportFile) -> Response:
    return Response(
        exported.content,
        media_type=exported.media_type,
        headers={
            "Content-Disposition": content_disposition(exported.filename),
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


def _problem(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": message, "code": code}, status_code=status)
