"""GraphQL object types for records and search. Every field has a description,
because the descriptions ship in ``schema.graphql``."""

from __future__ import annotations

import base64
import binascii
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from archive.api.context import Context
from archive.api.council import DestructionReview
from archive.api.signatures import Signature, SignatureStatus, Thumbnail
from archive.domain import records as domain
from archive.domain.access import Readable
from archive.domain.jobs import Job
from archive.domain.processing import ExtractionReport, extraction_error, job_error
from archive.domain.retention import RecordRetention as DomainRetention
from archive.domain.search import FacetBucket, Facets
from archive.services.destruction import review_shown
from archive.services.download import issue_link
from archive.services.previews import preview_links
from archive.services.search import get_record

if TYPE_CHECKING:
    from archive.api.archival import Dossier, Fonds
    from archive.api.files import RecordFile
    from archive.api.intake import EdxmlIntake
    from archive.api.lifecycle import MetadataVersion, RecordLifecycle, RecordRelation
    from archive.api.retention import LegalHold

strawberry.enum(domain.Urgency, description="Độ khẩn: how fast the document must be handled.")
strawberry.enum(domain.Direction, description="Incoming (văn bản đến) or outgoing (văn bản đi).")
strawberry.enum(domain.TextStatus, description="Where the record's searchable text stands.")
strawberry.enum(domain.TextSource, description="Where a page's text came from.")


strawberry.enum(
    domain.Classification,
    description="Độ mật: ORDINARY (Thường) < CONFIDENTIAL (Mật) < SECRET (Tối mật) < TOP_SECRET (Tuyệt mật).",
)


def to_global_id(type_name: str, raw_id: str) -> strawberry.ID:
    return strawberry.ID(base64.urlsafe_b64encode(f"{type_name}:{raw_id}".encode()).decode())


def from_global_id(global_id: str) -> tuple[str, str] | None:
    """(type name, raw id), or None for anything that is not one of our ids."""
    try:
        decoded = base64.urlsafe_b64decode(global_id.encode("ascii")).decode()
    except (binascii.Error, UnicodeError, ValueError):
        return None
    type_name, sep, raw = decoded.partition(":")
    return (type_name, raw) if sep and raw else None


@strawberry.interface(description="An object with a globally unique id (Relay).")
class Node:
    id: strawberry.ID = strawberry.field(description="Globally unique, opaque id.")


@strawberry.type(description="An agency: its code and its name.")
class Agency:
    code: str = strawberry.field(description="Mã định danh of the agency.")
    name: str = strawberry.field(description="Full name of the agency.")


@strawberry.type(description="Who signed the document (người ký).")
class Signer:
    name: str = strawberry.field(description="Full name of the signer.")
    position: str = strawberry.field(description="Position (chức vụ) of the signer.")


@strawberry.type(description="The deposited file, stored byte-for-byte unchanged.")
class StoredFile:
    original_filename: str = strawberry.field(description="The name it was uploaded with (metadata only).")
    media_type: str = strawberry.field(description="Media type detected from the bytes.")
    size: int = strawberry.field(description="Size in bytes.")
    sha256: str = strawberry.field(description="SHA-256 of the bytes, hex.")


@strawberry.type(description="The text of one page.")
class Page:
    number: int = strawberry.field(description="Page number, from 1.")
    text: str = strawberry.field(description="The page's text, NFC-normalised.")
    source: domain.TextSource = strawberry.field(description="Text layer or OCR.")
    confidence: float | None = strawberry.field(description="Mean OCR confidence (0-100), for OCR pages.")


@strawberry.type(description="A short-lived link to the original bytes.")
class DownloadLink:
    url: str = strawberry.field(description="GET this URL before it expires.")
    expires_at: datetime = strawberry.field(description="When the link stops working.")


