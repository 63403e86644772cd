"""Small PNG previews of pages, for result lists in portals."""

from __future__ import annotations

import io
from pathlib import Path

import pypdfium2 as pdfium
from PIL import Image

from indexing.extraction.inspection import PDF, sniff_media_type

DEFAULT_WIDTH = 256


def page_thumbnail(page: pdfium.PdfPage, *, width: int = DEFAULT_WIDTH) -> bytes:
    """A PNG of a loaded PDF page, ``width`` pixels wide."""
    page_width, _ = page.get_size()
    bitmap = page.render(scale=width / max(page_width, 1.0))
    try:
        return image_thumbnail(bitmap.to_pil(), width=width)
    finally:
        bitmap.close()


def image_thumbnail(image: Image.Image, *, width: int = DEFAULT_WIDTH) -> bytes:
    """A PNG of ``image`` scaled to ``width`` pixels wide, keeping its proportions."""
    height = max(1, round(image.height * width / max(image.width, 1)))
    small = image.convert("RGB") if image.mode not in ("1", "L", "RGB") else image
    small = small.resize((width, height), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    small.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def thumbnail(path: Path, page_number: int, *, width: int = DEFAULT_WIDTH) -> bytes:
    """A PNG preview of one page of a PDF or image file, ``width`` pixels wide.

    Runs in the calling process: untrusted files go through ``extract_document``.

    Args:
        path: a PDF, PNG, JPEG or TIFF file.
        page_number: 1-based page (frame, for a TIFF).
        width: width of the preview in pixels.

    Returns:
        The PNG bytes.
    """
    with path.open("rb") as stream:
        media_type = sniff_media_type(stream.read(1024))
    if media_type == PDF:
        document = pdfium.PdfDocument(path)
        try:
            page = document[page_number - 1]
            try:
                return page_thumbnail(page, width=width)
            finally:
                page.close()
        finally:
            document.close()
    with Image.open(path) as image:
        image.seek(page_number - 1)
        return image_thumbnail(image, width=width)
