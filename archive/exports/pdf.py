"""A listing as a PDF (fpdf2): A4 landscape, a Vietnamese font, wrapped cells, the column
headings repeated on every page and the page number in the footer."""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF
from fpdf.fonts import FontFace
from fpdf.table import Table

from archive.domain.listing import Listing, Section
from archive.samples import vietnamese_font

FONT = "viet"
_BODY_SIZE = 9
_LINE_HEIGHT = 4.6  # mm, for the 9 pt body


class _ListingPdf(FPDF):
    """A4 landscape with "Trang n/N" centred in the footer."""

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, size=8)
        self.cell(0, 8, f"Trang {self.page_no()}/{{nb}}", align="C")


def render(listing: Listing, *, font: Path | None = None) -> bytes:
    """The PDF's bytes; ``font`` is a TrueType file with Vietnamese glyphs (default: DejaVu Sans)."""
    pdf = _ListingPdf(orientation="L", format="A4")
    pdf.set_creator("records-archive")
    pdf.set_title(listing.title)
    regular = font or vietnamese_font()
    pdf.add_font(FONT, "", str(regular))
    pdf.add_font(FONT, "B", str(_bold_of(regular)))
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    _title(pdf, listing)
    _table(pdf, listing)
    return bytes(pdf.output())


def _bold_of(regular: Path) -> Path:
    """The bold face beside the regular one (DejaVuSans-Bold.ttf), or the regular itself."""
    bold = regular.with_name(f"{regular.stem}-Bold{regular.suffix}")
    return bold if bold.exists() else regular


def _title(pdf: FPDF, listing: Listing) -> None:
    pdf.set_font(FONT, "B", size=14)
    pdf.multi_cell(0, 8, listing.title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=10)
    for line in listing.caption:
        pdf.multi_cell(0, 6, line, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)


def _table(pdf: FPDF, listing: Listing) -> None:
    pdf.set_font(FONT, size=_BODY_SIZE)
    width = len(listing.columns)
    with pdf.table(
        col_widths=tuple(c.weight for c in listing.columns),
        line_height=_LINE_HEIGHT,
        text_align="LEFT",
        v_align="TOP",
        repeat_headings=1,
        headings_style=FontFace(emphasis="BOLD", fill_color=(230, 230, 230)),
    ) as table:
        heading = table.row()
        for column in listing.columns:
            heading.cell(column.heading, align="CENTER")
        for section in listing.sections:
            _section(table, section, width)


def _section(table: Table, section: Section, width: int) -> None:
    """A bold row spanning the table with the heading (đề mục), then its dossiers."""
    if section.heading:
        row = table.row()
        row.cell(section.heading, colspan=width, style=FontFace(emphasis="BOLD"))
    for cells in section.rows:
        row = table.row()
        for cell in cells:
            row.cell(cell)
