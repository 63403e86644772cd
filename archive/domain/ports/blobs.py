"""The blob store port: deposited bytes, kept unchanged and versioned, under Object Lock."""

from __future__ import annotations

import enum
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import BinaryIO, Protocol, runtime_checkable


class RetentionMode(enum.Enum):
    """Object Lock retention mode. Governance can be bypassed by a privileged
    caller; compliance cannot be shortened by anyone."""

    GOVERNANCE = "GOVERNANCE"
    COMPLIANCE = "COMPLIANCE"


@dataclass(frozen=True, slots=True)
class Retention:
    mode: RetentionMode
    until: datetime


@runtime_checkable
class BlobStore(Protocol):
    """Keeps deposited bytes unchanged, one object per record, versioned."""

    def put(self, key: str, source: BinaryIO, *, size: int, sha256: str, media_type: str) -> str | None:
        """Store ``size`` bytes read from ``source`` under ``key``.

        Hashes the bytes on the way and raises IntegrityError (leaving nothing
        behind) when they do not match ``sha256``. Returns the version id, or
        None where the store has no versions.
        """
        ...

    def iter_bytes(self, key: str, *, version_id: str | None = None) -> Iterator[bytes]:
        """Stream an object's bytes. Raises NotFound when there is no such object."""
        ...

    def iter_range(
        self, key: str, *, start: int, length: int, version_id: str | None = None
    ) -> Iterator[bytes]:
        """Stream ``length`` bytes of an object from offset ``start`` (an HTTP Range),
        in chunks, never the whole object in memory. The caller keeps the range within
        the object's size. A part cannot be checked against the object's SHA-256, so
        unlike ``iter_bytes`` nothing is verified. Raises NotFound at once when there
        is no such object."""
        ...

    def exists(self, key: str) -> bool: ...

    def close(self) -> None:
        """Release connections (idempotent); the store is not used afterwards."""
        ...

    def check_ready(self) -> None:
        """Raise ServiceUnavailable unless the store answers and keeps its promises
        (on S3: the bucket exists with versioning and Object Lock). Creates nothing."""
        ...

    def version_ids(self, key: str) -> tuple[str, ...]:
        """Every stored version of ``key``, newest first (empty when none)."""
        ...

    def delete_all_versions(self, key: str) -> tuple[str, ...]:
        """Delete every version by version id (a plain DELETE only hides data on a
        versioned bucket). Returns what was deleted; raises ObjectLocked when
        storage refuses, and deletes nothing more after that."""
        ...

    def list_keys(self, prefix: str = "") -> Iterator[str]:
        """Keys starting with ``prefix``, in ascending order of their UTF-8 bytes (S3's
        listing order): reconcile walks them side by side with the database's sorted keys."""
        ...

    def presigned_get_url(
        self,
        key: str,
        *,
        version_id: str | None,
        expires: timedelta,
        download_name: str,
        media_type: str,
    ) -> str | None:
        """A short-lived URL the caller can GET directly, or None when this store has
        none (the API then issues a signed token for its own download route)."""
        ...

    def set_retention(self, key: str, version_id: str | None, retention: Retention) -> None: ...

    def set_retentions(self, changes: Sequence[tuple[str, str | None, Retention]]) -> None:
        """``set_retention`` for each (key, version id, retention), durable when this returns:
        a rule change re-seals a million objects, and a store that can share one durability
        barrier among them (the local directory: two filesystem syncs a batch instead of two
        fsyncs an object) does. ObjectLocked, before anything is written on a store that
        checks first, when one would shorten or loosen an active lock."""
        ...

    def get_retention(self, key: str, version_id: str | None) -> Retention | None: ...

    def set_legal_hold(self, key: str, version_id: str | None, on: bool) -> None: ...

    def get_legal_hold(self, key: str, version_id: str | None) -> bool: ...
