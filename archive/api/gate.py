"""The door in front of ``/graphql``: transport rules, body limits and identity.

Before strawberry sees a request, the gate
- accepts POST with ``application/json``, or ``multipart/form-data`` for uploads,
  and GET only to open GraphiQL in development (no queries over GET: a GET can be
  triggered cross-site by a link or an image);
- refuses multipart without the ``X-Archive-Request`` header, in every mode: any web
  page can make a browser send a plain multipart form cross-site, but not a custom
  header without a CORS preflight, which this service never grants (CSRF; in
  development such a form would otherwise run as the local admin);
- refuses multipart uploads without a bearer token or API key; the development
  admin may upload without;
- caps the body from its Content-Length, before reading it: ``max_json_bytes`` for
  JSON, the upload limit (plus the form's own fields) for multipart;
- resolves the caller, answering every bad credential with the same 401 body and
  counting it for the audit log (``RefusalTally``: one entry per client address and
  reason per window, so refusals cannot grow the chain without bound);
- refuses multipart from a caller that may not deposit at all, before one byte of
  the body is read or spooled (the refusal is audited by the deposit service);
- refuses a caller whose rate-limit bucket is empty (429 ``RATE_LIMITED``, before the
  body is read), and charges the operation's cost to it (``archive.api.limits``);
- swaps in the listed text of a JSON request that names a trusted document by id
  (``archive.api.trusted``);
- marks every answer ``Cache-Control: no-store``.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from archive.api import limits
from archive.api.json_bodies import json_problem
from archive.api.trusted import UnknownDocument, with_document
from archive.auth.errors import Unauthenticated
from archive.domain.errors import Forbidden, ServiceUnavailable
from archive.services.audit import ClientInfo
from archive.services.container import Services
from archive.services.deposit import admits_uploads
from archive.services.identity import Caller, identify
from archive.services.rate_limits import RateLimiter
from archive.services.refusals import RefusalTally

log = logging.getLogger(__name__)

MULTIPART_OVERHEAD = 1024 * 1024  # the operations and map fields beside the file
REQUEST_HEADER = "x-archive-request"  # any value; its presence forces a CORS preflight


class BodyTooLarge(Exception):
    """The request body grew past its limit while it was being read."""


class GraphQLGate:
    """ASGI wrapper for the GraphQL view; puts the ``Caller`` and ``ClientInfo`` in ``scope["state"]``."""

    def __init__(
        self,
        app: ASGIApp,
        services: Callable[[], Services],
        *,
        refusals: RefusalTally,
        limiter: RateLimiter | None = None,
    ) -> None:
        self._app = app
        self._services = services
        self._refusals = refusals
        self._limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        send = _not_stored(send)
        if scope["type"] != "http":
            await _reply(send, 404, "NOT_FOUND", "not found")
            return
        services = self._services()
        headers = Headers(scope=scope)
        refusal = _transport_refusal(scope, headers, services)
        if refusal is not None:
            await _reply(send, *refusal)
            return
        client = _client_info(scope, headers)
        try:
            caller = await identify(services, headers)
        except Unauthenticated as exc:
            log.info("refused credentials: %s", exc.reason)
            await self._refusals.refuse(services, client, exc.reason)
            await _reply(send, 401, Unauthenticated.code, Unauthenticated.MESSAGE, www_authenticate=True)
            return
        except ServiceUnavailable as exc:
            await _reply(send, 503, exc.code, exc.message)
            return
        if _is_multipart(headers):
            refusal = await _upload_refusal(services, caller, client)
            if refusal is not None:
                await _reply(send, *refusal)
                return
        draw = None if self._limiter is None else self._limiter.draw(caller, client.ip)
        if draw is not None:
            assert self._limiter is not None
            refused = limits.refusal(self._limiter, draw)
            if refused is not None:
                extra = limits.headers(self._limiter, draw, refused[0])
                await _reply(send, 429, limits.RATE_LIMITED, refused[1], extra=extra)
                return
            send = limits.charged(send, scope, self._limiter, draw, services.metrics)
        state = scope.setdefault("state", {})
        state["caller"] = caller
        state["client"] = ClientInfo(client.ip, client.user_agent, caller.api_key_id)
        limit = _body_limit(headers, services)
        try:
            if not _is_multipart(headers):
                body = await _read_body(_capped(receive, limit))
                problem = json_problem(body)
                if problem is not None:
                    log.info("malformed JSON request refused: %s", problem)
                    await _reply(send, 400, "MALFORMED_JSON", problem)
                    return
                try:
                    body = await with_document(services, body)
                except UnknownDocument as exc:
                    await _reply(send, 400, exc.code, exc.message)
                    return
                receive = _replay(body, receive)
            await self._app(scope, _capped(receive, limit), send)
        except BodyTooLarge:
            await _reply(send, 413, "BODY_TOO_LARGE", f"the request body is larger than {limit} bytes")


def _transport_refusal(scope: Scope, headers: Headers, services: Services) -> tuple[int, str, str] | None:
    method = scope["method"]
    if method == "GET":
        if services.settings.is_production or scope.get("query_string"):
            return 405, "METHOD_NOT_ALLOWED", "send GraphQL as a JSON POST"
        return None  # GraphiQL, in development
    if method != "POST":
        return 405, "METHOD_NOT_ALLOWED", "send GraphQL as a JSON POST"
    media_type = headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type not in ("application/json", "multipart/form-data"):
        return 415, "UNSUPPORTED_MEDIA_TYPE", "send GraphQL as application/json (multipart only for uploads)"
    if media_type == "multipart/form-data" and not headers.get(REQUEST_HEADER):
        return 400, "REQUEST_HEADER_REQUIRED", "multipart requests need the X-Archive-Request header"
    declared = headers.get("content-length")
    limit = _body_limit(headers, services)
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        return 413, "BODY_TOO_LARGE", f"the request body is larger than {limit} bytes"
    return None


async def _upload_refusal(
    services: Services, caller: Caller, client: ClientInfo
) -> tuple[int, str, str] | None:
    if caller.credential not in ("bearer", "apikey", "dev"):
        return 403, "CREDENTIALS_REQUIRED", "uploads need a bearer token or an API key"
    described = ClientInfo(client.ip, client.user_agent, caller.api_key_id).describe()
    if not await asyncio.to_thread(admits_uploads, services, caller.principal, client=described):
        return 403, Forbidden.code, "this caller may not deposit"
    return None


def _is_multipart(headers: Headers) -> bool:
    return headers.get("content-type", "").lower().startswith("multipart/form-data")


def _body_limit(headers: Headers, services: Services) -> int:
    if _is_multipart(headers):
        # Several files per record: the body may carry up to the per-record total.
        settings = services.settings
        return max(settings.max_upload_bytes, settings.max_record_bytes) + MULTIPART_OVERHEAD
    return services.settings.max_json_bytes


def _capped(receive: Receive, limit: int) -> Receive:
    """``receive`` that raises BodyTooLarge once more than ``limit`` body bytes arrive
    (a chunked body has no Content-Length to check up front)."""
    seen = 0

    async def wrapped() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise BodyTooLarge
        return message

    return wrapped


async def _read_body(receive: Receive) -> bytes:
    """The whole body of a JSON request (already capped at ``max_json_bytes``)."""
    parts: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(parts)
        parts.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(parts)


def _replay(body: bytes, receive: Receive) -> Receive:
    """``receive`` that hands the already-read body over once, then defers to the client."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


def _not_stored(send: Send) -> Send:
    """``send`` that marks every answer ``Cache-Control: no-store``: a GraphQL answer is
    what one caller may see, so no cache on the way may keep it for another."""

    async def marked(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"cache-control"]
            message = {**message, "headers": [*headers, (b"cache-control", b"no-store")]}
        await send(message)

    return marked


def _client_info(scope: Scope, headers: Headers) -> ClientInfo:
    peer = scope.get("client")
    return ClientInfo(ip=peer[0] if peer else "", user_agent=headers.get("user-agent", ""))


async def _reply(
    send: Send,
    status: int,
    code: str,
    message: str,
    *,
    www_authenticate: bool = False,
    extra: list[tuple[bytes, bytes]] | None = None,
) -> None:
    body = json.dumps({"errors": [{"message": message, "extensions": {"code": code}}]}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    headers.extend(extra or [])
    if www_authenticate:
        headers.append((b"www-authenticate", b'Bearer realm="archive"'))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
