"""The three ports the domain talks to. Only the app factory picks the adapters.

==============  ==========================  ================================
port            embedded default            production
==============  ==========================  ================================
RecordRepository  SQLite (sqlmodel, Alembic)  PostgreSQL
BlobStore       local directory             S3 server with Object Lock (minio)
SearchIndex     SQLite FTS5                 Elasticsearch
==============  ==========================  ================================

``RecordRepository`` and ``BlobStore`` are synchronous (their drivers are);
callers on the event loop run them in a worker thread. ``SearchIndex`` is
asynchronous. Each port has one contract suite in ``tests/contract`` that every
adapter must pass.
"""

from __future__ import annotations

import enum
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import BinaryIO, Protocol, runtime_checkable

from archive.domain.access import UNRESTRICTED, ReadScope
from archive.domain.records import Page, Record, TextStatus
from archive.domain.search import IndexDocument, SearchRequest, SearchResult


class RetentionMode(enum.Enum):
    """Object Lock retention mode. Governance can be bypassed by a privileged
    caller; compliance cannot be shortened by anyone."""

    GOVERNANCE = "GOVERNANCE"
    COMPLIANCE = "COMPLIANCE"


@dataclass(frozen=True, slots=True)
class Retention:
    mode: RetentionMode
    until: datetime


@runtime_checkable
class BlobStore(Protocol):
    """Keeps deposited bytes unchanged, one object per record, versioned."""

    def put(self, key: str, source: BinaryIO, *, size: int, sha256: str, media_type: str) -> str | None:
        """Store ``size`` bytes read from ``source`` under ``key``.

        Hashes the bytes on the way and raises IntegrityError (leaving nothing
        behind) when they do not match ``sha256``. Returns the version id, or
        None where the store has no versions.
        """
        ...

    def iter_bytes(self, key: str, *, version_id: str | None = None) -> Iterator[bytes]:
        """Stream an object's bytes. Raises NotFound when there is no such object."""
        ...

    def exists(self, key: str) -> bool: ...

    def check_ready(self) -> None:
        """Raise ServiceUnavailable unless the store answers and keeps its promises
        (on S3: the bucket exists with versioning and Object Lock). Creates nothing."""
        ...

    def version_ids(self, key: str) -> tuple[str, ...]:
        """Every stored version of ``key``, newest first (empty when none)."""
        ...

    def delete_all_versions(self, key: str) -> tuple[str, ...]:
        """Delete every version by version id (a plain DELETE only hides data on a
        versioned bucket). Returns what was deleted; raises ObjectLocked when
        storage refuses, and deletes nothing more after that."""
        ...

    def list_keys(self, prefix: str = "") -> Iterator[str]: ...

    def presigned_get_url(
        self,
        key: str,
        *,
        version_id: str | None,
        expires: timedelta,
        download_name: str,
        media_type: str,
    ) -> str | None:
        """A short-lived URL the caller can GET directly, or None when this store has
        none (the API then issues a signed token for its own download route)."""
        ...

    def set_retention(self, key: str, version_id: str | None, retention: Retention) -> None: ...

    def get_retention(self, key: str, version_id: str | None) -> Retention | None: ...

    def set_legal_hold(self, key: str, version_id: str | None, on: bool) -> None: ...

    def get_legal_hold(self, key: str, version_id: str | None) -> bool: ...


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

    def set_grant(self, record_id: str, grantee: str, *, present: bool) -> Record | None:
        """Add or remove one read grant, bumping the row version when it changes.
        Returns the record as it now is, or None when it does not exist."""
        ...

    def iter_all(self, batch_size: int = 500) -> Iterator[Record]:
        """Every record (with pages), for reindex and reconcile."""
        ...

    def count(self, scope: ReadScope) -> int: ...


@runtime_checkable
class SearchIndex(Protocol):
    """Full-text search. Derived data: rebuilt from the repository and the blob store."""

    async def ensure_ready(self) -> None:
        """Create what the index needs (tables, index template, alias). Idempotent."""
        ...

    async def check_ready(self) -> None:
        """Raise ServiceUnavailable unless the index exists and answers. Creates nothing."""
        ...

    async def upsert(self, document: IndexDocument) -> bool:
        """Index one record, versioned by ``row_version``. Returns False (and changes
        nothing) when the index already holds this or a newer version."""
        ...

    async def upsert_many(self, documents: Iterable[IndexDocument]) -> int:
        """Bulk ``upsert`` in bounded batches; returns how many were written."""
        ...

    async def delete(self, record_id: str) -> None:
        """Remove a record. Idempotent."""
        ...

    async def search(self, request: SearchRequest) -> SearchResult:
        """Hits, total and facets, all bound by ``request.scope`` inside the engine
        query. Raises InvalidCursor for a sort key of the wrong shape."""
        ...

    def get_versions(self) -> AsyncIterator[tuple[str, int]]:
        """(record id, row version) of every indexed document, for reconcile."""
        ...

    async def rebuild(self, documents: Iterable[IndexDocument]) -> int:
        """Build a fresh generation from ``documents`` and swap it in atomically."""
        ...

    async def refresh(self) -> None:
        """Make every write so far visible to search (tests and imports only)."""
        ...

    async def close(self) -> None: ...
