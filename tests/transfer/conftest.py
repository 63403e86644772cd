"""Fixtures for the transfer suites: a second, empty deployment to import into."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from archive.services.container import Services
from archive.settings import Settings
from tests.conftest import PG_ENV, embedded_settings, production_settings, require_env
from tests.support.db import fresh_database
from tests.support.graphql import open_services


@pytest.fixture
async def receiving(stack: str, stack_settings: Settings, tmp_path: Path) -> AsyncIterator[Services]:
    """Services of ANOTHER deployment of the same stack (its own data dir, and on the production
    stack its own database, bucket and index), trusting the same signature roots."""
    roots = stack_settings.resolved_trust_roots_dir
    if stack == "embedded":
        async with open_services(embedded_settings(tmp_path / "receiving", trust_roots_dir=roots)) as built:
            yield built
        return
    require_env(PG_ENV)
    with fresh_database(os.environ[PG_ENV]) as url:
        async with open_services(
            production_settings(tmp_path / "receiving", url, trust_roots_dir=roots)
        ) as built:
            yield built
