"""OCR with tesseract (vie+eng) of scanned pages, against the real binary."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pypdfium2 as pdfium
import pytest

from archive.domain.text import fold
from archive.samples import SampleDocument
from indexing.extraction import extract_text_layer, ocr_image
from indexing.extraction.images import iter_image_frames, render_page
from tests.support import hostile

pytestmark = [
    pytest.mark.tesseract,
]


def word_accuracy(expected: str, got: str) -> float:
    """Share of the expected words that OCR found (multiset intersection)."""
    want, have = Counter(expected.split()), Counter(got.split())
    return sum((want & have).values()) / sum(want.values())


@pytest.fixture(scope="module")
def scan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return hostile.scanned_pdf(tmp_path_factory.mktemp("ocr") / "scan.pdf")


def test_an_image_only_pdf_has_no_text_layer(scan: Path) -> None:
    assert extract_text_layer(scan)[0].text == ""


def test_a_scanned_vietnamese_page_is_read(scan: Path, tmp_path: Path) -> None:
    document = pdfium.PdfDocument(scan)
    image = render_page(document[0], dpi=300)
    document.close()

    text, confidence = ocr_image(image, "vie+eng")

    assert "chu ky so" in fold(text)
    assert "123/QĐ-UBND" in text
    assert confidence is not None and confidence > 80
    original = extract_text_layer(hostile.write_sample_pdf(tmp_path / "text.pdf"))[0].text
    assert word_accuracy(original, text) > 0.9


def test_a_blank_page_has_no_words_and_no_confidence() -> None:
    from PIL import Image

    text, confidence = ocr_image(Image.new("L", (800, 600), 255))

    assert (text, confidence) == ("", None)


def test_tiff_frames_are_read_one_by_one(tmp_path: Path) -> None:
    path = hostile.scanned_tiff(tmp_path / "scan.tif", SampleDocument(pages=2), dpi=200)

    texts = [ocr_image(frame)[0] for frame in iter_image_frames(path)]

    assert len(texts) == 2
    first, second = texts
    # Each frame's text is that page's alone: the header is on page 1 only, the
    # page footer on page 2 only.
    assert "cong hoa xa hoi chu nghia viet nam" in fold(first)
    assert "Trang 2" not in first
    assert "Trang 2 của văn bản số 123/QĐ-UBND" in second
    assert "cong hoa xa hoi" not in fold(second)


def test_the_in_memory_engine_is_loaded_once_and_reads_like_the_cli(scan: Path) -> None:
    from indexing.extraction import ocr

    if not ocr.in_memory_available():
        pytest.skip("tesserocr is not installed: the CLI fallback is what runs")
    document = pdfium.PdfDocument(scan)
    image = render_page(document[0], dpi=300)
    document.close()

    first = ocr.engine("vie+eng")
    in_memory, _ = ocr_image(image, "vie+eng", dpi=300)
    assert ocr.engine("vie+eng") is first  # kept: vie+eng is not loaded again
    cli = ocr._text_of(ocr._cli_data(image, "vie+eng"))
    assert "123/QĐ-UBND" in in_memory
    assert word_accuracy(cli, in_memory) > 0.95


def test_a_colour_and_a_bilevel_page_are_read_in_memory_too(scan: Path) -> None:
    document = pdfium.PdfDocument(scan)
    image = render_page(document[0], dpi=300)
    document.close()

    for mode in ("RGB", "1"):
        text, _ = ocr_image(image.convert(mode), "vie+eng")
        assert "chu ky so" in fold(text), mode
