"""Compare text-layer extractors on the same sample PDFs: speed and words.

Extractors: pypdfium2 (PDFium, in process), pdfplumber (pdfminer.six), and
poppler's ``pdftotext`` as a subprocess, in its default reading-order mode and in
``-layout`` mode. Correctness is the word-by-word difference from the text the
samples were drawn from, plus a check that ``30/2020/NĐ-CP`` and a document
number broken after its hyphen at a line end keep their hyphen.

Run: ``python -m bench text_extractors [--quick]``.
"""

from __future__ import annotations

import dataclasses
import random
import subprocess
import time
import unicodedata
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pdfplumber

from archive.samples import SampleDocument, random_document, render_pdf
from bench.harness import Context, Result
from indexing.extraction.textlayer import extract_text_layer
from tests.support.hostile import line_end_hyphen_pdf

NAME = "text_extractors"
Extractor = Callable[[Path], list[str]]


def pypdfium2_pages(path: Path) -> list[str]:
    return [page.text for page in extract_text_layer(path)]


def pdfplumber_pages(path: Path) -> list[str]:
    with pdfplumber.open(path) as pdf:
        return [unicodedata.normalize("NFC", p.extract_text() or "") for p in pdf.pages]


def _pdftotext(path: Path, *options: str) -> list[str]:
    out = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", *options, str(path), "-"],
        capture_output=True,
        check=True,
        text=True,
    ).stdout
    return [unicodedata.normalize("NFC", p) for p in out.split("\f")[:-1]]


def pdftotext_pages(path: Path) -> list[str]:
    return _pdftotext(path)


def pdftotext_layout_pages(path: Path) -> list[str]:
    return _pdftotext(path, "-layout")


EXTRACTORS: dict[str, Extractor] = {
    "pypdfium2": pypdfium2_pages,
    "pdfplumber": pdfplumber_pages,
    "pdftotext": pdftotext_pages,
    "pdftotext -layout": pdftotext_layout_pages,
}


def expected_pages(doc: SampleDocument) -> list[str]:
    """The text each page of ``render_pdf(doc)`` was drawn from."""
    when = doc.issue_date
    header = [
        doc.agency[:40],
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        f"Số: {doc.number}/{doc.notation}",
        "Độc lập - Tự do - Hạnh phúc",
        f"{doc.place}, ngày {when.day:02d} tháng {when.month:02d} năm {when.year}",
        doc.title,
        doc.subject,
    ]
    pages = []
    for page in range(1, doc.pages + 1):
        lines = (header if page == 1 else []) + list(doc.body)
        if page > 1:
            lines.append(f"Trang {page} của văn bản số {doc.number}/{doc.notation}.")
        if page == doc.pages:
            lines += [doc.signer_position, doc.signer_name]
        pages.append("\n".join(lines))
    return pages


def corpus(workdir: Path, *, long_pages: int = 150, count: int = 40) -> list[tuple[Path, list[str]]]:
    """One long document and a spread of varied ones, with their expected text."""
    rng = random.Random(30)
    docs = [SampleDocument(pages=long_pages)]
    docs += [dataclasses.replace(random_document(rng, i), pages=rng.randint(1, 12)) for i in range(count)]
    out = []
    for index, doc in enumerate(docs):
        path = workdir / f"doc{index}.pdf"
        path.write_bytes(render_pdf(doc))
        out.append((path, expected_pages(doc)))
    return out


def word_diff(expected: list[str], got: list[str]) -> tuple[int, int, Counter[str]]:
    """Words missing and extra, page by page, and the most frequent differences."""
    missing = extra = 0
    samples: Counter[str] = Counter()
    for index, text in enumerate(expected):
        want = Counter(text.split())
        have = Counter(got[index].split()) if index < len(got) else Counter()
        lost, added = want - have, have - want
        missing += sum(lost.values())
        extra += sum(added.values())
        samples.update({f"-{w}": n for w, n in lost.items()})
        samples.update({f"+{w}": n for w, n in added.items()})
    return missing, extra, samples


def hyphen_check(extractor: Extractor, workdir: Path) -> dict[str, bool]:
    text = "\n".join(extractor(line_end_hyphen_pdf(workdir / "hyphen.pdf")))
    return {
        "line_end_NĐ-CP_kept": "30/2020/NĐ-CP" in text and "NĐCP" not in text,
        "broken_QĐ-UBND_keeps_hyphen": "QĐUBND" not in text and "QĐ" in text,
        "broken_QĐ-UBND_reads_whole": "123/QĐ-UBND" in text,
        "nfc": unicodedata.is_normalized("NFC", text),
    }


def measure(name: str, extractor: Extractor, docs: list[tuple[Path, list[str]]]) -> dict[str, object]:
    pages = missing = extra = words = 0
    diffs: Counter[str] = Counter()
    started = time.perf_counter()
    outputs = [extractor(path) for path, _ in docs]
    elapsed = time.perf_counter() - started
    for (_, expected), got in zip(docs, outputs, strict=True):
        pages += len(expected)
        words += sum(len(p.split()) for p in expected)
        m, e, d = word_diff(expected, got)
        missing, extra = missing + m, extra + e
        diffs.update(d)
    return {
        "extractor": name,
        "pages": pages,
        "seconds": round(elapsed, 3),
        "pages_per_second": round(pages / elapsed, 1),
        "expected_words": words,
        "missing_words": missing,
        "extra_words": extra,
        "word_accuracy": round(1 - (missing + extra) / words, 5),
        "top_differences": diffs.most_common(6),
    }


def run(ctx: Context) -> Result:
    result = Result(NAME)
    docs = corpus(ctx.workdir, long_pages=ctx.size(30, 150), count=ctx.size(10, 40))
    for _, extractor in EXTRACTORS.items():  # warm up: imports, font caches
        extractor(docs[1][0])
    rows, speed = [], {name: [] for name in EXTRACTORS}
    for _ in range(ctx.size(3, 5)):  # rounds: each extractor once per round, side by side
        rows = []
        for name, extractor in EXTRACTORS.items():
            row = measure(name, extractor, docs)
            speed[name].append(float(row["pages_per_second"]))  # type: ignore[arg-type]
            rows.append(row)
    for row, extractor in zip(rows, EXTRACTORS.values(), strict=True):
        row["hyphens"] = hyphen_check(extractor, ctx.workdir)
        row["pages_per_second_by_round"] = speed[str(row["extractor"])]
    result.figures["extractors"] = rows
    for name in ("pypdfium2", "pdfplumber"):
        result.ratio(
            f"{name} pages/s ÷ pdftotext -layout", speed[name], speed["pdftotext -layout"], None, "higher"
        )
    return result
