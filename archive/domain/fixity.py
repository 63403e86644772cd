"""Fixity: what a run checks each stored object against, and how far it has got."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class StoredObject:
    """What fixity checks a record's object against."""

    record_id: str
    storage_key: str
    version_id: str | None
    sha256: str


@dataclass(frozen=True, slots=True)
class FixityRun:
    """A run's checkpoint: the last record checked and the findings so far."""

    id: int
    last_record_id: str
    ok: int
    changed: tuple[str, ...]
    missing: tuple[str, ...]
    finished: bool
