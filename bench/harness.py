"""What every suite shares: timing, ratios, the environment, CLI pools, JSON results.

Machines here are shared and noisy, so a suite never reports a bare duration as
its verdict: it measures a baseline on the same data in the same run and reports
the RATIO, with the target it is judged against.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, Literal

Better = Literal["higher", "lower"]


@dataclass
class Context:
    """What a suite is given: the size to run at, a scratch folder, where results go."""

    quick: bool
    workdir: Path
    out: Path

    def size(self, quick: Any, full: Any) -> Any:
        return quick if self.quick else full


@dataclass
class Result:
    """One suite's figures, ratios (each with its target) and notes, as written to JSON."""

    suite: str
    figures: dict[str, Any] = field(default_factory=dict)
    ratios: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    skipped: str | None = None

    def ratio(
        self,
        name: str,
        values: Sequence[float] | float,
        baselines: Sequence[float] | float,
        target: float | None,
        better: Better,
    ) -> float:
        """Record ``values[i] / baselines[i]``, one ratio per repeat measured side by side,
        against ``target`` (None: reported, not judged) and return their median.

        The verdict is the median; min and max show the spread. Fewer than
        ``MIN_REPEATS`` pairs is a bug in the suite, not a figure. Two bare numbers
        are for a deterministic figure only (a relevance score, a byte count: the same
        on every run), recorded as exact; never for a timing.
        """
        if isinstance(values, int | float) and isinstance(baselines, int | float):
            return self._exact(name, float(values), float(baselines), target, better)
        assert not isinstance(values, int | float) and not isinstance(baselines, int | float)
        if len(values) != len(baselines) or len(values) < MIN_REPEATS:
            raise ValueError(
                f"{name}: need {MIN_REPEATS}+ paired repeats, got {len(values)}/{len(baselines)}"
            )
        ratios = [v / b if b else float("inf") for v, b in zip(values, baselines, strict=True)]
        r = statistics.median(ratios)
        met = None if target is None else (r >= target if better == "higher" else r <= target)
        self.ratios.append(
            {
                "name": name,
                "ratio": round(r, 3),
                "min": round(min(ratios), 3),
                "max": round(max(ratios), 3),
                "repeats": len(ratios),
                "target": target,
                "better": better,
                "met": met,
                "value": _round(statistics.median(values)),
                "baseline": _round(statistics.median(baselines)),
            }
        )
        return r

    def _exact(self, name: str, value: float, baseline: float, target: float | None, better: Better) -> float:
        r = value / baseline if baseline else float("inf")
        met = None if target is None else (r >= target if better == "higher" else r <= target)
        self.ratios.append(
            {
                "name": name,
                "ratio": round(r, 3),
                "exact": True,
                "repeats": 1,
                "target": target,
                "better": better,
                "met": met,
                "value": _round(value),
                "baseline": _round(baseline),
            }
        )
        return r


MIN_REPEATS = 3


def _round(value: float) -> float:
    return round(value, 4 if abs(value) < 10 else 1)


def percentile(samples: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100), linear between the closest ranks."""
    ordered = sorted(samples)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * q / 100
    low, high = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def summarize(samples: Sequence[float]) -> dict[str, float]:
    """Count, median (= p50), p95, p99, min and max, in the samples' unit."""
    return {
        "n": len(samples),
        "p50": round(statistics.median(samples), 6),
        "p95": round(percentile(samples, 95), 6),
        "p99": round(percentile(samples, 99), 6),
        "min": round(min(samples), 6),
        "max": round(max(samples), 6),
    }


def timed(fn: Callable[[], object]) -> float:
    """Seconds ``fn()`` took, by ``perf_counter``."""
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def repeat(fn: Callable[[], object], repeats: int, warmup: int = 1) -> list[float]:
    """Durations of ``repeats`` calls after ``warmup`` untimed ones."""
    for _ in range(warmup):
        fn()
    return [timed(fn) for _ in range(repeats)]


def run_commands(
    commands: Sequence[Sequence[str]], processes: int, env: dict[str, str] | None = None
) -> float:
    """Seconds to run every command, at most ``processes`` at a time (a CLI baseline)."""

    def one(command: Sequence[str]) -> None:
        subprocess.run(command, check=True, capture_output=True, env=env)

    started = time.perf_counter()
    with ThreadPoolExecutor(processes) as pool:
        list(pool.map(one, commands))
    return time.perf_counter() - started


def single_thread_env() -> dict[str, str]:
    """Our environment with tesseract's OpenMP threads limited to one, as the worker runs it."""
    return {**os.environ, "OMP_THREAD_LIMIT": "1"}


# --- environment -------------------------------------------------------------------

_LIBRARIES = (
    "strawberry-graphql",
    "starlette",
    "uvicorn",
    "httpx",
    "elasticsearch",
    "sqlmodel",
    "sqlalchemy",
    "psycopg",
    "pdfplumber",
    "pypdfium2",
    "pytesseract",
    "tesserocr",
    "pillow",
    "pyhanko",
)


