"""Defensible disposition: plan a batch, approve it, purge it record by record.

The purge of one record is a state machine (see ``archive.domain.disposition``):
remove from the index, delete every object version by id, replace the row by a
tombstone, append to the audit chain. Each step is idempotent and its end is
recorded, so ``run`` resumes a crashed purge to the same end state.

Who may do what (``archive.domain.access``), checked here:

- ``plan`` proposes only records the planner may manage (``ManageScope``
  compiled into the candidates query), and keeps the planner's scope;
- ``approve`` needs a records manager or admin who may manage EVERY item of
  the batch and, with the two-person rule on (``Settings.two_person_rule``, the
  default in production), someone other than the planner; it keeps the
  approver's scope;
- the purge re-checks each record, as it stands when its purge starts, against
  both stored scopes, and skips it when either no longer covers it;
- listings, exports and tombstones show a caller only the records it may
  manage (tombstones: ``can_read_tombstone``); a batch with none of them looks
  like a batch that does not exist.
"""

from __future__ import annotations

import asyncio
import csv
import dataclasses
import io
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from archive.domain.access import (
    ManageScope,
    Principal,
    Readable,
    ReadScope,
    can_approve_disposition,
    can_manage,
    can_read_tombstone,
)
from archive.domain.council import clean_text, tally
from archive.domain.disposition import (
    NOTE_MAX,
    BatchItem,
    BatchStatus,
    DisposalReason,
    DispositionBatch,
    ItemState,
    Tombstone,
    next_state,
)
from archive.domain.errors import DispositionRefused, MetadataInvalid, NotFound, ObjectLocked
from archive.domain.files import files_prefix, record_prefix
from archive.domain.listing import spreadsheet_safe  # one neutraliser for every spreadsheet export
from archive.domain.records import Classification
from archive.domain.transfer import TransferStatus
from archive.services import audit, transfer
from archive.services.certificate import write_certificate
from archive.services.container import Services
from archive.services.retention import compute, require_manager

PLAN_LIMIT_MAX = 10_000
DECISION_REF_MAX = 200  # the column's size

DESTROY_ACTION = "retention.destroy"


class InjectedCrash(Exception):
    """Raised by ``run(crash_after=...)``: a test's stand-in for a power cut."""


@dataclass
class RunReport:
    """What a run did (or, dry, would do)."""

    destroyed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    blocked: dict[str, str] = field(default_factory=dict)  # record id -> why storage refused
    executed_batches: list[str] = field(default_factory=list)
    certificates: list[Path] = field(default_factory=list)


# -- plan, approve, look ------------------------------------------------------------------


def plan(
    services: Services,
    principal: Principal,
    *,
    limit: int = 1000,
    note: str = "",
    duplicates: bool = True,
    dossier_id: str | None = None,
    transfer_id: str | None = None,
) -> DispositionBatch | None:
    """Propose a batch of the records the caller may manage that are due today or earlier,
    and (``duplicates``) of redundant copies of records the archive keeps, all under no
    hold; None when there is none. Every item carries its disposal reason; the batch
    carries ``note``, its explanatory note. Its records are then under review for
    destruction until the batch is executed. With ``dossier_id``: the whole dossier, every
    document of it, or DispositionRefused (see ``_dossier_items``). With ``transfer_id``: the
    local copies of the records an accepted transfer batch took to the historical archive,
    with the transfer as their basis (see ``_transferred_items``). Blocking."""
    require_manager(principal)
    if not 1 <= limit <= PLAN_LIMIT_MAX:
        raise MetadataInvalid("limit", f"must be between 1 and {PLAN_LIMIT_MAX}")
    note = clean_text(note, "explanatory_note", NOTE_MAX, required=False)
    _compute_missing(services)
    today = services.clock().date()
    scope = ManageScope.for_principal(principal)
    if transfer_id is not None:
        candidates = _transferred_items(services, principal, transfer_id, today, scope)
        note = note or f"Tài liệu đã nộp lưu vào Lưu trữ lịch sử (đợt nộp lưu {transfer_id})"
    elif dossier_id is not None:
        candidates = _dossier_items(services, principal, dossier_id, today, scope)
    else:
        candidates = services.disposition.candidates(today, scope, limit=limit)
    if dossier_id is None and transfer_id is None and duplicates and len(candidates) < limit:
        candidates += _duplicates(services, today, scope, candidates, limit - len(candidates))
    if not candidates:
        return None
    batch_id = str(uuid.uuid4())
    batch = DispositionBatch(
        id=batch_id,
        status=BatchStatus.PROPOSED,
        planned_by=principal.subject,
        planned_at=services.clock(),
        cutoff=today,
        items=tuple(dataclasses.replace(i, batch_id=batch_id) for i in candidates),
        planner_scope=scope,
        explanatory_note=note,
    )
    services.disposition.create(batch)
    redundant = sum(1 for i in candidates if i.reason is DisposalReason.DUPLICATE)
    audit.append(
        services,
        actor=principal.subject,
        action="disposition.plan",
        target=batch_id,
        details={
            "records": len(candidates),
            "duplicates": redundant,
            "cutoff": today.isoformat(),
            **({"transfer": transfer_id} if transfer_id else {}),
        },
    )
    return get(services, principal, batch_id)


