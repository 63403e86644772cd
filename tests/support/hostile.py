"""Builders of hostile and broken files, for the extraction and deposit tests.

Each builder writes one file and returns its path. They are cheap: the bombs are
small on disk (nested Flate streams) and the 2,000-page PDF shares one content
stream among all its pages.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pypdfium2 as pdfium
from fpdf import FPDF
from PIL import Image

from archive.samples import SampleDocument, render_pdf, vietnamese_font


def write_sample_pdf(path: Path, doc: SampleDocument = SampleDocument()) -> Path:
    """A well-formed Vietnamese text PDF (archive.samples)."""
    path.write_bytes(render_pdf(doc))
    return path


def empty_file(path: Path) -> Path:
    """A zero-byte file."""
    path.write_bytes(b"")
    return path


def garbage_file(path: Path) -> Path:
    """Bytes that are no supported document (whatever the file name says)."""
    path.write_bytes(b"MZ\x90\x00 this is not a document " * 50)
    return path


def garbage_pdf(path: Path) -> Path:
    """A PDF header followed by noise, with an %%EOF so only the parser can tell."""
    path.write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 8 + b"\n%%EOF\n")
    return path


def truncated_pdf(path: Path) -> Path:
    """The sample PDF cut in half, as an interrupted upload leaves it."""
    data = render_pdf(SampleDocument(pages=3))
    path.write_bytes(data[: len(data) // 2])
    return path


def encrypted_pdf(path: Path, *, user_password: str | None = "secret") -> Path:
    """A PDF encrypted with RC4; with ``user_password=None`` only an owner password is set."""
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(0, 10, "Encrypted document")
    pdf.set_encryption(owner_password="owner", user_password=user_password)
    path.write_bytes(bytes(pdf.output()))
    return path


def write_raw_pdf(path: Path, objects: list[bytes], *, root: int = 1) -> Path:
    """Write numbered PDF objects (1-based, in order) with a correct xref table."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\n" % (len(objects) + 1, root)
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    path.write_bytes(bytes(out))
    return path


def _stream(dictionary: bytes, data: bytes) -> bytes:
    return b"<< " + dictionary + b" /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"


def many_pages_pdf(path: Path, pages: int = 2000) -> Path:
    """A text PDF of ``pages`` pages that all share one small content stream."""
    content = b"BT /F1 24 Tf 72 720 Td (Page of a very long document) Tj ET"
    first_page = 5
    kids = b" ".join(b"%d 0 R" % (first_page + i) for i in range(pages))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % pages,
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        _stream(b"", content),
    ]
    page = (
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842]"
        b" /Resources << /Font << /F1 3 0 R >> >> /Contents 4 0 R >>"
    )
    objects.extend(page for _ in range(pages))
    return write_raw_pdf(path, objects)


def _nested_flate(size: int, *, layers: int = 2) -> bytes:
    """``size`` zero bytes (a multiple of 1 MiB), Flate-compressed ``layers`` times.

    The inner stream is built without compressing gigabytes: one MiB of zeros is
    deflated once and ended with a full flush, which makes its blocks independent
    and byte-aligned, so repeating them gives a valid stream of any length.
    """
    mib = 1 << 20
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    piece = compressor.compress(b"\x00" * mib) + compressor.flush(zlib.Z_FULL_FLUSH)
    last_block = zlib.compressobj(9, zlib.DEFLATED, -15).flush()
    adler32 = ((size % 65521) << 16) | 1  # Adler-32 of zeros only: a stays 1, b counts bytes
    data = b"\x78\xda" + piece * (size // mib) + last_block + adler32.to_bytes(4, "big")
    for _ in range(layers - 1):
        data = zlib.compress(data, 9)
    return data


def bomb_pdf(path: Path, *, inflated_mb: int = 2048, target: str = "image") -> Path:
    """A one-page PDF whose tiny stream inflates to ``inflated_mb`` MiB when read.

    ``target="image"`` puts the bomb in an image XObject (grey, one byte per pixel,
    declared square), ``target="content"`` in the page's content stream.
    """
    size = inflated_mb << 20
    filters = b"/Filter [/FlateDecode /FlateDecode]"
    bomb = _nested_flate(size)
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
    if target == "content":
        objects = [_stream(filters, bomb)]
        page += b" >>"
    else:
        side = int(size**0.5)
        image = (
            b"/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray"
            b" /BitsPerComponent 8 " % (side, side)
        ) + filters
        objects = [_stream(b"", b"q 595 0 0 842 0 0 cm /Im1 Do Q"), _stream(image, bomb)]
        page += b" /Resources << /XObject << /Im1 5 0 R >> >> >>"
    catalog = b"<< /Type /Catalog /Pages 2 0 R >>"
    pages = b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"
    return write_raw_pdf(path, [catalog, pages, page, *objects])


def huge_png(path: Path, *, width: int = 30_000, height: int = 30_000) -> Path:
    """A PNG that declares ``width`` × ``height`` pixels but holds only a few rows."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    rows = zlib.compress(b"\x00" * ((width + 1) * 4), 9)
    body = chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + body)
    return path


def line_end_hyphen_pdf(path: Path) -> Path:
    """Text where ``30/2020/NĐ-CP`` ends a line and ``123/QĐ-UBND`` breaks after its hyphen."""
    pdf = FPDF(format="A4")
    pdf.add_font("viet", "", str(vietnamese_font()))
    pdf.add_page()
    pdf.set_font("viet", size=12)
    for line in (
        "Căn cứ Nghị định số 30/2020/NĐ-CP",
        "ngày 05 tháng 3 năm 2020 của Chính phủ về công tác văn thư;",
        "Theo Quyết định số 123/QĐ-",
        "UBND về việc áp dụng chữ ký số.",
    ):
        pdf.cell(0, 7, line, new_x="LMARGIN", new_y="NEXT")
    path.write_bytes(bytes(pdf.output()))
    return path


def _scanned_pages(doc: SampleDocument, dpi: int) -> list[Image.Image]:
    document = pdfium.PdfDocument(render_pdf(doc))
    try:
        return [
            document[i].render(scale=dpi / 72, grayscale=True).to_pil().copy() for i in range(len(document))
        ]
    finally:
        document.close()


def scanned_pdf(path: Path, doc: SampleDocument = SampleDocument(), *, dpi: int = 300) -> Path:
    """An image-only PDF of the sample, as a scanner makes it: no text layer at all."""
    pages = _scanned_pages(doc, dpi)
    pages[0].save(path, "PDF", resolution=dpi, save_all=True, append_images=pages[1:])
    return path


def scanned_tiff(path: Path, doc: SampleDocument = SampleDocument(pages=2), *, dpi: int = 300) -> Path:
    """A multi-page TIFF scan of the sample, one frame per page."""
    pages = _scanned_pages(doc, dpi)
    pages[0].save(
        path, "TIFF", dpi=(dpi, dpi), compression="tiff_deflate", save_all=True, append_images=pages[1:]
    )
    return path
