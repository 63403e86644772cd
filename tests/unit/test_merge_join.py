"""The merge join behind reconcile: the same answer as set arithmetic, one item of each
stream held at a time, and a loud stop on a stream out of order."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from archive.services.merge_join import StreamOutOfOrder, merge_join, merge_join_async

keys = st.sets(st.text(alphabet="ab-/0", min_size=1, max_size=4), max_size=30)


def _same(item: str) -> str:
    return item


@given(keys, keys)
def test_pairs_match_set_arithmetic(left: set[str], right: set[str]) -> None:
    pairs = list(merge_join(sorted(left), sorted(right), _same, _same))
    assert {a for a, b in pairs if b is None} == left - right
    assert {b for a, b in pairs if a is None} == right - left
    assert {a for a, b in pairs if a is not None and b is not None} == left & right
    assert all(a == b for a, b in pairs if a is not None and b is not None)
    assert len(pairs) == len(left | right)


@given(keys, keys)
def test_the_async_join_agrees(left: set[str], right: set[str]) -> None:
    async def stream(items: list[str]) -> AsyncIterator[str]:
        for item in items:
            yield item

    async def collect() -> list[tuple[str | None, str | None]]:
        return [p async for p in merge_join_async(stream(sorted(left)), stream(sorted(right)), _same, _same)]

    assert asyncio.run(collect()) == list(merge_join(sorted(left), sorted(right), _same, _same))


class Counted:
    """A sorted stream that counts what it has handed out."""

    def __init__(self, items: list[str]) -> None:
        self.items, self.produced = items, 0

    def __iter__(self) -> Iterator[str]:
        for item in self.items:
            self.produced += 1
            yield item


def test_each_stream_is_read_at_most_one_item_ahead_of_the_answer() -> None:
    left = Counted([f"k{n:05}" for n in range(0, 3000, 2)])
    right = Counted([f"k{n:05}" for n in range(0, 3000, 3)])
    answered = {"left": 0, "right": 0}
    for a, b in merge_join(left, right, _same, _same):
        answered["left"] += a is not None
        answered["right"] += b is not None
        # Rows held: what a stream produced that the join has not answered yet.
        assert left.produced - answered["left"] <= 1
        assert right.produced - answered["right"] <= 1
    assert answered == {"left": 1500, "right": 1000}


@pytest.mark.parametrize("side", ["left", "right"])
def test_a_stream_out_of_order_stops_the_walk(side: str) -> None:
    good, bad = ["a", "b", "c"], ["a", "c", "b"]
    left, right = (bad, good) if side == "left" else (good, bad)
    with pytest.raises(StreamOutOfOrder, match=f"the {side} stream went from 'c' back to 'b'"):
        list(merge_join(left, right, _same, _same))


def test_a_repeated_key_is_out_of_order_too() -> None:
    with pytest.raises(StreamOutOfOrder):
        list(merge_join(["a", "a"], ["a"], _same, _same))