def _dossier_items(
    services: Services, principal: Principal, dossier_id: str, today: date, scope: ManageScope
) -> list[BatchItem]:
    """Every document of the dossier, for a planner who may manage the dossier. A dossier is
    destroyed whole (Circular 06/2025): refused unless each of its documents is due, under no
    hold, in no open batch and the planner's to manage. The refusal never says which or how
    many, so it tells nothing about documents the planner may not see."""
    dossier = services.archival.dossier(dossier_id, ReadScope.for_principal(principal))
    if dossier is None or not can_manage(principal, Readable.of_dossier(dossier)):
        raise NotFound(f"dossier {dossier_id} does not exist")
    members = services.archival.member_ids(dossier_id)
    if not members:
        raise DispositionRefused("the dossier holds no documents")
    found = services.disposition.candidates(today, scope, limit=len(members), among=members)
    if len(found) != len(members):
        raise DispositionRefused(
            "a dossier is destroyed whole: every document in it must be due, under no hold, "
            "in no open batch and yours to manage"
        )
    return found


def _transferred_items(
    services: Services, principal: Principal, transfer_id: str, today: date, scope: ManageScope
) -> list[BatchItem]:
    """The records an accepted transfer batch took, for a planner who may see the batch whole
    (NotFound otherwise, as for a batch that does not exist); those held, already in an open
    batch or outside the planner's scope are left out, as for ``candidates``."""
    batch = transfer.get(services, principal, transfer_id)
    if batch.status is not TransferStatus.ACCEPTED:
        raise DispositionRefused(
            "only the records of an accepted transfer batch may be disposed of on its basis"
        )
    return services.disposition.transferred(
        today, scope, among=services.transfers.transferred_records(batch.id)
    )


def _duplicates(
    services: Services, today: date, scope: ManageScope, expired: list[BatchItem], limit: int
) -> list[BatchItem]:
    """Redundant copies, leaving out any whose kept copy this batch would destroy."""
    going = {i.record_id for i in expired}
    found = services.disposition.duplicates(today, scope, limit=limit)
    going |= {i.record_id for i in found}
    return [i for i in found if i.duplicate_of not in going]


