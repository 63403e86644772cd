"""The production blob store: an S3-compatible server with versioning and Object Lock.

Retention and legal hold are enforced by the server (Object Lock), per version.
On top of S3 this adapter adds what the archive needs:

- write-once keys: ``put`` refuses a key that has any version, so a deposit
  never silently becomes a second version of another record;
- SHA-256 checked while uploading (a bad stream never sends its last part)
  and again at the end of every read, against the ``x-amz-meta-sha256``
  recorded at upload;
- ``delete_all_versions`` deletes every version and delete marker by id,
  because a plain DELETE on a versioned bucket only hides the bytes.

``version_ids`` lists delete markers too: they are versions the purge must remove.
"""

from __future__ import annotations

import hashlib
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO, cast

import certifi
import urllib3
from minio import Minio
from minio.error import InvalidResponseError, S3Error, ServerError
from minio.retention import Retention as MinioRetention

from archive.domain.errors import (
    IntegrityError,
    NotFound,
    ObjectLocked,
    ServiceUnavailable,
    StorageUnavailable,
)
from archive.domain.ports import Retention, RetentionMode
from storage import _retention
from storage._disposition import content_disposition
from storage._hashing import HashingReader, verify_digest
from storage._keys import validate_key, validate_prefix

_SHA256_META = "x-amz-meta-sha256"
_CHUNK = 256 * 1024
_S3_NS = "{*}"  # any namespace: versitygw omits it on some replies
_MISSING = {"NoSuchKey", "NoSuchVersion", "NoSuchObject"}
# With a version id: a malformed id (400; minio names a bodiless HEAD reply
# "BadRequest") or a delete marker's id (405) means there are no such bytes.
_NO_SUCH_VERSION = {"InvalidArgument", "BadRequest", "MethodNotAllowed"}
_NO_LOCK_CONFIG = {"NoSuchObjectLockConfiguration", "ObjectLockConfigurationNotFoundError"}
_LOCK_REFUSALS = {"AccessDenied", "InvalidRequest"}
# Codes a healthy server answers while overloaded or restarting: an outage, retried.
_TRANSIENT = {"SlowDown", "ServiceUnavailable", "InternalError", "RequestTimeout"}


@dataclass(frozen=True, slots=True)
class ObjectVersion:
    """One entry of a version listing: a stored version or a delete marker."""

    key: str
    version_id: str
    delete_marker: bool


