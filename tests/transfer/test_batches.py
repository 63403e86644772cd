"""Transfer batches on both stacks: prepare -> send -> accept or refuse, each audited; what
cannot go is named; a batch is seen whole or not at all (issue 13, the handover)."""

from __future__ import annotations

import asyncio
import hashlib
import zipfile

import pytest

from archive.domain.archival import DossierStatus
from archive.domain.errors import DispositionRefused, Forbidden, MetadataInvalid, NotFound
from archive.domain.ports import AuditFilter
from archive.domain.records import Classification
from archive.domain.transfer import TransferStatus
from archive.services import archival, transfer
from archive.services.audit import ClientInfo
from archive.services.audit import query as audit_query
from archive.services.container import Services
from archive.services.transfer import Selection
from tests.support import eark
from tests.transfer.world import ADMIN, RM_A, RM_A_LOW, RM_B, permanent

CENTRE = "Trung tâm Lưu trữ lịch sử tỉnh Hà Giang"


def prepare(services: Services, principal=RM_A, **selection):  # type: ignore[no-untyped-def]
    return transfer.prepare(services, principal, Selection(**selection), archive_name=CENTRE)


async def test_a_batch_goes_from_prepared_to_accepted_and_its_dossiers_are_transferred(
    services: Services,
) -> None:
    ready, records = await permanent(services)
    open_one, _ = await permanent(services, close=False)
    yearly, _ = await permanent(services, maintenance="04")
    done = await asyncio.to_thread(prepare, services, dossier_ids=(ready.id, open_one.id, yearly.id, "nope"))
    assert done.batch is not None and done.batch.status is TransferStatus.PREPARED
    assert [i.dossier_id for i in done.batch.items] == [ready.id]
    assert {(u.file_code, u.reason) for u in done.refused} == {
        (open_one.file_code, "the dossier is open"),
        (yearly.file_code, "not permanent (maintenance 04)"),
        ("nope", "no such dossier"),
    }
    item = done.batch.items[0]
    assert (item.documents, item.pages, item.bytes) == (2, 2, sum(r.file.size for r in records))
    package = services.settings.data_dir / "transfers" / done.batch.id / item.package.name
    assert hashlib.sha256(package.read_bytes()).hexdigest() == item.package.sha256
    with zipfile.ZipFile(package) as zf:
        stored = {hashlib.sha256(zf.read(n)).hexdigest() for n in zf.namelist() if "/data/" in n}
    assert stored == {r.file.sha256 for r in records}  # the original bytes, unchanged
    report = await asyncio.to_thread(eark.validate, package)  # the outside judge: a valid SIP
    assert report.is_valid, report.errors()

    again = await asyncio.to_thread(prepare, services, dossier_ids=(ready.id,))
    assert again.batch is None and again.refused[0].reason == "already in a transfer batch"

    sent = await asyncio.to_thread(transfer.send, services, RM_A, done.batch.id, reference="CV 12/LTLS")
    assert (sent.status, sent.sent_by, sent.reference) == (TransferStatus.SENT, "rm-a", "CV 12/LTLS")
    receipt = "Biên bản tiếp nhận số 7".encode()
    accepted = await asyncio.to_thread(
        transfer.accept, services, RM_A, done.batch.id, receipt_ref="BB 7/LTLS", receipt=receipt
    )
    assert accepted.status is TransferStatus.ACCEPTED
    assert accepted.receipt_sha256 == hashlib.sha256(receipt).hexdigest()
    assert await asyncio.to_thread(transfer.receipt_bytes, services, RM_A, done.batch.id) == receipt
    moved = await asyncio.to_thread(archival.get_dossier, services, ADMIN, ready.id)
    assert moved is not None and moved.status is DossierStatus.TRANSFERRED
    assert services.transfers.transferred_records(done.batch.id) == [r.id for r in records]
    with pytest.raises(MetadataInvalid):
        await asyncio.to_thread(transfer.refuse, services, RM_A, done.batch.id, reason="late")

    page = await audit_query(services, ADMIN, ClientInfo("", ""), AuditFilter(target=done.batch.id), first=10)
    assert sorted(e.action for e in page.entries) == ["transfer.accept", "transfer.prepare", "transfer.send"]


async def test_a_refused_batch_keeps_its_reason_and_frees_its_dossiers(services: Services) -> None:
    ready, _ = await permanent(services)
    batch = (await asyncio.to_thread(prepare, services, dossier_ids=(ready.id,))).batch
    assert batch is not None
    await asyncio.to_thread(transfer.send, services, RM_A, batch.id)
    refused = await asyncio.to_thread(transfer.refuse, services, RM_A, batch.id, reason="Thiếu mục lục")
    assert (refused.status, refused.refusal_reason) == (TransferStatus.REFUSED, "Thiếu mục lục")
    kept = await asyncio.to_thread(archival.get_dossier, services, ADMIN, ready.id)
    assert kept is not None and kept.status is DossierStatus.CLOSED
    assert (await asyncio.to_thread(prepare, services, dossier_ids=(ready.id,))).batch is not None


