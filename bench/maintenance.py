"""Maintenance at scale: a retention rule change that recomputes and re-seals every record,
reconcile over the database, the blob store and the index, and fixity (re-hash every
object, then find unreferenced ones), at N records against N/100.

All three stream (keyset pages, and sorted streams walked side by side for the object
comparisons), so their peak memory should not grow with the archive. Each operation runs
in a fresh process (``python -m bench.maintenance OP DATA_DIR``) whose own VmHWM is its
peak: the parent's loading of the corpus never counts. Records are synthetic (rows and
their ``record_files`` row by SQL, documents bulk-loaded into FTS5, one small object each
written straight into the local blob store's directory), embedded stack; the corpus of
each size is loaded once. Three repeats of every operation at each size; each rule change
extends every record's period by one more year, so every repeat recomputes and re-seals
every record. Target: peak RSS at N ÷ at N/100 ≤ 1.5 for each operation.

``ARCHIVE_BENCH_DEADLINE`` (an ISO date-time) skips a run of an operation that, timed like
its last run, would end after it; the note then says how many repeats ran, and a ratio
with fewer than three is left out rather than padded.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import synthetic
from bench.harness import MIN_REPEATS, Context, Result, proc_status_mb
from bench.stack import embedded_settings

NAME = "maintenance"
OPERATIONS = ("reconcile", "fixity", "recompute")  # the cheap ones first: a deadline cuts the last
REPEATS = 3
BLOB = b"%PDF-1.7 synthetic "  # + the record id: each object distinct (duplicates are refused)
_BATCH = 5_000  # records loaded per SQL statement, FTS5 bulk call and blob directory pass

Runs = dict[str, dict[int, list[dict[str, float]]]]


def run(ctx: Context) -> Result:
    result = Result(NAME)
    small, large = ctx.size((20, 2_000), (10_000, 1_000_000))
    runs: Runs = {op: {small: [], large: []} for op in OPERATIONS}
    loads: dict[int, dict[str, float]] = {}
    deadline, last = _deadline(), dict.fromkeys(OPERATIONS, 0.0)
    for count in (small, large):
        data_dir = ctx.workdir / f"data{count}"
        loads[count] = asyncio.run(_load(data_dir, count))
        for repeat in range(REPEATS):
            for op in OPERATIONS:
                if deadline is not None and time.time() + last[op] > deadline:
                    continue  # timed like its last run, this one would end after the deadline
                started = time.monotonic()
                runs[op][count].append(_child(op, data_dir, repeat))
                last[op] = time.monotonic() - started
    result.figures = {op: {f"{n:,} records": v for n, v in by_size.items()} for op, by_size in runs.items()}
    result.figures["load"] = {f"{n:,} records": v for n, v in loads.items()}
    for op in OPERATIONS:
        name = f"peak RSS of {op}, {large:,} ÷ {small:,} records"
        pairs = min(len(runs[op][large]), len(runs[op][small]))
        if pairs < MIN_REPEATS:
            result.notes.append(
                f"{name}: not judged, only {pairs} repeat(s) at {large:,} before the deadline."
            )
            continue
        result.ratio(
            name,
            [r["peak_mb"] for r in runs[op][large][:pairs]],
            [r["peak_mb"] for r in runs[op][small][:pairs]],
            1.5,
            "lower",
        )
    result.notes.append(_note(runs, loads, small, large))
    return result


def _note(runs: Runs, loads: dict[int, dict[str, float]], small: int, large: int) -> str:
    """Time per record of each operation at both sizes and the load, from the figures."""
    per_op = "; ".join(
        f"{op} {_spread(runs[op][small])} ms at {small:,} and {_spread(runs[op][large])} ms at {large:,} "
        f"({len(runs[op][large])} repeat(s))"
        for op in OPERATIONS
    )
    load = "; ".join(
        f"{n:,} records in {v['seconds']:,.0f} s ({v['ms_per_record']:.3f} ms a record: rows "
        f"{v['rows_s']:,.0f} s, FTS5 {v['index_s']:,.0f} s, blob files {v['blobs_s']:,.0f} s)"
        for n, v in loads.items()
    )
    return (
        f"Time per record (median, min–max over the repeats): {per_op}. Loading the corpus, once "
        f"per size: {load}. Peak RSS is the child's own VmHWM, interpreter and imports included "
        "(about 100 MB of it before any record is read), so the ratio shows growth with the "
        "archive, not the floor. A rule change re-seals every object: the local store writes "
        "each new sidecar under a temp name and makes a page durable with two syncfs calls "
        "(before and after the renames) rather than two fsyncs an object. Fixity re-reads and "
        "re-hashes every object. A rule change holds the write transaction for the whole "
        "recompute; on SQLite that keeps other writers waiting."
    )


def _spread(repeats: list[dict[str, float]]) -> str:
    values = [r["ms_per_record"] for r in repeats]
    if not values:
        return "–"
    return f"{statistics.median(values):.3f} ({min(values):.3f}–{max(values):.3f})"


def _deadline() -> float | None:
    raw = os.environ.get("ARCHIVE_BENCH_DEADLINE")
    if not raw:
        return None
    moment = datetime.fromisoformat(raw)
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


async def _load(data_dir: Path, count: int) -> dict[str, float]:
    """Rows, FTS5 documents and blob files of ``count`` records; the seconds each took."""
    from archive.factory import build_services

    services = await asyncio.to_thread(build_services, embedded_settings(data_dir), migrate=True)
    spent = {"rows_s": 0.0, "index_s": 0.0, "blobs_s": 0.0}
    started = time.perf_counter()
    try:
        await services.index.ensure_ready()
        files = _BlobFiles(services.settings.blob_dir)
        engine = synthetic.engine_of(services)
        for batch in synthetic.batches(synthetic.records(count, seed=7), _BATCH):
            batch = [_with_blob(s) for s in batch]
            spent["rows_s"] += await asyncio.to_thread(_timed, _insert, engine, batch)
            clock = time.perf_counter()
            await services.index.upsert_many(s.document for s in batch)
            spent["index_s"] += time.perf_counter() - clock
            spent["blobs_s"] += await asyncio.to_thread(_timed, files.write, batch)
    finally:
        await services.close()
    seconds = time.perf_counter() - started
    return {
        "seconds": round(seconds, 1),
        "ms_per_record": round(1000 * seconds / count, 3),
        **{k: round(v, 1) for k, v in spent.items()},
    }


def _blob(record: synthetic.Synthetic) -> bytes:
    return BLOB + str(record.row["id"]).encode()


def _blob(record: synthetic.Synthetic) -> bytes:
    return BLOB + str(record.row["id"]).encode()


def _with_blob(record: synthetic.Synthetic) -> synthetic.Synthetic:
    """The record naming the real digest and size of its object, so fixity finds it ok."""
    data = _blob(record)
    return dataclasses.replace(
        record, row={**record.row, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
    )


def _insert(engine: Any, batch: list[synthetic.Synthetic]) -> None:
    synthetic.insert_rows(engine, batch)
    synthetic.insert_files(engine, batch)


def _timed(function: Any, *args: Any) -> float:
    started = time.perf_counter()
    function(*args)
    return time.perf_counter() - started


class _BlobFiles:
    """Objects written straight into a local blob directory, in the store's own layout
    (bytes under ``data/``, the JSON sidecar under ``meta/``), without a put's fsyncs:
    a corpus to measure maintenance on, loaded in minutes rather than hours."""

    def __init__(self, root: Path) -> None:
        self._root = root
        self._created = datetime.now(UTC).isoformat()
        self._made: set[Path] = set()

    def write(self, batch: list[synthetic.Synthetic]) -> None:
        from storage.local import _Sidecar

        for record in batch:
            key, data = str(record.row["storage_key"]), _blob(record)
            sidecar = _Sidecar(str(record.row["sha256"]), len(data), "application/pdf", self._created)
            self._file(self._root / "data" / key, data)
            self._file(self._root / "meta" / f"{key}.json", sidecar.to_json().encode())

    def _file(self, path: Path, data: bytes) -> None:
        if path.parent not in self._made:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._made.add(path.parent)
        path.write_bytes(data)


def _child(op: str, data_dir: Path, repeat: int) -> dict[str, float]:
    command = [sys.executable, "-m", "bench.maintenance", op, str(data_dir), str(repeat)]
    completed = subprocess.run(command, capture_output=True, text=True, check=True, timeout=3600)
    return dict(json.loads(completed.stdout.strip().splitlines()[-1]))


def _operate(op: str, data_dir: Path, repeat: int) -> dict[str, float]:
    """Run one operation in this (fresh) process; its figures, peak RSS included."""
    from archive.domain.access import Principal, Role
    from archive.domain.records import Classification
    from archive.domain.retention import RetentionRule
    from archive.factory import build_services
    from archive.services import retention
    from archive.services.fixity import run_fixity
    from archive.services.reconcile import reconcile

    services = build_services(embedded_settings(data_dir))
    admin = Principal("local:bench", frozenset({Role.ADMIN}), clearance=Classification.TOP_SECRET)
    started = time.perf_counter()
    try:
        if op == "recompute":
            rule = RetentionRule("ALL", "Mọi văn bản", 10 + repeat)
            touched = retention.change_rules(services, admin, upserts=[rule]).recomputed
        elif op == "fixity":
            checked = run_fixity(services, restart=True, batch_size=1_000, actor="system:bench")
            problems = len(checked.changed) + len(checked.missing) + len(checked.unreferenced)
            touched = checked.ok if not problems else -problems  # every object intact, or what was not
        else:
            report = asyncio.run(reconcile(services))
            touched = len(report.reindexed) + len(report.missing_objects) + len(report.unreferenced_objects)
        seconds = time.perf_counter() - started
        records = synthetic.engine_of(services)
        with records.connect() as connection:
            total = int(connection.exec_driver_sql("SELECT count(*) FROM records").scalar_one())
    finally:
        asyncio.run(services.close())
    return {
        "peak_mb": proc_status_mb("self", "VmHWM"),
        "seconds": round(seconds, 2),
        "ms_per_record": round(1000 * seconds / max(total, 1), 3),
        "touched": touched,
    }


if __name__ == "__main__":
    print(json.dumps(_operate(sys.argv[1], Path(sys.argv[2]), int(sys.argv[3]))))
