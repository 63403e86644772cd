"""Fixtures for the operations suites: a second, empty deployment to restore into."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from archive.settings import Settings
from tests.conftest import PG_ENV, embedded_settings, production_settings, require_env


@pytest.fixture
def empty_deployment(stack: str, stack_settings: Settings, tmp_path: Path) -> Iterator[Settings]:
    """Settings for a NEW deployment of the same stack: its own data dir, and on the
    production stack its own database, bucket and index. Shares the trust roots."""
    roots = stack_settings.resolved_trust_roots_dir
    if stack == "embedded":
        yield embedded_settings(tmp_path / "restored", trust_roots_dir=roots)
        return
    require_env(PG_ENV)
    admin_url = sa.engine.make_url(os.environ[PG_ENV])
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        url = admin_url.set(database=name).render_as_string(hide_password=False)
        yield production_settings(tmp_path / "restored", url, trust_roots_dir=roots)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
