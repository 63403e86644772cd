"""The saved-search port: rows keyed by id; who may see which is ``archive.domain.access``'s."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from archive.domain.saved_searches import SavedSearch


@runtime_checkable
class SavedSearchStore(Protocol):
    def add(self, search: SavedSearch) -> None: ...

    def get(self, search_id: str) -> SavedSearch | None: ...

    def visible_to(self, subject: str, agencies: frozenset[str]) -> list[SavedSearch]:
        """The searches ``subject`` owns and those shared with one of ``agencies``, by name."""
        ...

    def count_owned(self, subject: str) -> int: ...

    def delete(self, search_id: str) -> bool:
        """Remove it; False when there was nothing to remove."""
        ...
