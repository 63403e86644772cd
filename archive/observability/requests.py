"""The request middleware: a request id for every HTTP request, and its log line.

The id is the caller's ``X-Request-Id`` when it is a sane one (a proxy's, so one
id follows the request through every hop), else a new one. It goes back in the
``X-Request-Id`` header, into every log record written while the request runs,
and into GraphQL responses as ``extensions.requestId``.

The log line, one per request, says who (actor, API key id), what (method, path
with any download token cut out, GraphQL operation name), how it ended (status,
refusal code) and how long it took. Never a body, a header value or a token.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from archive.observability.logs import REQUEST_ID
from archive.observability.metrics import Metrics

log = logging.getLogger("archive.request")

HEADER = "X-Request-Id"
_SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")
_ERROR_BODY_LIMIT = 4096  # refusals from the gate are small JSON bodies
_TOKEN_PATH = re.compile(r"^/download/[^/]+")


class RequestObserver:
    """ASGI middleware; ``metrics`` gives the process's instruments once they are built."""

    def __init__(self, app: ASGIApp, metrics: Callable[[], Metrics | None]) -> None:
        self._app = app
        self._metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        request_id = request_id_of(Headers(scope=scope))
        scope.setdefault("state", {})["request_id"] = request_id
        token = REQUEST_ID.set(request_id)
        exchange = _Exchange(request_id)
        started = time.perf_counter()
        try:
            await self._app(scope, receive, exchange.wrap(send))
        finally:
            self._finish(scope, exchange, time.perf_counter() - started)
            REQUEST_ID.reset(token)

    def _finish(self, scope: Scope, exchange: _Exchange, seconds: float) -> None:
        codes = exchange.refusal_codes() if scope["path"] == "/graphql" else []
        metrics = self._metrics()
        if metrics is not None:
            for code in codes:
                metrics.refused(code)
        log.info("request", extra=_fields(scope, exchange.status, seconds, codes))


def request_id_of(headers: Headers) -> str:
    """The caller's id when it is sane, else a new one."""
    offered = headers.get(HEADER.lower(), "")
    return offered if _SANE_ID.match(offered) else uuid.uuid4().hex


class _Exchange:
    """What the middleware sees of the response: its status and, for refusals, the body."""

    def __init__(self, request_id: str) -> None:
        self._request_id = request_id
        self.status = 500  # until the app starts a response
        self._error_body = bytearray()

    def wrap(self, send: Send) -> Send:
        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.status = message["status"]
                MutableHeaders(scope=message).append(HEADER, self._request_id)
            elif message["type"] == "http.response.body" and self.status >= 400:
                room = _ERROR_BODY_LIMIT - len(self._error_body)
                self._error_body += message.get("body", b"")[: max(room, 0)]
            await send(message)

        return wrapped

    def refusal_codes(self) -> list[str]:
        """The ``extensions.code`` of each error in a refused request's body."""
        if self.status < 400 or not self._error_body:
            return []
        try:
            errors = json.loads(self._error_body).get("errors") or []
            return [str(e["extensions"]["code"]) for e in errors if isinstance(e, dict)]
        except (ValueError, AttributeError, KeyError, TypeError):
            return [f"HTTP_{self.status}"]


def _fields(scope: Scope, status: int, seconds: float, codes: list[str]) -> dict[str, Any]:
    state: dict[str, Any] = scope.get("state") or {}
    caller = state.get("caller")
    fields: dict[str, Any] = {
        "method": scope["method"],
        "path": _TOKEN_PATH.sub("/download/{token}", scope["path"]),
        "status": status,
        "duration_ms": round(seconds * 1000, 2),
    }
    if caller is not None:
        fields["actor"] = caller.principal.subject
        fields["credential"] = caller.credential
        if caller.api_key_id:
            fields["api_key_id"] = caller.api_key_id
    if "operation" in state:
        fields["operation"] = state["operation"]
    if codes:
        fields["codes"] = codes
    return fields
