"""The archival unit: fonds (phông lưu trữ), dossiers (hồ sơ) and a document's place in one.

Legal base: the Law on Archives 33/2024/QH15, Decree 113/2025/NĐ-CP, Circular
05/2025/TT-BNV (digital archival documents: the dossier's 18 fields, the document's
fields, the code lists in ``archive/domain/codelists``) and Decree 30/2020/NĐ-CP
(Appendix V, the dossier list).

A fonds holds the dossiers and records of one creating body (here: one owning
agency). A dossier holds documents in order: each member record has an ordinal,
unique in its dossier, and a document code ``docCode`` = the dossier's
``fileCode`` + ``.`` + the ordinal on 7 digits. A dossier's lifecycle:

    OPEN → CLOSED (its retention clock starts) → IN_AGENCY_ARCHIVE → TRANSFERRED

A closed dossier may be reopened while it is still with the agency (CLOSED → OPEN).
Derived figures (number of documents and pages, first and last dates, confidence
level) are computed from the members, never stored, and only over the members the
caller may read.
"""

from __future__ import annotations

import dataclasses
import enum
import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime

from archive.domain import codes
from archive.domain.errors import MetadataInvalid
from archive.domain.records import MODE_CONDITIONAL, Classification, nfc

FONDS_CODE_MAX = 40
FONDS_NAME_MAX = 300
FILE_CODE_MAX = 100
FILE_NUMBER_MAX = 40
DOSSIER_TITLE_MAX = 1000  # TT05: title up to 1000 characters
TEXT_MAX = 2000
SHORT_TEXT_MAX = 300
ORDINAL_MAX = 9_999_999  # seven digits in docCode
ORDINAL_DIGITS = 7

_CODE_SHAPE = re.compile(r"^[\w.\-/]+$")


class FondsStatus(enum.Enum):
    """Whether a fonds still receives documents (its creating body still works)."""

    OPEN = "open"
    CLOSED = "closed"


class DossierStatus(enum.Enum):
    """Where a dossier is in its life."""

    OPEN = "open"
    CLOSED = "closed"  # the work is complete; retention counts from here
    IN_AGENCY_ARCHIVE = "in_agency_archive"  # handed to the agency archive (lưu trữ cơ quan)
    TRANSFERRED = "transferred"  # transferred to the historical archive (lưu trữ lịch sử)


# The moves a dossier may make. Closing and reopening are the only way back.
TRANSITIONS: dict[DossierStatus, frozenset[DossierStatus]] = {
    DossierStatus.OPEN: frozenset({DossierStatus.CLOSED}),
    DossierStatus.CLOSED: frozenset({DossierStatus.OPEN, DossierStatus.IN_AGENCY_ARCHIVE}),
    DossierStatus.IN_AGENCY_ARCHIVE: frozenset({DossierStatus.TRANSFERRED}),
    DossierStatus.TRANSFERRED: frozenset(),
}


@dataclass(frozen=True, slots=True)
class Fonds:
    """A phông lưu trữ: every record and dossier of one creating body."""

    id: str
    code: str
    name: str
    agency_code: str
    status: FondsStatus = FondsStatus.OPEN
    history: str = ""  # lịch sử đơn vị hình thành phông
    time_span: str = ""  # thời gian tài liệu, e.g. "1976-2025"
    total_documents: int | None = None  # as declared by the archivist (the derived count is separate)
    classification_scheme: str = ""  # phương án phân loại
    languages: tuple[str, ...] = ("01",)  # code list "language"
    backup_mode: str = "0"  # code list "risk_recovery"
    notes: str = ""
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Dossier:
    """A hồ sơ with the 18 fields of Circular 05/2025/TT-BNV (the derived ones excepted)."""

    id: str
    fonds_id: str
    agency_code: str  # the fonds's agency: who owns and reads it
    file_code: str  # agency identifier.year.number-and-notation (mã hồ sơ)
    title: str
    maintenance: str  # code list "maintenance" (01 permanent ... 07 other)
    mode: str = "01"  # code list "mode" (01 public, 02 conditional use, 03 secret)
    languages: tuple[str, ...] = ("01",)  # code list "language"
    start_date: date | None = None  # override; derived from the documents when None
    end_date: date | None = None  # override; derived from the documents when None
    keyword: str = ""
    number_of_paper: int | None = None  # số tờ of the paper dossier, declared
    physical_format: str = "01"  # code list "physical_format"
    infor_sign: str = ""  # ký hiệu thông tin
    paper_file_code: str = ""  # required for a digitised dossier
    risk_recovery: str = "0"  # code list "risk_recovery"
    risk_recovery_status: str = "0"  # code list "risk_recovery_status"
    description: str = ""
    status: DossierStatus = DossierStatus.OPEN
    closed_on: date | None = None  # when it was closed: retention counts from its year
    classification: Classification = Classification.ORDINARY
    is_public: bool = False
    year: int | None = None  # year the dossier was formed (part of file_code)
    file_number: str = ""  # số và ký hiệu hồ sơ (part of file_code)
    # Decree 30/2020/NĐ-CP, Appendix V (the dossier list), beside TT05's fields:
    compiler: str = ""  # đơn vị/người lập hồ sơ: the unit or person that compiles it
    heading: str = ""  # đề mục: the heading of the classification scheme it is listed under
    created_at: datetime | None = None
    updated_at: datetime | None = None
    row_version: int = 1

    @property
    def is_conditional(self) -> bool:
        """Mode 02 (sử dụng có điều kiện): read across agencies only by those who read every
        conditional-use record (``can_read``), like a record of that mode."""
        return self.mode == MODE_CONDITIONAL

    @property
    def is_open(self) -> bool:
        return self.status is DossierStatus.OPEN


