"""Events, derived from the audit chain: which audited actions portals hear of, and how.

The audit log is already the durable, ordered record of every action. So events are
not emitted by each service: an entry whose action is in ``ACTION_EVENTS`` and whose
outcome is ``ok`` *is* an event, of the type the table names. Webhooks (the outbox
in ``archive.services.webhooks``) and the changes feed (``archive.services.changes``)
both read it.

An event names what it is about (a record, a dossier, a transfer) and nothing else:
a portal reads the rest through GraphQL with its own credential, under the read rule.
Its id is an opaque token (``EventIds``) rather than the audit seq, so that a caller
who sees only some events cannot count the ones in between.
"""

from __future__ import annotations

import base64
import binascii
import enum
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from archive.domain.audit import AuditEntry, Outcome, canonical_timestamp
from archive.domain.errors import InvalidCursor


class SubjectKind(enum.StrEnum):
    """What an event is about."""

    RECORD = "record"
    DOSSIER = "dossier"
    TRANSFER = "transfer"


@dataclass(frozen=True, slots=True)
class EventType:
    """One event type: its name on the wire and the kind of thing it is about."""

    name: str
    kind: SubjectKind
    deletion: bool = False  # the subject is gone: a tombstone is all that is left


# Audit action -> event. Actions other helpers add later (record.correct, record.revoke,
# transfer.accept) are mapped already: their entries become events the day they exist.
ACTION_EVENTS: dict[str, EventType] = {
    "record.deposit": EventType("record.deposited", SubjectKind.RECORD),
    "record.processed": EventType("record.processed", SubjectKind.RECORD),
    "record.correct": EventType("record.corrected", SubjectKind.RECORD),
    "record.revoke": EventType("record.revoked", SubjectKind.RECORD),
    "retention.destroy": EventType("record.destroyed", SubjectKind.RECORD, deletion=True),
    "dossier.close": EventType("dossier.closed", SubjectKind.DOSSIER),
    "transfer.accept": EventType("transfer.accepted", SubjectKind.TRANSFER),
}
EVENT_TYPES: frozenset[str] = frozenset(t.name for t in ACTION_EVENTS.values())
FEED_KINDS = frozenset({SubjectKind.RECORD, SubjectKind.DOSSIER})
"""What the changes feed carries: records and dossiers (transfers are webhooks only)."""


@dataclass(frozen=True, slots=True)
class Event:
    """One event: the audit entry it comes from (``seq``, never shown), its type, when,
    and the id of what it is about."""

    seq: int
    type: EventType
    at: datetime
    subject_id: str

    @property
    def name(self) -> str:
        return self.type.name


def event_of(entry: AuditEntry) -> Event | None:
    """The event an audit entry stands for, or None (an unmapped action, or one that was
    refused or failed: nothing happened that a portal should hear of)."""
    kind = ACTION_EVENTS.get(entry.action)
    if kind is None or entry.outcome != Outcome.OK:
        return None
    return Event(seq=entry.seq, type=kind, at=entry.at, subject_id=entry.target)


def payload(event: Event, event_id: str) -> dict[str, Any]:
    """The JSON body a subscriber receives (the Standard Webhooks shape: type, timestamp,
    data). ``data`` names the subject only; ``deleted`` says a tombstone is all there is."""
    data: dict[str, Any] = {
        "id": event.subject_id,
        "kind": str(event.type.kind),
        "eventId": event_id,
    }
    if event.type.deletion:
        data["deleted"] = True
    return {"type": event.name, "timestamp": canonical_timestamp(event.at), "data": data}


def payload_bytes(event: Event, event_id: str) -> bytes:
    """``payload`` as compact UTF-8 JSON: the exact bytes that are signed and sent."""
    text = json.dumps(payload(event, event_id), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8")


# -- opaque ids -------------------------------------------------------------------------------


_ID_PREFIX = "evt_"
_TAG_BYTES = 6
_MASK32 = 0xFFFFFFFF


class EventIds:
    """Event ids and change-feed cursors: the audit seq under a keyed permutation.

    A four-round Feistel network over 64 bits, with HMAC-SHA256 as its round function
    (Luby-Rackoff: a pseudo-random permutation), then a truncated MAC so a made-up id
    is refused. Two consecutive events therefore get unrelated ids: a subscriber or
    feed reader cannot tell how many entries it was not shown between two it was.
    The same seq always gets the same id, so ids are stable and redeliveries share one.
    """

    def __init__(self, key: bytes) -> None:
        self._key = hmac.new(key, b"archive event ids v1", hashlib.sha256).digest()

    def encode(self, seq: int) -> str:
        """The id of the event at audit ``seq``."""
        block = self._permute(seq.to_bytes(8, "big"), rounds=range(4))
        tag = self._tag(block)
        return _ID_PREFIX + base64.urlsafe_b64encode(block + tag).decode("ascii").rstrip("=")

    def decode(self, event_id: str) -> int:
        """The seq behind an id this service issued.

        Raises:
            InvalidCursor: the id is malformed or was not issued with this key.
        """
        raw = _unpadded_b64(event_id.removeprefix(_ID_PREFIX)) if event_id.startswith(_ID_PREFIX) else None
        if raw is None or len(raw) != 8 + _TAG_BYTES:
            raise InvalidCursor("the cursor is malformed")
        block, tag = raw[:8], raw[8:]
        if not hmac.compare_digest(tag, self._tag(block)):
            raise InvalidCursor("the cursor is malformed")
        seq = int.from_bytes(self._permute(block, rounds=range(3, -1, -1), inverse=True), "big")
        if self.encode(seq) != event_id:  # one spelling per id: base64's spare bits must be zero
            raise InvalidCursor("the cursor is malformed")
        return seq

    def _tag(self, block: bytes) -> bytes:
        return hmac.new(self._key, b"tag" + block, hashlib.sha256).digest()[:_TAG_BYTES]

    def _round(self, index: int, half: int) -> int:
        digest = hmac.new(self._key, bytes([index]) + half.to_bytes(4, "big"), hashlib.sha256).digest()
        return int.from_bytes(digest[:4], "big")

    def _permute(self, block: bytes, *, rounds: range, inverse: bool = False) -> bytes:
        left, right = int.from_bytes(block[:4], "big"), int.from_bytes(block[4:], "big")
        for index in rounds:
            if inverse:
                left, right = right ^ self._round(index, left), left
            else:
                left, right = right, left ^ self._round(index, right)
        return ((left & _MASK32) << 32 | (right & _MASK32)).to_bytes(8, "big")


def _unpadded_b64(text: str) -> bytes | None:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None
