"""``archive worker --processes 2 --once``: two processes share the queue and every
job is done exactly once, on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import io
import os
import subprocess
import sys
from pathlib import Path

from archive.app import DEV_ADMIN
from archive.domain.access import UNRESTRICTED
from archive.domain.jobs import JobStatus
from archive.domain.records import Direction, RecordMetadata
from archive.samples import SampleDocument, render_pdf
from archive.services.container import Services
from archive.services.deposit import deposit
from tests.support.deposit_once import METADATA
from tests.support.graphql import settings_env

PROJECT = Path(__file__).resolve().parents[2]
DEPOSITS = 6


def deposit_six(services: Services) -> list[str]:
    ids = []
    for n in range(1, DEPOSITS + 1):
        pdf = render_pdf(SampleDocument(number=str(n)))
        meta = RecordMetadata(**{**_fields(METADATA), "number": str(n), "direction": Direction.OUTGOING})
        ids.append(deposit(services, DEV_ADMIN, io.BytesIO(pdf), filename=f"{n}.pdf", metadata=meta).id)
    return ids


async def run_against(
    services: Services, cwd: Path, command: list[str]
) -> subprocess.CompletedProcess[bytes]:
    """``command`` in a subprocess configured for ``services`` (and nothing else of ours)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARCHIVE_")}
    env.update(settings_env(services.settings), PYTHONPATH=str(PROJECT))
    return await asyncio.to_thread(
        subprocess.run, command, env=env, cwd=cwd, capture_output=True, timeout=600, check=False
    )


def _fields(meta: RecordMetadata) -> dict[str, object]:
    return {name: getattr(meta, name) for name in meta.__slots__}  # type: ignore[attr-defined]


async def test_two_worker_processes_do_every_job_exactly_once(services: Services, tmp_path: Path) -> None:
    ids = await asyncio.to_thread(deposit_six, services)
    archive = str(Path(sys.executable).with_name("archive"))

    done = await run_against(services, tmp_path, [archive, "worker", "--processes", "2", "--once"])

    assert done.returncode == 0, done.stderr.decode()[-2000:]
    jobs = services.jobs.list()
    assert sorted(j.record_id for j in jobs) == sorted(ids)
    assert {(j.status, j.attempts, len(j.steps_done)) for j in jobs} == {(JobStatus.DONE, 1, 4)}
    await services.index.refresh()
    indexed = sorted([pair async for pair in services.index.get_versions()])
    records = services.records.get_many(ids, UNRESTRICTED)
    assert indexed == sorted((i, records[i].row_version) for i in ids)
    log = done.stderr.decode()
    assert log.count("processed") == 2  # both processes ran and reported


POOL_SCRIPT = """
import sys
from archive.factory import build_services
from archive.settings import Settings
from archive.worker_processes import start_pool
from tests.e2e.test_worker_processes import deposit_six

settings = Settings()
pool = start_pool(settings, 2)  # before anything is queued: the workers wait for jobs
services = build_services(settings)
ids = deposit_six(services)
pool.nudge()
code = pool.finish()
print(" ".join(ids))
sys.exit(code)
"""


async def test_a_pool_started_before_the_deposits_takes_them_and_drains_before_it_exits(
    services: Services, tmp_path: Path
) -> None:
    """``archive import --start-workers``'s workers: started (forked) before the first
    job exists, they take the jobs queued after them and exit once told nothing more
    will come, with every job done exactly once."""
    done = await run_against(services, tmp_path, [sys.executable, "-c", POOL_SCRIPT])

    assert done.returncode == 0, done.stderr.decode()[-2000:]
    ids = done.stdout.decode().split()
    assert len(ids) == DEPOSITS
    jobs = services.jobs.list()
    assert sorted(j.record_id for j in jobs) == sorted(ids)
    assert {(j.status, j.attempts, len(j.steps_done)) for j in jobs} == {(JobStatus.DONE, 1, 4)}
    assert done.stderr.decode().count("processed") == 2  # both workers drained and reported
