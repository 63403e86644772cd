"""The dossier list and a dossier's table of contents, as data any format can print.

- **Danh mục hồ sơ** (the dossier list; an archive calls the kept one *mục lục hồ sơ*):
  one row per dossier of a fonds and year, in the columns of Decree 30/2020/NĐ-CP,
  Appendix V: số và ký hiệu hồ sơ, tên đề mục và tiêu đề hồ sơ, thời hạn bảo quản,
  đơn vị/người lập hồ sơ, ghi chú. Dossiers are grouped under their heading (đề mục),
  in the order the headings first appear in file-code order.
- **Mục lục văn bản** (a dossier's table of contents): its documents in ordinal order
  with their docCode, number and notation, issue date, issuing agency, subject (trích
  yếu), page count and remark.

A ``Listing`` is plain text cells and Vietnamese column headings; renderers (PDF, XLSX,
CSV) live outside the domain (``archive.exports``) and only lay it out. The rows are
whatever the caller may read: the service filters before it builds.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from archive.domain import codes
from archive.domain.archival import Dossier, Fonds, doc_code
from archive.domain.records import Record


class ExportFormat(enum.Enum):
    """A file format a listing is exported in."""

    PDF = "pdf"
    XLSX = "xlsx"
    CSV = "csv"

    @property
    def media_type(self) -> str:
        return _MEDIA_TYPES[self]


_MEDIA_TYPES = {
    ExportFormat.PDF: "application/pdf",
    ExportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ExportFormat.CSV: "text/csv; charset=utf-8",
}


@dataclass(frozen=True, slots=True)
class Column:
    """One column: its Vietnamese heading and its share of the page width in print."""

    heading: str
    weight: float


@dataclass(frozen=True, slots=True)
class Section:
    """Rows under one heading (đề mục); an empty heading prints no heading row."""

    heading: str
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True, slots=True)
class Listing:
    """A titled table: what every renderer prints, cell for cell."""

    title: str  # e.g. "DANH MỤC HỒ SƠ NĂM 2026"
    caption: tuple[str, ...]  # lines under the title: the fonds, the dossier
    section_heading: str  # the column a tabular format puts each section's heading in
    columns: tuple[Column, ...]
    sections: tuple[Section, ...]
    filename_stem: str  # without extension; may hold Vietnamese

    @property
    def row_count(self) -> int:
        return sum(len(s.rows) for s in self.sections)

    def filename(self, fmt: ExportFormat) -> str:
        return f"{self.filename_stem}.{fmt.value}"


# -- the dossier list (Decree 30/2020/NĐ-CP, Appendix V) -------------------------------------

DOSSIER_LIST_COLUMNS = (
    Column("Số và ký hiệu hồ sơ", 2.2),
    Column("Tên đề mục và tiêu đề hồ sơ", 5.0),
    Column("Thời hạn bảo quản", 1.6),
    Column("Đơn vị/người lập hồ sơ", 2.2),
    Column("Ghi chú", 1.8),
)
HEADING = "Đề mục"


@dataclass(frozen=True, slots=True)
class DossierListRow:
    """One dossier in the list."""

    heading: str  # đề mục
    number: str  # số và ký hiệu hồ sơ
    title: str  # tiêu đề hồ sơ
    retention: str  # thời hạn bảo quản: the label of the maintenance code
    compiler: str  # đơn vị/người lập hồ sơ
    remark: str  # ghi chú

    @classmethod
    def of(cls, dossier: Dossier) -> DossierListRow:
        return cls(
            heading=dossier.heading,
            number=dossier.file_number or dossier.file_code,
            title=dossier.title,
            retention=retention_label(dossier.maintenance),
            compiler=dossier.compiler,
            remark=dossier.description,
        )

    def cells(self) -> tuple[str, ...]:
        return (self.number, self.title, self.retention, self.compiler, self.remark)


def retention_label(maintenance: str) -> str:
    """The retention period a maintenance code stands for ("Vĩnh viễn", "10 năm", ...)."""
    found = codes.code_lists()[codes.MAINTENANCE].get(maintenance)
    return found.label if found is not None else maintenance


def dossier_list(fonds: Fonds, year: int, dossiers: Sequence[Dossier]) -> Listing:
    """The list of ``dossiers`` (already those the caller may read) of ``fonds`` for ``year``."""
    rows = [DossierListRow.of(d) for d in sorted(dossiers, key=lambda d: (d.file_code, d.id))]
    return Listing(
        title=f"DANH MỤC HỒ SƠ NĂM {year}",
        caption=(f"Phông: {fonds.name} ({fonds.code})",),
        section_heading=HEADING,
        columns=DOSSIER_LIST_COLUMNS,
        sections=_grouped(rows),
        filename_stem=safe_stem(f"Danh mục hồ sơ {fonds.code} {year}"),
    )


def _grouped(rows: Sequence[DossierListRow]) -> tuple[Section, ...]:
    """Rows under their headings, headings in the order they first appear."""
    by_heading: dict[str, list[tuple[str, ...]]] = {}
    for row in rows:
        by_heading.setdefault(row.heading, []).append(row.cells())
    return tuple(Section(heading, tuple(cells)) for heading, cells in by_heading.items())


# -- a dossier's table of contents (mục lục văn bản) -----------------------------------------

CONTENTS_COLUMNS = (
    Column("STT", 0.7),
    Column("Mã văn bản", 3.0),
    Column("Số và ký hiệu", 1.8),
    Column("Ngày tháng năm", 1.4),
    Column("Tác giả văn bản", 2.2),
    Column("Trích yếu nội dung", 4.4),
    Column("Số trang", 0.9),
    Column("Ghi chú", 1.4),
)


@dataclass(frozen=True, slots=True)
class ContentsRow:
    """One document of a dossier's table of contents."""

    position: int  # STT: its place in this table (1, 2, 3...), not its ordinal
    doc_code: str
    number: str  # số và ký hiệu, e.g. 123/QĐ-UBND
    issue_date: date
    issuing_agency: str  # tác giả văn bản
    subject: str  # trích yếu
    page_count: int | None
    remark: str  # ghi chú

    @classmethod
    def of(cls, position: int, dossier: Dossier, record: Record) -> ContentsRow:
        m = record.metadata
        return cls(
            position=position,
            doc_code=doc_code(dossier.file_code, record.doc_ordinal or 0),
            number=m.document_number,
            issue_date=m.issue_date,
            issuing_agency=m.issuing_agency_name,
            subject=m.subject,
            page_count=m.page_count,
            remark=m.description,
        )

    def cells(self) -> tuple[str, ...]:
        pages = "" if self.page_count is None else str(self.page_count)
        issued = self.issue_date.strftime("%d/%m/%Y")
        return (
            str(self.position),
            self.doc_code,
            self.number,
            issued,
            self.issuing_agency,
            self.subject,
            pages,
            self.remark,
        )


