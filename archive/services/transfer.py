"""The handover to the historical archive: transfer batches, prepared -> sent -> accepted or
refused (``archive.domain.transfer``).

Check -> act -> audit, like every use case, with the rules of ``archive.domain.access``:

- preparing takes dossiers the caller may read; each must be the caller's to transfer
  (``can_transfer``), permanent, closed or in the agency archive, in no other batch, with
  every member the caller's to manage, none processing and none held. The others are
  refused and named with their reason; a dossier the caller may not read is refused like
  an id that does not exist;
- a batch is seen whole or not at all (``can_see_transfer``): who may not manage every
  dossier of it finds it exactly like a batch that does not exist (NOT_FOUND, absent from
  listings);
- sending needs, with the two-person rule on, someone other than the preparer
  (``can_hand_over``); each move is conditional on the state it was read in;
- acceptance keeps the receiving archive's receipt (its reference, and its acknowledgement
  file under a legal hold in the blob store), moves the dossiers to TRANSFERRED and marks
  their records transferred: the basis ``archive.services.disposition.plan`` accepts for
  destroying the local copies. A refusal keeps its reason and frees the dossiers.

Audit actions: transfer.prepare, transfer.send, transfer.accept, transfer.refuse (target:
the batch; details: the receiving archive, its reference, and the member records' ids, so
an auditor who may not read one of them never sees the entry).
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from archive.domain import transfer as dt
from archive.domain.access import (
    UNRESTRICTED,
    ManageScope,
    Principal,
    Readable,
    ReadScope,
    can_hand_over,
    can_see_transfer,
    can_transfer,
    manages_retention,
)
from archive.domain.archival import Dossier, DossierStatus
from archive.domain.audit import COUNT_DETAIL, IDS_DETAIL, DetailValue
from archive.domain.errors import DispositionRefused, Forbidden, MetadataInvalid, NotFound
from archive.domain.listing import Column, ExportFormat, Listing, Section
from archive.domain.transfer import TransferBatch, TransferItem, TransferStatus, Unfit
from archive.services import audit
from archive.services.container import Services
from archive.services.transfer_packages import Packager, sip_packages

RECEIPT_PREFIX = "transfer-receipts"
_PAGE = 500


@dataclass(frozen=True, slots=True)
class Preparation:
    """What preparing did: the batch (None when no dossier could go) and the dossiers refused."""

    batch: TransferBatch | None
    refused: tuple[Unfit, ...]


@dataclass(frozen=True, slots=True)
class Selection:
    """Which dossiers to prepare: by ids, by file codes in a fonds, or a fonds's year."""

    dossier_ids: tuple[str, ...] = ()
    fonds_id: str | None = None
    file_codes: tuple[str, ...] = ()
    year: int | None = None


def batch_folder(services: Services, batch_id: str) -> Path:
    """Where a batch's packages are written."""
    return services.settings.data_dir / "transfers" / batch_id


# -- prepare ----------------------------------------------------------------------------------


def prepare(
    services: Services,
    principal: Principal,
    selection: Selection,
    *,
    archive_name: str,
    packager: Packager = sip_packages,
) -> Preparation:
    """Prepare a batch of the selected dossiers that can go, and name the others. Blocking."""
    if not manages_retention(principal):
        raise Forbidden("preparing a transfer needs the records_manager or admin role")
    name = dt.clean(archive_name, "archive_name", dt.NAME_MAX, required=True)
    chosen, refused = _select(services, principal, selection)
    fit: list[Dossier] = []
    for dossier in chosen:
        reason = _unfit(services, principal, dossier)
        if reason is None:
            fit.append(dossier)
        else:
            refused.append(Unfit(dossier.file_code, reason))
    if not fit:
        return Preparation(None, tuple(refused))
    batch_id = str(uuid.uuid4())
    packages = packager(services, principal, fit, batch_folder(services, batch_id))
    items = tuple(_item(services, d, p) for d, p in zip(fit, packages, strict=True))
    batch = TransferBatch(
        id=batch_id,
        status=TransferStatus.PREPARED,
        archive_name=name,
        prepared_by=principal.subject,
        prepared_at=services.clock(),
        items=items,
    )
    services.transfers.create(batch)
    _audit(services, principal, "transfer.prepare", batch, {"dossiers": len(items)})
    return Preparation(batch, tuple(refused))


