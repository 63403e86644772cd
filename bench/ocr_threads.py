"""OCR throughput: tesseract's OpenMP threads versus one thread per process.

The same 300-dpi page images are read by pytesseract (``image_to_data``, the
extractor's fallback) in 1 and 2 processes, with tesseract's default threading and with
``OMP_THREAD_LIMIT=1``, by the raw ``tesseract`` CLI as a baseline, and by the
extractor's in-memory engine (tesserocr, languages loaded once per process). Accuracy
is the share of the text layer's words that OCR found.

Run: ``python -m bench ocr_threads [--quick]``.
"""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pypdfium2 as pdfium
import pytesseract
from PIL import Image

from archive.samples import render_pdf
from bench.corpus import one_page_documents, page_images
from bench.harness import Context, Result
from indexing.extraction.ocr import ocr_image, warm
from indexing.extraction.textlayer import read_page_text

NAME = "ocr_threads"
LANG = "vie+eng"


def make_pages(workdir: Path, count: int) -> list[tuple[Path, str]]:
    """``count`` page images at 300 dpi, each with the text layer it was drawn from."""
    pages = []
    for index, doc in enumerate(one_page_documents(count)):
        pdf = workdir / f"page{index}.pdf"
        pdf.write_bytes(render_pdf(doc))
        with pdfium.PdfDocument(pdf) as document:
            text = read_page_text(document[0])
        pages.append((page_images(pdf, workdir)[0], text))
    return pages


def pytesseract_page(path: Path) -> str:
    with Image.open(path) as image:
        data = pytesseract.image_to_data(image, lang=LANG, output_type=pytesseract.Output.DICT)
    return " ".join(str(w) for w in data["text"] if str(w).strip())


def tesserocr_page(path: Path) -> str:
    """The extractor's way: the process's one engine, the page's pixels handed over in memory."""
    with Image.open(path) as image:
        return ocr_image(image.convert("L"), LANG, dpi=300)[0]


def cli_page(path: Path) -> str:
    return subprocess.run(
        ["tesseract", str(path), "stdout", "-l", LANG],
        capture_output=True,
        check=True,
        text=True,
    ).stdout


def run_pool(
    reader: Callable[[Path], str], paths: list[Path], processes: int, omp_one: bool
) -> tuple[float, list[str]]:
    """Seconds to read every page, and the texts. Workers inherit the environment at spawn."""
    saved = os.environ.pop("OMP_THREAD_LIMIT", None)
    if omp_one:
        os.environ["OMP_THREAD_LIMIT"] = "1"
    try:
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(processes, mp_context=context) as pool:
            # Start the workers before timing; each loads its engine once, as the zygote does.
            list(pool.map(_warm, range(processes)))
            started = time.perf_counter()
            texts = list(pool.map(reader, paths))
            return time.perf_counter() - started, texts
    finally:
        os.environ.pop("OMP_THREAD_LIMIT", None)
        if saved is not None:
            os.environ["OMP_THREAD_LIMIT"] = saved


def _warm(_: int) -> None:
    warm(LANG)


def accuracy(expected: list[str], got: list[str]) -> float:
    found = total = 0
    for want_text, have_text in zip(expected, got, strict=True):
        want, have = Counter(want_text.split()), Counter(have_text.split())
        found += sum((want & have).values())
        total += sum(want.values())
    return round(found / total, 4)


CONFIGS = [
    ("pytesseract", pytesseract_page, 1, False),
    ("pytesseract", pytesseract_page, 1, True),
    ("pytesseract", pytesseract_page, 2, False),
    ("pytesseract", pytesseract_page, 2, True),
    ("tesseract CLI", cli_page, 1, False),
    ("tesseract CLI", cli_page, 2, True),
    ("tesserocr in memory", tesserocr_page, 2, True),
]


def run(ctx: Context) -> Result:
    result = Result(NAME)
    count = ctx.size(2, 8)
    pages = make_pages(ctx.workdir, count)
    paths, expected = [p for p, _ in pages], [t for _, t in pages]
    rows = []
    # --quick leaves out the single-process configurations: no ratio uses them.
    configs = [c for c in CONFIGS if not ctx.quick or c[2] == 2]
    ppm: dict[tuple[str, int, bool], list[float]] = {(c[0], c[2], c[3]): [] for c in configs}
    for _ in range(3):  # rounds: every configuration once per round, side by side
        rows = []
        for name, reader, processes, omp_one in configs:
            seconds, texts = run_pool(reader, paths, processes, omp_one)
            ppm[(name, processes, omp_one)].append(count * 60 / seconds)
            rows.append(
                {
                    "reader": name,
                    "processes": processes,
                    "OMP_THREAD_LIMIT": "1" if omp_one else "unset (tesseract default)",
                    "pages": count,
                    "pages_per_minute_by_round": [round(x, 1) for x in ppm[(name, processes, omp_one)]],
                    "word_accuracy": accuracy(expected, texts),
                }
            )
    result.figures = {"dpi": 300, "lang": LANG, "results": rows}
    one, default = ppm[("pytesseract", 2, True)], ppm[("pytesseract", 2, False)]
    cli, in_memory = ppm[("tesseract CLI", 2, True)], ppm[("tesserocr in memory", 2, True)]
    result.ratio("2 processes pages/min, OMP_THREAD_LIMIT=1 ÷ default threads", one, default, 1.0, "higher")
    result.ratio("2 processes pages/min, pytesseract ÷ tesseract CLI", one, cli, None, "higher")
    result.ratio(
        "2 processes pages/min, tesserocr (engine kept) ÷ tesseract CLI", in_memory, cli, None, "higher"
    )
    return result
