"""Plan, approve and purge; a crash at any step resumes to the same end state."""

from __future__ import annotations

import asyncio
import json
from datetime import date
from functools import partial
from typing import Any

import pytest
import sqlalchemy as sa

from archive.domain.access import UNRESTRICTED
from archive.domain.audit import verify_chain
from archive.domain.disposition import ItemState
from archive.domain.errors import DispositionRefused, MetadataInvalid
from archive.domain.retention import RetentionRule
from archive.services import audit, disposition, holds, retention
from archive.services.container import Services
from archive.services.worker import drain
from tests.retention.support import APPROVER, CHIEF, PLANNER, RM, Clock, archived, indexed_ids, put
from tests.support.db import engine_of

CV_10 = RetentionRule("CV-10", "Công văn", 10, document_types=("Công văn",))
ISSUED = date(2014, 3, 1)  # due on 2025-01-01 (the year after, plus 10); the clock starts on 2024-12-20


async def schedule(services: Services) -> None:
    await asyncio.to_thread(retention.change_rules, services, RM, upserts=[CV_10])


async def approved_batch(services: Services, decision: str = "QĐ 15/QĐ-UBND", limit: int = 1000) -> str:
    batch = await asyncio.to_thread(disposition.plan, services, PLANNER, limit=limit)
    assert batch is not None
    await asyncio.to_thread(disposition.approve, services, APPROVER, batch.id, decision_ref=decision)
    return batch.id


async def end_state(services: Services, record_id: str, key: str) -> dict[str, Any]:
    """Everything a purge leaves behind for one record, without ids and timestamps."""
    tomb = services.disposition.tombstone_of(record_id)
    destroys = [
        e for e in audit.entries(services) if e.action == disposition.DESTROY_ACTION and e.target == record_id
    ]
    return {
        "row": services.records.get(record_id, UNRESTRICTED) is not None,
        "indexed": record_id in await indexed_ids(services),
        "versions": services.blobs.version_ids(key),
        "tombstone": None
        if tomb is None
        else (tomb.document_type, tomb.rule_code, tomb.version_ids, tomb.decision_ref),
        "destroy_entries": len(destroys),
        "batch_items": [
            i.state for b in services.disposition.listing() for i in b.items if i.record_id == record_id
        ],
    }


async def test_nothing_is_planned_before_the_disposal_date(embedded: Services, clock: Clock) -> None:
    await schedule(embedded)
    await archived(embedded, "1", issued=ISSUED)
    assert await asyncio.to_thread(disposition.plan, embedded, PLANNER) is None
    clock.advance(50)
    batch = await asyncio.to_thread(disposition.plan, embedded, PLANNER)
    assert batch is not None and len(batch.items) == 1
    assert await asyncio.to_thread(disposition.plan, embedded, PLANNER) is None  # already in a batch


async def test_purge_leaves_only_a_tombstone_and_a_certificate(embedded: Services, clock: Clock) -> None:
    await schedule(embedded)
    record = await archived(embedded, "1", issued=ISSUED)
    kept = await archived(embedded, "2", issued=date(2020, 1, 1))
    clock.advance(50)
    batch_id = await approved_batch(embedded)
    report = await disposition.run(embedded)
    assert report.destroyed == [record.id]
    state = await end_state(embedded, record.id, record.file.storage_key)
    assert state == {
        "row": False,
        "indexed": False,
        "versions": (),
        "tombstone": ("Công văn", "CV-10", ("1",), "QĐ 15/QĐ-UBND"),
        "destroy_entries": 1,
        "batch_items": [ItemState.DONE],
    }
    tomb = embedded.disposition.tombstone_of(record.id)
    assert tomb is not None and (tomb.document_number, tomb.sha256) == ("1/UBND-VP", record.file.sha256)
    assert embedded.records.get(kept.id, UNRESTRICTED) is not None
    assert kept.id in await indexed_ids(embedded)
    certificate = json.loads((embedded.settings.data_dir / "certificates" / f"{batch_id}.json").read_text())
    assert certificate["decision_ref"] == "QĐ 15/QĐ-UBND"
    assert [d["record_id"] for d in certificate["destroyed"]] == [record.id]
    pdf = (embedded.settings.data_dir / "certificates" / f"{batch_id}.pdf").read_bytes()
    assert pdf.startswith(b"%PDF")
    assert verify_chain(audit.entries(embedded)).ok


@pytest.mark.parametrize(
    "crash_after", [s for s in ItemState if s not in (ItemState.PENDING, ItemState.SKIPPED)]
)
async def test_a_crash_at_any_step_resumes_to_the_clean_end_state(
    embedded: Services, clock: Clock, crash_after: ItemState
) -> None:
    await schedule(embedded)
    first = await archived(embedded, "1", issued=ISSUED)
    second = await archived(embedded, "2", issued=ISSUED)
    clock.advance(50)
    # One record goes through a clean batch of its own first.
    first_batch = embedded.disposition.get(await approved_batch(embedded, limit=1))
    assert first_batch is not None
    clean, crashed = (first, second) if first_batch.items[0].record_id == first.id else (second, first)
    await disposition.run(embedded)
    await approved_batch(embedded)
    with pytest.raises(disposition.InjectedCrash):
        await disposition.run(embedded, crash_after=crash_after)
    await disposition.run(embedded)
    await disposition.run(embedded)  # and once more: nothing changes
    assert await end_state(embedded, crashed.id, crashed.file.storage_key) == await end_state(
        embedded, clean.id, clean.file.storage_key
    )
    assert verify_chain(audit.entries(embedded)).ok


