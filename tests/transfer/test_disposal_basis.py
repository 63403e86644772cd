"""After acceptance, the local copies go through the normal disposition flow with the transfer
as their basis (no second destruction path), on both stacks."""

from __future__ import annotations

import asyncio

import pytest

from archive.domain.access import UNRESTRICTED
from archive.domain.disposition import DisposalReason
from archive.domain.errors import DispositionRefused, NotFound
from archive.services import disposition, holds, transfer
from archive.services.container import Services
from archive.services.transfer import Selection
from tests.transfer.world import ADMIN, RM_A, RM_B, permanent

CENTRE = "Trung tâm Lưu trữ lịch sử"


async def accepted_batch(services: Services, documents: int = 2) -> tuple[str, list[str]]:
    ready, records = await permanent(services, documents=documents)
    done = await asyncio.to_thread(
        transfer.prepare, services, RM_A, Selection(dossier_ids=(ready.id,)), archive_name=CENTRE
    )
    assert done.batch is not None
    await asyncio.to_thread(transfer.send, services, RM_A, done.batch.id)
    return done.batch.id, [r.id for r in records]


async def test_the_local_copies_of_an_accepted_batch_are_destroyed_on_its_basis(services: Services) -> None:
    batch_id, record_ids = await accepted_batch(services)
    with pytest.raises(DispositionRefused):  # sent, not yet accepted
        await asyncio.to_thread(disposition.plan, services, RM_A, transfer_id=batch_id)
    await asyncio.to_thread(transfer.accept, services, RM_A, batch_id, receipt_ref="BB 1")
    with pytest.raises(NotFound):  # another agency's batch looks like none
        await asyncio.to_thread(disposition.plan, services, RM_B, transfer_id=batch_id)

    planned = await asyncio.to_thread(disposition.plan, services, RM_A, transfer_id=batch_id)
    assert planned is not None
    assert sorted((i.record_id, i.reason.value) for i in planned.items) == sorted(
        (r, DisposalReason.TRANSFERRED.value) for r in record_ids
    )
    assert batch_id in planned.explanatory_note
    await asyncio.to_thread(disposition.approve, services, ADMIN, planned.id, decision_ref="QĐ 5/QĐ-UBND")
    report = await disposition.run(services)
    assert sorted(report.destroyed) == sorted(record_ids)
    assert services.records.get_many(record_ids, UNRESTRICTED, with_pages=False) == {}


async def test_a_held_record_stays_out_of_the_batch(services: Services) -> None:
    batch_id, record_ids = await accepted_batch(services, documents=2)
    await asyncio.to_thread(transfer.accept, services, RM_A, batch_id, receipt_ref="BB 2")
    await asyncio.to_thread(
        holds.place_hold,
        services,
        RM_A,
        name="Thanh tra",
        reason="r",
        authority="TTr 1",
        record_ids=[record_ids[0]],
    )
    planned = await asyncio.to_thread(disposition.plan, services, RM_A, transfer_id=batch_id)
    assert planned is not None and [i.record_id for i in planned.items] == [record_ids[1]]
