"""The audit trail as a hash chain: each entry seals the one before it.

Each entry's ``hash`` is the SHA-256 of the canonical JSON of all its other
fields, ``prev_hash`` included, so editing, deleting or reordering any entry
breaks the chain from that point on. The first entry's ``prev_hash`` is
``GENESIS_HASH`` (64 zeros). Cutting entries off the tail leaves a valid shorter
chain; only a head hash kept elsewhere (a signed report, another system) reveals
that, which is why ``verify_chain`` takes an ``expected_head``.

Canonical JSON, so that anyone can recompute a hash: UTF-8, keys sorted, no
whitespace, non-ASCII characters kept as they are (``ensure_ascii=False``), and
``at`` as an ISO 8601 UTC timestamp with microseconds
(``2025-03-01T08:30:00.000000+00:00``). Detail values are strings, integers,
booleans or null; floats are refused because their text form is not stable
across databases.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

GENESIS_HASH = "0" * 64
FIRST_SEQ = 1

DetailValue = str | int | bool | None


class Outcome(enum.StrEnum):
    """How the audited action ended."""

    OK = "ok"
    DENIED = "denied"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One link of the chain: who did what to which target, when, and how it ended."""

    seq: int
    at: datetime  # UTC
    actor: str  # the principal's subject
    action: str  # "record.read", "record.download", "access.denied", "retention.purge", ...
    target: str  # a record id, or whatever the action acted on
    outcome: Outcome
    client: str  # ip, user agent, API key id: what the API layer knows of the caller
    details: Mapping[str, DetailValue] = field(default_factory=dict)
    prev_hash: str = GENESIS_HASH
    hash: str = ""


@dataclass(frozen=True, slots=True)
class ChainReport:
    """What ``verify_chain`` found.

    ``checked`` counts the entries that verified. ``first_bad_seq`` is where the
    chain first breaks: the seq that should have come next after the last good
    entry (so a deleted entry is named by its own seq, and a cut tail by the seq
    after the last one kept).
    """

    ok: bool
    checked: int
    first_bad_seq: int | None = None
    reason: str | None = None


def canonical_timestamp(at: datetime) -> str:
    """``at`` in UTC, ISO 8601 with microseconds.

    A naive datetime is taken as UTC: some databases (SQLite) return stored UTC
    timestamps without their zone.
    """
    at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    return at.isoformat(timespec="microseconds")


def canonical_json(entry: AuditEntry) -> bytes:
    """The bytes an entry's hash is computed over: every field but ``hash``."""
    body: dict[str, Any] = {
        "seq": entry.seq,
        "at": canonical_timestamp(entry.at),
        "actor": entry.actor,
        "action": entry.action,
        "target": entry.target,
        "outcome": str(entry.outcome),
        "client": entry.client,
        "details": dict(entry.details),
        "prev_hash": entry.prev_hash,
    }
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8")


def entry_hash(entry: AuditEntry) -> str:
    """The SHA-256 (hex) an entry must carry; its own ``hash`` field is ignored."""
    return hashlib.sha256(canonical_json(entry)).hexdigest()


def _checked_details(details: Mapping[str, DetailValue]) -> Mapping[str, DetailValue]:
    for key, value in details.items():
        if not isinstance(key, str):
            raise TypeError(f"audit detail keys must be strings, not {type(key).__name__}")
        if value is not None and not isinstance(value, str | int | bool):
            raise TypeError(f"audit detail {key!r} must be str, int, bool or None")
    return dict(details)  # a copy: the caller's dict may change after the hash is taken


def chain_append(
    prev: AuditEntry | None,
    *,
    at: datetime,
    actor: str,
    action: str,
    target: str,
    outcome: Outcome | str,
    client: str = "",
    details: Mapping[str, DetailValue] | None = None,
) -> AuditEntry:
    """The entry that follows ``prev`` (or starts the chain), with its hash.

    The caller must serialise appends (one head at a time), or two entries get
    the same ``seq`` and ``prev_hash``.

    Raises:
        ValueError: ``at`` has no time zone, or ``outcome`` is not a known one.
        TypeError: a detail key or value has a type the canonical form refuses.
    """
    if at.tzinfo is None:
        raise ValueError("audit timestamps must be timezone-aware")
    entry = AuditEntry(
        seq=FIRST_SEQ if prev is None else prev.seq + 1,
        at=at.astimezone(UTC),
        actor=actor,
        action=action,
        target=target,
        outcome=Outcome(outcome),
        client=client,
        details=_checked_details(details or {}),
        prev_hash=GENESIS_HASH if prev is None else prev.hash,
    )
    return _sealed(entry)


def _sealed(entry: AuditEntry) -> AuditEntry:
    return dataclasses.replace(entry, hash=entry_hash(entry))


def verify_chain(
    entries: Iterable[AuditEntry],
    *,
    expected_head: str | None = None,
    after: AuditEntry | None = None,
) -> ChainReport:
    """Check a chain, in ``seq`` order, and stop at the first broken link.

    Args:
        entries: the chain from its first entry, or from the entry after ``after``.
            Streamed: any iterable, read once.
        expected_head: the hash the last entry must carry, from a record kept
            elsewhere; without it a truncated tail cannot be seen.
        after: an entry verified earlier (a checkpoint) that the first one follows.
    """
    seq = FIRST_SEQ - 1 if after is None else after.seq
    prev_hash = GENESIS_HASH if after is None else after.hash
    checked = 0
    for entry in entries:
        problem = _link_problem(entry, seq + 1, prev_hash)
        if problem is not None:
            return ChainReport(False, checked, seq + 1, problem)
        seq, prev_hash = entry.seq, entry.hash
        checked += 1
    if expected_head is not None and prev_hash != expected_head:
        return ChainReport(False, checked, seq + 1, "the chain ends before the expected head")
    return ChainReport(True, checked)


def _link_problem(entry: AuditEntry, expected_seq: int, prev_hash: str) -> str | None:
    if entry.seq != expected_seq:
        return f"expected seq {expected_seq}, found {entry.seq}: an entry is missing or moved"
    if entry.prev_hash != prev_hash:
        return "prev_hash does not match the previous entry: an entry is missing or moved"
    try:
        recomputed = entry_hash(entry)
    except (TypeError, ValueError):
        return "the entry cannot be encoded canonically"
    if entry.hash != recomputed:
        return "the hash does not match the entry's contents: the entry was altered"
    return None