def _select(
    services: Services, principal: Principal, selection: Selection
) -> tuple[list[Dossier], list[Unfit]]:
    scope = ReadScope.for_principal(principal)
    if selection.dossier_ids:
        _check_count(selection.dossier_ids)
        found = {i: services.archival.dossier(i, scope) for i in dict.fromkeys(selection.dossier_ids)}
        return [d for d in found.values() if d], [
            Unfit(i, "no such dossier") for i, d in found.items() if not d
        ]
    if selection.fonds_id is None:
        raise MetadataInvalid("selection", "give dossier ids, or a fonds with file codes or a year")
    if selection.file_codes:
        _check_count(selection.file_codes)
        codes = list(dict.fromkeys(selection.file_codes))
        by_code = {c: services.archival.dossier_by_code(selection.fonds_id, c, scope) for c in codes}
        return [d for d in by_code.values() if d], [
            Unfit(c, "no such dossier") for c, d in by_code.items() if not d
        ]
    if selection.year is None:
        raise MetadataInvalid("year", "give the year, or file codes, of the fonds's dossiers")
    every = _all_readable(services, scope, fonds_id=selection.fonds_id, year=selection.year)
    return [d for d in every if d.maintenance == dt.PERMANENT], []


def _check_count(values: Sequence[str]) -> None:
    if len(values) > dt.BATCH_DOSSIERS_MAX:
        raise MetadataInvalid("dossiers", f"at most {dt.BATCH_DOSSIERS_MAX} in one batch")


def _all_readable(
    services: Services,
    scope: ReadScope,
    *,
    fonds_id: str | None = None,
    year: int | None = None,
    status: DossierStatus | None = None,
) -> list[Dossier]:
    found: list[Dossier] = []
    after: str | None = None
    while True:
        page = services.archival.dossiers(
            scope, fonds_id=fonds_id, year=year, status=status, after=after, limit=_PAGE
        )
        found.extend(page)
        if len(page) < _PAGE:
            return found
        after = page[-1].id


def _unfit(services: Services, principal: Principal, dossier: Dossier) -> str | None:
    if not can_transfer(principal, Readable.of_dossier(dossier)):
        return "not yours to transfer"
    members = services.archival.members(dossier.id, UNRESTRICTED)
    ids = [m.record_id for m in members]
    if len(services.retention.manageable(ids, ManageScope.for_principal(principal))) != len(ids):
        return "it holds records outside what you may manage"
    return dt.unfit_reason(
        dossier,
        processing=[m.record_id for m in members if m.processing],
        held=sorted(services.holds.held_ids(ids)),
        busy=bool(services.transfers.busy_dossiers([dossier.id])),
    )


def _item(services: Services, dossier: Dossier, package: dt.Package) -> TransferItem:
    members = services.archival.members(dossier.id, UNRESTRICTED)
    records = services.records.get_many([m.record_id for m in members], UNRESTRICTED, with_pages=False)
    return TransferItem(
        dossier_id=dossier.id,
        file_code=dossier.file_code,
        title=dossier.title,
        agency_code=dossier.agency_code,
        classification=int(dossier.classification),
        documents=len(members),
        pages=sum(m.page_count or 0 for m in members),
        bytes=sum(r.file.size for r in records.values()),
        package=package,
    )


# -- look -------------------------------------------------------------------------------------


def get(services: Services, principal: Principal, batch_id: str) -> TransferBatch:
    """A batch the caller may see whole; NotFound otherwise, as for an id that names none."""
    found = services.transfers.get(batch_id)
    if found is None or not can_see_transfer(principal, (i.readable for i in found.items)):
        raise NotFound(f"transfer batch {batch_id} does not exist")
    return found


def listing(
    services: Services, principal: Principal, status: TransferStatus | None = None
) -> list[TransferBatch]:
    """The batches the caller may see whole, newest first. Blocking."""
    if not manages_retention(principal):
        return []
    return [
        b
        for b in services.transfers.listing(status)
        if can_see_transfer(principal, (i.readable for i in b.items))
    ]


# -- send, accept, refuse ---------------------------------------------------------------------


def send(services: Services, principal: Principal, batch_id: str, *, reference: str = "") -> TransferBatch:
    """Record that the batch was handed to the receiving archive (with its reference). Blocking."""
    batch = get(services, principal, batch_id)
    dt.check_move(batch.status, TransferStatus.SENT)
    ref = dt.clean(reference, "reference", dt.REFERENCE_MAX, required=False)
    if not can_hand_over(principal, preparer=batch.prepared_by, two_person=services.settings.two_person_rule):
        raise DispositionRefused(
            "this deployment requires someone other than the preparer to hand a batch over"
        )
    _move(
        services,
        batch,
        TransferStatus.SENT,
        sent_by=principal.subject,
        sent_at=services.clock(),
        reference=ref,
    )
    moved = get(services, principal, batch_id)
    _audit(services, principal, "transfer.send", moved, {"reference": ref})
    return moved


