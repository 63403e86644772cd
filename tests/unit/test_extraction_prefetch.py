"""Read ahead: items come in order, one producer thread does all the producing, an error
surfaces at its item, and closing early stops the producer."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from indexing.extraction.prefetch import ahead


def test_items_come_in_order_all_produced_in_one_other_thread() -> None:
    producers: set[int] = set()

    def items() -> Iterator[int]:
        for n in range(20):
            producers.add(threading.get_ident())
            yield n

    assert list(ahead(items())) == list(range(20))
    assert len(producers) == 1 and threading.get_ident() not in producers


def test_the_next_item_is_produced_while_this_one_is_used() -> None:
    second_started = threading.Event()

    def items() -> Iterator[int]:
        yield 0
        second_started.set()
        yield 1

    reader = ahead(items())
    assert next(reader) == 0
    # Still holding item 0: the producer is already on item 1.
    assert second_started.wait(10)
    assert list(reader) == [1]


def test_an_error_surfaces_after_the_items_before_it() -> None:
    def items() -> Iterator[int]:
        yield 1
        yield 2
        raise ValueError("page 3 is corrupt")

    got = []
    with pytest.raises(ValueError, match="page 3"):
        for n in ahead(items()):
            got.append(n)
    assert got == [1, 2]


def test_closing_early_stops_the_producer() -> None:
    produced = []

    def items() -> Iterator[int]:
        for n in range(1000):
            produced.append(n)
            yield n

    reader = ahead(items())
    assert next(reader) == 0
    reader.close()  # joins the producer
    assert len(produced) <= 3
    assert not [t for t in threading.enumerate() if t.name == "prefetch"]
