"""GraphQL slice of readers' requests for copies (DIP): submit, list, approve, refuse.

Resolvers parse, call ``archive.services.access_requests`` and map; the rules live in
``archive.domain.access``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import strawberry

from archive.api.context import Context
from archive.api.transfer import TransferPackage
from archive.domain import access_requests as dr
from archive.services import access_requests, dip

Info = strawberry.Info[Context, None]

strawberry.enum(
    dr.RequestStatus, description="Where a reader's request stands: PENDING, then APPROVED or REFUSED, once."
)


@strawberry.input(description="A reader's request for copies of archival documents (phiếu yêu cầu).")
class AccessRequestInput:
    code: str = strawberry.field(description="The request's own number (số phiếu), at most 60 characters.")
    requested_on: date = strawberry.field(description="The date on the request.")
    purpose: str = strawberry.field(description="Purpose of use: a code of the list access_purpose (01-04).")
    topic: str = strawberry.field(description="The research topic (đề tài), at most 500 characters.")
    reader_name: str = strawberry.field(description="The reader's full name, as the copies will name it.")
    record_ids: list[str] = strawberry.field(description="The documents asked for (record ids), 1 to 200.")


@strawberry.type(description="A reader's request for copies, and the decision on it once made.")
class AccessRequest:
    id: str = strawberry.field(description="The request's id (UUID).")
    code: str = strawberry.field(description="The request's own number.")
    requested_on: date = strawberry.field(description="The date on the request.")
    purpose: str = strawberry.field(description="Purpose of use (code list access_purpose).")
    topic: str = strawberry.field(description="The research topic.")
    reader: str = strawberry.field(description="The subject of the reader who asked.")
    reader_name: str = strawberry.field(description="The reader's full name.")
    record_ids: list[str] = strawberry.field(description="The documents asked for, as the reader gave them.")
    status: dr.RequestStatus = strawberry.field(description="Pending, approved or refused.")
    decided_by: str | None = strawberry.field(description="Who approved or refused it; null while pending.")
    decided_at: datetime | None = strawberry.field(description="When; null while pending.")
    note: str = strawberry.field(description="The decision's note.")
    created_at: datetime = strawberry.field(description="When the request was submitted.")

    @classmethod
    def from_domain(cls, request: dr.AccessRequest) -> AccessRequest:
        form = request.form
        return cls(
            id=request.id,
            code=form.code,
            requested_on=form.requested_on,
            purpose=form.purpose,
            topic=form.topic,
            reader=request.reader,
            reader_name=form.reader_name,
            record_ids=list(form.record_ids),
            status=request.status,
            decided_by=request.decided_by,
            decided_at=request.decided_at,
            note=request.note,
            created_at=request.created_at,
        )


@strawberry.type
class AccessRequestQueries:
    @strawberry.field(
        description=(
            "Readers' requests for copies, newest first: a reader sees its own, archivists and admins all."
        )
    )
    async def access_requests(
        self, info: Info, first: Annotated[int, strawberry.argument(description="At most this many.")] = 20
    ) -> list[AccessRequest]:
        ctx = info.context
        found = await access_requests.listed(ctx.services, ctx.principal, first=first)
        return [AccessRequest.from_domain(r) for r in found]

    @strawberry.field(description="One request, if the caller may see it (its reader, archivists, admins).")
    async def access_request(
        self, info: Info, id: Annotated[str, strawberry.argument(description="The request's id.")]
    ) -> AccessRequest:
        ctx = info.context
        return AccessRequest.from_domain(await access_requests.get(ctx.services, ctx.principal, id))


async def _decide(info: Info, request_id: str, *, approve: bool, note: str) -> AccessRequest:
    """approveAccessRequest and refuseAccessRequest: one decision, the rule and audit in the service."""
    ctx = info.context
    decided = await access_requests.decide(
        ctx.services, ctx.principal, ctx.client, request_id, approve=approve, note=note
    )
    return AccessRequest.from_domain(decided)


@strawberry.type
class AccessRequestMutations:
    @strawberry.mutation(description="Ask for copies of archival documents (anyone signed in).")
    async def submit_access_request(
        self,
        info: Info,
        input: Annotated[AccessRequestInput, strawberry.argument(description="The request.")],
    ) -> AccessRequest:
        ctx = info.context
        form = dr.RequestForm(
            code=input.code,
            requested_on=input.requested_on,
            purpose=input.purpose,
            topic=input.topic,
            reader_name=input.reader_name,
            record_ids=tuple(input.record_ids),
        )
        created = await access_requests.submit(ctx.services, ctx.principal, ctx.client, form)
        return AccessRequest.from_domain(created)

    @strawberry.mutation(
        description=(
            "Approve a pending request: an archivist or admin other than its reader, who may read every "
            "document it names (FORBIDDEN otherwise; REQUEST_DECIDED if decided already)."
        )
    )
    async def approve_access_request(
        self,
        info: Info,
        id: Annotated[str, strawberry.argument(description="The request's id.")],
        note: Annotated[str, strawberry.argument(description="The decision's note.")] = "",
    ) -> AccessRequest:
        return await _decide(info, id, approve=True, note=note)

    @strawberry.mutation(description="Refuse a pending request (same rule as approving).")
    async def refuse_access_request(
        self,
        info: Info,
        id: Annotated[str, strawberry.argument(description="The request's id.")],
        note: Annotated[str, strawberry.argument(description="Why.")] = "",
    ) -> AccessRequest:
        return await _decide(info, id, approve=False, note=note)

    @strawberry.mutation(
        description=(
            "Write the use package (DIP, Circular 05/2025 Appendix V) of an approved request: copies of the "
            "documents the approval covers (the reader's) or the caller may read (an archivist's), the "
            "request's metadata and an authentication PDF. Audited as package.export."
        )
    )
    async def export_dip(
        self, info: Info, request_id: Annotated[str, strawberry.argument(description="The request's id.")]
    ) -> TransferPackage:
        ctx = info.context
        prepared = await dip.prepare_download(ctx.services, ctx.principal, ctx.client, request_id)
        return TransferPackage.from_prepared(prepared)
