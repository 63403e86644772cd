"""One document, page by page: text layer, OCR where it is missing, thumbnails.

Runs inside the sandbox worker; it yields events as it goes so the worker can
write each page out at once and nothing holds every page image at the same time.
"""

from __future__ import annotations

import resource
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pypdfium2 as pdfium
from PIL import Image

from archive.domain.records import Page, TextSource, TextStatus
from indexing.extraction.images import POINTS_PER_INCH, iter_image_frames, render_page, render_scale
from indexing.extraction.inspection import PDF, sniff_media_type
from indexing.extraction.limits import ExtractionLimits, LimitHit
from indexing.extraction.ocr import ocr_image
from indexing.extraction.prefetch import ahead
from indexing.extraction.textlayer import read_page_text
from indexing.extraction.thumbnails import image_thumbnail, page_thumbnail

# A page with fewer letters and digits than this in its text layer is taken for
# a scan (a stamp or a page number is not a text layer worth indexing).
MIN_TEXT_LAYER_CHARS = 10


class LimitReached(Exception):
    """A limit stopped the extraction; ``limit`` names it."""

    def __init__(self, limit: LimitHit, message: str) -> None:
        super().__init__(message)
        self.limit = limit


@dataclass(frozen=True, slots=True)
class PageCount:
    """The document has ``count`` pages (emitted first)."""

    count: int


@dataclass(frozen=True, slots=True)
class Thumbnail:
    """A PNG preview of page ``number``."""

    number: int
    png: bytes


@dataclass(frozen=True, slots=True)
class Finished:
    """The last event: the status, and the limit that cut the document short, if any."""

    status: TextStatus
    limit_hit: LimitHit | None = None


Event = PageCount | Page | Thumbnail | Finished


def extract_events(path: Path, limits: ExtractionLimits) -> Iterator[Event]:
    """Extract ``path`` page by page, yielding each page as soon as it is read.

    Raises:
        LimitReached: the CPU budget ran out, or an image frame had too many pixels.
        pypdfium2.PdfiumError: the PDF cannot be opened.
    """
    with path.open("rb") as stream:
        media_type = sniff_media_type(stream.read(1024))
    if media_type is None:
        raise ValueError("not a PDF, PNG, JPEG or TIFF file")
    if media_type == PDF:
        yield from _pdf_events(path, limits)
    else:
        yield from _image_events(path, limits)


def _pdf_events(path: Path, limits: ExtractionLimits) -> Iterator[Event]:
    document = pdfium.PdfDocument(path)
    try:
        count = len(document)
        yield PageCount(count)
        pages: list[Page] = []
        # PDFium reads and renders page n+1 in a thread while tesseract reads page n.
        for prepared in ahead(_prepared_pages(document, count, limits)):
            _check_cpu(limits)
            try:
                result, preview = _pdf_page(prepared, limits)
            finally:
                if prepared.image is not None:
                    prepared.image.close()
            pages.append(result)
            yield result
            if preview is not None:
                yield Thumbnail(result.number, preview)
        yield Finished(_status(pages, limits), _cap(count, limits))
    finally:
        document.close()


@dataclass(frozen=True, slots=True)
class _PreparedPage:
    """What PDFium made of one page: its text layer, and its render when it needs OCR."""

    number: int
    text: str
    image: Image.Image | None
    dpi: int  # of ``image``: lowered for a page too large for the pixel limit
    preview: bytes | None  # a text page's thumbnail (an OCR'd one is scaled from ``image``)
    wants_thumbnail: bool


def _prepared_pages(
    document: pdfium.PdfDocument, count: int, limits: ExtractionLimits
) -> Iterator[_PreparedPage]:
    """Every PDFium call on the document's pages, one page at a time (in ``ahead``'s thread)."""
    for index in range(min(count, limits.max_pages)):
        page = document[index]
        try:
            wants_thumbnail = limits.thumbnails and index < limits.thumbnail_pages
            text = read_page_text(page)
            image = preview = None
            dpi = limits.dpi
            if has_text_layer(text) or not limits.ocr:
                if wants_thumbnail:
                    preview = page_thumbnail(page, width=limits.thumbnail_width)
            else:
                image = render_page(page, dpi=limits.dpi, max_pixels=limits.max_image_pixels)
                dpi = round(
                    render_scale(page, dpi=limits.dpi, max_pixels=limits.max_image_pixels) * POINTS_PER_INCH
                )
            yield _PreparedPage(index + 1, text, image, dpi, preview, wants_thumbnail)
        finally:
            page.close()


def _pdf_page(prepared: _PreparedPage, limits: ExtractionLimits) -> tuple[Page, bytes | None]:
    """The page's text and its preview, if it wants one: scaling down the page already
    rendered for OCR is cheaper than rendering it again."""
    if prepared.image is None:
        return Page(prepared.number, prepared.text, TextSource.TEXT_LAYER), prepared.preview
    ocr_text, confidence = ocr_image(prepared.image, limits.ocr_lang, dpi=prepared.dpi)
    preview = (
        image_thumbnail(prepared.image, width=limits.thumbnail_width) if prepared.wants_thumbnail else None
    )
    return Page(prepared.number, ocr_text, TextSource.OCR, confidence), preview


def _image_events(path: Path, limits: ExtractionLimits) -> Iterator[Event]:
    pages: list[Page] = []
    try:
        with Image.open(path) as image:
            count = int(getattr(image, "n_frames", 1))
        yield PageCount(count)
        frames = iter_image_frames(path, max_pixels=limits.max_image_pixels)
        for number, frame in enumerate(frames, start=1):
            if number > limits.max_pages:
                break
            _check_cpu(limits)
            try:
                yield from _image_page(frame, number, limits, pages)
            finally:
                frame.close()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise LimitReached("pixels", f"image too large: {error}") from error
    yield Finished(_status(pages, limits, image_only=True), _cap(count, limits))


def _image_page(
    frame: Image.Image, number: int, limits: ExtractionLimits, pages: list[Page]
) -> Iterator[Event]:
    if limits.ocr:
        text, confidence = ocr_image(frame, limits.ocr_lang)
        page = Page(number, text, TextSource.OCR, confidence)
        pages.append(page)
        yield page
    if limits.thumbnails and number <= limits.thumbnail_pages:
        yield Thumbnail(number, image_thumbnail(frame, width=limits.thumbnail_width))


def has_text_layer(text: str) -> bool:
    """True when a page's text layer holds enough letters and digits to index."""
    return sum(c.isalnum() for c in text) >= MIN_TEXT_LAYER_CHARS


def _status(pages: list[Page], limits: ExtractionLimits, *, image_only: bool = False) -> TextStatus:
    if not limits.ocr and (image_only or not all(has_text_layer(p.text) for p in pages)):
        return TextStatus.PENDING_OCR
    if any(p.source is TextSource.OCR for p in pages):
        return TextStatus.OCR_DONE
    return TextStatus.EXTRACTED


def _cap(count: int, limits: ExtractionLimits) -> LimitHit | None:
    return "page_cap" if count > limits.max_pages else None


def _check_cpu(limits: ExtractionLimits) -> None:
    # RLIMIT_CPU bounds each process alone; the budget covers tesseract runs too.
    used = sum(
        usage.ru_utime + usage.ru_stime
        for usage in (
            resource.getrusage(resource.RUSAGE_SELF),
            resource.getrusage(resource.RUSAGE_CHILDREN),
        )
    )
    if used > limits.cpu_seconds:
        raise LimitReached("cpu_time", f"CPU time budget of {limits.cpu_seconds} s spent")
