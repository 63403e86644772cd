"""The retention slice: the schedule, dossiers, legal holds, disposition batches
and tombstones, for records managers (and admins).

Resolvers parse, call the service and map: who may do what is decided in
``archive.services.retention``, ``holds`` and ``disposition`` (FORBIDDEN for
anyone but records managers and admins; records managers act on their own
agencies' records within their clearance). A tombstone is shown only to those
``can_read_tombstone`` allows; to anyone else a destroyed record looks exactly
like one that never existed.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import strawberry

from archive.api.context import Context
from archive.api.council import BatchPaper, CouncilMember, CouncilTally
from archive.api.types import from_global_id
from archive.domain import disposition as dd
from archive.domain import holds as dh
from archive.domain import retention as dr
from archive.domain.records import Classification
from archive.services import destruction, disposition, holds, retention

Info = strawberry.Info[Context, None]

strawberry.enum(dr.Trigger, description="The date a retention period counts from.")
strawberry.enum(dd.BatchStatus, description="Where a disposition batch stands.")
strawberry.enum(dd.ItemState, description="Where one record of a batch stands in its purge.")


def raw_record_id(value: str) -> str:
    """A record's UUID from its Relay id or the UUID itself."""
    parsed = from_global_id(value)
    return parsed[1] if parsed is not None and parsed[0] == "Record" else value


# -- types --------------------------------------------------------------------------------


@strawberry.type(description="One line of the retention schedule.")
class RetentionRule:
    code: str = strawberry.field(description="The rule's code, as depositors may name it.")
    title: str = strawberry.field(description="What the rule covers.")
    period_years: int | None = strawberry.field(description="Years to keep; null when permanent.")
    permanent: bool = strawberry.field(description="Kept forever: never proposed for disposition.")
    trigger: dr.Trigger = strawberry.field(description="What the period counts from.")
    document_types: list[str] = strawberry.field(description="Document types it matches; empty: any.")
    agencies: list[str] = strawberry.field(description="Owning agency codes it matches; empty: any.")
    description: str = strawberry.field(description="Notes.")
    schedule: str = strawberry.field(
        description="The named schedule it belongs to, e.g. TT10-2022 (default: rules from before schedules)."
    )
    legal_basis: str = strawberry.field(
        description="Its legal basis: circular and item, e.g. Thông tư 10/2022/TT-BNV, mục 1.5."
    )
    maintenance: str = strawberry.field(
        description="Its tier: the retention code of its period (01 permanent ... 06 10 years, 07 other)."
    )

    @classmethod
    def from_domain(cls, rule: dr.RetentionRule) -> RetentionRule:
        return cls(
            code=rule.code,
            title=rule.title,
            period_years=rule.period_years,
            permanent=rule.permanent,
            trigger=rule.trigger,
            document_types=list(rule.document_types),
            agencies=list(rule.agencies),
            description=rule.description,
            schedule=rule.schedule,
            legal_basis=rule.legal_basis,
            maintenance=rule.maintenance,
        )


@strawberry.input(description="A retention rule to create or replace (by code).")
class RetentionRuleInput:
    code: str = strawberry.field(description="The rule's code.")
    title: str = strawberry.field(description="What the rule covers.")
    period_years: int | None = strawberry.field(description="Years to keep; null for permanent.")
    trigger: dr.Trigger = strawberry.field(
        default=dr.Trigger.ISSUE_DATE, description="What the period counts from."
    )
    document_types: list[str] = strawberry.field(
        default_factory=list, description="Document types; empty: any."
    )
    agencies: list[str] = strawberry.field(
        default_factory=list, description="Owning agency codes; empty: any."
    )
    description: str = strawberry.field(default="", description="Notes.")
    schedule: str = strawberry.field(
        default=dr.DEFAULT_SCHEDULE,
        description="The schedule it belongs to; a rule's code never moves to another schedule.",
    )
    legal_basis: str = strawberry.field(
        default="", description="Its legal basis: circular and item (at most 300 characters)."
    )

    def to_domain(self) -> dr.RetentionRule:
        return dr.RetentionRule(
            code=self.code,
            title=self.title,
            period_years=self.period_years,
            trigger=self.trigger,
            document_types=tuple(self.document_types),
            agencies=tuple(self.agencies),
            description=self.description,
            schedule=self.schedule,
            legal_basis=self.legal_basis,
        )


@strawberry.type(description="What a schedule change did.")
class RuleChangeResult:
    codes: list[str] = strawberry.field(description="The rules created, replaced or deleted.")
    recomputed: int = strawberry.field(
        description="Records whose rule or disposal date changed (and were re-sealed)."
    )