class S3BlobStore:
    """BlobStore on an S3 bucket with Object Lock, through the ``minio`` client."""

    def __init__(
        self,
        endpoint: str,
        access_key: str,
        secret_key: str,
        bucket: str,
        *,
        region: str = "us-east-1",
        secure: bool = True,
        ca_file: Path | None = None,
        retention_mode: RetentionMode = RetentionMode.GOVERNANCE,
    ) -> None:
        """Build the client; no request is made until the first call.

        Args:
            endpoint: ``host:port`` of the S3 server.
            access_key: S3 access key.
            secret_key: S3 secret key.
            bucket: the bucket holding the records; see ``ensure_bucket``.
            region: signing region. Given explicitly so presigning makes no request.
            secure: use TLS.
            ca_file: PEM bundle to trust instead of the system roots
                (a self-signed test or on-premises server).
            retention_mode: the mode callers seal records with; this adapter
                sets no default retention itself.
        """
        self.bucket = bucket
        self.retention_mode = retention_mode
        # Keys whose upload the server dropped mid-way (see ``put``), and their guard:
        # puts run in several threads.
        self._abandoned: set[str] = set()
        self._abandoned_lock = threading.Lock()
        self._http = _pool(ca_file)
        self._client = Minio(
            endpoint,
            access_key=access_key,
            secret_key=secret_key,
            secure=secure,
            region=region,
            http_client=self._http,
        )

    def close(self) -> None:
        """Close the pooled connections now, rather than leave their sockets to the collector."""
        self._http.clear()

    def ensure_bucket(self) -> None:
        """Create the bucket with Object Lock (which turns versioning on), or check it.

        Raises ServiceUnavailable when an existing bucket lacks versioning or
        Object Lock: without them retention and holds would silently not apply.
        """
        with _translated(self.bucket):
            make_bucket_once(self._client, self.bucket, object_lock=True)
        self.check_ready()  # refuses a bucket someone else made without Object Lock

    def check_ready(self) -> None:
        """The bucket exists with versioning and Object Lock; see ``BlobStore.check_ready``."""
        with _translated(self.bucket):
            if not self._client.bucket_exists(self.bucket):
                raise ServiceUnavailable(f"bucket {self.bucket} does not exist")
            status = self._client.get_bucket_versioning(self.bucket).status
            lock = self._raw_get(query={"object-lock": ""})
        if status != "Enabled":
            raise ServiceUnavailable(f"bucket {self.bucket}: versioning is {status}, not Enabled")
        if lock.findtext(f"{_S3_NS}ObjectLockEnabled") != "Enabled":
            raise ServiceUnavailable(f"bucket {self.bucket}: Object Lock is not enabled")

    # -- writing -----------------------------------------------------------------

    def put(self, key: str, source: BinaryIO, *, size: int, sha256: str, media_type: str) -> str:
        """Upload once under ``key``; see ``BlobStore.put``. Returns the version id.

        Raises ObjectLocked when ``key`` already has a version (write-once).
        Over TLS minio sends a Content-MD5 per request, which Object Lock
        buckets require; the SHA-256 travels as user metadata for later reads.
        """
        validate_key(key)
        self._abort_abandoned_uploads()
        if self.version_ids(key):
            raise ObjectLocked(f"{key}: already stored; objects are write-once")
        reader = HashingReader(source, size=size, sha256=sha256)
        if size == 0:
            reader.finish()  # minio never calls read() for an empty body
        with self._abandoned_on_outage(key), _translated(key):
            result = self._client.put_object(
                self.bucket,
                key,
                cast(BinaryIO, reader),
                size,
                content_type=media_type,
                metadata={_SHA256_META: reader.sha256},
                num_parallel_uploads=1,  # parts are read in order, through the hash
            )
        version_id = result.version_id
        if version_id is None:
            raise ServiceUnavailable(f"bucket {self.bucket} returned no version id; is versioning on?")
        if not reader.complete:  # defensive: the reader raises before the last part
            self._delete_version(key, version_id)
            raise IntegrityError(f"{key}: upload ended before the stream was verified")
        return version_id

    def delete_all_versions(self, key: str) -> tuple[str, ...]:
        """Delete every version and delete marker of ``key`` by id, newest first.

        Checks holds and retention first, so a locked object is refused before
        anything is deleted; a refusal by the server midway stops the purge.
        """
        versions = [v for v in self.iter_versions(key) if v.key == key]
        for version in versions:
            if not version.delete_marker and self._is_locked(key, version.version_id):
                raise ObjectLocked(f"{key}: version {version.version_id} is under retention or hold")
        deleted: list[str] = []
        for version in versions:
            self._delete_version(key, version.version_id)
            deleted.append(version.version_id)
        return tuple(deleted)

    # -- reading -----------------------------------------------------------------

    def iter_bytes(self, key: str, *, version_id: str | None = None) -> Iterator[bytes]:
        """Check the object now (NotFound at once), then stream it.

        The SHA-256 is compared after the last chunk: IntegrityError is raised
        from the iterator, so a consumer must read to the end to be told.
        """
        validate_key(key)
        with _translated(key, version_id):
            stat = self._client.stat_object(self.bucket, key, version_id=version_id)
        expected = stat.metadata.get(_SHA256_META) if stat.metadata else None
        # Pin the version we checked, so a concurrent change cannot swap the bytes.
        return self._stream(key, stat.version_id or version_id, expected)

    def iter_range(
        self, key: str, *, start: int, length: int, version_id: str | None = None
    ) -> Iterator[bytes]:
        """Check the object now (NotFound at once), then stream a ranged GET of it."""
        validate_key(key)
        with _translated(key, version_id):
            stat = self._client.stat_object(self.bucket, key, version_id=version_id)
        return self._stream_range(key, stat.version_id or version_id, start, length)

    def exists(self, key: str) -> bool:
        """Whether the latest version of ``key`` is readable (not a delete marker)."""
        validate_key(key)
        try:
            with _translated(key):
                self._client.stat_object(self.bucket, key)
        except NotFound:
            return False
        return True

    def version_ids(self, key: str) -> tuple[str, ...]:
        """Every version id of ``key``, delete markers included, newest first."""
        validate_key(key)
        return tuple(v.version_id for v in self.iter_versions(key) if v.key == key)

    def iter_versions(self, prefix: str = "") -> Iterator[ObjectVersion]:
        """Every version and delete marker under ``prefix``, by key, newest first.

        Parsed here rather than by minio, whose date parser rejects the
        nanosecond timestamps some servers (versitygw) give delete markers.
        """
        validate_prefix(prefix)
        query: dict[str, str | list[str] | tuple[str]] = {
            "versions": "",
            "prefix": prefix,
            "max-keys": "1000",
        }
        while True:
            page = self._raw_get(query=query)
            yield from _parse_versions(page)
            if page.findtext(f"{_S3_NS}IsTruncated") != "true":
                return
            query["key-marker"] = page.findtext(f"{_S3_NS}NextKeyMarker") or ""
            query["version-id-marker"] = page.findtext(f"{_S3_NS}NextVersionIdMarker") or ""

    def list_keys(self, prefix: str = "") -> Iterator[str]:
        """Keys under ``prefix`` whose latest version is readable."""
        validate_prefix(prefix)
        with _translated(prefix):
            for obj in self._client.list_objects(self.bucket, prefix=prefix, recursive=True):
                if obj.object_name and not obj.is_dir:
                    yield obj.object_name

    def presigned_get_url(
        self,
        key: str,
        *,
        version_id: str | None,
        expires: timedelta,
        download_name: str,
        media_type: str,
    ) -> str | None:
        """A presigned GET that makes the server answer with our download headers.

        Signed locally: no request is made, and the object is not checked.
        """
        validate_key(key)
        headers: dict[str, str | list[str] | tuple[str]] = {
            "response-content-disposition": content_disposition(download_name),
            "response-content-type": media_type,
        }
        return self._client.get_presigned_url(
            "GET", self.bucket, key, expires=expires, response_headers=headers, version_id=version_id
        )

    # -- retention and legal hold ------------------------------------------------------

    def set_retention(self, key: str, version_id: str | None, retention: Retention) -> None:
        """Set Object Lock retention; ObjectLocked when the server refuses to loosen it."""
        validate_key(key)
        new = _retention.normalize(retention)
        config = MinioRetention(new.mode.value, new.until)
        with _translated(key, version_id, locking=True):
            self._client.set_object_retention(self.bucket, key, config, version_id=version_id)

    def set_retentions(self, changes: Sequence[tuple[str, str | None, Retention]]) -> None:
        """One request an object (S3 has no batch retention call); each is durable once answered."""
        for key, version_id, retention in changes:
            self.set_retention(key, version_id, retention)

    def get_retention(self, key: str, version_id: str | None) -> Retention | None:
        validate_key(key)
        try:
            with _translated(key, version_id):
                config = self._client.get_object_retention(self.bucket, key, version_id=version_id)
        except _NoLockConfig:
            return None
        if config is None or config.mode is None or config.retain_until_date is None:
            return None
        return Retention(RetentionMode(config.mode), config.retain_until_date)

    def set_legal_hold(self, key: str, version_id: str | None, on: bool) -> None:
        validate_key(key)
        with _translated(key, version_id, locking=True):
            if on:
                self._client.enable_object_legal_hold(self.bucket, key, version_id=version_id)
            else:
                self._client.disable_object_legal_hold(self.bucket, key, version_id=version_id)

    def get_legal_hold(self, key: str, version_id: str | None) -> bool:
        validate_key(key)
        try:
            with _translated(key, version_id):
                return bool(
                    self._client.is_object_legal_hold_enabled(self.bucket, key, version_id=version_id)
                )
        except _NoLockConfig:
            return False

    # -- internals ---------------------------------------------------------------------

    def _stream(self, key: str, version_id: str | None, expected: str | None) -> Iterator[bytes]:
        hasher = hashlib.sha256()
        with _translated(key, version_id):
            response = self._client.get_object(self.bucket, key, version_id=version_id)
            try:
                for chunk in response.stream(_CHUNK):
                    hasher.update(chunk)
                    yield chunk
            finally:
                response.close()
                response.release_conn()
        verify_digest(key, hasher, expected)

    def _stream_range(self, key: str, version_id: str | None, start: int, length: int) -> Iterator[bytes]:
        if length <= 0:
            return  # a GET with length 0 would mean "to the end" to minio
        with _translated(key, version_id):
            response = self._client.get_object(
                self.bucket, key, version_id=version_id, offset=start, length=length
            )
            try:
                yield from response.stream(_CHUNK)
            finally:
                response.close()
                response.release_conn()

    def _is_locked(self, key: str, version_id: str) -> bool:
        if self.get_legal_hold(key, version_id):
            return True
        return _retention.is_active(self.get_retention(key, version_id))

    def _delete_version(self, key: str, version_id: str) -> None:
        with _translated(key, version_id, locking=True):
            self._client.remove_object(self.bucket, key, version_id=version_id)

    @contextmanager
    def _abandoned_on_outage(self, key: str) -> Iterator[None]:
        """Remember ``key`` when the server goes away mid-upload: minio aborts a failed
        multipart upload, but that abort cannot reach a dead server either, so the
        upload would stay open there, holding its parts. The next ``put`` aborts it."""
        try:
            yield
        except StorageUnavailable:
            with self._abandoned_lock:
                self._abandoned.add(key)
            raise

    def _abort_abandoned_uploads(self) -> None:
        with self._abandoned_lock:
            keys = sorted(self._abandoned)
        for key in keys:
            try:
                for upload_id in self.open_uploads(key):
                    with _translated(key):
                        self._client._abort_multipart_upload(self.bucket, key, upload_id)
            except StorageUnavailable:
                return  # still down; the caller's own request will say so
            with self._abandoned_lock:
                self._abandoned.discard(key)

    def open_uploads(self, key: str) -> list[str]:
        """The ids of the multipart uploads started and neither completed nor aborted under ``key``."""
        page = self._raw_get(query={"uploads": "", "prefix": key})
        return [
            upload.findtext(f"{_S3_NS}UploadId") or ""
            for upload in page.iterfind(f"{_S3_NS}Upload")
            if upload.findtext(f"{_S3_NS}Key") == key
        ]

    def _raw_get(self, *, query: dict[str, str | list[str] | tuple[str]]) -> ET.Element:
        """A bucket-level GET whose XML we parse ourselves (see ``iter_versions``)."""
        with _translated(self.bucket):
            # minio has no public call for a raw signed request; _execute is
            # the one its own list/get methods use, stable across 7.x.
            response = self._client._execute("GET", self.bucket, query_params=query)
        return ET.fromstring(response.data)  # noqa: S314 - our own server's reply


