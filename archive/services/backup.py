"""Backup and restore of the whole archive: the database, every object version, the index.

``run_backup`` writes, to a second and independent target, a consistent
database snapshot, a copy of every object version not already there, and a
manifest naming them all (key, version id, SHA-256, size, media type, Object
Lock state). The run is audited (``backup.run``) with the manifest's SHA-256.

``verify_backup`` re-hashes every copy and the snapshot against the manifest.

``restore_backup`` refuses a deployment that holds anything, then loads the
snapshot, puts every object back (oldest version first) with its retention and
legal hold, points the records at the version ids the store gave the restored
objects, and rebuilds the search index from that restored truth.

Order: the database is snapshotted first, the objects listed after. Objects are
write-once and deposits store them before the row commits, so every record in
the snapshot has its object in the listing; only a purge that runs between the
two steps can leave a restored record without its object (``archive fixity``
names it).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from archive.domain.audit import Outcome
from archive.domain.backup import (
    BACKUP_ACTION,
    DATA_FOLDERS,
    RESTORE_ACTION,
    SNAPSHOTS,
    BackupRefused,
    BackupTarget,
    DatabaseEntry,
    FileEntry,
    Kind,
    Manifest,
    ObjectEntry,
    Problem,
    entry_label,
    finished_snapshots,
    manifest_hash,
    manifest_name,
    new_snapshot_id,
)
from archive.domain.errors import ArchiveError, IntegrityError, NotFound, ObjectLocked
from archive.domain.ports import AuditFilter, Retention, RetentionMode
from archive.services import audit
from archive.services.container import Services
from archive.services.maintenance import rebuild_index

log = logging.getLogger(__name__)
Tick = Callable[[], None]
_CHUNK = 256 * 1024


@dataclass(frozen=True, slots=True)
class RunProgress:
    """Where a long run reports: the total once known, then one tick per item."""

    total: Callable[[int], None]
    tick: Tick


_NO_PROGRESS = RunProgress(total=lambda _: None, tick=lambda: None)


@dataclass(frozen=True, slots=True)
class BackupReport:
    manifest: Manifest
    manifest_sha256: str
    manifest_location: str
    database_location: str
    target: str


@dataclass(frozen=True, slots=True)
class VerifyReport:
    snapshot_id: str
    checked: int  # object entries whose copy was re-hashed
    problems: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True, slots=True)
class RestoreReport:
    snapshot_id: str
    objects: int
    not_restored: tuple[str, ...]  # entry labels, with why
    remapped: int  # records whose version id changed
    indexed: int


# -- backup ----------------------------------------------------------------------------------


def object_versions(services: Services) -> list[tuple[str, str | None]]:
    """Every (key, version id) in the blob store, each key's versions oldest first. Blocking.

    A store that lists every version in one pass (S3's ``iter_versions``) is read that
    way; otherwise key by key. Delete markers carry no bytes and are left out.
    """
    listing = getattr(services.blobs, "iter_versions", None)
    if listing is None:
        return _versions_key_by_key(services)
    newest_first: dict[str, list[str]] = {}
    for version in listing(""):
        if not version.delete_marker:
            newest_first.setdefault(version.key, []).append(version.version_id)
    return [(key, v) for key, ids in newest_first.items() for v in reversed(ids)]


def _versions_key_by_key(services: Services) -> list[tuple[str, str | None]]:
    found: list[tuple[str, str | None]] = []
    for key in services.blobs.list_keys(""):
        versions = services.blobs.version_ids(key)
        found += [(key, v) for v in reversed(versions)] if versions else [(key, None)]
    return found


def run_backup(
    services: Services,
    target: BackupTarget,
    *,
    actor: str,
    full: bool = False,
    progress: RunProgress | None = None,
) -> BackupReport:
    """One backup run; audited whether it succeeds or fails. Blocking.

    ``progress`` is told how many object versions there are once they are listed
    (after the database snapshot), then ticked once per version.
    """
    try:
        report = _backup(services, target, full, progress or _NO_PROGRESS)
    except Exception as exc:
        _audit_failure(services, actor, target, exc)
        raise
    audit.append(
        services,
        actor=actor,
        action=BACKUP_ACTION,
        target=report.manifest_location,
        details={
            "snapshot": report.manifest.id,
            "kind": report.manifest.kind.value,
            "manifest_sha256": report.manifest_sha256,
            "objects": len(report.manifest.objects),
            "copied": report.manifest.copied,
            "database_sha256": report.manifest.database.sha256,
        },
    )
    return report


def _audit_failure(services: Services, actor: str, target: BackupTarget, exc: Exception) -> None:
    reason = f"{exc.code}: {exc.message}" if isinstance(exc, ArchiveError) else f"{type(exc).__name__}: {exc}"
    try:
        audit.append(
            services,
            actor=actor,
            action=BACKUP_ACTION,
            target=target.location(),
            outcome=Outcome.ERROR,
            details={"error": reason[:500]},
        )
    except Exception:  # the database may be what failed; the run's own error matters more
        log.exception("could not audit the failed backup run")


def _backup(
    services: Services,
    target: BackupTarget,
    full: bool,
    progress: RunProgress,
) -> BackupReport:
    now = services.clock()
    snapshot_id = new_snapshot_id(now)
    previous = None if full else latest_manifest(target)
    with _scratch(services) as scratch:
        database = _snapshot_database(services, target, snapshot_id, scratch)
        # Listed only now, after the snapshot: see the module docstring.
        versions = object_versions(services)
        progress.total(len(versions))
        objects, copied = _copy_objects(services, target, previous, versions, scratch, progress.tick)
        files = _copy_files(services, target, previous)
    kind = Kind.FULL if previous is None else Kind.INCREMENTAL
    manifest = Manifest(
        id=snapshot_id,
        created=now.astimezone(UTC).isoformat(),
        kind=kind,
        database=database,
        objects=tuple(objects),
        copied=copied,
        extra={"previous": previous.id if previous else ""},
        files=tuple(files),
    )
    data = manifest.to_json()
    _write_bytes(target, manifest.name, data)
    return BackupReport(
        manifest=manifest,
        manifest_sha256=manifest_hash(data),
        manifest_location=target.location(manifest.name),
        database_location=target.location(database.name),
        target=target.location(),
    )


def _snapshot_database(
    services: Services, target: BackupTarget, snapshot_id: str, scratch: Path
) -> DatabaseEntry:
    kind = services.snapshots.kind
    local = scratch / "database"
    services.snapshots.dump(local)
    name = f"{SNAPSHOTS}{snapshot_id}/database.{'dump' if kind == 'postgresql' else 'sqlite'}"
    sha256, size = _hash_file(local)
    with local.open("rb") as source:
        target.write(name, source, size)
    local.unlink()
    return DatabaseEntry(engine=kind, name=name, sha256=sha256, size=size)


def _copy_objects(
    services: Services,
    target: BackupTarget,
    previous: Manifest | None,
    versions: list[tuple[str, str | None]],
    scratch: Path,
    tick: Tick,
) -> tuple[list[ObjectEntry], int]:
    """Entries for every object version; copies only content the target lacks."""
    known = {(e.key, e.version_id): e for e in previous.objects} if previous else {}
    held = {e.sha256 for e in previous.objects} if previous else set()
    media = services.snapshots.media_types()
    entries: list[ObjectEntry] = []
    copied = 0
    for key, version_id in versions:
        entry = known.get((key, version_id))
        if entry is None:
            entry = _copy_one(services, target, key, version_id, media, scratch, held)
            copied += entry is not None and entry.sha256 not in held
        if entry is not None:
            held.add(entry.sha256)
            entries.append(_with_lock_state(services, entry))
        tick()
    return entries, copied


def _copy_files(services: Services, target: BackupTarget, previous: Manifest | None) -> list[FileEntry]:
    """Entries for the files under the data directory's DATA_FOLDERS; copies new content only."""
    held = ({e.sha256 for e in previous.objects} | {f.sha256 for f in previous.files}) if previous else set()
    data_dir = services.settings.data_dir
    entries = []
    for folder in DATA_FOLDERS:
        for path in sorted(p for p in (data_dir / folder).rglob("*") if p.is_file()):
            sha256, size = _hash_file(path)
            entry = FileEntry(path.relative_to(data_dir).as_posix(), sha256, size)
            if sha256 not in held:
                with path.open("rb") as source:
                    target.write(entry.copy_name, source, size)
                held.add(sha256)
            entries.append(entry)
    return entries


def _copy_one(
    services: Services,
    target: BackupTarget,
    key: str,
    version_id: str | None,
    media: dict[str, str],
    scratch: Path,
    held: set[str],
) -> ObjectEntry | None:
    """Copy one version through a scratch file (the store re-checks its hash on the way).

    None for a delete marker or a version gone since the listing: no bytes to keep.
    """
    local = scratch / "object"
    try:
        sha256, size = _download(services.blobs.iter_bytes(key, version_id=version_id), local)
    except NotFound:
        return None
    entry = ObjectEntry(key, version_id, sha256, size, media.get(key, "application/octet-stream"))
    if sha256 not in held:
        with local.open("rb") as source:
            target.write(entry.copy_name, source, size)
    local.unlink()
    return entry


def _with_lock_state(services: Services, entry: ObjectEntry) -> ObjectEntry:
    """The entry with its object's current retention and legal hold (they change over time)."""
    retention = services.blobs.get_retention(entry.key, entry.version_id)
    return replace(
        entry,
        retention_mode=retention.mode.value if retention else None,
        retain_until=retention.until.astimezone(UTC).isoformat() if retention else None,
        legal_hold=services.blobs.get_legal_hold(entry.key, entry.version_id),
    )


# -- reading a target ------------------------------------------------------------------------


def latest_manifest(target: BackupTarget) -> Manifest | None:
    """The newest finished snapshot's manifest, or None when the target has none."""
    ids = finished_snapshots(target.names(SNAPSHOTS))
    return load_manifest(target, ids[-1]) if ids else None


def load_manifest(target: BackupTarget, snapshot_id: str | None = None) -> Manifest:
    """The manifest of ``snapshot_id`` (default: the newest); BackupRefused when there is none."""
    if snapshot_id is None:
        found = latest_manifest(target)
        if found is None:
            raise BackupRefused(f"{target.location()}: no finished backup snapshot")
        return found
    try:
        data = b"".join(target.read(manifest_name(snapshot_id)))
    except NotFound:
        raise BackupRefused(f"{target.location()}: no snapshot {snapshot_id!r}") from None
    return Manifest.from_json(data)


def last_backup_time(services: Services) -> datetime | None:
    """When the newest successful ``backup.run`` was recorded, or None (for the metrics gauge)."""
    after: int | None = None
    while True:
        page = services.audit.find(AuditFilter(action=BACKUP_ACTION), first=50, after_seq=after)
        for entry in page:
            if entry.outcome == Outcome.OK:
                # Every stored time is UTC, but SQLite hands it back naive.
                return entry.at if entry.at.tzinfo else entry.at.replace(tzinfo=UTC)
        if len(page) < 50:
            return None
        after = page[-1].seq


# -- verify ----------------------------------------------------------------------------------


def verify_backup(
    target: BackupTarget, snapshot_id: str | None = None, *, on_object: Tick | None = None
) -> VerifyReport:
    """Re-hash the snapshot's database file and every object copy against its manifest."""
    manifest = load_manifest(target, snapshot_id)
    tick = on_object or (lambda: None)
    problems: list[Problem] = []
    db = manifest.database
    reason = _check_copy(target, db.name, db.sha256, db.size)
    if reason:
        problems.append(Problem("database", f"{target.location(db.name)}: {reason}"))
    verdicts: dict[str, str | None] = {}  # a copy shared by several versions is read once
    for entry in manifest.objects:
        if entry.sha256 not in verdicts:
            verdicts[entry.sha256] = _check_copy(target, entry.copy_name, entry.sha256, entry.size)
        reason = verdicts[entry.sha256]
        if reason:
            problems.append(Problem(entry_label(entry), f"{target.location(entry.copy_name)}: {reason}"))
        tick()
    for file in manifest.files:
        reason = _check_copy(target, file.copy_name, file.sha256, file.size)
        if reason:
            problems.append(Problem(file.name, f"{target.location(file.copy_name)}: {reason}"))
    return VerifyReport(manifest.id, len(manifest.objects), tuple(problems))


def _check_copy(target: BackupTarget, name: str, sha256: str, size: int) -> str | None:
    """None when the copy is intact, else what is wrong with it."""
    digest, got = hashlib.sha256(), 0
    try:
        for chunk in target.read(name):
            digest.update(chunk)
            got += len(chunk)
    except NotFound:
        return "missing"
    if digest.hexdigest() != sha256:
        return f"SHA-256 {digest.hexdigest()}, manifest says {sha256}"
    if got != size:
        return f"{got} bytes, manifest says {size}"
    return None


# -- restore ---------------------------------------------------------------------------------


async def restore_backup(
    services: Services,
    target: BackupTarget,
    *,
    actor: str,
    snapshot_id: str | None = None,
    on_object: Tick | None = None,
) -> RestoreReport:
    """Restore a snapshot into this EMPTY deployment, then rebuild the index from it."""
    manifest = await asyncio.to_thread(load_manifest, target, snapshot_id)
    await services.index.ensure_ready()
    await _refuse_non_empty(services, manifest)
    await asyncio.to_thread(_restore_database, services, target, manifest)
    restored, not_restored, remapped = await asyncio.to_thread(
        _restore_objects, services, target, manifest, on_object or (lambda: None)
    )
    await asyncio.to_thread(_restore_files, services, target, manifest)
    indexed = await rebuild_index(services)
    await asyncio.to_thread(
        audit.append,
        services,
        actor=actor,
        action=RESTORE_ACTION,
        target=target.location(manifest.name),
        details={"snapshot": manifest.id, "objects": restored, "not_restored": len(not_restored)},
    )
    return RestoreReport(manifest.id, restored, tuple(not_restored), remapped, indexed)


async def _refuse_non_empty(services: Services, manifest: Manifest) -> None:
    kind = services.snapshots.kind
    if manifest.database.engine != kind:
        raise BackupRefused(
            f"snapshot {manifest.id} is a {manifest.database.engine} database; this deployment uses {kind}"
        )
    counts = await asyncio.to_thread(services.snapshots.content_counts)
    found = [f"{n} rows in {table}" for table, n in counts.items() if n]
    if await asyncio.to_thread(_any_object, services):
        found.append("objects in the blob store")
    async for _ in services.index.get_versions():
        found.append("documents in the search index")
        break
    if found:
        raise BackupRefused(
            "restore needs an empty deployment (a new database, bucket or blob directory, and index); "
            f"this one holds {', '.join(found)}"
        )


def _any_object(services: Services) -> bool:
    return next(iter(services.blobs.list_keys("")), None) is not None


def _restore_database(services: Services, target: BackupTarget, manifest: Manifest) -> None:
    db = manifest.database
    with _scratch(services) as scratch:
        local = scratch / "database"
        sha256, _ = _download(target.read(db.name), local)
        if sha256 != db.sha256:
            raise IntegrityError(f"{target.location(db.name)}: SHA-256 {sha256}, manifest says {db.sha256}")
        services.snapshots.restore(local)  # and up to this release's schema


def _restore_objects(
    services: Services, target: BackupTarget, manifest: Manifest, tick: Tick
) -> tuple[int, list[str], int]:
    """Put every version back, oldest first per key; returns (restored, not restored, remapped)."""
    new_ids: dict[tuple[str, str | None], str | None] = {}
    not_restored: list[str] = []
    with _scratch(services) as scratch:
        for entry in manifest.objects:
            try:
                new_ids[(entry.key, entry.version_id)] = _restore_one(services, target, entry, scratch)
            except ObjectLocked:
                # The stores are write-once: a key's later version (written outside the
                # archive) cannot be put back through them. It stays in the backup.
                not_restored.append(f"{entry_label(entry)}: a later version of a write-once key")
            tick()
    remapped = services.snapshots.remap_version_ids(new_ids)
    return len(new_ids), not_restored, remapped


def _restore_files(services: Services, target: BackupTarget, manifest: Manifest) -> None:
    """Put the data-directory files back; one already there with the same bytes is kept."""
    data_dir = services.settings.data_dir.resolve()
    for file in manifest.files:
        path = (data_dir / file.name).resolve()
        if not path.is_relative_to(data_dir):
            raise IntegrityError(f"manifest names a file outside the data directory: {file.name!r}")
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.restoring")
        sha256, size = _download(target.read(file.copy_name), partial)
        if (sha256, size) != (file.sha256, file.size):
            partial.unlink()
            raise IntegrityError(f"{target.location(file.copy_name)}: does not match the manifest")
        partial.replace(path)


def _restore_one(services: Services, target: BackupTarget, entry: ObjectEntry, scratch: Path) -> str | None:
    local = scratch / "object"
    sha256, size = _download(target.read(entry.copy_name), local)
    if sha256 != entry.sha256 or size != entry.size:
        raise IntegrityError(f"{target.location(entry.copy_name)}: does not match the manifest")
    with local.open("rb") as source:
        version_id = services.blobs.put(
            entry.key, source, size=size, sha256=sha256, media_type=entry.media_type
        )
    local.unlink()
    _restore_lock(services, entry, version_id)
    return version_id


def _restore_lock(services: Services, entry: ObjectEntry, version_id: str | None) -> None:
    """Set retention (when it has not expired yet) and legal hold as the manifest recorded."""
    if entry.retention_mode and entry.retain_until:
        until = datetime.fromisoformat(entry.retain_until)
        if until > services.clock():
            retention = Retention(RetentionMode(entry.retention_mode), until)
            services.blobs.set_retention(entry.key, version_id, retention)
    if entry.legal_hold:
        services.blobs.set_legal_hold(entry.key, version_id, True)


# -- helpers ---------------------------------------------------------------------------------


@contextmanager
def _scratch(services: Services) -> Iterator[Path]:
    """A private scratch directory in the data dir (dumps and copies can be large)."""
    services.settings.data_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=services.settings.data_dir, prefix=".backup-") as name:
        yield Path(name)


def _download(chunks: Iterator[bytes], path: Path) -> tuple[str, int]:
    """Write ``chunks`` to ``path``; returns (SHA-256, size)."""
    digest, size = hashlib.sha256(), 0
    with path.open("wb") as out:
        for chunk in chunks:
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
    return digest.hexdigest(), size


def _hash_file(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _write_bytes(target: BackupTarget, name: str, data: bytes) -> None:
    import io

    target.write(name, io.BytesIO(data), len(data))