@dataclass(frozen=True, slots=True)
class Member:
    """What a dossier's derived fields need to know about one member record."""

    record_id: str
    ordinal: int
    issue_date: date
    page_count: int | None
    text_sources: frozenset[str]  # "text_layer", "ocr": where its pages' text came from
    processing: bool  # still waiting for extraction or OCR


@dataclass(frozen=True, slots=True)
class DossierFigures:
    """The derived fields of a dossier, over the members a caller may read."""

    total_doc: int
    number_of_page: int
    start_date: date | None
    end_date: date | None
    confidence_level: str | None  # code list "confidence_level"; None while unknown


def compose_file_code(agency_identifier: str, year: int, file_number: str) -> str:
    """``fileCode`` = agency identifier + year the dossier was formed + its number and notation."""
    return f"{agency_identifier}.{year}.{file_number}"


def arc_file_code(archive_code: str, file_code: str) -> str:
    """``arcFileCode``: the file code prefixed by the code of the archive that keeps it."""
    return f"{archive_code}.{file_code}"


def doc_code(file_code: str, ordinal: int) -> str:
    """``docCode`` = the dossier's file code + the document's ordinal on seven digits."""
    return f"{file_code}.{ordinal:0{ORDINAL_DIGITS}d}"


def figures(dossier: Dossier, members: list[Member]) -> DossierFigures:
    """The derived fields of ``dossier`` over ``members`` (already filtered to what the caller reads)."""
    dates = [m.issue_date for m in members]
    sources = frozenset().union(*(m.text_sources for m in members)) if members else frozenset()
    return DossierFigures(
        total_doc=len(members),
        number_of_page=sum(m.page_count or 0 for m in members),
        start_date=dossier.start_date or (min(dates) if dates else None),
        end_date=dossier.end_date or (max(dates) if dates else None),
        confidence_level=_confidence(sources, any(m.processing for m in members)),
    )


def _confidence(sources: frozenset[str], processing: bool) -> str | None:
    if processing or not sources:
        return None
    if sources == {"text_layer"}:
        return "01"  # born digital
    if sources == {"ocr"}:
        return "02"  # digitised
    return "03"  # mixed


def validate_fonds(fonds: Fonds) -> Fonds:
    """The fonds with its text NFC-normalised and its codes checked, or MetadataInvalid."""
    lists = codes.code_lists()
    code, name = nfc(fonds.code), nfc(fonds.name)
    if not code or len(code) > FONDS_CODE_MAX or not _CODE_SHAPE.match(code):
        raise MetadataInvalid("code", f"a fonds code is 1 to {FONDS_CODE_MAX} letters, digits, '.', '-', '/'")
    if not name or len(name) > FONDS_NAME_MAX:
        raise MetadataInvalid("name", f"is required, at most {FONDS_NAME_MAX} characters")
    if fonds.total_documents is not None and fonds.total_documents < 0:
        raise MetadataInvalid("total_documents", "must not be negative")
    for name_, value in (("history", fonds.history), ("notes", fonds.notes)):
        if len(value) > TEXT_MAX:
            raise MetadataInvalid(name_, f"at most {TEXT_MAX} characters")
    for name_, value in (
        ("time_span", fonds.time_span),
        ("classification_scheme", fonds.classification_scheme),
    ):
        if len(value) > SHORT_TEXT_MAX:
            raise MetadataInvalid(name_, f"at most {SHORT_TEXT_MAX} characters")
    return dataclasses.replace(
        fonds,
        code=code,
        name=name,
        history=nfc(fonds.history),
        time_span=nfc(fonds.time_span),
        classification_scheme=nfc(fonds.classification_scheme),
        notes=nfc(fonds.notes),
        languages=lists[codes.LANGUAGE].parse_many(list(fonds.languages) or ["01"], field_name="language"),
        backup_mode=lists[codes.RISK_RECOVERY].parse(fonds.backup_mode, field_name="backup_mode"),
    )