@strawberry.type(description="Where the record's background processing stands.")
class Processing:
    status: str = strawberry.field(description="pending, running, done or failed.")
    steps_done: list[str] = strawberry.field(description="Pipeline steps finished so far, in order.")
    attempts: int = strawberry.field(description="How many times the job has been tried.")
    error: str | None = strawberry.field(
        description="Why the last attempt failed, or why the extraction stopped short: a message "
        "written for callers (never the raw exception, which stays in the worker's log)."
    )
    error_code: str | None = strawberry.field(
        description="The code of that error: PROCESSING_FAILED, EXTRACTION_FAILED, EXTRACTION_LIMIT, "
        "or the code of an expected failure such as SERVICE_UNAVAILABLE or INTEGRITY."
    )
    limit_hit: str | None = strawberry.field(
        description="The extraction limit the document hit, if any: memory, cpu_time, wall_time, pixels "
        "(text extraction failed; bytes and metadata kept) or page_cap (pages past the cap were not read)."
    )

    @classmethod
    def from_job(cls, job: Job, extraction: ExtractionReport | None = None) -> Processing:
        limit_hit = None if extraction is None else extraction.limit_hit
        error = job_error(job.last_error) or (None if extraction is None else extraction_error(extraction))
        return cls(
            status=job.status.value,
            steps_done=[s.value for s in job.steps_done],
            attempts=job.attempts,
            error=None if error is None else error.message,
            error_code=None if error is None else error.code,
            limit_hit=limit_hit,
        )


@strawberry.type(
    description=(
        "How long the archive keeps a record and why: the governing period under the retention schedules "
        "(Circular 10/2022/TT-BNV and sector circulars), counted from the year the work was completed."
    )
)
class RecordRetention:
    rule: str | None = strawberry.field(
        description=(
            "The code of the schedule rule that governs it; null when a retention code declared on the "
            "record or its dossier keeps it longer than any rule, or when no rule applies (kept permanently)."
        )
    )
    schedule: str | None = strawberry.field(description="The schedule that rule belongs to, e.g. TT10-2022.")
    code: str = strawberry.field(
        description=(
            "The retention code (maintenance, Circular 05/2025/TT-BNV) of the governing period: "
            "01 permanent, 02 70 years, 03 50, 04 30, 05 20, 06 10, 07 another period the rule gives."
        )
    )
    legal_basis: str = strawberry.field(
        description=(
            "The rule's legal basis (circular and item); empty when none is recorded or no rule governs."
        )
    )
    disposal_date: date | None = strawberry.field(
        description=(
            "The first day it may be destroyed: 1 January of the year after completion plus the period. "
            "Null when it is kept permanently or its clock has not started (its dossier is still open)."
        )
    )
    permanent: bool = strawberry.field(description="Kept forever: never proposed for destruction.")

    @classmethod
    def from_domain(cls, found: DomainRetention) -> RecordRetention:
        return cls(
            rule=found.rule_code,
            schedule=found.schedule,
            code=found.maintenance,
            legal_basis=found.legal_basis,
            disposal_date=found.disposal_date,
            permanent=found.permanent,
        )


