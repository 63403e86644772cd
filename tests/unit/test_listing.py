"""The dossier list and table of contents as data (archive.domain.listing), and their three
renderers (archive.exports): headings grouped, retention labels from the code list, long
lists over several PDF pages with the column headings on each, and a depositor's formula
printed as text in every spreadsheet format."""

from __future__ import annotations

import csv
import io
from typing import Any

import openpyxl
import pdfplumber

from archive.domain.archival import Dossier, Fonds
from archive.domain.listing import ExportFormat, dossier_list, retention_label, safe_stem
from archive.exports import ListingFiles

FONDS = Fonds(id="f", code="UBND-HG", name="Ủy ban nhân dân tỉnh Hà Giang", agency_code="UBND-HG")
FORMULA = '=HYPERLINK("http://x","bấm")'


def make(number: int, heading: str, *, title: str = "Hồ sơ công tác văn thư", remark: str = "") -> Dossier:
    return Dossier(
        id=f"d{number}",
        fonds_id="f",
        agency_code="UBND-HG",
        file_code=f"UBND-HG.2026.{number:03d}",
        file_number=f"{number:02d}/VP",
        title=title,
        maintenance="04",
        compiler="Phòng Hành chính",
        heading=heading,
        description=remark,
        year=2026,
    )


def test_headings_keep_the_order_they_first_appear_in_and_retention_shows_its_label() -> None:
    dossiers = [make(3, "II. Tài chính"), make(1, "I. Tổng hợp"), make(2, "I. Tổng hợp"), make(4, "")]

    listing = dossier_list(FONDS, 2026, dossiers)

    assert [s.heading for s in listing.sections] == ["I. Tổng hợp", "II. Tài chính", ""]
    assert [row[0] for row in listing.sections[0].rows] == ["01/VP", "02/VP"]
    assert listing.sections[0].rows[0][2] == "30 năm"
    assert listing.row_count == 4
    assert listing.filename(ExportFormat.PDF) == "Danh mục hồ sơ UBND-HG 2026.pdf"
    assert retention_label("01") == "Vĩnh viễn" and retention_label("07") == "Khác"


def test_a_file_name_never_carries_a_path_or_control_character() -> None:
    assert safe_stem("Mục lục văn bản ../../etc/passwd\n") == "Mục lục văn bản ..-..-etc-passwd"
    assert safe_stem("...") == "export"


def test_a_formula_stays_text_in_xlsx_and_csv() -> None:
    listing = dossier_list(FONDS, 2026, [make(1, "I. Tổng hợp", title=FORMULA, remark="-1+2")])
    files = ListingFiles()

    sheet: Any = openpyxl.load_workbook(io.BytesIO(files.render(listing, ExportFormat.XLSX))).active
    cells = {cell.value: cell.data_type for row in sheet.iter_rows() for cell in row if cell.value}
    rows = list(csv.reader(io.StringIO(files.render(listing, ExportFormat.CSV).decode("utf-8-sig"))))

    assert cells[FORMULA] == "s" and cells["-1+2"] == "s"  # strings, never formulas
    assert rows[1][2] == f"'{FORMULA}" and rows[1][5] == "'-1+2"


def test_a_long_list_runs_over_pages_with_its_headings_and_page_numbers_on_each() -> None:
    long_title = "Hồ sơ về việc chỉ đạo, điều hành công tác chuyển đổi số của Ủy ban nhân dân tỉnh " * 3
    dossiers = [make(n, "I. Tổng hợp" if n < 25 else "II. Tổ chức", title=long_title) for n in range(1, 46)]
    listing = dossier_list(FONDS, 2026, dossiers)

    content = ListingFiles().render(listing, ExportFormat.PDF)

    with pdfplumber.open(io.BytesIO(content)) as pdf:
        pages = [page.extract_text() or "" for page in pdf.pages]
        widths = {(round(p.width), round(p.height)) for p in pdf.pages}
    assert len(pages) > 3
    assert widths == {(842, 595)}  # A4 landscape, in points
    for number, text in enumerate(pages, start=1):
        assert "Số và ký hiệu hồ sơ" in text, number  # the heading row repeats
        assert f"Trang {number}/{len(pages)}" in text
    printed = "\n".join(pages)
    assert all(f"{n:02d}/VP" in printed for n in range(1, 46))
    assert "II. Tổ chức" in printed and "chuyển đổi số" in printed