LOADED = 1.0  # a 1-minute load average above this before a suite starts flags its figures


def load_before() -> dict[str, Any]:
    """The load average as a suite starts, and whether it is too high to trust a ratio alone."""
    one, five, fifteen = os.getloadavg()
    return {"load_average": [round(one, 2), round(five, 2), round(fifteen, 2)], "loaded": one > LOADED}


def environment(elasticsearch_server: str | None = None) -> dict[str, Any]:
    """Library versions, tools, Python, CPU, cores, RAM and load (as it ends), for the results."""
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "ram_gb": _ram_gb(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "libraries": {name: _version(name) for name in _LIBRARIES},
        "tesseract": _first_line(["tesseract", "--version"]),
        "pdftotext": _first_line(["pdftotext", "-v"]),
        "elasticsearch_server": elasticsearch_server,
    }


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _cpu_model() -> str:
    text = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    found = re.search(r"^model name\s*:\s*(.+)$", text, re.MULTILINE)
    return found.group(1).strip() if found else platform.processor()


def _ram_gb() -> float | None:
    text = Path("/proc/meminfo").read_text() if Path("/proc/meminfo").exists() else ""
    found = re.search(r"^MemTotal:\s+(\d+) kB", text, re.MULTILINE)
    return round(int(found.group(1)) / 1024 / 1024, 1) if found else None


def _first_line(command: list[str]) -> str | None:
    if shutil.which(command[0]) is None:
        return None
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    lines = (done.stdout or done.stderr).strip().splitlines()
    return lines[0] if lines else None


# --- memory ------------------------------------------------------------------------


# ru_maxrss is no good for a process started with fork/vfork + exec: Linux carries the
# parent's high-water mark over the exec. VmHWM in /proc belongs to the new image alone.


def proc_status_mb(pid: int | str, field_name: str) -> float:
    """``VmRSS`` (now) or ``VmHWM`` (peak) of a live process, in MB; 0 when it is gone."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    found = re.search(rf"^{field_name}:\s+(\d+) kB", text, re.MULTILINE)
    return round(int(found.group(1)) / 1024, 1) if found else 0.0


def child_pids(pid: int) -> list[int]:
    """The live children of ``pid`` (every thread's), from /proc."""
    found: list[int] = []
    try:
        tasks = list(Path(f"/proc/{pid}/task").glob("*/children"))
    except (FileNotFoundError, ProcessLookupError):
        return found  # it exited while we looked
    for children in tasks:
        try:
            found += [int(c) for c in children.read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return found


class PeakSampler:
    """Samples, in a thread, the peak VmHWM of ``pid``'s descendants and its own VmRSS.

    ``children_mb`` is the extraction sandbox (a child forked by the zygote, or a
    fresh worker interpreter), ``grandchildren_mb`` the tesseract it runs. The zygote
    itself is left out: its peak is its imports', whatever the document.
    """

    def __init__(self, pid: int, interval: float = 0.02) -> None:
        self.pid, self.interval = pid, interval
        self.children_mb = self.grandchildren_mb = self.rss_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> PeakSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.rss_mb = max(self.rss_mb, proc_status_mb(self.pid, "VmRSS"))
            for child in child_pids(self.pid):
                if _is_zygote(child):
                    self._sample(child_pids(child))
                else:
                    self._sample([child])

    def _sample(self, sandboxes: list[int]) -> None:
        for sandbox in sandboxes:
            self.children_mb = max(self.children_mb, proc_status_mb(sandbox, "VmHWM"))
            for tesseract in child_pids(sandbox):
                self.grandchildren_mb = max(self.grandchildren_mb, proc_status_mb(tesseract, "VmHWM"))


def _is_zygote(pid: int) -> bool:
    try:
        return b"indexing.extraction.zygote" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except (FileNotFoundError, ProcessLookupError):
        return False


# --- results -----------------------------------------------------------------------


def write_result(
    out: Path,
    result: Result,
    *,
    quick: bool,
    seconds: float,
    env: dict[str, Any],
    before: dict[str, Any],
) -> Path:
    """``out/<suite>.json``: the result, how it was run (the load as it started), and on what."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{result.suite}.json"
    body = {
        "suite": result.suite,
        "quick": quick,
        "seconds": round(seconds, 1),
        "load_before": before["load_average"],
        "loaded": before["loaded"],
        "skipped": result.skipped,
        "ratios": result.ratios,
        "figures": result.figures,
        "notes": result.notes,
        "environment": env,
    }
    path.write_text(json.dumps(body, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


def read_results(out: Path) -> list[dict[str, Any]]:
    """Every suite's JSON in ``out`` that this harness wrote (it has a ``ratios`` list)."""
    results = []
    for path in sorted(out.glob("*.json")):
        body = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(body, dict) and "ratios" in body:
            results.append(body)
    return results
