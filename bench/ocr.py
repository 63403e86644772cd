"""OCR through the whole pipeline against raw tesseract on the same page images.

Throughput: scanned PDFs deposited, then 2 worker processes drain the queue
(sandboxed extraction, OCR, thumbnails, page rows, FTS index), against the
``tesseract`` CLI on the pages the pipeline renders, 2 at a time, same languages,
same TSV output, ``OMP_THREAD_LIMIT=1``. Target ≥ 0.9.

Latency: one single-page scan, deposit to indexed in one worker, against one
tesseract run on its page. Target ≤ 1.1.

The thread-count study (``bench.ocr_threads``) runs as its own suite.
"""

from __future__ import annotations

import io
import statistics

from PIL import Image

from bench.corpus import page_images, write_corpus
from bench.harness import Context, Result, run_commands, single_thread_env, timed
from bench.stack import copy_data_dir, deposit_corpus, drain_with_processes, embedded_settings, failed_jobs

NAME = "ocr"
LANG = "vie+eng"
PROCESSES = 2


def tesseract_command(image: str) -> list[str]:
    """What pytesseract's ``image_to_data`` runs: TSV to stdout, default page segmentation."""
    return ["tesseract", image, "stdout", "-l", LANG, "tsv"]


def run(ctx: Context) -> Result:
    result = Result(NAME)
    _throughput(ctx, result)
    _latency(ctx, result)
    return result


def _throughput(ctx: Context, result: Result) -> None:
    documents, pages = ctx.size((2, 2), (8, 3))
    corpus = write_corpus(ctx.workdir / "scans", count=documents, pages=pages, kind="scanned")
    template = embedded_settings(ctx.workdir / "template")
    deposit_corpus(template, corpus)
    images = [str(p) for f in corpus.files for p in page_images(f, ctx.workdir / "images")]
    cli = run_commands([tesseract_command(i) for i in images], PROCESSES, single_thread_env())
    settings = copy_data_dir(template, ctx.workdir / "run")
    drained = drain_with_processes(settings, PROCESSES)
    pipeline_ppm = corpus.pages * 60 / drained.seconds
    cli_ppm = len(images) * 60 / cli
    result.figures["throughput"] = {
        "documents": documents,
        "pages": corpus.pages,
        "processes": PROCESSES,
        "pipeline_seconds": round(drained.seconds, 2),
        "pipeline_pages_per_minute": round(pipeline_ppm, 1),
        "tesseract_cli_seconds": round(cli, 2),
        "tesseract_cli_pages_per_minute": round(cli_ppm, 1),
        "failed_jobs": failed_jobs(settings),
        "handoff_encode_seconds_per_page": _handoff_encode(images[:2]),
    }
    if result.ratio("ocr pages/min, pipeline ÷ tesseract CLI", pipeline_ppm, cli_ppm, 0.9, "higher") < 0.9:
        result.notes.append(_throughput_note(drained.seconds - cli, documents))


def _handoff_encode(images: list[str]) -> dict[str, float]:
    """What pytesseract's temporary image costs per page: PNG (its default) against BMP."""
    found: dict[str, list[float]] = {"PNG": [], "BMP": []}
    for path in images:
        with Image.open(path) as image:
            image.load()
            for fmt, times in found.items():
                times.append(timed(lambda fmt=fmt, image=image: image.save(io.BytesIO(), fmt)))
    return {fmt: round(statistics.median(times), 3) for fmt, times in found.items()}


def _throughput_note(extra: float, documents: int) -> str:
    return (
        f"The pipeline spent {extra:.1f} s more than raw tesseract on {documents} documents. Per page the "
        "pipeline also renders the PDF page at 300 dpi (~0.1 s; the baseline reads images rendered before "
        "the clock starts) and hands it to tesseract as PNM (PNG took 1-2 s a page on noisy scans: see "
        "handoff_encode_seconds_per_page). Per document it inspects the deposit, writes the blob, the "
        "rows and the index, and scales a preview from the render. The sandbox is forked from a "
        "pre-started zygote (~0.02 s a document instead of ~0.2 s for a fresh interpreter); the worker "
        "starts it as it starts, but a worker started for this measurement still waits for those imports "
        "with its first document: a long-running worker pays that once. What would close more of the "
        "gap: running tesseract on the render in memory (tesserocr) instead of through a file, and "
        "skipping the deposit-time inspection's second open of the PDF."
    )


def _latency(ctx: Context, result: Result) -> None:
    repeats = ctx.size(2, 5)
    pipeline, cli = [], []
    for index in range(repeats):
        folder = ctx.workdir / f"latency{index}"
        corpus = write_corpus(folder, count=1, pages=1, kind="scanned", seed=50 + index)
        settings = embedded_settings(folder / "data")
        deposited = deposit_corpus(settings, corpus)
        pipeline.append(deposited + drain_with_processes(settings, 1).seconds)
        image = page_images(corpus.files[0], folder / "images")[0]
        cli.append(run_commands([tesseract_command(str(image))], 1, single_thread_env()))
    p50, base = statistics.median(pipeline), statistics.median(cli)
    result.figures["single_page_latency"] = {
        "repeats": repeats,
        "pipeline_seconds": [round(s, 3) for s in pipeline],
        "tesseract_cli_seconds": [round(s, 3) for s in cli],
        "note": "pipeline = deposit + one worker draining the job (worker start-up excluded)",
    }
    if result.ratio("single-page latency, pipeline ÷ tesseract", p50, base, 1.1, "lower") > 1.1:
        result.notes.append(
            f"One page took {p50:.2f} s deposit-to-indexed against {base:.2f} s of tesseract. The fixed "
            "costs are the zygote's imports (~0.2-0.4 s, paid once per worker process and here inside the "
            "figure, since each measurement starts a worker), rendering the page at 300 dpi "
            "(~0.1 s), the preview, the deposit's own PDF inspection and the job's DB round trips."
        )
