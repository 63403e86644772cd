"""Transfer packages from other systems, read without trusting them (the ``PackageReader`` adapter).

Guarantees:

* nothing is written outside a private temporary folder, removed when the package is closed;
* a zip is refused before (or, when its headers lie, while) it unpacks past the limits of
  ``PackageLimits``: entries, bytes per entry, bytes in total, compression ratio;
* no path escapes the package folder: ``..``, absolute paths, drive letters,
  backslashes and symbolic links are refused by name, and a METS ``href`` is resolved
  inside the package or refused;
* XML is parsed with no DTD, no entity expansion and no network; schemas are only the
  package's own ``schemas/`` files;
* every refusal is a ``Failure`` naming the part and the problem.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from archive.domain.package_checks import PATH, Failure, PackageInvalid, PackageLimits
from archive.domain.ports.packages import PackageReport
from archive.unpacking import checks, mets
from archive.unpacking.zipped import unzip

__all__ = ["UnpackedPackage", "ZipPackageReader"]


class UnpackedPackage:
    """A checked package in its private folder (``OpenedPackage``)."""

    def __init__(self, inspection: checks.Inspection) -> None:
        self.inspection = inspection
        self._report = _report(inspection)

    @property
    def report(self) -> PackageReport:
        return self._report

    @property
    def folder(self) -> Path:
        return self.inspection.folder

    def open_file(self, path: str) -> BinaryIO:
        resolved = mets.resolve(checks.ROOT_METS, path)
        if resolved is None or resolved != path:
            raise PackageInvalid([Failure(PATH, path, "is not a plain path inside the package")])
        return (self.folder / resolved).open("rb")


class ZipPackageReader:
    """``PackageReader`` for zipped packages, unpacked under ``workdir``."""

    def __init__(self, workdir: Path, limits: PackageLimits | None = None) -> None:
        self._workdir = workdir
        self._limits = limits or PackageLimits()

    @contextmanager
    def open(self, package: Path) -> Iterator[UnpackedPackage]:
        self._workdir.mkdir(parents=True, exist_ok=True)
        folder = Path(tempfile.mkdtemp(prefix="package-", dir=self._workdir))
        try:
            unzip(package, folder, self._limits)
            yield UnpackedPackage(checks.inspect(folder))
        finally:
            shutil.rmtree(folder, ignore_errors=True)


def _report(found: checks.Inspection) -> PackageReport:
    header = found.header
    listed = sum(len(mets.listed(found.trees[p].getroot())) for p in found.trees if p.endswith("METS.xml"))
    return PackageReport(
        objid=header.objid if header else "",
        package_type=header.package_type if header else "",
        record_status=header.record_status if header else "",
        profile=header.profile if header else "",
        failures=tuple(found.failures),
        files=listed,
    )
