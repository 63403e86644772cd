"""Metadata versions: a correction never overwrites, it adds a version.

Version 1 is the metadata as deposited; each correction adds the next version with
who made it, when and why. The record itself always carries the current version
(``Record.metadata`` and ``Record.metadata_version``), so search, retention and every
read see the corrected metadata while the history keeps every earlier one.
"""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass
from datetime import date, datetime

from archive.domain.records import RecordMetadata

REASON_MAX = 1000  # a correction's "why": a sentence or a reference to a decision, not a file
DEPOSIT_REASON = "deposit"  # the reason version 1 carries: the metadata as deposited


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One metadata field that differs between two versions, both sides as text."""

    field: str  # the domain name, snake_case (``subject``, ``issue_date``)
    before: str
    after: str


@dataclass(frozen=True, slots=True)
class MetadataVersion:
    """One version of a record's metadata, and who made it, when and why.

    ``actor`` is None for version 1 of a record deposited before versions were kept:
    who deposited it is in the audit log (``record.deposit``), not on the record.
    """

    record_id: str
    version: int  # 1 = as deposited
    metadata: RecordMetadata
    at: datetime
    actor: str | None
    reason: str


def render(value: object) -> str:
    """A field's value as the text a diff shows: enums by value, dates ISO, lists joined."""
    if value is None:
        return ""
    if isinstance(value, enum.Enum):
        return str(value.name if isinstance(value.value, int) else value.value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, tuple):
        return "; ".join(render(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def diff(before: RecordMetadata, after: RecordMetadata) -> tuple[FieldChange, ...]:
    """The fields that differ, in declaration order."""
    changes = []
    for f in dataclasses.fields(RecordMetadata):
        old, new = getattr(before, f.name), getattr(after, f.name)
        if old != new:
            changes.append(FieldChange(f.name, render(old), render(new)))
    return tuple(changes)


def history_with_diffs(
    versions: list[MetadataVersion],
) -> list[tuple[MetadataVersion, tuple[FieldChange, ...]]]:
    """Each version (oldest first) with what it changed against the one before (none for 1)."""
    out: list[tuple[MetadataVersion, tuple[FieldChange, ...]]] = []
    previous: MetadataVersion | None = None
    for version in sorted(versions, key=lambda v: v.version):
        out.append((version, () if previous is None else diff(previous.metadata, version.metadata)))
        previous = version
    return out
