"""Walk two sorted streams side by side: how maintenance compares stores of any size
while holding one page of each, never a set of every key.

Each stream must be in strictly ascending key order; a stream that is not (a store
whose listing order differs from Python's string order, say a database collation
that ignores punctuation) raises ``StreamOutOfOrder`` at the first step back, before
anything is decided from a comparison that would be wrong.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Iterator
from typing import TypeVar

L = TypeVar("L")
R = TypeVar("R")


class StreamOutOfOrder(RuntimeError):
    """A stream handed to a merge join was not strictly ascending."""


def merge_join(
    left: Iterable[L], right: Iterable[R], left_key: Callable[[L], str], right_key: Callable[[R], str]
) -> Iterator[tuple[L | None, R | None]]:
    """Pairs matched by key; an item with no partner comes with None on the other side."""
    lefts, rights = _ascending(left, left_key, "left"), _ascending(right, right_key, "right")
    a, b = next(lefts, None), next(rights, None)
    while a is not None or b is not None:
        if b is None or (a is not None and left_key(a) < right_key(b)):
            yield a, None
            a = next(lefts, None)
        elif a is None or right_key(b) < left_key(a):
            yield None, b
            b = next(rights, None)
        else:
            yield a, b
            a, b = next(lefts, None), next(rights, None)


async def merge_join_async(
    left: AsyncIterable[L],
    right: AsyncIterable[R],
    left_key: Callable[[L], str],
    right_key: Callable[[R], str],
) -> AsyncIterator[tuple[L | None, R | None]]:
    """``merge_join`` over two asynchronous streams."""
    lefts, rights = _ascending_async(left, left_key, "left"), _ascending_async(right, right_key, "right")
    a, b = await anext(lefts, None), await anext(rights, None)
    while a is not None or b is not None:
        if b is None or (a is not None and left_key(a) < right_key(b)):
            yield a, None
            a = await anext(lefts, None)
        elif a is None or right_key(b) < left_key(a):
            yield None, b
            b = await anext(rights, None)
        else:
            yield a, b
            a, b = await anext(lefts, None), await anext(rights, None)


def _ascending(items: Iterable[L], key: Callable[[L], str], side: str) -> Iterator[L]:
    previous: str | None = None
    for item in items:
        previous = _checked(previous, key(item), side)
        yield item


async def _ascending_async(items: AsyncIterable[L], key: Callable[[L], str], side: str) -> AsyncIterator[L]:
    previous: str | None = None
    async for item in items:
        previous = _checked(previous, key(item), side)
        yield item


def _checked(previous: str | None, current: str, side: str) -> str:
    if previous is not None and current <= previous:
        raise StreamOutOfOrder(f"the {side} stream went from {previous!r} back to {current!r}")
    return current