@strawberry.type(description="An archived record: official metadata (Decree 30/2020) and its file.")
class Record(Node):
    _record: strawberry.Private[domain.Record]
    _pages_loaded: strawberry.Private[bool] = True

    @classmethod
    def from_domain(cls, record: domain.Record, *, pages_loaded: bool = True) -> Record:
        """``pages_loaded=False`` for records hydrated without their page text (search
        hits): ``pages`` then reads it only when a client asks for it."""
        return cls(id=to_global_id("Record", record.id), _record=record, _pages_loaded=pages_loaded)

    @strawberry.field(description="The record's id without the Relay type prefix (a UUID).")
    def record_id(self) -> str:
        return self._record.id

    @strawberry.field(description="Number and notation as printed, e.g. 123/QĐ-UBND.")
    def document_number(self) -> str:
        return self._record.metadata.document_number

    @strawberry.field(description="Document type (loại văn bản), e.g. Quyết định.")
    def document_type(self) -> str:
        return self._record.metadata.document_type

    @strawberry.field(description="Số: the number part, e.g. 123.")
    def number(self) -> str:
        return self._record.metadata.number

    @strawberry.field(description="Ký hiệu: the notation part, e.g. QĐ-UBND.")
    def notation(self) -> str:
        return self._record.metadata.notation

    @strawberry.field(description="The agency that issued the document.")
    def issuing_agency(self) -> Agency:
        m = self._record.metadata
        return Agency(code=m.issuing_agency_code, name=m.issuing_agency_name)

    @strawberry.field(description="The agency that owns this record in the archive.")
    def agency_code(self) -> str:
        return self._record.agency_code

    @strawberry.field(description="Ngày ban hành.")
    def issue_date(self) -> date:
        return self._record.metadata.issue_date

    @strawberry.field(description="Địa danh: where it was issued.")
    def issue_place(self) -> str:
        return self._record.metadata.issue_place

    @strawberry.field(description="Trích yếu: the summary (at most 500 characters).")
    def subject(self) -> str:
        return self._record.metadata.subject

    @strawberry.field(description="Who signed it.")
    def signer(self) -> Signer:
        m = self._record.metadata
        return Signer(name=m.signer_name, position=m.signer_position)

    @strawberry.field(description="Nơi nhận: the recipients.")
    def recipients(self) -> list[str]:
        return list(self._record.metadata.recipients)

    @strawberry.field(description="Độ khẩn.")
    def urgency(self) -> domain.Urgency:
        return self._record.metadata.urgency

    @strawberry.field(description="Độ mật.")
    def classification(self) -> domain.Classification:
        return self._record.metadata.classification

    @strawberry.field(description="Incoming or outgoing.")
    def direction(self) -> domain.Direction:
        return self._record.metadata.direction

    @strawberry.field(
        description="Ngôn ngữ: language codes 01-11 (01 Tiếng Việt, 02 Tiếng Anh, ... 11 Khác)."
    )
    def language(self) -> list[str]:
        return list(self._record.metadata.languages)

    @strawberry.field(description="Number of pages.")
    def page_count(self) -> int | None:
        return self._record.metadata.page_count

    @strawberry.field(description="Số đến: arrival number, for incoming documents.")
    def arrival_number(self) -> str | None:
        return self._record.metadata.arrival_number

    @strawberry.field(description="Ngày đến: arrival date, for incoming documents.")
    def arrival_date(self) -> date | None:
        return self._record.metadata.arrival_date

    @strawberry.field(description="Hạn xử lý: due date.")
    def due_date(self) -> date | None:
        return self._record.metadata.due_date

    @strawberry.field(description="Whether anyone, even anonymous callers, may read it.")
    def is_public(self) -> bool:
        return self._record.metadata.is_public

    @strawberry.field(
        description="Tên loại văn bản (Circular 05/2025): document-type code 01-32; documentType is its text."
    )
    def type_name(self) -> str:
        m = self._record.metadata
        return m.type_name or domain.type_code_of(m.document_type)

    @strawberry.field(
        description=(
            "Chế độ sử dụng: 01 public, 02 conditional use (other agencies' archivists read it only "
            "with a grant), 03 secret (classified); null when not stated (an ORDINARY record that is not "
            "public, deposited without a mode: read as before Circular 05)."
        )
    )
    def mode(self) -> str | None:
        return self._record.metadata.mode

    @strawberry.field(
        description=(
            "Mức độ tin cậy, from how the text was obtained: 01 every page from a text layer, "
            "02 every page OCR'd, 03 both; null while the text is not extracted (or could not be)."
        )
    )
    def confidence_level(self) -> str | None:
        return self._record.confidence_level

    @strawberry.field(description="Từ khóa (searchable with the other metadata).")
    def keyword(self) -> str:
        return self._record.metadata.keyword

    @strawberry.field(description="Ký hiệu thông tin.")
    def infor_sign(self) -> str:
        return self._record.metadata.infor_sign

    @strawberry.field(description="Bút tích: handwritten notes of a leader on the document.")
    def autograph(self) -> str:
        return self._record.metadata.autograph

    @strawberry.field(name="format", description="Tình trạng vật lý: 01 Tốt, 02 Bình thường, 03 Hư hỏng.")
    def physical_format(self) -> str | None:
        return self._record.metadata.physical_format

    @strawberry.field(description="Whether a processing-flow file (quy trình xử lý) is attached.")
    def process(self) -> bool:
        return self._record.metadata.process

    @strawberry.field(description="Ghi chú.")
    def description(self) -> str:
        return self._record.metadata.description

    @strawberry.field(description="Số bản: copies issued.")
    def issued_amount(self) -> int | None:
        return self._record.metadata.issued_amount

    @strawberry.field(description="The stored file.")
    def file(self) -> StoredFile:
        f = self._record.file
        return StoredFile(
            original_filename=f.original_filename,
            media_type=f.media_type,
            size=f.size,
            sha256=f.sha256,
        )

    @strawberry.field(
        description=(
            "Every file of the record: its main file first, then appendices, attachments and the "
            "source package, each with its versions."
        )
    )
    def files(self) -> list[Annotated[RecordFile, strawberry.lazy("archive.api.files")]]:
        from archive.api.files import files_of  # the files slice imports this module's types

        return files_of(self._record, pages_loaded=self._pages_loaded)

    @strawberry.field(description="Where the searchable text stands.")
    def text_status(self) -> domain.TextStatus:
        return self._record.text_status

    @strawberry.field(description="The text of each page of the main file (`files { pages }`: every file's).")
    async def pages(self, info: strawberry.Info[Context, None]) -> list[Page]:
        record: domain.Record | None = self._record
        if not self._pages_loaded:
            record = await get_record(info.context.services, info.context.principal, self._record.id)
        return [
            Page(number=p.number, text=p.text, source=p.source, confidence=p.confidence)
            for p in (record.pages if record is not None else ())
            if p.file_id is None  # the main file's
        ]

    @strawberry.field(description="When it was deposited.")
    def created_at(self) -> datetime:
        return self._record.created_at

    @strawberry.field(description="When its row last changed.")
    def updated_at(self) -> datetime:
        return self._record.updated_at

    @strawberry.field(description="Row version: grows with every change; the index is versioned by it.")
    def row_version(self) -> int:
        return self._record.row_version

    @strawberry.field(description="The current metadata version: 1 as deposited, one more per correction.")
    def metadata_version(self) -> int:
        return self._record.metadata_version

    @strawberry.field(
        description="Every metadata version, oldest first, with who made it, when, why and what it changed."
    )
    async def history(
        self, info: strawberry.Info[Context, None]
    ) -> list[Annotated[MetadataVersion, strawberry.lazy("archive.api.lifecycle")]]:
        from archive.api.lifecycle import record_history  # that slice imports this module

        return await record_history(info, self._record)

    @strawberry.field(
        description=(
            "Its relations (replaces, revokes, amends, responds to, and their inverses), both directions. "
            "A related record the caller may not read is never shown, nor counted."
        )
    )
    async def relations(
        self, info: strawberry.Info[Context, None]
    ) -> list[Annotated[RecordRelation, strawberry.lazy("archive.api.lifecycle")]]:
        from archive.api.lifecycle import record_relations

        return await record_relations(info, self._record)

    @strawberry.field(
        description=(
            "The edXML packages that created or acted on it (interchange intake), oldest first, each "
            "with its envelope signature's verdict and trace; empty for other deposits."
        )
    )
    async def edxml_intakes(
        self, info: strawberry.Info[Context, None]
    ) -> list[Annotated[EdxmlIntake, strawberry.lazy("archive.api.intake")]]:
        from archive.api.intake import record_intakes  # that slice imports this module

        return await record_intakes(info, self._record)

    @strawberry.field(description="Whether it is in force, revoked or replaced, and by what.")
    async def lifecycle(
        self, info: strawberry.Info[Context, None]
    ) -> Annotated[RecordLifecycle, strawberry.lazy("archive.api.lifecycle")]:
        from archive.api.lifecycle import record_lifecycle

        return await record_lifecycle(info, self._record)

    @strawberry.field(
        description="The dossier it is placed in; null when none or when the caller may not read the dossier."
    )
    async def dossier(
        self, info: strawberry.Info[Context, None]
    ) -> Annotated[Dossier, strawberry.lazy("archive.api.archival")] | None:
        # Imported here: archive.api.archival lists Records, so a top-level import would be a cycle.
        from archive.api.archival import record_dossier

        return await record_dossier(info, self._record)

    @strawberry.field(
        description=(
            "Mã định danh văn bản: the dossier's fileCode + its ordinal on 7 digits; null outside a dossier "
            "or when the caller may not read the dossier."
        )
    )
    async def doc_code(self, info: strawberry.Info[Context, None]) -> str | None:
        from archive.api.archival import record_doc_code

        return await record_doc_code(info, self._record)

    @strawberry.field(
        description="Its place in the dossier (1 = first); null outside a dossier or unreadable one."
    )
    async def doc_ordinal(self, info: strawberry.Info[Context, None]) -> int | None:
        from archive.api.archival import record_dossier

        return None if await record_dossier(info, self._record) is None else self._record.doc_ordinal

    @strawberry.field(description="The fonds it belongs to; null when the caller may not read the fonds.")
    async def fonds(
        self, info: strawberry.Info[Context, None]
    ) -> Annotated[Fonds, strawberry.lazy("archive.api.archival")] | None:
        from archive.api.archival import record_fonds

        return await record_fonds(info, self._record)

    @strawberry.field(description="Background processing: pending, running, done or failed.")
    async def processing(self, info: strawberry.Info[Context, None]) -> Processing | None:
        loaders = info.context.load
        job = await loaders.jobs.load(self._record.id)
        if job is None:
            return None
        return Processing.from_job(job, await loaders.extractions.load(self._record.id))

    @strawberry.field(description="The PDF's digital signatures, in signing order (empty until verified).")
    async def signatures(self, info: strawberry.Info[Context, None]) -> list[Signature]:
        reports = await info.context.load.signatures.load(self._record.id)
        return [Signature.from_domain(r) for r in reports]

    @strawberry.field(description="Whether the document is signed and every signature holds.")
    async def signature_status(self, info: strawberry.Info[Context, None]) -> SignatureStatus:
        summary = await info.context.load.summaries.load(self._record.id)
        if summary is None:
            return SignatureStatus(verified=False, signed=False, all_valid=False)
        return SignatureStatus(verified=True, signed=summary.signed, all_valid=summary.all_valid)

    @strawberry.field(
        description="PNG previews of the first pages, as signed links or data: URLs (empty until extracted)."
    )
    async def thumbnails(self, info: strawberry.Info[Context, None]) -> list[Thumbnail]:
        ctx = info.context
        found = await ctx.load.thumbnails.load(self._record.id)
        base_url = str(ctx.request.base_url) if ctx.request is not None else ""
        links = preview_links(ctx.services, self._record, found, base_url)
        return [Thumbnail(page=k.page, url=k.url, expires_at=k.expires_at, _png=found[k.page]) for k in links]

    @strawberry.field(
        description=(
            "Its retention: rule, retention code, legal basis and disposal date. Shown to whoever may "
            "read the record."
        )
    )
    async def retention(self, info: strawberry.Info[Context, None]) -> RecordRetention | None:
        found = await info.context.load.retention.load(self._record.id)
        return None if found is None else RecordRetention.from_domain(found)

    @strawberry.field(
        description=(
            "The legal holds naming it, released ones too, newest first. Only for those who manage its "
            "retention (a records manager of its agency, or an admin, cleared for it); null for anyone else."
        )
    )
    async def holds(
        self, info: strawberry.Info[Context, None]
    ) -> list[Annotated[LegalHold, strawberry.lazy("archive.api.retention")]] | None:
        from archive.api.retention import LegalHold  # the retention slice imports this module

        found = await info.context.load.holds.load(self._record.id)
        return None if found is None else [LegalHold.from_domain(h) for h in found]

    @strawberry.field(
        description=(
            "Its place on the way to destruction (Xem xét hủy), null when it is in no open disposition "
            "batch. Whoever may read the record sees the status; the batch, the reason and the copy "
            "kept are shown only to those who may manage its retention."
        )
    )
    async def destruction_review(self, info: strawberry.Info[Context, None]) -> DestructionReview | None:
        review = await info.context.load.reviews.load(self._record.id)
        record = self._record
        facts = Readable.of(record)
        shown = review_shown(info.context.principal, facts, review)
        return None if shown is None else DestructionReview.from_service(shown)

    @strawberry.field(description="A short-lived link to the original bytes. Every call is audited.")
    async def download(self, info: strawberry.Info[Context, None]) -> DownloadLink:
        ctx = info.context
        base_url = str(ctx.request.base_url) if ctx.request is not None else ""
        link = await issue_link(
            ctx.services, ctx.principal, self._record.id, client=ctx.client, base_url=base_url
        )
        return DownloadLink(url=link.url, expires_at=link.expires_at)


