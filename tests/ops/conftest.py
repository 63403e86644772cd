"""Fixtures for the operations suites: a second, empty deployment to restore into."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from archive.settings import Settings
from tests.conftest import PG_ENV, embedded_settings, production_settings, require_env
from tests.support.db import fresh_database


@pytest.fixture
def empty_deployment(stack: str, stack_settings: Settings, tmp_path: Path) -> Iterator[Settings]:
    """Settings for a NEW deployment of the same stack: its own data dir, and on the
    production stack its own database, bucket and index. Shares the trust roots."""
    roots = stack_settings.resolved_trust_roots_dir
    if stack == "embedded":
        yield embedded_settings(tmp_path / "restored", trust_roots_dir=roots)
        return
    require_env(PG_ENV)
    with fresh_database(os.environ[PG_ENV]) as url:
        yield production_settings(tmp_path / "restored", url, trust_roots_dir=roots)