def validate_dossier(dossier: Dossier) -> Dossier:
    """The dossier with its text NFC-normalised and every code parsed, or MetadataInvalid
    naming the field (an unknown code lists the allowed values)."""
    lists = codes.code_lists()
    title, file_code = nfc(dossier.title), nfc(dossier.file_code)
    if not file_code or len(file_code) > FILE_CODE_MAX:
        raise MetadataInvalid("file_code", f"is required, at most {FILE_CODE_MAX} characters")
    if not title or len(title) > DOSSIER_TITLE_MAX:
        raise MetadataInvalid("title", f"is required, at most {DOSSIER_TITLE_MAX} characters")
    if len(dossier.file_number) > FILE_NUMBER_MAX:
        raise MetadataInvalid("file_number", f"at most {FILE_NUMBER_MAX} characters")
    if dossier.number_of_paper is not None and dossier.number_of_paper < 0:
        raise MetadataInvalid("number_of_paper", "must not be negative")
    if dossier.start_date and dossier.end_date and dossier.start_date > dossier.end_date:
        raise MetadataInvalid("end_date", "is before the start date")
    for name, value in (
        ("keyword", dossier.keyword),
        ("infor_sign", dossier.infor_sign),
        ("compiler", dossier.compiler),
        ("heading", dossier.heading),
    ):
        if len(value) > SHORT_TEXT_MAX:
            raise MetadataInvalid(name, f"at most {SHORT_TEXT_MAX} characters")
    if len(dossier.paper_file_code) > FILE_CODE_MAX:
        raise MetadataInvalid("paper_file_code", f"at most {FILE_CODE_MAX} characters")
    if len(dossier.description) > TEXT_MAX:
        raise MetadataInvalid("description", f"at most {TEXT_MAX} characters")
    mode = lists[codes.MODE].parse(dossier.mode, field_name="mode")
    classification = dossier.classification
    if mode == "03" and classification is Classification.ORDINARY:
        raise MetadataInvalid("mode", "a secret (03) dossier needs a classification above Thường")
    if mode != "03" and classification is not Classification.ORDINARY:
        raise MetadataInvalid("mode", "a classified dossier is in mode 03 (secret)")
    return dataclasses.replace(
        dossier,
        title=title,
        file_code=file_code,
        file_number=nfc(dossier.file_number),
        maintenance=lists[codes.MAINTENANCE].parse(dossier.maintenance, field_name="maintenance"),
        mode=mode,
        is_public=mode == "01",
        languages=lists[codes.LANGUAGE].parse_many(list(dossier.languages) or ["01"], field_name="language"),
        physical_format=lists[codes.PHYSICAL_FORMAT].parse(dossier.physical_format, field_name="format"),
        risk_recovery=lists[codes.RISK_RECOVERY].parse(dossier.risk_recovery, field_name="risk_recovery"),
        risk_recovery_status=lists[codes.RISK_RECOVERY_STATUS].parse(
            dossier.risk_recovery_status, field_name="risk_recovery_status"
        ),
        keyword=nfc(dossier.keyword),
        infor_sign=nfc(dossier.infor_sign),
        compiler=nfc(dossier.compiler),
        heading=nfc(dossier.heading),
        paper_file_code=nfc(dossier.paper_file_code),
        description=nfc(dossier.description),
    )


def missing_for_close(dossier: Dossier, figures_: DossierFigures) -> list[str]:
    """The required fields a dossier still lacks before it may be closed (empty: it may).

    Closing fixes the dossier's description for the archive: its title, file code,
    retention code, dates and at least one document; a digitised (02) or mixed (03)
    dossier also names the paper dossier it was scanned from.
    """
    missing = []
    if not dossier.title:
        missing.append("title")
    if not dossier.file_code:
        missing.append("file_code")
    if not dossier.maintenance:
        missing.append("maintenance")
    if figures_.total_doc == 0:
        missing.append("documents")
    if figures_.start_date is None:
        missing.append("start_date")
    if figures_.end_date is None:
        missing.append("end_date")
    if figures_.confidence_level in {"02", "03"} and not dossier.paper_file_code:
        missing.append("paper_file_code")
    return missing


def check_transition(current: DossierStatus, wanted: DossierStatus) -> None:
    """MetadataInvalid unless a dossier may move from ``current`` to ``wanted``."""
    if wanted not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(s.value for s in TRANSITIONS[current])) or "none"
        raise MetadataInvalid(
            "status", f"a {current.value} dossier cannot become {wanted.value} (allowed: {allowed})"
        )


def check_ordinal(ordinal: int) -> None:
    """MetadataInvalid unless ``ordinal`` fits the seven digits of a docCode."""
    if not 1 <= ordinal <= ORDINAL_MAX:
        raise MetadataInvalid("ordinal", f"must be 1 to {ORDINAL_MAX}")


def default_fonds_id(agency_code: str) -> str:
    """The id of an agency's default fonds: stable, so the migration and the code agree."""
    return str(uuid.uuid5(_FONDS_NAMESPACE, agency_code))


_FONDS_NAMESPACE = uuid.UUID("5d6f0a52-8f3e-4f7b-9a51-7a0c2b1e0f11")
