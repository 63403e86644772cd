"""The operations routes: ``/livez`` (and ``/healthz``), ``/readyz``, ``/metrics``.

``/metrics`` exists only when ``ARCHIVE_METRICS_TOKEN`` is set, and answers only
``Authorization: Bearer <token>``: the figures name operations, agencies' load
and backup times, which are nobody else's business. A token rather than a
separate port because one listener is simpler to deploy, and the token travels
wherever the API goes (behind the same TLS).
"""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import Callable

from prometheus_client import CONTENT_TYPE_LATEST
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from archive.observability.metrics import StateCollector, TransferDeadlineCollector, render
from archive.observability.probes import Readiness
from archive.services import transfer
from archive.services.container import Services
from archive.services.worker import WorkerStatus, worker_name
from archive.settings import Settings


class OperationsRoutes:
    """The probes and the metrics of one API process."""

    def __init__(
        self,
        settings: Settings,
        services: Callable[[], Services],
        *,
        worker_status: WorkerStatus | None = None,
    ) -> None:
        self._settings = settings
        self._services = services
        self._worker_status = worker_status
        self._readiness: Readiness | None = None

    def routes(self) -> list[Route]:
        routes = [
            Route("/livez", self.livez, methods=["GET"]),
            Route("/healthz", self.livez, methods=["GET"]),  # the old name, kept for existing checks
            Route("/readyz", self.readyz, methods=["GET"]),
        ]
        if self._settings.metrics_enabled:
            routes.append(Route("/metrics", self.metrics, methods=["GET"]))
        return routes

    def close(self) -> None:
        if self._readiness is not None:
            self._readiness.close()

    async def livez(self, _request: Request) -> Response:
        """The process runs and its event loop answers; nothing else is checked."""
        return JSONResponse({"status": "ok"})

    async def readyz(self, _request: Request) -> Response:
        results = await self.readiness().check()
        ok = all(r.ok for r in results.values())
        body = {"status": "ok" if ok else "fail", "checks": {n: r.as_json() for n, r in results.items()}}
        return JSONResponse(body, status_code=200 if ok else 503, headers={"Cache-Control": "no-store"})

    async def metrics(self, request: Request) -> Response:
        if not self._authorized(request):
            return JSONResponse(
                {"error": "a valid metrics token is required", "code": "UNAUTHENTICATED"},
                status_code=401,
                headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
            )
        services = self._services()
        state = StateCollector(services.vitals.read, services.clock)
        deadlines = TransferDeadlineCollector(lambda: transfer.due_by_agency(services))
        body = await asyncio.to_thread(render, services.metrics, state, deadlines)
        return Response(body, media_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})

    def readiness(self) -> Readiness:
        """Built on first use: the services exist only once the lifespan has run."""
        if self._readiness is None:
            embedded = worker_name() if self._settings.embedded_worker else None
            self._readiness = Readiness(
                self._services(), embedded_worker_id=embedded, worker_status=self._worker_status
            )
        return self._readiness

    def _authorized(self, request: Request) -> bool:
        scheme, _, presented = request.headers.get("authorization", "").partition(" ")
        expected = self._settings.metrics_token.get_secret_value()
        matches = hmac.compare_digest(presented.strip().encode(), expected.encode())
        return scheme.lower() == "bearer" and matches
