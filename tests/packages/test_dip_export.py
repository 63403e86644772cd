"""The DIP of an approved reader request, end to end on both stacks: copies of the documents
the approval covers (their original bytes), the request's metadata and an authentication PDF
listing each copy's SHA-256; eark-validator and our own checks accept the package."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path

import httpx
import pytest

from archive.domain.access import Principal, Role
from archive.domain.access_requests import RequestForm
from archive.domain.audit import Outcome
from archive.domain.errors import Forbidden
from archive.domain.records import Classification
from archive.packaging.validation import check_folder
from archive.samples import SampleDocument, render_pdf
from archive.services import access_requests, dip
from archive.services.audit import ClientInfo
from archive.services.container import Services
from archive.services.worker import drain
from tests.packages.test_sip_export import deposited, unpack
from tests.support import eark
from tests.support.exports import pdf_text

CLIENT = ClientInfo()
READER = Principal(subject="reader-binh", roles=frozenset({Role.READER}))  # reads no agency's records
ARCHIVIST = Principal(
    subject="archivist-1", roles=frozenset({Role.ARCHIVIST}), clearance=Classification.ORDINARY
)


def form(ids: list[str]) -> RequestForm:
    return RequestForm(
        code="PYC-07/2026",
        requested_on=date(2026, 3, 2),
        purpose="research",
        topic="Chuyển đổi số ở Hà Giang",
        reader_name="Trần Thị Bình",
        record_ids=tuple(ids),
    )


async def test_the_reader_receives_copies_of_what_the_approval_covers(
    client: httpx.AsyncClient, services: Services, tmp_path: Path
) -> None:
    pdfs = [render_pdf(SampleDocument(number=str(n), subject=f"Bản {n}")) for n in (41, 42)]
    ids = await deposited(client, services, pdfs)
    assert await drain(services) == 2
    request = await access_requests.submit(services, READER, CLIENT, form(ids))
    with pytest.raises(Forbidden):  # not approved yet
        await dip.export(services, READER, CLIENT, request.id, tmp_path / "early")
    await access_requests.decide(services, ARCHIVIST, CLIENT, request.id, approve=True, note="Đồng ý")

    exported = await dip.export(services, READER, CLIENT, request.id, tmp_path / "out")

    assert exported.written.kind.value == "DIP" and exported.written.record_ids == tuple(ids)
    report = eark.validate(exported.path)
    assert report.is_valid, report.errors()
    root = unpack(exported.path, tmp_path / "unpacked")
    assert check_folder(root) == []
    assert 'OAISPACKAGETYPE="DIP"' in (root / "METS.xml").read_text(encoding="utf-8")
    copies = [root / f"representations/rep1/data/{i}.pdf" for i in ids]
    assert [c.read_bytes() for c in copies] == pdfs  # byte-identical copies
    metadata = json.loads((root / dip.REQUEST_PATH).read_text(encoding="utf-8"))
    assert metadata["code"] == "PYC-07/2026" and metadata["purpose"]["code"] == "01"
    assert metadata["copiedRecordIds"] == ids and metadata["approvedBy"] == ARCHIVIST.subject
    text = pdf_text((root / dip.AUTHENTICATION_PATH).read_bytes())
    assert "CHỨNG THỰC BẢN SAO" in text and "PYC-07/2026" in text and "Trần Thị Bình" in text
    for pdf in pdfs:
        digest = hashlib.sha256(pdf).hexdigest()
        assert digest[:20] in text.replace("\n", "")
    denied, entry = [e for e in services.audit.entries() if e.action == "package.export"]
    assert denied.outcome is Outcome.DENIED and denied.target == request.id  # the early attempt
    assert entry.outcome is Outcome.OK and entry.actor == READER.subject and entry.details["kind"] == "DIP"


async def test_an_archivist_exporting_for_a_reader_copies_only_what_it_may_read(
    client: httpx.AsyncClient, services: Services, tmp_path: Path
) -> None:
    ids = await deposited(client, services, [render_pdf(SampleDocument(number="51"))])
    assert await drain(services) == 1
    request = await access_requests.submit(services, READER, CLIENT, form(ids))
    with pytest.raises(Forbidden):  # a reader never approves its own request
        await access_requests.decide(services, READER, CLIENT, request.id, approve=True)
    await access_requests.decide(services, ARCHIVIST, CLIENT, request.id, approve=True)
    exported = await dip.export(services, ARCHIVIST, CLIENT, request.id, tmp_path / "out")
    assert exported.written.record_ids == tuple(ids)
    stranger = Principal(subject="reader-2", roles=frozenset({Role.READER}))
    with pytest.raises(Exception) as refused:  # another reader does not even see the request
        await dip.export(services, stranger, CLIENT, request.id, tmp_path / "stranger")
    assert getattr(refused.value, "code", "") == "NOT_FOUND"
