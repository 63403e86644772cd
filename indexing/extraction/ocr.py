"""OCR of page images with tesseract (pytesseract), Vietnamese and English.

Tesseract's OpenMP threads make it several times slower on small machines, and
the worker already runs one process per core, so tesseract runs single-threaded
(``OMP_THREAD_LIMIT=1``, see bench/ocr_threads.py for the figures).
"""

from __future__ import annotations

import os
import unicodedata
from collections import defaultdict

import pytesseract
from PIL import Image

DEFAULT_LANG = "vie+eng"


def ocr_image(
    image: Image.Image, lang: str = DEFAULT_LANG, *, timeout: float = 0
) -> tuple[str, float | None]:
    """Read the text of a page image.

    Args:
        image: the page, ideally at 300 dpi.
        lang: tesseract languages, ``vie+eng`` by default.
        timeout: seconds before tesseract is killed (0: no limit of its own).

    Returns:
        The NFC text, one line per tesseract line and a blank line between
        paragraphs, and the mean word confidence (0-100), or None with no words.

    Raises:
        pytesseract.TesseractError: tesseract failed (or ran out of memory).
        RuntimeError: tesseract exceeded ``timeout``.
    """
    # pytesseract has no env parameter and tesseract inherits ours: the variable is
    # process-wide, which is what we want in a worker process anyway.
    os.environ["OMP_THREAD_LIMIT"] = "1"
    # pytesseract hands the page over as a temp file in ``image.format``, PNG by
    # default: compressing a noisy 300-dpi scan takes longer than tesseract needs
    # to read it. PNM is written at disk speed (see bench/results/ocr.json).
    handoff = image.copy() if image.format != "PPM" else image
    handoff.format = "PPM"
    data = pytesseract.image_to_data(handoff, lang=lang, output_type=pytesseract.Output.DICT, timeout=timeout)
    return _text_of(data), _mean_confidence(data)


def _words(data: dict[str, list[object]]) -> list[tuple[tuple[int, int, int], str, float]]:
    words = []
    for index, raw in enumerate(data["text"]):
        text = str(raw).strip()
        confidence = float(str(data["conf"][index]))
        if text and confidence >= 0:
            key = (
                int(str(data["block_num"][index])),
                int(str(data["par_num"][index])),
                int(str(data["line_num"][index])),
            )
            words.append((key, text, confidence))
    return words


def _text_of(data: dict[str, list[object]]) -> str:
    lines: defaultdict[tuple[int, int, int], list[str]] = defaultdict(list)
    for key, text, _ in _words(data):
        lines[key].append(text)
    out: list[str] = []
    previous: tuple[int, int] | None = None
    for (block, paragraph, _line), words in sorted(lines.items()):
        if previous is not None and previous != (block, paragraph):
            out.append("")
        out.append(" ".join(words))
        previous = (block, paragraph)
    return unicodedata.normalize("NFC", "\n".join(out))


def _mean_confidence(data: dict[str, list[object]]) -> float | None:
    confidences = [confidence for _, _, confidence in _words(data)]
    return round(sum(confidences) / len(confidences), 2) if confidences else None
