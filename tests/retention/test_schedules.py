"""Schedules side by side, and recomputing what was counted before the tiers.

Circular 10/2022/TT-BNV and a sector circular load as two named schedules whose
rules keep their legal basis; a rule code one schedule owns is refused to another.
Assignments counted the old way (from the trigger day, before migration 0013) are
recomputed before any plan, so none is destroyed early, and ``recompute`` extends
their Object Lock at once.
"""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path

import pytest

from archive.domain.errors import MetadataInvalid
from archive.domain.ports import Retention, RetentionMode
from archive.domain.retention import Assignment, RetentionRule, lock_until
from archive.services import audit, disposition, retention
from archive.services.container import Services
from tests.retention.support import PLANNER, RM, archived

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "retention-schedule.json"
SECTOR = EXAMPLE.with_name("retention-schedule-sector.toml")


async def test_two_schedules_side_by_side_and_a_code_owned_by_another_is_refused(
    embedded: Services, tmp_path: Path
) -> None:
    await asyncio.to_thread(retention.load_schedule, embedded, RM, EXAMPLE)
    loaded = await asyncio.to_thread(retention.load_schedule, embedded, RM, SECTOR)
    assert loaded.upserted == ("BYT-2.1", "BYT-3.4")
    rules = {r.code: r for r in embedded.retention.rules()}
    assert {r.schedule for r in rules.values()} == {"TT10-2022", "TT53-2017-BYT"}
    assert rules["BYT-2.1"].legal_basis == "Thông tư 53/2017/TT-BYT, mục 2.1"
    assert (rules["BYT-2.1"].period_years, rules["BYT-2.1"].maintenance) == (30, "04")
    assert rules["TT10-12.6"].legal_basis == "Thông tư 10/2022/TT-BNV, mục 12.6"

    sector = tmp_path / "sector.toml"
    stolen = SECTOR.read_text(encoding="utf-8").replace('code = "BYT-3.4"', 'code = "TT10-12.6"')
    sector.write_text(stolen, encoding="utf-8")
    with pytest.raises(MetadataInvalid, match="belongs to schedule TT10-2022") as caught:
        await asyncio.to_thread(retention.load_schedule, embedded, RM, sector)
    assert caught.value.field == "code"
    assert embedded.retention.rules() == list(rules.values())  # nothing changed
    entry = audit.find(embedded, action="retention.rule_upsert", target="BYT-2.1")
    assert entry is not None and entry.details["legal_basis"] == "Thông tư 53/2017/TT-BYT, mục 2.1"


async def test_an_assignment_counted_the_old_way_is_recomputed_before_planning(embedded: Services) -> None:
    cv = RetentionRule("CV-10", "Công văn", 10, document_types=("Công văn",))
    await asyncio.to_thread(retention.change_rules, embedded, RM, upserts=[cv])
    record = await archived(embedded, "1", issued=date(2014, 6, 1))  # the clock says 2024-12-20
    assert embedded.retention.assignment(record.id) == (Assignment("CV-10", date(2025, 1, 1), "06"), None)
    # As revision 0009 stored it: ten years from the issue day, due since 2024-06-01.
    embedded.retention.save({record.id: Assignment("CV-10", date(2024, 6, 1))}, now=embedded.clock())

    assert await asyncio.to_thread(disposition.plan, embedded, PLANNER) is None  # not due any more
    stored = embedded.retention.assignment(record.id)
    assert stored is not None and stored[0] == Assignment("CV-10", date(2025, 1, 1), "06")


async def test_recompute_brings_every_record_under_the_count_and_extends_its_lock(embedded: Services) -> None:
    record = await archived(embedded, "1", issued=date(2020, 6, 1))  # no rule yet: held, no date
    key = record.file.storage_key
    # As revision 0009 left it: the rule, its old date, and a lock until that date.
    cv = RetentionRule("CV-10", "Công văn", 10, document_types=("Công văn",))
    embedded.retention.change_rules(
        [cv], [], {record.id: Assignment("CV-10", date(2030, 6, 1))}, now=embedded.clock()
    )
    embedded.blobs.set_retention(key, "1", Retention(RetentionMode.GOVERNANCE, lock_until(date(2030, 6, 1))))
    embedded.blobs.set_legal_hold(key, "1", False)

    change = await asyncio.to_thread(retention.recompute, embedded, RM)
    assert change.recomputed == 1  # the record below, checked by its new assignment
    assert embedded.retention.assignment(record.id) == (Assignment("CV-10", date(2031, 1, 1), "06"), None)
    lock = embedded.blobs.get_retention(key, "1")
    assert lock is not None and lock.until == lock_until(date(2031, 1, 1))  # extended, never shortened
    entry = audit.find(embedded, action="retention.recompute", target="schedule")
    assert entry is not None and entry.details["recomputed"] == 1
    again = await asyncio.to_thread(retention.recompute, embedded, RM)
    assert again.recomputed == 0
