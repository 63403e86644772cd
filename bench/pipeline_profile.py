"""Where a born-digital document's time goes in the pipeline: each step of each job
timed in one process, and a cProfile of the same drain (the ``textlayer`` suite's note).

In-process and one worker, on purpose: a profile of one process is readable, and the
per-step split does not depend on how many workers share the machine.
"""

from __future__ import annotations

import asyncio
import cProfile
import io
import pstats
import tempfile
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path
from typing import Any

from archive.domain.jobs import Step
from archive.factory import build_services
from archive.services import pipeline, worker
from archive.services.container import Services
from archive.settings import Settings
from indexing.extraction import ExtractionLimits, extract_document
from indexing.extraction.zygote import _warm_pdf

TOP = 12  # functions listed from the profile
# Calls timed inside the steps (cProfile sees only the event loop's thread; these run in
# worker threads). Per document: total time of all calls ÷ documents.
PIPELINE_PARTS = (
    "extract_document",
    "_download",
    "_verify_copy",
    "load_trust_roots",
    "seal",
    "index_document_of",
)
RESULT_PARTS = ("replace_thumbnails", "save_extraction", "replace_signatures")


def profile_drain(settings: Settings) -> dict[str, Any]:
    """Drain the queue once under cProfile, timing every step; per-document figures."""
    timings: dict[str, list[float]] = defaultdict(list)
    steps = dict(pipeline.STEPS)
    for step, runner in steps.items():
        pipeline.STEPS[step] = _timed(step, runner, timings)
    profiler = cProfile.Profile()
    _zygote_serving()
    restore = _time_parts(pipeline, PIPELINE_PARTS, timings)
    try:
        services = build_services(settings)
        restore += _time_parts(services.records, ("get", "set_pages"), timings, "records.")
        restore += _time_parts(services.results, RESULT_PARTS, timings, "results.")
        restore += _time_parts(services.jobs, ("claim", "step_done", "complete"), timings, "jobs.")
        started = time.perf_counter()
        profiler.enable()
        jobs = asyncio.run(_drain(services))
        profiler.disable()
        seconds = time.perf_counter() - started
    finally:
        pipeline.STEPS.update(steps)
        for undo in restore:
            undo()
    per_step = {name: round(1000 * sum(values) / max(jobs, 1), 1) for name, values in timings.items()}
    steps_total = sum(v for k, v in per_step.items() if k in {s.value for s in Step})
    return {
        "documents": jobs,
        "ms_per_document": round(1000 * seconds / max(jobs, 1), 1),
        "ms_per_document_by_step": per_step,
        "ms_per_document_outside_steps": round(1000 * seconds / max(jobs, 1) - steps_total, 1),
        "top_cumulative": _top(profiler, jobs),
    }


def _zygote_serving() -> None:
    """Start the extraction zygote and wait until it has served once: per-document figures
    are those of a worker already running (its start-up is the ``scaling`` suite's)."""
    with tempfile.TemporaryDirectory(prefix="bench-profile-") as scratch:
        path = Path(scratch) / "warm.pdf"
        path.write_bytes(_warm_pdf())
        extract_document(path, ExtractionLimits(ocr=False))


async def _drain(services: Services) -> int:
    try:
        return await worker.drain(services, "bench:profile")
    finally:
        await services.close()


def _timed(
    step: Step, runner: Callable[[Services, Any], Awaitable[None]], timings: dict[str, list[float]]
) -> Callable[[Services, Any], Awaitable[None]]:
    async def timed(services: Services, record: Any) -> None:
        started = time.perf_counter()
        await runner(services, record)
        timings[step.value].append(time.perf_counter() - started)

    return timed


def _time_parts(
    owner: Any, names: tuple[str, ...], timings: dict[str, list[float]], prefix: str = ""
) -> list[Callable[[], None]]:
    """Replace each named callable of ``owner`` by a timed one; returns the undo calls."""
    undo: list[Callable[[], None]] = []
    for name in names:
        original = getattr(owner, name, None)
        if original is None:
            continue

        def timed(*args: Any, _original: Any = original, _key: str = prefix + name, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return _original(*args, **kwargs)
            finally:
                timings[_key].append(time.perf_counter() - started)

        setattr(owner, name, timed)
        undo.append(partial(setattr, owner, name, original))
    return undo


def _top(profiler: cProfile.Profile, jobs: int) -> list[str]:
    """The functions with the most cumulative time, as ms per document."""
    stream = io.StringIO()
    stats = pstats.Stats(profiler, stream=stream)
    rows = []
    for (filename, line, name), (_, _, _, cumulative, _) in stats.stats.items():  # type: ignore[attr-defined]
        if "archive" in filename or "indexing" in filename or "storage" in filename:
            short = filename.split("site-packages/")[-1].split("/perf/")[-1]
            rows.append((cumulative, f"{short}:{line}({name})"))
    rows.sort(reverse=True)
    return [f"{1000 * c / max(jobs, 1):.1f} ms {where}" for c, where in rows[:TOP]]
