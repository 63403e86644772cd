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


class ListingFiles:
    """``ListingRenderer`` over the three formats."""

    def __init__(self, font: Path | None = None) -> None:
        self._font = font  # None: looked up on the first PDF (DejaVu Sans)

    def render(self, listing: Listing, fmt: ExportFormat) -> bytes:
        # Imported here: fpdf2 and openpyxl cost start-up time every process would pay.
        if fmt is ExportFormat.PDF:
            from archive.exports import pdf

            return pdf.render(listing, font=self._font)
        if fmt is ExportFormat.XLSX:
            from archive.exports import xlsx

            return xlsx.render(listing)
        from archive.exports import csv

        return csv.render(listing)


__all__ = ["ListingFiles"]
