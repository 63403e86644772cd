"""What the outage tests check after a service came back: nothing lost, nothing twice."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from archive.domain.jobs import Job, JobStatus
from archive.samples import SampleDocument, render_pdf
from archive.services.container import Services


def documents(count: int) -> list[bytes]:
    """``count`` distinct sample PDFs (the deposit refuses a second copy of the same bytes)."""
    return [render_pdf(SampleDocument(number=str(1000 + n))) for n in range(count)]


def table_counts(services: Services) -> dict[str, int]:
    """Rows in the records and jobs tables, read directly on a connection of our own:
    what a deposit wrote, whatever the adapters say."""
    engine = sa.create_engine(services.settings.resolved_database_url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return {
                table: int(conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one())
                for table in ("records", "jobs")
            }
    finally:
        engine.dispose()


def jobs_of(services: Services) -> list[Job]:
    return services.jobs.list(limit=10_000)


async def eventually(check: Callable[[], Awaitable[bool]], *, timeout: float, every: float = 0.25) -> float:
    """Poll ``check`` until it holds; returns the seconds it took. Raises TimeoutError after ``timeout``."""
    started = time.monotonic()
    while not await check():
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"not reached within {timeout} s")
        await asyncio.sleep(every)
    return time.monotonic() - started


def all_done(services: Services, count: int) -> Callable[[], Awaitable[bool]]:
    """True once ``count`` jobs exist and every one is DONE."""

    async def check() -> bool:
        jobs = await asyncio.to_thread(jobs_of, services)
        return len(jobs) == count and all(j.status is JobStatus.DONE for j in jobs)

    return check
