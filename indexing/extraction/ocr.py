"""OCR of page images with tesseract, Vietnamese and English, in memory.

The engine is libtesseract itself, through tesserocr: one ``PyTessBaseAPI`` per
process with its languages loaded once (about a second for ``vie+eng``), kept for
every page after. The extraction zygote loads it before it forks, so each sandbox
child starts with a warm engine; a page goes to it as the raw bytes of the PDFium
render, with no file, no image encoding and no tesseract process per page. The
sandbox's limits hold as before: the engine runs inside the limited child, so its
memory and CPU count against the child's rlimits directly.

pytesseract (the ``tesseract`` CLI through a temporary image) is kept as the
fallback where tesserocr is not installed (it needs ``libtesseract-dev`` to
build), and for ``bench.ocr_threads``'s comparison.

Tesseract's OpenMP threads make it several times slower on small machines, and
the worker already runs one process per core, so tesseract runs single-threaded
(``OMP_THREAD_LIMIT=1``, set before the library is loaded; see bench/ocr_threads.py).
"""

from __future__ import annotations

import functools
import importlib.util
import os
import unicodedata
from collections import defaultdict
from typing import Any

from PIL import Image

DEFAULT_LANG = "vie+eng"
TSV_COLUMNS = [
    "level",
    "page_num",
    "block_num",
    "par_num",
    "line_num",
    "word_num",
    "left",
    "top",
    "width",
    "height",
    "conf",
    "text",
]


class OcrFailed(Exception):
    """Tesseract could not read the page (or could not start)."""


@functools.cache
def in_memory_available() -> bool:
    """Whether tesserocr (libtesseract in process) is installed."""
    return importlib.util.find_spec("tesserocr") is not None


class OcrEngine:
    """One tesseract engine with ``lang`` loaded, reused page after page."""

    def __init__(self, lang: str) -> None:
        os.environ["OMP_THREAD_LIMIT"] = "1"  # read by OpenMP when libtesseract loads
        import tesserocr

        self.lang = lang
        try:
            self._api: Any = tesserocr.PyTessBaseAPI(lang=lang)
        except RuntimeError as error:
            raise OcrFailed(f"tesseract could not load {lang}: {error}") from error

    def read(self, image: Image.Image, dpi: int | None = None) -> dict[str, list[str]]:
        """The page's words as tesseract's TSV columns (what ``image_to_data`` gives)."""
        if image.mode == "L":  # a PDFium render: hand over its pixels as they are
            self._api.SetImageBytes(image.tobytes(), image.width, image.height, 1, image.width)
        else:
            self._api.SetImage(image.convert("RGB") if image.mode not in ("RGB", "1") else image)
        if dpi:
            self._api.SetSourceResolution(dpi)
        tsv = self._api.GetTSVText(0)
        if tsv is None:
            raise OcrFailed("tesseract returned no result")
        self._api.Clear()  # the page's image and results; the languages stay loaded
        return _columns(tsv)


_ENGINES: dict[str, OcrEngine] = {}


def engine(lang: str = DEFAULT_LANG) -> OcrEngine:
    """This process's engine for ``lang``, loaded on first use (or by ``warm``)."""
    found = _ENGINES.get(lang)
    if found is None:
        found = _ENGINES[lang] = OcrEngine(lang)
    return found


def warm(lang: str = DEFAULT_LANG) -> bool:
    """Load the engine now (the zygote does, before it forks); False without tesserocr."""
    if not in_memory_available():
        return False
    engine(lang)
    return True


def ocr_image(
    image: Image.Image, lang: str = DEFAULT_LANG, *, dpi: int | None = None
) -> tuple[str, float | None]:
    """Read the text of a page image.

    Args:
        image: the page, ideally at 300 dpi.
        lang: tesseract languages, ``vie+eng`` by default.
        dpi: the resolution it was rendered at, when known.

    Returns:
        The NFC text, one line per tesseract line and a blank line between
        paragraphs, and the mean word confidence (0-100), or None with no words.

    Raises:
        OcrFailed: tesseract failed (or ran out of memory).
    """
    data = engine(lang).read(image, dpi) if in_memory_available() else _cli_data(image, lang)
    return _text_of(data), _mean_confidence(data)


def _cli_data(image: Image.Image, lang: str) -> dict[str, list[str]]:
    """The fallback: the tesseract CLI through pytesseract and a temporary image."""
    import pytesseract

    os.environ["OMP_THREAD_LIMIT"] = "1"  # tesseract inherits our environment
    # PNM is written at disk speed; pytesseract's default PNG compresses a noisy scan
    # for longer than tesseract takes to read it.
    handoff = image.copy() if image.format != "PPM" else image
    handoff.format = "PPM"
    try:
        data = pytesseract.image_to_data(handoff, lang=lang, output_type=pytesseract.Output.DICT)
    except pytesseract.TesseractError as error:
        raise OcrFailed(str(error.message)) from error
    return {key: [str(v) for v in values] for key, values in data.items()}


def _columns(tsv: str) -> dict[str, list[str]]:
    data: dict[str, list[str]] = {name: [] for name in TSV_COLUMNS}
    for line in tsv.splitlines():
        cells = line.split("\t", len(TSV_COLUMNS) - 1)
        if len(cells) == len(TSV_COLUMNS):
            for name, cell in zip(TSV_COLUMNS, cells, strict=True):
                data[name].append(cell)
    return data


def _words(data: dict[str, list[str]]) -> list[tuple[tuple[int, int, int], str, float]]:
    words = []
    for index, raw in enumerate(data["text"]):
        text = raw.strip()
        confidence = float(data["conf"][index])
        if text and confidence >= 0:
            key = (int(data["block_num"][index]), int(data["par_num"][index]), int(data["line_num"][index]))
            words.append((key, text, confidence))
    return words


def _text_of(data: dict[str, list[str]]) -> str:
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


def _mean_confidence(data: dict[str, list[str]]) -> float | None:
    confidences = [confidence for _, _, confidence in _words(data)]
    return round(sum(confidences) / len(confidences), 2) if confidences else None