def approve(
    services: Services,
    principal: Principal,
    batch_id: str,
    *,
    decision_ref: str,
    decided_on: date | None = None,
) -> DispositionBatch:
    """Approve a proposed batch under the destruction decision (its reference, and its date:
    ``decided_on``, default today, starts the 15-day clock of the destruction minutes).
    Blocking.

    Refused unless the approver may manage every record of the batch, the appraisal
    council has reached the configured quorum (``Settings.quorum``; with the two-person
    rule on, someone other than the planner approved) and, with the two-person rule on,
    the approver is not its planner.
    """
    require_manager(principal)
    ref = decision_ref.strip()
    if not ref:
        raise MetadataInvalid("decision_ref", "an approval needs the decision's reference")
    if len(ref) > DECISION_REF_MAX:
        raise MetadataInvalid("decision_ref", f"at most {DECISION_REF_MAX} characters")
    batch = _stored(services, principal, batch_id)
    two_person = services.settings.two_person_rule
    if not can_approve_disposition(principal, planner=batch.planned_by, two_person=two_person):
        raise DispositionRefused("this deployment requires an approver other than the planner")
    scope = ManageScope.for_principal(principal)
    if not all(scope.allows(i.readable) for i in batch.items):
        raise DispositionRefused("the batch holds records you may not manage")
    votes = tally(batch.council, services.settings.quorum, planner=batch.planned_by, two_person=two_person)
    if not votes.reached:
        raise DispositionRefused(
            f"the appraisal council has not reached its quorum: {votes.approvals} approvals of "
            f"{votes.members} members, {votes.required} needed"
            + (", one of them not the planner" if two_person else "")
        )
    now = services.clock()
    if decided_on is not None and decided_on > now.date():
        raise MetadataInvalid("decided_on", "the decision's date cannot be in the future")
    services.disposition.approve(
        batch_id, approver=principal.subject, scope=scope, decision_ref=ref, now=now, decided_on=decided_on
    )
    audit.append(
        services,
        actor=principal.subject,
        action="disposition.approve",
        target=batch_id,
        details={
            "decision_ref": ref,
            "records": len(batch.items),
            "approvals": votes.approvals,
            "members": votes.members,
        },
    )
    return get(services, principal, batch_id)


def get(services: Services, principal: Principal, batch_id: str) -> DispositionBatch:
    """A batch as the caller may see it; NotFound when it shows none of its records. Blocking."""
    require_manager(principal)
    seen = _seen_by(_stored(services, principal, batch_id), principal)
    if seen is None:
        raise NotFound(f"disposition batch {batch_id} does not exist")
    return seen


def listing(
    services: Services, principal: Principal, status: BatchStatus | None = None
) -> list[DispositionBatch]:
    """Batches, newest first, as the caller may see them. Blocking."""
    require_manager(principal)
    seen = (_seen_by(b, principal) for b in services.disposition.listing(status))
    return [b for b in seen if b is not None]


def export(services: Services, principal: Principal, batch_id: str, fmt: str) -> str:
    """A batch as the caller may see it, as CSV or JSON, for review outside the archive. Blocking."""
    if fmt not in ("csv", "json"):
        raise MetadataInvalid("format", "must be csv or json")
    return render(get(services, principal, batch_id), fmt)


def tombstone(services: Services, principal: Principal, record_id: str) -> Tombstone | None:
    """What remains of a destroyed record, for who may read it (``can_read_tombstone``);
    None for anyone else, exactly as for a record never destroyed. Blocking."""
    found = services.disposition.tombstone_of(record_id)
    if found is None:
        return None
    facts = Readable(found.agency_code, Classification(found.classification), is_public=False)
    return found if can_read_tombstone(principal, facts) else None


def render(batch: DispositionBatch, fmt: str) -> str:
    """A batch as CSV or JSON text. CSV cells are neutralised against formula injection:
    a spreadsheet must show a depositor's ``=HYPERLINK(...)`` as text, never run it."""
    rows = [
        {
            "record_id": i.record_id,
            "document_number": i.document_number,
            "document_type": i.document_type,
            "agency_code": i.agency_code,
            "rule_code": i.rule_code or "",
            "disposal_date": i.disposal_date.isoformat(),
            "sha256": i.sha256,
            "state": i.state.value,
            "reason": i.reason.value,
            "duplicate_of": i.duplicate_of or "",
        }
        for i in batch.items
    ]
    if fmt == "json":
        head = {
            "batch_id": batch.id,
            "status": batch.status.value,
            "cutoff": batch.cutoff.isoformat(),
            "explanatory_note": batch.explanatory_note,
        }
        return json.dumps({**head, "records": rows}, ensure_ascii=False, indent=2)
    if fmt != "csv":
        raise MetadataInvalid("format", "must be csv or json")
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]) if rows else ["record_id"])
    writer.writeheader()
    writer.writerows({k: spreadsheet_safe(v) for k, v in row.items()} for row in rows)
    return out.getvalue()


