"""What a backup is: a manifest naming a database snapshot and every object version.

A backup target (a directory, or a bucket on another S3 server) holds::

    objects/sha256/<ab>/<sha256>          one copy per distinct content (write once)
    snapshots/<id>/database.<dump|sqlite> the database snapshot of that run
    snapshots/<id>/manifest.json          written LAST: a snapshot without it is unfinished

Copies are content-addressed, so an incremental run copies only the versions
whose bytes the target does not hold yet, and ``backup verify`` can re-hash any
copy against its own name as well as against the manifest. The manifest is
canonical JSON; its SHA-256 goes into the ``backup.run`` audit entry, so a
manifest altered later no longer matches the chain.

Standard library only: the target adapters live in ``storage.backup_target``,
the snapshot tools in ``archive.db.snapshot``, the use cases in
``archive.services.backup``.
"""

from __future__ import annotations

import enum
import hashlib
import json
import secrets
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, BinaryIO, Protocol, runtime_checkable

from archive.domain.errors import ArchiveError

FORMAT = "records-archive-backup/1"
SNAPSHOTS = "snapshots/"
# Folders of the data directory that hold records rather than scratch: kept in backups.
DATA_FOLDERS = ("certificates",)
MANIFEST_NAME = "manifest.json"
BACKUP_ACTION = "backup.run"
RESTORE_ACTION = "backup.restore"


class Kind(enum.StrEnum):
    """A full run copies every version again; an incremental one only new content."""

    FULL = "full"
    INCREMENTAL = "incremental"


class BackupRefused(ArchiveError):
    """A backup or restore that must not go ahead: no finished snapshot in the target, a
    restore into a deployment that is not empty, or a snapshot of another database engine.
    (An ArchiveError kept here, beside the backup model, rather than in the shared tree.)"""

    code = "BACKUP_REFUSED"


@dataclass(frozen=True, slots=True)
class ObjectEntry:
    """One object version as it was in the blob store, and where its copy lives.

    ``retention_mode``/``retain_until`` and ``legal_hold`` are the Object Lock
    state read at backup time, so a restore can set them again.
    """

    key: str
    version_id: str | None
    sha256: str
    size: int
    media_type: str
    retention_mode: str | None = None
    retain_until: str | None = None  # ISO 8601 UTC
    legal_hold: bool = False

    @property
    def copy_name(self) -> str:
        return copy_name(self.sha256)


@dataclass(frozen=True, slots=True)
class FileEntry:
    """A file of the data directory the archive must keep (a certificate of destruction),
    by its path relative to the data directory; its copy is content-addressed too."""

    name: str
    sha256: str
    size: int

    @property
    def copy_name(self) -> str:
        return copy_name(self.sha256)


@dataclass(frozen=True, slots=True)
class DatabaseEntry:
    """The database snapshot: which engine made it, its file in the snapshot, its hash."""

    engine: str  # "postgresql" or "sqlite"
    name: str
    sha256: str
    size: int


@dataclass(frozen=True, slots=True)
class Manifest:
    """Everything one backup run captured."""

    id: str
    created: str  # ISO 8601 UTC
    kind: Kind
    database: DatabaseEntry
    objects: tuple[ObjectEntry, ...]
    copied: int  # object copies this run wrote (the rest were already in the target)
    extra: dict[str, str] = field(default_factory=dict)  # free-form notes, e.g. the source
    files: tuple[FileEntry, ...] = ()  # data-directory files: certificates of destruction

    @property
    def name(self) -> str:
        return manifest_name(self.id)

    def to_json(self) -> bytes:
        """Canonical JSON: keys sorted, UTF-8, one entry per line for readable diffs."""
        body: dict[str, Any] = asdict(self)
        body["format"] = FORMAT
        body["kind"] = self.kind.value
        return (json.dumps(body, sort_keys=True, ensure_ascii=False, indent=0) + "\n").encode("utf-8")

    @classmethod
    def from_json(cls, data: bytes) -> Manifest:
        """Parse a manifest; ValueError when it is not one this version understands."""
        body = json.loads(data)
        if not isinstance(body, dict) or body.get("format") != FORMAT:
            raise ValueError(f"not a {FORMAT} manifest")
        return cls(
            id=str(body["id"]),
            created=str(body["created"]),
            kind=Kind(body["kind"]),
            database=DatabaseEntry(**body["database"]),
            objects=tuple(ObjectEntry(**entry) for entry in body["objects"]),
            copied=int(body["copied"]),
            extra={str(k): str(v) for k, v in body.get("extra", {}).items()},
            files=tuple(FileEntry(**entry) for entry in body.get("files", [])),
        )


@dataclass(frozen=True, slots=True)
class Problem:
    """One bad entry found by ``backup verify``: what it is and what is wrong."""

    entry: str  # "database" or "<key>@<version id>"
    reason: str


@runtime_checkable
class BackupTarget(Protocol):
    """A second, independent place that keeps backups: names are ``/``-separated paths."""

    def location(self, name: str = "") -> str:
        """Where ``name`` lives, whole (a path or an ``s3://`` URL), for people and scripts."""
        ...

    def write(self, name: str, source: BinaryIO, size: int) -> None:
        """Store ``size`` bytes from ``source`` under ``name``, replacing any; never half-written."""
        ...

    def read(self, name: str) -> Iterator[bytes]:
        """Stream ``name``. Raises NotFound when it is not there."""
        ...

    def exists(self, name: str) -> bool: ...

    def names(self, prefix: str) -> Iterator[str]:
        """Every stored name that starts with ``prefix``."""
        ...


def copy_name(sha256: str) -> str:
    return f"objects/sha256/{sha256[:2]}/{sha256}"


def manifest_name(snapshot_id: str) -> str:
    return f"{SNAPSHOTS}{snapshot_id}/{MANIFEST_NAME}"


def new_snapshot_id(now: datetime) -> str:
    """Sortable by time to the microsecond (``20261130T012233.123456Z-1a2b3c``), unique
    without coordination."""
    return f"{now.astimezone(UTC):%Y%m%dT%H%M%S.%fZ}-{secrets.token_hex(3)}"


def finished_snapshots(names: Iterator[str]) -> list[str]:
    """Ids of the snapshots whose manifest was written, oldest first."""
    found = []
    for name in names:
        rest = name.removeprefix(SNAPSHOTS)
        snapshot_id, _, leaf = rest.partition("/")
        if leaf == MANIFEST_NAME and snapshot_id:
            found.append(snapshot_id)
    return sorted(found)


def manifest_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def entry_label(entry: ObjectEntry) -> str:
    return f"{entry.key}@{entry.version_id or '-'}"
