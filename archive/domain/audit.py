"""The audit trail as a hash chain: each entry seals the one before it.

Each entry's ``hash`` is the SHA-256 of the canonical JSON of all its other
fields, ``prev_hash`` included, so editing, deleting or reordering any entry
breaks the chain from that point on. The first entry's ``prev_hash`` is
``GENESIS_HASH`` (64 zeros). Cutting entries off the tail leaves a valid shorter
chain, and anyone who can write the database can recompute every hash. So the
chain's head (its last seq and hash) is also sealed with a keyed MAC
(``head_mac``), under a key kept outside the database: a cut tail no longer
matches the stored head, and a chain rewritten whole has a head nobody without
the key can seal. A rollback to an earlier sealed head (a restored backup) is
only revealed by a head kept elsewhere, which is why ``verify_chain`` takes an
``expected_head`` and an ``includes``.

Entries about records name them (``record_subjects``), so the audit log can be
shown to each auditor through the read rule: see ``archive.domain.access``
(``can_read_audit_entry``) and ``redacted``.

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
import hmac
import json
import re
from collections.abc import Collection, Iterable, Mapping
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
    includes: str | None = None,
    after: AuditEntry | None = None,
) -> ChainReport:
    """Check a chain, in ``seq`` order, and stop at the first broken link.

    Args:
        entries: the chain from its first entry, or from the entry after ``after``.
            Streamed: any iterable, read once.
        expected_head: the hash the last entry must carry (the stored head);
            without it a truncated tail cannot be seen.
        includes: a head hash kept elsewhere earlier: some entry must carry it,
            so nothing up to that point was cut or rewritten since.
        after: an entry verified earlier (a checkpoint) that the first one follows.
    """
    seq = FIRST_SEQ - 1 if after is None else after.seq
    prev_hash = GENESIS_HASH if after is None else after.hash
    checked = 0
    found = includes is None
    for entry in entries:
        problem = _link_problem(entry, seq + 1, prev_hash)
        if problem is not None:
            return ChainReport(False, checked, seq + 1, problem)
        seq, prev_hash = entry.seq, entry.hash
        found = found or entry.hash == includes
        checked += 1
    if expected_head is not None and prev_hash != expected_head:
        return ChainReport(False, checked, seq + 1, "the chain does not end at the stored head")
    if not found:
        return ChainReport(False, checked, seq + 1, "the head kept elsewhere is not in the chain")
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


# -- the sealed head ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChainHead:
    """Where the chain ends: the last entry's seq and hash, and the MAC that seals them."""

    seq: int
    hash: str
    mac: str | None = None  # None: stored before the head was keyed


_HEAD_LABEL = b"archive audit head v1\n"


def head_mac(key: bytes, seq: int, head_hash: str) -> str:
    """HMAC-SHA256 (hex) over the head's seq and hash, under a key kept outside the database."""
    message = _HEAD_LABEL + f"{seq}:{head_hash}".encode("ascii")
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def head_is_sealed(head: ChainHead, key: bytes) -> bool:
    """Whether the head carries the MAC only the key's holder could compute."""
    if head.mac is None:
        return False
    return hmac.compare_digest(head.mac, head_mac(key, head.seq, head.hash))


def verify_with_head(
    entries: Iterable[AuditEntry], head: ChainHead, *, key: bytes | None, includes: str | None = None
) -> ChainReport:
    """Check a whole chain against its stored head: every link, then that the chain ends
    exactly at the head (a cut tail does not), then, with a ``key``, the head's MAC (a
    chain rewritten whole, head included, fails here without the key)."""
    report = verify_chain(entries, expected_head=head.hash, includes=includes)
    if not report.ok or key is None or head.seq == 0:
        return report
    if head.mac is None:
        reason = "the stored head is not sealed (run `archive audit seal` once after upgrading)"
        return ChainReport(False, report.checked, head.seq, reason)
    if not head_is_sealed(head, key):
        reason = (
            "the stored head's MAC does not match: the head was rewritten, or the key is not this chain's"
        )
        return ChainReport(False, report.checked, head.seq, reason)
    return report


# -- which records an entry is about --------------------------------------------------------
#
# The audit log is shown to each auditor through the read rule, so every entry that is
# about records must name them. Entries name them in their target (these actions) or in
# an ``ids`` detail (a comma-separated list, e.g. ``search.read``).

RECORD_ACTIONS = frozenset(
    {
        "record.read",
        "record.deposit",
        "record.processed",  # the worker's entry when a record's processing ends (an event)
        "download.issue",
        "download.serve",
        "grant.add",
        "grant.revoke",
        "retention.destroy",
        "record.correct",  # corrections, relations, revocation (issue 14)
        "record.relate",
        "record.revoke",
        "edxml.import",  # the record an interchange package created or acted on (issue 14)
    }
)
IDS_DETAIL = "ids"
COUNT_DETAIL = "count"
_RECORD_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def is_record_id(text: str) -> bool:
    """Record ids are server-generated UUIDs; anything else names no record."""
    return bool(_RECORD_ID.match(text))


def record_subjects(
    action: str, target: str, details: Mapping[str, DetailValue], extra: Iterable[str] = ()
) -> tuple[str, ...]:
    """The record ids an entry is about, sorted, without repeats.

    The target of a record action, every id in the ``ids`` detail, any other
    detail whose value is a record id, and ``extra`` (ids a writer names
    explicitly). Strings that are not record ids are left out: a refused request
    for a made-up id is about no record.
    """
    found = set(extra)
    if action in RECORD_ACTIONS:
        found.add(target)
    listed = details.get(IDS_DETAIL)
    if isinstance(listed, str):
        found.update(part.strip() for part in listed.split(","))
    # Any other detail that is a record id (a hold's ``first``, fixity's ``first_changed``).
    found.update(v for k, v in details.items() if k != IDS_DETAIL and isinstance(v, str))
    return tuple(sorted(i for i in found if is_record_id(i)))


def redacted(entry: AuditEntry, hidden: Collection[str]) -> AuditEntry:
    """The entry as a caller who may not read the records in ``hidden`` sees it.

    Ids of hidden records are taken out of the ``ids`` detail and ``count`` then
    counts the ids left, so the entry reads as if those records had never been
    listed; any other detail naming a hidden record becomes null. The hash stays
    the one the chain holds (computed over the whole entry).
    """
    if not hidden:
        return entry
    details = {k: None if isinstance(v, str) and v in hidden else v for k, v in entry.details.items()}
    listed = entry.details.get(IDS_DETAIL)
    if isinstance(listed, str):
        kept = [i for i in listed.split(",") if i and i not in hidden]
        details[IDS_DETAIL] = ",".join(kept)
        if COUNT_DETAIL in details:
            details[COUNT_DETAIL] = len(kept)
    return dataclasses.replace(entry, details=details)
