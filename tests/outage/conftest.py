"""Fixtures of the outage tests: the production stack with a quick retry backoff,
a supervised worker on it, and a ``Switch`` that takes real services away.

``switch`` depends on ``outage_services``, so pytest tears it down first: every
stopped service is running again before the test's database is dropped.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from archive.services.backoff import Backoff
from archive.services.container import Services
from archive.services.supervisor import supervise
from archive.services.worker import WorkerStatus, work_forever
from indexing.extraction import warm_up
from tests.conftest import PG_ENV, production_settings, require_env
from tests.outage.switch import Switch, run_dir
from tests.support.graphql import open_services


@pytest.fixture
def outage_database() -> Iterator[str]:
    """A fresh PostgreSQL database, like ``postgres_url``, but every admin statement
    opens a new connection: one pooled before a restart would be dead at teardown."""
    run_dir()  # skip before building anything when the services cannot be switched
    require_env(PG_ENV)
    admin_url = sa.engine.make_url(os.environ[PG_ENV])
    name = f"t_{uuid.uuid4().hex[:12]}"
    _admin(admin_url, f'CREATE DATABASE "{name}"')
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        _admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _admin(url: sa.URL, statement: str) -> None:
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text(statement))
    finally:
        engine.dispose()


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
