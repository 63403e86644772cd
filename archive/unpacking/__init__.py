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

import dataclasses
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from archive.domain.package_checks import PATH, Failure, PackageInvalid, PackageLimits
from archive.domain.package_import import PackageContents
from archive.domain.ports.package_reader import PackageReport
from archive.unpacking import checks, descriptions, mets
from archive.unpacking.zipped import unzip

__all__ = ["UnpackedPackage", "ZipPackageReader", "check_package"]


def check_package(package: Path, workdir: Path, limits: PackageLimits | None = None) -> PackageReport:
    """Every check on ``package`` (unpacked under ``workdir``, removed after); a zip refused
    outright (limits, paths) comes back as a report with those failures, never raised.
    The writer's tests call this on every package they make."""
    try:
        with ZipPackageReader(workdir, limits).open(package) as opened:
            report = opened.report
            try:
                opened.contents()
            except PackageInvalid as exc:
                extra = tuple(f for f in exc.failures if f not in report.failures)
                return dataclasses.replace(report, failures=report.failures + extra)
            return report
    except PackageInvalid as exc:
        return PackageReport(
            objid="", package_type="", record_status="", profile="", failures=exc.failures, files=0
        )


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

    def contents(self) -> PackageContents:
        return descriptions.contents(self.inspection)

    def local_path(self, path: str) -> Path:
        resolved = mets.resolve(checks.ROOT_METS, path)
        if resolved is None or resolved != path or not (self.folder / resolved).is_file():
            raise PackageInvalid([Failure(PATH, path, "is not a file inside the package")])
        return self.folder / resolved

    def open_file(self, path: str) -> BinaryIO:
        return self.local_path(path).open("rb")


class ZipPackageReader:
    """``PackageReader`` for zipped packages, unpacked under ``workdir``."""

    def __init__(self, workdir: Path, limits: PackageLimits | None = None) -> None:
        self._workdir = workdir.resolve()
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
