"""Transfer packages (Circular 05/2025 SIP_hoso): throughput against ``zip -0``, and memory.

One dossier of large PDFs (8 × 256 MB = 2 GB; 4 × 16 MB with --quick) is deposited
straight into an embedded archive (SQLite, local blob directory), then, three times:

- **throughput**: ``archive``'s export of the dossier (stream every object from the
  blob store, SHA-256 each on the way and compare, write the TT05 layout with its
  METS and descriptive XML into a zip, hashing the zip as it goes) against
  ``zip -0 -q`` of the same PDF files from disk, timed side by side. The ratio is
  zip's seconds ÷ ours (throughput ÷ throughput). Target ≥ 0.5: we hash every byte
  twice with SHA-256 (the object's check, the zip's own checksum) where zip only
  computes CRC-32.
- **memory**: a fresh process builds the services and the package description, reads
  its own VmRSS (idle: everything loaded, nothing streamed), exports, and reads its
  VmHWM (peak). Target ≤ 1.5: the export streams in chunks, so a 2 GB dossier must not
  cost more memory than a small one.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import shutil
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from bench.corpus import large_pdf_chunks
from bench.harness import Context, Result, proc_status_mb
from bench.stack import embedded_settings

NAME = "packaging"
ZIP_TARGET, RSS_TARGET = 0.5, 1.5
NOW = datetime(2026, 3, 1, tzinfo=UTC)


def run(ctx: Context) -> Result:
    result = Result(NAME)
    if shutil.which("zip") is None:
        return Result(NAME, skipped="the zip command is not installed (apt install zip)")
    count, size_mb = ctx.size(4, 8), ctx.size(16, 256)
    data_dir, sources = ctx.workdir / "data", ctx.workdir / "sources"
    dossier_id = _fill(data_dir, sources, count, size_mb * 1024 * 1024)
    ours, zipped, idle, peak = [], [], [], []
    for index in range(3):
        out = ctx.workdir / f"out{index}"
        figures = _child(data_dir, dossier_id, out)
        ours.append(figures["seconds"])
        idle.append(figures["idle_rss_mb"])
        peak.append(figures["peak_rss_mb"])
        shutil.rmtree(out)
        zipped.append(_zip(sources, ctx.workdir / f"plain{index}.zip"))
    total = count * size_mb
    result.figures["dossier"] = {"documents": count, "document_mb": size_mb, "total_mb": total}
    result.figures["seconds"] = {"archive_export": ours, "zip_-0": zipped}
    result.figures["rss_mb"] = {"idle": idle, "peak": peak}
    throughput = result.ratio(
        "packaging throughput ÷ zip -0 of the same files", zipped, ours, ZIP_TARGET, "higher"
    )
    if throughput < ZIP_TARGET:
        result.notes.append(
            "Packaging is slower than half of zip -0: the two SHA-256 passes (object check, zip checksum) "
            "dominate; the object's recorded hash could be trusted instead of recomputed where the store "
            "verifies on read."
        )
    memory = result.ratio(
        f"peak RSS exporting a {total:,} MB dossier ÷ idle", peak, idle, RSS_TARGET, "lower"
    )
    if memory > RSS_TARGET:
        result.notes.append("The export's memory grew with the dossier: some layer holds a whole object.")
    return result


def _fill(data_dir: Path, sources: Path, count: int, size: int) -> str:
    """Deposit ``count`` PDFs of ``size`` bytes (kept in ``sources`` for zip) in one dossier."""
    from archive.factory import build_services

    sources.mkdir(parents=True)
    services = build_services(embedded_settings(data_dir), migrate=True)
    try:
        records = [_stored(services, sources / f"doc{n}.pdf", size, n) for n in range(count)]
        return _dossier(services, records)
    finally:
        asyncio.run(services.close())


def _stored(services: object, path: Path, size: int, n: int) -> str:
    from archive.domain.records import Direction, Record, RecordMetadata, StoredFile, TextStatus
    from archive.services.container import Services

    assert isinstance(services, Services)
    digest = hashlib.sha256()
    with path.open("wb") as sink:
        # the same generated PDF each time, told apart by a comment after %%EOF (one SHA-256 each)
        for chunk in (*large_pdf_chunks(size), f"% document {n}\n".encode()):
            sink.write(chunk)
            digest.update(chunk)
    record_id, length = str(uuid.uuid4()), path.stat().st_size
    key = f"records/{record_id[:2]}/{record_id}"
    with path.open("rb") as source:
        version = services.blobs.put(
            key, source, size=length, sha256=digest.hexdigest(), media_type="application/pdf"
        )
    metadata = RecordMetadata(
        document_type="Quyết định", number=str(n + 1), notation="QĐ-UBND", issuing_agency_code="UBND-HG",
        issuing_agency_name="Ủy ban nhân dân tỉnh Hà Giang", issue_date=NOW.date(), subject=f"Bản đồ {n + 1}",
        signer_name="Nguyễn Văn An", signer_position="Chủ tịch", direction=Direction.OUTGOING, type_name="02",
    )  # fmt: skip
    stored = StoredFile(key, digest.hexdigest(), length, "application/pdf", path.name, version)
    services.records.add(
        Record(record_id, "UBND-HG", metadata, stored, NOW, NOW, text_status=TextStatus.EXTRACTED)
    )
    return record_id


def _dossier(services: object, record_ids: list[str]) -> str:
    from archive.domain import archival as da
    from archive.services.container import Services

    assert isinstance(services, Services)
    fonds = services.archival.fonds(da.default_fonds_id("UBND-HG"))
    assert fonds is not None
    draft = da.Dossier(
        id=str(uuid.uuid4()), fonds_id=fonds.id, agency_code="UBND-HG", file_code="UBND-HG.2026.01-BD",
        title="Tập bản đồ", maintenance="01", created_at=NOW, updated_at=NOW,
    )  # fmt: skip
    made = services.archival.save_dossier(da.validate_dossier(draft), expected_version=None)
    services.archival.place(made.id, record_ids, now=NOW)
    return made.id


def _child(data_dir: Path, dossier_id: str, out: Path) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-m", "bench.packaging", str(data_dir), dossier_id, str(out)],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    figures: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def _zip(sources: Path, target: Path) -> float:
    files = sorted(str(p.name) for p in sources.iterdir())
    started = time.perf_counter()
    subprocess.run(["zip", "-0", "-q", str(target), *files], check=True, cwd=sources)
    seconds = time.perf_counter() - started
    target.unlink()
    return seconds


def _export_in_this_process(data_dir: Path, dossier_id: str, out: Path) -> dict[str, float]:
    """The measured side: build the services and the package, note RSS, export, note the peak."""
    from archive.factory import build_services
    from archive.services import packages
    from archive.services.identity import local_operator

    services = build_services(embedded_settings(data_dir))
    principal = local_operator("bench")
    package, records = packages.dossier_package(services, principal, dossier_id)
    package = dataclasses.replace(package)  # built: everything the export needs is loaded
    idle = proc_status_mb("self", "VmRSS")
    out.mkdir(parents=True)
    started = time.perf_counter()
    with (out / f"{package.objid}.zip").open("wb") as sink:
        packages.write(services, principal, package, records, sink)
    seconds = time.perf_counter() - started
    peak = proc_status_mb("self", "VmHWM")
    asyncio.run(services.close())
    return {"seconds": seconds, "idle_rss_mb": idle, "peak_rss_mb": peak}


if __name__ == "__main__":
    print(json.dumps(_export_in_this_process(Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3]))))
