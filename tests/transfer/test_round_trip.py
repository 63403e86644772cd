"""The round trip (issue 13), on both stacks: a dossier of signed and unsigned documents is
deposited, processed and closed on one deployment, exported as a SIP_hoso by the sip
writer, and imported into another, fresh deployment. The receiving side has the same
TT05 metadata, byte-identical files and, once its own pipeline has run, the same
signature verdicts; importing the package again changes nothing.
"""

from __future__ import annotations

import asyncio
import dataclasses
import io
from datetime import date
from pathlib import Path

from archive.domain.access import UNRESTRICTED
from archive.domain.archival import Dossier, Fonds
from archive.domain.records import Direction, Record, RecordMetadata
from archive.samples import SampleDocument, render_pdf
from archive.services import archival, packages
from archive.services.container import Services
from archive.services.deposit import deposit
from archive.services.package_import import import_package
from archive.services.worker import drain
from tests.retention.scenario import ADMIN
from tests.support.signing import make_pki, sign_pdf, write_trust_roots

AGENCY = "UBND-HG"
# The TT05 fields a package carries, on the record and on the dossier.
RECORD_FIELDS = (
    "type_name", "number", "notation", "issue_date", "issuing_agency_name", "issuing_agency_code", "subject",
    "languages", "page_count", "signer_name", "signer_position", "keyword", "mode", "infor_sign", "autograph",
    "physical_format", "process", "description", "issued_amount",
)  # fmt: skip
DOSSIER_FIELDS = (
    "file_code", "title", "maintenance", "mode", "languages", "start_date", "end_date", "keyword",
    "number_of_paper", "physical_format", "infor_sign", "paper_file_code", "risk_recovery",
    "risk_recovery_status", "description", "classification", "is_public",
)  # fmt: skip


def signed_cases(trust_roots: Path) -> list[bytes]:
    """A trusted signature, a signature from an unknown root, and no signature. pyHanko signs
    on its own event loop: call this from a thread."""
    pki, stranger = make_pki(), make_pki(root_name="Root CA Lạ")
    write_trust_roots(trust_roots, pki.root.certificate)
    trusted = sign_pdf(render_pdf(SampleDocument(number="41")), pki.signer, pki)
    untrusted = sign_pdf(render_pdf(SampleDocument(number="42")), stranger.signer, stranger)
    return [trusted, untrusted, render_pdf(SampleDocument(number="43"))]


def metadata(n: int) -> RecordMetadata:
    return RecordMetadata(
        document_type="Quyết định",
        number=str(40 + n),
        notation="QĐ-UBND",
        issuing_agency_code=AGENCY,
        issuing_agency_name="Ủy ban nhân dân tỉnh Hà Giang",
        issue_date=date(2025, 3, n),
        subject=f"Về việc chuyển đổi số, đợt {n}",
        signer_name="Nguyễn Văn An",
        signer_position="Chủ tịch",
        direction=Direction.OUTGOING,
        mode="01",
        is_public=True,
        keyword="chuyển đổi số",
        infor_sign="CĐS",
        autograph="Đã ký",
        physical_format="01",
        description="Bản gốc điện tử",
        issued_amount=5,
    )


async def closed_dossier(services: Services, pdfs: list[bytes]) -> Dossier:
    fonds = archival.create_fonds(
        services, ADMIN, Fonds(id="", code="HG-UBND", name="Phông UBND tỉnh Hà Giang", agency_code=AGENCY)
    )
    draft = Dossier(
        id="", fonds_id=fonds.id, agency_code="", file_code="", title="Hồ sơ chuyển đổi số năm 2025",
        maintenance="01", mode="01", year=2025, file_number="12-CĐS", keyword="chuyển đổi số",
        description="Hồ sơ nộp lưu",
    )  # fmt: skip
    made = archival.create_dossier(services, ADMIN, draft)
    ids = [
        deposit(services, ADMIN, io.BytesIO(pdf), filename=f"vb{n}.pdf", metadata=metadata(n)).id
        for n, pdf in enumerate(pdfs, start=1)
    ]
    assert await drain(services) == len(pdfs)
    assert archival.place_records(services, ADMIN, made.id, ids).refused == ()
    return archival.close_dossier(services, ADMIN, made.id)


def members(services: Services, dossier_id: str) -> list[Record]:
    ids = services.archival.member_ids(dossier_id)
    found = services.records.get_many(ids, UNRESTRICTED)
    return [found[i] for i in ids]


def verdicts(services: Services, records: list[Record]) -> list[list[str]]:
    reports = services.results.signatures_of([r.id for r in records])
    return [[s.verdict.value for s in reports[r.id]] for r in records]


def fields(value: object, names: tuple[str, ...]) -> dict[str, object]:
    return {n: getattr(value, n) for n in names}


async def test_export_then_import_gives_the_same_dossier_bytes_and_verdicts(
    services: Services, receiving: Services, tmp_path: Path
) -> None:
    pdfs = await asyncio.to_thread(signed_cases, services.settings.resolved_trust_roots_dir)
    source = await closed_dossier(services, pdfs)
    exported = await asyncio.to_thread(packages.export_dossier, services, ADMIN, source.id, tmp_path / "out")

    result = await asyncio.to_thread(import_package, receiving, ADMIN, exported.path)
    assert result.created and result.objid == exported.written.objid
    assert await drain(receiving) == len(pdfs)

    sent, kept = members(services, source.id), members(receiving, result.dossier_id)
    assert [fields(r.metadata, RECORD_FIELDS) for r in kept] == [
        fields(r.metadata, RECORD_FIELDS) for r in sent
    ]
    assert [r.doc_ordinal for r in kept] == [1, 2, 3]
    for record, pdf in zip(kept, pdfs, strict=True):
        assert b"".join(receiving.blobs.iter_bytes(record.file.storage_key)) == pdf
    assert verdicts(receiving, kept) == verdicts(services, sent) == [["valid"], ["untrusted"], []]
    dossier = receiving.archival.dossier(result.dossier_id, UNRESTRICTED)
    assert dossier is not None
    assert fields(dossier, DOSSIER_FIELDS) == fields(dataclasses.replace(source), DOSSIER_FIELDS) | {
        "start_date": date(2025, 3, 1), "end_date": date(2025, 3, 3)
    }  # fmt: skip
    fonds = receiving.archival.fonds_by_code("HG-UBND")
    assert fonds is not None and fonds.agency_code == AGENCY

    again = await asyncio.to_thread(import_package, receiving, ADMIN, exported.path)
    assert not again.created and again.record_ids == result.record_ids
    assert receiving.records.count(UNRESTRICTED) == len(pdfs)
