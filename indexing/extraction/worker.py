"""The sandbox worker: ``python -m indexing.extraction.worker REQUEST.json``.

It limits itself before touching the file (address space, CPU time, file size,
no core dumps, Pillow's pixel limit), then writes one JSON line per event to the
output file named in the request, flushing each, so whatever was read before a
crash or a kill survives. JSON, not pickle: the parent must not execute anything
a worker subverted by a hostile file could write.
"""

from __future__ import annotations

import base64
import json
import os
import resource
import signal
import sys
import time
import warnings
from pathlib import Path
from types import FrameType
from typing import IO, Any

import pypdfium2 as pdfium
from PIL import Image

from archive.domain.records import Page, TextSource
from indexing.extraction.limits import ExtractionLimits
from indexing.extraction.ocr import OcrFailed
from indexing.extraction.pipeline import (
    Event,
    Finished,
    LimitReached,
    PageCount,
    Thumbnail,
    extract_events,
)

# Grace between the soft CPU limit (SIGXCPU, caught) and the hard one (SIGKILL).
_CPU_GRACE_SECONDS = 2
_MAX_OUTPUT_BYTES = 512 << 20


def apply_limits(limits: ExtractionLimits) -> None:
    """Limit this process and the tesseract processes it starts (they inherit rlimits)."""
    memory = limits.memory_mb << 20
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    cpu = max(1, int(limits.cpu_seconds))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + _CPU_GRACE_SECONDS))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_FSIZE, (_MAX_OUTPUT_BYTES, _MAX_OUTPUT_BYTES))
    signal.signal(signal.SIGXCPU, _on_cpu_limit)
    Image.MAX_IMAGE_PIXELS = limits.max_image_pixels
    warnings.simplefilter("error", Image.DecompressionBombWarning)
    os.environ["OMP_THREAD_LIMIT"] = "1"


def _on_cpu_limit(signum: int, frame: FrameType | None) -> None:
    raise LimitReached("cpu_time", "CPU time limit reached")


def encode(event: Event) -> dict[str, Any]:
    """One event as a JSON-ready dict."""
    if isinstance(event, Page):
        return {
            "page": event.number,
            "text": event.text,
            "source": event.source.value,
            "confidence": event.confidence,
        }
    if isinstance(event, Thumbnail):
        return {"thumbnail": event.number, "png": base64.b64encode(event.png).decode("ascii")}
    if isinstance(event, PageCount):
        return {"page_count": event.count}
    assert isinstance(event, Finished)
    return {"finished": event.status.value, "limit_hit": event.limit_hit}


def run(path: Path, limits: ExtractionLimits, sink: IO[str]) -> None:
    """Extract ``path`` and write its events to ``sink``; failures become a last line."""

    def write(record: dict[str, Any]) -> None:
        sink.write(json.dumps(record, ensure_ascii=False) + "\n")
        sink.flush()

    try:
        started = time.monotonic()
        for event in extract_events(path, limits):
            record = encode(event)
            if isinstance(event, Page) and event.source is TextSource.OCR:
                # Since the previous event: this page's text read, render and OCR.
                record["seconds"] = round(time.monotonic() - started, 4)
            write(record)
            write({"memory_mb": peak_memory_mb()})
            started = time.monotonic()
    except LimitReached as error:
        write({"failed": str(error), "limit_hit": error.limit})
    except MemoryError:
        write({"failed": f"out of memory (limit {limits.memory_mb} MB)", "limit_hit": "memory"})
    except pdfium.PdfiumError as error:
        write({"failed": _pdf_error(error), "limit_hit": None})
    except OcrFailed as error:
        write({"failed": f"tesseract failed: {error}", "limit_hit": None})
    except (OSError, ValueError) as error:
        write({"failed": f"unreadable file: {error}", "limit_hit": None})


def peak_memory_mb() -> float:
    """This process's peak resident memory since exec (VmHWM).

    Not ``getrusage``: Linux carries the parent's peak over a fork and exec into the
    child's ``ru_maxrss``, so a worker started by a large process would look large.
    """
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def _pdf_error(error: pdfium.PdfiumError) -> str:
    if "password" in str(error).lower():
        return "encrypted PDF: the archive cannot read its text"
    return f"corrupt PDF: {error}"


def main(argv: list[str]) -> int:
    """Entry point: read the request, limit ourselves, extract."""
    request = json.loads(Path(argv[1]).read_text(encoding="utf-8"))
    limits = ExtractionLimits(**request["limits"])
    apply_limits(limits)
    with Path(request["output"]).open("w", encoding="utf-8") as sink:
        run(Path(request["path"]), limits, sink)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
