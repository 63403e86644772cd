"""What an extraction may use, and what came out of it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from archive.domain.records import Page, TextStatus

LimitHit = Literal["memory", "cpu_time", "wall_time", "page_cap", "pixels"]


@dataclass(frozen=True, slots=True)
class ExtractionLimits:
    """Bounds on one document's extraction, enforced in the sandbox subprocess.

    Attributes:
        memory_mb: address-space limit of the worker (RLIMIT_AS), inherited by tesseract.
        cpu_seconds: CPU time of the worker and its tesseract runs together.
        wall_seconds: the worker's process group is killed after this long.
        max_pages: pages beyond this are not read; the outcome says ``page_cap``.
        max_image_pixels: larger image frames are refused (Pillow's bomb check),
            and PDF pages are rendered at a lower DPI to stay within it.
        ocr: OCR pages without a text layer (else the status is PENDING_OCR).
        ocr_lang: tesseract languages.
        dpi: rendering resolution for OCR.
        thumbnails: make PNG previews.
        thumbnail_pages: previews of the first this many pages.
        thumbnail_width: preview width in pixels.
    """

    memory_mb: int = 1024
    cpu_seconds: int = 300
    wall_seconds: float = 600
    max_pages: int = 500
    max_image_pixels: int = 60_000_000
    ocr: bool = True
    ocr_lang: str = "vie+eng"
    dpi: int = 300
    thumbnails: bool = True
    thumbnail_pages: int = 1
    thumbnail_width: int = 256


@dataclass(frozen=True, slots=True)
class ExtractionOutcome:
    """The text of a document, or why there is none (or only part of it).

    Attributes:
        pages: the pages read, in order; on FAILED, those read before it failed.
        thumbnails: PNG previews by 1-based page number.
        status: EXTRACTED (text layer only), OCR_DONE (some page was OCR'd),
            PENDING_OCR (pages lack text and OCR was off) or FAILED.
        limit_hit: the limit that stopped the extraction, if one did. ``page_cap``
            does not fail it: the pages up to the cap are there.
        error: why it failed, for people.
        page_count: pages (or frames) in the document, when the worker got that far.
        peak_memory_mb: the worker's peak resident memory (VmHWM) as last reported by
            the worker; a worker killed mid-page reported its peak before that page,
            and RLIMIT_AS bounds the rest.
        cpu_seconds: CPU time of the worker and the tesseract runs it waited for.
        ocr_page_seconds: wall time to render and OCR each OCR'd page, in page order.
    """

    pages: tuple[Page, ...]
    thumbnails: dict[int, bytes]
    status: TextStatus
    limit_hit: LimitHit | None = None
    error: str | None = None
    page_count: int | None = None
    peak_memory_mb: float | None = field(default=None, compare=False)
    cpu_seconds: float | None = field(default=None, compare=False)
    ocr_page_seconds: tuple[float, ...] = field(default=(), compare=False)
