"""The handover of permanent dossiers to the historical archive (nộp lưu vào Lưu trữ lịch sử).

Legal base: the Law on Archives 33/2024/QH15 (a dossier goes to the agency archive within
one year of the year its work ended, and its permanent dossiers to the historical archive
within five years of the year they entered the agency archive) and Circular 05/2025/TT-BNV
(the packages). A transfer batch (đợt nộp lưu) is the unit of one handover::

    PREPARED -> SENT -> ACCEPTED   (the receiving archive's receipt; dossiers TRANSFERRED)
                     \\-> REFUSED   (its reason; the dossiers stay with the agency)

Preparing picks permanent dossiers (maintenance 01) that are closed or in the agency
archive, with no record still being processed and none under a legal hold, and refuses the
others naming each one. Acceptance is what moves the dossiers to TRANSFERRED and marks
their records transferred: from then on the local copies may be destroyed through the
normal disposition flow, with the transfer as its basis.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from archive.domain.access import Readable
from archive.domain.archival import Dossier, DossierStatus
from archive.domain.errors import MetadataInvalid
from archive.domain.records import Classification, nfc

PERMANENT = "01"  # code list "maintenance": vĩnh viễn
AGENCY_ARCHIVE_YEARS = 1
"""Law on Archives 2024: a dossier enters the agency archive (lưu trữ hiện hành) at the
latest one year after the year its work ended."""
HISTORICAL_ARCHIVE_YEARS = 5
"""Law on Archives 2024: permanent dossiers go to the historical archive at the latest five
years after the year they entered the agency archive (the default of a setting: the law
allows up to 30 where another law says so)."""
WARNING_DAYS = 30  # a dossier is "due" this many days before its deadline

NAME_MAX = 300  # the receiving archive's name
REFERENCE_MAX = 200  # its reference (letter, receipt number)
REASON_MAX = 2000
RECEIPT_MAX_BYTES = 20 * 1024 * 1024  # an acknowledgement is a letter, not a package
BATCH_DOSSIERS_MAX = 2000


class TransferStatus(enum.Enum):
    """Where a transfer batch stands."""

    PREPARED = "prepared"  # packages built, nothing handed over yet
    SENT = "sent"  # handed to the receiving archive
    ACCEPTED = "accepted"  # the receiving archive acknowledged it: the dossiers are TRANSFERRED
    REFUSED = "refused"  # the receiving archive sent it back: the dossiers stay with the agency


MOVES: dict[TransferStatus, frozenset[TransferStatus]] = {
    TransferStatus.PREPARED: frozenset({TransferStatus.SENT}),
    TransferStatus.SENT: frozenset({TransferStatus.ACCEPTED, TransferStatus.REFUSED}),
    TransferStatus.ACCEPTED: frozenset(),
    TransferStatus.REFUSED: frozenset(),
}

OPEN_STATUSES = frozenset({TransferStatus.PREPARED, TransferStatus.SENT})
"""A dossier in a batch in one of these states cannot go into another batch."""


@dataclass(frozen=True, slots=True)
class Package:
    """One built package: its file name, size and SHA-256 (lower-case hex)."""

    dossier_id: str
    name: str
    size: int
    sha256: str


@dataclass(frozen=True, slots=True)
class TransferItem:
    """One dossier of a batch, with the figures the handover minutes print."""

    dossier_id: str
    file_code: str
    title: str
    agency_code: str
    classification: int
    documents: int
    pages: int
    bytes: int
    package: Package

    @property
    def readable(self) -> Readable:
        return Readable(self.agency_code, Classification(self.classification), is_public=False)


@dataclass(frozen=True, slots=True)
class TransferBatch:
    """A đợt nộp lưu: its dossiers, where it stands, and who moved it when."""

    id: str
    status: TransferStatus
    archive_name: str  # the receiving historical archive
    prepared_by: str
    prepared_at: datetime
    items: tuple[TransferItem, ...]
    sent_by: str | None = None
    sent_at: datetime | None = None
    reference: str = ""  # the receiving archive's reference for the handover
    decided_by: str | None = None  # who recorded the acceptance or refusal
    decided_at: datetime | None = None
    receipt_ref: str = ""  # acceptance: the receipt's number, or the letter's reference
    receipt_sha256: str = ""  # acceptance: the acknowledgement file kept under WORM, if any
    receipt_key: str = ""
    refusal_reason: str = ""

    @property
    def totals(self) -> tuple[int, int, int, int]:
        """(dossiers, documents, pages, bytes) over the batch."""
        return (
            len(self.items),
            sum(i.documents for i in self.items),
            sum(i.pages for i in self.items),
            sum(i.bytes for i in self.items),
        )


@dataclass(frozen=True, slots=True)
class Unfit:
    """A dossier that cannot go, and why (shown to who may manage it)."""

    file_code: str
    reason: str


def check_move(current: TransferStatus, wanted: TransferStatus) -> None:
    """MetadataInvalid unless a batch may move from ``current`` to ``wanted``."""
    if wanted not in MOVES[current]:
        allowed = ", ".join(sorted(s.value for s in MOVES[current])) or "none"
        raise MetadataInvalid(
            "status", f"a {current.value} batch cannot become {wanted.value} (allowed: {allowed})"
        )


def unfit_reason(dossier: Dossier, *, processing: list[str], held: list[str], busy: bool) -> str | None:
    """Why ``dossier`` cannot go to the historical archive now; None when it can."""
    if dossier.maintenance != PERMANENT:
        return f"not permanent (maintenance {dossier.maintenance})"
    if dossier.status not in (DossierStatus.CLOSED, DossierStatus.IN_AGENCY_ARCHIVE):
        return f"the dossier is {dossier.status.value}"
    if busy:
        return "already in a transfer batch"
    if processing:
        return f"records still being processed: {', '.join(processing)}"
    if held:
        return f"records under legal hold: {', '.join(held)}"
    return None


def transfer_deadline(closed_on: date, *, years: int = HISTORICAL_ARCHIVE_YEARS) -> date:
    """The last day a permanent dossier closed on ``closed_on`` may stay with the agency.

    The date it entered the agency archive is not recorded apart from its status, so the
    count starts from the latest year the law allows for that (the year after the work
    ended): the deadline is 31 December of ``closed_on.year + 1 + years``.
    """
    return date(closed_on.year + AGENCY_ARCHIVE_YEARS + years, 12, 31)


def is_due(deadline: date, today: date, *, within_days: int = WARNING_DAYS) -> bool:
    """Whether the deadline is within ``within_days`` of today, or past."""
    return deadline <= today + timedelta(days=within_days)


def clean(value: str, field: str, limit: int, *, required: bool) -> str:
    """A free-text field stripped, bounded, without control characters."""
    text = nfc(" ".join(value.split()))
    if required and not text:
        raise MetadataInvalid(field, "is required")
    if len(text) > limit:
        raise MetadataInvalid(field, f"at most {limit} characters")
    if any(not ch.isprintable() for ch in text):
        raise MetadataInvalid(field, "must not contain control characters")
    return text


# -- the handover minutes (biên bản giao nhận tài liệu) ------------------------------------------

MINUTES_COLUMNS = (
    ("STT", 0.6),
    ("Mã hồ sơ", 2.4),
    ("Tiêu đề hồ sơ", 4.0),
    ("Số văn bản", 1.0),
    ("Số trang", 0.9),
    ("Dung lượng (byte)", 1.4),
    ("Gói tin", 2.2),
    ("SHA-256", 4.2),
)


def minutes_rows(batch: TransferBatch) -> tuple[tuple[str, ...], ...]:
    """One row per dossier: its number, code, title, counts, package and checksum."""
    return tuple(
        (
            str(n),
            i.file_code,
            i.title,
            str(i.documents),
            str(i.pages),
            str(i.bytes),
            f"{i.package.name} ({i.package.size} byte)",
            _grouped(i.package.sha256),
        )
        for n, i in enumerate(batch.items, 1)
    )


def _grouped(digest: str) -> str:
    """A checksum in four groups of 16, so a narrow cell wraps it between groups."""
    return " ".join(digest[n : n + 16] for n in range(0, len(digest), 16))


def minutes_caption(batch: TransferBatch) -> tuple[str, ...]:
    """The lines under the title: who hands over to whom, when, and the totals."""
    dossiers, documents, pages, size = batch.totals
    when = (batch.sent_at or batch.prepared_at).date().isoformat()
    lines = [
        f"Đợt nộp lưu: {batch.id}",
        f"Bên nhận: {batch.archive_name}"
        + (f" (số tham chiếu {batch.reference})" if batch.reference else ""),
        f"Bên giao: {batch.prepared_by}; ngày {when}; trạng thái {batch.status.value}",
        f"Tổng số: {dossiers} hồ sơ, {documents} văn bản, {pages} trang, {size} byte",
    ]
    if batch.status is TransferStatus.ACCEPTED:
        lines.append(f"Đã tiếp nhận: {batch.receipt_ref or batch.receipt_sha256} ({batch.decided_by})")
    return tuple(lines)
