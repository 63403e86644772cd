"""The package reader port: a transfer package from another system, unpacked and checked.

The adapter (``archive.unpacking``) unzips into a private folder under limits, parses
every XML with nothing resolved, and runs the checks of ``archive.domain.package_checks``.
A service sees only the report and, once the report is clean, the files' bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol, runtime_checkable

from archive.domain.archival import Dossier, Fonds
from archive.domain.package_checks import Failure
from archive.domain.package_import import PackageContents
from archive.domain.records import Record


@dataclass(frozen=True, slots=True)
class PackageReport:
    """What the checks found about one package. ``failures`` empty: it passed every check."""

    objid: str
    package_type: str  # SIP, AIP, DIP (as the METS states it)
    record_status: str  # NEW, SUPPLEMENT, ...
    profile: str
    failures: tuple[Failure, ...]
    files: int  # files listed by its METS documents and checked

    @property
    def valid(self) -> bool:
        return not self.failures


@runtime_checkable
class OpenedPackage(Protocol):
    """A package unpacked in a private folder, for as long as its context lasts."""

    @property
    def report(self) -> PackageReport: ...

    def contents(self) -> PackageContents:
        """The dossier (or batch) and documents the package describes, read even when the
        report has failures (so every failure can be listed at once). Raises PackageInvalid
        naming each descriptive file it cannot read."""
        ...

    def local_path(self, path: str) -> Path:
        """Where a file of the package (its path inside the package folder) is unpacked, for
        as long as the context lasts. Raises PackageInvalid for a path outside the package."""
        ...

    def open_file(self, path: str) -> BinaryIO:
        """The bytes of a file of the package, by its path inside the package folder."""
        ...


@runtime_checkable
class PackageReader(Protocol):
    """Opens transfer packages. Blocking (unzip, hashing, schema validation)."""

    def open(self, package: Path) -> AbstractContextManager[OpenedPackage]:
        """Unpack and check ``package``; the folder is removed when the context ends.
        Raises PackageInvalid when the zip itself is refused (limits, paths); other
        failures are in the report, so a caller may list them all."""
        ...


@runtime_checkable
class PackageImportStore(Protocol):
    """Writes what an imported package becomes, all at once."""

    def commit_import(self, *, fonds: Fonds | None, dossier: Dossier, records: Sequence[Record]) -> None:
        """In ONE transaction: the fonds (when given: a new one), the dossier, and every
        record with its processing job (the outbox). Either all of it is written or none:
        raises DuplicateRecord when the agency already holds a record's bytes at that
        classification, MetadataInvalid when the fonds or dossier code is taken meanwhile."""
        ...
