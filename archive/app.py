"""``create_app(settings)``: the ASGI application. Nothing is built at import time."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from typing import Any, cast

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET

from archive.api.context import Context
from archive.api.cors import cors_middleware
from archive.api.download import content_disposition
from archive.api.download import serve as serve_download
from archive.api.errors import with_code
from archive.api.exports import ExportRoutes
from archive.api.gate import GraphQLGate
from archive.api.hardening import hardening_extensions
from archive.api.ide import ide_routes
from archive.api.ide import page as ide_page
from archive.api.media import GRAPHQL_RESPONSE, is_request_error, prefers_graphql_response
from archive.api.observer import OperationObserver
from archive.api.previews import preview_route
from archive.api.schema import build_schema
from archive.domain.errors import Outage
from archive.domain.heartbeats import WorkerKind
from archive.factory import build_served_services
from archive.observability.logs import configure_logging
from archive.observability.metrics import Metrics
from archive.observability.requests import RequestObserver
from archive.observability.routes import OperationsRoutes
from archive.services.audit import ClientInfo
from archive.services.backoff import Backoff
from archive.services.container import Services
from archive.services.identity import DEV_ADMIN, Caller
from archive.services.rate_limits import RateLimiter
from archive.services.refusals import RefusalTally
from archive.services.startup import StartupStep, prepared_in_background
from archive.services.supervisor import supervise
from archive.services.worker import WorkerStatus, work_forever
from archive.settings import Settings
from indexing.extraction import warm_up

__all__ = ["DEV_ADMIN", "ArchiveGraphQL", "content_disposition", "create_app"]

log = logging.getLogger(__name__)

# What a 503 suggests to clients: about the worker's longest wait between retries.
RETRY_AFTER_SECONDS = 5
OUTAGE_CODES = frozenset(error.code for error in Outage.__subclasses__())


class ArchiveGraphQL(GraphQL[Context, None]):
    """The GraphQL endpoint, with a typed context per request.

    It sits behind ``GraphQLGate``, which has already resolved the caller. Only
    the graphql-transport-ws protocol could be offered for websockets, and none is:
    the route is HTTP-only and the schema has no subscriptions.
    """

    def __init__(self, services_ref: dict[str, Services], settings: Settings) -> None:
        super().__init__(
            build_schema(
                [OperationObserver, *hardening_extensions(settings)], production=settings.is_production
            ),
            graphql_ide="graphiql" if not settings.is_production else None,
            allow_queries_via_get=False,
            multipart_uploads_enabled=True,
            subscription_protocols=(),
        )
        self._ref = services_ref

    async def run(self, request: Any, context: Any = UNSET, root_value: Any = UNSET) -> Any:
        try:
            response = await super().run(request, context, root_value)
            request_error = getattr(request.state, "request_error", None)
            if request_error is not None and isinstance(response, Response):
                # The client asked for the GraphQL response type: see archive/api/media.py.
                response.headers["content-type"] = f"{GRAPHQL_RESPONSE}; charset=utf-8"
                if request_error and response.status_code == 200:
                    response.status_code = 400
            return response
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
        metrics = self._ref["services"].metrics
        for error in response.get("errors") or []:
            coded = cast(dict[str, Any], error)
            with_code(coded)
            metrics.refused(coded["extensions"]["code"])
        request_id = getattr(request.state, "request_id", None) if isinstance(request, Request) else None
        if request_id:
            response["extensions"] = {**(response.get("extensions") or {}), "requestId": request_id}
        if isinstance(request, Request) and prefers_graphql_response(request.headers.get("accept")):
            request.state.request_error = is_request_error(result)
            if request.state.request_error:
                response.pop("data", None)  # "data" is absent when execution never started
        return response

    def create_response(
        self, response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse], sub_response: Response
    ) -> Response:
        response = super().create_response(response_data, sub_response)
        if _outage_in(response_data):
            # A service the operation needed is down: 503 tells clients and load
            # balancers to try again, unlike a 200 with an error they might not read.
            response.status_code = 503
            response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response

    async def render_graphql_ide(self, request: Request) -> HTMLResponse:
        return ide_page()  # served with its assets from this origin: works offline

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
        steps: list[StartupStep]
        if services is None:
            # Nothing is contacted here: a server down at start-up is waited for in the
            # background (see archive.services.startup) while /livez and /readyz answer.
            ref["services"], steps = await asyncio.to_thread(build_served_services, settings)
        else:
            ref["services"], steps = services, [StartupStep("search_index", services.index.ensure_ready)]
        if ref["services"].tokens is not None:
            # Fetch the identity provider's keys now, not during the first request.
            await asyncio.to_thread(ref["services"].tokens.prefetch)
        stop = asyncio.Event()
        worker = None
        if owned and settings.embedded_worker:
            await asyncio.to_thread(warm_up)  # the extraction zygote imports in the background
        flusher = asyncio.create_task(_flush_refusals(refusals, ref["services"], stop))
        backoff = Backoff(base=settings.worker_retry_base_seconds, cap=settings.worker_retry_cap_seconds)
        try:
            async with prepared_in_background(steps, backoff):
                # Started once the first try of development migrations is over: a worker
                # that claimed jobs meanwhile met a half-made schema and crashed.
                if owned and settings.embedded_worker:
                    worker = asyncio.create_task(_embedded_worker(ref["services"], stop, status))
                yield
        finally:
            stop.set()
            await flusher
            if worker is not None:
                await worker
            await refusals.flush(ref["services"])  # the counts of the last windows
            operations.close()
            if owned:
                await ref["services"].close()

    async def download(request: Request) -> Response:
        return await serve_download(ref["services"], request)

    refusals = RefusalTally(window_seconds=settings.audit_refusal_window_seconds)
    graphql = GraphQLGate(
        ArchiveGraphQL(ref, settings),
        lambda: ref["services"],
        refusals=refusals,
        limiter=RateLimiter(settings),
    )
    # The embedded worker's state, for the readiness probe; None when this process runs no worker.
    status = WorkerStatus() if services is None and settings.embedded_worker else None
    operations = OperationsRoutes(settings, lambda: ref["services"], worker_status=status)
    app = Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            Route("/download/{token}", download, methods=["GET"]),
            Route("/previews/{token}", preview_route(lambda: ref["services"]), methods=["GET"]),
            *ExportRoutes(lambda: ref["services"], refusals=refusals).routes(),
            *ide_routes(settings),
            *operations.routes(),
        ],
        middleware=[
            *cors_middleware(settings),
            Middleware(RequestObserver, metrics=lambda: _metrics_of(ref)),
        ],
        lifespan=lifespan,
        exception_handlers={Outage: _service_unavailable},
    )
    app.state.worker_status = status
    app.state.refusals = refusals  # tests flush it; the lifespan does in service
    return app


async def _embedded_worker(services: Services, stop: asyncio.Event, status: WorkerStatus | None) -> None:
    """The worker inside ``archive serve``, supervised: restarted whenever its loop dies."""
    assert status is not None  # built with the worker, in create_app
    s = services.settings
    backoff = Backoff(base=s.worker_retry_base_seconds, cap=s.worker_retry_cap_seconds)
    await supervise(
        lambda: work_forever(services, stop, status=status, kind=WorkerKind.EMBEDDED), stop, status, backoff
    )


async def _flush_refusals(refusals: RefusalTally, services: Services, stop: asyncio.Event) -> None:
    """Write the counts of ended refusal windows even when no new refusal comes to do it."""
    period = services.settings.audit_refusal_window_seconds
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=period)
        await refusals.flush(services, now=services.clock())


async def _service_unavailable(_request: Request, error: Exception) -> Response:
    """A backing service down outside a GraphQL operation (downloads, identity, audit):
    503 with the error's code, never a 500 with a traceback."""
    assert isinstance(error, Outage)
    body = {"error": error.message, "code": error.code}
    return JSONResponse(body, status_code=503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


def _outage_in(response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse]) -> bool:
    responses = response_data if isinstance(response_data, list) else [response_data]
    codes = {
        str(cast(dict[str, Any], error).get("extensions", {}).get("code"))
        for response in responses
        for error in response.get("errors") or []
    }
    return not codes.isdisjoint(OUTAGE_CODES)


def _metrics_of(ref: dict[str, Services]) -> Metrics | None:
    services = ref.get("services")
    return None if services is None else services.metrics


def create_served_app() -> Starlette:
    """``archive serve``'s factory: uvicorn calls it in every web worker process, so
    each configures its logging before building the app."""
    settings = Settings()
    configure_logging(settings)
    return create_app(settings)
