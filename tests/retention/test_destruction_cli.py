"""`archive retention note|seat|vote|attach|council|deadlines` and the council-aware
`plan` and `approve`, with --json, as the local operator."""

from __future__ import annotations

import asyncio
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from archive.cli import app
from archive.cli_identity import os_user
from archive.factory import build_services
from archive.services.deposit import deposit
from tests.conftest import embedded_settings
from tests.retention.support import CLERK, make_pdf, metadata

TODAY = datetime.now(UTC).date()  # the archive's clock is UTC
SCHEDULE = {
    "rules": [{"code": "QD-P", "title": "Quyết định", "permanent": True, "document_types": ["Quyết định"]}]
}


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ARCHIVE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ARCHIVE_DESTRUCTION_QUORUM", "1")
    monkeypatch.chdir(tmp_path)  # no stray .env
    return tmp_path / "data"


def test_a_council_decides_and_the_overdue_minutes_are_reported(data_dir: Path, tmp_path: Path) -> None:
    services = build_services(embedded_settings(data_dir))
    issued = TODAY - timedelta(days=40)
    copies = [
        deposit(
            services,
            CLERK,
            io.BytesIO(make_pdf(f"7{variant}")),
            filename="qd.pdf",
            metadata=metadata("7", document_type="Quyết định", issued=issued),
        ).id
        for variant in ("", "-rescanned")
    ]
    asyncio.run(services.close())
    runner = CliRunner()
    schedule, note, paper = tmp_path / "schedule.json", tmp_path / "note.txt", tmp_path / "bb.pdf"
    schedule.write_text(json.dumps(SCHEDULE), encoding="utf-8")
    note.write_text("Bản thuyết minh: bản trùng thừa.", encoding="utf-8")
    paper.write_bytes(make_pdf("biên bản họp hội đồng"))

    def document(*args: str, code: int = 0) -> Any:
        result = runner.invoke(app, ["retention", *args, "--json"])
        assert result.exit_code == code, result.output
        return json.loads(result.stdout)

    document("load", str(schedule))
    batch = document("plan", "--note", str(note))["batch"]
    assert [(i["record_id"], i["reason"], i["duplicate_of"]) for i in batch["items"]] == [
        (copies[1], "duplicate", copies[0])
    ]
    assert batch["explanatory_note"] == "Bản thuyết minh: bản trùng thừa."
    refused = document("approve", batch["id"], "--decision", "QĐ 1", code=1)
    assert refused["error"]["code"] == "DISPOSITION_REFUSED" and "quorum" in refused["error"]["message"]

    me = f"local:{os_user()}"
    seated = document("seat", batch["id"], me, "--name", "Nguyễn Văn An", "--role", "Chủ tịch Hội đồng")
    assert [(m["subject"], m["role"]) for m in seated["council"]] == [(me, "Chủ tịch Hội đồng")]
    assert document("council")["batches"][0]["id"] == batch["id"]
    voted = document("vote", batch["id"], "approve", "--note", "Đồng ý")
    assert voted["tally"] == {"members": 1, "approvals": 1, "rejections": 0, "required": 1, "reached": True}
    assert document("vote", batch["id"], "maybe", code=1)["error"]["code"] == "VALIDATION"
    attached = document(
        "attach", batch["id"], "council_minutes", str(paper), "--agency", "UBND-HG", "--number", "12",
        "--notation", "BB-HĐXĐGTTL", "--issued", TODAY.isoformat(), "--subject", "Biên bản họp",
        "--signer", "Trần Thị Bình", "--signer-position", "Thư ký",
    )  # fmt: skip
    assert attached["kind"] == "council_minutes" and attached["record"]

    decided = TODAY - timedelta(days=16)
    document("approve", batch["id"], "--decision", "QĐ 1/QĐ-UBND", "--decided-on", decided.isoformat())
    report = document("deadlines", "--overdue", code=2)  # exit 2: something is overdue
    assert report["overdue"] == [batch["id"]]
    [deadline] = report["deadlines"]
    assert (deadline["decided_on"], deadline["due"], deadline["days_left"]) == (
        decided.isoformat(),
        (decided + timedelta(days=15)).isoformat(),
        -1,
    )
    late = runner.invoke(app, ["retention", "deadlines"])
    assert (
        late.exit_code == 2
        and f"{batch['id']}  decided {decided}" in late.output
        and "OVERDUE" in late.output
    )
