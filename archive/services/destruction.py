"""Destruction under Circular 06/2025/TT-BNV: the appraisal council, the explanatory
note, the papers kept as records, the 15-day deadline, and the review status records show.

``archive.services.disposition`` plans, approves and purges batches; this module adds
what happens between planning and approval and after the purge. Who may do what
(``archive.domain.access``), checked here:

- the note, the council's seats and the papers belong to a records manager (or admin)
  who may manage every record of the batch (``can_convene_council``,
  ``can_attach_paper``); anyone else is answered as for a batch that does not exist
  (NotFound) when it may manage none of its records, and refused otherwise;
- a vote is cast by a seated member (by subject) who may sit in judgement of every
  record of the batch (``can_vote``); to anyone else the batch does not exist;
- ``review_shown`` is what ``Record.destructionReview`` shows: the status to whoever
  may read the record, the batch, reason and kept copy only to who may manage it
  (``can_see_review_details``).

Each paper is deposited through ``deposit_authorised`` as a record of the agency,
classified at the highest level among the batch's records (it lists them), so it is
sealed under WORM and read under ``can_read`` like any other record.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import BinaryIO

from archive.domain.access import (
    Principal,
    Readable,
    ReadScope,
    can_attach_paper,
    can_convene_council,
    can_manage,
    can_read,
    can_see_review_details,
    can_vote,
    is_external_subject,
)
from archive.domain.council import (
    NAME_MAX,
    NOTE_MAX,
    ROLE_MAX,
    CouncilMember,
    Tally,
    Vote,
    clean_text,
    tally,
)
from archive.domain.disposition import (
    NOTE_MAX as EXPLANATORY_NOTE_MAX,
)
from archive.domain.disposition import (
    BatchStatus,
    DestructionReview,
    DisposalReason,
    DispositionBatch,
    Paper,
    PaperKind,
    ReviewStatus,
)
from archive.domain.errors import DispositionRefused, MetadataInvalid, NotFound
from archive.domain.records import Classification, Record, RecordMetadata
from archive.services import audit
from archive.services.container import Services
from archive.services.deposit import deposit_authorised
from archive.services.disposition import get
from archive.services.retention import require_manager

_SUBJECT_PREFIXES = ("local:", "apikey:")  # the CLI's operators and API keys may sit too

# Which batch states accept which paper: the council's minutes before the purge, the
# decision once the batch is approved, the destruction minutes once it is executed.
_PAPER_STATES = {
    PaperKind.COUNCIL_MINUTES: (BatchStatus.PROPOSED, BatchStatus.APPROVED),
    PaperKind.DECISION: (BatchStatus.APPROVED, BatchStatus.EXECUTED),
    PaperKind.DESTRUCTION_MINUTES: (BatchStatus.EXECUTED,),
}


# -- the note and the council -----------------------------------------------------------


def set_note(services: Services, principal: Principal, batch_id: str, note: str) -> DispositionBatch:
    """Replace the explanatory note (bản thuyết minh) of a proposed batch. Blocking."""
    text = clean_text(note, "explanatory_note", EXPLANATORY_NOTE_MAX, required=False)
    _convened(services, principal, batch_id)
    services.disposition.set_note(batch_id, text)
    _audit(services, principal, "disposition.note", batch_id, {"length": len(text)})
    return get(services, principal, batch_id)


def seat(
    services: Services, principal: Principal, batch_id: str, *, subject: str, name: str, role: str
) -> DispositionBatch:
    """Seat a member on a proposed batch's council (or correct its name and role). The
    member is named by the subject it authenticates as; whether it may judge the batch's
    records is checked when it votes (``can_vote``). Blocking."""
    member = CouncilMember(
        subject=_member_subject(subject),
        name=clean_text(name, "name", NAME_MAX),
        role=clean_text(role, "role", ROLE_MAX),
        seated_by=principal.subject,
        seated_at=services.clock(),
    )
    _convened(services, principal, batch_id)
    services.disposition.seat(batch_id, member)
    _audit(services, principal, "disposition.seat", batch_id, {"member": member.subject, "role": member.role})
    return get(services, principal, batch_id)


def unseat(services: Services, principal: Principal, batch_id: str, subject: str) -> DispositionBatch:
    """Take a member, and its vote, off a proposed batch's council. Blocking."""
    _convened(services, principal, batch_id)
    if not services.disposition.unseat(batch_id, subject):
        raise MetadataInvalid("subject", "is not a member of the batch's council")
    _audit(services, principal, "disposition.unseat", batch_id, {"member": subject})
    return get(services, principal, batch_id)


