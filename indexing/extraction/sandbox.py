"""Run a document's extraction in a limited subprocess, and collect the outcome.

The worker is a child forked by this process's zygote (``indexing.extraction.zygote``),
which has the extraction modules imported already; or, when asked or when the zygote
fails twice in a row, a fresh interpreter (``indexing.extraction.worker``). Either
way it runs in its own process group, so a wall-clock kill also takes the tesseract
it may be running. It writes JSON lines to a temporary file; this side reads them
back and checks their shape, since they were produced while parsing a hostile file.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from archive.domain.records import Page, TextSource, TextStatus
from indexing.extraction.limits import ExtractionLimits, ExtractionOutcome, LimitHit
from indexing.extraction.zygote_client import (
    WorkerExit,
    ZygoteFailed,
    kill_group,
    run_in_zygote,
    start_zygote,
)

log = logging.getLogger(__name__)

_PROJECT_ROOT = Path(__file__).resolve().parents[2]
_POLL_SECONDS = 0.05
_LIMIT_NAMES: frozenset[str] = frozenset({"memory", "cpu_time", "wall_time", "page_cap", "pixels"})
# Native code (PDFium, tesseract) aborts when an allocation fails under RLIMIT_AS.
_OUT_OF_MEMORY_SIGNALS = frozenset({signal.SIGABRT, signal.SIGSEGV, signal.SIGBUS})


@dataclass(slots=True)
class _Collected:
    pages: list[Page] = field(default_factory=list)
    thumbnails: dict[int, bytes] = field(default_factory=dict)
    page_count: int | None = None
    status: TextStatus | None = None
    limit_hit: LimitHit | None = None
    error: str | None = None
    peak_memory_mb: float | None = None
    ocr_page_seconds: list[float] = field(default_factory=list)


def extract_document(
    path: Path, limits: ExtractionLimits = ExtractionLimits(), *, fresh_interpreter: bool = False
) -> ExtractionOutcome:
    """Extract the text (and thumbnails) of a document in a sandboxed subprocess.

    Never raises for a bad file: a corrupt, hostile or oversized document ends in
    an outcome with status FAILED, a ``limit_hit`` and an ``error``.

    Args:
        path: the document on local disk (PDF, PNG, JPEG or TIFF).
        limits: memory, CPU, wall-clock, page and pixel limits, and what to extract.
        fresh_interpreter: start a new interpreter for this document instead of
            forking it from the zygote: slower (~0.2-0.4 s of imports), the same outcome.

    Returns:
        The pages read, thumbnails, the text status and the limit hit, if any.
    """
    with tempfile.TemporaryDirectory(prefix="extract-") as workdir:
        request = Path(workdir) / "request.json"
        output = Path(workdir) / "output.jsonl"
        request.write_text(
            json.dumps(
                {
                    "path": str(path.resolve()),
                    "output": str(output),
                    "limits": dataclasses.asdict(limits),
                }
            ),
            encoding="utf-8",
        )
        finished = _run(request, Path(workdir), limits, fresh_interpreter)
        collected = _read_output(output)
        if collected.status is None and collected.error is None:
            collected.error = _last_line(Path(workdir) / "stderr.txt")
    return _outcome(collected, finished, limits)


def _run(request: Path, workdir: Path, limits: ExtractionLimits, fresh_interpreter: bool) -> WorkerExit:
    stderr = workdir / "stderr.txt"
    if not fresh_interpreter:
        stderr.touch()
        try:
            return run_in_zygote(request, workdir, stderr, limits.wall_seconds, _worker_env())
        except ZygoteFailed as error:
            log.warning("extracting in a fresh interpreter: %s", error)
    return _run_worker(request, workdir, limits)


def warm_up() -> None:
    """Start the extraction zygote ahead of the first document (worker start-up)."""
    start_zygote(_worker_env())


def _last_line(stderr: Path) -> str | None:
    """The worker's last words (a traceback's last line), to explain an unexpected exit."""
    lines = stderr.read_bytes()[-2000:].decode("utf-8", "replace").strip().splitlines()
    return f"the extraction worker failed: {lines[-1]}" if lines else None


def _worker_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(_PROJECT_ROOT), env.get("PYTHONPATH", "")) if p)
    env["OMP_THREAD_LIMIT"] = "1"
    env["MALLOC_ARENA_MAX"] = "2"  # fewer malloc arenas: less address space under RLIMIT_AS
    # No OpenBLAS thread pool (numpy starts one on import): the zygote must have no
    # thread when it forks, and every core already runs a worker.
    env["OPENBLAS_NUM_THREADS"] = "1"
    return env


def _run_worker(request: Path, workdir: Path, limits: ExtractionLimits) -> WorkerExit:
    with (workdir / "stderr.txt").open("wb") as stderr:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "indexing.extraction.worker", str(request)],
            cwd=workdir,
            env=_worker_env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            start_new_session=True,  # its own process group, tesseract included
        )
        return _wait(process, time.monotonic() + limits.wall_seconds)


def _wait(process: subprocess.Popen[bytes], deadline: float) -> WorkerExit:
    killed = False
    # WNOWAIT leaves the exited worker a zombie, which keeps its process-group id
    # reserved until the group has been killed: no stranger can be hit.
    while os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is None:
        if time.monotonic() >= deadline and not killed:
            kill_group(process.pid)
            killed = True
        time.sleep(_POLL_SECONDS)
    kill_group(process.pid)  # leftovers: a tesseract the worker did not wait for
    # os.wait4 rather than Popen.wait: it also gives the peak memory and CPU time.
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return WorkerExit(
        status=process.returncode,
        killed_at_deadline=killed,
        cpu_seconds=round(usage.ru_utime + usage.ru_stime, 2),
    )


def _read_output(output: Path) -> _Collected:
    collected = _Collected()
    if not output.exists():
        return collected
    with output.open(encoding="utf-8", errors="replace") as lines:
        for line in lines:
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                break  # the last line, cut short by a kill
            if isinstance(record, dict):
                _absorb(collected, record)
    return collected


def _absorb(collected: _Collected, record: dict[str, Any]) -> None:
    try:
        if "page" in record:
            collected.pages.append(_page(record))
            if "seconds" in record:
                collected.ocr_page_seconds.append(float(record["seconds"]))
        elif "thumbnail" in record:
            png = base64.b64decode(str(record["png"]), validate=True)
            collected.thumbnails[int(record["thumbnail"])] = png
        elif "memory_mb" in record:
            collected.peak_memory_mb = max(collected.peak_memory_mb or 0.0, float(record["memory_mb"]))
        elif "page_count" in record:
            collected.page_count = int(record["page_count"])
        elif "finished" in record:
            collected.status = TextStatus(record["finished"])
            collected.limit_hit = _limit(record.get("limit_hit"))
        elif "failed" in record:
            collected.error = str(record["failed"])
            collected.limit_hit = _limit(record.get("limit_hit"))
    except (KeyError, TypeError, ValueError, binascii.Error):
        collected.error = collected.error or "the extraction worker wrote a malformed result"


def _page(record: dict[str, Any]) -> Page:
    confidence = record.get("confidence")
    return Page(
        number=int(record["page"]),
        text=str(record["text"]),
        source=TextSource(record["source"]),
        confidence=None if confidence is None else float(confidence),
    )


def _limit(value: object) -> LimitHit | None:
    if value in _LIMIT_NAMES:
        return value  # type: ignore[return-value]
    return None


def _outcome(collected: _Collected, exit_: WorkerExit, limits: ExtractionLimits) -> ExtractionOutcome:
    status, limit_hit, error = collected.status, collected.limit_hit, collected.error
    if exit_.killed_at_deadline:
        status, limit_hit = None, "wall_time"
        error = f"extraction took longer than {limits.wall_seconds} s and was stopped"
    elif status is None and (error is None or exit_.status < 0):
        limit_hit, error = _crash_reason(exit_.status, limits)
    if status is None or error is not None:
        status = TextStatus.FAILED
    return ExtractionOutcome(
        pages=tuple(sorted(collected.pages, key=lambda p: p.number)),
        thumbnails=collected.thumbnails,
        status=status,
        limit_hit=limit_hit,
        error=error,
        page_count=collected.page_count,
        peak_memory_mb=collected.peak_memory_mb,
        cpu_seconds=exit_.cpu_seconds,
        ocr_page_seconds=tuple(collected.ocr_page_seconds),
    )


def _crash_reason(code: int, limits: ExtractionLimits) -> tuple[LimitHit | None, str]:
    if code >= 0:
        return None, f"the extraction worker exited with status {code} and no result"
    signum = -code
    name = signal.Signals(signum).name if signum in signal.valid_signals() else str(signum)
    if signum in (signal.SIGXCPU, signal.SIGKILL):
        return "cpu_time", f"CPU time limit of {limits.cpu_seconds} s reached ({name})"
    if signum in _OUT_OF_MEMORY_SIGNALS:
        return "memory", f"the worker died ({name}), out of memory under {limits.memory_mb} MB"
    return None, f"the extraction worker died ({name})"
