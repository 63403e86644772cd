"""Rule changes recompute, re-seal and audit; locks never shorten; holds mirror on objects."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path

import pytest

from archive.domain.errors import RetentionConflict
from archive.domain.holds import RecordSelector
from archive.domain.ports import RetentionMode
from archive.domain.retention import Assignment, Dossier, RetentionRule, Trigger, lock_until
from archive.services import audit, holds, retention
from archive.services.container import Services
from tests.retention.support import RM, Clock, archived

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "retention-schedule.json"
CV_10 = RetentionRule("CV-10", "Công văn", 10, document_types=("Công văn",))


def lock_of(services: Services, key: str) -> tuple[object, bool]:
    r = services.blobs.get_retention(key, "1")
    return (None if r is None else (r.mode, r.until)), services.blobs.get_legal_hold(key, "1")


async def test_sealing_locks_until_the_disposal_date_or_holds_permanent_records(embedded: Services) -> None:
    await asyncio.to_thread(retention.change_rules, embedded, RM, upserts=[CV_10])
    dated = await archived(embedded, "1", issued=date(2020, 6, 1))
    forever = await archived(embedded, "2", issued=date(2020, 6, 1), document_type="Quyết định")
    assert lock_of(embedded, dated.file.storage_key) == (
        (RetentionMode.GOVERNANCE, lock_until(date(2031, 1, 1))),
        False,
    )
    assert lock_of(embedded, forever.file.storage_key) == (None, True)  # no rule: kept permanently
    await asyncio.to_thread(retention.seal, embedded, dated.id)  # idempotent
    assert lock_of(embedded, dated.file.storage_key)[0] == (
        RetentionMode.GOVERNANCE,
        lock_until(date(2031, 1, 1)),
    )


async def test_a_rule_change_recomputes_reseals_and_is_audited(embedded: Services) -> None:
    forever = await archived(embedded, "2", issued=date(2020, 6, 1), document_type="Quyết định")
    qd = RetentionRule("QD-20", "Quyết định", 20, document_types=("Quyết định",))
    change = await asyncio.to_thread(retention.change_rules, embedded, RM, upserts=[qd])
    assert change.recomputed == 1  # the record below, checked by its new lock
    assert lock_of(embedded, forever.file.storage_key) == (
        (RetentionMode.GOVERNANCE, lock_until(date(2041, 1, 1))),
        False,  # no longer permanent: the legal hold is released
    )
    entry = audit.find(embedded, action="retention.rule_upsert", target="QD-20")
    assert entry is not None and entry.actor == "rm" and entry.details["recomputed"] == 1
    longer = RetentionRule("QD-20", "Quyết định", 30, document_types=("Quyết định",))
    await asyncio.to_thread(retention.change_rules, embedded, RM, upserts=[longer])
    assert lock_of(embedded, forever.file.storage_key)[0] == (
        RetentionMode.GOVERNANCE,
        lock_until(date(2051, 1, 1)),
    )


async def test_a_disposal_date_never_moves_before_the_object_lock(embedded: Services) -> None:
    await asyncio.to_thread(retention.change_rules, embedded, RM, upserts=[CV_10])
    record = await archived(embedded, "1", issued=date(2020, 6, 1))
    shorter = RetentionRule("CV-10", "Công văn", 5, document_types=("Công văn",))
    with pytest.raises(RetentionConflict) as caught:
        await asyncio.to_thread(retention.change_rules, embedded, RM, upserts=[shorter])
    assert caught.value.record_ids == (record.id,)
    assert "Object Lock" in caught.value.message
    assert [r.period_years for r in embedded.retention.rules()] == [10]  # nothing changed
    assignment = embedded.retention.assignment(record.id)
    assert assignment is not None and assignment[0].disposal_date == date(2031, 1, 1)
    # Deleting the rule makes the record permanent: later, so allowed, and held.
    await asyncio.to_thread(retention.change_rules, embedded, RM, deletes=["CV-10"])
    assert lock_of(embedded, record.file.storage_key)[1] is True


async def test_dossier_close_starts_the_clock(embedded: Services) -> None:
    hs = RetentionRule("HS-5", "Hồ sơ", 5, trigger=Trigger.DOSSIER_CLOSE, document_types=("Hồ sơ",))
    await asyncio.to_thread(retention.change_rules, embedded, RM, upserts=[hs])
    record = await archived(embedded, "1", issued=date(2018, 1, 1), document_type="Hồ sơ")
    assert lock_of(embedded, record.file.storage_key) == (None, True)  # dossier-less: not started
    await asyncio.to_thread(
        retention.upsert_dossier, embedded, RM, Dossier("D1", "Dự án", agency_code=record.agency_code)
    )
    await asyncio.to_thread(retention.assign_dossier, embedded, RM, "D1", [record.id])
    assert lock_of(embedded, record.file.storage_key) == (None, True)  # open dossier
    changed = await asyncio.to_thread(
        retention.upsert_dossier, embedded, RM, Dossier("D1", "Dự án", date(2024, 12, 31))
    )
    assert changed == (record.id,)
    assignment = embedded.retention.assignment(record.id)
    # closed in 2024, 5 years: from 1 January 2030
    assert assignment is not None and assignment[0].disposal_date == date(2030, 1, 1)
    assert lock_of(embedded, record.file.storage_key)[1] is False


async def test_holds_mirror_on_the_object_until_none_is_left(embedded: Services) -> None:
    await asyncio.to_thread(retention.change_rules, embedded, RM, upserts=[CV_10])
    record = await archived(embedded, "1", issued=date(2020, 6, 1))
    other = await archived(embedded, "2", issued=date(2021, 6, 1))
    key = record.file.storage_key
    first = await asyncio.to_thread(
        holds.place_hold, embedded, RM, name="A", reason="r", authority="QĐ 1", record_ids=[record.id]
    )
    second = await asyncio.to_thread(
        holds.place_hold,
        embedded,
        RM,
        name="B",
        reason="r",
        authority="QĐ 2",
        selector=RecordSelector(issued_to=date(2020, 12, 31)),
    )
    assert second.added == (record.id,)
    assert embedded.blobs.get_legal_hold(key, "1") is True
    assert embedded.blobs.get_legal_hold(other.file.storage_key, "1") is False
    await asyncio.to_thread(holds.release_hold, embedded, RM, first.hold.id, reason="xong")
    assert embedded.blobs.get_legal_hold(key, "1") is True  # B still stands
    released = await asyncio.to_thread(holds.release_hold, embedded, RM, second.hold.id, reason="xong")
    assert released.released_by == "rm" and not released.active
    assert embedded.blobs.get_legal_hold(key, "1") is False
    assert embedded.blobs.get_retention(key, "1") is not None  # retention stays
    assert audit.find(embedded, action="legal_hold.release", target=second.hold.id) is not None


async def test_loading_the_example_schedule(embedded: Services, clock: Clock) -> None:
    record = await archived(embedded, "1", issued=date(2020, 6, 1), document_type="Giấy mời")
    change = await asyncio.to_thread(retention.load_schedule, embedded, RM, EXAMPLE)
    assert len(change.upserted) == 8 and change.recomputed == 1
    assignment = embedded.retention.assignment(record.id)
    assert assignment is not None and assignment[0] == Assignment("TT10-12.9", date(2026, 1, 1), "07")
    rules = embedded.retention.rules()
    assert {None, 70, 50, 30, 20, 10, 5} == {r.period_years for r in rules}
    assert {r.maintenance for r in rules} == {"01", "02", "03", "04", "05", "06", "07"}
    assert {r.schedule for r in rules} == {"TT10-2022"}
    assert all(r.legal_basis.startswith("Thông tư 10/2022/TT-BNV, mục ") for r in rules)