@strawberry.type(description="A legal hold: while it stands, the records it names are never destroyed.")
class LegalHold:
    id: str = strawberry.field(description="The hold's id.")
    name: str = strawberry.field(description="A short name.")
    reason: str = strawberry.field(description="Why the records are held.")
    authority: str = strawberry.field(description="Case number or decision reference.")
    created_by: str = strawberry.field(description="Who placed it.")
    created_at: datetime = strawberry.field(description="When it was placed.")
    record_count: int = strawberry.field(
        description="How many of the records it names the caller may manage."
    )
    active: bool = strawberry.field(description="False once released.")
    released_at: datetime | None = strawberry.field(description="When it was released.")
    released_by: str | None = strawberry.field(description="Who released it.")
    release_reason: str | None = strawberry.field(description="Why it was released.")

    @classmethod
    def from_domain(cls, hold: dh.LegalHold) -> LegalHold:
        return cls(
            id=hold.id,
            name=hold.name,
            reason=hold.reason,
            authority=hold.authority,
            created_by=hold.created_by,
            created_at=hold.created_at,
            record_count=hold.record_count,
            active=hold.active,
            released_at=hold.released_at,
            released_by=hold.released_by,
            release_reason=hold.release_reason,
        )


@strawberry.input(description="Records chosen by their metadata; empty fields do not filter.")
class RecordSelectorInput:
    agency_codes: list[str] = strawberry.field(default_factory=list, description="Owning agency codes.")
    document_types: list[str] = strawberry.field(default_factory=list, description="Document types.")
    issued_from: date | None = strawberry.field(default=None, description="Issued on or after.")
    issued_to: date | None = strawberry.field(default=None, description="Issued on or before.")
    dossier_code: str | None = strawberry.field(default=None, description="Members of this dossier.")
    everything: bool = strawberry.field(default=False, description="Every record (must be explicit).")

    def to_domain(self) -> dh.RecordSelector:
        return dh.RecordSelector(
            agency_codes=tuple(self.agency_codes),
            document_types=tuple(self.document_types),
            issued_from=self.issued_from,
            issued_to=self.issued_to,
            dossier_code=self.dossier_code,
            everything=self.everything,
        )


@strawberry.type(description="A hold and what adding records to it did.")
class HoldChangeResult:
    hold: LegalHold = strawberry.field(description="The hold, after the change.")
    added: list[str] = strawberry.field(description="Record ids now held.")
    refused: list[str] = strawberry.field(
        description=(
            "Record ids that do not exist, that the caller may not manage (the same answer), or that "
            "are already being destroyed."
        )
    )


@strawberry.type(description="One record of a disposition batch.")
class DispositionItem:
    record_id: str = strawberry.field(description="The record's id.")
    state: dd.ItemState = strawberry.field(description="Where its purge stands.")
    document_number: str = strawberry.field(description="Number and notation as printed.")
    document_type: str = strawberry.field(description="Document type.")
    agency_code: str = strawberry.field(description="Owning agency.")
    rule_code: str | None = strawberry.field(description="The retention rule that made it due.")
    dossier_id: str | None = strawberry.field(description="The dossier it was in when the batch was planned.")
    disposal_date: date = strawberry.field(description="The day it became eligible for destruction.")
    note: str | None = strawberry.field(description="Why it was skipped, or the last error.")
    reason: dd.DisposalReason = strawberry.field(description="Retention expired, or a redundant duplicate.")
    duplicate_of: str | None = strawberry.field(description="For a duplicate, the id of the copy kept.")


