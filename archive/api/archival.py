"""The archival slice: fonds (phông lưu trữ) and dossiers (hồ sơ) with the 18 fields of
Circular 05/2025/TT-BNV, their lifecycle, and the documents placed in them.

Resolvers parse, call ``archive.services.archival`` and map: who may read or describe
what is decided there. A fonds or dossier the caller may not read is null (or
NOT_FOUND in a mutation), exactly like one that does not exist; a dossier's figures
and its ``documents`` only count and list the records the caller may read.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from archive.api.context import Context
from archive.api.types import Node, PageInfo, Record, from_global_id, to_global_id
from archive.domain import archival as da
from archive.domain import codes
from archive.domain import records as domain_records
from archive.domain.errors import InvalidQuery
from archive.domain.records import Classification
from archive.services import archival
from archive.services.search import get_record

if TYPE_CHECKING:
    from archive.api.destruction import DossierDestructionReview

Info = strawberry.Info[Context, None]

strawberry.enum(
    da.DossierStatus, description="Where a dossier is in its life (open, closed, handed over, transferred)."
)
strawberry.enum(da.FondsStatus, description="Whether a fonds still receives documents.")


@strawberry.enum(description="How dossiers are ordered.")
class DossierOrder(enum.Enum):
    FILE_CODE = "file_code"  # by fonds, then file code: the order of the dossier list


def raw_id(value: str, type_name: str) -> str:
    """The UUID behind a Relay id of ``type_name``, or the value itself (a bare UUID)."""
    parsed = from_global_id(value)
    return parsed[1] if parsed is not None and parsed[0] == type_name else value


def _raw_record_ids(values: list[str]) -> list[str]:
    return [raw_id(v, "Record") for v in values]


# -- types --------------------------------------------------------------------------------------


@strawberry.type(description="A value of a code list (Circular 05/2025): its code and its label.")
class CodeValue:
    code: str = strawberry.field(description="The code, e.g. 04.")
    label: str = strawberry.field(description="Its label in Vietnamese, e.g. 30 năm.")

    @classmethod
    def of(cls, list_name: str, code: str) -> CodeValue:
        return cls(code=code, label=codes.code_lists()[list_name].label(code))


@strawberry.type(description="A phông lưu trữ: every dossier and record of one creating body (agency).")
class Fonds(Node):
    _fonds: strawberry.Private[da.Fonds]

    @classmethod
    def from_domain(cls, fonds: da.Fonds) -> Fonds:
        return cls(id=to_global_id("Fonds", fonds.id), _fonds=fonds)

    @strawberry.field(description="The fonds's id without the Relay type prefix (a UUID).")
    def fonds_id(self) -> str:
        return self._fonds.id

    @strawberry.field(description="Mã phông: unique in the archive.")
    def code(self) -> str:
        return self._fonds.code

    @strawberry.field(description="Tên phông.")
    def name(self) -> str:
        return self._fonds.name

    @strawberry.field(description="The agency whose records it holds.")
    def agency_code(self) -> str:
        return self._fonds.agency_code

    @strawberry.field(description="Open (still receiving documents) or closed.")
    def status(self) -> da.FondsStatus:
        return self._fonds.status

    @strawberry.field(description="History of the creating body (lịch sử đơn vị hình thành phông).")
    def history(self) -> str:
        return self._fonds.history

    @strawberry.field(description="Time span of its documents, e.g. 1976-2025.")
    def time_span(self) -> str:
        return self._fonds.time_span

    @strawberry.field(description="Total documents as declared by the archivist; null when not declared.")
    def total_documents(self) -> int | None:
        return self._fonds.total_documents

    @strawberry.field(description="Classification scheme (phương án phân loại).")
    def classification_scheme(self) -> str:
        return self._fonds.classification_scheme

    @strawberry.field(description="Language codes (code list language, 01 Vietnamese ... 11 other).")
    def language(self) -> list[str]:
        return list(self._fonds.languages)

    @strawberry.field(description="Backup mode (code list risk_recovery).")
    def backup_mode(self) -> str:
        return self._fonds.backup_mode

    @strawberry.field(description="Notes.")
    def notes(self) -> str:
        return self._fonds.notes

    @strawberry.field(description="Its dossiers the caller may read, in file-code order.")
    async def dossiers(
        self,
        info: Info,
        first: Annotated[int, strawberry.argument(description="Page size.")] = 20,
        after: Annotated[str | None, strawberry.argument(description="Cursor to continue after.")] = None,
    ) -> DossierConnection:
        return await _dossier_page(info, DossierFilter(fonds_id=self._fonds.id), first, after)


@strawberry.type(description="One fonds of a page.")
class FondsEdge:
    cursor: str = strawberry.field(description="Pass as `after` to continue after this fonds.")
    node: Fonds = strawberry.field(description="The fonds.")


@strawberry.type(description="A page of fonds (Relay connection).")
class FondsConnection:
    edges: list[FondsEdge] = strawberry.field(description="The fonds of this page.")
    page_info: PageInfo = strawberry.field(description="Paging.")
    total_count: int = strawberry.field(description="Every fonds the caller may read.")


@strawberry.type(description="One document of a dossier, in its order.")
class DocumentEdge:
    cursor: str = strawberry.field(description="Pass as `after` to continue after this document.")
    node: Record = strawberry.field(description="The record.")


@strawberry.type(
    description="The documents of a dossier the caller may read, in ordinal order (Relay connection)."
)
class DocumentConnection:
    edges: list[DocumentEdge] = strawberry.field(description="The documents of this page.")
    page_info: PageInfo = strawberry.field(description="Paging.")
    total_count: int = strawberry.field(description="Every document of the dossier the caller may read.")


@strawberry.type(
    description=(
        "A hồ sơ with the 18 fields of Circular 05/2025/TT-BNV. Derived figures (totalDoc, numberOfPage, "
        "dates, confidenceLevel) count only the documents the caller may read."
    )
)
class Dossier(Node):
    _dossier: strawberry.Private[da.Dossier]
    _figures: strawberry.Private[da.DossierFigures | None] = None

    @classmethod
    def from_domain(cls, dossier: da.Dossier) -> Dossier:
        return cls(id=to_global_id("Dossier", dossier.id), _dossier=dossier)

    async def _derived(self, info: Info) -> da.DossierFigures:
        if self._figures is None:
            self._figures = await info.context.blocking(archival.dossier_figures, self._dossier)
        return self._figures

    @strawberry.field(description="The dossier's id without the Relay type prefix (a UUID).")
    def dossier_id(self) -> str:
        return self._dossier.id

    @strawberry.field(description="Mã hồ sơ: agency identifier.year.number-and-notation.")
    def file_code(self) -> str:
        return self._dossier.file_code

    @strawberry.field(
        description="The file code prefixed by this archive's code; null when none is configured."
    )
    def arc_file_code(self, info: Info) -> str | None:
        archive_code = info.context.services.settings.archive_code
        return da.arc_file_code(archive_code, self._dossier.file_code) if archive_code else None

    @strawberry.field(description="Year the dossier was formed; null when the file code was given whole.")
    def year(self) -> int | None:
        return self._dossier.year

    @strawberry.field(description="Số và ký hiệu hồ sơ (part of the file code).")
    def file_number(self) -> str:
        return self._dossier.file_number

    @strawberry.field(description="Tiêu đề hồ sơ (at most 1000 characters).")
    def title(self) -> str:
        return self._dossier.title

    @strawberry.field(description="Thời hạn bảo quản: 01 permanent, 02 70 years ... 06 10 years, 07 other.")
    def maintenance(self) -> CodeValue:
        return CodeValue.of(codes.MAINTENANCE, self._dossier.maintenance)

    @strawberry.field(description="Chế độ sử dụng: 01 public, 02 conditional use, 03 secret.")
    def mode(self) -> CodeValue:
        return CodeValue.of(codes.MODE, self._dossier.mode)

    @strawberry.field(description="Language codes (01 Vietnamese ... 11 other).")
    def language(self) -> list[CodeValue]:
        return [CodeValue.of(codes.LANGUAGE, c) for c in self._dossier.languages]

    @strawberry.field(
        description="Start date: as set, else the earliest issue date of its readable documents."
    )
    async def start_date(self, info: Info) -> date | None:
        return (await self._derived(info)).start_date

    @strawberry.field(description="End date: as set, else the latest issue date of its readable documents.")
    async def end_date(self, info: Info) -> date | None:
        return (await self._derived(info)).end_date

    @strawberry.field(description="Từ khóa.")
    def keyword(self) -> str:
        return self._dossier.keyword

    @strawberry.field(description="Number of its documents the caller may read.")
    async def total_doc(self, info: Info) -> int:
        return (await self._derived(info)).total_doc

    @strawberry.field(description="Số tờ of the paper dossier, as declared; null when not declared.")
    def number_of_paper(self) -> int | None:
        return self._dossier.number_of_paper

    @strawberry.field(description="Pages of its documents the caller may read.")
    async def number_of_page(self, info: Info) -> int:
        return (await self._derived(info)).number_of_page

    @strawberry.field(description="Tình trạng vật lý: 01 good, 02 normal, 03 damaged.")
    def format(self) -> CodeValue:
        return CodeValue.of(codes.PHYSICAL_FORMAT, self._dossier.physical_format)

    @strawberry.field(description="Ký hiệu thông tin.")
    def infor_sign(self) -> str:
        return self._dossier.infor_sign

    @strawberry.field(
        description=(
            "Mức độ tin cậy, from how its readable documents' text was obtained: 01 born digital, "
            "02 digitised, 03 mixed; null while unknown or still processing."
        )
    )
    async def confidence_level(self, info: Info) -> CodeValue | None:
        level = (await self._derived(info)).confidence_level
        return None if level is None else CodeValue.of(codes.CONFIDENCE_LEVEL, level)

    @strawberry.field(description="Mã hồ sơ giấy: the paper dossier a digitised one was scanned from.")
    def paper_file_code(self) -> str:
        return self._dossier.paper_file_code

    @strawberry.field(description="Chế độ dự phòng (code list risk_recovery).")
    def risk_recovery(self) -> CodeValue:
        return CodeValue.of(codes.RISK_RECOVERY, self._dossier.risk_recovery)

    @strawberry.field(description="Tình trạng dự phòng (code list risk_recovery_status).")
    def risk_recovery_status(self) -> CodeValue:
        return CodeValue.of(codes.RISK_RECOVERY_STATUS, self._dossier.risk_recovery_status)

    @strawberry.field(description="Ghi chú.")
    def description(self) -> str:
        return self._dossier.description

    @strawberry.field(description="Its classification (độ mật); a classified dossier is in mode 03.")
    def classification(self) -> Classification:
        return self._dossier.classification

    @strawberry.field(description="Open, closed, in the agency archive, or transferred.")
    def status(self) -> da.DossierStatus:
        return self._dossier.status

    @strawberry.field(description="When it was closed: its documents' retention counts from that year.")
    def closed_on(self) -> date | None:
        return self._dossier.closed_on

    @strawberry.field(description="Pass as rowVersion to update it (optimistic locking).")
    def row_version(self) -> int:
        return self._dossier.row_version

    @strawberry.field(description="When it was last changed.")
    def updated_at(self) -> datetime | None:
        return self._dossier.updated_at

    @strawberry.field(description="The fonds it belongs to; null when the caller may not read the fonds.")
    async def fonds(self, info: Info) -> Fonds | None:
        found = await info.context.blocking(archival.get_fonds, self._dossier.fonds_id)
        return None if found is None else Fonds.from_domain(found)

    @strawberry.field(
        description=(
            "Its review for destruction (Xem xét hủy, Circular 06/2025) over the documents the caller "
            "may read; null when none of them is in an open disposition batch."
        )
    )
    async def destruction_review(
        self, info: Info
    ) -> Annotated[DossierDestructionReview, strawberry.lazy("archive.api.destruction")] | None:
        from archive.api.destruction import DossierDestructionReview  # it imports the retention slice
        from archive.services import destruction

        found = await info.context.blocking(destruction.dossier_review, self._dossier.id)
        return None if found is None else DossierDestructionReview.from_service(found)

    @strawberry.field(description="Its documents the caller may read, in ordinal order.")
    async def documents(
        self,
        info: Info,
        first: Annotated[int, strawberry.argument(description="Page size.")] = 20,
        after: Annotated[str | None, strawberry.argument(description="Cursor to continue after.")] = None,
    ) -> DocumentConnection:
        return await _document_page(info, self._dossier.id, first, after)


@strawberry.type(description="One dossier of a page.")
class DossierEdge:
    cursor: str = strawberry.field(description="Pass as `after` to continue after this dossier.")
    node: Dossier = strawberry.field(description="The dossier.")


@strawberry.type(description="A page of dossiers (Relay connection).")
class DossierConnection:
    edges: list[DossierEdge] = strawberry.field(description="The dossiers of this page.")
    page_info: PageInfo = strawberry.field(description="Paging.")


@strawberry.type(description="What placing, moving or removing documents did.")
class DossierPlacement:
    dossier: Dossier = strawberry.field(description="The dossier, after the change.")
    record_ids: list[str] = strawberry.field(description="Record ids placed (or removed).")
    refused: list[str] = strawberry.field(
        description=(
            "Ids that do not exist, that the caller may not manage (the same answer), of another agency, "
            "or in a dossier that is no longer open."
        )
    )


# -- inputs -------------------------------------------------------------------------------------


@strawberry.input(description="Which dossiers to list; empty fields do not filter.")
class DossierFilter:
    fonds_id: str | None = strawberry.field(default=None, description="Only this fonds (Relay id or UUID).")
    status: da.DossierStatus | None = strawberry.field(default=None, description="Only this status.")
    year: int | None = strawberry.field(default=None, description="Only dossiers formed this year.")


@strawberry.input(description="A new fonds.")
class FondsInput:
    code: str = strawberry.field(description="Mã phông, unique in the archive.")
    name: str = strawberry.field(description="Tên phông.")
    agency_code: str | None = strawberry.field(
        default=None, description="Its agency (default: the caller's only agency)."
    )
    history: str = strawberry.field(default="", description="History of the creating body.")
    time_span: str = strawberry.field(default="", description="Time span of its documents.")
    total_documents: int | None = strawberry.field(default=None, description="Declared total documents.")
    classification_scheme: str = strawberry.field(default="", description="Classification scheme.")
    language: list[str] = strawberry.field(default_factory=lambda: ["01"], description="Language codes.")
    backup_mode: str = strawberry.field(default="0", description="Backup mode (code list risk_recovery).")
    notes: str = strawberry.field(default="", description="Notes.")


@strawberry.input(description="Changes to a fonds; fields left out keep their value.")
class FondsChanges:
    code: str | None = strawberry.field(default=strawberry.UNSET, description="Mã phông.")
    name: str | None = strawberry.field(default=strawberry.UNSET, description="Tên phông.")
    status: da.FondsStatus | None = strawberry.field(default=strawberry.UNSET, description="Open or closed.")
    history: str | None = strawberry.field(
        default=strawberry.UNSET, description="History of the creating body."
    )
    time_span: str | None = strawberry.field(default=strawberry.UNSET, description="Time span.")
    total_documents: int | None = strawberry.field(default=strawberry.UNSET, description="Declared total.")
    classification_scheme: str | None = strawberry.field(
        default=strawberry.UNSET, description="Classification scheme."
    )
    language: list[str] | None = strawberry.field(default=strawberry.UNSET, description="Language codes.")
    backup_mode: str | None = strawberry.field(default=strawberry.UNSET, description="Backup mode.")
    notes: str | None = strawberry.field(default=strawberry.UNSET, description="Notes.")


@strawberry.input(
    description=(
        "A new dossier: give fileCode whole, or year and fileNumber (composed with agencyIdentifier, "
        "default the fonds's agency code). Codes are given by code or by label."
    )
)
class DossierInput:
    fonds_id: str = strawberry.field(description="Its fonds (Relay id or UUID).")
    title: str = strawberry.field(description="Tiêu đề hồ sơ (at most 1000 characters).")
    maintenance: str = strawberry.field(description="Retention code 01-07, or its label.")
    file_code: str | None = strawberry.field(default=None, description="The whole file code.")
    agency_identifier: str | None = strawberry.field(
        default=None, description="Agency identifier in the file code."
    )
    year: int | None = strawberry.field(default=None, description="Year the dossier was formed.")
    file_number: str | None = strawberry.field(default=None, description="Số và ký hiệu hồ sơ.")
    mode: str = strawberry.field(default="01", description="01 public, 02 conditional use, 03 secret.")
    language: list[str] = strawberry.field(default_factory=lambda: ["01"], description="Language codes.")
    start_date: date | None = strawberry.field(default=None, description="Overrides the derived start date.")
    end_date: date | None = strawberry.field(default=None, description="Overrides the derived end date.")
    keyword: str = strawberry.field(default="", description="Từ khóa.")
    number_of_paper: int | None = strawberry.field(default=None, description="Số tờ of the paper dossier.")
    format: str = strawberry.field(
        default="01", description="Physical condition: 01 good, 02 normal, 03 damaged."
    )
    infor_sign: str = strawberry.field(default="", description="Ký hiệu thông tin.")
    paper_file_code: str = strawberry.field(default="", description="The paper dossier (digitised ones).")
    risk_recovery: str = strawberry.field(default="0", description="Backup mode.")
    risk_recovery_status: str = strawberry.field(default="0", description="Whether it is backed up.")
    description: str = strawberry.field(default="", description="Ghi chú.")
    classification: Classification = strawberry.field(
        default=Classification.ORDINARY, description="Độ mật; above ORDINARY needs mode 03."
    )


@strawberry.input(description="Changes to a dossier; fields left out keep their value.")
class DossierChanges:
    title: str | None = strawberry.field(default=strawberry.UNSET, description="Tiêu đề hồ sơ.")
    file_code: str | None = strawberry.field(default=strawberry.UNSET, description="The whole file code.")
    year: int | None = strawberry.field(default=strawberry.UNSET, description="Year the dossier was formed.")
    file_number: str | None = strawberry.field(default=strawberry.UNSET, description="Số và ký hiệu hồ sơ.")
    maintenance: str | None = strawberry.field(default=strawberry.UNSET, description="Retention code 01-07.")
    mode: str | None = strawberry.field(default=strawberry.UNSET, description="01, 02 or 03.")
    language: list[str] | None = strawberry.field(default=strawberry.UNSET, description="Language codes.")
    start_date: date | None = strawberry.field(default=strawberry.UNSET, description="Start date override.")
    end_date: date | None = strawberry.field(default=strawberry.UNSET, description="End date override.")
    keyword: str | None = strawberry.field(default=strawberry.UNSET, description="Từ khóa.")
    number_of_paper: int | None = strawberry.field(default=strawberry.UNSET, description="Số tờ.")
    format: str | None = strawberry.field(default=strawberry.UNSET, description="Physical condition.")
    infor_sign: str | None = strawberry.field(default=strawberry.UNSET, description="Ký hiệu thông tin.")
    paper_file_code: str | None = strawberry.field(default=strawberry.UNSET, description="The paper dossier.")
    risk_recovery: str | None = strawberry.field(default=strawberry.UNSET, description="Backup mode.")
    risk_recovery_status: str | None = strawberry.field(default=strawberry.UNSET, description="Backed up.")
    description: str | None = strawberry.field(default=strawberry.UNSET, description="Ghi chú.")
    classification: Classification | None = strawberry.field(default=strawberry.UNSET, description="Độ mật.")


# GraphQL names that differ from the domain's.
_RENAMED = {"format": "physical_format", "language": "languages"}
_TUPLES = {"languages"}
_NOT_NULL = {
    "title",
    "file_code",
    "file_number",
    "maintenance",
    "mode",
    "languages",
    "keyword",
    "physical_format",
    "infor_sign",
    "paper_file_code",
    "risk_recovery",
    "risk_recovery_status",
    "description",
    "classification",
    "code",
    "name",
    "status",
    "history",
    "time_span",
    "classification_scheme",
    "backup_mode",
    "notes",
}


def _changes(changes: object) -> dict[str, Any]:
    """The fields a client set, under their domain names."""
    out: dict[str, Any] = {}
    for name, value in vars(changes).items():
        if value is strawberry.UNSET:
            continue
        domain_name = _RENAMED.get(name, name)
        if value is None and domain_name in _NOT_NULL:
            raise InvalidQuery(f"{name} cannot be null")
        out[domain_name] = tuple(value) if domain_name in _TUPLES else value
    return out


# -- paging ---------------------------------------------------------------------------------------


def _check_first(info: Info, first: int) -> None:
    limit = info.context.services.settings.max_page_size
    if not 1 <= first <= limit:
        raise InvalidQuery(f"first must be between 1 and {limit}")


def _after_id(after: str | None, type_name: str) -> str | None:
    if after is None:
        return None
    parsed = from_global_id(after)
    if parsed is None or parsed[0] != type_name:
        raise InvalidQuery("the cursor is malformed")
    return parsed[1]


async def _dossier_page(info: Info, flt: DossierFilter, first: int, after: str | None) -> DossierConnection:
    _check_first(info, first)
    found = await info.context.blocking(
        archival.list_dossiers,
        fonds_id=None if flt.fonds_id is None else raw_id(flt.fonds_id, "Fonds"),
        status=flt.status,
        year=flt.year,
        after=_after_id(after, "DossierCursor"),
        limit=first + 1,
    )
    edges = [
        DossierEdge(cursor=to_global_id("DossierCursor", d.id), node=Dossier.from_domain(d))
        for d in found[:first]
    ]
    return DossierConnection(
        edges=edges,
        page_info=PageInfo(has_next_page=len(found) > first, end_cursor=edges[-1].cursor if edges else None),
    )


async def _document_page(info: Info, dossier_id: str, first: int, after: str | None) -> DocumentConnection:
    _check_first(info, first)
    ctx = info.context
    ids = await ctx.blocking(archival.member_ids, dossier_id)
    start = 0
    after_id = _after_id(after, "DocumentCursor")
    if after_id is not None:
        start = ids.index(after_id) + 1 if after_id in ids else len(ids)
    page_ids = ids[start : start + first]
    records = [
        r for r in [await get_record(ctx.services, ctx.principal, i) for i in page_ids] if r is not None
    ]
    hidden = [r.id for r in records if not r.metadata.is_public]
    if hidden:
        await ctx.audit("dossier.read", dossier_id, details={"ids": ",".join(hidden), "count": len(hidden)})
    edges = [
        DocumentEdge(cursor=to_global_id("DocumentCursor", r.id), node=Record.from_domain(r)) for r in records
    ]
    return DocumentConnection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=start + first < len(ids), end_cursor=edges[-1].cursor if edges else None
        ),
        total_count=len(ids),
    )


def _fonds_page(found: list[da.Fonds], first: int, after: str | None) -> FondsConnection:
    after_id = _after_id(after, "FondsCursor")
    ids = [f.id for f in found]
    start = 0 if after_id is None else (ids.index(after_id) + 1 if after_id in ids else len(ids))
    page = found[start : start + first]
    edges = [FondsEdge(cursor=to_global_id("FondsCursor", f.id), node=Fonds.from_domain(f)) for f in page]
    return FondsConnection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=start + first < len(found), end_cursor=edges[-1].cursor if edges else None
        ),
        total_count=len(found),
    )


# -- a record's place -------------------------------------------------------------------------


async def record_dossier(info: Info, record: domain_records.Record) -> Dossier | None:
    """``Record.dossier``: the record is readable already; its dossier goes through its own rule."""
    if record.dossier_id is None:
        return None
    found = await info.context.blocking(archival.get_dossier, record.dossier_id)
    return None if found is None else Dossier.from_domain(found)


async def record_doc_code(info: Info, record: domain_records.Record) -> str | None:
    """``Record.docCode``, shown with the dossier it is made of."""
    if record.dossier_id is None or record.doc_ordinal is None:
        return None
    found = await info.context.blocking(archival.get_dossier, record.dossier_id)
    return None if found is None else da.doc_code(found.file_code, record.doc_ordinal)


async def record_fonds(info: Info, record: domain_records.Record) -> Fonds | None:
    """``Record.fonds``: the fonds's description, through ``can_read_fonds``."""
    fonds_id = record.fonds_id or da.default_fonds_id(record.agency_code)
    found = await info.context.blocking(archival.get_fonds, fonds_id)
    return None if found is None else Fonds.from_domain(found)


