"""Use copies for readers (DIP, Circular 05/2025 Appendix V): which documents an approved
request yields, and the package made of them.

Check -> act -> audit: ``can_export_for_request`` decides who may make the DIP of a
request, ``can_copy_for_request`` which of its documents go in. A requested id that
names no record, or a record nobody may copy for this caller, is simply left out.
"""

from __future__ import annotations

import asyncio

from archive.domain.access import (
    UNRESTRICTED,
    Principal,
    Readable,
    can_copy_for_request,
    can_export_for_request,
)
from archive.domain.access_requests import AccessRequest
from archive.domain.audit import Outcome
from archive.domain.errors import Forbidden
from archive.domain.records import Record
from archive.services import access_requests
from archive.services.audit import ClientInfo, audit
from archive.services.container import Services

EXPORT = "package.export"


async def approved_request(
    services: Services, principal: Principal, client: ClientInfo, request_id: str
) -> AccessRequest:
    """The request, once the caller may make its DIP.

    Raises:
        NotFound: the caller may not see the request, or there is none.
        Forbidden: not approved, or the caller is neither its reader nor an archivist
            or admin (audited).
    """
    request = await access_requests.get(services, principal, request_id)
    if not can_export_for_request(principal, reader=request.reader, approved=request.approved):
        await audit(services, principal, client, EXPORT, request.id, Outcome.DENIED, {"kind": "DIP"})
        raise Forbidden("a DIP is made for an approved request, by its reader or an archivist")
    return request


def documents(services: Services, principal: Principal, request: AccessRequest) -> list[Record]:
    """The request's documents that go into the caller's DIP, in the order asked: those
    the caller may read, and for the reader those the approval covers. Blocking."""
    ids = list(request.form.record_ids)
    found = services.records.get_many(ids, UNRESTRICTED, with_pages=False)
    covered = request.approved
    return [
        found[i]
        for i in ids
        if i in found
        and can_copy_for_request(principal, Readable.of(found[i]), reader=request.reader, covered=covered)
    ]


async def dip_documents(
    services: Services, principal: Principal, client: ClientInfo, request_id: str
) -> tuple[AccessRequest, list[Record]]:
    """The approved request and the documents its DIP carries for ``principal``."""
    request = await approved_request(services, principal, client, request_id)
    return request, await asyncio.to_thread(documents, services, principal, request)
