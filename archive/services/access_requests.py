"""Readers' requests for copies: submit, see, approve or refuse (check -> act -> audit).

The rules are in ``archive.domain.access`` (``can_request_access``,
``can_see_access_request``, ``can_decide_access_request``); this module applies them.
A request the caller may not see answers NotFound, like one that does not exist.
"""

from __future__ import annotations

import asyncio
import uuid

from archive.domain.access import (
    UNRESTRICTED,
    Principal,
    Readable,
    can_decide_access_request,
    can_request_access,
    can_see_access_request,
    sees_every_access_request,
)
from archive.domain.access_requests import (
    AccessRequest,
    RequestForm,
    RequestStatus,
    checked_form,
    checked_note,
)
from archive.domain.audit import DetailValue, Outcome
from archive.domain.errors import Forbidden, InvalidQuery, NotFound, RequestDecided
from archive.services.audit import ClientInfo, audit
from archive.services.container import Services

SUBMIT = "access_request.submit"
APPROVE = "access_request.approve"
REFUSE = "access_request.refuse"


async def submit(
    services: Services, principal: Principal, client: ClientInfo, form: RequestForm
) -> AccessRequest:
    """Store a new request from ``principal``; the ids are kept as given (never checked
    against what exists, which would tell the reader).

    Raises:
        Forbidden: an anonymous caller (audited).
        MetadataInvalid: a field of the form, named.
    """
    if not can_request_access(principal):
        await audit(services, principal, client, SUBMIT, "access_request", Outcome.DENIED)
        raise Forbidden("sign in to ask for copies of archival documents")
    checked = checked_form(form)
    request = AccessRequest(
        id=str(uuid.uuid4()), form=checked, reader=principal.subject, created_at=services.clock()
    )
    await asyncio.to_thread(services.access_requests.add, request)
    details: dict[str, DetailValue] = {
        "code": checked.code,
        "ids": ",".join(checked.record_ids),
        "count": len(checked.record_ids),
    }
    await audit(services, principal, client, SUBMIT, request.id, details=details)
    return request


async def get(services: Services, principal: Principal, request_id: str) -> AccessRequest:
    """One request the caller may see.

    Raises:
        NotFound: no such request, or one the caller may not see (the same answer).
    """
    request = await asyncio.to_thread(services.access_requests.get, request_id)
    if request is None or not can_see_access_request(principal, request.reader):
        raise NotFound(f"no access request {request_id[:40]}")
    return request


async def listed(services: Services, principal: Principal, *, first: int) -> list[AccessRequest]:
    """The requests the caller may see, newest first: its own, or every one for those
    who decide requests."""
    limit = services.settings.max_page_size
    if not 1 <= first <= limit:
        raise InvalidQuery(f"first must be between 1 and {limit}")
    if principal.anonymous:
        return []
    reader = None if sees_every_access_request(principal) else principal.subject
    return await asyncio.to_thread(services.access_requests.list, reader=reader, first=first)


async def decide(
    services: Services,
    principal: Principal,
    client: ClientInfo,
    request_id: str,
    *,
    approve: bool,
    note: str = "",
) -> AccessRequest:
    """Approve or refuse a pending request.

    Raises:
        NotFound: the caller may not see the request, or it does not exist.
        Forbidden: the caller may not decide it: not an archivist or admin, its own
            request, or a document it may not read (or that names nothing) (audited).
        RequestDecided: decided already.
    """
    action = APPROVE if approve else REFUSE
    request = await get(services, principal, request_id)
    readable = await asyncio.to_thread(_readables, services, request.form.record_ids)
    if not can_decide_access_request(principal, reader=request.reader, records=readable):
        await audit(services, principal, client, action, request.id, Outcome.DENIED)
        raise Forbidden(
            "a request is decided by an archivist or admin other than its reader, "
            "who may read every document it names"
        )
    status = RequestStatus.APPROVED if approve else RequestStatus.REFUSED
    decided = await asyncio.to_thread(
        services.access_requests.decide,
        request.id,
        status=status,
        by=principal.subject,
        at=services.clock(),
        note=checked_note(note),
    )
    if decided is None:
        raise RequestDecided(f"access request {request.id} was decided already ({request.status.value})")
    details: dict[str, DetailValue] = {
        "code": request.form.code,
        "ids": ",".join(request.form.record_ids),
        "count": len(readable),
    }
    await audit(services, principal, client, action, request.id, details=details)
    return decided


def _readables(services: Services, record_ids: tuple[str, ...]) -> list[Readable | None]:
    """Each requested id's read facts, None for an id that names no record. Blocking."""
    found = services.records.get_many(list(record_ids), UNRESTRICTED, with_pages=False)
    return [Readable.of(found[i]) if i in found else None for i in record_ids]
