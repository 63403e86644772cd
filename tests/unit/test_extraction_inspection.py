"""inspect_document: magic-byte sniffing, page counts, and refusal of unreadable files."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from archive.domain.errors import FileRejected
from archive.samples import SampleDocument
from indexing.extraction import DocumentInfo, inspect_document
from tests.support import hostile


def test_a_text_pdf_is_counted_without_reading_its_pages(tmp_path: Path) -> None:
    path = hostile.write_sample_pdf(tmp_path / "doc.bin", SampleDocument(pages=3))

    info = inspect_document(path)

    assert info == DocumentInfo("application/pdf", 3, encrypted=False, has_text_layer=None)


def test_the_file_name_is_ignored(tmp_path: Path) -> None:
    path = hostile.write_sample_pdf(tmp_path / "photo.png")

    assert inspect_document(path).media_type == "application/pdf"


@pytest.mark.parametrize(("fmt", "media_type"), [("PNG", "image/png"), ("JPEG", "image/jpeg")])
def test_single_images_have_one_page_and_no_text_layer(tmp_path: Path, fmt: str, media_type: str) -> None:
    path = tmp_path / "scan.pdf"
    Image.new("L", (40, 30), 255).save(path, fmt)

    info = inspect_document(path)

    assert (info.media_type, info.page_count, info.has_text_layer) == (media_type, 1, False)


def test_a_multi_page_tiff_counts_its_frames(tmp_path: Path) -> None:
    path = tmp_path / "scan.tif"
    frames = [Image.new("L", (40, 30), shade) for shade in (0, 128, 255)]
    frames[0].save(path, "TIFF", save_all=True, append_images=frames[1:])

    assert inspect_document(path) == DocumentInfo("image/tiff", 3, False, False)


def test_a_huge_declared_image_is_still_accepted_for_archiving(tmp_path: Path) -> None:
    # The pixel limit belongs to extraction; the bytes are archived regardless.
    path = hostile.huge_png(tmp_path / "huge.png")

    assert inspect_document(path).media_type == "image/png"


def test_a_2000_page_pdf_is_counted(tmp_path: Path) -> None:
    path = hostile.many_pages_pdf(tmp_path / "long.pdf", pages=2000)

    assert inspect_document(path).page_count == 2000


def test_a_bomb_is_not_detonated_by_inspection(tmp_path: Path) -> None:
    path = hostile.bomb_pdf(tmp_path / "bomb.pdf", inflated_mb=4096)

    assert inspect_document(path).page_count == 1


@pytest.mark.parametrize(
    ("build", "reason"),
    [
        (hostile.empty_file, "empty"),
        (hostile.garbage_file, "not a supported document"),
        (hostile.garbage_pdf, "corrupt PDF"),
        (hostile.truncated_pdf, "truncated"),
        (hostile.encrypted_pdf, "encrypted PDF"),
        (lambda path: hostile.encrypted_pdf(path, user_password=None), "encrypted PDF"),
    ],
    ids=["empty", "garbage", "garbage-pdf", "truncated", "encrypted", "owner-password-only"],
)
def test_unreadable_files_are_rejected_with_a_reason(tmp_path: Path, build: object, reason: str) -> None:
    path = build(tmp_path / "upload.pdf")  # type: ignore[operator]

    with pytest.raises(FileRejected, match=reason) as caught:
        inspect_document(path)

    assert caught.value.code == "FILE_REJECTED"


def test_the_encrypted_refusal_says_why(tmp_path: Path) -> None:
    path = hostile.encrypted_pdf(tmp_path / "locked.pdf")

    with pytest.raises(FileRejected, match="Signed official documents are not encrypted"):
        inspect_document(path)


def test_a_corrupt_image_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "broken.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 20)

    with pytest.raises(FileRejected, match="corrupt image"):
        inspect_document(path)
