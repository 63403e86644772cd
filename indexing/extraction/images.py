"""Page images: PDF pages rendered with PDFium, and image deposits frame by frame.

Pages are produced one at a time so a long document never holds every page
image in memory. Pixel limits are enforced here for rendering (the DPI drops
until the page fits) and by Pillow's ``MAX_IMAGE_PIXELS`` for image files.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pypdfium2 as pdfium
from PIL import Image, ImageSequence

POINTS_PER_INCH = 72.0


def render_scale(page: pdfium.PdfPage, *, dpi: int, max_pixels: int | None = None) -> float:
    """The PDFium scale for ``dpi``, lowered so the bitmap stays within ``max_pixels``.

    A large-format page (a plan on A0) is still read, at a lower resolution,
    rather than allocating gigabytes for one bitmap.
    """
    width, height = page.get_size()
    scale = dpi / POINTS_PER_INCH
    area = max(width * height, 1.0)
    if max_pixels is not None and area * scale * scale > max_pixels:
        scale = (max_pixels / area) ** 0.5
    return scale


def render_page(page: pdfium.PdfPage, *, dpi: int, max_pixels: int | None = None) -> Image.Image:
    """Render one PDF page to a greyscale Pillow image (what OCR wants)."""
    scale = render_scale(page, dpi=dpi, max_pixels=max_pixels)
    bitmap = page.render(scale=scale, grayscale=True)
    try:
        image: Image.Image = bitmap.to_pil()
        return image.copy()  # detach from PDFium's buffer before the bitmap is freed
    finally:
        bitmap.close()


def iter_image_frames(path: Path, *, max_pixels: int | None = None) -> Iterator[Image.Image]:
    """Yield the frames of a PNG, JPEG or (multi-page) TIFF one at a time, decoded.

    Args:
        path: the image file.
        max_pixels: refuse any frame larger than this, before decoding it. Pillow's
            own ``MAX_IMAGE_PIXELS`` check covers only the first frame of a TIFF.

    Raises:
        PIL.Image.DecompressionBombError: a frame declares too many pixels.
    """
    with Image.open(path) as image:
        for frame in ImageSequence.Iterator(image):
            width, height = frame.size
            if max_pixels is not None and width * height > max_pixels:
                raise Image.DecompressionBombError(
                    f"image of {width}×{height} pixels is above the limit of {max_pixels}"
                )
            yield _ocr_mode(frame)


def _ocr_mode(frame: Image.Image) -> Image.Image:
    # Palette, CMYK, 16-bit and alpha frames are converted to what tesseract reads well.
    if frame.mode in ("1", "L", "RGB"):
        frame.load()
        return frame.copy()
    return frame.convert("RGB") if frame.mode in ("RGBA", "CMYK", "P", "LA") else frame.convert("L")
