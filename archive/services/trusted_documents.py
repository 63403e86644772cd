"""Trusted documents: list GraphQL documents (admins), resolve a request's document id,
and admit or refuse a document under ``ARCHIVE_TRUSTED_DOCUMENTS``.

Listing: check (``manages_trusted_documents``) -> act (store the documents whose
declared id is their SHA-256; a manifest with one bad entry lists nothing) -> audit
(``operations.load``). Running: a request that names a document id gets its text;
where listed documents are required, a caller that may not run others
(``may_run_untrusted_documents``) is refused any document whose hash is not listed,
before any resolver runs. Nothing here depends on a record, so no answer says
anything about one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from archive.domain.access import Principal, manages_trusted_documents, may_run_untrusted_documents
from archive.domain.audit import Outcome
from archive.domain.errors import Forbidden
from archive.domain.trusted_documents import (
    DocumentNotTrusted,
    ManifestEntry,
    TrustedDocument,
    TrustedDocumentsMode,
    UnknownDocument,
    checked_entry,
    document_id,
    parse_document_id,
)
from archive.services.audit import ClientInfo, audit
from archive.services.container import Services


@dataclass(frozen=True, slots=True)
class LoadReport:
    """What ``load`` did: how many documents the manifest held, and how many were new."""

    documents: int
    added: int


async def load(
    services: Services, principal: Principal, entries: Sequence[ManifestEntry], *, client: ClientInfo
) -> LoadReport:
    """List every document of a manifest (all or none), as ``principal``.

    Raises:
        Forbidden: ``principal`` is not an admin (audited).
        BadManifest: an entry's id is not the SHA-256 of its document (nothing is listed).
    """
    if not manages_trusted_documents(principal):
        await audit(services, principal, client, "operations.load", "trusted_documents", Outcome.DENIED)
        raise Forbidden("only admins list trusted documents")
    now = services.clock()
    documents = [
        TrustedDocument(checked_entry(e.declared_id, e.text), e.text, e.name, now, principal.subject)
        for e in entries
    ]
    added = await asyncio.to_thread(services.trusted_documents.add, documents)
    details = {"documents": len(documents), "added": added}
    await audit(services, principal, client, "operations.load", "trusted_documents", details=details)
    return LoadReport(documents=len(documents), added=added)


async def listed(services: Services, principal: Principal) -> list[TrustedDocument]:
    """Every listed document, for admins.

    Raises:
        Forbidden: ``principal`` is not an admin.
    """
    if not manages_trusted_documents(principal):
        raise Forbidden("only admins list trusted documents")
    return await asyncio.to_thread(services.trusted_documents.all)


async def text_of(services: Services, requested_id: str) -> str:
    """The text of the document a request names by id.

    Raises:
        UnknownDocument: ids are off here, the id is malformed, or nothing is listed under it.
    """
    if services.settings.trusted_documents is TrustedDocumentsMode.OFF:
        raise UnknownDocument("this service does not take document ids (ARCHIVE_TRUSTED_DOCUMENTS=off)")
    parsed = parse_document_id(requested_id)
    found = None if parsed is None else await asyncio.to_thread(services.trusted_documents.get, parsed)
    if found is None:
        raise UnknownDocument("PersistedQueryNotFound: no listed document has this id")
    return found.text


async def admit(services: Services, principal: Principal, text: str) -> None:
    """Refuse ``text`` where listed documents are required of ``principal`` and it is not listed.

    Raises:
        DocumentNotTrusted: as above.
    """
    if services.settings.trusted_documents is not TrustedDocumentsMode.REQUIRED:
        return
    if may_run_untrusted_documents(principal):
        return
    if await asyncio.to_thread(services.trusted_documents.get, document_id(text)) is None:
        raise DocumentNotTrusted("this service runs only listed documents for this caller: send a documentId")