# -- queries and mutations -----------------------------------------------------------------


@strawberry.type
class ArchivalQueries:
    @strawberry.field(description="A fonds by id; null when it does not exist or the caller may not read it.")
    async def fonds(
        self, info: Info, id: Annotated[str, strawberry.argument(description="Relay id or UUID.")]
    ) -> Fonds | None:
        found = await info.context.blocking(archival.get_fonds, raw_id(id, "Fonds"))
        return None if found is None else Fonds.from_domain(found)

    @strawberry.field(description="The fonds the caller may read, by code.")
    async def fonds_list(
        self,
        info: Info,
        first: Annotated[int, strawberry.argument(description="Page size.")] = 20,
        after: Annotated[str | None, strawberry.argument(description="Cursor to continue after.")] = None,
    ) -> FondsConnection:
        _check_first(info, first)
        found = await info.context.blocking(archival.list_fonds)
        return _fonds_page(found, first, after)

    @strawberry.field(
        description="A dossier by id; null when it does not exist or the caller may not read it."
    )
    async def dossier(
        self, info: Info, id: Annotated[str, strawberry.argument(description="Relay id or UUID.")]
    ) -> Dossier | None:
        found = await info.context.blocking(archival.get_dossier, raw_id(id, "Dossier"))
        return None if found is None else Dossier.from_domain(found)

    @strawberry.field(description="Dossiers the caller may read.")
    async def dossiers(
        self,
        info: Info,
        filter: Annotated[DossierFilter | None, strawberry.argument(description="Filters.")] = None,
        order_by: Annotated[DossierOrder, strawberry.argument(description="Order.")] = DossierOrder.FILE_CODE,
        first: Annotated[int, strawberry.argument(description="Page size.")] = 20,
        after: Annotated[str | None, strawberry.argument(description="Cursor to continue after.")] = None,
    ) -> DossierConnection:
        return await _dossier_page(info, filter or DossierFilter(), first, after)


