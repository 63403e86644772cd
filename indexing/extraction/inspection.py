"""Cheap inspection of a deposited file: what it is, how many pages, can we read it.

Runs in the deposit path (the web process), so it must stay cheap on hostile
input: it sniffs magic bytes, opens the PDF's cross-reference table and counts
pages, and never loads a page or renders anything. Page content (where
decompression bombs live) is only ever parsed inside the extraction sandbox.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import IO, Final

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image, JpegImagePlugin, PngImagePlugin, TiffImagePlugin, UnidentifiedImageError

from archive.domain.errors import FileRejected

PDF: Final = "application/pdf"
PNG: Final = "image/png"
JPEG: Final = "image/jpeg"
TIFF: Final = "image/tiff"

# The PDF header may follow a little junk (readers accept it within the first KiB),
# and the file must end with %%EOF within its last KiB: a file without it was cut short.
_HEAD_WINDOW = 1024
_TAIL_WINDOW = 1024
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", PNG),
    (b"\xff\xd8\xff", JPEG),
    (b"II*\x00", TIFF),
    (b"MM\x00*", TIFF),
    (b"II+\x00", TIFF),  # BigTIFF
    (b"MM\x00+", TIFF),
)
_SUPPORTED = "PDF, PNG, JPEG or TIFF"


@dataclass(frozen=True, slots=True)
class DocumentInfo:
    """What a deposited file is, learnt without reading its page content.

    Attributes:
        media_type: ``application/pdf``, ``image/png``, ``image/jpeg`` or ``image/tiff``.
        page_count: pages of the PDF, or frames of the image (1 for PNG and JPEG).
        encrypted: always False for an accepted file (encrypted PDFs are rejected);
            kept so callers need not know that rule.
        has_text_layer: False for images; None for PDFs, because knowing it means
            parsing page content, which only the extraction sandbox does.
    """

    media_type: str
    page_count: int
    encrypted: bool
    has_text_layer: bool | None


def sniff_media_type(head: bytes) -> str | None:
    """The media type told by the first bytes of a file, or None if unsupported."""
    for magic, media_type in _MAGIC:
        if head.startswith(magic):
            return media_type
    if b"%PDF-" in head[:_HEAD_WINDOW]:
        return PDF
    return None


def inspect_document(path: Path) -> DocumentInfo:
    """Identify a deposited file by its bytes and check that it can be read.

    Args:
        path: the file on local disk. Its name and extension are ignored.

    Returns:
        The media type, the page count and whether the file is encrypted.

    Raises:
        FileRejected: the file is empty, of an unsupported type, corrupt or
            truncated, or an encrypted PDF.
    """
    with path.open("rb") as stream:
        head = stream.read(_HEAD_WINDOW)
    if not head:
        raise FileRejected("the file is empty")
    media_type = sniff_media_type(head)
    if media_type is None:
        raise FileRejected(f"not a supported document: the archive accepts {_SUPPORTED} files")
    if media_type == PDF:
        return _inspect_pdf(path)
    return _inspect_image(path, media_type)


OCTET_STREAM: Final = "application/octet-stream"
XML: Final = "application/xml"
ZIP: Final = "application/zip"
_XML_HEADS = (b"<?xml", b"\xef\xbb\xbf<?xml", b"<")
_ZIP_HEADS = (b"PK\x03\x04", b"PK\x05\x06")


def inspect_attachment(path: Path) -> DocumentInfo | None:
    """Identify a file the archive keeps whatever it is (an attachment, a source package).

    A readable PDF or image is inspected like a document (so its text can be extracted);
    anything else, a corrupt PDF included, is opaque: ``None``, and ``opaque_media_type``
    names it. Raises FileRejected only for an empty file."""
    with path.open("rb") as stream:
        head = stream.read(_HEAD_WINDOW)
    if not head:
        raise FileRejected("the file is empty")
    if sniff_media_type(head) is None:
        return None
    try:
        return inspect_document(path)
    except FileRejected:
        return None


def opaque_media_type(path: Path) -> str:
    """XML, ZIP (DOCX and XLSX are ZIPs too) or bytes: what an opaque file is served as."""
    with path.open("rb") as stream:
        head = stream.read(64).lstrip()
    if head.startswith(_ZIP_HEADS):
        return ZIP
    if head.startswith(_XML_HEADS):
        return XML
    return OCTET_STREAM


def _inspect_pdf(path: Path) -> DocumentInfo:
    _require_eof_marker(path)
    page_count = _count_pdf_pages(path)
    if page_count < 1:
        raise FileRejected("corrupt PDF: it has no pages")
    return DocumentInfo(media_type=PDF, page_count=page_count, encrypted=False, has_text_layer=None)


def _require_eof_marker(path: Path) -> None:
    size = path.stat().st_size
    with path.open("rb") as stream:
        stream.seek(max(0, size - _TAIL_WINDOW))
        tail = stream.read()
    if b"%%EOF" not in tail:
        raise FileRejected("corrupt PDF: the file is truncated (no %%EOF marker at its end)")


def _count_pdf_pages(path: Path) -> int:
    try:
        document = pdfium.PdfDocument(path)
    except pdfium.PdfiumError as error:
        if "password" in str(error).lower():
            raise _encrypted() from error
        raise FileRejected(f"corrupt PDF: {error}") from error
    try:
        # An owner-password-only PDF opens without a password but is still encrypted.
        if pdfium_c.FPDF_GetSecurityHandlerRevision(document) != -1:
            raise _encrypted()
        return len(document)
    finally:
        document.close()


def _encrypted() -> FileRejected:
    return FileRejected(
        "encrypted PDF: the archive cannot read its text. Signed official documents "
        "are not encrypted; deposit the document without a password"
    )


def _inspect_image(path: Path, media_type: str) -> DocumentInfo:
    try:
        frames = _count_frames(path, media_type)
    except (OSError, SyntaxError, ValueError, UnidentifiedImageError) as error:
        raise FileRejected(f"corrupt image ({media_type}): {error}") from error
    if frames < 1:
        raise FileRejected(f"corrupt image ({media_type}): no frames")
    return DocumentInfo(media_type=media_type, page_count=frames, encrypted=False, has_text_layer=False)


def _count_frames(path: Path, media_type: str) -> int:
    # The format plugin is called directly, not through Image.open: Image.open refuses
    # huge declared sizes, while we only read the header here. The pixel limit is the
    # extraction sandbox's business, and the bytes are archived either way.
    with path.open("rb") as stream:
        image = _open_header(stream, media_type)
        try:
            return int(getattr(image, "n_frames", 1))
        finally:
            image.close()


def _open_header(stream: IO[bytes], media_type: str) -> Image.Image:
    if media_type == PNG:
        return PngImagePlugin.PngImageFile(stream)
    if media_type == JPEG:
        return JpegImagePlugin.JpegImageFile(stream)
    return TiffImagePlugin.TiffImageFile(stream)