class _NoLockConfig(Exception):
    """The version has no retention or legal hold set (an answer, not an error)."""


def _pool(ca_file: Path | None) -> urllib3.PoolManager:
    """Verified TLS (against ``ca_file`` when given), short connect timeout, few retries.

    A dead server must fail fast as ServiceUnavailable, not hang a worker.
    """
    retries = urllib3.Retry(
        total=3, backoff_factor=0.2, status_forcelist=[500, 502, 503, 504], allowed_methods=None
    )
    return urllib3.PoolManager(
        timeout=urllib3.Timeout(connect=5.0, read=60.0),
        maxsize=10,
        cert_reqs="CERT_REQUIRED",
        ca_certs=str(ca_file) if ca_file else certifi.where(),
        retries=retries,
    )


def _parse_versions(page: ET.Element) -> Iterator[ObjectVersion]:
    for element in page:
        tag = element.tag.rpartition("}")[2]
        marker = tag == "DeleteMarker"
        if marker or tag == "Version":
            key = element.findtext(f"{_S3_NS}Key") or ""
            version_id = element.findtext(f"{_S3_NS}VersionId") or ""
            yield ObjectVersion(key=key, version_id=version_id, delete_marker=marker)


@contextmanager
def _translated(subject: str, version_id: str | None = None, *, locking: bool = False) -> Iterator[None]:
    """Turn minio and urllib3 failures into domain errors.

    ``locking``: the call deletes or changes a lock, so an AccessDenied or
    InvalidRequest is Object Lock refusing it.
    """
    try:
        yield
    except S3Error as exc:
        raise _from_s3_error(exc, subject, version_id, locking) from exc
    # The driver's text names hosts and ports; it stays in the chained cause, for the log.
    except (ServerError, InvalidResponseError) as exc:
        raise StorageUnavailable("the blob store failed; try again shortly") from exc
    except urllib3.exceptions.HTTPError as exc:
        raise StorageUnavailable("the blob store is not reachable; try again shortly") from exc


