"""Backup targets: a second, independent place for backups (``archive backup --to``).

Both implement ``archive.domain.backup.BackupTarget``:

- ``DirectoryTarget``: a directory (another disk, a mounted NAS). Each file is
  written to a temp name, fsynced, then renamed, so a crash never leaves a
  half-written copy under its final name.
- ``S3Target``: a bucket (and prefix) on another S3-compatible server, through
  the ``minio`` client. A PUT is atomic on S3.

Neither deletes anything: pruning old snapshots is the operator's decision.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

import urllib3
from minio import Minio
from minio.error import S3Error

from archive.domain.errors import NotFound, ServiceUnavailable
from storage.s3 import _pool, make_bucket_once

_CHUNK = 256 * 1024
_PART = 16 * 1024 * 1024


class DirectoryTarget:
    """Backups in a local directory."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def location(self, name: str = "") -> str:
        return str(self.root / name) if name else str(self.root)

    def write(self, name: str, source: BinaryIO, size: int) -> None:
        path = self._path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".part-")
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := source.read(_CHUNK):
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, path)
        finally:
            Path(tmp).unlink(missing_ok=True)

    def read(self, name: str) -> Iterator[bytes]:
        path = self._path(name)
        if not path.is_file():
            raise NotFound(f"{self.location(name)}: not in the backup")
        return _stream_file(path)

    def exists(self, name: str) -> bool:
        return self._path(name).is_file()

    def names(self, prefix: str) -> Iterator[str]:
        if not self.root.is_dir():
            return
        for directory, dirnames, filenames in os.walk(self.root):
            dirnames.sort()
            for leaf in sorted(filenames):
                if leaf.startswith("."):
                    continue  # a write in progress
                name = (Path(directory) / leaf).relative_to(self.root).as_posix()
                if name.startswith(prefix):
                    yield name

    def _path(self, name: str) -> Path:
        path = (self.root / name).resolve()
        if not path.is_relative_to(self.root) or path == self.root:
            raise ValueError(f"backup name outside the target: {name!r}")
        return path


def _stream_file(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            yield chunk


class S3Target:
    """Backups in ``bucket`` under ``prefix`` on an S3-compatible server."""

    def __init__(
        self,
        endpoint: str,
        access_key: str,
        secret_key: str,
        bucket: str,
        prefix: str = "",
        *,
        region: str = "us-east-1",
        secure: bool = True,
        ca_file: Path | None = None,
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self._client = Minio(
            endpoint,
            access_key=access_key,
            secret_key=secret_key,
            secure=secure,
            region=region,
            http_client=_pool(ca_file),
        )

    def ensure_bucket(self) -> None:
        """Create the bucket when it does not exist yet."""
        with _translated(self.bucket):
            make_bucket_once(self._client, self.bucket)

    def location(self, name: str = "") -> str:
        return f"s3://{self.bucket}/{self.prefix}{name}"

    def write(self, name: str, source: BinaryIO, size: int) -> None:
        with _translated(name):
            self._client.put_object(self.bucket, self.prefix + name, source, size, part_size=_PART)

    def read(self, name: str) -> Iterator[bytes]:
        with _translated(name):
            self._client.stat_object(self.bucket, self.prefix + name)
        return self._stream(name)

    def exists(self, name: str) -> bool:
        try:
            with _translated(name):
                self._client.stat_object(self.bucket, self.prefix + name)
        except NotFound:
            return False
        return True

    def names(self, prefix: str) -> Iterator[str]:
        with _translated(prefix):
            listing = self._client.list_objects(self.bucket, prefix=self.prefix + prefix, recursive=True)
            for obj in listing:
                if obj.object_name and not obj.is_dir:
                    yield obj.object_name[len(self.prefix) :]

    def _stream(self, name: str) -> Iterator[bytes]:
        with _translated(name):
            response = self._client.get_object(self.bucket, self.prefix + name)
            try:
                yield from response.stream(_CHUNK)
            finally:
                response.close()
                response.release_conn()


@contextmanager
def _translated(subject: str) -> Iterator[None]:
    """Turn minio and urllib3 failures into domain errors."""
    try:
        yield
    except S3Error as exc:
        if exc.code in ("NoSuchKey", "NoSuchObject"):
            raise NotFound(f"{subject}: not in the backup") from exc
        raise ServiceUnavailable(f"backup target: S3 error {exc.code} on {subject}: {exc.message}") from exc
    except urllib3.exceptions.HTTPError as exc:
        raise ServiceUnavailable(f"backup target unreachable ({subject}): {exc}") from exc
