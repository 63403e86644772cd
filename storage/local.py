"""The embedded blob store: a directory on the local filesystem.

Layout under ``root``::

    data/<key>         the bytes, exactly as deposited, written once
    meta/<key>.json    sidecar: SHA-256, size, media type, retention, legal hold
    .lock              serialises sidecar updates across processes (flock)

Retention and legal hold are EMULATED: this adapter refuses to delete (or
loosen the retention of) a locked object, but anyone with write access to the
directory can still change or remove the files. It is not WORM storage;
deployments that need real immutability use the S3 adapter with Object Lock.
Tampering is still detected: every read re-hashes the bytes and compares them
with the SHA-256 recorded at deposit.

A local store keeps one version per key, whose id is always ``"1"``.
"""

from __future__ import annotations

import ctypes
import fcntl
import functools
import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO

from archive.domain.errors import NotFound, ObjectLocked, ServiceUnavailable
from archive.domain.ports import Retention, RetentionMode
from storage import _retention
from storage._hashing import HashingReader, verify_digest
from storage._keys import validate_key, validate_prefix

VERSION_ID = "1"
_CHUNK = 256 * 1024


@dataclass(frozen=True, slots=True)
class _Sidecar:
    sha256: str
    size: int
    media_type: str
    created: str
    retention: Retention | None = None
    legal_hold: bool = False

    def to_json(self) -> str:
        data: dict[str, Any] = {
            "sha256": self.sha256,
            "size": self.size,
            "media_type": self.media_type,
            "created": self.created,
            "legal_hold": self.legal_hold,
            "retention": None,
        }
        if self.retention is not None:
            data["retention"] = {
                "mode": self.retention.mode.value,
                "until": self.retention.until.isoformat(),
            }
        return json.dumps(data, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> _Sidecar:
        data = json.loads(text)
        raw = data.get("retention")
        retention = None
        if raw is not None:
            retention = Retention(RetentionMode(raw["mode"]), datetime.fromisoformat(raw["until"]))
        return cls(
            sha256=data["sha256"],
            size=int(data["size"]),
            media_type=data["media_type"],
            created=data["created"],
            retention=retention,
            legal_hold=bool(data["legal_hold"]),
        )

    def locked(self, now: datetime) -> bool:
        return self.legal_hold or _retention.is_active(self.retention, now)


class LocalBlobStore:
    """BlobStore on a local directory: atomic, write-once, verified on read.

    ``clock`` is what "now" means for retention; tests that travel in time pass
    theirs, so that emulated locks expire when the archive's clock says so.
    """

    def __init__(self, root: Path, *, clock: Callable[[], datetime] | None = None) -> None:
        self.root = root
        self._clock = clock or (lambda: datetime.now(UTC))

    def check_ready(self) -> None:
        """The root is a directory this process may write; see ``BlobStore.check_ready``."""
        if not self.root.is_dir():
            raise ServiceUnavailable(f"the blob directory {self.root} does not exist")
        if not os.access(self.root, os.W_OK | os.X_OK):
            raise ServiceUnavailable(f"the blob directory {self.root} is not writable")

    # -- writing ---------------------------------------------------------------

    def put(self, key: str, source: BinaryIO, *, size: int, sha256: str, media_type: str) -> str:
        """Store the bytes once under ``key``; see ``BlobStore.put``.

        Raises ObjectLocked when ``key`` already exists: the archive never
        rewrites bytes. Returns ``"1"``, the only version a local key has.
        """
        data_path, meta_path = self._paths(key)
        if meta_path.exists():
            raise ObjectLocked(f"{key}: already stored; objects are write-once")
        reader = HashingReader(source, size=size, sha256=sha256)
        data_path.parent.mkdir(parents=True, exist_ok=True)
        meta_path.parent.mkdir(parents=True, exist_ok=True)
        data_tmp = _write_temp(data_path.parent, reader)
        try:
            sidecar = _Sidecar(reader.sha256, size, media_type, datetime.now(UTC).isoformat())
            _claim(meta_path, sidecar.to_json(), key)
            os.replace(data_tmp, data_path)
            _fsync_dir(data_path.parent)
        finally:
            data_tmp.unlink(missing_ok=True)
        return VERSION_ID

    def delete_all_versions(self, key: str) -> tuple[str, ...]:
        """Delete the object and its sidecar, unless retention or a legal hold forbids it."""
        data_path, meta_path = self._paths(key)
        with self._locked():
            sidecar = self._read_sidecar_or_none(meta_path)
            if sidecar is not None and sidecar.locked(self._clock()):
                raise ObjectLocked(f"{key}: under retention or legal hold")
            existed = data_path.exists()
            data_path.unlink(missing_ok=True)
            meta_path.unlink(missing_ok=True)
        return (VERSION_ID,) if existed else ()

    # -- reading ---------------------------------------------------------------

    def iter_bytes(self, key: str, *, version_id: str | None = None) -> Iterator[bytes]:
        """Check the object now (NotFound at once), then stream it in chunks.

        The SHA-256 is checked after the last chunk: IntegrityError is raised
        from the iterator, so a consumer must read to the end to be told.
        """
        data_path, meta_path = self._paths(key)
        self._check_version(key, version_id)
        expected = self._read_sidecar(meta_path, key).sha256
        if not data_path.is_file():
            raise NotFound(f"{key}: no such object")
        # Opened lazily, so an iterator that is never started holds no file.
        return _stream_verified(key, data_path, expected)

    def iter_range(
        self, key: str, *, start: int, length: int, version_id: str | None = None
    ) -> Iterator[bytes]:
        """Check the object now (NotFound at once), then stream the range from a seek."""
        data_path, meta_path = self._paths(key)
        self._check_version(key, version_id)
        self._read_sidecar(meta_path, key)
        if not data_path.is_file():
            raise NotFound(f"{key}: no such object")
        return _stream_range(key, data_path, start, length)

    def exists(self, key: str) -> bool:
        data_path, meta_path = self._paths(key)
        return data_path.is_file() and meta_path.is_file()

    def close(self) -> None:
        """Nothing to release: every call opens and closes its own files."""

    def version_ids(self, key: str) -> tuple[str, ...]:
        """``("1",)`` when the key exists, else ``()``."""
        return (VERSION_ID,) if self.exists(key) else ()

    def list_keys(self, prefix: str = "") -> Iterator[str]:
        """Keys starting with ``prefix`` in ascending order (as S3 lists them), walking
        only the directory the prefix names, one directory listing held at a time."""
        validate_prefix(prefix)
        data_root = self.root / "data"
        start = data_root / prefix.rpartition("/")[0]
        base = start.relative_to(data_root).as_posix()
        for key in _walk_sorted(start, "" if base == "." else f"{base}/"):
            if key.startswith(prefix):
                yield key

    def presigned_get_url(
        self,
        key: str,
        *,
        version_id: str | None,
        expires: timedelta,
        download_name: str,
        media_type: str,
    ) -> str | None:
        """None: the API serves local blobs through its own signed-token route."""
        return None

    # -- retention and legal hold ------------------------------------------------

    def set_retention(self, key: str, version_id: str | None, retention: Retention) -> None:
        """Record ``retention``; ObjectLocked if it would shorten or loosen an active one."""
        new = _retention.normalize(retention)

        def change(sidecar: _Sidecar) -> _Sidecar:
            if _retention.weakens(sidecar.retention, new, self._clock()):
                raise ObjectLocked(f"{key}: an active retention cannot be shortened or loosened")
            return replace(sidecar, retention=new)

        self._update(key, version_id, change)

    def set_retentions(self, changes: Sequence[tuple[str, str | None, Retention]]) -> None:
        """``set_retention`` for each, checked all before any is written, made durable by
        two filesystem syncs for the whole batch instead of two fsyncs a sidecar: every new
        sidecar reaches the disk under a temp name, then the renames do. A crash at any
        point leaves each sidecar whole, old or new, as one ``set_retention`` would."""
        now = self._clock()
        with self._locked():
            planned: list[tuple[Path, str]] = []
            for key, version_id, retention in changes:
                new = _retention.normalize(retention)
                self._check_version(key, version_id)
                meta_path = self._paths(key)[1]
                sidecar = self._read_sidecar(meta_path, key)
                if _retention.weakens(sidecar.retention, new, now):
                    raise ObjectLocked(f"{key}: an active retention cannot be shortened or loosened")
                planned.append((meta_path, replace(sidecar, retention=new).to_json()))
            temps = [(_write_text_temp(path.parent, text, durable=False), path) for path, text in planned]
            try:
                _sync_filesystem(self.root)
                for temp, path in temps:
                    os.replace(temp, path)
            finally:
                for temp, _ in temps:
                    temp.unlink(missing_ok=True)
            _sync_filesystem(self.root)

    def get_retention(self, key: str, version_id: str | None) -> Retention | None:
        self._check_version(key, version_id)
        return self._read_sidecar(self._paths(key)[1], key).retention

    def set_legal_hold(self, key: str, version_id: str | None, on: bool) -> None:
        self._update(key, version_id, lambda sidecar: replace(sidecar, legal_hold=on))

    def get_legal_hold(self, key: str, version_id: str | None) -> bool:
        self._check_version(key, version_id)
        return self._read_sidecar(self._paths(key)[1], key).legal_hold

    # -- internals ---------------------------------------------------------------

    def _paths(self, key: str) -> tuple[Path, Path]:
        validate_key(key)
        return self.root / "data" / key, self.root / "meta" / f"{key}.json"

    def _check_version(self, key: str, version_id: str | None) -> None:
        if version_id not in (None, VERSION_ID):
            raise NotFound(f"{key}: no version {version_id!r}")

    def _read_sidecar_or_none(self, meta_path: Path) -> _Sidecar | None:
        try:
            return _Sidecar.from_json(meta_path.read_text(encoding="utf-8"))
        except (FileNotFoundError, NotADirectoryError):
            return None

    def _read_sidecar(self, meta_path: Path, key: str) -> _Sidecar:
        sidecar = self._read_sidecar_or_none(meta_path)
        if sidecar is None:
            raise NotFound(f"{key}: no such object")
        return sidecar

    def _update(self, key: str, version_id: str | None, change: Callable[[_Sidecar], _Sidecar]) -> None:
        _, meta_path = self._paths(key)
        self._check_version(key, version_id)
        with self._locked():
            sidecar = change(self._read_sidecar(meta_path, key))
            _replace_file(meta_path, sidecar.to_json())

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """Exclusive across processes: sidecar updates read, change and rewrite."""
        self.root.mkdir(parents=True, exist_ok=True)
        with (self.root / ".lock").open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)


