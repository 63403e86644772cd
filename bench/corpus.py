"""Benchmark corpora: Vietnamese official documents in the Decree 30 layout.

Three kinds, all drawn by ``archive.samples`` and written with an import manifest
(``archive.importer``'s format) so the same folder can go through ``archive import``:

- ``text``: PDFs with a text layer;
- ``scanned``: image-only PDFs, each page rendered at 300 dpi, skewed 0.5-2°, with
  gaussian noise and speckle, saved as JPEG images in a PDF, as a scanner would;
- ``signed``: text PDFs signed with pyHanko by a throwaway PKI.

Also: the 300-dpi page images the pipeline OCRs (for a raw tesseract baseline) and
a streamed, arbitrarily large PDF for upload tests.
"""

from __future__ import annotations

import dataclasses
import io
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pypdfium2 as pdfium
from PIL import Image, ImageChops

from archive.importer import sample_row, write_manifest
from archive.samples import SampleDocument, random_document, render_pdf
from indexing.extraction.images import render_page

Kind = Literal["text", "scanned", "signed"]
DPI = 300


@dataclass(frozen=True)
class Corpus:
    """Files in a folder with their manifest, and how many pages they hold in all."""

    directory: Path
    manifest: Path
    files: tuple[Path, ...]
    pages: int
    trust_roots: Path | None = None  # for signed corpora: the root CA, as the archive is configured


def write_corpus(directory: Path, *, count: int, pages: int, kind: Kind = "text", seed: int = 1) -> Corpus:
    """``count`` documents of ``pages`` pages each, and ``manifest.csv``."""
    directory.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    signer = _Signer() if kind == "signed" else None
    rows, files = [], []
    for i in range(1, count + 1):
        doc = dataclasses.replace(random_document(rng, seed * 100_000 + i), pages=pages)
        name = f"{kind}-{i:05d}.pdf"
        data = render_pdf(doc)
        if kind == "scanned":
            data = scanned_pdf(data, rng)
        elif signer is not None:
            data = signer.sign(data)
        (directory / name).write_bytes(data)
        files.append(directory / name)
        rows.append(sample_row(name, doc, is_public=i % 3 == 0))
    roots = signer.write_roots(directory / "trust-roots") if signer is not None else None
    return Corpus(directory, write_manifest(directory, rows), tuple(files), count * pages, roots)


def scanned_pdf(text_pdf: bytes, rng: random.Random) -> bytes:
    """The pages of ``text_pdf`` as a scanner returns them: skewed, noisy images, no text."""
    document = pdfium.PdfDocument(text_pdf)
    try:
        pages = (document[i].render(scale=DPI / 72, grayscale=True).to_pil() for i in range(len(document)))
        images = [_scan(page, rng) for page in pages]
    finally:
        document.close()
    out = io.BytesIO()
    images[0].save(out, "PDF", resolution=DPI, save_all=True, append_images=images[1:], quality=85)
    return out.getvalue()


def _scan(page: Image.Image, rng: random.Random) -> Image.Image:
    angle = rng.uniform(0.5, 2.0) * rng.choice((-1, 1))
    skewed = page.convert("L").rotate(angle, resample=Image.Resampling.BICUBIC, expand=False, fillcolor=255)
    # Gaussian sensor noise, centred on zero, then a light speckle of dust.
    noise = Image.effect_noise(skewed.size, 10)
    noisy = ImageChops.add(skewed, noise, scale=1.0, offset=-128)
    return _speckle(noisy, rng, density=0.0004)


def _speckle(image: Image.Image, rng: random.Random, *, density: float) -> Image.Image:
    pixels = image.load()
    assert pixels is not None
    width, height = image.size
    for _ in range(int(width * height * density)):
        pixels[rng.randrange(width), rng.randrange(height)] = rng.choice((0, 40, 255))
    return image


class _Signer:
    """A throwaway PKI, made once per corpus (key generation is the slow part)."""

    def __init__(self) -> None:
        from tests.support.signing import make_pki

        self._pki = make_pki()

    def sign(self, pdf: bytes) -> bytes:
        from tests.support.signing import sign_pdf

        return sign_pdf(pdf, self._pki.signer, self._pki)

    def write_roots(self, directory: Path) -> Path:
        from tests.support.signing import write_trust_roots

        return write_trust_roots(directory, self._pki.root.certificate)


def page_images(pdf: Path, directory: Path) -> list[Path]:
    """Each page of ``pdf`` rendered as the pipeline renders it for OCR, saved as PNG."""
    directory.mkdir(parents=True, exist_ok=True)
    document = pdfium.PdfDocument(pdf)
    paths = []
    try:
        for index in range(len(document)):
            image = render_page(document[index], dpi=DPI, max_pixels=60_000_000)
            path = directory / f"{pdf.stem}-p{index + 1}.png"
            image.save(path)
            image.close()
            paths.append(path)
    finally:
        document.close()
    return paths


def one_page_documents(count: int, seed: int = 7) -> list[SampleDocument]:
    """Varied single-page documents."""
    rng = random.Random(seed)
    return [dataclasses.replace(random_document(rng, seed * 1000 + i), pages=1) for i in range(count)]


def large_pdf_chunks(size: int, chunk: int = 1024 * 1024) -> Iterator[bytes]:
    """A valid one-page PDF of about ``size`` bytes, generated as it is sent (never in memory):
    the bulk is an unreferenced stream object, as in a PDF with huge embedded images."""
    head = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
    objects = [
        b"1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n",
        b"2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n",
        b"3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>\nendobj\n",
    ]
    body = max(size - 1024, chunk)
    offsets, position = [], len(head)
    yield head
    for obj in objects:
        offsets.append(position)
        position += len(obj)
        yield obj
    offsets.append(position)
    opening = f"4 0 obj\n<< /Length {body} >>\nstream\n".encode()
    closing = b"\nendstream\nendobj\n"
    yield opening
    block = random.Random(4).randbytes(chunk)
    for sent in range(0, body, chunk):
        yield block[: min(chunk, body - sent)]
    yield closing
    position += len(opening) + body + len(closing)
    yield _xref(offsets, position)


def _xref(offsets: list[int], start: int) -> bytes:
    lines = [f"xref\n0 {len(offsets) + 1}\n", "0000000000 65535 f \n"]
    lines += [f"{offset:010d} 00000 n \n" for offset in offsets]
    lines.append(f"trailer\n<< /Size {len(offsets) + 1} /Root 1 0 R >>\nstartxref\n{start}\n%%EOF\n")
    return "".join(lines).encode()
