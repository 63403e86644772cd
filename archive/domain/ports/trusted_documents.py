"""The trusted-document port: the allowlist of GraphQL documents, by id."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, runtime_checkable

from archive.domain.trusted_documents import TrustedDocument


@runtime_checkable
class TrustedDocumentStore(Protocol):
    """Listed documents. A document is never changed once listed (its id is its hash)."""

    def add(self, documents: Iterable[TrustedDocument]) -> int:
        """List every document not listed yet, in one transaction; returns how many were new."""
        ...

    def get(self, document_id: str) -> TrustedDocument | None: ...

    def all(self) -> list[TrustedDocument]:
        """Every listed document, oldest first."""
        ...