@strawberry.type(description="A set of records proposed, approved or executed for destruction.")
class DispositionBatch:
    _batch: strawberry.Private[dd.DispositionBatch]
    id: str = strawberry.field(description="The batch's id.")
    status: dd.BatchStatus = strawberry.field(description="Proposed, approved or executed.")
    planned_by: str = strawberry.field(description="Who proposed it.")
    planned_at: datetime = strawberry.field(description="When it was proposed.")
    cutoff: date = strawberry.field(description="Records due on or before this day.")
    approved_by: str | None = strawberry.field(description="Who approved it.")
    decision_ref: str | None = strawberry.field(description="Reference of the destruction decision.")
    executed_at: datetime | None = strawberry.field(description="When its purge finished.")
    items: list[DispositionItem] = strawberry.field(description="Its records.")
    explanatory_note: str = strawberry.field(description="Bản thuyết minh: why these records may go.")
    decided_on: date | None = strawberry.field(
        description="The destruction decision's date, once approved: the 15-day clock starts."
    )
    minutes_due: date | None = strawberry.field(description="The last day for the destruction minutes.")
    council: list[CouncilMember] = strawberry.field(
        description="The appraisal council (Hội đồng xác định giá trị tài liệu) and its votes."
    )
    papers: list[BatchPaper] = strawberry.field(
        description="Its council minutes, decision and destruction minutes, each kept as a record."
    )

    @strawberry.field(description="The council's votes against the quorum in force.")
    def council_tally(self, info: Info) -> CouncilTally:
        return CouncilTally.from_domain(destruction.council_tally(info.context.services, self._batch))

    @strawberry.field(description="Decided, no destruction minutes, and past the 15 days.")
    def minutes_overdue(self, info: Info) -> bool:
        return self._batch.minutes_overdue(info.context.services.clock().date())

    @classmethod
    def from_domain(cls, batch: dd.DispositionBatch) -> DispositionBatch:
        return cls(
            _batch=batch,
            explanatory_note=batch.explanatory_note,
            decided_on=batch.decided_on,
            minutes_due=batch.minutes_due,
            council=[CouncilMember.from_domain(m) for m in batch.council],
            papers=[BatchPaper.from_domain(p) for p in batch.papers],
            id=batch.id,
            status=batch.status,
            planned_by=batch.planned_by,
            planned_at=batch.planned_at,
            cutoff=batch.cutoff,
            approved_by=batch.approved_by,
            decision_ref=batch.decision_ref,
            executed_at=batch.executed_at,
            items=[
                DispositionItem(
                    record_id=i.record_id,
                    state=i.state,
                    document_number=i.document_number,
                    document_type=i.document_type,
                    agency_code=i.agency_code,
                    rule_code=i.rule_code,
                    disposal_date=i.disposal_date,
                    note=i.note,
                    reason=i.reason,
                    duplicate_of=i.duplicate_of,
                    dossier_id=i.dossier_id,
                )
                for i in batch.items
            ],
        )


@strawberry.type(description="What remains of a destroyed record.")
class Tombstone:
    record_id: str = strawberry.field(description="The destroyed record's id.")
    document_number: str = strawberry.field(description="Number and notation as printed.")
    document_type: str = strawberry.field(description="Document type.")
    agency_code: str = strawberry.field(description="Owning agency.")
    classification: Classification = strawberry.field(description="Its classification.")
    issue_date: date = strawberry.field(description="Ngày ban hành.")
    rule_code: str | None = strawberry.field(description="The retention rule applied.")
    disposal_date: date = strawberry.field(description="The day it became eligible for destruction.")
    decision_ref: str = strawberry.field(description="The destruction decision.")
    batch_id: str = strawberry.field(description="The disposition batch.")
    approved_by: str = strawberry.field(description="Who approved the destruction.")
    deposited_at: datetime = strawberry.field(description="When it was deposited.")
    destroyed_at: datetime = strawberry.field(description="When it was destroyed.")
    sha256: str = strawberry.field(description="SHA-256 of the destroyed bytes.")
    version_ids: list[str] = strawberry.field(description="The object versions deleted.")

    @classmethod
    def from_domain(cls, t: dd.Tombstone) -> Tombstone:
        return cls(
            record_id=t.record_id,
            document_number=t.document_number,
            document_type=t.document_type,
            agency_code=t.agency_code,
            classification=Classification(t.classification),
            issue_date=t.issue_date,
            rule_code=t.rule_code,
            disposal_date=t.disposal_date,
            decision_ref=t.decision_ref,
            batch_id=t.batch_id,
            approved_by=t.approved_by,
            deposited_at=t.deposited_at,
            destroyed_at=t.destroyed_at,
            sha256=t.sha256,
            version_ids=list(t.version_ids),
        )


# -- queries and mutations -----------------------------------------------------------------


