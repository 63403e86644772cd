"""The flat table the spreadsheet formats share: a header row, then one row per cell row."""

from __future__ import annotations

from collections.abc import Iterator

from archive.domain.listing import Listing


def header(listing: Listing) -> list[str]:
    """The column headings, the section's heading (đề mục) first when the listing has one."""
    lead = [listing.section_heading] if listing.section_heading else []
    return lead + [c.heading for c in listing.columns]


def rows(listing: Listing) -> Iterator[list[str]]:
    """Every row, each carrying its section's heading in the first column when there is one."""
    for section in listing.sections:
        lead = [section.heading] if listing.section_heading else []
        for cells in section.rows:
            yield lead + list(cells)
