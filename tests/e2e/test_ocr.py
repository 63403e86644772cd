"""Scanned Vietnamese pages become searchable, with and without diacritics: an
image-only PDF, a PNG and a multi-page TIFF, OCR'd by the worker (tesseract vie+eng)."""

from __future__ import annotations

import io
from pathlib import Path

import pypdfium2 as pdfium
import pytest

from archive.samples import SampleDocument, render_pdf
from archive.services.container import Services
from archive.services.worker import drain
from tests.support import hostile
from tests.support.graphql import api_client, deposited_id, metadata, record, search_ids

pytestmark = [
    pytest.mark.tesseract,
]

# Words of the body, not of the metadata: found only if OCR read the page.
BODY = "văn bản điện tử gửi đi"
BODY_FOLDED = "van ban dien tu gui di"


def scanned_png(path: Path, dpi: int = 300) -> Path:
    """Page 1 of the sample, rendered at ``dpi`` and saved as a PNG (no text layer)."""
    document = pdfium.PdfDocument(render_pdf(SampleDocument()))
    try:
        image = document[0].render(scale=dpi / 72, grayscale=True).to_pil()
        buffer = io.BytesIO()
        image.save(buffer, "PNG", dpi=(dpi, dpi))
    finally:
        document.close()
    path.write_bytes(buffer.getvalue())
    return path


async def test_a_scanned_vietnamese_pdf_is_found_with_and_without_diacritics(
    services: Services, tmp_path: Path
) -> None:
    scan = hostile.scanned_pdf(tmp_path / "scan.pdf", SampleDocument(), dpi=300)
    meta = metadata("31", subject="Về việc lưu trữ hồ sơ")  # the query words only in the scan
    async with api_client(services) as client:
        record_id = await deposited_id(client, scan.read_bytes(), meta, name="scan.pdf")
        assert await drain(services) == 1
        await services.index.refresh()

        found = await record(client, record_id)
        assert (found["processing"]["status"], found["textStatus"]) == ("done", "OCR_DONE")
        for query in ("chữ ký số", "chu ky so", f'"{BODY}"', BODY_FOLDED):
            assert (await search_ids(client, query))[1] == {record_id}, query


async def test_png_and_multipage_tiff_scans_are_read(services: Services, tmp_path: Path) -> None:
    if services.settings.search_backend != "sqlite":
        pytest.skip("OCR of images does not depend on the stack; the embedded one shows it")
    png = scanned_png(tmp_path / "scan.png")
    tiff = hostile.scanned_tiff(tmp_path / "scan.tiff", SampleDocument(pages=2))
    meta = {"subject": "Về việc lưu trữ hồ sơ"}
    async with api_client(services) as client:
        png_id = await deposited_id(
            client, png.read_bytes(), metadata("41", **meta), name="scan.png", content_type="image/png"
        )
        tiff_id = await deposited_id(
            client, tiff.read_bytes(), metadata("42", **meta), name="scan.tiff", content_type="image/tiff"
        )
        assert await drain(services) == 2
        await services.index.refresh()

        tiff_record = await record(client, tiff_id)
        assert (tiff_record["textStatus"], tiff_record["pageCount"]) == ("OCR_DONE", 2)
        assert (await record(client, png_id))["textStatus"] == "OCR_DONE"
        assert (await search_ids(client, "chu ky so"))[1] == {png_id, tiff_id}
        assert (await search_ids(client, '"Trang 2 của văn bản"'))[1] == {tiff_id}  # page 2 only
