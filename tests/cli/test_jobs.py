"""`archive jobs` and `archive jobs retry`: the queue as the worker left it, and a
parked job brought back, on both stacks. The tests are synchronous: each command
runs its own event loop, as it does from a shell."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from archive.services.worker import drain
from archive.settings import Settings
from tests.cli.support import run, run_json
from tests.support.graphql import open_services


async def process(settings: Settings) -> int:
    async with open_services(settings) as services:
        return await drain(services)


async def park_one(settings: Settings) -> int:
    """Claim a job and fail it for good, as a worker does after the last attempt."""
    async with open_services(settings) as services:
        job = services.jobs.claim("w1", lease=timedelta(minutes=5))
        assert job is not None
        parked = services.jobs.fail(
            job.id, "tesseract failed: out of memory", worker_id="w1", retryable=False
        )
        assert parked is not None
        return parked.id


def test_jobs_list_the_queue_and_retry_requeues_a_failed_one(cli_settings: Settings, tmp_path: Path) -> None:
    run("samples", str(tmp_path / "in"), "--count", "2")
    assert run_json("import", str(tmp_path / "in"))["deposited"] == 2
    queued = run_json("jobs")
    assert queued["counts"] == {"pending": 2, "running": 0, "done": 0, "failed": 0}
    assert [j["status"] for j in queued["jobs"]] == ["pending", "pending"]

    failed_id = asyncio.run(park_one(cli_settings))
    [failed] = run_json("jobs", "--status", "failed")["jobs"]
    assert (failed["id"], failed["last_error"]) == (failed_id, "tesseract failed: out of memory")
    [pending] = run_json("jobs", "--status", "pending")["jobs"]
    refused = run_json("jobs", "retry", str(pending["id"]), code=1)
    assert refused["error"]["code"] == "NOT_RETRYABLE"

    retried = run_json("jobs", "retry", str(failed_id))["job"]
    assert (retried["id"], retried["status"], retried["attempts"]) == (failed_id, "pending", 0)
    assert run_json("jobs")["counts"] == {"pending": 2, "running": 0, "done": 0, "failed": 0}
    assert asyncio.run(process(cli_settings)) == 2
    done = run_json("jobs")
    assert done["counts"] == {"pending": 0, "running": 0, "done": 2, "failed": 0}
    assert all(j["steps_done"] == ["seal", "verify", "extract", "index"] for j in done["jobs"])
    assert run("jobs").splitlines()[-1] == "pending=0 running=0 done=2 failed=0"
