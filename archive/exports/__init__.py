"""Renderers of the dossier list and tables of contents (``ListingRenderer``'s adapter).

Each format prints every cell of a ``archive.domain.listing.Listing`` and nothing
more: the domain decides what is in it (and the service, what the caller may read).

- PDF (``pdf``): A4 landscape, DejaVu Sans (every Vietnamese glyph, found offline),
  long cells wrap, the column headings repeat on every page, "Trang n/N" in the footer.
- XLSX (``xlsx``, openpyxl): one sheet, the heading (đề mục) as its own column, every
  cell stored as text so a depositor's ``=HYPERLINK(...)`` is never a formula.
- CSV (``csv``): UTF-8 with a byte-order mark (Excel then reads Vietnamese correctly),
  cells starting like a formula neutralised with a leading ``'``.
"""

from __future__ import annotations

from pathlib import Path

from archive.domain.listing import ExportFormat, Listing
from archive.exports import csv, pdf, xlsx


class ListingFiles:
    """``ListingRenderer`` over the three formats."""

    def __init__(self, font: Path | None = None) -> None:
        self._font = font  # None: looked up on the first PDF (DejaVu Sans)

    def render(self, listing: Listing, fmt: ExportFormat) -> bytes:
        if fmt is ExportFormat.PDF:
            return pdf.render(listing, font=self._font)
        if fmt is ExportFormat.XLSX:
            return xlsx.render(listing)
        return csv.render(listing)


__all__ = ["ListingFiles"]
