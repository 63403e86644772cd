"""OCR throughput: tesseract's OpenMP threads versus one thread per process.

The same 300-dpi page images are read by pytesseract (``image_to_data``, as the
extractor does) in 1 and 2 processes, with tesseract's default threading and with
``OMP_THREAD_LIMIT=1``, and by the raw ``tesseract`` CLI as a baseline. Accuracy
is the share of the text layer's words that OCR found.

Run: ``python -m bench.ocr_threads [PAGES]`` (prints JSON, writes bench/results/).
"""

from __future__ import annotations

import dataclasses
import json
import multiprocessing
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pypdfium2 as pdfium
import pytesseract
from PIL import Image

from archive.samples import random_document, render_pdf
from indexing.extraction.textlayer import read_page_text

RESULTS = Path(__file__).parent / "results" / "ocr_threads.json"
LANG = "vie+eng"


def make_pages(workdir: Path, count: int) -> list[tuple[Path, str]]:
    """``count`` page images at 300 dpi, each with the text layer it was drawn from."""
    rng = random.Random(7)
    pages = []
    for index in range(count):
        doc = dataclasses.replace(random_document(rng, index), pages=1)
        document = pdfium.PdfDocument(render_pdf(doc))
        page = document[0]
        image = page.render(scale=300 / 72, grayscale=True).to_pil()
        path = workdir / f"page{index}.png"
        image.save(path)
        pages.append((path, read_page_text(page)))
        document.close()
    return pages


def pytesseract_page(path: Path) -> str:
    with Image.open(path) as image:
        data = pytesseract.image_to_data(image, lang=LANG, output_type=pytesseract.Output.DICT)
    return " ".join(str(w) for w in data["text"] if str(w).strip())


def cli_page(path: Path) -> str:
    return subprocess.run(
        ["tesseract", str(path), "stdout", "-l", LANG],
        capture_output=True,
        check=True,
        text=True,
    ).stdout


def run(
    reader: Callable[[Path], str], paths: list[Path], processes: int, omp_one: bool
) -> tuple[float, list[str]]:
    """Seconds to read every page, and the texts. Workers inherit the environment at spawn."""
    saved = os.environ.pop("OMP_THREAD_LIMIT", None)
    if omp_one:
        os.environ["OMP_THREAD_LIMIT"] = "1"
    try:
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(processes, mp_context=context) as pool:
            list(pool.map(_noop, range(processes)))  # start the workers before timing
            started = time.perf_counter()
            texts = list(pool.map(reader, paths))
            return time.perf_counter() - started, texts
    finally:
        os.environ.pop("OMP_THREAD_LIMIT", None)
        if saved is not None:
            os.environ["OMP_THREAD_LIMIT"] = saved


def _noop(_: int) -> None:
    return None


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
]


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 8
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        pages = make_pages(Path(tmp), count)
        paths, expected = [p for p, _ in pages], [t for _, t in pages]
        for name, reader, processes, omp_one in CONFIGS:
            seconds, texts = run(reader, paths, processes, omp_one)
            results.append(
                {
                    "reader": name,
                    "processes": processes,
                    "OMP_THREAD_LIMIT": "1" if omp_one else "unset (tesseract default)",
                    "pages": count,
                    "seconds": round(seconds, 2),
                    "pages_per_minute": round(count * 60 / seconds, 1),
                    "word_accuracy": accuracy(expected, texts),
                }
            )
            print(json.dumps(results[-1], ensure_ascii=False), file=sys.stderr)
    report = {"cpus": os.cpu_count(), "dpi": 300, "lang": LANG, "results": results}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    print(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
