"""The token bucket: admitted while above zero, charged after, in debt for a costly
operation, refilled at its rate, forgotten least recently used past its key cap."""

from __future__ import annotations

import pytest

from archive.domain.rate_limits import TokenBuckets


def test_a_bucket_admits_while_above_zero_and_refills_at_its_rate() -> None:
    buckets = TokenBuckets(rate=10, capacity=100)
    assert buckets.look("k", now=0).remaining == 100
    after = buckets.charge("k", 100, now=0)
    assert (after.admitted, after.remaining, after.retry_after, after.reset) == (False, 0, 1, 10)
    assert not buckets.look("k", now=0).admitted
    assert buckets.look("k", now=0.01).admitted  # a tenth of a unit back: above zero
    assert buckets.look("k", now=1000).remaining == 100  # never above capacity


def test_a_costly_operation_leaves_the_bucket_in_debt_until_paid() -> None:
    buckets = TokenBuckets(rate=10, capacity=100)
    debt = buckets.charge("k", 5401, now=0)
    assert not debt.admitted and debt.retry_after == 531  # 5301 units at 10 a second, rounded up
    assert not buckets.look("k", now=530).admitted
    assert buckets.look("k", now=531).admitted


def test_keys_are_apart_and_capped() -> None:
    buckets = TokenBuckets(rate=1, capacity=5, max_keys=2)
    buckets.charge("a", 10, now=0)
    assert buckets.look("b", now=0).admitted
    buckets.look("c", now=0)  # "a" was least recently used: forgotten, so full again
    assert buckets.look("a", now=0).remaining == 5


def test_a_bucket_needs_a_rate_and_a_size() -> None:
    with pytest.raises(ValueError, match="positive"):
        TokenBuckets(rate=0, capacity=1)
