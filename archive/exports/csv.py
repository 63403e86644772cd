"""A listing as CSV: UTF-8 with a BOM, one header row, formula-like cells neutralised."""

from __future__ import annotations

import csv
import io

from archive.domain.listing import Listing, spreadsheet_safe
from archive.exports.table import header, rows

BOM = "\ufeff"  # without it Excel reads UTF-8 as the ANSI code page and garbles Vietnamese


def render(listing: Listing) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")  # RFC 4180
    writer.writerow(header(listing))
    writer.writerows([spreadsheet_safe(cell) for cell in row] for row in rows(listing))
    return (BOM + out.getvalue()).encode("utf-8")
