"""The metadata database as a whole: its snapshots (backup and restore) and its schema revision.

The other database ports each hold one kind of row; these two see the database
itself, for the operations that copy it whole or ask whether it is the one the
code was shipped for. Only ``archive.factory`` builds them, on the same engine
as the stores.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Protocol, runtime_checkable


@runtime_checkable
class DatabaseSnapshot(Protocol):
    """Consistent dumps of the database, their restore, and the record facts a backup needs."""

    @property
    def kind(self) -> str:
        """``postgresql`` or ``sqlite``: which snapshot tool wrote a dump, so which can load it."""
        ...

    def dump(self, out: Path) -> None:
        """Write a consistent snapshot of the database to ``out`` while others keep writing."""
        ...

    def restore(self, dump_file: Path) -> None:
        """Load ``dump_file`` into this (empty) database, then bring its schema up to the
        code's head (a snapshot from an older release comes up to this one's schema)."""
        ...

    def content_counts(self) -> dict[str, int]:
        """Rows in the tables that make a deployment non-empty, by table (missing tables count 0)."""
        ...

    def media_types(self) -> dict[str, str]:
        """The media type of every stored file, by storage key (the blob port does not say)."""
        ...

    def remap_version_ids(self, changed: Mapping[tuple[str, str | None], str | None]) -> int:
        """Point records at the version ids their restored objects got; returns how many changed.

        ``changed`` maps (storage key, old version id) to the new id.
        """
        ...


@runtime_checkable
class SchemaRevisions(Protocol):
    """Where the database's schema stands against the migrations the code ships."""

    def applied(self) -> tuple[str, ...]:
        """The revisions the database is at (empty before the first migration)."""
        ...

    def heads(self) -> tuple[str, ...]:
        """The revisions the shipped migrations end at (one, while the tree has one head)."""
        ...
