"""An embedded stack whose clock (and whose local store's clock) the test controls."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import pytest

from archive.factory import build_services
from archive.services.container import Services
from storage.local import LocalBlobStore
from tests.conftest import embedded_settings
from tests.retention.support import Clock, start_of


@pytest.fixture
def clock() -> Clock:
    return Clock(start_of(date(2024, 12, 20)))  # 50 days later it is 2025-02-08


@pytest.fixture
async def embedded(tmp_path: Path, clock: Clock) -> AsyncIterator[Services]:
    services = await asyncio.to_thread(build_services, embedded_settings(tmp_path / "data"))
    services.clock = clock
    services.blobs = LocalBlobStore(services.settings.blob_dir, clock=clock)
    await services.index.ensure_ready()
    try:
        yield services
    finally:
        await services.close()
