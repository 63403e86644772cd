"""The package reader port: a transfer package from another system, unpacked and checked.

The adapter (``archive.unpacking``) unzips into a private folder under limits, parses
every XML with nothing resolved, and runs the checks of ``archive.domain.package_checks``.
A service sees only the report and, once the report is clean, the files' bytes.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol, runtime_checkable

from archive.domain.package_checks import Failure


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
