"""Start-up steps retried in the background: once down, once up in the log, however
many tries it takes, and no retry after the app stops."""

from __future__ import annotations

import asyncio
import logging

import pytest

from archive.domain.errors import StorageUnavailable
from archive.services.backoff import Backoff
from archive.services.startup import StartupStep, prepare, prepared_in_background

FAST = Backoff(base=0.001, cap=0.005)


class Flaky:
    """Fails ``failures`` times with an outage, then succeeds; counts the tries."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.tries = 0

    async def __call__(self) -> None:
        self.tries += 1
        if self.tries <= self.failures:
            raise StorageUnavailable("the blob store is not reachable")


async def test_a_step_is_retried_until_it_succeeds_and_logged_once_down_once_up(
    caplog: pytest.LogCaptureFixture,
) -> None:
    flaky = Flaky(failures=5)
    with caplog.at_level(logging.INFO, logger="archive.services.startup"):
        assert await prepare(StartupStep("blob_store", flaky), asyncio.Event(), FAST)
    assert flaky.tries == 6
    messages = [(r.levelname, r.getMessage()) for r in caplog.records]
    assert messages == [
        (
            "WARNING",
            "start-up step blob_store failed, retrying in the background: the blob store is not reachable",
        ),
        ("INFO", "start-up step blob_store succeeded after 5 failed tries"),
    ]


async def test_a_first_try_at_start_is_awaited_before_the_block_runs() -> None:
    done = Flaky(failures=0)
    async with prepared_in_background([StartupStep("database", done, first_try_at_start=True)], FAST):
        assert done.tries == 1


async def test_leaving_the_block_stops_the_retries() -> None:
    never = Flaky(failures=10**9)
    async with prepared_in_background([StartupStep("search_index", never)], FAST):
        while never.tries < 3:
            await asyncio.sleep(0.001)
    tries = never.tries
    await asyncio.sleep(0.05)
    assert never.tries == tries
