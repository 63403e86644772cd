"""GraphQL types of destruction under Circular 06/2025 that a disposition batch and a
record show: the council and its tally, the batch's papers and a record's review
status; ``archive.api.destruction`` holds the queries, the mutations and the 15-day deadline."""

from __future__ import annotations

from datetime import date, datetime

import strawberry

from archive.domain import council as dc
from archive.domain import disposition as dd
from archive.services import destruction

strawberry.enum(dd.DisposalReason, description="Why a record is proposed for destruction.")
strawberry.enum(
    dd.ReviewStatus,
    description=(
        "Where a record stands on its way to destruction: UNDER_REVIEW (Xem xét hủy, in a proposed batch) "
        "or DESTRUCTION_APPROVED (in an approved batch, not destroyed yet)."
    ),
)
strawberry.enum(
    dd.PaperKind,
    description=(
        "A paper of a disposition batch: COUNCIL_MINUTES (biên bản họp Hội đồng xác định giá trị tài liệu), "
        "DECISION (quyết định hủy tài liệu), DESTRUCTION_MINUTES (biên bản hủy tài liệu)."
    ),
)
strawberry.enum(dc.Vote, description="A council member's vote on the batch as proposed.")


@strawberry.type(description="A member of a batch's appraisal council (Hội đồng xác định giá trị tài liệu).")
class CouncilMember:
    subject: str = strawberry.field(description="The subject the member authenticates as.")
    name: str = strawberry.field(description="The member's full name.")
    role: str = strawberry.field(description="Its role on the council, e.g. Chủ tịch Hội đồng, Ủy viên.")
    vote: dc.Vote | None = strawberry.field(description="Its vote; null until cast.")
    note: str = strawberry.field(description="What it noted with its vote.")
    voted_at: datetime | None = strawberry.field(description="When it last voted.")

    @classmethod
    def from_domain(cls, member: dc.CouncilMember) -> CouncilMember:
        return cls(
            subject=member.subject,
            name=member.name,
            role=member.role,
            vote=member.vote,
            note=member.note,
            voted_at=member.voted_at,
        )


@strawberry.type(description="The council's votes against the quorum in force (ARCHIVE_DESTRUCTION_QUORUM).")
class CouncilTally:
    members: int = strawberry.field(description="Members seated.")
    approvals: int = strawberry.field(description="Members who approved.")
    rejections: int = strawberry.field(description="Members who rejected.")
    required: int = strawberry.field(description="Approvals the quorum needs (0: no council required).")
    reached: bool = strawberry.field(
        description="Whether the batch may be approved: enough approvals, one of them not the planner's."
    )

    @classmethod
    def from_domain(cls, found: dc.Tally) -> CouncilTally:
        return cls(
            members=found.members,
            approvals=found.approvals,
            rejections=found.rejections,
            required=found.required,
            reached=found.reached,
        )


@strawberry.type(description="A paper of a batch, kept as a record of its agency under WORM.")
class BatchPaper:
    kind: dd.PaperKind = strawberry.field(description="Which paper.")
    record_id: str = strawberry.field(description="The record it was deposited as (read it like any record).")
    agency_code: str = strawberry.field(description="The agency it is a record of.")
    issued_on: date = strawberry.field(description="Its issue date.")
    attached_by: str = strawberry.field(description="Who deposited and attached it.")
    attached_at: datetime = strawberry.field(description="When.")

    @classmethod
    def from_domain(cls, paper: dd.Paper) -> BatchPaper:
        return cls(
            kind=paper.kind,
            record_id=paper.record_id,
            agency_code=paper.agency_code,
            issued_on=paper.issued_on,
            attached_by=paper.attached_by,
            attached_at=paper.attached_at,
        )


@strawberry.type(
    description=(
        "A record's place on its way to destruction. Whoever may read the record sees the status; the batch, "
        "the reason and the copy kept are shown only to those who may manage the record (null otherwise)."
    )
)
class DestructionReview:
    status: dd.ReviewStatus = strawberry.field(description="Under review, or destruction approved.")
    batch_id: str | None = strawberry.field(description="The batch (records managers of the record only).")
    reason: dd.DisposalReason | None = strawberry.field(
        description="Retention expired, or a duplicate (records managers of the record only)."
    )
    duplicate_of: str | None = strawberry.field(
        description="For a duplicate, the id of the copy kept (records managers of the record only)."
    )

    @classmethod
    def from_service(cls, shown: destruction.ReviewShown) -> DestructionReview:
        return cls(
            status=shown.status, batch_id=shown.batch_id, reason=shown.reason, duplicate_of=shown.duplicate_of
        )