def accept(
    services: Services,
    principal: Principal,
    batch_id: str,
    *,
    receipt_ref: str = "",
    receipt: bytes | None = None,
) -> TransferBatch:
    """Record the receiving archive's acceptance: its receipt (a reference, the acknowledgement
    file, or both), the dossiers TRANSFERRED and their records marked transferred. Blocking."""
    batch = get(services, principal, batch_id)
    dt.check_move(batch.status, TransferStatus.ACCEPTED)
    ref = dt.clean(receipt_ref, "receipt_ref", dt.REFERENCE_MAX, required=False)
    if not ref and not receipt:
        raise MetadataInvalid("receipt", "give the receipt's reference, or the acknowledgement file")
    if receipt is not None and not 0 < len(receipt) <= dt.RECEIPT_MAX_BYTES:
        raise MetadataInvalid(
            "receipt", f"the acknowledgement file is 1 byte to {dt.RECEIPT_MAX_BYTES} bytes"
        )
    _check_still_with_agency(services, batch)
    key, digest = _keep_receipt(services, batch.id, receipt) if receipt else ("", "")
    now = services.clock()
    fields = {"decided_by": principal.subject, "decided_at": now, "receipt_ref": ref}
    _move(services, batch, TransferStatus.ACCEPTED, **fields, receipt_key=key, receipt_sha256=digest)
    records = _hand_dossiers_over(services, batch)
    services.transfers.mark_transferred(batch.id, records, now=now)
    moved = get(services, principal, batch_id)
    _audit(services, principal, "transfer.accept", moved, {"receipt_ref": ref, "receipt_sha256": digest})
    return moved


def refuse(services: Services, principal: Principal, batch_id: str, *, reason: str) -> TransferBatch:
    """Record that the receiving archive sent the batch back, and why: its dossiers stay with
    the agency and may go in a new batch. Blocking."""
    batch = get(services, principal, batch_id)
    dt.check_move(batch.status, TransferStatus.REFUSED)
    why = dt.clean(reason, "reason", dt.REASON_MAX, required=True)
    _move(
        services,
        batch,
        TransferStatus.REFUSED,
        decided_by=principal.subject,
        decided_at=services.clock(),
        refusal_reason=why,
    )
    moved = get(services, principal, batch_id)
    _audit(services, principal, "transfer.refuse", moved, {"reason": why[:500]})
    return moved


def receipt_bytes(services: Services, principal: Principal, batch_id: str) -> bytes:
    """The acknowledgement file kept with an accepted batch. Blocking."""
    batch = get(services, principal, batch_id)
    if not batch.receipt_key:
        raise NotFound(f"transfer batch {batch_id} has no acknowledgement file")
    return b"".join(services.blobs.iter_bytes(batch.receipt_key))


def _check_still_with_agency(services: Services, batch: TransferBatch) -> None:
    """Acceptance refused, naming them, when dossiers were reopened (or are gone) since the
    batch was prepared: what was packaged is no longer what they hold."""
    ready = (DossierStatus.CLOSED, DossierStatus.IN_AGENCY_ARCHIVE)
    moved = [
        i.file_code
        for i in batch.items
        if (found := services.archival.dossier(i.dossier_id, UNRESTRICTED)) is None
        or found.status not in ready
    ]
    if moved:
        raise MetadataInvalid(
            "dossiers", f"no longer closed since the batch was prepared: {', '.join(moved)}"
        )


def _move(services: Services, batch: TransferBatch, wanted: TransferStatus, **fields: object) -> None:
    if not services.transfers.move(batch.id, batch.status, wanted, **fields):
        raise DispositionRefused(f"the batch changed meanwhile: it is no longer {batch.status.value}")


def _keep_receipt(services: Services, batch_id: str, receipt: bytes) -> tuple[str, str]:
    """The acknowledgement under a legal hold: the basis of destroying the local copies must
    outlive them, unchanged (WORM where the store has Object Lock)."""
    digest = hashlib.sha256(receipt).hexdigest()
    key = f"{RECEIPT_PREFIX}/{batch_id}/{digest}"
    version = services.blobs.put(
        key, io.BytesIO(receipt), size=len(receipt), sha256=digest, media_type="application/octet-stream"
    )
    services.blobs.set_legal_hold(key, version, True)
    return key, digest


