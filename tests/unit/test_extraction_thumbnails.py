"""Page thumbnails: PNGs of the requested width, from PDFs and images."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image

from archive.samples import SampleDocument
from indexing.extraction import thumbnail
from tests.support import hostile


def _size(png: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(png)) as image:
        assert image.format == "PNG"
        return image.size


def test_a_pdf_page_thumbnail_keeps_the_a4_proportions(tmp_path: Path) -> None:
    path = hostile.write_sample_pdf(tmp_path / "doc.pdf", SampleDocument(pages=2))

    width, height = _size(thumbnail(path, 2, width=200))

    assert width == 200
    assert round(height / width, 2) == round(842 / 595, 2)


def test_a_tiff_frame_thumbnail(tmp_path: Path) -> None:
    path = tmp_path / "scan.tif"
    frames = [Image.new("L", (400, 800), 0), Image.new("L", (800, 400), 255)]
    frames[0].save(path, "TIFF", save_all=True, append_images=frames[1:])

    assert _size(thumbnail(path, 2, width=100)) == (100, 50)


def test_the_default_width_is_256(tmp_path: Path) -> None:
    path = hostile.write_sample_pdf(tmp_path / "doc.pdf")

    assert _size(thumbnail(path, 1))[0] == 256
