"""GraphQL input types, and their translation to domain values."""

from __future__ import annotations

import enum
from collections.abc import Sized
from datetime import date, datetime

import strawberry

import archive.api.types  # registers the domain enums with strawberry; from_global_id
from archive.domain import records as domain
from archive.domain.errors import InvalidQuery
from archive.domain.search import SearchFilter, SearchOrder, SortField

FILTER_VALUES_MAX = 50  # values per filter list: more is a scan, not a filter


@strawberry.input(
    description=(
        "Official metadata of a document: Decree 30/2020/NĐ-CP, Appendix VI, and the document fields of "
        "Circular 05/2025/TT-BNV. Coded fields take the code or its Vietnamese label (diacritics and "
        "case optional); an unknown value is refused naming the field and listing the allowed ones."
    )
)
class RecordMetadataInput:
    number: str = strawberry.field(description="Số, e.g. 123.")
    notation: str = strawberry.field(description="Ký hiệu, e.g. QĐ-UBND.")
    issuing_agency_code: str = strawberry.field(description="Code of the issuing agency.")
    issuing_agency_name: str = strawberry.field(description="Name of the issuing agency.")
    issue_date: date = strawberry.field(description="Ngày ban hành; not in the future.")
    subject: str = strawberry.field(description="Trích yếu, at most 500 characters.")
    signer_name: str = strawberry.field(description="Full name of the signer.")
    signer_position: str = strawberry.field(description="Position of the signer.")
    direction: domain.Direction = strawberry.field(description="Incoming or outgoing.")
    document_type: str = strawberry.field(
        default="",
        description=(
            "Loại văn bản as free text, e.g. Quyết định: what retention rules and search match on. "
            "Defaults to the label of typeName; give one of the two."
        ),
    )
    type_name: str | None = strawberry.field(
        default=None,
        description=(
            "Tên loại văn bản (Circular 05), code 01-32 or its name, e.g. 02 or Quyết định. Defaults to "
            "the code documentType names, or 32 (Khác) when it names none."
        ),
    )
    issue_place: str = strawberry.field(default="", description="Địa danh.")
    recipients: list[str] = strawberry.field(
        default_factory=list, description="Nơi nhận: at most 200 entries of at most 300 characters."
    )
    urgency: domain.Urgency = strawberry.field(default=domain.Urgency.NORMAL, description="Độ khẩn.")
    classification: domain.Classification = strawberry.field(
        default=domain.Classification.ORDINARY, description="Độ mật."
    )
    language: list[str] = strawberry.field(
        default_factory=lambda: [domain.LANGUAGE_VIETNAMESE],
        description="Ngôn ngữ: one or more codes 01-11 (01 Tiếng Việt ... 11 Khác), names, or vi, en, fr...",
    )
    page_count: int | None = strawberry.field(
        default=None, description="Pages (1 to 100000); counted from the file if absent."
    )
    arrival_number: str | None = strawberry.field(default=None, description="Số đến (incoming only).")
    arrival_date: date | None = strawberry.field(default=None, description="Ngày đến (incoming only).")
    due_date: date | None = strawberry.field(default=None, description="Hạn xử lý.")
    is_public: bool = strawberry.field(
        default=False, description="Publish to anonymous callers. Mode 01 sets it; other modes refuse it."
    )
    mode: str | None = strawberry.field(
        default=None,
        description=(
            "Chế độ sử dụng: 01 public (sets isPublic; ORDINARY only), 02 conditional use (not public, "
            "ORDINARY; other agencies' archivists read it only with a grant), 03 secret (classification "
            "CONFIDENTIAL or above). Absent: 01 if isPublic, 03 if classified, else not stated."
        ),
    )
    retention_code: str | None = strawberry.field(
        default=None,
        description=(
            "A retention rule's code, or a retention code 01-06 to keep it at least that long "
            "(07: the schedule rule decides)."
        ),
    )
    keyword: str = strawberry.field(default="", description="Từ khóa, at most 100 characters; searchable.")
    infor_sign: str = strawberry.field(default="", description="Ký hiệu thông tin, at most 30 characters.")
    autograph: str = strawberry.field(default="", description="Bút tích, at most 2000 characters.")
    physical_format: str | None = strawberry.field(
        default=None, name="format", description="Tình trạng vật lý: 01 Tốt, 02 Bình thường, 03 Hư hỏng."
    )
    process: bool = strawberry.field(
        default=False, description="Whether a processing-flow file (quy trình xử lý) is attached."
    )
    description: str = strawberry.field(default="", description="Ghi chú, at most 500 characters.")
    issued_amount: int | None = strawberry.field(
        default=None, description="Số bản: copies issued, 1 to 100000."
    )
    agency_code: str | None = strawberry.field(
        default=None, description="Owning agency in the archive; defaults to the issuing agency."
    )

    def to_domain(self) -> domain.RecordMetadata:
        return domain.RecordMetadata(
            document_type=self.document_type,
            number=self.number,
            notation=self.notation,
            issuing_agency_code=self.issuing_agency_code,
            issuing_agency_name=self.issuing_agency_name,
            issue_date=self.issue_date,
            subject=self.subject,
            signer_name=self.signer_name,
            signer_position=self.signer_position,
            direction=self.direction,
            issue_place=self.issue_place,
            recipients=tuple(self.recipients),
            urgency=self.urgency,
            classification=self.classification,
            languages=tuple(self.language),
            page_count=self.page_count,
            arrival_number=self.arrival_number,
            arrival_date=self.arrival_date,
            due_date=self.due_date,
            is_public=self.is_public,
            retention_code=self.retention_code,
            type_name=self.type_name,
            mode=self.mode,
            keyword=self.keyword,
            infor_sign=self.infor_sign,
            autograph=self.autograph,
            physical_format=self.physical_format,
            process=self.process,
            description=self.description,
            issued_amount=self.issued_amount,
        )


