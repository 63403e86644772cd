"""Certificates of destruction: one per executed batch, as JSON and as a PDF.

The JSON is the record (machine-checkable: every tombstone, the decision and
the approver); the PDF says the same for people, in Vietnamese-capable type.
Writing is idempotent: a resumed run rewrites the same content.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from fpdf import FPDF

from archive.domain.disposition import DispositionBatch, Tombstone
from archive.samples import vietnamese_font


def certificate_data(batch: DispositionBatch, tombstones: Sequence[Tombstone]) -> dict[str, Any]:
    """The certificate's content."""
    return {
        "certificate": "destruction",
        "batch_id": batch.id,
        "decision_ref": batch.decision_ref,
        "planned_by": batch.planned_by,
        "planned_at": batch.planned_at.isoformat(),
        "approved_by": batch.approved_by,
        "approved_at": None if batch.approved_at is None else batch.approved_at.isoformat(),
        "executed_at": None if batch.executed_at is None else batch.executed_at.isoformat(),
        "cutoff": batch.cutoff.isoformat(),
        "decided_on": None if batch.decided_on is None else batch.decided_on.isoformat(),
        "explanatory_note": batch.explanatory_note,
        "council": [
            {"subject": m.subject, "name": m.name, "role": m.role, "vote": m.vote and m.vote.value}
            for m in batch.council
        ],
        "destroyed": [_tombstone(t, _reasons(batch)) for t in tombstones],
        "skipped": [
            {"record_id": i.record_id, "document_number": i.document_number, "reason": i.note}
            for i in batch.items
            if i.state.value == "skipped"
        ],
    }


def write_certificate(
    directory: Path, batch: DispositionBatch, tombstones: Sequence[Tombstone]
) -> list[Path]:
    """Write ``<batch id>.json`` and ``<batch id>.pdf`` in ``directory``; returns both paths."""
    directory.mkdir(parents=True, exist_ok=True)
    data = certificate_data(batch, tombstones)
    json_path = directory / f"{batch.id}.json"
    json_path.write_text(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True), encoding="utf-8")
    pdf_path = directory / f"{batch.id}.pdf"
    pdf_path.write_bytes(render_pdf(data))
    return [json_path, pdf_path]


def render_pdf(data: dict[str, Any]) -> bytes:
    """The human-readable certificate: the decision, then one line per destroyed record."""
    pdf = FPDF(format="A4", orientation="landscape")
    pdf.set_creator("records-archive")
    pdf.add_font("viet", "", str(vietnamese_font()))
    pdf.add_page()
    pdf.set_font("viet", size=15)
    pdf.cell(
        0, 10, "BIÊN BẢN HỦY TÀI LIỆU HẾT GIÁ TRỊ — Certificate of destruction", new_x="LMARGIN", new_y="NEXT"
    )
    pdf.set_font("viet", size=10)
    for label, key in (
        ("Lô / Batch", "batch_id"),
        ("Quyết định / Decision", "decision_ref"),
        ("Người lập / Planned by", "planned_by"),
        ("Người duyệt / Approved by", "approved_by"),
        ("Ngày quyết định / Decided on", "decided_on"),
        ("Thời điểm duyệt / Approved at", "approved_at"),
        ("Thời điểm hủy / Executed at", "executed_at"),
    ):
        pdf.cell(0, 6, f"{label}: {data.get(key) or '—'}", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(
        0,
        6,
        f"Số tài liệu đã hủy / Records destroyed: {len(data['destroyed'])}",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    for seat in data.get("council", []):
        vote = {"approve": "đồng ý", "reject": "không đồng ý"}.get(seat["vote"] or "", "chưa biểu quyết")
        pdf.cell(0, 6, f"Hội đồng: {seat['name']} ({seat['role']}): {vote}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    _table(pdf, data["destroyed"])
    return bytes(pdf.output())


def _table(pdf: FPDF, rows: list[dict[str, Any]]) -> None:
    widths = (45, 35, 25, 25, 25, 20, 102)
    headers = ("Số, ký hiệu", "Loại văn bản", "Cơ quan", "Quy tắc", "Hạn hủy", "Lý do", "SHA-256")
    pdf.set_font("viet", size=8)
    for width, header in zip(widths, headers, strict=True):
        pdf.cell(width, 6, header, border=1)
    pdf.ln()
    for row in rows:
        values = (
            row["document_number"],
            row["document_type"],
            row["agency_code"],
            row["rule_code"] or "",
            row["disposal_date"],
            "trùng thừa" if row["reason"] == "duplicate" else "hết hạn",
            row["sha256"],
        )
        for width, value in zip(widths, values, strict=True):
            pdf.cell(width, 5, str(value)[:70], border=1)
        pdf.ln()


def _reasons(batch: DispositionBatch) -> dict[str, tuple[str, str | None]]:
    return {i.record_id: (i.reason.value, i.duplicate_of) for i in batch.items}


def _tombstone(t: Tombstone, reasons: dict[str, tuple[str, str | None]]) -> dict[str, Any]:
    reason, kept = reasons.get(t.record_id, ("expired", None))
    return {
        "reason": reason,  # expired, or a duplicate of the record kept
        "duplicate_of": kept,
        "record_id": t.record_id,
        "document_number": t.document_number,
        "document_type": t.document_type,
        "agency_code": t.agency_code,
        "classification": t.classification,
        "issue_date": t.issue_date.isoformat(),
        "rule_code": t.rule_code,
        "disposal_date": t.disposal_date.isoformat(),
        "sha256": t.sha256,
        "size": t.size,
        "version_ids": list(t.version_ids),
        "destroyed_at": t.destroyed_at.isoformat(),
    }
