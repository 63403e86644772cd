"""extract_document: every file, hostile or not, ends in a clear outcome within its limits."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from archive.domain.records import TextSource, TextStatus
from archive.domain.text import fold
from archive.samples import SampleDocument
from indexing.extraction import ExtractionLimits, ExtractionOutcome, extract_document
from tests.support import hostile

# Small limits keep the tests fast; the worker needs about 100 MB to start.
SMALL = ExtractionLimits(
    memory_mb=400, cpu_seconds=30, wall_seconds=60, max_pages=20, max_image_pixels=20_000_000
)


def assert_within(outcome: ExtractionOutcome, limits: ExtractionLimits) -> None:
    assert outcome.peak_memory_mb is not None and outcome.peak_memory_mb <= limits.memory_mb
    assert outcome.cpu_seconds is not None and outcome.cpu_seconds <= limits.cpu_seconds + 3


def test_a_text_pdf_is_extracted_with_a_thumbnail(tmp_path: Path) -> None:
    path = hostile.write_sample_pdf(tmp_path / "doc.pdf", SampleDocument(pages=3))

    outcome = extract_document(path, SMALL)

    assert outcome.status is TextStatus.EXTRACTED
    assert (outcome.limit_hit, outcome.error, outcome.page_count) == (None, None, 3)
    assert [p.number for p in outcome.pages] == [1, 2, 3]
    assert "30/2020/NĐ-CP" in outcome.pages[0].text
    assert list(outcome.thumbnails) == [1]
    assert Image.open(io.BytesIO(outcome.thumbnails[1])).width == 256
    assert_within(outcome, SMALL)


def test_pages_beyond_the_cap_are_not_read(tmp_path: Path) -> None:
    path = hostile.many_pages_pdf(tmp_path / "long.pdf", pages=2000)

    outcome = extract_document(path, SMALL)

    assert (outcome.status, outcome.limit_hit) == (TextStatus.EXTRACTED, "page_cap")
    assert outcome.page_count == 2000
    assert [p.number for p in outcome.pages] == list(range(1, 21))


def test_a_content_stream_bomb_hits_the_memory_limit(tmp_path: Path) -> None:
    path = hostile.bomb_pdf(tmp_path / "bomb.pdf", inflated_mb=4096, target="content")

    outcome = extract_document(path, SMALL)

    assert (outcome.status, outcome.limit_hit) == (TextStatus.FAILED, "memory")
    assert outcome.error and "memory" in outcome.error
    assert_within(outcome, SMALL)


def test_an_image_bomb_is_not_decoded(tmp_path: Path) -> None:
    # PDFium refuses to allocate the image under the address-space limit and
    # renders the page without it; what matters is that memory stayed bounded.
    path = hostile.bomb_pdf(tmp_path / "bomb.pdf", inflated_mb=4096, target="image")

    outcome = extract_document(path, SMALL)

    assert outcome.status in (TextStatus.OCR_DONE, TextStatus.FAILED)
    assert all(p.text == "" for p in outcome.pages)
    assert_within(outcome, SMALL)


def test_a_huge_declared_png_hits_the_pixel_limit(tmp_path: Path) -> None:
    path = hostile.huge_png(tmp_path / "huge.png", width=30_000, height=30_000)

    outcome = extract_document(path, SMALL)

    assert (outcome.status, outcome.limit_hit) == (TextStatus.FAILED, "pixels")
    assert outcome.error and "900000000" in outcome.error
    assert outcome.pages == ()


def test_a_png_just_above_the_limit_is_refused_too(tmp_path: Path) -> None:
    # Between MAX_IMAGE_PIXELS and twice that Pillow only warns: the worker makes it an error.
    path = hostile.huge_png(tmp_path / "big.png", width=5000, height=5000)

    outcome = extract_document(path, SMALL)

    assert outcome.limit_hit == "pixels"


@pytest.mark.parametrize(
    ("build", "reason"),
    [
        (hostile.truncated_pdf, "corrupt PDF"),
        (hostile.garbage_pdf, "corrupt PDF"),
        (hostile.encrypted_pdf, "encrypted PDF"),
        (hostile.garbage_file, "unreadable file"),
        (hostile.empty_file, "unreadable file"),
    ],
    ids=["truncated", "garbage-pdf", "encrypted", "garbage", "empty"],
)
def test_unreadable_files_fail_with_a_reason(tmp_path: Path, build: object, reason: str) -> None:
    path = build(tmp_path / "upload.pdf")  # type: ignore[operator]

    outcome = extract_document(path, SMALL)

    assert outcome.status is TextStatus.FAILED
    assert outcome.limit_hit is None
    assert outcome.error is not None and reason in outcome.error


def test_a_missing_file_fails_without_raising(tmp_path: Path) -> None:
    outcome = extract_document(tmp_path / "gone.pdf", SMALL)

    assert outcome.status is TextStatus.FAILED
    assert outcome.error


def test_without_ocr_a_scan_waits_for_it(tmp_path: Path) -> None:
    path = hostile.scanned_pdf(tmp_path / "scan.pdf", dpi=100)

    outcome = extract_document(path, ExtractionLimits(ocr=False, memory_mb=400))

    assert outcome.status is TextStatus.PENDING_OCR
    assert outcome.pages[0].text == ""


@pytest.mark.tesseract
def test_a_scanned_pdf_is_ocred(tmp_path: Path) -> None:
    path = hostile.scanned_pdf(tmp_path / "scan.pdf")

    outcome = extract_document(path, SMALL)

    assert outcome.status is TextStatus.OCR_DONE
    page = outcome.pages[0]
    assert page.source is TextSource.OCR
    assert page.confidence is not None and page.confidence > 80
    assert "chu ky so" in fold(page.text)
    assert "123/QĐ-UBND" in page.text
    assert_within(outcome, SMALL)


@pytest.mark.tesseract
def test_a_multi_page_tiff_is_ocred_page_by_page(tmp_path: Path) -> None:
    path = hostile.scanned_tiff(tmp_path / "scan.tif", SampleDocument(pages=2), dpi=200)

    outcome = extract_document(path, SMALL)

    assert outcome.status is TextStatus.OCR_DONE
    assert [p.number for p in outcome.pages] == [1, 2]
    assert "Trang 2" in outcome.pages[1].text
    assert list(outcome.thumbnails) == [1]


@pytest.mark.tesseract
def test_the_cpu_budget_counts_tesseract(tmp_path: Path) -> None:
    path = hostile.scanned_tiff(tmp_path / "scan.tif", SampleDocument(pages=6), dpi=200)
    limits = ExtractionLimits(memory_mb=400, cpu_seconds=1, wall_seconds=60)

    outcome = extract_document(path, limits)

    assert (outcome.status, outcome.limit_hit) == (TextStatus.FAILED, "cpu_time")
    assert len(outcome.pages) < 6


@pytest.mark.tesseract
def test_the_wall_clock_deadline_kills_the_worker(tmp_path: Path) -> None:
    path = hostile.scanned_tiff(tmp_path / "scan.tif", SampleDocument(pages=6), dpi=200)
    limits = ExtractionLimits(memory_mb=400, wall_seconds=0.5)

    outcome = extract_document(path, limits)

    assert (outcome.status, outcome.limit_hit) == (TextStatus.FAILED, "wall_time")
    assert outcome.error and "0.5 s" in outcome.error
