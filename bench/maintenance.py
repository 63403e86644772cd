"""Maintenance at scale: a retention rule change that recomputes every record, and
reconcile over the database, the blob store and the index, at N records against N/100.

Both stream (keyset pages, and sorted streams walked side by side for reconcile), so
their peak memory should not grow with the archive. Each operation runs in a fresh
process (``python -m bench.maintenance OP DATA_DIR``) whose own VmHWM is its peak:
the parent's loading of the corpus never counts. Records are synthetic (rows by SQL,
documents bulk-loaded into FTS5, one small object each in the local blob store),
embedded stack. Three repeats at each size; each rule change extends every record's
period by one more year, so every repeat recomputes and re-seals every record.
Target: peak RSS at N ÷ at N/100 ≤ 1.5 for each operation.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench import synthetic
from bench.harness import Context, Result, proc_status_mb
from bench.stack import embedded_settings

NAME = "maintenance"
OPERATIONS = ("reconcile", "recompute")
BLOB = b"%PDF-1.7 synthetic\n"


def run(ctx: Context) -> Result:
    result = Result(NAME)
    small, large = ctx.size((20, 2_000), (1_000, 100_000))
    runs: dict[str, dict[int, list[dict[str, float]]]] = {op: {small: [], large: []} for op in OPERATIONS}
    for count in (small, large):
        data_dir = ctx.workdir / f"data{count}"
        asyncio.run(_load(data_dir, count))
        for repeat in range(3):
            for op in OPERATIONS:
                runs[op][count].append(_child(op, data_dir, repeat))
    result.figures = {op: {f"{n:,} records": v for n, v in by_size.items()} for op, by_size in runs.items()}
    for op in OPERATIONS:
        result.ratio(
            f"peak RSS of {op}, {large:,} ÷ {small:,} records",
            [r["peak_mb"] for r in runs[op][large]],
            [r["peak_mb"] for r in runs[op][small]],
            1.5,
            "lower",
        )
    result.notes.append(
        "Peak RSS is the child's own VmHWM, interpreter and imports included (about 100 MB of it "
        "before any record is read), so the ratio shows growth with the archive, not the floor. "
        "Time per record is in the figures (ms_per_record). A rule change holds the write "
        "transaction for the whole recompute; on SQLite that keeps other writers waiting."
    )
    return result


async def _load(data_dir: Path, count: int) -> None:
    from archive.factory import build_services

    services = await asyncio.to_thread(build_services, embedded_settings(data_dir), migrate=True)
    try:
        await services.index.ensure_ready()
        for batch in synthetic.batches(synthetic.records(count, seed=7), 2_000):
            await asyncio.to_thread(synthetic.insert_rows, synthetic.engine_of(services), batch)
            await services.index.upsert_many(s.document for s in batch)
            await asyncio.to_thread(_put_blobs, services, [str(s.row["storage_key"]) for s in batch])
    finally:
        await services.close()


def _put_blobs(services: Any, keys: list[str]) -> None:
    digest = hashlib.sha256(BLOB).hexdigest()
    for key in keys:
        services.blobs.put(key, io.BytesIO(BLOB), size=len(BLOB), sha256=digest, media_type="application/pdf")


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
    from archive.services.reconcile import reconcile

    services = build_services(embedded_settings(data_dir))
    admin = Principal("local:bench", frozenset({Role.ADMIN}), clearance=Classification.TOP_SECRET)
    started = time.perf_counter()
    try:
        if op == "recompute":
            rule = RetentionRule("ALL", "Mọi văn bản", 10 + repeat)
            touched = retention.change_rules(services, admin, upserts=[rule]).recomputed
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
