"""`archive transfer batch ...`, `archive transfer due` and `archive export bagit` on either
stack, as the local operator (admin); the bag checked with bagit's own validator."""

from __future__ import annotations

import asyncio
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import bagit
import pytest

from archive.domain.records import Record
from archive.factory import build_services
from archive.settings import Settings
from tests.cli.support import run, run_json
from tests.transfer.world import permanent


def made(settings: Settings, **options: object) -> tuple[str, str, list[Record]]:
    """A closed permanent dossier of agency A: (its id, its fonds id, its records)."""

    async def build() -> tuple[str, str, list[Record]]:
        services = build_services(settings)
        await services.index.ensure_ready()
        try:
            dossier, records = await permanent(services, **options)  # type: ignore[arg-type]
        finally:
            await services.close()
        return dossier.id, dossier.fonds_id, records

    return asyncio.run(build())


def test_a_batch_from_the_command_line(cli_settings: Settings, tmp_path: Path) -> None:
    dossier_id, _, _ = made(cli_settings)
    done = run_json(
        "transfer", "batch", "prepare", "--archive", "Lưu trữ lịch sử tỉnh", "--dossier", dossier_id
    )
    batch_id = done["batch"]["id"]
    assert done["refused"] == [] and done["batch"]["status"] == "prepared"
    again = run_json("transfer", "batch", "prepare", "--archive", "x", "--dossier", dossier_id, code=1)
    assert again["batch"] is None and again["refused"][0]["reason"] == "already in a transfer batch"
    assert [d["id"] for d in run_json("transfer", "due")["due"]] == []  # under way: no longer due
    assert run_json("transfer", "batch", "send", batch_id, "--reference", "CV 1")["batch"]["status"] == "sent"
    receipt = tmp_path / "bien-nhan.pdf"
    receipt.write_bytes(b"%PDF-1.4 receipt")
    accepted = run_json("transfer", "batch", "accept", batch_id, "--receipt", str(receipt))["batch"]
    assert accepted["status"] == "accepted"
    assert accepted["receipt_sha256"] == hashlib.sha256(b"%PDF-1.4 receipt").hexdigest()
    minutes = tmp_path / "bien-ban.pdf"
    run("transfer", "batch", "minutes", batch_id, "-o", str(minutes))
    assert minutes.read_bytes().startswith(b"%PDF")
    assert batch_id in run("transfer", "batch", "list")
    wrong = run_json("transfer", "batch", "refuse", batch_id, "--reason", "late", code=1)
    assert wrong["error"]["code"] == "VALIDATION"
    assert run_json("transfer", "batch", "show", "nope", code=1)["error"]["code"] == "NOT_FOUND"


def test_a_bagit_export_validates_with_bagit_itself(cli_settings: Settings, tmp_path: Path) -> None:
    _, fonds_id, records = made(cli_settings, documents=3)
    bag_dir = tmp_path / "bag"
    report = run_json("export", "bagit", "--fonds", fonds_id, "-o", str(bag_dir))
    assert (report["records"], report["bytes"]) == (3, sum(r.file.size for r in records))
    bag = bagit.Bag(str(bag_dir))
    bag.validate()  # raises BagValidationError on any wrong or missing file
    assert "sha256" in bag.algorithms
    digests = {v["sha256"] for k, v in bag.entries.items() if k.endswith(".pdf")}
    assert digests == {r.file.sha256 for r in records}  # the original bytes, unchanged
    meta = json.loads(next(bag_dir.glob(f"data/*/*/{records[0].id}.json")).read_text(encoding="utf-8"))
    assert meta["file"]["sha256"] == records[0].file.sha256
    tool = Path(sys.executable).with_name("bagit.py")
    checked = subprocess.run(
        [sys.executable, str(tool), "--validate", str(bag_dir)], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stderr

    first = next(bag_dir.glob("data/*/*/*.pdf"))
    first.write_bytes(first.read_bytes() + b"x")
    with pytest.raises(bagit.BagValidationError):
        bagit.Bag(str(bag_dir)).validate()
    busy = run_json("export", "bagit", "--fonds", fonds_id, "-o", str(bag_dir), code=1)
    assert busy["error"]["code"] == "VALIDATION"  # not an empty folder
    empty = run_json("export", "bagit", "--record", "no-such-id", "-o", str(tmp_path / "b2"), code=1)
    assert empty["error"]["code"] == "VALIDATION"