@strawberry.type(
    description="A snippet of matching text. Matches are wrapped in <mark>; the rest is HTML-escaped."
)
class Highlight:
    page: int = strawberry.field(description="The page the snippet comes from (0 for metadata).")
    snippet: str = strawberry.field(description="HTML-safe snippet with <mark> around matches.")
    file: Annotated[RecordFile, strawberry.lazy("archive.api.files")] | None = strawberry.field(
        default=None,
        description="The record file holding that page (main file, appendix, attachment); null for metadata.",
    )


@strawberry.type(description="A value and how many matching records have it.")
class FacetCount:
    value: str = strawberry.field(description="The facet value.")
    count: int = strawberry.field(description="Matching records with that value.")


@strawberry.type(description="Counts over every matching record the caller may read.")
class SearchFacets:
    issuing_agency: list[FacetCount] = strawberry.field(description="By issuing agency code.")
    document_type: list[FacetCount] = strawberry.field(description="By document type.")
    year: list[FacetCount] = strawberry.field(description="By year of issue.")
    dossier: list[FacetCount] = strawberry.field(
        description="By dossier (its UUID); records in no dossier are not counted."
    )

    @classmethod
    def from_domain(cls, facets: Facets) -> SearchFacets:
        def buckets(items: tuple[FacetBucket, ...]) -> list[FacetCount]:
            return [FacetCount(value=b.value, count=b.count) for b in items]

        return cls(
            issuing_agency=buckets(facets.agencies),
            document_type=buckets(facets.document_types),
            year=buckets(facets.years),
            dossier=buckets(facets.dossiers),
        )


@strawberry.type(description="One search hit.")
class SearchEdge:
    cursor: str = strawberry.field(description="Pass as `after` to continue after this hit.")
    node: Record = strawberry.field(description="The record.")
    score: float = strawberry.field(
        description=(
            "Relevance score (higher is better): fixed weights per part of the record (its metadata, "
            "each page) holding a query term, more for the exact diacritics and the document number. "
            "It uses no statistics of other records, so it never changes because of records the "
            "caller may not read."
        )
    )
    highlights: list[Highlight] = strawberry.field(
        description="Matching snippets, with page numbers and the file each page is in."
    )


@strawberry.type(description="Relay page information.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="Whether more hits follow.")
    end_cursor: str | None = strawberry.field(description="Cursor of the last edge.")


@strawberry.type(description="A page of search hits (Relay connection).")
class SearchConnection:
    edges: list[SearchEdge] = strawberry.field(description="The hits of this page.")
    page_info: PageInfo = strawberry.field(description="Paging.")
    total_count: int = strawberry.field(description="All matching records the caller may read.")
    facets: SearchFacets = strawberry.field(description="Facet counts over all matching records.")


GlobalID = Annotated[strawberry.ID, strawberry.argument(description="A Relay global id.")]