def _stored(services: Services, principal: Principal, batch_id: str) -> DispositionBatch:
    batch = services.disposition.get(batch_id)
    if batch is None or _seen_by(batch, principal) is None:
        raise NotFound(f"disposition batch {batch_id} does not exist")
    return batch


def _seen_by(batch: DispositionBatch, principal: Principal) -> DispositionBatch | None:
    """The batch with only the items (and papers) the caller may manage; None when that
    leaves no item. The explanatory note, written about every record of the batch, is
    shown only to who may manage them all: to anyone else it is empty."""
    scope = ManageScope.for_principal(principal)
    items = tuple(i for i in batch.items if scope.allows(i.readable))
    if not items:
        return None
    papers = tuple(p for p in batch.papers if scope.allows(p.readable))
    note = batch.explanatory_note if len(items) == len(batch.items) else ""
    return dataclasses.replace(batch, items=items, papers=papers, explanatory_note=note)


# -- run ------------------------------------------------------------------------------------


async def run(
    services: Services,
    *,
    dry_run: bool = False,
    crash_after: ItemState | None = None,
    on_item: Callable[[], None] | None = None,
) -> RunReport:
    """Purge every approved batch. ``crash_after`` (tests) raises InjectedCrash once the
    named step's work is done but before its end is recorded."""
    report = RunReport()
    await services.index.ensure_ready()  # idempotent; a fresh deployment may have no index yet
    for batch in await asyncio.to_thread(services.disposition.listing, BatchStatus.APPROVED):
        for item in batch.items:
            if not item.state.final:
                if dry_run:
                    _dry(services, item, report)
                else:
                    await purge(services, batch, item, report, crash_after=crash_after)
            if on_item is not None:
                on_item()
        if not dry_run:
            await asyncio.to_thread(_finish, services, batch.id, report)
    return report


def pending_count(services: Services) -> int:
    """Records of approved batches that a run would go through (for a progress bar)."""
    return sum(len(b.items) for b in services.disposition.listing(BatchStatus.APPROVED))


async def purge(
    services: Services,
    batch: DispositionBatch,
    item: BatchItem,
    report: RunReport,
    *,
    crash_after: ItemState | None = None,
) -> None:
    """Take one record from where it stands to DONE (or SKIPPED), step by step."""
    state = item.state
    while not state.final:
        target = next_state(state)
        try:
            item = await _STEPS[target](services, batch, item)
        except ObjectLocked as exc:
            await asyncio.to_thread(
                services.disposition.set_state,
                batch.id,
                item.record_id,
                state,
                now=services.clock(),
                note=exc.message,
            )
            report.blocked[item.record_id] = exc.message
            return
        if item.state is ItemState.SKIPPED:
            report.skipped.append(item.record_id)
            return
        if crash_after is target:
            raise InjectedCrash(f"crash after {target.value} of {item.record_id}")
        if target is not ItemState.STARTED and target is not ItemState.TOMBSTONED:
            await asyncio.to_thread(
                services.disposition.set_state,
                batch.id,
                item.record_id,
                target,
                now=services.clock(),
                version_ids=item.version_ids,
            )
        state = target
    report.destroyed.append(item.record_id)


async def _start(services: Services, batch: DispositionBatch, item: BatchItem) -> BatchItem:
    today = services.clock().date()
    state = await asyncio.to_thread(
        services.disposition.start, batch.id, item.record_id, today=today, now=services.clock()
    )
    return dataclasses.replace(item, state=state)


