"""Group commit: writes that queue up behind one writer are written together.

A write that must be durable before its caller goes on (an audit entry before the
read it records is answered) costs a transaction, and on a chain one transaction
at a time, since every append moves the same head. Under concurrent load the
callers then wait in line for each other's commits. Here they wait for the
writer lock instead, and whoever gets it writes every write queued so far in ONE
batch (one transaction, one extension of the chain), so a line of N callers costs
about one commit, not N.

Nothing is skipped or deferred: ``submit`` returns only once its item's batch is
written (the batch function returns after its commit), and raises when that
batch failed, so no caller is told an item is stored that is not.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

Item = TypeVar("Item")
Out = TypeVar("Out")

# A batch function gives, for each item in order, what was stored or why that one
# item was refused (a bad item must not fail the others). It raises when nothing was.
BatchWriter = Callable[[Sequence[Item]], Sequence[Out | Exception]]


@dataclass(slots=True)
class _Pending(Generic[Item, Out]):
    item: Item
    done: bool = False
    out: Out | None = None
    error: BaseException | None = None


class GroupCommit(Generic[Item, Out]):
    """Leader and followers around one writer lock, in one process (threads).

    Several processes still serialise on the database's own lock; each batches
    its own waiting callers.
    """

    def __init__(self, write: BatchWriter[Item, Out], *, max_batch: int = 256) -> None:
        self._write = write
        self.max_batch = max_batch  # 1 turns grouping off (the benchmark's side-by-side)
        self._queue: list[_Pending[Item, Out]] = []
        self._queue_lock = threading.Lock()
        self._writer = threading.Lock()
        self.batches = 0  # how many batches were written (the benchmark reports entries ÷ batches)
        self.items = 0

    def submit(self, item: Item) -> Out:
        """Write ``item`` (with whatever else is waiting) and return what was stored."""
        pending: _Pending[Item, Out] = _Pending(item)
        with self._queue_lock:
            self._queue.append(pending)
        with self._writer:
            while not pending.done:  # a leader took a full batch before ours: lead the next one
                self._lead()
        if pending.error is not None:
            raise pending.error
        return pending.out  # type: ignore[return-value]  # set with done, unless error is

    def _lead(self) -> None:
        with self._queue_lock:
            batch, self._queue = self._queue[: self.max_batch], self._queue[self.max_batch :]
        try:
            outs = self._write([p.item for p in batch])
        except BaseException as error:  # nothing of the batch was stored: every caller hears it
            for p in batch:
                p.error, p.done = error, True
            if not isinstance(error, Exception):
                raise  # an interrupt is the leader's own to handle
            return
        self.batches += 1
        self.items += len(batch)
        for p, out in zip(batch, outs, strict=True):
            if isinstance(out, Exception):
                p.error = out
            else:
                p.out = out
            p.done = True