def _hand_dossiers_over(services: Services, batch: TransferBatch) -> list[str]:
    """Every dossier of the batch to TRANSFERRED (through IN_AGENCY_ARCHIVE when it was only
    closed); the ids of their records, in dossier and ordinal order."""
    records: list[str] = []
    for item in batch.items:
        dossier = services.archival.dossier(item.dossier_id, UNRESTRICTED)
        if dossier is None:
            continue
        if dossier.status is DossierStatus.CLOSED:
            dossier = _save_status(services, dossier, DossierStatus.IN_AGENCY_ARCHIVE)
        if dossier.status is DossierStatus.IN_AGENCY_ARCHIVE:
            _save_status(services, dossier, DossierStatus.TRANSFERRED)
        records.extend(services.archival.member_ids(item.dossier_id))
    return records


def _save_status(services: Services, dossier: Dossier, status: DossierStatus) -> Dossier:
    moved = dataclasses.replace(dossier, status=status, updated_at=services.clock())
    return services.archival.save_dossier(moved, expected_version=dossier.row_version)


# -- the handover minutes ---------------------------------------------------------------------


def minutes(services: Services, principal: Principal, batch_id: str) -> tuple[str, bytes]:
    """The handover minutes (biên bản giao nhận tài liệu) of a batch as a PDF: its file name
    and bytes. Audited as ``transfer.minutes``. Blocking."""
    batch = get(services, principal, batch_id)
    listing = Listing(
        title="BIÊN BẢN GIAO NHẬN TÀI LIỆU",
        caption=dt.minutes_caption(batch),
        section_heading="",
        columns=tuple(Column(h, w) for h, w in dt.MINUTES_COLUMNS),
        sections=(Section("", dt.minutes_rows(batch)),),
        filename_stem=f"bien-ban-giao-nhan-{batch.id}",
    )
    content = services.renderer.render(listing, ExportFormat.PDF)
    _audit(services, principal, "transfer.minutes", batch, {"format": "pdf"})
    return listing.filename(ExportFormat.PDF), content


# -- deadlines --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DueDossier:
    """A permanent dossier still with the agency, and its transfer deadline."""

    dossier: Dossier
    deadline: date
    overdue: bool


def due(
    services: Services, principal: Principal, *, within_days: int = dt.WARNING_DAYS, today: date | None = None
) -> list[DueDossier]:
    """The permanent dossiers the caller may read whose transfer deadline is within
    ``within_days`` days or past, and that no prepared or sent batch is taking, by deadline."""
    if not 0 <= within_days <= 3660:
        raise MetadataInvalid("within_days", "must be between 0 and 3660")
    return _due(services, ReadScope.for_principal(principal), within_days, today or services.clock().date())


def due_by_agency(services: Services) -> dict[str, int]:
    """System view for the metrics: dossiers due within the warning period, per agency."""
    counts: dict[str, int] = {}
    for found in _due(services, UNRESTRICTED, dt.WARNING_DAYS, services.clock().date()):
        counts[found.dossier.agency_code] = counts.get(found.dossier.agency_code, 0) + 1
    return counts


def _due(services: Services, scope: ReadScope, within_days: int, today: date) -> list[DueDossier]:
    years = services.settings.transfer_deadline_years
    taken = services.transfers.dossiers_in_open_batches()
    found = []
    for status in (DossierStatus.CLOSED, DossierStatus.IN_AGENCY_ARCHIVE):
        for dossier in _all_readable(services, scope, status=status):
            if dossier.maintenance != dt.PERMANENT or dossier.closed_on is None or dossier.id in taken:
                continue
            deadline = dt.transfer_deadline(dossier.closed_on, years=years)
            if dt.is_due(deadline, today, within_days=within_days):
                found.append(DueDossier(dossier, deadline, deadline < today))
    return sorted(found, key=lambda d: (d.deadline, d.dossier.file_code, d.dossier.id))


# -- audit ------------------------------------------------------------------------------------


def _audit(
    services: Services, principal: Principal, action: str, batch: TransferBatch, extra: dict[str, DetailValue]
) -> None:
    records = [r for i in batch.items for r in services.archival.member_ids(i.dossier_id)]
    if batch.status is TransferStatus.ACCEPTED:
        records = services.transfers.transferred_records(batch.id) or records
    details: dict[str, DetailValue] = {
        "archive": batch.archive_name,
        "reference": batch.reference,
        **extra,
        IDS_DETAIL: ",".join(records),
        COUNT_DETAIL: len(records),
    }
    audit.append(services, actor=principal.subject, action=action, target=batch.id, details=details)