def _write_temp(directory: Path, reader: HashingReader) -> Path:
    """Copy the verified stream to a hidden temp file in ``directory``, fsynced.

    The temp file lives next to its final name so the rename is atomic, and is
    removed when the stream turns out to be bad.
    """
    fd, name = tempfile.mkstemp(dir=directory, prefix=".put-")
    path = Path(name)
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := reader.read(_CHUNK):
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        path.chmod(0o444)  # a hint to operators; the sidecar hash is the real check
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path


def _claim(meta_path: Path, text: str, key: str) -> None:
    """Create the sidecar, failing if it exists: the write-once guarantee.

    ``os.link`` of a fully written temp file is atomic and refuses an existing
    target, so two concurrent puts of one key cannot both win.
    """
    tmp = _write_text_temp(meta_path.parent, text)
    try:
        os.link(tmp, meta_path)
    except FileExistsError:
        raise ObjectLocked(f"{key}: already stored; objects are write-once") from None
    finally:
        tmp.unlink(missing_ok=True)
    _fsync_dir(meta_path.parent)


def _replace_file(path: Path, text: str) -> None:
    tmp = _write_text_temp(path.parent, text)
    try:
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    _fsync_dir(path.parent)


def _write_text_temp(directory: Path, text: str, *, durable: bool = True) -> Path:
    """A temp file holding ``text``; fsynced unless the caller syncs a whole batch itself."""
    fd, name = tempfile.mkstemp(dir=directory, prefix=".meta-")
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
        out.flush()
        if durable:
            os.fsync(out.fileno())
    return Path(name)


