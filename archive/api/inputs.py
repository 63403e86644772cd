"""GraphQL input types, and their translation to domain values."""

from __future__ import annotations

from collections.abc import Sized
from datetime import date

import strawberry

import archive.api.types  # registers the domain enums with strawberry; from_global_id
from archive.domain import records as domain
from archive.domain.errors import InvalidQuery
from archive.domain.search import SearchFilter

FILTER_VALUES_MAX = 50  # values per filter list: more is a scan, not a filter


@strawberry.input(description="Official metadata of a document (Decree 30/2020/NĐ-CP, Appendix VI).")
class RecordMetadataInput:
    document_type: str = strawberry.field(description="Loại văn bản, e.g. Quyết định.")
    number: str = strawberry.field(description="Số, e.g. 123.")
    notation: str = strawberry.field(description="Ký hiệu, e.g. QĐ-UBND.")
    issuing_agency_code: str = strawberry.field(description="Code of the issuing agency.")
    issuing_agency_name: str = strawberry.field(description="Name of the issuing agency.")
    issue_date: date = strawberry.field(description="Ngày ban hành; not in the future.")
    subject: str = strawberry.field(description="Trích yếu, at most 500 characters.")
    signer_name: str = strawberry.field(description="Full name of the signer.")
    signer_position: str = strawberry.field(description="Position of the signer.")
    direction: domain.Direction = strawberry.field(description="Incoming or outgoing.")
    issue_place: str = strawberry.field(default="", description="Địa danh.")
    recipients: list[str] = strawberry.field(
        default_factory=list, description="Nơi nhận: at most 200 entries of at most 300 characters."
    )
    urgency: domain.Urgency = strawberry.field(default=domain.Urgency.NORMAL, description="Độ khẩn.")
    classification: domain.Classification = strawberry.field(
        default=domain.Classification.ORDINARY, description="Độ mật."
    )
    language: str = strawberry.field(default="vi", description="Language code.")
    page_count: int | None = strawberry.field(
        default=None, description="Pages (1 to 100000); counted from the file if absent."
    )
    arrival_number: str | None = strawberry.field(default=None, description="Số đến (incoming only).")
    arrival_date: date | None = strawberry.field(default=None, description="Ngày đến (incoming only).")
    due_date: date | None = strawberry.field(default=None, description="Hạn xử lý.")
    is_public: bool = strawberry.field(default=False, description="Publish to anonymous callers.")
    retention_code: str | None = strawberry.field(default=None, description="Explicit retention rule code.")
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
            language=self.language,
            page_count=self.page_count,
            arrival_number=self.arrival_number,
            arrival_date=self.arrival_date,
            due_date=self.due_date,
            is_public=self.is_public,
            retention_code=self.retention_code,
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

    def to_domain(self) -> SearchFilter:
        """The domain filter; InvalidQuery when a list is longer than FILTER_VALUES_MAX."""
        lists: dict[str, Sized] = {
            "issuingAgencyCodes": self.issuing_agency_codes,
            "documentTypes": self.document_types,
            "classifications": self.classifications,
            "fondsIds": self.fonds_ids,
            "dossierIds": self.dossier_ids,
        }
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
        )


def _raw_id(value: str, type_name: str) -> str:
    """The UUID behind a Relay id of ``type_name``, or the value as given."""
    parsed = archive.api.types.from_global_id(value)
    return parsed[1] if parsed is not None and parsed[0] == type_name else value