@strawberry.input(description="Search filters; empty lists and nulls do not filter.")
class SearchFilterInput:
    issuing_agency_codes: list[str] = strawberry.field(
        default_factory=list, description="Issuing agency codes."
    )
    document_types: list[str] = strawberry.field(default_factory=list, description="Document types.")
    issued_from: date | None = strawberry.field(default=None, description="Issued on or after.")
    issued_to: date | None = strawberry.field(default=None, description="Issued on or before.")
    direction: domain.Direction | None = strawberry.field(default=None, description="Incoming or outgoing.")
    classifications: list[domain.Classification] = strawberry.field(
        default_factory=list, description="Classification levels."
    )
    signed: bool | None = strawberry.field(
        default=None, description="Only signed (true) or unsigned (false)."
    )
    signature_valid: bool | None = strawberry.field(
        default=None, description="Only with all signatures valid (true) or not (false)."
    )
    fonds_ids: list[str] = strawberry.field(
        default_factory=list, description="Only records of these fonds (Relay ids or UUIDs)."
    )
    dossier_ids: list[str] = strawberry.field(
        default_factory=list, description="Only records placed in these dossiers (Relay ids or UUIDs)."
    )
    include_revoked: bool = strawberry.field(
        default=False,
        description=(
            "Revoked records (thu hồi, bãi bỏ) leave default results; true brings them back. "
            "Replaced records are always found, marked by Record.lifecycle."
        ),
    )

    updated_since: datetime | None = strawberry.field(
        default=None,
        description=(
            "Only records changed at or after this moment (metadata, text, signatures, place): "
            "with the change feed's time, what a portal re-fetches."
        ),
    )
    signer: str | None = strawberry.field(
        default=None,
        description="Only records signed by this person: the whole name, diacritics and case optional.",
    )
    urgencies: list[domain.Urgency] = strawberry.field(default_factory=list, description="Độ khẩn levels.")

    def to_domain(self) -> SearchFilter:
        """The domain filter; InvalidQuery when a list is longer than FILTER_VALUES_MAX."""
        lists: dict[str, Sized] = {
            "issuingAgencyCodes": self.issuing_agency_codes,
            "documentTypes": self.document_types,
            "classifications": self.classifications,
            "fondsIds": self.fonds_ids,
            "dossierIds": self.dossier_ids,
            "urgencies": self.urgencies,
        }
        if self.signer is not None and len(self.signer) > domain.RECIPIENT_MAX_LENGTH:
            raise InvalidQuery("filter.signer is too long")
        for name, values in lists.items():
            if len(values) > FILTER_VALUES_MAX:
                raise InvalidQuery(f"filter.{name} has more than {FILTER_VALUES_MAX} values")
        return SearchFilter(
            agency_codes=tuple(self.issuing_agency_codes),
            document_types=tuple(self.document_types),
            issued_from=self.issued_from,
            issued_to=self.issued_to,
            direction=self.direction,
            classifications=tuple(self.classifications),
            signed=self.signed,
            signature_valid=self.signature_valid,
            fonds_ids=tuple(_raw_id(v, "Fonds") for v in self.fonds_ids),
            dossier_ids=tuple(_raw_id(v, "Dossier") for v in self.dossier_ids),
            updated_since=self.updated_since,
            signer=self.signer.strip() or None if self.signer is not None else None,
            urgencies=tuple(self.urgencies),
            include_revoked=self.include_revoked,
        )


@strawberry.enum(description="What search results are ordered by.")
class SearchSortField(enum.Enum):
    RELEVANCE = "relevance"
    ISSUE_DATE = "issue_date"
    ARRIVAL_DATE = "arrival_date"
    DEPOSITED_AT = "deposited_at"
    DOCUMENT_NUMBER = "document_number"


@strawberry.enum(description="Ascending or descending.")
class SortDirection(enum.Enum):
    ASC = "asc"
    DESC = "desc"


@strawberry.input(
    description=(
        "An order for search results. Every order ends with the record id, so paging across equal "
        "keys neither repeats nor skips; a record without the sorted value (an arrival date) comes "
        "last either way. A cursor belongs to its order: continuing with another is INVALID_CURSOR."
    )
)
class SearchOrderInput:
    field: SearchSortField = strawberry.field(
        default=SearchSortField.RELEVANCE,
        description=(
            "RELEVANCE (score, then newest issue date), ISSUE_DATE, ARRIVAL_DATE (ngày đến), "
            "DEPOSITED_AT (when the archive received it), DOCUMENT_NUMBER (the number as a number, then "
            "the notation)."
        ),
    )
    direction: SortDirection = strawberry.field(
        default=SortDirection.DESC, description="DESC (the default) or ASC; relevance is always DESC."
    )

    def to_domain(self) -> SearchOrder:
        sort_field = SortField(self.field.value)
        if sort_field is SortField.RELEVANCE:
            return SearchOrder()
        return SearchOrder(sort_field, descending=self.direction is SortDirection.DESC)


def _raw_id(value: str, type_name: str) -> str:
    """The UUID behind a Relay id of ``type_name``, or the value as given."""
    parsed = archive.api.types.from_global_id(value)
    return parsed[1] if parsed is not None and parsed[0] == type_name else value
