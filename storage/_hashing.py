"""A reader that hashes what it passes on and refuses a stream that does not match."""

from __future__ import annotations

import hashlib
import re
from typing import BinaryIO

from archive.domain.errors import IntegrityError

_SHA256 = re.compile(r"[0-9a-f]{64}")


def normalize_sha256(sha256: str) -> str:
    """Lower-case hex digest; ValueError for anything that is not a SHA-256."""
    digest = sha256.lower()
    if not _SHA256.fullmatch(digest):
        raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
    return digest


class HashingReader:
    """Reads exactly ``size`` bytes from ``source`` and checks their SHA-256.

    The check runs inside the ``read`` call that delivers the last byte, so a
    bad stream raises IntegrityError *before* the caller can commit that last
    chunk: an S3 upload never sends its final part, a file is never renamed
    into place. A short stream and a stream longer than ``size`` are refused too.
    """

    def __init__(self, source: BinaryIO, *, size: int, sha256: str) -> None:
        if size < 0:
            raise ValueError("size must not be negative")
        self._source = source
        self._size = size
        self._remaining = size
        self._expected = normalize_sha256(sha256)
        self._hash = hashlib.sha256()
        self.complete = False

    def read(self, n: int = -1) -> bytes:
        """Up to ``n`` bytes (all that is left when ``n`` < 0)."""
        if n == 0:
            return b""
        if self._remaining == 0:
            self.finish()
            return b""
        wanted = self._remaining if n < 0 else min(n, self._remaining)
        chunk = self._source.read(wanted)
        if not chunk:
            got = self._size - self._remaining
            raise IntegrityError(f"short stream: {got} of {self._size} bytes")
        self._hash.update(chunk)
        self._remaining -= len(chunk)
        if self._remaining == 0:
            self.finish()
        return chunk

    def finish(self) -> None:
        """Verify length and digest once every byte is read. Idempotent."""
        if self.complete:
            return
        if self._remaining:
            raise IntegrityError(f"stream not fully read: {self._remaining} bytes left")
        if self._source.read(1):
            raise IntegrityError(f"stream is longer than the declared {self._size} bytes")
        actual = self._hash.hexdigest()
        if actual != self._expected:
            raise IntegrityError(f"SHA-256 mismatch: expected {self._expected}, got {actual}")
        self.complete = True

    @property
    def sha256(self) -> str:
        """The verified digest (only meaningful once ``complete``)."""
        return self._expected


def verify_digest(key: str, hasher: hashlib._Hash, expected: str | None) -> None:
    """Raise IntegrityError when streamed bytes no longer match their recorded SHA-256."""
    actual = hasher.hexdigest()
    if expected is None:
        raise IntegrityError(f"{key}: no SHA-256 was recorded for this object")
    if actual != expected:
        raise IntegrityError(f"{key}: stored bytes have SHA-256 {actual}, recorded {expected}")
