"""`archive samples DIR`: PDFs and a manifest `archive import` takes as they are."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from archive.importer import parse_row
from tests.cli.support import run, run_json


def test_samples_writes_pdfs_and_a_matching_manifest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "mẫu văn bản"
    written = run_json("samples", str(folder), "--count", "3", "--seed", "9")
    manifest = folder / "manifest.csv"
    assert written["count"] == 3 and written["manifest"] == str(manifest)
    with manifest.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [str(folder / row["file"]) for row in rows] == written["files"]
    for row in rows:
        assert (folder / row["file"]).read_bytes().startswith(b"%PDF-")
        assert parse_row(row).subject  # every row is valid import metadata
    assert len({row["number"] for row in rows}) == 3

    again = tmp_path / "again"
    run("samples", str(again), "--count", "3", "--seed", "9")
    assert [(again / r["file"]).read_bytes() for r in rows] == [
        (folder / r["file"]).read_bytes() for r in rows
    ]


def test_the_manifest_path_is_printed_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Scripts read it, whatever the terminal: no wrapping at a narrow width."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "20")
    folder = tmp_path / ("a-rather-long-folder-name-" * 4) / "[samples]"
    out = run("samples", str(folder), "--count", "1")
    assert out == f"wrote 1 documents and {folder / 'manifest.csv'}\n"