def vote(services: Services, principal: Principal, batch_id: str, choice: Vote, note: str = "") -> Tally:
    """Cast or change the caller's vote on a proposed batch; returns the council's tally.
    A caller who holds no seat, or may not judge every record of the batch, is answered
    exactly as for a batch that does not exist. Blocking."""
    text = clean_text(note, "note", NOTE_MAX, required=False)
    batch = _member_view(services, principal, batch_id)
    if batch.status is not BatchStatus.PROPOSED:
        raise DispositionRefused(f"batch {batch_id} is {batch.status.value}, not proposed")
    services.disposition.vote(batch_id, principal.subject, choice, text, now=services.clock())
    _audit(services, principal, "disposition.vote", batch_id, {"vote": choice.value})
    return council_tally(services, _member_view(services, principal, batch_id))


def council_tally(services: Services, batch: DispositionBatch) -> Tally:
    """The council's votes against the quorum in force."""
    settings = services.settings
    return tally(
        batch.council, settings.quorum, planner=batch.planned_by, two_person=settings.two_person_rule
    )


def council_batches(services: Services, principal: Principal) -> list[DispositionBatch]:
    """Proposed batches on whose council the caller sits and may vote, whole (a council
    member judges every record of the batch). Blocking."""
    found = services.disposition.listing(BatchStatus.PROPOSED)
    return [b for b in found if _may_vote(principal, b)]


def _member_view(services: Services, principal: Principal, batch_id: str) -> DispositionBatch:
    batch = services.disposition.get(batch_id)
    if batch is None or not _may_vote(principal, batch):
        raise NotFound(f"disposition batch {batch_id} does not exist")
    return batch


def _may_vote(principal: Principal, batch: DispositionBatch) -> bool:
    return can_vote(principal, (m.subject for m in batch.council), (i.readable for i in batch.items))


def _member_subject(subject: str) -> str:
    text = subject.strip()
    local = text.startswith(_SUBJECT_PREFIXES) and is_external_subject(text.split(":", 1)[1] or "-")
    if not (local or is_external_subject(text)):
        raise MetadataInvalid("subject", "must be the subject a member authenticates as (no blanks)")
    return text


def _convened(services: Services, principal: Principal, batch_id: str) -> DispositionBatch:
    """The whole batch, for a caller who may convene its council."""
    require_manager(principal)
    get(services, principal, batch_id)  # NotFound when the caller may manage none of it
    batch = services.disposition.get(batch_id)
    assert batch is not None
    if not can_convene_council(principal, (i.readable for i in batch.items)):
        raise DispositionRefused("the batch holds records you may not manage")
    return batch


# -- papers ---------------------------------------------------------------------------------


def attach_paper(
    services: Services,
    principal: Principal,
    batch_id: str,
    kind: PaperKind,
    source: BinaryIO,
    *,
    filename: str,
    metadata: RecordMetadata,
    agency_code: str,
) -> tuple[DispositionBatch, Record]:
    """Deposit one of the batch's papers as a record of ``agency_code`` (one of the batch's
    agencies) and link it to the batch. The paper's type is the kind's (Biên bản,
    Quyết định), its classification the highest among the batch's records. The
    destruction minutes close the 15-day clock on their issue date. Blocking."""
    batch = _convened(services, principal, batch_id)
    if batch.status not in _PAPER_STATES[kind]:
        raise DispositionRefused(f"a batch that is {batch.status.value} takes no {_label(kind)}")
    if batch.paper(kind) is not None:
        raise DispositionRefused(f"the batch already has its {_label(kind)}")
    if agency_code not in {i.agency_code for i in batch.items}:
        raise MetadataInvalid("agency_code", "must be the agency of records in the batch")
    if not can_attach_paper(principal, (i.readable for i in batch.items), agency_code):
        raise DispositionRefused(f"you may not keep records for agency {agency_code}")
    level = max((Classification(i.classification) for i in batch.items), default=Classification.ORDINARY)
    meta = dataclasses.replace(
        metadata, document_type=kind.document_type, classification=level, is_public=False
    )
    record = deposit_authorised(
        services, principal, source, filename=filename, metadata=meta, agency_code=agency_code
    )
    paper = Paper(
        kind=kind,
        record_id=record.id,
        agency_code=agency_code,
        classification=int(level),
        issued_on=record.metadata.issue_date,
        attached_by=principal.subject,
        attached_at=services.clock(),
    )
    services.disposition.attach(batch_id, paper)
    _audit(services, principal, "disposition.paper", batch_id, {"kind": kind.value, "record": record.id})
    return get(services, principal, batch_id), record


def _label(kind: PaperKind) -> str:
    return kind.value.replace("_", " ")


