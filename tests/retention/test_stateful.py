"""Random deposits, holds, releases, rule changes, time travel, plans, approvals, runs
and crashes on the embedded stack, checking after every step that:

- a record under an active hold is never destroyed;
- nothing is destroyed before its disposal date;
- every destroyed record has a tombstone and a chain entry, and nothing of it
  remains in the database, the blob store or the index;
- the audit chain verifies.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, consumes, initialize, invariant, multiple, rule

from archive.domain.access import UNRESTRICTED
from archive.domain.audit import verify_chain
from archive.domain.disposition import BatchStatus, ItemState
from archive.domain.errors import RetentionConflict
from archive.domain.retention import RetentionRule
from archive.factory import build_services
from archive.services import audit, disposition, holds, retention
from storage.local import LocalBlobStore
from tests.conftest import embedded_settings
from tests.retention.support import CHIEF, PLANNER, RM, Clock, archived, indexed_ids, start_of

TYPES = ("Công văn", "Giấy mời", "Quyết định")  # Quyết định has no rule: permanent
CRASH_STEPS = [s for s in ItemState if s not in (ItemState.PENDING, ItemState.SKIPPED)]


class RetentionMachine(RuleBasedStateMachine):
    records = Bundle("records")
    hold_ids = Bundle("holds")

    def __init__(self) -> None:
        super().__init__()
        self.tmp = Path(tempfile.mkdtemp(prefix="retention-machine-"))
        self.loop = asyncio.new_event_loop()
        self.clock = Clock(start_of(date(2025, 1, 10)))
        self.services = build_services(embedded_settings(self.tmp / "data"))
        self.services.clock = self.clock
        self.services.blobs = LocalBlobStore(self.services.settings.blob_dir, clock=self.clock)
        self.keys: dict[str, str] = {}
        self.counter = 0
        self.do(self.services.index.ensure_ready())
        self.do(
            asyncio.to_thread(
                retention.change_rules,
                self.services,
                RM,
                upserts=[
                    RetentionRule("CV", "Công văn", 10, document_types=("Công văn",)),
                    RetentionRule("GM", "Giấy mời", 5, document_types=("Giấy mời",)),
                ],
            )
        )

    def do(self, coroutine: Any) -> Any:
        return self.loop.run_until_complete(coroutine)

    def teardown(self) -> None:
        self.do(self.services.close())
        self.loop.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    # -- steps ----------------------------------------------------------------------------

    @initialize(target=records, ages=st.lists(st.integers(0, 12), min_size=3, max_size=3))
    def first_deposits(self, ages: list[int]) -> Any:
        return multiple(*(self.deposit(age, TYPES[i % 2]) for i, age in enumerate(ages)))

    @rule(target=records, years_ago=st.integers(0, 12), kind=st.sampled_from(TYPES))
    def deposit(self, years_ago: int, kind: str) -> str:
        self.counter += 1
        issued = date(self.clock.now.year - years_ago, 1 + self.counter % 12, 1 + self.counter % 28)
        issued = min(issued, self.clock.now.date())
        record = self.do(archived(self.services, str(self.counter), issued=issued, document_type=kind))
        self.keys[record.id] = record.file.storage_key
        return str(record.id)

    @rule(target=hold_ids, record_id=records)
    def hold(self, record_id: str) -> str:
        change = holds.place_hold(
            self.services, RM, name="h", reason="r", authority="a", record_ids=[record_id]
        )
        return change.hold.id

    @rule(hold_id=consumes(hold_ids))
    def release(self, hold_id: str) -> None:
        holds.release_hold(self.services, RM, hold_id, reason="done")

    @rule(years=st.sampled_from([3, 10, 20]))
    def change_rule(self, years: int) -> None:
        new = RetentionRule("CV", "Công văn", years, document_types=("Công văn",))
        # Shortening below an existing lock is refused: that is the point.
        with contextlib.suppress(RetentionConflict):
            retention.change_rules(self.services, RM, upserts=[new])

    @rule(days=st.sampled_from([30, 400, 2000]))
    def advance(self, days: int) -> None:
        self.clock.advance(days)

    @rule()
    def plan(self) -> None:
        disposition.plan(self.services, PLANNER)

    @rule()
    def approve(self) -> None:
        for batch in self.services.disposition.listing(BatchStatus.PROPOSED):
            disposition.approve(self.services, CHIEF, batch.id, decision_ref="QĐ 1")

    @rule()
    def run(self) -> None:
        report = self.do(disposition.run(self.services))
        event(f"run destroyed {min(len(report.destroyed), 2)}+, skipped {min(len(report.skipped), 1)}+")

    @rule(step=st.none() | st.sampled_from(CRASH_STEPS))
    def dispose(self, step: ItemState | None) -> None:
        """Plan, approve and run in one go (random interleavings rarely line up), maybe crashing."""
        self.plan()
        self.approve()
        try:
            report = self.do(disposition.run(self.services, crash_after=step))
        except disposition.InjectedCrash:
            event("crashed mid-purge")
        else:
            event(
                f"dispose destroyed {min(len(report.destroyed), 2)}+, skipped {min(len(report.skipped), 1)}+"
            )

    # -- invariants -----------------------------------------------------------------------

    @invariant()
    def held_records_are_whole(self) -> None:
        held = self.services.holds.held_ids(list(self.keys))
        for record_id in held:
            assert self.services.records.get(record_id, UNRESTRICTED) is not None
            assert self.services.blobs.version_ids(self.keys[record_id])
            assert self.services.disposition.tombstone_of(record_id) is None

    @invariant()
    def destroyed_records_leave_only_tombstones(self) -> None:
        indexed = self.do(indexed_ids(self.services))
        store = self.services.disposition
        for batch in store.listing():
            for item in batch.items:
                if item.state is not ItemState.DONE:
                    continue
                tomb = store.tombstone_of(item.record_id)
                assert tomb is not None
                assert tomb.destroyed_at.date() >= tomb.disposal_date
                assert audit.find(self.services, action=disposition.DESTROY_ACTION, target=item.record_id)
                assert self.services.records.get(item.record_id, UNRESTRICTED) is None
                assert self.services.blobs.version_ids(self.keys[item.record_id]) == ()
                assert item.record_id not in indexed

    @invariant()
    def the_chain_verifies(self) -> None:
        assert verify_chain(audit.entries(self.services)).ok


RetentionMachine.TestCase.settings = settings(
    max_examples=15,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestRetentionMachine = RetentionMachine.TestCase