@strawberry.type
class RetentionQueries:
    @strawberry.field(description="The retention schedule (records managers and admins).")
    async def retention_rules(self, info: Info) -> list[RetentionRule]:
        rules = await info.context.blocking(retention.rules)
        return [RetentionRule.from_domain(r) for r in rules]

    @strawberry.field(
        description=(
            "Legal holds, newest first (records managers and admins); each counts only the "
            "records the caller may manage."
        )
    )
    async def legal_holds(
        self,
        info: Info,
        active_only: Annotated[bool, strawberry.argument(description="Only unreleased holds.")] = False,
    ) -> list[LegalHold]:
        found = await info.context.blocking(holds.listing, active_only=active_only)
        return [LegalHold.from_domain(h) for h in found]

    @strawberry.field(
        description=(
            "Disposition batches, newest first (records managers and admins), each showing only the "
            "records the caller may manage; batches with none of them are left out."
        )
    )
    async def disposition_batches(
        self,
        info: Info,
        status: Annotated[dd.BatchStatus | None, strawberry.argument(description="Only this status.")] = None,
    ) -> list[DispositionBatch]:
        found = await info.context.blocking(disposition.listing, status)
        return [DispositionBatch.from_domain(b) for b in found]

    @strawberry.field(
        description=(
            "A disposition batch as CSV or JSON text, for review outside the archive: only the records "
            "the caller may manage; CSV cells that a spreadsheet would run as a formula start with '."
        )
    )
    async def disposition_export(
        self,
        info: Info,
        batch_id: Annotated[str, strawberry.argument(description="The batch.")],
        format: Annotated[str, strawberry.argument(description="csv or json.")] = "csv",
    ) -> str:
        return await info.context.blocking(disposition.export, batch_id, format)

    @strawberry.field(
        description=(
            "The tombstone of a destroyed record, for those who could manage it and archivists cleared "
            "for its classification; null for anyone else and for records never destroyed."
        )
    )
    async def tombstone(
        self, info: Info, record_id: Annotated[str, strawberry.argument(description="Record id or Relay id.")]
    ) -> Tombstone | None:
        found = await info.context.blocking(disposition.tombstone, raw_record_id(record_id))
        return None if found is None else Tombstone.from_domain(found)