async def test_a_hold_placed_before_the_purge_starts_wins(embedded: Services, clock: Clock) -> None:
    await schedule(embedded)
    record = await archived(embedded, "1", issued=ISSUED)
    clock.advance(50)
    await approved_batch(embedded)
    await asyncio.to_thread(
        holds.place_hold,
        embedded,
        RM,
        name="Thanh tra",
        reason="r",
        authority="TTr 1/2025",
        record_ids=[record.id],
    )
    report = await disposition.run(embedded)
    assert report.skipped == [record.id] and report.destroyed == []
    assert embedded.records.get(record.id, UNRESTRICTED) is not None
    assert embedded.blobs.version_ids(record.file.storage_key) == ("1",)


async def test_a_hold_after_the_purge_started_is_refused(embedded: Services, clock: Clock) -> None:
    await schedule(embedded)
    record = await archived(embedded, "1", issued=ISSUED)
    clock.advance(50)
    await approved_batch(embedded)
    with pytest.raises(disposition.InjectedCrash):
        await disposition.run(embedded, crash_after=ItemState.STARTED)
    change = await asyncio.to_thread(
        holds.place_hold, embedded, RM, name="late", reason="r", authority="a", record_ids=[record.id]
    )
    assert change.refused == (record.id,) and change.added == ()


async def test_a_rule_change_after_planning_skips_the_record(embedded: Services, clock: Clock) -> None:
    await schedule(embedded)
    record = await archived(embedded, "1", issued=ISSUED)
    clock.advance(50)
    await approved_batch(embedded)
    longer = RetentionRule("CV-10", "Công văn", 20, document_types=("Công văn",))
    await asyncio.to_thread(retention.change_rules, embedded, RM, upserts=[longer])
    report = await disposition.run(embedded)
    assert report.skipped == [record.id]
    assert embedded.records.get(record.id, UNRESTRICTED) is not None


async def test_approval_needs_a_decision_and_maybe_another_person(embedded: Services, clock: Clock) -> None:
    await schedule(embedded)
    await archived(embedded, "1", issued=ISSUED)
    clock.advance(50)
    batch = await asyncio.to_thread(disposition.plan, embedded, PLANNER)
    assert batch is not None
    with pytest.raises(MetadataInvalid):
        await asyncio.to_thread(disposition.approve, embedded, CHIEF, batch.id, decision_ref=" ")
    embedded.settings.retention_separate_approver = True
    with pytest.raises(DispositionRefused, match="other than the planner"):
        await asyncio.to_thread(disposition.approve, embedded, PLANNER, batch.id, decision_ref="QĐ 1")
    await asyncio.to_thread(disposition.approve, embedded, CHIEF, batch.id, decision_ref="QĐ 1")
    with pytest.raises(DispositionRefused, match="not proposed"):
        await asyncio.to_thread(disposition.approve, embedded, CHIEF, batch.id, decision_ref="QĐ 1")


async def test_dry_run_changes_nothing_and_exports_list_the_batch(embedded: Services, clock: Clock) -> None:
    await schedule(embedded)
    record = await archived(embedded, "1", issued=ISSUED)
    clock.advance(50)
    batch_id = await approved_batch(embedded)
    report = await disposition.run(embedded, dry_run=True)
    assert report.destroyed == [record.id]
    assert embedded.records.get(record.id, UNRESTRICTED) is not None
    batch = embedded.disposition.get(batch_id)
    assert batch is not None
    assert record.id in disposition.render(batch, "csv").splitlines()[1]
    assert json.loads(disposition.render(batch, "json"))["records"][0]["record_id"] == record.id


async def test_a_purge_leaves_no_derived_rows_behind(embedded: Services, clock: Clock) -> None:
    """Pages, thumbnails, signature and processing rows go with the record: only the
    tombstone (and the audit chain) may still speak of it."""
    await schedule(embedded)
    record = await asyncio.to_thread(put, embedded, "1", issued=ISSUED)
    grant = partial(embedded.records.set_grant, present=True, now=embedded.clock())
    await asyncio.to_thread(grant, record.id, "agency:SNV")
    assert await drain(embedded) == 2  # its processing, and the re-index the grant enqueued
    assert await asyncio.to_thread(count_rows, embedded, record.id) != {}
    clock.advance(50)
    await approved_batch(embedded)
    assert (await disposition.run(embedded)).destroyed == [record.id]
    assert await asyncio.to_thread(count_rows, embedded, record.id) == {}


def count_rows(services: Services, record_id: str) -> dict[str, int]:
    """Rows that name the record, by table, outside the retention bookkeeping."""
    tables = ("records", "pages", "grants", "jobs", "signatures", "thumbnails", "processing_outcomes")
    found: dict[str, int] = {}
    with engine_of(services).connect() as conn:
        for table in tables:
            column = "id" if table == "records" else "record_id"
            query = sa.text(f"SELECT count(*) FROM {table} WHERE {column} = :id")
            if n := conn.execute(query, {"id": record_id}).scalar_one():
                found[table] = n
    return found
