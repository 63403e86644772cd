"""The record repository port: metadata, the source of truth for records."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Protocol, runtime_checkable

from archive.domain.access import UNRESTRICTED, ReadScope
from archive.domain.files import FileVersion, RecordFile
from archive.domain.records import Page, Record, TextStatus


@runtime_checkable
class RecordRepository(Protocol):
    """Metadata: the source of truth for records."""

    def add(self, record: Record) -> None:
        """Insert the record and its processing job (the outbox) in ONE transaction.
        Raises DuplicateRecord when the owning agency already holds a record with
        the same SHA-256 and classification."""
        ...

    def get(self, record_id: str, scope: ReadScope) -> Record | None:
        """The record, or None when it does not exist OR the scope may not read it."""
        ...

    def get_many(
        self, record_ids: Sequence[str], scope: ReadScope, *, with_pages: bool = True
    ) -> dict[str, Record]:
        """The readable records among ``record_ids``, by id, in one query. Without
        pages, ``Record.pages`` is empty: search hits need only the metadata."""
        ...

    def find_by_sha256(self, agency_code: str, sha256: str, scope: ReadScope = UNRESTRICTED) -> Record | None:
        """A record of the agency with these bytes that the scope may read, if any."""
        ...

    def set_pages(self, record_id: str, pages: Sequence[Page], status: TextStatus) -> Record:
        """Replace the record's page text, set its text status, bump its row version."""
        ...

    def add_file_version(self, file: RecordFile, version: FileVersion) -> Record:
        """Add ``version`` (the next number) to ``file`` and enqueue the record's
        reprocessing, in ONE transaction; a main file's new version becomes
        ``Record.file``. Raises FileRejected when the number is taken, DuplicateRecord
        when a new main file repeats another record's bytes."""
        ...

    def set_grant(
        self, record_id: str, grantee: str, *, present: bool, now: datetime | None = None
    ) -> Record | None:
        """Add or remove one read grant. A change bumps the row version and enqueues an
        index-only job in the same transaction, so the search index converges even if
        it is down right now; ``now`` (default: the wall clock) stamps the change and makes
        the job due. Returns the record as it now is, or None when it does not exist."""
        ...

    def iter_all(self, batch_size: int = 500) -> Iterator[Record]:
        """Every record (with pages), for reindex and reconcile."""
        ...

    def iter_versions(self, batch_size: int = 1000) -> Iterator[tuple[str, int]]:
        """Every ``(record id, row version)`` in ascending id order, read in keyset pages
        of ``batch_size``: reconcile's side of the index comparison, without hydrating."""
        ...

    def iter_storage_keys(self, batch_size: int = 1000) -> Iterator[tuple[str, str]]:
        """Every ``(storage key, record id)`` in ascending key order, in keyset pages:
        reconcile's side of the blob-store comparison."""
        ...

    def count(self, scope: ReadScope) -> int: ...
