"""Retention arithmetic shared by the adapters, so both answer the same way."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from archive.domain.ports import Retention, RetentionMode


def normalize_until(until: datetime) -> datetime:
    """UTC, rounded UP to the whole second.

    S3 keeps retain-until dates at millisecond precision at best; rounding up
    makes both adapters return the same value and never holds bytes for less
    time than asked.
    """
    if until.tzinfo is None:
        raise ValueError("retain-until must be timezone-aware")
    utc = until.astimezone(UTC)
    whole = utc.replace(microsecond=0)
    return whole if whole == utc else whole + timedelta(seconds=1)


def normalize(retention: Retention) -> Retention:
    """``retention`` with its date normalised."""
    return Retention(mode=retention.mode, until=normalize_until(retention.until))


def is_active(retention: Retention | None, now: datetime | None = None) -> bool:
    """Whether ``retention`` still forbids deletion."""
    if retention is None:
        return False
    return retention.until > (now or datetime.now(UTC))


def weakens(current: Retention | None, new: Retention, now: datetime | None = None) -> bool:
    """Whether replacing ``current`` by ``new`` would shorten or loosen an active lock.

    S3 refuses this without a governance bypass (and always for compliance);
    the local store refuses it outright.
    """
    if not is_active(current, now):
        return False
    assert current is not None
    loosened = current.mode is RetentionMode.COMPLIANCE and new.mode is RetentionMode.GOVERNANCE
    return loosened or new.until < current.until
