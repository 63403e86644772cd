from __future__ import annotations

import asyncio
from datetime import date

from archive.domain.access import UNRESTRICTED
from archive.domain.retention import RetentionRule
from archive.services import disposition, holds, retention
from archive.services.worker import drain
from tests.retention.support import put


async def test_smoke(embedded, clock) -> None:
    s = embedded
    r1 = await asyncio.to_thread(put, s, "1", issued=date(2015, 6, 1))
    r2 = await asyncio.to_thread(put, s, "2", issued=date(2015, 6, 1), document_type="Quyết định")
    await asyncio.to_thread(
        retention.change_rules,
        s,
        upserts=[RetentionRule("CV-10", "Công văn", 10, document_types=("Công văn",))],
        actor="rm",
    )
    assert await drain(s) == 2
    print(s.blobs.get_retention(r1.file.storage_key, "1"), s.blobs.get_legal_hold(r2.file.storage_key, "1"))
    b = await asyncio.to_thread(disposition.plan, s, actor="rm")
    print(b)
    assert b is None
    clock.advance(200)
    b = await asyncio.to_thread(disposition.plan, s, actor="rm")
    assert b is not None and [i.record_id for i in b.items] == [r1.id]
    await asyncio.to_thread(disposition.approve, s, b.id, approver="boss", decision_ref="QĐ 1/2025")
    rep = await disposition.run(s)
    print(rep)
    assert rep.destroyed == [r1.id]
    assert s.records.get(r1.id, UNRESTRICTED) is None
    print(disposition.batches(s).tombstone_of(r1.id))
    h = await asyncio.to_thread(
        holds.place_hold, s, name="x", reason="y", authority="z", actor="rm", record_ids=[r2.id]
    )
    print(h)
    assert s.blobs.get_legal_hold(r2.file.storage_key, "1")