def _sync_filesystem(root: Path) -> None:
    """Everything written to the filesystem holding ``root`` reaches the disk: Linux's
    syncfs(2), one call for a batch of files and directories; os.sync where it is missing."""
    syncfs = getattr(_libc(), "syncfs", None)
    if syncfs is None:
        os.sync()
        return
    fd = os.open(root, os.O_RDONLY)
    try:
        if syncfs(fd) != 0:
            raise OSError(ctypes.get_errno(), f"syncfs of {root} failed")
    finally:
        os.close(fd)


@functools.cache
def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def _fsync_dir(directory: Path) -> None:
    """Make a rename durable: the directory entry must reach the disk too."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _stream_range(key: str, path: Path, start: int, length: int) -> Iterator[bytes]:
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        raise NotFound(f"{key}: no such object") from None
    with handle:
        handle.seek(start)
        left = length
        while left > 0 and (chunk := handle.read(min(_CHUNK, left))):
            left -= len(chunk)
            yield chunk


def _stream_verified(key: str, path: Path, expected: str) -> Iterator[bytes]:
    hasher = hashlib.sha256()
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        raise NotFound(f"{key}: no such object") from None
    with handle:
        while chunk := handle.read(_CHUNK):
            hasher.update(chunk)
            yield chunk
    verify_digest(key, hasher, expected)


def _walk_sorted(directory: Path, base: str) -> Iterator[str]:
    """Keys under ``directory`` in the order of their full names. A subdirectory sorts
    as its name plus ``/``: every key inside it starts with that, so ``a-b`` comes
    before ``a/x`` and ``a0`` after it, exactly as the flat key strings compare."""
    try:
        entries = [(e.name + "/" if e.is_dir() else e.name, e) for e in os.scandir(directory)]
    except FileNotFoundError:
        return
    for name, entry in sorted(entries, key=lambda pair: pair[0]):
        if name.startswith("."):
            continue  # a temp file of a put in progress, or a hidden directory
        if name.endswith("/"):
            yield from _walk_sorted(Path(entry.path), base + name)
        else:
            yield base + name
