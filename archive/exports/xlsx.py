"""A listing as an XLSX workbook (openpyxl): title rows, a bold header, text cells."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from archive.domain.listing import Listing
from archive.exports.table import header, rows

_CHARS_PER_WEIGHT = 9  # column width in characters per unit of the listing's weight
_HEADING_WEIGHT = 2.2  # the đề mục column's share
SHEET_TITLE_MAX = 31  # Excel's limit on a sheet's name


def render(listing: Listing) -> bytes:
    """The workbook's bytes. Rows: the title, the caption lines, a blank row, the header,
    then the data; the header is frozen on screen and repeated on every printed page."""
    book = Workbook()
    sheet: Any = book.active  # openpyxl's worksheet types are too loose for mypy to help
    sheet.title = _sheet_title(listing.title)
    lines = (listing.title, *listing.caption, "")
    for number, line in enumerate(lines, start=1):
        _put(sheet, number, 1, line)
    sheet.cell(row=1, column=1).font = Font(bold=True, size=13)
    header_row = len(lines) + 1
    _write_row(sheet, header_row, header(listing), Alignment(wrap_text=True, vertical="center"))
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
    top = Alignment(wrap_text=True, vertical="top")
    for offset, values in enumerate(rows(listing), start=1):
        _write_row(sheet, header_row + offset, values, top)
    _widths(sheet, listing)
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)
    sheet.print_title_rows = f"{header_row}:{header_row}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _write_row(sheet: Any, row: int, values: list[str], alignment: Alignment) -> None:
    for column, value in enumerate(values, start=1):
        _put(sheet, row, column, value).alignment = alignment


def _put(sheet: Any, row: int, column: int, value: str) -> Any:
    """``value`` stored as a string cell: openpyxl would otherwise make ``=...`` a formula."""
    cell = sheet.cell(row=row, column=column)
    cell.value = value
    cell.data_type = "s"
    return cell


def _widths(sheet: Any, listing: Listing) -> None:
    weights = ([_HEADING_WEIGHT] if listing.section_heading else []) + [c.weight for c in listing.columns]
    for index, weight in enumerate(weights, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = round(weight * _CHARS_PER_WEIGHT)


def _sheet_title(title: str) -> str:
    cleaned = "".join(c for c in title if c not in "[]:*?/\\")
    return cleaned[:SHEET_TITLE_MAX] or "Sheet"