# -- the 15-day deadline ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MinutesDeadline:
    """Where a decided batch stands against the 15 days between the destruction decision
    and the destruction minutes (Circular 06/2025)."""

    batch_id: str
    status: BatchStatus
    decision_ref: str | None
    decided_on: date
    due: date
    minutes_on: date | None  # the destruction minutes' issue date, once attached
    overdue: bool  # past due without minutes, or minutes dated after the due day
    days_left: int  # negative once overdue


def deadlines(
    services: Services, principal: Principal, *, overdue_only: bool = False
) -> list[MinutesDeadline]:
    """The decided batches the caller may see, each against its deadline, soonest due
    first; ``overdue_only``: only those past it. Blocking."""
    require_manager(principal)
    today = services.clock().date()
    found = []
    for status in (BatchStatus.APPROVED, BatchStatus.EXECUTED):
        for batch in services.disposition.listing(status, limit=10_000):
            if batch.decided_on is not None and _seen(principal, batch):
                found.append(_deadline(batch, today))
    found.sort(key=lambda d: (d.due, d.batch_id))
    return [d for d in found if d.overdue] if overdue_only else found


def _deadline(batch: DispositionBatch, today: date) -> MinutesDeadline:
    due = batch.minutes_due
    assert due is not None and batch.decided_on is not None
    minutes = batch.paper(PaperKind.DESTRUCTION_MINUTES)
    minutes_on = None if minutes is None else minutes.issued_on
    late = minutes_on > due if minutes_on is not None else today > due
    return MinutesDeadline(
        batch_id=batch.id,
        status=batch.status,
        decision_ref=batch.decision_ref,
        decided_on=batch.decided_on,
        due=due,
        minutes_on=minutes_on,
        overdue=late,
        days_left=(due - today).days,
    )


def _seen(principal: Principal, batch: DispositionBatch) -> bool:
    """Like a batch listing: the caller sees a batch holding a record it may manage."""
    return any(can_manage(principal, i.readable) for i in batch.items)


# -- what a record shows --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReviewShown:
    """``Record.destructionReview`` for one caller: the status always, the rest only for
    who may manage the record (None there otherwise)."""

    status: ReviewStatus
    batch_id: str | None
    reason: DisposalReason | None
    duplicate_of: str | None


@dataclass(frozen=True, slots=True)
class DossierReviewShown:
    """A dossier's place on the way to destruction, over the documents the caller may read:
    the status (``DESTRUCTION_APPROVED`` once every such document's batch is approved),
    how many of them are in an open batch, and the batches, for who may manage them."""

    status: ReviewStatus
    records: int
    batch_ids: tuple[str, ...]


def dossier_review(services: Services, principal: Principal, dossier_id: str) -> DossierReviewShown | None:
    """What the caller sees of a dossier's review: None for a dossier it may not read
    (``can_read_dossier``) or with no document it may read in an open batch. Blocking."""
    dossier = services.archival.dossier(dossier_id, ReadScope.for_principal(principal))
    if dossier is None:
        return None
    found = services.disposition.dossier_reviews(dossier_id)
    readable = services.records.get_many(
        [r.record_id for r in found], ReadScope.for_principal(principal), with_pages=False
    )
    seen = [r for r in found if r.record_id in readable]  # counts never count a hidden record
    if not seen:
        return None
    approved = all(r.status is ReviewStatus.DESTRUCTION_APPROVED for r in seen)
    managed = sorted({r.batch_id for r in seen if can_see_review_details(principal, r.readable)})
    return DossierReviewShown(
        status=ReviewStatus.DESTRUCTION_APPROVED if approved else ReviewStatus.UNDER_REVIEW,
        records=len(seen),
        batch_ids=tuple(managed),
    )


def reviews(services: Services, record_ids: Sequence[str]) -> dict[str, DestructionReview]:
    """Where each of ``record_ids`` stands in an open batch (unfiltered: pass each through
    ``review_shown`` with the caller before showing it). Blocking."""
    return services.disposition.reviews(record_ids)


def review_shown(
    principal: Principal, record: Readable, review: DestructionReview | None
) -> ReviewShown | None:
    """What the caller sees of a record's review: nothing for a record it may not read (or
    not under review), the status for a reader, everything for who may manage it."""
    if review is None or not can_read(principal, record):
        return None
    if not can_see_review_details(principal, record):
        return ReviewShown(status=review.status, batch_id=None, reason=None, duplicate_of=None)
    return ReviewShown(
        status=review.status, batch_id=review.batch_id, reason=review.reason, duplicate_of=review.duplicate_of
    )


def _audit(
    services: Services, principal: Principal, action: str, target: str, details: dict[str, str | int]
) -> None:
    audit.append(services, actor=principal.subject, action=action, target=target, details=details)
