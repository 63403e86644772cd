"""The listing renderer port: a ``Listing`` laid out as a file (PDF, XLSX, CSV)."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from archive.domain.listing import ExportFormat, Listing


@runtime_checkable
class ListingRenderer(Protocol):
    """Turns a listing into the bytes of one file format. Blocking (CPU work)."""

    def render(self, listing: Listing, fmt: ExportFormat) -> bytes:
        """The file: every cell of ``listing``, and nothing else, in ``fmt``."""
        ...