@strawberry.type
class ArchivalMutations:
    @strawberry.mutation(description="Describe a new fonds (records managers of its agency, admins).")
    async def create_fonds(
        self, info: Info, input: Annotated[FondsInput, strawberry.argument(description="The fonds.")]
    ) -> Fonds:
        draft = da.Fonds(
            id="",
            code=input.code,
            name=input.name,
            agency_code=input.agency_code or "",
            history=input.history,
            time_span=input.time_span,
            total_documents=input.total_documents,
            classification_scheme=input.classification_scheme,
            languages=tuple(input.language),
            backup_mode=input.backup_mode,
            notes=input.notes,
        )
        created = await info.context.blocking(archival.create_fonds, draft)
        return Fonds.from_domain(created)

    @strawberry.mutation(description="Change a fonds's description.")
    async def update_fonds(
        self,
        info: Info,
        id: Annotated[str, strawberry.argument(description="Relay id or UUID.")],
        changes: Annotated[FondsChanges, strawberry.argument(description="The fields to change.")],
    ) -> Fonds:
        updated = await info.context.blocking(archival.update_fonds, raw_id(id, "Fonds"), _changes(changes))
        return Fonds.from_domain(updated)

    @strawberry.mutation(description="Describe a new, open dossier in a fonds.")
    async def create_dossier(
        self, info: Info, input: Annotated[DossierInput, strawberry.argument(description="The dossier.")]
    ) -> Dossier:
        draft = da.Dossier(
            id="",
            fonds_id=raw_id(input.fonds_id, "Fonds"),
            agency_code="",
            file_code=input.file_code or "",
            title=input.title,
            maintenance=input.maintenance,
            mode=input.mode,
            languages=tuple(input.language),
            start_date=input.start_date,
            end_date=input.end_date,
            keyword=input.keyword,
            number_of_paper=input.number_of_paper,
            physical_format=input.format,
            infor_sign=input.infor_sign,
            paper_file_code=input.paper_file_code,
            risk_recovery=input.risk_recovery,
            risk_recovery_status=input.risk_recovery_status,
            description=input.description,
            classification=input.classification,
            year=input.year,
            file_number=input.file_number or "",
        )
        created = await info.context.blocking(
            archival.create_dossier, draft, agency_identifier=input.agency_identifier or ""
        )
        return Dossier.from_domain(created)

    @strawberry.mutation(
        description="Change a dossier's description (STALE_WRITE when it changed since rowVersion)."
    )
    async def update_dossier(
        self,
        info: Info,
        id: Annotated[str, strawberry.argument(description="Relay id or UUID.")],
        row_version: Annotated[
            int, strawberry.argument(description="The rowVersion the change is based on.")
        ],
        changes: Annotated[DossierChanges, strawberry.argument(description="The fields to change.")],
    ) -> Dossier:
        updated = await info.context.blocking(
            archival.update_dossier, raw_id(id, "Dossier"), _changes(changes), expected_version=row_version
        )
        return Dossier.from_domain(updated)

    @strawberry.mutation(
        description=(
            "Close an open dossier: its documents' retention starts counting from the year after "
            "closedOn. Refused with the required fields it lacks, the ids of documents still being "
            "processed, or a closedOn in the future or before its last document."
        )
    )
    async def close_dossier(
        self,
        info: Info,
        id: Annotated[str, strawberry.argument(description="Relay id or UUID.")],
        row_version: Annotated[int | None, strawberry.argument(description="Expected rowVersion.")] = None,
        closed_on: Annotated[
            date | None,
            strawberry.argument(
                description=(
                    "When its work was completed (default today), e.g. for a paper dossier described "
                    "years later."
                )
            ),
        ] = None,
    ) -> Dossier:
        closed = await info.context.blocking(
            archival.close_dossier, raw_id(id, "Dossier"), expected_version=row_version, closed_on=closed_on
        )
        return Dossier.from_domain(closed)

    @strawberry.mutation(description="Reopen a closed dossier that is still with the agency.")
    async def reopen_dossier(
        self,
        info: Info,
        id: Annotated[str, strawberry.argument(description="Relay id or UUID.")],
        row_version: Annotated[int | None, strawberry.argument(description="Expected rowVersion.")] = None,
    ) -> Dossier:
        return await _lifecycle(info, archival.reopen_dossier, id, row_version)

    @strawberry.mutation(description="Record that a closed dossier was handed to the agency archive.")
    async def hand_over_dossier(
        self,
        info: Info,
        id: Annotated[str, strawberry.argument(description="Relay id or UUID.")],
        row_version: Annotated[int | None, strawberry.argument(description="Expected rowVersion.")] = None,
    ) -> Dossier:
        return await _lifecycle(info, archival.hand_over_dossier, id, row_version)

    @strawberry.mutation(
        description=(
            "Record that a dossier went to the historical archive (its status only; no package is built)."
        )
    )
    async def transfer_dossier(
        self,
        info: Info,
        id: Annotated[str, strawberry.argument(description="Relay id or UUID.")],
        row_version: Annotated[int | None, strawberry.argument(description="Expected rowVersion.")] = None,
    ) -> Dossier:
        return await _lifecycle(info, archival.transfer_dossier, id, row_version)

    @strawberry.mutation(
        description="Append records to an open dossier in the given order (out of any other open dossier)."
    )
    async def place_records(
        self,
        info: Info,
        dossier_id: Annotated[str, strawberry.argument(description="Relay id or UUID.")],
        record_ids: Annotated[list[str], strawberry.argument(description="Record ids or Relay ids.")],
    ) -> DossierPlacement:
        placement = await info.context.blocking(
            archival.place_records, raw_id(dossier_id, "Dossier"), _raw_record_ids(record_ids)
        )
        return _placement(placement)

    @strawberry.mutation(description="Move one record into a dossier, optionally at a position (1 = first).")
    async def move_record(
        self,
        info: Info,
        record_id: Annotated[str, strawberry.argument(description="Record id or Relay id.")],
        dossier_id: Annotated[str, strawberry.argument(description="Relay id or UUID.")],
        position: Annotated[int | None, strawberry.argument(description="Its place; null: last.")] = None,
    ) -> DossierPlacement:
        placement = await info.context.blocking(
            archival.move_record,
            raw_id(record_id, "Record"),
            raw_id(dossier_id, "Dossier"),
            position=position,
        )
        return _placement(placement)

    @strawberry.mutation(description="Take records out of an open dossier; the others keep their ordinals.")
    async def remove_records(
        self,
        info: Info,
        dossier_id: Annotated[str, strawberry.argument(description="Relay id or UUID.")],
        record_ids: Annotated[list[str], strawberry.argument(description="Record ids or Relay ids.")],
    ) -> DossierPlacement:
        placement = await info.context.blocking(
            archival.remove_records, raw_id(dossier_id, "Dossier"), _raw_record_ids(record_ids)
        )
        return _placement(placement)

    @strawberry.mutation(
        description="Renumber a dossier's documents 1..n in the given order (every one, once)."
    )
    async def reorder_dossier(
        self,
        info: Info,
        dossier_id: Annotated[str, strawberry.argument(description="Relay id or UUID.")],
        record_ids: Annotated[list[str], strawberry.argument(description="Every member, in the new order.")],
    ) -> Dossier:
        dossier = await info.context.blocking(
            archival.reorder_dossier, raw_id(dossier_id, "Dossier"), _raw_record_ids(record_ids)
        )
        return Dossier.from_domain(dossier)


async def _lifecycle(info: Info, action: Any, id: str, row_version: int | None) -> Dossier:
    moved = await info.context.blocking(action, raw_id(id, "Dossier"), expected_version=row_version)
    return Dossier.from_domain(moved)


def _placement(placement: archival.Placement) -> DossierPlacement:
    return DossierPlacement(
        dossier=Dossier.from_domain(placement.dossier),
        record_ids=list(placement.placed),
        refused=list(placement.refused),
    )
