"""An HTTP client on the app, over each stack."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from archive.app import create_app
from archive.services.container import Services


@pytest.fixture
async def client(services: Services) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(services=services))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as c:
        yield c
