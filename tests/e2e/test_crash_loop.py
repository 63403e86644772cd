"""The crash loop: kill the process right after each step, then let a clean worker
finish. Whatever the step, the archive ends with exactly one record for the bytes
(none lost, none doubled), its job done, its text indexed once, and the download
byte-identical.

The deposit (steps ``upload`` and ``commit``) and the worker (``seal`` … ``index``)
run in subprocesses with ``ARCHIVE_CRASH_AFTER_STEP`` set, so they die by
``os._exit(70)`` with no cleanup, as a killed process does. The clean worker runs in
this process with its clock moved past the dead worker's lease, which is what
another worker sees once the lease has run out.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from archive.app import DEV_ADMIN
from archive.domain.access import UNRESTRICTED
from archive.domain.jobs import PIPELINE, JobStatus
from archive.domain.ports.audit import AuditFilter
from archive.domain.search import SearchFilter
from archive.samples import SampleDocument, render_pdf
from archive.services.container import Services
from archive.services.crash import CRASH_EXIT_CODE, CRASH_POINTS
from archive.services.search import search
from archive.services.worker import drain
from tests.support.deposit_once import DUPLICATE_EXIT
from tests.support.graphql import settings_env

PROJECT = Path(__file__).resolve().parents[2]
WORKER_STEPS = [s.value for s in PIPELINE]


def run(args: list[str], settings_vars: dict[str, str], cwd: Path) -> int:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARCHIVE_")}
    env.update(settings_vars, PYTHONPATH=str(PROJECT))
    done = subprocess.run(args, env=env, cwd=cwd, capture_output=True, timeout=300, check=False)
    if done.returncode not in (0, DUPLICATE_EXIT, CRASH_EXIT_CODE):
        pytest.fail(f"{args} exited {done.returncode}: {done.stderr.decode()[-2000:]}")
    return done.returncode


@pytest.mark.parametrize("step", CRASH_POINTS)
async def test_a_crash_after_any_step_loses_and_doubles_nothing(
    services: Services, step: str, tmp_path: Path
) -> None:
    pdf = render_pdf(SampleDocument(number="42"))
    document = tmp_path / "qđ-42.pdf"
    document.write_bytes(pdf)
    clean = settings_env(services.settings)
    crashing = {**clean, "ARCHIVE_CRASH_AFTER_STEP": step}
    deposit_once = [sys.executable, "-m", "tests.support.deposit_once", str(document)]
    worker_once = [str(Path(sys.executable).with_name("archive")), "worker", "--once"]

    def call(args: list[str], env: dict[str, str]) -> int:
        return run(args, env, tmp_path)

    if step == "upload":
        assert await asyncio.to_thread(call, deposit_once, crashing) == CRASH_EXIT_CODE
        assert services.records.count(UNRESTRICTED) == 0
        [orphan] = list(services.blobs.list_keys())  # stored, but no row points at it
        assert await asyncio.to_thread(call, deposit_once, clean) == 0  # the client retries
    elif step == "commit":
        assert await asyncio.to_thread(call, deposit_once, crashing) == CRASH_EXIT_CODE
        assert services.records.count(UNRESTRICTED) == 1
        assert await asyncio.to_thread(call, deposit_once, clean) == DUPLICATE_EXIT  # the retry is told
    else:
        assert await asyncio.to_thread(call, deposit_once, clean) == 0
        assert await asyncio.to_thread(call, worker_once, crashing) == CRASH_EXIT_CODE
        [record] = list(services.records.iter_all())
        dead = services.jobs.for_record(record.id)
        assert dead is not None and dead.status is JobStatus.RUNNING
        done_before = WORKER_STEPS if step == "processed" else WORKER_STEPS[: WORKER_STEPS.index(step)]
        assert [s.value for s in dead.steps_done] == done_before

    lease = timedelta(seconds=services.settings.worker_lease_seconds)
    services.clock = lambda: datetime.now(UTC) + lease + timedelta(seconds=60)
    assert await drain(services) == 1
    assert await drain(services) == 0
    await services.index.refresh()

    [record] = list(services.records.iter_all())
    job = services.jobs.for_record(record.id)
    assert job is not None and job.status is JobStatus.DONE
    assert [s.value for s in job.steps_done] == WORKER_STEPS
    assert len(services.jobs.list()) == 1
    # Portals hear of it once, whatever the step the first worker died after.
    processed = services.audit.find(AuditFilter(action="record.processed", target=record.id), first=10)
    assert [e.details["job"] for e in processed] == [job.id]
    page = await search(services, DEV_ADMIN, query="chữ ký số", filter=SearchFilter(), first=10, after=None)
    assert page.result.total == 1
    assert [hit.record_id for hit in page.result.hits] == [record.id]
    indexed = [pair async for pair in services.index.get_versions()]
    assert indexed == [(record.id, record.row_version)]
    stored = b"".join(services.blobs.iter_bytes(record.file.storage_key, version_id=record.file.version_id))
    assert stored == pdf
    if step == "upload":
        assert record.file.storage_key != orphan
