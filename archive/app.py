"""``create_app(settings)``: the ASGI application. Nothing is built at import time."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from typing import Any, cast
from urllib.parse import quote

from starlette.applications import Starlette
from starlette.concurrency import iterate_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET

from archive.api.context import Context
from archive.api.errors import with_code
from archive.api.gate import GraphQLGate
from archive.api.hardening import hardening_extensions
from archive.api.schema import build_schema
from archive.domain.access import UNRESTRICTED
from archive.domain.errors import NotFound
from archive.factory import build_services
from archive.services.audit import ClientInfo, audit
from archive.services.container import Services
from archive.services.identity import DEV_ADMIN, Caller
from archive.services.refusals import RefusalTally
from archive.services.worker import work_forever
from archive.settings import Settings
from indexing.extraction import warm_up

__all__ = ["DEV_ADMIN", "ArchiveGraphQL", "content_disposition", "create_app"]

log = logging.getLogger(__name__)


class ArchiveGraphQL(GraphQL[Context, None]):
    """The GraphQL endpoint, with a typed context per request.

    It sits behind ``GraphQLGate``, which has already resolved the caller. Only
    the graphql-transport-ws protocol could be offered for websockets, and none is:
    the route is HTTP-only and the schema has no subscriptions.
    """

    def __init__(self, services_ref: dict[str, Services], settings: Settings) -> None:
        super().__init__(
            build_schema(hardening_extensions(settings), production=settings.is_production),
            graphql_ide="graphiql" if not settings.is_production else None,
            allow_queries_via_get=False,
            multipart_uploads_enabled=True,
            subscription_protocols=(),
        )
        self._ref = services_ref

    async def run(self, request: Any, context: Any = UNSET, root_value: Any = UNSET) -> Any:
        try:
            return await super().run(request, context, root_value)
        finally:
            if isinstance(request, Request):
                # Closes multipart uploads too, even when the operation never reached a resolver.
                await request.close()

    async def get_context(self, request: Any, response: Any) -> Context:
        caller: Caller = request.state.caller
        client: ClientInfo = request.state.client
        return Context(
            services=self._ref["services"], principal=caller.principal, request=request, client=client
        )

    async def process_result(self, request: Any, result: ExecutionResult) -> GraphQLHTTPResponse:
        response = await super().process_result(request, result)
        for error in response.get("errors") or []:
            with_code(cast(dict[str, Any], error))
        return response

    def encode_json(self, data: object) -> str:
        # Vietnamese goes out as UTF-8, not as \u escapes (a third bigger, and unreadable in logs).
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def create_app(settings: Settings | None = None, *, services: Services | None = None) -> Starlette:
    """The service. Pass ``services`` to share already-built adapters (tests)."""
    settings = settings or (services.settings if services else Settings())
    ref: dict[str, Services] = {} if services is None else {"services": services}

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        owned = services is None
        ref["services"] = (
            services if services is not None else await asyncio.to_thread(build_services, settings)
        )
        await ref["services"].index.ensure_ready()
        if ref["services"].tokens is not None:
            # Fetch the identity provider's keys now, not during the first request.
            await asyncio.to_thread(ref["services"].tokens.prefetch)
        stop = asyncio.Event()
        worker = None
        if owned and settings.embedded_worker:
            await asyncio.to_thread(warm_up)  # the extraction zygote imports in the background
            worker = asyncio.create_task(work_forever(ref["services"], stop))
        flusher = asyncio.create_task(_flush_refusals(refusals, ref["services"], stop))
        try:
            yield
        finally:
            stop.set()
            await flusher
            if worker is not None:
                await worker
            await refusals.flush(ref["services"])  # the counts of the last windows
            if owned:
                await ref["services"].close()

    async def download(request: Request) -> Response:
        svc = ref["services"]
        try:
            claims = svc.links.check(request.path_params["token"], now=svc.clock())
        except NotFound:
            return JSONResponse({"error": "not found", "code": "NOT_FOUND"}, status_code=404)
        # The link was issued after a read check and names its record; it is the capability.
        record = await asyncio.to_thread(svc.records.get, claims.record_id, UNRESTRICTED)
        if record is None:
            return JSONResponse({"error": "not found", "code": "NOT_FOUND"}, status_code=404)
        client = ClientInfo(
            ip=request.client.host if request.client else "", user_agent=request.headers.get("user-agent", "")
        )
        await audit(
            svc, claims.subject, client, "download.serve", record.id, details={"size": record.file.size}
        )
        chunks = svc.blobs.iter_bytes(record.file.storage_key, version_id=record.file.version_id)
        return StreamingResponse(
            iterate_in_threadpool(chunks),
            media_type=record.file.media_type,
            headers={
                "Content-Length": str(record.file.size),
                "Content-Disposition": content_disposition(record.file.original_filename),
                "Cache-Control": "private, no-store",
                "X-Content-Type-Options": "nosniff",
            },
        )

    async def health(_request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    refusals = RefusalTally(window_seconds=settings.audit_refusal_window_seconds)
    graphql = GraphQLGate(ArchiveGraphQL(ref, settings), lambda: ref["services"], refusals=refusals)
    app = Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            Route("/download/{token}", download, methods=["GET"]),
            Route("/healthz", health, methods=["GET"]),
        ],
        lifespan=lifespan,
    )
    app.state.refusals = refusals  # tests flush it; the lifespan does in service
    return app


async def _flush_refusals(refusals: RefusalTally, services: Services, stop: asyncio.Event) -> None:
    """Write the counts of ended refusal windows even when no new refusal comes to do it."""
    period = services.settings.audit_refusal_window_seconds
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=period)
        await refusals.flush(services, now=services.clock())


def content_disposition(filename: str) -> str:
    """``attachment`` with an ASCII fallback and the UTF-8 name (RFC 6266 / 5987)."""
    fallback = filename.encode("ascii", "replace").decode().replace('"', "_").replace("?", "_")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"