def make_bucket_once(client: Minio, bucket: str, *, object_lock: bool = False) -> None:
    """Create ``bucket`` unless it exists, tolerating a creator racing us.

    Several processes start at once (a worker pool, the compose services); the
    ones that lose the race between the check and the create find the bucket
    made by another, which S3 reports as BucketAlreadyOwnedByYou: that is success.
    """
    if client.bucket_exists(bucket):
        return
    try:
        client.make_bucket(bucket, object_lock=object_lock)
    except S3Error as exc:
        if exc.code != "BucketAlreadyOwnedByYou":
            raise


def _from_s3_error(exc: S3Error, subject: str, version_id: str | None, locking: bool) -> Exception:
    code = exc.code or ""
    if code in _MISSING:
        return NotFound(f"{subject}: no such object")
    if version_id is not None and code in _NO_SUCH_VERSION:
        return NotFound(f"{subject}: no version {version_id!r}")
    if code in _NO_LOCK_CONFIG:
        return _NoLockConfig(code)
    if locking and code in _LOCK_REFUSALS:
        return ObjectLocked(f"{subject}: refused by Object Lock ({exc.message})")
    if code == "NoSuchBucket":
        return ServiceUnavailable(f"bucket missing: {exc.message}")
    if code in _TRANSIENT:
        return StorageUnavailable(f"the blob store is busy or failing ({code}); try again shortly")
    return ServiceUnavailable(f"S3 error {code} on {subject}: {exc.message}")
