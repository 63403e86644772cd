"""Trusted documents on the GraphQL surface: a request that names a document by id, and
the guard that refuses unlisted documents where they are required.

A JSON request may carry ``documentId`` (``"sha256:<hex>"``, the GraphQL-over-HTTP
persisted-documents form) or Apollo's ``extensions.persistedQuery.sha256Hash``
instead of ``query``: the gate swaps in the listed text before strawberry reads the
body (``with_document``). The guard (``TrustedDocumentsGuard``) then runs on every
operation, JSON or multipart, after validation and before any resolver, like the
cost limit: it refuses with ``TRUSTED_DOCUMENT_REQUIRED`` a document whose hash is
not listed, where listed documents are required of the caller.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from graphql import ExecutionResult, GraphQLError
from strawberry.extensions import SchemaExtension

from archive.api.context import Context
from archive.domain.trusted_documents import DocumentNotTrusted, UnknownDocument
from archive.services.container import Services
from archive.services.trusted_documents import admit, text_of


async def with_document(services: Services, body: bytes) -> bytes:
    """``body`` with the text of the document it names by id; unchanged when it names
    none or carries its own ``query``.

    Raises:
        UnknownDocument: the id names no listed document (or ids are off).
    """
    if b"documentId" not in body and b"persistedQuery" not in body:
        return body  # the usual request: no second parse
    try:
        request = json.loads(body)
    except ValueError:
        return body  # the gate has already checked; strawberry answers anything else
    requested = _requested_id(request)
    if requested is None:
        return body
    request["query"] = await text_of(services, requested)
    return json.dumps(request, ensure_ascii=False).encode("utf-8")


def _requested_id(request: Any) -> str | None:
    if not isinstance(request, dict) or request.get("query") is not None:
        return None
    named = request.get("documentId")
    if isinstance(named, str):
        return named
    extensions = request.get("extensions")
    persisted = extensions.get("persistedQuery") if isinstance(extensions, dict) else None
    digest = persisted.get("sha256Hash") if isinstance(persisted, dict) else None
    return digest if isinstance(digest, str) else None


class TrustedDocumentsGuard(SchemaExtension):
    """Refuses an unlisted document where ``ARCHIVE_TRUSTED_DOCUMENTS=required`` asks
    listed ones of the caller; nothing runs then."""

    async def on_execute(self) -> AsyncIterator[None]:
        execution = self.execution_context
        context = execution.context
        if isinstance(context, Context) and execution.query is not None:
            try:
                await admit(context.services, context.principal, execution.query)
            except DocumentNotTrusted as exc:
                # A result set here makes strawberry skip execution (see archive.api.cost).
                refusal = GraphQLError(exc.message, extensions={"code": exc.code})
                execution.result = ExecutionResult(data=None, errors=[refusal])
        yield


__all__ = ["TrustedDocumentsGuard", "UnknownDocument", "with_document"]
