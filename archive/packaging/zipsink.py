"""A zip written front to back, never seeking, hashed as it goes.

The sink a package goes to may be a pipe, an HTTP response or a file; and the
package may be several gigabytes. So entries are written in chunks through
``zipfile`` on a non-seekable wrapper (zipfile then writes a data descriptor after
each entry instead of seeking back), and the wrapper hashes every byte that
leaves, so the zip's SHA-256 is known the moment it is closed, without reading it
again. Memory stays at one chunk per entry whatever the size.
"""

from __future__ import annotations

import hashlib
import zipfile
from collections.abc import Iterable
from datetime import datetime
from typing import BinaryIO

from archive.domain.packages import VIETNAM


class HashingSink:
    """Write-only, non-seekable: counts and hashes what zipfile writes to ``target``."""

    def __init__(self, target: BinaryIO) -> None:
        self._target = target
        self._hash = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self._target.write(data)
        self._hash.update(data)
        self.size += len(data)
        return len(data)

    def flush(self) -> None:
        self._target.flush()

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()


def open_zip(sink: HashingSink) -> zipfile.ZipFile:
    """A zip archive writing to ``sink`` (zipfile sees no tell/seek: it streams)."""
    archive: zipfile.ZipFile = zipfile.ZipFile(sink, mode="w", allowZip64=True)  # type: ignore[call-overload]
    return archive


def _info(name: str, size: int, when: datetime, *, compress: bool) -> zipfile.ZipInfo:
    local = when.astimezone(VIETNAM)
    info = zipfile.ZipInfo(
        name, date_time=(local.year, local.month, local.day, local.hour, local.minute, local.second)
    )
    info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    info.file_size = size  # tells zipfile whether the entry needs zip64 before it starts
    info.external_attr = 0o644 << 16
    return info


def add_stream(
    archive: zipfile.ZipFile, name: str, chunks: Iterable[bytes], *, size: int, when: datetime
) -> tuple[int, str]:
    """Write ``chunks`` as entry ``name`` unchanged (stored: PDFs are compressed already).

    Returns the bytes written and their SHA-256 (lower-case hex); the caller compares
    them with what the store promised."""
    digest, written = hashlib.sha256(), 0
    with archive.open(_info(name, size, when, compress=False), mode="w", force_zip64=size > 2**31) as entry:
        for chunk in chunks:
            entry.write(chunk)
            digest.update(chunk)
            written += len(chunk)
    return written, digest.hexdigest()


def add_bytes(archive: zipfile.ZipFile, name: str, data: bytes, *, when: datetime) -> None:
    """Write a small generated file (XML, text), deflated."""
    with archive.open(_info(name, len(data), when, compress=True), mode="w") as entry:
        entry.write(data)
