"""The text layer: per page, NFC, and document numbers that keep their hyphens."""

from __future__ import annotations

import unicodedata
from pathlib import Path

from archive.domain.records import TextSource
from archive.domain.text import fold
from archive.samples import SampleDocument
from indexing.extraction import extract_text_layer, page_words
from indexing.extraction.textlayer import clean_page_text
from tests.support import hostile


def test_each_page_comes_back_numbered_from_the_text_layer(tmp_path: Path) -> None:
    path = hostile.write_sample_pdf(tmp_path / "doc.pdf", SampleDocument(pages=3))

    pages = extract_text_layer(path)

    assert [p.number for p in pages] == [1, 2, 3]
    assert {p.source for p in pages} == {TextSource.TEXT_LAYER}
    assert "Số: 123/QĐ-UBND" in pages[0].text
    assert "Trang 3 của văn bản số 123/QĐ-UBND." in pages[2].text


def test_vietnamese_comes_out_composed(tmp_path: Path) -> None:
    path = hostile.write_sample_pdf(tmp_path / "doc.pdf")

    text = extract_text_layer(path)[0].text

    assert unicodedata.is_normalized("NFC", text)
    assert "chữ ký số" in text
    assert "chu ky so" in fold(text)


def test_a_decree_number_at_a_line_end_keeps_its_hyphen(tmp_path: Path) -> None:
    path = hostile.line_end_hyphen_pdf(tmp_path / "hyphen.pdf")

    text = extract_text_layer(path)[0].text

    assert "30/2020/NĐ-CP\n" in text
    assert "NĐCP" not in text


def test_a_number_broken_after_its_hyphen_reads_whole_again(tmp_path: Path) -> None:
    path = hostile.line_end_hyphen_pdf(tmp_path / "hyphen.pdf")

    text = extract_text_layer(path)[0].text

    assert "123/QĐ-UBND" in text
    assert "QĐUBND" not in text


def test_max_pages_stops_reading(tmp_path: Path) -> None:
    path = hostile.many_pages_pdf(tmp_path / "long.pdf", pages=50)

    pages = extract_text_layer(path, max_pages=5)

    assert [p.number for p in pages] == [1, 2, 3, 4, 5]
    assert pages[4].text == "Page of a very long document"


def test_cleaning_restores_pdfium_hyphen_marks_and_composes() -> None:
    decomposed = unicodedata.normalize("NFD", "Nghị định")

    assert clean_page_text(f"{decomposed}\r\n123/QĐ\ufffeUBND ") == "Nghị định\n123/QĐ-UBND"


def test_page_words_have_positions(tmp_path: Path) -> None:
    path = hostile.line_end_hyphen_pdf(tmp_path / "hyphen.pdf")

    words = page_words(path, 1)

    decree = next(w for w in words if w.text == "30/2020/NĐ-CP")
    assert 0 < decree.x0 < decree.x1
    assert 0 < decree.top < decree.bottom
    assert words[0].text == "Căn"
