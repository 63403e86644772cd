"""`archive migrate`: brings the schema to the one head, says which, and can run again.

The deploy step (docker-compose's `archive migrate && exec archive serve`) needs
exit 0 on every run, the first one and every one after.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from archive.cli import app
from archive.db.engine import create_db_engine
from archive.db.migrate import current_revision, head_revision


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = (
        f"sqlite:///{tmp_path / 'data' / 'archive.db'}"
        if request.param == "sqlite"
        else str(request.getfixturevalue("postgres_url"))
    )
    monkeypatch.setenv("ARCHIVE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ARCHIVE_DATABASE_URL", url)
    monkeypatch.chdir(tmp_path)  # no stray .env
    return url


def schema_of(url: str) -> tuple[str | None, set[str]]:
    engine = create_db_engine(url)
    try:
        return current_revision(engine), set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_migrate_twice_ends_at_the_head(database_url: str) -> None:
    runner = CliRunner()
    head = head_revision()

    first = runner.invoke(app, ["migrate", "--json"])
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout) == {"previous": None, "revision": head, "head": head, "at_head": True}
    revision, tables = schema_of(database_url)
    assert revision == head
    assert {"records", "jobs", "audit_log", "retention_rules", "signatures"} <= tables

    again = runner.invoke(app, ["migrate"])
    assert again.exit_code == 0, again.output
    assert again.stdout == f"database at revision {head} (head)\n"
    assert schema_of(database_url) == (head, tables)


def test_the_installed_command_exits_0_twice(tmp_path: Path) -> None:
    """The real entry point, as a deploy script runs it: no terminal, no stdin."""
    env = {**os.environ, "ARCHIVE_DATA_DIR": str(tmp_path / "data")}
    env.pop("ARCHIVE_DATABASE_URL", None)
    command = [sys.executable, "-c", "from archive.cli import main; main()", "migrate"]
    for _ in range(2):
        done = subprocess.run(
            command, env=env, cwd=tmp_path, stdin=subprocess.DEVNULL, capture_output=True, text=True,
            timeout=120,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == f"database at revision {head_revision()} (head)"
