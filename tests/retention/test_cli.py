"""`archive retention …`, `archive fixity` and `archive reconcile` from the command line."""

from __future__ import annotations

import asyncio
import json
from datetime import date
from pathlib import Path
from typing import Any

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
    assert "8 rules loaded, 2 records recomputed" in loaded.output
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


def test_the_same_commands_with_json(data_dir: Path, tmp_path: Path) -> None:
    """Each prints one JSON document on stdout that a script can act on."""
    services = build_services(embedded_settings(data_dir))
    due = put(services, "1", issued=date(2001, 1, 1), document_type="Giấy mời").id
    asyncio.run(services.close())
    runner = CliRunner()

    def document(*args: str, code: int = 0) -> Any:
        result = runner.invoke(app, [*args, "--json"])
        assert result.exit_code == code, result.output
        return json.loads(result.stdout)

    loaded = document("retention", "load", str(EXAMPLE))
    assert len(loaded["upserted"]) == 8 and loaded["recomputed"] == 1
    assert len(document("retention", "rules")["rules"]) == 8
    assert document("retention", "recompute")["recomputed"] == 0  # the load computed everything
    batch = document("retention", "plan")["batch"]
    assert batch["status"] == "proposed" and [i["record_id"] for i in batch["items"]] == [due]
    refused = document("retention", "approve", "no-such-batch", "--decision", "QĐ 5", code=1)
    assert refused["error"]["code"] and refused["error"]["message"]
    document("retention", "approve", batch["id"], "--decision", "QĐ 5")
    dry = document("retention", "run", "--dry-run")
    assert dry["dry_run"] is True and dry["destroyed"] == [due]
    done = document("retention", "run")
    assert done["destroyed"] == [due] and done["executed_batches"] == [batch["id"]]
    assert [Path(p).name for p in done["certificates"]] == [f"{batch['id']}.json", f"{batch['id']}.pdf"]
    assert all(Path(p).is_file() for p in done["certificates"])
    fixity = document("fixity")
    assert (fixity["ok"], fixity["changed"], fixity["missing"]) == (0, [], [])
    assert document("reconcile")["missing_objects"] == []
    verified = document("audit", "verify")
    assert verified["ok"] is True and verified["checked"] > 0


def test_the_worker_says_whether_the_two_person_rule_is_on(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["migrate"]).exit_code == 0
    development = runner.invoke(app, ["worker", "--once"])
    assert development.exit_code == 0, development.output
    assert "disposition two-person rule OFF (development default)" in development.output
    monkeypatch.setenv("ARCHIVE_RETENTION_SEPARATE_APPROVER", "true")
    forced = runner.invoke(app, ["worker", "--once"])
    assert forced.exit_code == 0, forced.output
    assert "disposition two-person rule on (ARCHIVE_RETENTION_SEPARATE_APPROVER)" in forced.output
