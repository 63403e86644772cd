"""The package writer port: a transfer or preservation package streamed to a zip."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import BinaryIO, Protocol, runtime_checkable

from archive.domain.packages import DocumentDescription, Package, WrittenPackage


@runtime_checkable
class PackageWriter(Protocol):
    """Lays out a ``Package`` as a Circular 05/2025 / E-ARK CSIP zip. Blocking."""

    def write(
        self,
        package: Package,
        contents: Callable[[DocumentDescription], Iterator[bytes]],
        sink: BinaryIO,
    ) -> WrittenPackage:
        """Stream the package to ``sink``; ``contents`` yields a document's stored bytes.

        Raises IntegrityError when a document's bytes do not match its recorded size or
        SHA-256 (the sink then holds a partial zip the caller discards).
        """
        ...
