"""The search index port: full-text search, derived from the repository and the blobs."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from typing import Protocol, runtime_checkable

from archive.domain.search import IndexDocument, SearchRequest, SearchResult


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
        """Build a fresh generation from ``documents`` and swap it in atomically.

        Writes made while it runs (upserts, deletes) reach the generation swapped in,
        so ``documents`` is read only once the build receives them, lazily, in a
        worker thread. Returns how many documents the build itself wrote."""
        ...

    async def refresh(self) -> None:
        """Make every write so far visible to search (tests and imports only)."""
        ...

    async def close(self) -> None: ...
