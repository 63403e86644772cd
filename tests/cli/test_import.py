"""`archive import DIR`: bulk deposit from a manifest, idempotent by SHA-256."""

from __future__ import annotations

import asyncio
import csv
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from archive.cli import app
from archive.db.engine import create_db_engine
from archive.db.jobs import SqlJobQueue
from archive.db.repository import SqlRecordRepository
from archive.domain.access import UNRESTRICTED
from archive.domain.files import FileRole
from archive.domain.heartbeats import Heartbeat, WorkerKind
from archive.factory import build_services
from archive.importer import write_manifest, write_samples
from archive.samples import SampleDocument, render_pdf
from archive.settings import Settings


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "data"
    monkeypatch.setenv("ARCHIVE_DATA_DIR", str(path))
    monkeypatch.chdir(tmp_path)  # no stray .env is read
    return path


def count_records(data_dir: Path) -> int:
    engine = create_db_engine(f"sqlite:///{data_dir / 'archive.db'}")
    try:
        return SqlRecordRepository(engine).count(UNRESTRICTED)
    finally:
        engine.dispose()


def test_import_is_idempotent_and_reports_failures(data_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "incoming"
    write_samples(folder, count=4, seed=7)
    with (folder / "manifest.csv").open("a", encoding="utf-8", newline="") as handle:
        row = ["missing.pdf", "Công văn", "9", "CV-UBND", "UBND-HG", "UBND", "2024-01-01"]
        csv.writer(handle).writerow([*row, "Trích yếu", "An", "Chủ tịch", "outgoing"])
    runner = CliRunner()
    first = runner.invoke(app, ["import", str(folder)])
    assert first.exit_code == 1, first.output  # one row names a file that does not exist
    assert "deposited 4" in first.output and "failed 1" in first.output
    assert "missing.pdf" in first.output
    assert count_records(data_dir) == 4

    again = runner.invoke(app, ["import", str(folder)])
    assert "deposited 0" in again.output and "skipped (already archived) 4" in again.output
    assert count_records(data_dir) == 4

    scripted = runner.invoke(app, ["import", str(folder), "--json"])
    assert scripted.exit_code == 1
    summary = json.loads(scripted.stdout)  # the progress bar is on stderr
    assert (summary["deposited"], summary["skipped"], summary["failed"]) == (0, 4, 1)
    [error] = summary["errors"]
    assert error["file"] == "missing.pdf" and error["message"]


def test_json_manifest_and_field_errors(data_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "json"
    write_samples(folder, count=2, seed=3)
    with (folder / "manifest.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    rows[1]["issue_date"] = "15/03/2024"
    (folder / "manifest.json").write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    result = CliRunner().invoke(app, ["import", str(folder), "--manifest", str(folder / "manifest.json")])
    assert result.exit_code == 1
    assert "issue_date" in result.output and "15/03/2024" in result.output
    assert count_records(data_dir) == 1


def test_a_manifest_cannot_reach_outside_the_folder(data_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "evil"
    write_samples(folder, count=1, seed=1)
    manifest = folder / "manifest.csv"
    manifest.write_text(
        manifest.read_text(encoding="utf-8").replace("00001.pdf", "../secret.pdf"), encoding="utf-8"
    )
    (tmp_path / "secret.pdf").write_bytes((folder / "00001.pdf").read_bytes())
    result = CliRunner().invoke(app, ["import", str(folder)])
    assert result.exit_code == 1
    assert "inside the import folder" in result.output
    assert count_records(data_dir) == 0


def test_a_manifest_carries_the_document_fields_of_circular_05(data_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "tt05"
    write_samples(folder, count=2, seed=11)
    with (folder / "manifest.csv").open(encoding="utf-8") as handle:
        rows: list[dict[str, object]] = list(csv.DictReader(handle))
    rows[0].update(
        document_type="", type_name="Tờ trình", language=["vi", "en"], mode="02", keyword="ngân sách",
        infor_sign="TT-1", autograph="Đồng ý", format="02", process=True, description="Bản sao",
        issued_amount=4, is_public=False,
    )  # fmt: skip
    rows[1].update(mode="bí mật")
    (folder / "manifest.json").write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    result = CliRunner().invoke(app, ["import", str(folder), "--manifest", str(folder / "manifest.json")])
    assert result.exit_code == 1  # the second row's mode is not a known one
    assert "mode" in result.output and "bí mật" in result.output and "03 (Mật)" in result.output

    engine = create_db_engine(f"sqlite:///{data_dir / 'archive.db'}")
    try:
        [record] = SqlRecordRepository(engine).iter_all()
    finally:
        engine.dispose()
    m = record.metadata
    assert (m.type_name, m.document_type, m.languages, m.mode, m.is_public) == (
        "15", "Tờ trình", ("01", "02"), "02", False,
    )  # fmt: skip
    assert (m.keyword, m.infor_sign, m.autograph, m.physical_format, m.process) == (
        "ngân sách", "TT-1", "Đồng ý", "02", True,
    )  # fmt: skip
    assert (m.description, m.issued_amount) == ("Bản sao", 4)


def test_a_manifest_row_deposits_its_appendices_and_source_with_it(data_dir: Path, tmp_path: Path) -> None:
    """The ``appendices`` and ``source`` columns: every file stored with the record, or none."""
    folder = tmp_path / "with-files"
    write_samples(folder, count=1, seed=11)
    (folder / "pl1.pdf").write_bytes(render_pdf(SampleDocument(number="901", subject="Phụ lục I")))
    (folder / "pl2.pdf").write_bytes(render_pdf(SampleDocument(number="902", subject="Phụ lục II")))
    (folder / "goc.edxml").write_bytes(b'<?xml version="1.0"?><edXML/>')
    (folder / "bad.pdf").write_bytes(b"not a pdf")
    with (folder / "manifest.csv").open(encoding="utf-8", newline="") as handle:
        [row] = list(csv.DictReader(handle))
    second = {**row, "file": "pl1.pdf", "number": "903", "appendices": "bad.pdf", "source": ""}
    write_manifest(folder, [{**row, "appendices": "pl1.pdf;pl2.pdf", "source": "goc.edxml"}, second])

    result = CliRunner().invoke(app, ["import", str(folder), "--json"])
    summary = json.loads(result.stdout)
    assert (summary["deposited"], summary["failed"]) == (1, 1), result.output
    [error] = summary["errors"]
    assert "file 2 (appendix, 'bad.pdf')" in error["message"]
    engine = create_db_engine(f"sqlite:///{data_dir / 'archive.db'}")
    try:
        [record] = list(SqlRecordRepository(engine).iter_all())
    finally:
        engine.dispose()
    roles = [(f.role, f.stored.original_filename) for f in record.files]
    assert roles == [
        (FileRole.MAIN, row["file"]),
        (FileRole.APPENDIX, "pl1.pdf"),
        (FileRole.APPENDIX, "pl2.pdf"),
        (FileRole.SOURCE, "goc.edxml"),
    ]
    assert record.files[3].stored.media_type == "application/xml"


# -- who processes the jobs ---------------------------------------------------------------


def jobs_by_status(data_dir: Path) -> dict[str, int]:
    engine = create_db_engine(f"sqlite:///{data_dir / 'archive.db'}")
    try:
        return {s.value: n for s, n in SqlJobQueue(engine).counts().items() if n}
    finally:
        engine.dispose()


def a_worker_is_running(data_dir: Path) -> None:
    """A fresh heartbeat, as `archive worker` leaves one every few seconds."""
    services = build_services(Settings(_env_file=None, data_dir=data_dir), migrate=True)  # type: ignore[call-arg]
    try:
        beat = Heartbeat("elsewhere:4242", "elsewhere", 4242, WorkerKind.WORKER, datetime.now(UTC))
        services.heartbeats.beat(beat)
    finally:
        asyncio.run(services.close())


def test_running_workers_get_the_jobs_and_the_import_says_so(data_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "handed"
    write_samples(folder, count=2, seed=11)
    a_worker_is_running(data_dir)
    result = CliRunner().invoke(app, ["import", str(folder), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["deposited"] == 2 and summary["processing"] == "running_workers"
    assert "elsewhere:4242" in summary["handoff"] and "only deposits" in summary["handoff"]
    assert "only deposits" in result.stderr
    assert jobs_by_status(data_dir) == {"pending": 2}  # nothing started here took them


def test_start_workers_forces_processing_beside_running_ones(data_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "forced"
    write_samples(folder, count=1, seed=12)
    a_worker_is_running(data_dir)
    result = CliRunner().invoke(app, ["import", str(folder), "--start-workers", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["processing"] == "started" and "as asked" in summary["handoff"]
    assert jobs_by_status(data_dir) == {"done": 1}


def test_with_no_worker_running_start_workers_processes_the_deposits(data_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "alone"
    write_samples(folder, count=1, seed=13)
    result = CliRunner().invoke(app, ["import", str(folder), "--start-workers", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["processing"] == "started" and "no worker is running" in summary["handoff"]
    assert jobs_by_status(data_dir) == {"done": 1}


def test_by_default_with_no_worker_the_jobs_wait_and_it_says_who_must_come(
    data_dir: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "queued"
    write_samples(folder, count=1, seed=14)
    result = CliRunner().invoke(app, ["import", str(folder), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["processing"] == "queued" and "archive worker" in summary["handoff"]
    assert jobs_by_status(data_dir) == {"pending": 1}
