"""Fixtures of the outage tests: the production stack with a quick retry backoff,
a supervised worker on it, and a ``Switch`` that takes real services away.

``switch`` depends on ``outage_services``, so pytest tears it down first: every
stopped service is running again before the test's database is dropped.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from archive.services.backoff import Backoff
from archive.services.container import Services
from archive.services.supervisor import supervise
from archive.services.worker import WorkerStatus, work_forever
from indexing.extraction import warm_up
from tests.conftest import PG_ENV, production_settings, require_env
from tests.outage.switch import Switch, run_dir
from tests.support.db import fresh_database
from tests.support.graphql import open_services


@pytest.fixture
def outage_database() -> Iterator[str]:
    """A fresh PostgreSQL database, like ``postgres_url``; it outlives a server restart
    because ``fresh_database`` opens a new connection for each admin statement."""
    run_dir()  # skip before building anything when the services cannot be switched
    require_env(PG_ENV)
    with fresh_database(os.environ[PG_ENV]) as url:
        yield url


@pytest.fixture
async def outage_services(tmp_path: Path, outage_database: str) -> AsyncIterator[Services]:
    """The production stack; the worker retries every 0.2 s up to 2 s while a service is down."""
    settings = production_settings(
        tmp_path / "data",
        outage_database,
        worker_retry_base_seconds=0.2,
        worker_retry_cap_seconds=2.0,
        worker_poll_seconds=0.2,
        # A claim whose answer the restart lost is orphaned until its lease ends: keep it short.
        worker_lease_seconds=30,
    )
    async with open_services(settings) as built:
        yield built


@pytest.fixture
def switch(outage_services: Services) -> Iterator[Switch]:
    """Stops and starts services of the test command's set; restores them after the test."""
    control = Switch(run_dir())
    try:
        yield control
    finally:
        control.restore()


@pytest.fixture
async def worker(outage_services: Services) -> AsyncIterator[WorkerStatus]:
    """A supervised worker loop on ``outage_services``, as ``archive serve`` runs it; its status."""
    await asyncio.to_thread(warm_up)  # the extraction zygote, as the real worker starts it
    status, stop = WorkerStatus(), asyncio.Event()
    backoff = Backoff(base=0.2, cap=2.0)
    task = asyncio.create_task(
        supervise(lambda: work_forever(outage_services, stop, "outage-worker", status), stop, status, backoff)
    )
    try:
        yield status
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=120)
