"""The archive itself, as the suites run it: embedded settings in a scratch folder,
a corpus deposited through ``archive.services.deposit``, and worker processes
timed from the moment they are all ready until the queue is empty."""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from archive.factory import build_services
from archive.importer import parse_row, read_manifest
from archive.services.deposit import deposit
from archive.services.identity import local_operator
from archive.services.worker import drain
from archive.settings import Settings
from bench.corpus import Corpus
from bench.harness import PeakSampler, proc_status_mb


def embedded_settings(data_dir: Path, **overrides: Any) -> Settings:
    """SQLite, a local blob directory and FTS5 under ``data_dir``; no ``.env`` read."""
    return Settings(_env_file=None, data_dir=data_dir, embedded_worker=False, **overrides)  # type: ignore[call-arg]


def settings_env(settings: Settings) -> dict[str, str]:
    """``ARCHIVE_*`` variables that rebuild ``settings`` in another process (``archive serve``)."""
    env = {}
    for name, value in settings.model_dump().items():
        if value is None:
            continue
        raw = (
            value.get_secret_value() if hasattr(value, "get_secret_value") else getattr(value, "value", value)
        )
        env[f"ARCHIVE_{name.upper()}"] = str(raw).lower() if isinstance(raw, bool) else str(raw)
    return env


def deposit_corpus(settings: Settings, corpus: Corpus) -> float:
    """Deposit every file of the corpus (jobs pending, none processed); returns the
    seconds the deposits took, the database migrations before them excluded."""
    services = build_services(settings, migrate=True)
    # Create the index now, as the first start of the service does: N workers starting at
    # once on a fresh SQLite index race on PRAGMA journal_mode=WAL ("database is locked").
    asyncio.run(services.index.ensure_ready())
    try:
        started = time.perf_counter()
        for row in read_manifest(corpus.manifest):
            with (corpus.directory / row["file"]).open("rb") as handle:
                deposit(
                    services, local_operator("bench"), handle, filename=row["file"], metadata=parse_row(row)
                )
        return time.perf_counter() - started
    finally:
        asyncio.run(services.close())


def copy_data_dir(template: Settings, target: Path) -> Settings:
    """The same archive, copied, so each run starts from the same pending queue."""
    shutil.copytree(template.data_dir, target)
    return template.model_copy(update={"data_dir": target})


@dataclass(frozen=True)
class DrainRun:
    """How long N workers took to empty the queue, and what each process reported."""

    seconds: float
    jobs: int
    workers: list[dict[str, float]]
    cores_busy: float = 0.0  # the share of all the machine's cores busy while they drained

    @property
    def peak_worker_mb(self) -> float:
        return max(w["worker_hwm_mb"] for w in self.workers)

    @property
    def peak_extraction_mb(self) -> float:
        return max(w["extraction_hwm_mb"] for w in self.workers)

    @property
    def peak_tesseract_mb(self) -> float:
        return max(w["tesseract_hwm_mb"] for w in self.workers)


def drain_with_processes(settings: Settings, processes: int) -> DrainRun:
    """Start ``processes`` workers (spawned, each with its own engines, as
    ``archive worker --processes N --once`` does), wait until all are built, then
    time them draining the queue. Interpreter start-up is not in the figure."""
    ctx = multiprocessing.get_context("spawn")
    ready = ctx.Barrier(processes + 1)
    reports = ctx.Queue()
    children = [ctx.Process(target=_worker, args=(settings, ready, reports)) for _ in range(processes)]
    for child in children:
        child.start()
    ready.wait(timeout=120)
    started, ticks = time.perf_counter(), cpu_ticks()
    workers = [reports.get(timeout=3600) for _ in children]
    seconds, busy = time.perf_counter() - started, busy_share(ticks, cpu_ticks())
    for child in children:
        child.join()
    return DrainRun(seconds, int(sum(w["jobs"] for w in workers)), workers, busy)


def cpu_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of every core since boot, from /proc/stat's first line."""
    with open("/proc/stat", encoding="ascii") as stat:
        fields = [int(v) for v in stat.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    total = sum(fields[:8])  # user … steal (guest time is already counted in user)
    return total - idle, total


def busy_share(before: tuple[int, int], after: tuple[int, int]) -> float:
    """The share of all cores' time spent busy between two readings."""
    total = after[1] - before[1]
    return (after[0] - before[0]) / total if total else 0.0


def _worker(settings: Settings, ready: Any, reports: Any) -> None:
    os.environ["OMP_THREAD_LIMIT"] = "1"  # as archive.worker_processes sets it
    reports.put(asyncio.run(_drain(settings, ready)))


async def _drain(settings: Settings, ready: Any) -> dict[str, float]:
    services = await asyncio.to_thread(build_services, settings, migrate=False)
    await services.index.ensure_ready()
    await asyncio.to_thread(ready.wait, 120)
    try:
        with PeakSampler(os.getpid()) as sampler:
            jobs = await drain(services)
    finally:
        await services.close()
    return {
        "jobs": jobs,
        "worker_hwm_mb": proc_status_mb(os.getpid(), "VmHWM"),
        "extraction_hwm_mb": sampler.children_mb,
        "tesseract_hwm_mb": sampler.grandchildren_mb,
    }


def failed_jobs(settings: Settings) -> int:
    """Jobs that did not end done: a benchmark of failures would be meaningless."""
    from archive.domain.jobs import JobStatus

    services = build_services(settings, migrate=False)
    try:
        counts = services.jobs.counts()
    finally:
        asyncio.run(services.close())
    return sum(n for status, n in counts.items() if status is not JobStatus.DONE)


@contextlib.contextmanager
def metadata_database() -> Iterator[str]:
    """A fresh PostgreSQL database when the test server is there (dropped after), else
    "" for SQLite in the data dir."""
    admin_url = os.environ.get("ARCHIVE_TEST_POSTGRES_URL")
    if not admin_url:
        yield ""
        return
    with _scratch_database(sa.engine.make_url(admin_url), f"bench_{uuid.uuid4().hex[:10]}", "") as url:
        yield url


@contextlib.contextmanager
def database_copy(template_url: str) -> Iterator[str]:
    """A copy of a PostgreSQL database made by the server (``CREATE DATABASE … TEMPLATE``),
    dropped after: each run of a suite starts from the same pending queue, as
    ``copy_data_dir`` gives SQLite. Nothing may be connected to the template meanwhile."""
    url = sa.engine.make_url(template_url)
    name = f"{url.database}_{uuid.uuid4().hex[:6]}"
    with _scratch_database(url, name, f' TEMPLATE "{url.database}"') as copy:
        yield copy


@contextlib.contextmanager
def _scratch_database(url: sa.engine.URL, name: str, clause: str) -> Iterator[str]:
    """``CREATE DATABASE name`` + ``clause`` on the test server, its URL (``url`` with that
    database), then ``DROP … WITH (FORCE)``. The statements go through the test server's
    own database, never the one being copied."""
    admin = sa.create_engine(os.environ["ARCHIVE_TEST_POSTGRES_URL"], isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"{clause}'))
        try:
            yield url.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()
