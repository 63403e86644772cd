"""The text layer of PDF pages, read with PDFium (pypdfium2).

PDFium was measured fastest of pdfplumber, pypdfium2 and poppler's pdftotext
(bench/text_extractors.py) with the same words out. Unlike pdftotext's default
reading-order mode, it never drops the hyphen of ``NĐ-CP`` when a line ends in
it: PDFium marks such a hyphen with U+FFFE and joins the two lines, and we put
the hyphen back, so a document number split across lines reads whole again.

pdfplumber stays for what it does best: words with their positions.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pdfplumber
import pypdfium2 as pdfium

from archive.domain.records import Page, TextSource

# PDFium writes U+FFFE (older builds: U+0002) where a line ended in a hyphen it
# considered a soft one; the hyphen is real in "123/QĐ-" + "UBND", so restore it.
_LINE_END_HYPHEN = str.maketrans({"\ufffe": "-", "\x02": "-"})


@dataclass(frozen=True, slots=True)
class Word:
    """A word on a page, with its box in PDF points from the top-left corner."""

    text: str
    x0: float
    top: float
    x1: float
    bottom: float


def clean_page_text(raw: str) -> str:
    """PDFium's page text as we store it: NFC, ``\\n`` line ends, hyphens restored."""
    text = raw.translate(_LINE_END_HYPHEN).replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", text).strip()


def read_page_text(page: pdfium.PdfPage) -> str:
    """The cleaned text layer of one loaded PDFium page ('' when there is none)."""
    textpage = page.get_textpage()
    try:
        return clean_page_text(textpage.get_text_range())
    finally:
        textpage.close()


def iter_text_layer(path: Path, *, max_pages: int | None = None) -> Iterator[Page]:
    """Yield the text layer page by page, loading one page at a time.

    Args:
        path: a PDF file.
        max_pages: read at most this many pages from the start; None reads all.

    Yields:
        One ``Page`` per page read, numbered from 1, source ``TEXT_LAYER``.
    """
    document = pdfium.PdfDocument(path)
    try:
        count = len(document) if max_pages is None else min(len(document), max_pages)
        for index in range(count):
            page = document[index]
            try:
                yield Page(index + 1, read_page_text(page), TextSource.TEXT_LAYER)
            finally:
                page.close()
    finally:
        document.close()


def extract_text_layer(path: Path, *, max_pages: int | None = None) -> list[Page]:
    """The text layer of a PDF, one NFC-normalised ``Page`` per page.

    Pages without a text layer come back with empty text; OCR is a separate step.
    Runs in the calling process: untrusted files go through ``extract_document``.

    Args:
        path: a PDF file.
        max_pages: read at most this many pages from the start; None reads all.

    Returns:
        The pages read, in order.
    """
    return list(iter_text_layer(path, max_pages=max_pages))


def page_words(path: Path, page_number: int) -> list[Word]:
    """The words of one page with their positions (pdfplumber), for highlights.

    Args:
        path: a PDF file.
        page_number: 1-based page number.

    Returns:
        The words in reading order, NFC-normalised.
    """
    with pdfplumber.open(path) as pdf:
        page = pdf.pages[page_number - 1]
        return [
            Word(
                unicodedata.normalize("NFC", w["text"]),
                float(w["x0"]),
                float(w["top"]),
                float(w["x1"]),
                float(w["bottom"]),
            )
            for w in page.extract_words()
        ]
