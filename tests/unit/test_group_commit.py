"""Group commit: callers queued behind a batch being written are written together, each
hears its own item's fate, and a failed batch fails every caller in it (none is dropped)."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import pytest

from archive.db.group_commit import GroupCommit


class SlowLedger:
    """A batch writer whose first batch waits until released, so others queue behind it."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []
        self.first_started = threading.Event()
        self.release = threading.Event()

    def write(self, items: Sequence[int]) -> list[int | Exception]:
        if not self.batches:
            self.first_started.set()
            self.release.wait(10)
        self.batches.append(list(items))
        return [ValueError(f"refused {i}") if i < 0 else i * 10 for i in items]


def test_callers_waiting_behind_a_batch_are_written_in_one_batch() -> None:
    ledger = SlowLedger()
    group: GroupCommit[int, int] = GroupCommit(ledger.write)
    with ThreadPoolExecutor(8) as pool:
        first = pool.submit(group.submit, 0)
        assert ledger.first_started.wait(10)
        rest = [pool.submit(group.submit, n) for n in range(1, 7)]
        while len(group._queue) < 6:  # every follower is queued behind the leader
            time.sleep(0.005)
        ledger.release.set()
        assert first.result() == 0
        assert [f.result() for f in rest] == [10, 20, 30, 40, 50, 60]
    assert ledger.batches[0] == [0]
    assert sorted(ledger.batches[1]) == [1, 2, 3, 4, 5, 6]
    assert (group.batches, group.items) == (2, 7)


def test_a_refused_item_fails_alone() -> None:
    ledger = SlowLedger()
    ledger.release.set()
    group: GroupCommit[int, int] = GroupCommit(ledger.write)
    with pytest.raises(ValueError, match="refused -1"):
        group.submit(-1)
    assert group.submit(4) == 40


def test_a_failed_batch_fails_every_caller_in_it() -> None:
    calls: list[Sequence[int]] = []

    def broken(items: Sequence[int]) -> list[int | Exception]:
        calls.append(items)
        raise OSError("disk full")

    group: GroupCommit[int, int] = GroupCommit(broken)
    with ThreadPoolExecutor(4) as pool:
        futures = [pool.submit(group.submit, n) for n in range(12)]
        errors = [f.exception() for f in futures]
    assert all(isinstance(e, OSError) for e in errors)
    assert sorted(i for batch in calls for i in batch) == list(range(12))


def test_a_batch_is_capped_and_the_rest_follow() -> None:
    ledger = SlowLedger()
    group: GroupCommit[int, int] = GroupCommit(ledger.write, max_batch=2)
    with ThreadPoolExecutor(8) as pool:
        first = pool.submit(group.submit, 0)
        assert ledger.first_started.wait(10)
        rest = [pool.submit(group.submit, n) for n in range(1, 6)]
        while len(group._queue) < 5:
            time.sleep(0.005)
        ledger.release.set()
        assert [f.result() for f in [first, *rest]] == [0, 10, 20, 30, 40, 50]
    assert max(len(b) for b in ledger.batches) == 2
    assert sorted(i for b in ledger.batches for i in b) == list(range(6))
