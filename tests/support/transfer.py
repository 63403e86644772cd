"""TT05 packages made by the sip writer (``archive.packaging``) for the import's tests.

``make_package`` describes a dossier and its documents with the package model and writes
them with the real writer, so the importer is tested on what our own exporter produces;
the round-trip test exports from a deposited dossier instead. Bad packages are mutations
of these (``tests.support.bad_packages.mutated``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from archive.domain.packages import (
    BatchDescription,
    DocumentDescription,
    DossierDescription,
    Package,
    PackageKind,
    RecordStatus,
    Software,
    Submitter,
    new_objid,
)
from archive.packaging.writer import PackageFiles
from archive.samples import SampleDocument, render_pdf

CREATED = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Doc:
    """One document to put in a package: its bytes and its mode (01 public, 02, 03 secret)."""

    data: bytes
    mode: str = "01"
    number: str = "1"


def sample_pdf(number: str) -> bytes:
    return render_pdf(SampleDocument(number=number, issue_date=date(2025, 3, 1)))


def documents(count: int, *, mode: str = "01") -> list[Doc]:
    return [Doc(sample_pdf(str(n)), mode=mode, number=str(n)) for n in range(1, count + 1)]


def make_package(
    path: Path,
    docs: Sequence[Doc],
    *,
    agency: str = "A",
    fonds_code: str = "F-A",
    file_code: str = "A.2025.01-HS",
    mode: str = "01",
    record_status: RecordStatus = RecordStatus.NEW,
    loose: bool = False,
) -> Path:
    """A SIP_hoso zip of one dossier holding ``docs`` in order, written by the sip writer
    (``loose``: a SIP_tailieu of the same documents, described as a batch)."""
    described = [_document(d, i, file_code, agency) for i, d in enumerate(docs, start=1)]
    dossier = DossierDescription(
        file_code=file_code,
        arc_file_code=None,
        title="Hồ sơ chuyển đổi số năm 2025",
        maintenance="01",
        mode=mode,
        languages=("01",),
        start_date=date(2025, 3, 1),
        end_date=date(2025, 3, 1),
        keyword="chuyển đổi số",
        total_doc=len(docs),
        number_of_paper=None,
        number_of_page=len(docs),
        physical_format="01",
        infor_sign="",
        confidence_level=None,
        paper_file_code="",
        risk_recovery="0",
        risk_recovery_status="0",
        description="Nộp lưu vào lưu trữ lịch sử",
        fonds_code=fonds_code,
        agency_code=agency,
    )
    batch = BatchDescription(
        title="Tài liệu rời", fonds_code=fonds_code, agency_code=agency, total_doc=len(docs),
        start_date=date(2025, 3, 1), end_date=date(2025, 3, 1),
    )  # fmt: skip
    package = Package(
        kind=PackageKind.SIP_TAILIEU if loose else PackageKind.SIP_HOSO,
        objid=new_objid(),
        created=CREATED,
        record_status=record_status,
        submitter=Submitter(name=f"Ủy ban nhân dân {agency}", agency_code=agency, fonds_code=fonds_code),
        software=Software("another-archive", "2.1"),
        submission_agreement="SA-2026-01",
        label=dossier.title,
        dossier=None if loose else dossier,
        batch=batch if loose else None,
        documents=tuple(described),
    )
    data = {d.doc_id: doc.data for d, doc in zip(described, docs, strict=True)}
    with path.open("wb") as sink:
        PackageFiles().write(package, lambda d: iter([data[d.doc_id]]), sink)
    return path


def _document(doc: Doc, ordinal: int, file_code: str, agency: str) -> DocumentDescription:
    code = f"{file_code}.{ordinal:07d}"
    return DocumentDescription(
        record_id=f"source-{ordinal}",
        doc_id=code,
        doc_code=code,
        arc_doc_code=None,
        file_code=file_code,
        doc_ordinal=ordinal,
        type_name="15",
        code_number=doc.number,
        code_notation="QĐ-UBND",
        issued_date=date(2025, 3, 1),
        organ_name=f"Ủy ban nhân dân {agency}",
        organ_code=agency,
        subject=f"Về việc áp dụng chữ ký số, văn bản {ordinal}",
        languages=("01",),
        page_amount=1,
        signer_name="Nguyễn Văn An",
        signer_position="Chủ tịch",
        keyword="chữ ký số",
        mode=doc.mode,
        confidence_level=None,
        infor_sign="",
        autograph="",
        physical_format="01",
        process=False,
        description="",
        issued_amount=3,
        media_type="application/pdf",
        sha256=hashlib.sha256(doc.data).hexdigest(),
        size=len(doc.data),
    )
