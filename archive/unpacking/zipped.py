"""Unzip a package into a private folder without trusting anything the zip says.

Names are checked before a byte is written: a path that is absolute, has a drive
letter, a backslash, a ``..`` or empty segment, a control character, or a symbolic
link's mode is refused (``PATH``). Sizes are counted on the bytes actually inflated,
never on the header's word: an entry that inflates past its own limit, past the
package's total, or past the compression ratio stops the extraction at once
(``ZIP_LIMIT``), so a zip bomb costs at most one limit's worth of disk.
"""

from __future__ import annotations

import stat
import unicodedata
import zipfile
from pathlib import Path, PurePosixPath

from archive.domain.package_checks import PATH, ZIP, ZIP_LIMIT, Failure, PackageInvalid, PackageLimits

CHUNK = 1024 * 1024
_METHODS = frozenset({zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED})


def unzip(package: Path, into: Path, limits: PackageLimits) -> list[str]:
    """Extract ``package`` into the empty folder ``into``; returns the entry names (files
    only, POSIX form). Raises PackageInvalid naming the entry on the first limit crossed,
    or listing every bad name before anything is written."""
    try:
        archive = zipfile.ZipFile(package)
    except (zipfile.BadZipFile, OSError) as exc:
        raise PackageInvalid([Failure(ZIP, package.name, f"not a readable zip file ({exc})")]) from exc
    with archive:
        infos = archive.infolist()
        _check_listing(infos, limits)
        total = 0
        names = []
        for info in infos:
            if info.is_dir():
                _folder(into, info.filename)
                continue
            total += _extract(archive, info, into, limits, total)
            names.append(info.filename)
        return names


def _folder(into: Path, name: str) -> Path:
    """Make a folder of the package; a name that is already a file (``a`` and ``a/b`` both
    entries) or that the file system refuses (too long) is refused by name."""
    try:
        (into / name).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise PackageInvalid(
            [Failure(PATH, name, f"cannot be a folder of the package ({exc.strerror})")]
        ) from exc
    return into / name


def _check_listing(infos: list[zipfile.ZipInfo], limits: PackageLimits) -> None:
    if len(infos) > limits.max_entries:
        raise PackageInvalid(
            [Failure(ZIP_LIMIT, "zip", f"{len(infos)} entries, more than the limit of {limits.max_entries}")]
        )
    failures = [f for info in infos for f in _entry_failures(info, limits)]
    seen: set[str] = set()
    for info in infos:
        folded = unicodedata.normalize("NFC", info.filename.rstrip("/")).casefold()
        if folded in seen:
            failures.append(
                Failure(ZIP, info.filename, "appears twice in the zip (names differ only in case?)")
            )
        seen.add(folded)
    declared = sum(i.file_size for i in infos)
    if declared > limits.max_total_bytes:
        failures.append(
            Failure(ZIP_LIMIT, "zip", f"unpacks to {declared} bytes, more than {limits.max_total_bytes}")
        )
    if failures:
        raise PackageInvalid(failures)


def _entry_failures(info: zipfile.ZipInfo, limits: PackageLimits) -> list[Failure]:
    name = info.filename
    problem = path_problem(name)
    if problem:
        return [Failure(PATH, _printable(name), problem)]
    if stat.S_ISLNK(info.external_attr >> 16):
        return [Failure(PATH, name, "is a symbolic link; a package holds plain files only")]
    if info.flag_bits & 0x1:
        return [Failure(ZIP, name, "is encrypted")]
    if info.compress_type not in _METHODS:
        return [Failure(ZIP, name, f"uses compression method {info.compress_type}; only stored or deflate")]
    if info.file_size > limits.max_entry_bytes:
        return [Failure(ZIP_LIMIT, name, f"unpacks to {info.file_size} bytes, over {limits.max_entry_bytes}")]
    if _over_ratio(info.file_size, info.compress_size, limits):
        ratio = info.file_size // max(info.compress_size, 1)
        return [Failure(ZIP_LIMIT, name, f"compression ratio {ratio}:1 is over {limits.max_ratio}:1")]
    return []


def path_problem(name: str) -> str:
    """Why ``name`` may not be a path inside a package, or "" when it may."""
    if not name or "\x00" in name or any(unicodedata.category(c) == "Cc" for c in name):
        return "has an empty name or control characters"
    if "\\" in name:
        return "contains a backslash (a Windows path separator)"
    if name.startswith("/"):
        return "is an absolute path"
    if len(name) >= 2 and name[1] == ":" and name[0].isalpha():
        return "starts with a drive letter"
    parts = PurePosixPath(name.rstrip("/")).parts if name != "/" else ()
    if any(p in {"..", "."} for p in name.rstrip("/").split("/")) or not parts:
        return "escapes the package folder ('..' or '.' segment)"
    if "" in name.rstrip("/").split("/"):
        return "has an empty path segment"
    return ""


def _over_ratio(size: int, compressed: int, limits: PackageLimits) -> bool:
    return size > limits.ratio_floor_bytes and size > limits.max_ratio * max(compressed, 1)


def _extract(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, into: Path, limits: PackageLimits, total: int
) -> int:
    """Inflate one entry, counting real bytes against every limit; returns its size."""
    target = _folder(into, str(PurePosixPath(info.filename).parent)) / PurePosixPath(info.filename).name
    written = 0
    try:
        with archive.open(info) as source, target.open("xb") as out:
            while chunk := source.read(CHUNK):
                written += len(chunk)
                _check_growth(info, written, total + written, limits)
                out.write(chunk)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:  # a CRC mismatch, a truncated stream
        raise PackageInvalid([Failure(ZIP, info.filename, f"cannot be unpacked ({exc})")]) from exc
    return written


def _check_growth(info: zipfile.ZipInfo, written: int, total: int, limits: PackageLimits) -> None:
    # The header's sizes were checked already; these catch a header that lies.
    if written > limits.max_entry_bytes:
        raise PackageInvalid(
            [Failure(ZIP_LIMIT, info.filename, f"unpacks past {limits.max_entry_bytes} bytes")]
        )
    if total > limits.max_total_bytes:
        raise PackageInvalid(
            [Failure(ZIP_LIMIT, info.filename, f"the package unpacks past {limits.max_total_bytes} bytes")]
        )
    if _over_ratio(written, info.compress_size, limits):
        raise PackageInvalid(
            [Failure(ZIP_LIMIT, info.filename, f"unpacks past a compression ratio of {limits.max_ratio}:1")]
        )


def _printable(name: str) -> str:
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in name)