def dossier_contents(dossier: Dossier, records: Sequence[Record]) -> Listing:
    """The table of contents of ``dossier`` over ``records`` (already those the caller may read)."""
    ordered = sorted(records, key=lambda r: (r.doc_ordinal or 0, r.id))
    return Listing(
        title="MỤC LỤC VĂN BẢN",
        caption=(f"Hồ sơ số: {dossier.file_code}", f"Tiêu đề: {dossier.title}"),
        section_heading="",
        columns=CONTENTS_COLUMNS,
        sections=(
            Section("", tuple(ContentsRow.of(n, dossier, r).cells() for n, r in enumerate(ordered, 1))),
        ),
        filename_stem=safe_stem(f"Mục lục văn bản {dossier.file_code}"),
    )


# -- a search's results (Circular 01/2019/TT-BNV: export of a result set) ----------------------

RESULT_COLUMNS = (
    Column("STT", 0.7),
    Column("Số và ký hiệu", 1.9),
    Column("Ngày tháng năm", 1.4),
    Column("Tác giả văn bản", 2.4),
    Column("Loại văn bản", 1.6),
    Column("Trích yếu nội dung", 5.0),
    Column("Số trang", 0.9),
)


def search_results(query: str | None, records: Sequence[Record], *, truncated: bool) -> Listing:
    """The records of a search (already those the caller may read), in the search's order."""
    rows = tuple(
        (
            str(n),
            r.metadata.document_number,
            r.metadata.issue_date.strftime("%d/%m/%Y"),
            r.metadata.issuing_agency_name,
            r.metadata.document_type,
            r.metadata.subject,
            "" if r.metadata.page_count is None else str(r.metadata.page_count),
        )
        for n, r in enumerate(records, 1)
    )
    caption = [f"Từ khóa: {query}" if query else "Mọi văn bản", f"Số văn bản: {len(rows)}"]
    if truncated:
        caption.append("Chỉ gồm các kết quả đầu tiên: hãy thu hẹp tìm kiếm để xuất hết.")
    return Listing(
        title="KẾT QUẢ TÌM KIẾM",
        caption=tuple(caption),
        section_heading="",
        columns=RESULT_COLUMNS,
        sections=(Section("", rows),),
        filename_stem="Kết quả tìm kiếm",
    )


# -- text safety -----------------------------------------------------------------------------

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: str) -> str:
    """A cell a spreadsheet shows as text: one starting like a formula gets a leading ``'``
    (OWASP's advice for CSV injection)."""
    return f"'{value}" if value.startswith(_FORMULA_STARTS) else value


def safe_stem(text: str) -> str:
    """A file name stem from codes a depositor chose: no path separators or controls."""
    printable = "".join(c for c in text if c.isprintable())
    kept = "".join("-" if c in '/\\:*?"<>|' else c for c in printable)
    return kept.strip(" .")[:150] or "export"
