"""A reader's request for copies of archival documents, and the archivist's decision on it.

A reader (anyone signed in) asks for documents by record id, with the request's own
number and date, a purpose of use (code list ``access_purpose``) and a research topic.
An archivist or admin who may read every requested document approves or refuses it
(``archive.domain.access.can_approve_access_request``); an approved request is what a
DIP (Circular 05/2025, Appendix V) is made for: copies of the documents the approval
covers, the request's metadata and an authentication PDF.

A request names ids as the reader typed them; an id that names no record, or one the
reader may not read, is kept the same way, so submitting a request never tells the
reader which records exist. Standard library only.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import date, datetime

from archive.domain import codes
from archive.domain.errors import MetadataInvalid
from archive.domain.listing import Column, Listing, Section
from archive.domain.packages import vietnam_time

MAX_DOCUMENTS = 200  # a reading-room request is a handful of documents, not a fonds
CODE_MAX = 60
TOPIC_MAX = 500
NOTE_MAX = 1000
READER_NAME_MAX = 200
PURPOSE_LIST = codes.ACCESS_PURPOSE
_RECORD_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


class RequestStatus(enum.Enum):
    """Where a request stands: decided once, never reopened (a new request is asked)."""

    PENDING = "pending"
    APPROVED = "approved"
    REFUSED = "refused"


@dataclass(frozen=True, slots=True)
class RequestForm:
    """What the reader fills in."""

    code: str  # the request's own number (số phiếu yêu cầu)
    requested_on: date
    purpose: str  # code list access_purpose
    topic: str  # the research topic (đề tài nghiên cứu)
    reader_name: str
    record_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AccessRequest:
    """A request as stored: the form, who asked, and the decision once made."""

    id: str
    form: RequestForm
    reader: str  # the asking principal's subject
    created_at: datetime
    status: RequestStatus = RequestStatus.PENDING
    decided_by: str | None = None
    decided_at: datetime | None = None
    note: str = ""

    @property
    def approved(self) -> bool:
        return self.status is RequestStatus.APPROVED


def _text(value: str, field_name: str, limit: int, *, required: bool = True) -> str:
    cleaned = " ".join(value.split())
    if required and not cleaned:
        raise MetadataInvalid(field_name, "is required")
    if len(cleaned) > limit:
        raise MetadataInvalid(field_name, f"at most {limit} characters")
    return cleaned


def checked_form(form: RequestForm) -> RequestForm:
    """The form with its text normalised, or MetadataInvalid naming the field.

    Ids must have the shape of record ids (the archive makes them); at least one, at
    most ``MAX_DOCUMENTS``, repeats removed in the order given.
    """
    ids = tuple(dict.fromkeys(i.strip().lower() for i in form.record_ids))
    if not ids:
        raise MetadataInvalid("recordIds", "name at least one document")
    if len(ids) > MAX_DOCUMENTS:
        raise MetadataInvalid("recordIds", f"at most {MAX_DOCUMENTS} documents in one request")
    bad = [i for i in ids if not _RECORD_ID.match(i)]
    if bad:
        raise MetadataInvalid("recordIds", f"not a record id: {bad[0][:40]!r}")
    purpose = codes.code_lists()[PURPOSE_LIST].parse(form.purpose, field_name="purpose")
    return RequestForm(
        code=_text(form.code, "code", CODE_MAX),
        requested_on=form.requested_on,
        purpose=purpose,
        topic=_text(form.topic, "topic", TOPIC_MAX),
        reader_name=_text(form.reader_name, "readerName", READER_NAME_MAX),
        record_ids=ids,
    )


def checked_note(note: str) -> str:
    """A decision's note, normalised, or MetadataInvalid."""
    return _text(note, "note", NOTE_MAX, required=False)


# -- the DIP's papers ---------------------------------------------------------------------

AUTHENTICATION_COLUMNS = (
    Column("STT", 0.5),
    Column("Số, ký hiệu", 1.6),
    Column("Ngày văn bản", 1.1),
    Column("Trích yếu nội dung", 3.6),
    Column("Tệp trong gói", 2.6),
    Column("SHA-256 (kích thước)", 3.4),
)


@dataclass(frozen=True, slots=True)
class CopiedDocument:
    """One copy a DIP carries, as its authentication lists it."""

    number: str  # "123/QĐ-UBND"
    issued_on: date
    subject: str
    path: str  # inside the package
    sha256: str  # lower-case hex of the copy (the original bytes, unchanged)
    size: int


def authentication(
    request: AccessRequest, purpose_label: str, objid: str, made_at: str, copies: tuple[CopiedDocument, ...]
) -> Listing:
    """The authentication of the copies (chứng thực bản sao): who asked, why, who approved,
    which package, and each copy with its SHA-256, so anyone can check a copy is the
    archived original."""
    form = request.form
    caption = (
        f"Phiếu yêu cầu số {form.code} ngày {form.requested_on.isoformat()}; người đọc: {form.reader_name}",
        f"Mục đích: {form.purpose} - {purpose_label}; đề tài: {form.topic}",
        f"Phê duyệt: {request.decided_by or ''} lúc {_moment(request.decided_at)}",
        f"Gói DIP {objid}, lập lúc {made_at}; các bản sao giữ nguyên từng byte của bản lưu trữ.",
    )
    rows = tuple(
        (str(n), c.number, c.issued_on.isoformat(), c.subject, c.path, f"{c.sha256} ({c.size} B)")
        for n, c in enumerate(copies, start=1)
    )
    return Listing(
        title="CHỨNG THỰC BẢN SAO TÀI LIỆU LƯU TRỮ",
        caption=caption,
        section_heading="",
        columns=AUTHENTICATION_COLUMNS,
        sections=(Section("", rows),),
        filename_stem=f"chung-thuc-{objid}",
    )


def _moment(at: datetime | None) -> str:
    return "" if at is None else vietnam_time(at)
