"""`archive retention …`, `archive fixity` and `archive reconcile` from the command line."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from archive.cli import app
from archive.factory import build_services
from tests.conftest import embedded_settings
from tests.retention.support import put

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "retention-schedule.json"


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ARCHIVE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)  # no stray .env
    return tmp_path / "data"


def test_load_plan_approve_and_dry_run(data_dir: Path, tmp_path: Path) -> None:
    services = build_services(embedded_settings(data_dir))
    put(services, "1", issued=date(2001, 1, 1), document_type="Giấy mời")  # 5 years: long due
    put(services, "2", issued=date(2001, 1, 1), document_type="Quyết định")  # permanent
    asyncio.run(services.close())
    runner = CliRunner()

    loaded = runner.invoke(app, ["retention", "load", str(EXAMPLE)])
    assert loaded.exit_code == 0, loaded.output
    assert "7 rules loaded, 2 records recomputed" in loaded.output
    bad = tmp_path / "bad.toml"
    bad.write_text('[[rules]]\ncode = "A"\ntitle = "a"\n', encoding="utf-8")
    refused = runner.invoke(app, ["retention", "load", str(bad)])
    assert refused.exit_code == 1 and "rules[0].years" in refused.output

    export = tmp_path / "batch.csv"
    planned = runner.invoke(app, ["retention", "plan", "--export", str(export)])
    assert planned.exit_code == 0, planned.output
    batch_id = planned.output.split("proposed batch ")[1].split()[0]
    assert len(export.read_text(encoding="utf-8").splitlines()) == 2  # header + the Giấy mời
    approved = runner.invoke(app, ["retention", "approve", batch_id, "--decision", "QĐ 5"])
    assert approved.exit_code == 0, approved.output
    dry = runner.invoke(app, ["retention", "run", "--dry-run"])
    assert dry.exit_code == 0 and "would destroy 1" in dry.output
    done = runner.invoke(app, ["retention", "run"])
    assert done.exit_code == 0 and "destroyed 1" in done.output and f"{batch_id}.pdf" in done.output

    checked = runner.invoke(app, ["fixity"])
    assert checked.exit_code == 0 and "ok 1, changed 0, missing 0, unreferenced 0" in checked.output
    reconciled = runner.invoke(app, ["reconcile"])
    assert reconciled.exit_code == 0 and "missing objects: 0" in reconciled.output
