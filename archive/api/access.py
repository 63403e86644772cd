"""The access slice of the schema: read grants, and the audit log for archivists."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Annotated

import strawberry

from archive.api.context import Context
from archive.api.results import ForbiddenError, InvalidArgumentError, NotFoundError
from archive.api.types import GlobalID, PageInfo, Record, from_global_id
from archive.domain import audit as domain
from archive.domain.audit import Outcome
from archive.domain.errors import Forbidden, InvalidCursor, MetadataInvalid, NotFound
from archive.domain.ports import AuditFilter
from archive.services.audit import query as query_audit
from archive.services.grants import change_grant

Info = strawberry.Info[Context, None]


@strawberry.type(description="The grant now stands as asked (or already did).")
class GrantSuccess:
    record: Record = strawberry.field(description="The record, with its new row version.")
    grantee: str = strawberry.field(description="The grantee key: user:<subject> or agency:<code>.")


GrantResult = Annotated[
    GrantSuccess | NotFoundError | ForbiddenError | InvalidArgumentError,
    strawberry.union("GrantResult", description="The outcome of granting or revoking read access."),
]


@strawberry.type(description="One entry of the audit chain.")
class AuditEntry:
    seq: int = strawberry.field(description="Position in the chain, from 1.")
    at: datetime = strawberry.field(description="When it happened (UTC).")
    actor: str = strawberry.field(description="Who: a token subject, apikey:<id>, or anonymous.")
    action: str = strawberry.field(description="What, e.g. record.read, download.issue, auth.denied.")
    target: str = strawberry.field(description="On what: usually a record id.")
    outcome: str = strawberry.field(description="ok, denied or error.")
    client: str = strawberry.field(description="The client as JSON: ip, user_agent, api_key.")
    details: str = strawberry.field(description="More about it, as a JSON object.")
    hash: str = strawberry.field(
        description=(
            "SHA-256 sealing this entry and the one before it, computed over the whole entry "
            "(when ids were left out of details, over the entry as the chain holds it)."
        )
    )

    @classmethod
    def from_domain(cls, entry: domain.AuditEntry) -> AuditEntry:
        return cls(
            seq=entry.seq,
            at=entry.at,
            actor=entry.actor,
            action=entry.action,
            target=entry.target,
            outcome=str(entry.outcome),
            client=entry.client,
            details=json.dumps(dict(entry.details), sort_keys=True, ensure_ascii=False),
            hash=entry.hash,
        )


@strawberry.type(description="One audit entry in a page.")
class AuditEdge:
    cursor: str = strawberry.field(description="Pass as `after` to continue after this entry.")
    node: AuditEntry = strawberry.field(description="The entry.")


@strawberry.type(description="A page of audit entries, newest first (Relay connection).")
class AuditConnection:
    edges: list[AuditEdge] = strawberry.field(description="The entries of this page.")
    page_info: PageInfo = strawberry.field(description="Paging.")


@strawberry.input(description="Which audit entries to list; nulls do not filter.")
class AuditLogFilter:
    actor: str | None = strawberry.field(default=None, description="Exactly this actor.")
    action: str | None = strawberry.field(default=None, description="Exactly this action.")
    target: str | None = strawberry.field(default=None, description="Exactly this target.")
    from_: datetime | None = strawberry.field(default=None, name="from", description="At or after.")
    to: datetime | None = strawberry.field(default=None, description="At or before.")

    def to_domain(self) -> AuditFilter:
        return AuditFilter(self.actor, self.action, self.target, self.from_, self.to)


def _cursor(seq: int) -> str:
    return base64.urlsafe_b64encode(f"audit:{seq}".encode()).decode()


def _seq(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    try:
        kind, _, seq = base64.urlsafe_b64decode(cursor.encode("ascii")).decode().partition(":")
        if kind == "audit" and seq.isdigit():
            return int(seq)
    except (binascii.Error, UnicodeError, ValueError):
        pass
    raise InvalidCursor("the cursor is malformed")


@strawberry.type
class AccessQueries:
    @strawberry.field(
        description=(
            "The audit log, newest first. Archivists and admins only: anyone else gets an error "
            "with extensions.code FORBIDDEN (and the attempt is audited). Each sees only entries "
            "about no record or about records it may read (destroyed ones: whose tombstone it may "
            "read); ids of records it may not read are left out of `details`."
        )
    )
    async def audit_log(
        self,
        info: Info,
        filter: Annotated[AuditLogFilter | None, strawberry.argument(description="Filters.")] = None,
        first: Annotated[int, strawberry.argument(description="Page size.")] = 50,
        after: Annotated[str | None, strawberry.argument(description="Cursor to continue after.")] = None,
    ) -> AuditConnection:
        ctx = info.context
        page = await query_audit(
            ctx.services,
            ctx.principal,
            ctx.client,
            (filter or AuditLogFilter()).to_domain(),
            first=first,
            after_seq=_seq(after),
        )
        edges = [AuditEdge(cursor=_cursor(e.seq), node=AuditEntry.from_domain(e)) for e in page.entries]
        return AuditConnection(
            edges=edges,
            page_info=PageInfo(has_next_page=page.has_next, end_cursor=edges[-1].cursor if edges else None),
        )


async def _change(info: Info, record_id: str, grantee: str, *, present: bool) -> GrantResult:
    ctx = info.context
    parsed = from_global_id(record_id)
    raw_id = parsed[1] if parsed is not None and parsed[0] == "Record" else ""
    action = "grant.add" if present else "grant.revoke"
    details = {"grantee": grantee[:200]}
    try:
        record = await change_grant(ctx.services, ctx.principal, raw_id, grantee, present=present)
    except NotFound as exc:
        await ctx.audit(action, raw_id or record_id[:100], Outcome.DENIED, details)
        return NotFoundError(message=exc.message, code=exc.code)
    except Forbidden as exc:
        await ctx.audit(action, raw_id, Outcome.DENIED, details)
        return ForbiddenError(message=exc.message, code=exc.code)
    except MetadataInvalid as exc:
        return InvalidArgumentError(argument=exc.field, message=exc.reason, code=exc.code)
    await ctx.audit(action, record.id, details=details)
    return GrantSuccess(record=Record.from_domain(record), grantee=grantee)


_GRANTEE = Annotated[
    str, strawberry.argument(description="user:<subject> (a token's sub or apikey:<id>) or agency:<code>.")
]


@strawberry.type
class AccessMutations:
    @strawberry.mutation(
        description="Let a user or an agency read one record. Clerks of the owning agency and admins only."
    )
    async def grant_record_access(self, info: Info, record_id: GlobalID, grantee: _GRANTEE) -> GrantResult:
        return await _change(info, record_id, grantee, present=True)

    @strawberry.mutation(description="Take back a grant made by grantRecordAccess. Same rules.")
    async def revoke_record_access(self, info: Info, record_id: GlobalID, grantee: _GRANTEE) -> GrantResult:
        return await _change(info, record_id, grantee, present=False)
