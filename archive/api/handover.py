"""The handover slice: transfer batches to the historical archive and transfer deadlines.

Resolvers parse, call ``archive.services.transfer`` and map. A batch the caller may not
manage whole is NOT_FOUND (and absent from ``transferBatches``), exactly like a batch that
does not exist; the deadline list holds only dossiers the caller may read.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import strawberry

from archive.api.archival import Dossier, raw_id
from archive.api.context import Context
from archive.domain import transfer as dt
from archive.services import transfer

Info = strawberry.Info[Context, None]

strawberry.enum(
    dt.TransferStatus, description="Where a transfer batch stands: prepared, sent, accepted, refused."
)


@strawberry.type(description="A built package of one dossier: its file name, size and SHA-256.")
class TransferBatchPackage:
    name: str = strawberry.field(description="The package's file name.")
    size: float = strawberry.field(description="Its size in bytes.")
    sha256: str = strawberry.field(description="Its SHA-256, lower-case hex.")


@strawberry.type(description="One dossier of a transfer batch, with its figures at preparation.")
class TransferItem:
    dossier_id: str = strawberry.field(description="The dossier's id (a UUID).")
    file_code: str = strawberry.field(description="Mã hồ sơ.")
    title: str = strawberry.field(description="Tiêu đề hồ sơ.")
    agency_code: str = strawberry.field(description="The agency whose dossier it is.")
    documents: int = strawberry.field(description="Its number of documents.")
    pages: int = strawberry.field(description="Its number of pages.")
    bytes: float = strawberry.field(description="The size of its documents' original bytes.")
    package: TransferBatchPackage = strawberry.field(description="Its package.")

    @classmethod
    def of(cls, item: dt.TransferItem) -> TransferItem:
        p = item.package
        return cls(
            dossier_id=item.dossier_id,
            file_code=item.file_code,
            title=item.title,
            agency_code=item.agency_code,
            documents=item.documents,
            pages=item.pages,
            bytes=float(item.bytes),
            package=TransferBatchPackage(name=p.name, size=float(p.size), sha256=p.sha256),
        )


@strawberry.type(description="A transfer batch (đợt nộp lưu) to the historical archive.")
class TransferBatch:
    id: str = strawberry.field(description="The batch's id (a UUID).")
    status: dt.TransferStatus = strawberry.field(description="Where it stands.")
    archive_name: str = strawberry.field(description="The receiving historical archive.")
    prepared_by: str = strawberry.field(description="Who prepared it.")
    prepared_at: datetime = strawberry.field(description="When it was prepared.")
    sent_by: str | None = strawberry.field(description="Who handed it over; null until sent.")
    sent_at: datetime | None = strawberry.field(description="When it was handed over.")
    reference: str = strawberry.field(description="The receiving archive's reference for the handover.")
    decided_by: str | None = strawberry.field(description="Who recorded the acceptance or refusal.")
    decided_at: datetime | None = strawberry.field(description="When.")
    receipt_ref: str = strawberry.field(description="The receipt's reference, once accepted.")
    receipt_sha256: str = strawberry.field(description="SHA-256 of the acknowledgement file kept, if any.")
    refusal_reason: str = strawberry.field(description="Why the receiving archive refused it.")
    items: list[TransferItem] = strawberry.field(description="Its dossiers, in order.")
    dossier_count: int = strawberry.field(description="Number of dossiers.")
    document_count: int = strawberry.field(description="Number of documents.")
    page_count: int = strawberry.field(description="Number of pages.")
    byte_count: float = strawberry.field(description="Bytes of the documents' originals.")

    @classmethod
    def of(cls, b: dt.TransferBatch) -> TransferBatch:
        dossiers, documents, pages, size = b.totals
        return cls(
            id=b.id,
            status=b.status,
            archive_name=b.archive_name,
            prepared_by=b.prepared_by,
            prepared_at=b.prepared_at,
            sent_by=b.sent_by,
            sent_at=b.sent_at,
            reference=b.reference,
            decided_by=b.decided_by,
            decided_at=b.decided_at,
            receipt_ref=b.receipt_ref,
            receipt_sha256=b.receipt_sha256,
            refusal_reason=b.refusal_reason,
            items=[TransferItem.of(i) for i in b.items],
            dossier_count=dossiers,
            document_count=documents,
            page_count=pages,
            byte_count=float(size),
        )


@strawberry.type(description="A selected dossier that cannot go, and why.")
class TransferRefusal:
    file_code: str = strawberry.field(description="The dossier's file code (or the id or code given).")
    reason: str = strawberry.field(description="Why it cannot go now.")


@strawberry.type(
    description="What preparing did: the batch (null when no dossier could go) and the refusals."
)
class TransferPreparation:
    batch: TransferBatch | None = strawberry.field(description="The prepared batch.")
    refused: list[TransferRefusal] = strawberry.field(description="The selected dossiers that cannot go.")


@strawberry.type(description="A permanent dossier due for transfer to the historical archive.")
class TransferDeadline:
    dossier: Dossier = strawberry.field(description="The dossier.")
    deadline: date = strawberry.field(description="The last day it may stay with the agency.")
    overdue: bool = strawberry.field(description="Whether the deadline has passed.")


@strawberry.input(description="Which dossiers to prepare: ids, or a fonds with file codes or a year.")
class TransferSelection:
    dossier_ids: list[str] | None = strawberry.field(default=None, description="Dossier ids or Relay ids.")
    fonds_id: str | None = strawberry.field(default=None, description="A fonds (Relay id or UUID).")
    file_codes: list[str] | None = strawberry.field(default=None, description="File codes in that fonds.")
    year: int | None = strawberry.field(
        default=None, description="Every permanent dossier of that fonds formed in this year."
    )

    def to_domain(self) -> transfer.Selection:
        return transfer.Selection(
            dossier_ids=tuple(raw_id(i, "Dossier") for i in self.dossier_ids or ()),
            fonds_id=None if self.fonds_id is None else raw_id(self.fonds_id, "Fonds"),
            file_codes=tuple(self.file_codes or ()),
            year=self.year,
        )


@strawberry.type
class HandoverQueries:
    @strawberry.field(description="Transfer batches the caller may manage whole, newest first.")
    async def transfer_batches(
        self,
        info: Info,
        status: Annotated[
            dt.TransferStatus | None, strawberry.argument(description="Only this state.")
        ] = None,
    ) -> list[TransferBatch]:
        found = await info.context.blocking(transfer.listing, status)
        return [TransferBatch.of(b) for b in found]

    @strawberry.field(description="A transfer batch; NOT_FOUND unless the caller may manage it whole.")
    async def transfer_batch(
        self, info: Info, id: Annotated[str, strawberry.argument(description="The batch's id.")]
    ) -> TransferBatch:
        return TransferBatch.of(await info.context.blocking(transfer.get, id))

    @strawberry.field(
        description=(
            "Permanent dossiers the caller may read whose transfer deadline (Law on Archives 2024) "
            "is within withinDays days or past, by deadline."
        )
    )
    async def transfer_deadlines(
        self,
        info: Info,
        within_days: Annotated[int, strawberry.argument(description="Days ahead to look.")] = dt.WARNING_DAYS,
    ) -> list[TransferDeadline]:
        found = await info.context.blocking(transfer.due, within_days=within_days)
        return [
            TransferDeadline(dossier=Dossier.from_domain(d.dossier), deadline=d.deadline, overdue=d.overdue)
            for d in found
        ]


@strawberry.type
class HandoverMutations:
    @strawberry.mutation(
        description="Prepare a transfer batch of permanent dossiers, building their packages."
    )
    async def prepare_transfer_batch(
        self,
        info: Info,
        archive_name: Annotated[str, strawberry.argument(description="The receiving historical archive.")],
        selection: Annotated[TransferSelection, strawberry.argument(description="The dossiers.")],
    ) -> TransferPreparation:
        done = await info.context.blocking(transfer.prepare, selection.to_domain(), archive_name=archive_name)
        return TransferPreparation(
            batch=None if done.batch is None else TransferBatch.of(done.batch),
            refused=[TransferRefusal(file_code=u.file_code, reason=u.reason) for u in done.refused],
        )

    @strawberry.mutation(description="Record that a prepared batch was handed to the receiving archive.")
    async def send_transfer_batch(
        self,
        info: Info,
        id: Annotated[str, strawberry.argument(description="The batch's id.")],
        reference: Annotated[str, strawberry.argument(description="The receiving archive's reference.")] = "",
    ) -> TransferBatch:
        sent = await info.context.blocking(transfer.send, id, reference=reference)
        return TransferBatch.of(sent)

    @strawberry.mutation(
        description=(
            "Record the receiving archive's acceptance with its receipt's reference: the dossiers become "
            "transferred and their records may then be disposed of with the batch as basis. "
            "(The acknowledgement file itself is kept with `archive transfer batch accept --receipt`.)"
        )
    )
    async def accept_transfer_batch(
        self,
        info: Info,
        id: Annotated[str, strawberry.argument(description="The batch's id.")],
        receipt_ref: Annotated[str, strawberry.argument(description="The receipt's reference.")],
    ) -> TransferBatch:
        accepted = await info.context.blocking(transfer.accept, id, receipt_ref=receipt_ref)
        return TransferBatch.of(accepted)

    @strawberry.mutation(description="Record that the receiving archive refused a sent batch, and why.")
    async def refuse_transfer_batch(
        self,
        info: Info,
        id: Annotated[str, strawberry.argument(description="The batch's id.")],
        reason: Annotated[str, strawberry.argument(description="Why it was refused.")],
    ) -> TransferBatch:
        refused = await info.context.blocking(transfer.refuse, id, reason=reason)
        return TransferBatch.of(refused)