@strawberry.type
class RetentionMutations:
    @strawberry.mutation(
        description="Create or replace a rule; affected records are recomputed and re-sealed."
    )
    async def upsert_retention_rule(
        self, info: Info, rule: Annotated[RetentionRuleInput, strawberry.argument(description="The rule.")]
    ) -> RuleChangeResult:
        change = await info.context.blocking(retention.change_rules, upserts=[rule.to_domain()])
        return RuleChangeResult(codes=list(change.upserted), recomputed=change.recomputed)

    @strawberry.mutation(
        description="Delete a rule; its records fall to the next matching rule, or are kept."
    )
    async def delete_retention_rule(
        self, info: Info, code: Annotated[str, strawberry.argument(description="The rule's code.")]
    ) -> RuleChangeResult:
        change = await info.context.blocking(retention.change_rules, deletes=[code])
        return RuleChangeResult(codes=list(change.deleted), recomputed=change.recomputed)

    @strawberry.mutation(
        description="Create or update a dossier; closing it starts its records' retention.",
        deprecation_reason="Use createDossier, updateDossier and closeDossier; removed in 0.3.",
    )
    async def upsert_dossier(
        self,
        info: Info,
        code: Annotated[str, strawberry.argument(description="The dossier's code.")],
        title: Annotated[str, strawberry.argument(description="Its title.")],
        closed_on: Annotated[date | None, strawberry.argument(description="Close date; null: open.")] = None,
        agency: Annotated[
            str | None,
            strawberry.argument(
                description="The owning agency of a new dossier (default: the caller's only agency)."
            ),
        ] = None,
    ) -> RuleChangeResult:
        dossier = dr.Dossier(
            code=code.strip(), title=title.strip(), closed_on=closed_on, agency_code=agency or ""
        )
        changed = await info.context.blocking(retention.upsert_dossier, dossier)
        return RuleChangeResult(codes=[dossier.code], recomputed=len(changed))

    @strawberry.mutation(
        description=(
            "Put records in a dossier (or out of any, with a null code); ids the caller may not manage "
            "are ignored like ids that do not exist."
        ),
        deprecation_reason="Use placeRecords, moveRecord and removeRecords; removed in 0.3.",
    )
    async def assign_dossier(
        self,
        info: Info,
        record_ids: Annotated[list[str], strawberry.argument(description="Record ids or Relay ids.")],
        code: Annotated[str | None, strawberry.argument(description="The dossier; null: none.")] = None,
    ) -> RuleChangeResult:
        ids = [raw_record_id(r) for r in record_ids]
        changed = await info.context.blocking(retention.assign_dossier, code, ids)
        return RuleChangeResult(codes=[code or ""], recomputed=len(changed))

    @strawberry.mutation(
        description=(
            "Place a legal hold on records named by id and/or by a selector; only records the caller "
            "may manage are held."
        )
    )
    async def place_legal_hold(
        self,
        info: Info,
        name: Annotated[str, strawberry.argument(description="A short name.")],
        reason: Annotated[str, strawberry.argument(description="Why the records are held.")],
        authority: Annotated[str, strawberry.argument(description="Case number or decision reference.")],
        record_ids: Annotated[
            list[str] | None, strawberry.argument(description="Record ids or Relay ids.")
        ] = None,
        selector: Annotated[
            RecordSelectorInput | None, strawberry.argument(description="Records by metadata.")
        ] = None,
    ) -> HoldChangeResult:
        change = await info.context.blocking(
            holds.place_hold,
            name=name,
            reason=reason,
            authority=authority,
            record_ids=[raw_record_id(r) for r in record_ids or []],
            selector=(selector or RecordSelectorInput()).to_domain(),
        )
        return _hold_change(change)

    @strawberry.mutation(description="Name more records in an active legal hold.")
    async def add_to_legal_hold(
        self,
        info: Info,
        hold_id: Annotated[str, strawberry.argument(description="The hold.")],
        record_ids: Annotated[
            list[str] | None, strawberry.argument(description="Record ids or Relay ids.")
        ] = None,
        selector: Annotated[
            RecordSelectorInput | None, strawberry.argument(description="Records by metadata.")
        ] = None,
    ) -> HoldChangeResult:
        change = await info.context.blocking(
            holds.add_to_hold,
            hold_id,
            record_ids=[raw_record_id(r) for r in record_ids or []],
            selector=(selector or RecordSelectorInput()).to_domain(),
        )
        return _hold_change(change)

    @strawberry.mutation(
        description="Release a legal hold, with a reason (only by who may manage every record it names)."
    )
    async def release_legal_hold(
        self,
        info: Info,
        hold_id: Annotated[str, strawberry.argument(description="The hold.")],
        reason: Annotated[str, strawberry.argument(description="Why it is released.")],
    ) -> LegalHold:
        hold = await info.context.blocking(holds.release_hold, hold_id, reason=reason)
        return LegalHold.from_domain(hold)

    @strawberry.mutation(
        description=(
            "Propose a batch of the records the caller may manage that are past their disposal date, and of "
            "redundant duplicates (same bytes, or the same document, kept twice in one agency), all under no "
            "hold; null when there is none. Its records are then under review for destruction (Xem xét hủy)."
        )
    )
    async def plan_disposition(
        self,
        info: Info,
        limit: Annotated[
            int, strawberry.argument(description="At most this many records (1 to 10000).")
        ] = 1000,
        explanatory_note: Annotated[
            str, strawberry.argument(description="Bản thuyết minh: why these records may go.")
        ] = "",
        duplicates: Annotated[
            bool, strawberry.argument(description="Also propose redundant duplicates of records kept.")
        ] = True,
        dossier_id: Annotated[
            str | None,
            strawberry.argument(
                description="Propose this whole dossier instead: all its documents, or DISPOSITION_REFUSED."
            ),
        ] = None,
        transfer_batch_id: Annotated[
            str | None,
            strawberry.argument(
                description=(
                    "Propose the local copies of the records this accepted transfer batch took to the "
                    "historical archive, with the transfer as their basis."
                )
            ),
        ] = None,
    ) -> DispositionBatch | None:
        batch = await info.context.blocking(
            disposition.plan,
            limit=limit,
            note=explanatory_note,
            duplicates=duplicates,
            dossier_id=dossier_id,
            transfer_id=transfer_batch_id,
        )
        return None if batch is None else DispositionBatch.from_domain(batch)

    @strawberry.mutation(
        description=(
            "Approve a proposed batch under the destruction decision's reference and date: the approver "
            "must be able to manage every record of it, the appraisal council must have reached its "
            "quorum and, with the two-person rule on, the approver must not be its planner."
        )
    )
    async def approve_disposition(
        self,
        info: Info,
        batch_id: Annotated[str, strawberry.argument(description="The proposed batch.")],
        decision_ref: Annotated[str, strawberry.argument(description="The decision's reference.")],
        decided_on: Annotated[
            date | None, strawberry.argument(description="The decision's date (default today).")
        ] = None,
    ) -> DispositionBatch:
        batch = await info.context.blocking(
            disposition.approve,
            batch_id,
            decision_ref=decision_ref,
            decided_on=decided_on,
        )
        return DispositionBatch.from_domain(batch)


def _hold_change(change: dh.HoldChange) -> HoldChangeResult:
    return HoldChangeResult(
        hold=LegalHold.from_domain(change.hold), added=list(change.added), refused=list(change.refused)
    )
