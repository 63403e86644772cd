"""The destruction slice (Circular 06/2025/TT-BNV): the explanatory note, the appraisal
council and its votes, the batch's papers, and the 15-day deadline.

Resolvers parse, call ``archive.services.destruction`` and map; who may do what is
decided there. Planning, approval and the purge are in ``archive.api.retention``.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry
from starlette.datastructures import UploadFile
from strawberry.file_uploads import Upload

from archive.api.context import Context
from archive.api.council import CouncilTally
from archive.api.inputs import RecordMetadataInput
from archive.api.retention import DispositionBatch
from archive.domain import council as dc
from archive.domain import disposition as dd
from archive.domain.errors import FileRejected
from archive.services import destruction

Info = strawberry.Info[Context, None]


@strawberry.type(
    description=(
        "A decided batch against the 15 days between the destruction decision and the destruction minutes "
        "(Circular 06/2025/TT-BNV)."
    )
)
class MinutesDeadline:
    batch_id: str = strawberry.field(description="The batch.")
    status: dd.BatchStatus = strawberry.field(description="Approved or executed.")
    decision_ref: str | None = strawberry.field(description="The destruction decision's reference.")
    decided_on: date = strawberry.field(description="The decision's date: the clock starts.")
    due: date = strawberry.field(description="The last day for the destruction minutes.")
    minutes_on: date | None = strawberry.field(description="The destruction minutes' date, once attached.")
    overdue: bool = strawberry.field(description="Past due without minutes, or minutes dated after it.")
    days_left: int = strawberry.field(description="Days until due (negative once past).")

    @classmethod
    def from_service(cls, found: destruction.MinutesDeadline) -> MinutesDeadline:
        return cls(
            batch_id=found.batch_id,
            status=found.status,
            decision_ref=found.decision_ref,
            decided_on=found.decided_on,
            due=found.due,
            minutes_on=found.minutes_on,
            overdue=found.overdue,
            days_left=found.days_left,
        )


@strawberry.type(
    description=(
        "A dossier's place on the way to destruction, over the documents the caller may read "
        "(a document it may not read is never counted)."
    )
)
class DossierDestructionReview:
    status: dd.ReviewStatus = strawberry.field(
        description="UNDER_REVIEW, or DESTRUCTION_APPROVED once every such document's batch is approved."
    )
    records: int = strawberry.field(description="How many of its readable documents are in an open batch.")
    batch_ids: list[str] = strawberry.field(description="Their batches (only those the caller may manage).")

    @classmethod
    def from_service(cls, found: destruction.DossierReviewShown) -> DossierDestructionReview:
        return cls(status=found.status, records=found.records, batch_ids=list(found.batch_ids))


@strawberry.type
class DestructionQueries:
    @strawberry.field(
        description=(
            "A dossier's review for destruction (Xem xét hủy); null for a dossier the caller may not read "
            "or with no readable document in an open disposition batch."
        )
    )
    async def dossier_destruction_review(
        self, info: Info, dossier_id: Annotated[str, strawberry.argument(description="The dossier's id.")]
    ) -> DossierDestructionReview | None:
        found = await info.context.blocking(destruction.dossier_review, dossier_id)
        return None if found is None else DossierDestructionReview.from_service(found)

    @strawberry.field(
        description=(
            "Proposed batches on whose appraisal council the caller sits and may vote, with every record: "
            "a council member judges the whole batch (members who may not see every record are not shown it)."
        )
    )
    async def council_batches(self, info: Info) -> list[DispositionBatch]:
        found = await info.context.blocking(destruction.council_batches)
        return [DispositionBatch.from_domain(b) for b in found]

    @strawberry.field(
        description=(
            "Decided batches against the 15 days between the destruction decision and the destruction "
            "minutes, soonest due first (records managers and admins; batches holding a record they manage)."
        )
    )
    async def destruction_deadlines(
        self,
        info: Info,
        overdue_only: Annotated[bool, strawberry.argument(description="Only the overdue ones.")] = False,
    ) -> list[MinutesDeadline]:
        found = await info.context.blocking(destruction.deadlines, overdue_only=overdue_only)
        return [MinutesDeadline.from_service(d) for d in found]


@strawberry.type
class DestructionMutations:
    @strawberry.mutation(
        description=(
            "Replace the explanatory note (bản thuyết minh) of a proposed batch (at most 20000 characters)."
        )
    )
    async def set_explanatory_note(
        self,
        info: Info,
        batch_id: Annotated[str, strawberry.argument(description="The proposed batch.")],
        note: Annotated[str, strawberry.argument(description="The note's text.")],
    ) -> DispositionBatch:
        batch = await info.context.blocking(destruction.set_note, batch_id, note)
        return DispositionBatch.from_domain(batch)

    @strawberry.mutation(
        description=(
            "Seat a member on a proposed batch's appraisal council, or correct its name and role "
            "(by who may manage every record of the batch)."
        )
    )
    async def seat_council_member(
        self,
        info: Info,
        batch_id: Annotated[str, strawberry.argument(description="The proposed batch.")],
        subject: Annotated[str, strawberry.argument(description="The subject the member authenticates as.")],
        name: Annotated[str, strawberry.argument(description="The member's full name.")],
        role: Annotated[str, strawberry.argument(description="Its role, e.g. Chủ tịch Hội đồng, Ủy viên.")],
    ) -> DispositionBatch:
        batch = await info.context.blocking(destruction.seat, batch_id, subject=subject, name=name, role=role)
        return DispositionBatch.from_domain(batch)

    @strawberry.mutation(description="Take a member, and its vote, off a proposed batch's council.")
    async def unseat_council_member(
        self,
        info: Info,
        batch_id: Annotated[str, strawberry.argument(description="The proposed batch.")],
        subject: Annotated[str, strawberry.argument(description="The member's subject.")],
    ) -> DispositionBatch:
        batch = await info.context.blocking(destruction.unseat, batch_id, subject)
        return DispositionBatch.from_domain(batch)

    @strawberry.mutation(
        description=(
            "Cast or change the caller's vote on a proposed batch, as a seated council member; "
            "returns the council's tally. To anyone else the batch does not exist."
        )
    )
    async def vote_on_disposition(
        self,
        info: Info,
        batch_id: Annotated[str, strawberry.argument(description="The proposed batch.")],
        vote: Annotated[dc.Vote, strawberry.argument(description="Approve or reject.")],
        note: Annotated[str, strawberry.argument(description="A note with the vote.")] = "",
    ) -> CouncilTally:
        found = await info.context.blocking(destruction.vote, batch_id, vote, note)
        return CouncilTally.from_domain(found)

    @strawberry.mutation(
        description=(
            "Deposit a paper of the batch (multipart upload) as a record of one of its agencies and link it: "
            "the council's minutes (before the purge), the decision (once approved), the destruction minutes "
            "(once executed; their issue date closes the 15-day clock). Its document type is Biên bản or "
            "Quyết định and its classification the highest among the batch's records, whatever the "
            "metadata says."
        )
    )
    async def attach_disposition_paper(
        self,
        info: Info,
        batch_id: Annotated[str, strawberry.argument(description="The batch.")],
        kind: Annotated[dd.PaperKind, strawberry.argument(description="Which paper.")],
        file: Annotated[Upload, strawberry.argument(description="The signed paper: PDF, PNG, JPEG or TIFF.")],
        metadata: Annotated[
            RecordMetadataInput,
            strawberry.argument(description="Its official metadata; agencyCode is required."),
        ],
    ) -> DispositionBatch:
        if not isinstance(file, UploadFile):  # a form field without a file name is plain text
            raise FileRejected("the file part must carry a file name")
        try:
            batch, _record = await info.context.blocking(
                destruction.attach_paper,
                batch_id,
                kind,
                file.file,
                filename=file.filename or "paper",
                metadata=metadata.to_domain(),
                agency_code=metadata.agency_code or metadata.issuing_agency_code,
            )
        finally:
            await file.close()
        return DispositionBatch.from_domain(batch)