async def test_acceptance_needs_a_receipt_and_bad_input_is_refused(services: Services) -> None:
    ready, _ = await permanent(services)
    batch = (await asyncio.to_thread(prepare, services, dossier_ids=(ready.id,))).batch
    assert batch is not None
    with pytest.raises(MetadataInvalid):  # prepared, not sent
        await asyncio.to_thread(transfer.accept, services, RM_A, batch.id, receipt_ref="x")
    await asyncio.to_thread(transfer.send, services, RM_A, batch.id)
    with pytest.raises(MetadataInvalid, match="receipt"):
        await asyncio.to_thread(transfer.accept, services, RM_A, batch.id)
    with pytest.raises(MetadataInvalid, match="control"):
        await asyncio.to_thread(transfer.refuse, services, RM_A, batch.id, reason="a\x00b")
    with pytest.raises(MetadataInvalid, match="archive_name"):
        transfer.prepare(services, RM_A, Selection(dossier_ids=(ready.id,)), archive_name=" ")


async def test_the_two_person_rule_needs_another_sender(services: Services) -> None:
    services.settings = services.settings.model_copy(update={"retention_separate_approver": True})
    ready, _ = await permanent(services)
    batch = (await asyncio.to_thread(prepare, services, dossier_ids=(ready.id,))).batch
    assert batch is not None
    with pytest.raises(DispositionRefused):
        await asyncio.to_thread(transfer.send, services, RM_A, batch.id)
    sent = await asyncio.to_thread(transfer.send, services, ADMIN, batch.id)
    assert sent.sent_by == ADMIN.subject


async def test_another_agency_or_a_lower_clearance_never_sees_prepares_or_moves_a_batch(
    services: Services,
) -> None:
    ordinary, _ = await permanent(services)
    secret, _ = await permanent(services, level=Classification.SECRET)
    both = (await asyncio.to_thread(prepare, services, dossier_ids=(ordinary.id, secret.id))).batch
    assert both is not None and len(both.items) == 2
    for outsider in (RM_B, RM_A_LOW):
        with pytest.raises(NotFound):
            await asyncio.to_thread(transfer.get, services, outsider, both.id)
        with pytest.raises(NotFound):
            await asyncio.to_thread(transfer.send, services, outsider, both.id)
        assert await asyncio.to_thread(transfer.listing, services, outsider) == []
    by_b = await asyncio.to_thread(prepare, services, RM_B, dossier_ids=(secret.id,))
    assert by_b.batch is None and by_b.refused[0].reason == "no such dossier"  # like a random id
    low = await asyncio.to_thread(prepare, services, RM_A_LOW, dossier_ids=(secret.id,))
    assert low.batch is None and low.refused[0].reason == "no such dossier"
    with pytest.raises(Forbidden):
        await asyncio.to_thread(
            prepare, services, RM_A.__class__(subject="nobody"), dossier_ids=(ordinary.id,)
        )


async def test_a_fonds_year_selects_its_permanent_dossiers(services: Services) -> None:
    ready, _ = await permanent(services)
    await permanent(services, maintenance="04")
    done = await asyncio.to_thread(prepare, services, fonds_id=ready.fonds_id, year=2026)
    assert done.batch is not None and [i.dossier_id for i in done.batch.items] == [ready.id]
    codes = await asyncio.to_thread(prepare, services, fonds_id=ready.fonds_id, file_codes=(ready.file_code,))
    assert codes.batch is None and codes.refused[0].reason == "already in a transfer batch"


async def test_a_dossier_reopened_after_preparation_stops_the_acceptance(services: Services) -> None:
    ready, _ = await permanent(services)
    batch = (await asyncio.to_thread(prepare, services, dossier_ids=(ready.id,))).batch
    assert batch is not None
    await asyncio.to_thread(transfer.send, services, RM_A, batch.id)
    await asyncio.to_thread(archival.reopen_dossier, services, ADMIN, ready.id)
    with pytest.raises(MetadataInvalid, match=ready.file_code):
        await asyncio.to_thread(transfer.accept, services, RM_A, batch.id, receipt_ref="BB 9")
    assert services.transfers.transferred_records(batch.id) == []
    assert (await asyncio.to_thread(transfer.get, services, RM_A, batch.id)).status is TransferStatus.SENT
