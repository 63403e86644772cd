"""Peak memory: the worker on a long document against a short one, and the API during
a large upload against the API idle.

Worker: a 1,000-page (200 with --quick) and a 10-page text PDF, each drained by one
spawned worker, three times.
The worker's peak is its own VmHWM; the extraction sandbox's is sampled from /proc
while it runs (``ru_maxrss`` of an exec'd child carries its parent's high-water
mark over the exec, so the app's ``peak_memory_mb`` over-reports; both are shown).
Target ≤ 1.5 for each.

API: ``archive serve`` in its own process receives a multipart upload of 500 MB
(30 MB with --quick) streamed from a generator, three times, each to a fresh server;
RSS is sampled from /proc. Target ≤ 1.5.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import httpx

from bench.corpus import large_pdf_chunks, write_corpus
from bench.harness import Context, PeakSampler, Result, proc_status_mb
from bench.server import Server, serve
from bench.stack import deposit_corpus, drain_with_processes, embedded_settings
from indexing.extraction import ExtractionLimits, extract_document

NAME = "memory"
DEPOSIT = """mutation($file: Upload!, $m: RecordMetadataInput!) { depositRecord(file: $file, metadata: $m) {
  __typename ... on FileRejectedError { code message } } }"""
METADATA = {
    "documentType": "Quyết định", "number": "1", "notation": "QĐ-UBND", "issuingAgencyCode": "UBND-HG",
    "issuingAgencyName": "Ủy ban nhân dân tỉnh Hà Giang", "issueDate": "2024-03-15",
    "subject": "Tập bản đồ địa chính quét", "signerName": "Nguyễn Văn An", "signerPosition": "Chủ tịch",
    "direction": "OUTGOING",
}  # fmt: skip


def run(ctx: Context) -> Result:
    result = Result(NAME)
    _worker(ctx, result)
    _upload(ctx, result)
    return result


def _worker(ctx: Context, result: Result) -> None:
    small, large = 10, ctx.size(200, 1000)
    runs: dict[int, list[dict[str, float]]] = {small: [], large: []}
    for index in range(ctx.size(3, 3)):
        for pages in (small, large):
            corpus = write_corpus(ctx.workdir / f"doc{pages}-{index}", count=1, pages=pages, kind="text")
            settings = embedded_settings(ctx.workdir / f"data{pages}-{index}", extract_max_pages=1000)
            deposit_corpus(settings, corpus)
            drained = drain_with_processes(settings, 1)
            runs[pages].append(
                {
                    "worker_peak_mb": drained.peak_worker_mb,
                    "extraction_peak_mb": drained.peak_extraction_mb,
                    "seconds": round(drained.seconds, 2),
                }
            )
    outcome = extract_document(corpus.files[0], ExtractionLimits(max_pages=1000))
    result.figures["worker"] = {f"{p} pages": v for p, v in runs.items()}
    reported, sampled = outcome.peak_memory_mb or 0.0, runs[large][-1]["extraction_peak_mb"]
    if reported > 1.3 * sampled:
        result.notes.append(
            f"The app's ExtractionOutcome.peak_memory_mb says {reported} MB for a sandbox whose own peak "
            f"was {sampled} MB: ru_maxrss from wait4 carries the parent's high-water mark over fork+exec. "
            "Fix: have the sandbox worker report VmHWM from /proc/self/status."
        )
    for key, label in (("worker_peak_mb", "worker process"), ("extraction_peak_mb", "extraction sandbox")):
        r = result.ratio(
            f"peak RSS of the {label}, {large:,} ÷ {small} pages",
            [run[key] for run in runs[large]],
            [run[key] for run in runs[small]],
            1.5,
            "lower",
        )
        if r > 1.5:
            result.notes.append(
                f"The {label} grows with the page count: every page's text is held until the end "
                "(the sandbox's page list, the outcome, one set_pages transaction with all rows, one "
                "index document with every page). Fix: stream pages to the database in batches and "
                "index long documents page-chunked."
            )


def _upload(ctx: Context, result: Result) -> None:
    size = ctx.size(30, 500) * 1024 * 1024
    idle, peak = [], []
    for index in range(3):  # a fresh server each time: an upload leaves the next "idle" warmer
        settings = embedded_settings(ctx.workdir / f"api{index}", max_upload_bytes=2 * size)
        with serve(settings, ctx.workdir / f"api{index}") as server:
            before, during, outcome = _send(server, size)
        idle.append(before)
        peak.append(during)
    result.figures["api_upload"] = {
        "upload_mb": size // (1024 * 1024),
        "idle_rss_mb": idle,
        "peak_rss_mb": peak,
        "deposit": outcome,
    }
    if result.ratio("peak RSS of the API, during an upload ÷ idle", peak, idle, 1.5, "lower") > 1.5:
        result.notes.append(
            "The API's memory grew with the upload: some layer holds the body. Starlette spools "
            "multipart files to disk past 1 MB and the deposit streams in 1 MiB chunks; look for a "
            "read() of the whole file."
        )


def _send(server: Server, size: int) -> tuple[float, float, dict[str, Any]]:
    """Idle RSS after a first request, peak RSS during the upload, and the mutation's answer."""
    with httpx.Client(base_url=server.url, timeout=600) as client:
        client.post("/graphql", json={"query": "{ __typename }"}).raise_for_status()
        idle = proc_status_mb(server.pid, "VmRSS")
        boundary = uuid.uuid4().hex
        with PeakSampler(server.pid) as sampler:
            response = client.post(
                "/graphql",
                content=_multipart(boundary, size),
                # The custom header every multipart request needs (CSRF; see the README).
                headers={
                    "content-type": f"multipart/form-data; boundary={boundary}",
                    "X-Archive-Request": "1",
                },
            )
        peak = max(sampler.rss_mb, proc_status_mb(server.pid, "VmHWM"))
    return idle, peak, response.json()["data"]["depositRecord"]


def _multipart(boundary: str, size: int) -> Iterator[bytes]:
    """A GraphQL multipart request whose file part is generated as it is sent."""
    operations = {"query": DEPOSIT, "variables": {"file": None, "m": METADATA}}
    yield _field(boundary, "operations", operations)
    yield _field(boundary, "map", {"0": ["variables.file"]})
    yield (
        f'--{boundary}\r\nContent-Disposition: form-data; name="0"; filename="atlas.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode()
    yield from large_pdf_chunks(size)
    yield f"\r\n--{boundary}--\r\n".encode()


def _field(boundary: str, name: str, value: Any) -> bytes:
    body = json.dumps(value, ensure_ascii=False)
    return f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{body}\r\n'.encode()
