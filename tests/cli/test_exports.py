"""`archive export export-list` and `export-contents`: the dossier list and a table of
contents written to a file by the local operator, on both stacks."""

from __future__ import annotations

import asyncio
import csv
import io
import uuid
from pathlib import Path
from typing import Any

import openpyxl
import pdfplumber

from archive.settings import Settings
from tests.cli.support import run_json
from tests.support.access import make_record, put
from tests.support.dossiers import agency_fonds, dossier, place
from tests.support.graphql import open_services


async def fill(settings: Settings) -> tuple[str, str]:
    """A fonds with one dossier of two documents; returns (dossier id, its file code)."""
    async with open_services(settings) as services:
        records = [make_record(subject="Về việc tổ chức Hội nghị"), make_record(subject="Báo cáo tổng kết")]
        await put(services, *records)
        fonds = agency_fonds(services, "UBND-HG", "Ủy ban nhân dân tỉnh Hà Giang")
        made = dossier(services, fonds, "05/VP", "Hồ sơ Hội nghị tổng kết năm", heading="I. Tổng hợp")
        place(services, made, [r.id for r in records])
        return made.id, made.file_code


def test_the_operator_exports_the_list_and_the_contents(cli_settings: Settings, tmp_path: Path) -> None:
    dossier_id, file_code = asyncio.run(fill(cli_settings))

    listed = run_json(
        "export", "export-list", "--fonds", "UBND-HG", "--year", "2026", "-f", "xlsx", "-o", "list.xlsx"
    )
    contents = run_json("export", "export-contents", dossier_id, "--format", "csv")
    printed = run_json("export", "export-contents", dossier_id, "-o", str(tmp_path / "toc.pdf"))

    assert listed["rows"] == 1 and listed["file"] == "list.xlsx"
    sheet: Any = openpyxl.load_workbook(tmp_path / "list.xlsx").active
    values = [row for row in sheet.iter_rows(values_only=True) if row[0] == "I. Tổng hợp"]
    assert values == [
        ("I. Tổng hợp", "05/VP", "Hồ sơ Hội nghị tổng kết năm", "10 năm", "Văn phòng", None)
    ]  # an empty cell
    assert contents["file"] == f"Mục lục văn bản {file_code}.csv" and contents["rows"] == 2
    rows = list(csv.reader(io.StringIO((tmp_path / contents["file"]).read_text(encoding="utf-8-sig"))))
    assert [r[1] for r in rows[1:]] == [f"{file_code}.0000001", f"{file_code}.0000002"]
    with pdfplumber.open(tmp_path / "toc.pdf") as pdf:
        text = pdf.pages[0].extract_text() or ""
    assert printed["mediaType"] == "application/pdf"
    assert "Về việc tổ chức Hội nghị" in text and "Báo cáo tổng kết" in text


def test_an_unknown_dossier_or_format_ends_with_a_coded_error(cli_settings: Settings) -> None:
    missing = run_json("export", "export-contents", str(uuid.uuid4()), code=1)
    wrong = run_json("export", "export-list", "--fonds", "UBND-HG", "--year", "2026", "-f", "odt", code=1)

    assert missing["error"]["code"] == "NOT_FOUND"
    assert wrong["error"]["code"] == "VALIDATION" and "pdf, xlsx, csv" in wrong["error"]["message"]