async def _unindex(services: Services, batch: DispositionBatch, item: BatchItem) -> BatchItem:
    await services.index.delete(item.record_id)
    return item


async def _delete_blobs(services: Services, batch: DispositionBatch, item: BatchItem) -> BatchItem:
    return await asyncio.to_thread(_delete_blobs_sync, services, batch, item)


def _delete_blobs_sync(services: Services, batch: DispositionBatch, item: BatchItem) -> BatchItem:
    key = item.storage_key
    if not item.version_ids:
        # Kept BEFORE deleting, for the tombstone: after a crash they are gone from storage.
        ids = services.blobs.version_ids(key)
        item = dataclasses.replace(item, version_ids=ids)
        services.disposition.set_version_ids(batch.id, item.record_id, ids)
    # Every file of the record and every version of it: the main file's key, and all
    # the keys under its files prefix (archive.domain.files).
    keys = [key, record_prefix(item.record_id), *services.blobs.list_keys(files_prefix(item.record_id))]
    for each in dict.fromkeys(keys):
        _purge_key(services, each)
    return item


def _purge_key(services: Services, key: str) -> None:
    for version in services.blobs.version_ids(key):
        # The database checked, under the row lock, that no hold names the record;
        # a stale S3 hold (a release whose mirroring failed) must not block the purge.
        if services.blobs.get_legal_hold(key, version):
            services.blobs.set_legal_hold(key, version, False)
    services.blobs.delete_all_versions(key)


async def _tombstone(services: Services, batch: DispositionBatch, item: BatchItem) -> BatchItem:
    await asyncio.to_thread(services.disposition.tombstone, batch, item, now=services.clock())
    return item


async def _append_audit(services: Services, batch: DispositionBatch, item: BatchItem) -> BatchItem:
    await asyncio.to_thread(_append_audit_sync, services, batch, item)
    return item


def _append_audit_sync(services: Services, batch: DispositionBatch, item: BatchItem) -> None:
    if audit.find(services, action=DESTROY_ACTION, target=item.record_id) is not None:
        return  # appended before a crash
    audit.append(
        services,
        actor=batch.approved_by or batch.planned_by,
        action=DESTROY_ACTION,
        target=item.record_id,
        details={
            "batch": batch.id,
            "decision_ref": batch.decision_ref,
            "document_number": item.document_number,
            "rule_code": item.rule_code,
            "disposal_date": item.disposal_date.isoformat(),
            "sha256": item.sha256,
            "version_ids": json.dumps(list(item.version_ids)),
        },
    )


_STEPS = {
    ItemState.STARTED: _start,
    ItemState.UNINDEXED: _unindex,
    ItemState.BLOBS_DELETED: _delete_blobs,
    ItemState.TOMBSTONED: _tombstone,
    ItemState.DONE: _append_audit,
}


def _dry(services: Services, item: BatchItem, report: RunReport) -> None:
    held = services.holds.held_ids([item.record_id])
    (report.skipped if held else report.destroyed).append(item.record_id)


def _finish(services: Services, batch_id: str, report: RunReport) -> None:
    if not services.disposition.finish(batch_id, now=services.clock()):
        return
    batch = services.disposition.get(batch_id)
    assert batch is not None
    tombstones = services.disposition.tombstones(batch_id)
    paths = write_certificate(services.settings.data_dir / "certificates", batch, tombstones)
    if audit.find(services, action="disposition.executed", target=batch_id) is None:
        audit.append(
            services,
            actor=batch.approved_by or batch.planned_by,
            action="disposition.executed",
            target=batch_id,
            details={"destroyed": len(tombstones), "decision_ref": batch.decision_ref},
        )
    report.executed_batches.append(batch_id)
    report.certificates.extend(paths)


def _compute_missing(services: Services) -> None:
    """Records deposited but not sealed yet still get a disposal date before planning."""
    while ids := services.retention.uncomputed_ids(limit=500):
        for record_id in ids:
            compute(services, record_id)
