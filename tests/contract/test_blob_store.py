"""The BlobStore contract: every adapter must pass every test here.

Tests take the parametrised ``store`` fixture (local directory, and S3 when
ARCHIVE_TEST_S3_ENDPOINT names a server). A few tests are adapter-specific by
nature (presigned URLs, what a plain S3 DELETE does, bytes changed on disk);
they say so in their name.
"""

from __future__ import annotations

import hashlib
import io
import os
import ssl
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from archive.domain.errors import IntegrityError, NotFound, ObjectLocked, ServiceUnavailable
from archive.domain.ports import BlobStore, Retention, RetentionMode
from archive.samples import render_pdf
from storage import LocalBlobStore, S3BlobStore, content_disposition
from tests.contract.blob_fixtures import S3Server, new_key, s3_server, s3_store, store

__all__ = ["s3_server", "s3_store", "store"]  # fixtures, re-exported for pytest

BIG = 6 * 1024 * 1024 + 17  # above minio's 5 MiB part size: a multipart upload on S3
VIETNAMESE_NAME = "Quyết định 123/QĐ-UBND về chữ ký số.pdf"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def put(store: BlobStore, key: str, data: bytes, media_type: str = "application/pdf") -> str | None:
    return store.put(key, io.BytesIO(data), size=len(data), sha256=sha(data), media_type=media_type)


def read(store: BlobStore, key: str, version_id: str | None = None) -> bytes:
    return b"".join(store.iter_bytes(key, version_id=version_id))


def in_a_day() -> datetime:
    return datetime.now(UTC) + timedelta(days=1, microseconds=123)


def assert_gone(store: BlobStore, key: str) -> None:
    assert not store.exists(key)
    assert store.version_ids(key) == ()
    assert key not in set(store.list_keys(key.rpartition("/")[0] + "/"))
    with pytest.raises(NotFound):
        store.iter_bytes(key)


# -- writing and reading ------------------------------------------------------


@pytest.mark.parametrize("size", [1, 1000, BIG])
def test_round_trip_is_byte_identical(store: BlobStore, size: int) -> None:
    key, data = new_key(), os.urandom(size)
    version_id = put(store, key, data)
    assert read(store, key) == data
    assert store.version_ids(key) == (version_id,)
    assert read(store, key, version_id) == data


def test_round_trip_of_a_signed_style_pdf(store: BlobStore) -> None:
    key, data = new_key(), render_pdf()
    put(store, key, data)
    assert read(store, key) == data


@pytest.mark.parametrize(("start", "length"), [(0, 1), (17, 1000), (BIG - 5, 5), (262_140, 300_000)])
def test_a_range_streams_exactly_those_bytes(store: BlobStore, start: int, length: int) -> None:
    key, data = new_key(), os.urandom(BIG)
    version_id = put(store, key, data)
    chunks = list(store.iter_range(key, start=start, length=length, version_id=version_id))
    assert b"".join(chunks) == data[start : start + length]
    assert max(len(chunk) for chunk in chunks) <= 256 * 1024  # streamed, never the whole object


def test_a_range_of_a_missing_object_is_not_found_at_once(store: BlobStore) -> None:
    with pytest.raises(NotFound):
        store.iter_range(new_key(), start=0, length=1)


def test_empty_object_round_trips(store: BlobStore) -> None:
    key = new_key()
    put(store, key, b"")
    assert store.exists(key)
    assert read(store, key) == b""


@pytest.mark.parametrize("size", [1000, BIG])
def test_sha_mismatch_is_refused_and_leaves_nothing(store: BlobStore, size: int) -> None:
    key, data = new_key(), os.urandom(size)
    with pytest.raises(IntegrityError, match="SHA-256 mismatch"):
        store.put(key, io.BytesIO(data), size=size, sha256=sha(b"other"), media_type="x/y")
    assert_gone(store, key)


def test_short_stream_is_refused_and_leaves_nothing(store: BlobStore) -> None:
    key, data = new_key(), os.urandom(1000)
    with pytest.raises(IntegrityError, match="short stream"):
        store.put(key, io.BytesIO(data[:999]), size=1000, sha256=sha(data), media_type="x/y")
    assert_gone(store, key)


def test_longer_stream_is_refused_and_leaves_nothing(store: BlobStore) -> None:
    key, data = new_key(), os.urandom(1000)
    with pytest.raises(IntegrityError, match="longer"):
        store.put(key, io.BytesIO(data + b"!"), size=1000, sha256=sha(data), media_type="x/y")
    assert_gone(store, key)


def test_exists_and_list_keys(store: BlobStore) -> None:
    prefix = new_key() + "/"
    keys = {f"{prefix}a", f"{prefix}b.pdf", f"{prefix}sub/c"}
    for key in keys:
        put(store, key, key.encode())
    outside = new_key()
    put(store, outside, b"outside")
    assert set(store.list_keys(prefix)) == keys
    assert set(store.list_keys(prefix + "su")) == {f"{prefix}sub/c"}
    assert all(store.exists(key) for key in keys)
    assert not store.exists(prefix + "missing")
    assert outside in set(store.list_keys("records/"))


def test_list_keys_comes_in_ascending_order_of_the_whole_key(store: BlobStore) -> None:
    # Reconcile walks this listing side by side with the database's sorted keys: a
    # directory walk that lists a folder's files before its subfolders would put
    # "a/x" after "a0" and make a referenced object look unreferenced.
    prefix = new_key() + "/"
    names = ["a0", "a-b", "a/x", "a.c", "b", "a/y/z", "A", "9", "a_b", "a/x0"]  # no "a": a folder here
    for name in names:
        put(store, prefix + name, name.encode())
    listed = list(store.list_keys(prefix))
    assert listed == sorted(prefix + name for name in names)


def test_a_key_is_written_once(store: BlobStore) -> None:
    key, first = new_key(), os.urandom(100)
    version_id = put(store, key, first)
    with pytest.raises(ObjectLocked, match="write-once"):
        put(store, key, os.urandom(100))
    assert read(store, key) == first
    assert store.version_ids(key) == (version_id,)


@pytest.mark.parametrize("key", ["../escape", "/etc/passwd", "a//b", ".hidden", "a/../b", "", "a/"])
def test_keys_that_could_escape_are_refused(store: BlobStore, key: str) -> None:
    with pytest.raises(ValueError, match="invalid object key"):
        put(store, key, b"x")


def test_missing_objects_are_not_found(store: BlobStore) -> None:
    key = new_key()
    with pytest.raises(NotFound):
        store.iter_bytes(key)
    with pytest.raises(NotFound):
        store.get_retention(key, None)
    with pytest.raises(NotFound):
        store.set_legal_hold(key, None, True)
    assert store.delete_all_versions(key) == ()


def test_an_unknown_version_is_not_found(store: BlobStore) -> None:
    key = new_key()
    put(store, key, b"data")
    with pytest.raises(NotFound):
        store.iter_bytes(key, version_id="01AAAAAAAAAAAAAAAAAAAAAAAA")


# -- deletion ------------------------------------------------------------------


def test_delete_all_versions_leaves_no_version_readable(store: BlobStore) -> None:
    key = new_key()
    version_id = put(store, key, b"to be purged")
    assert store.delete_all_versions(key) == (version_id,)
    assert_gone(store, key)
    with pytest.raises(NotFound):
        store.iter_bytes(key, version_id=version_id)
    assert store.delete_all_versions(key) == ()


@pytest.mark.s3
def test_s3_plain_delete_only_hides_and_purge_removes_everything(
    s3_store: S3BlobStore, s3_server: S3Server
) -> None:
    key, data = new_key(), os.urandom(1000)
    version_id = put(s3_store, key, data)
    s3_server.raw_client().remove_object(s3_server.bucket, key)  # a plain DELETE
    assert not s3_store.exists(key)
    versions = s3_store.version_ids(key)
    assert len(versions) == 2 and versions[1] == version_id  # delete marker first
    assert read(s3_store, key, version_id) == data  # hidden, not gone
    assert s3_store.delete_all_versions(key) == versions
    assert_gone(s3_store, key)
    for old in versions:
        with pytest.raises(NotFound):
            s3_store.iter_bytes(key, version_id=old)


# -- legal hold and retention --------------------------------------------------


def test_legal_hold_blocks_deletion_until_released(store: BlobStore) -> None:
    key, data = new_key(), os.urandom(100)
    version_id = put(store, key, data)
    assert store.get_legal_hold(key, version_id) is False
    store.set_legal_hold(key, version_id, True)
    assert store.get_legal_hold(key, version_id) is True
    with pytest.raises(ObjectLocked):
        store.delete_all_versions(key)
    assert read(store, key) == data
    store.set_legal_hold(key, version_id, False)
    assert store.get_legal_hold(key, version_id) is False
    assert store.delete_all_versions(key) == (version_id,)
    assert_gone(store, key)


def test_future_retention_blocks_deletion_and_overwrite(store: BlobStore) -> None:
    key, data = new_key(), os.urandom(100)
    version_id = put(store, key, data)
    store.set_retention(key, version_id, Retention(RetentionMode.GOVERNANCE, in_a_day()))
    with pytest.raises(ObjectLocked):
        store.delete_all_versions(key)
    with pytest.raises(ObjectLocked):
        put(store, key, os.urandom(100))
    assert read(store, key) == data
    assert store.version_ids(key) == (version_id,)


def test_retention_round_trips_rounded_up_to_the_second(store: BlobStore) -> None:
    key = new_key()
    version_id = put(store, key, b"sealed")
    assert store.get_retention(key, version_id) is None
    until = in_a_day()
    store.set_retention(key, version_id, Retention(RetentionMode.GOVERNANCE, until))
    expected = until.replace(microsecond=0) + timedelta(seconds=1)
    assert store.get_retention(key, version_id) == Retention(RetentionMode.GOVERNANCE, expected)
    assert store.get_retention(key, None) == Retention(RetentionMode.GOVERNANCE, expected)


def test_retention_can_be_extended_but_not_shortened(store: BlobStore) -> None:
    key = new_key()
    version_id = put(store, key, b"sealed")
    until = in_a_day()
    store.set_retention(key, version_id, Retention(RetentionMode.GOVERNANCE, until))
    later = Retention(RetentionMode.GOVERNANCE, until + timedelta(days=1))
    store.set_retention(key, version_id, later)
    with pytest.raises(ObjectLocked):
        store.set_retention(key, version_id, Retention(RetentionMode.GOVERNANCE, until))
    retention = store.get_retention(key, version_id)
    assert retention is not None and retention.until > until + timedelta(hours=23)


def test_set_retentions_seals_each_object_of_a_batch(store: BlobStore) -> None:
    keys = [new_key() for _ in range(3)]
    versions = [put(store, key, b"sealed " + key.encode()) for key in keys]
    until = in_a_day()
    store.set_retentions(
        [
            (k, v, Retention(RetentionMode.GOVERNANCE, until + timedelta(hours=n)))
            for n, (k, v) in enumerate(zip(keys, versions, strict=True))
        ]
    )
    for n, (key, version_id) in enumerate(zip(keys, versions, strict=True)):
        retention = store.get_retention(key, version_id)
        assert retention is not None and retention.until >= until + timedelta(hours=n)
        assert read(store, key, version_id) == b"sealed " + key.encode()


def test_set_retentions_refuses_a_batch_that_would_shorten_one_lock(store: BlobStore) -> None:
    first, second = new_key(), new_key()
    v1, v2 = put(store, first, b"one"), put(store, second, b"two")
    until = in_a_day()
    store.set_retention(second, v2, Retention(RetentionMode.GOVERNANCE, until + timedelta(days=1)))
    with pytest.raises(ObjectLocked):
        store.set_retentions(
            [
                (first, v1, Retention(RetentionMode.GOVERNANCE, until)),
                (second, v2, Retention(RetentionMode.GOVERNANCE, until)),
            ]
        )
    kept = store.get_retention(second, v2)
    assert kept is not None and kept.until > until + timedelta(hours=23)


def test_naive_retention_dates_are_refused(store: BlobStore) -> None:
    key = new_key()
    version_id = put(store, key, b"sealed")
    naive = datetime.now() + timedelta(days=1)
    with pytest.raises(ValueError, match="timezone-aware"):
        store.set_retention(key, version_id, Retention(RetentionMode.GOVERNANCE, naive))


def test_local_compliance_retention_cannot_become_governance(tmp_path: Path) -> None:
    # Local only: a COMPLIANCE object on a real S3 server outlives the test bucket.
    store = LocalBlobStore(tmp_path)
    key = new_key()
    put(store, key, b"sealed")
    until = in_a_day()
    store.set_retention(key, None, Retention(RetentionMode.COMPLIANCE, until))
    with pytest.raises(ObjectLocked):
        store.set_retention(key, None, Retention(RetentionMode.GOVERNANCE, until))
    with pytest.raises(ObjectLocked):
        store.delete_all_versions(key)


# -- integrity on read ---------------------------------------------------------


def test_local_bytes_changed_on_disk_are_detected_on_read(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    key, data = new_key(), os.urandom(10_000)
    put(store, key, data)
    path = tmp_path / "data" / key
    path.chmod(0o644)
    tampered = bytearray(data)
    tampered[5000] ^= 0x01
    path.write_bytes(bytes(tampered))
    with pytest.raises(IntegrityError, match="SHA-256"):
        read(store, key)


# -- downloads -----------------------------------------------------------------


def test_presigned_url_serves_identical_bytes_with_headers(store: BlobStore) -> None:
    key, data = new_key(), render_pdf()
    version_id = put(store, key, data)
    url = store.presigned_get_url(
        key,
        version_id=version_id,
        expires=timedelta(minutes=5),
        download_name=VIETNAMESE_NAME,
        media_type="application/pdf",
    )
    if isinstance(store, LocalBlobStore):
        assert url is None  # the API serves a signed-token route instead
        return
    assert url is not None
    response = httpx.get(url, verify=_ca_file())
    assert response.status_code == 200
    assert response.content == data
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == content_disposition(VIETNAMESE_NAME)


@pytest.mark.s3
def test_s3_tampered_presigned_url_is_refused(s3_store: S3BlobStore) -> None:
    key = new_key()
    put(s3_store, key, b"secret")
    url = _presign(s3_store, key, timedelta(minutes=5))
    marker = "X-Amz-Signature="
    at = url.index(marker) + len(marker)
    tampered = url[:at] + ("0" if url[at] != "0" else "1") + url[at + 1 :]
    assert httpx.get(url, verify=_ca_file()).status_code == 200
    response = httpx.get(tampered, verify=_ca_file())
    assert response.status_code == 403
    assert b"secret" not in response.content


@pytest.mark.s3
def test_s3_expired_presigned_url_is_refused(s3_store: S3BlobStore) -> None:
    key = new_key()
    put(s3_store, key, b"secret")
    url = _presign(s3_store, key, timedelta(seconds=1))
    time.sleep(2.5)  # past the expiry, whole seconds being the signing resolution
    response = httpx.get(url, verify=_ca_file())
    assert response.status_code == 403
    assert b"secret" not in response.content


def _presign(store: BlobStore, key: str, expires: timedelta) -> str:
    url = store.presigned_get_url(
        key, version_id=None, expires=expires, download_name="a.pdf", media_type="application/pdf"
    )
    assert url is not None
    return url


def _ca_file() -> ssl.SSLContext:
    """Trust the test server's self-signed CA (or the system roots when unset)."""
    return ssl.create_default_context(cafile=os.environ.get("ARCHIVE_TEST_S3_CA_FILE") or None)


def test_content_disposition_keeps_vietnamese_names_exactly() -> None:
    header = content_disposition(VIETNAMESE_NAME)
    assert header.startswith('attachment; filename="Quyet dinh 123_QD-UBND ve chu ky so.pdf"; ')
    encoded = header.split("filename*=UTF-8''", 1)[1]
    assert urllib.parse.unquote(encoded) == VIETNAMESE_NAME.replace("/", "_")
    assert all(ord(ch) < 128 and ch not in ' ";' for ch in encoded)


# -- availability --------------------------------------------------------------


def test_s3_unreachable_server_is_service_unavailable(unused_tcp_port: int) -> None:
    store = S3BlobStore(
        f"127.0.0.1:{unused_tcp_port}", "key", "secret", "bucket", region="us-east-1", secure=False
    )
    with pytest.raises(ServiceUnavailable):
        store.exists(new_key())


def test_check_ready_passes_on_a_ready_store(store: BlobStore) -> None:
    store.check_ready()


def test_check_ready_fails_on_a_missing_store_and_creates_nothing(
    store: BlobStore, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    missing: BlobStore
    if isinstance(store, LocalBlobStore):
        missing = LocalBlobStore(tmp_path / "never-made")
    else:
        server: S3Server = request.getfixturevalue("s3_server")
        missing = server.store(f"missing-{new_key()[-12:]}")
    for _ in range(2):  # the first check must not have created it
        with pytest.raises(ServiceUnavailable, match="does not exist"):
            missing.check_ready()


def test_s3_stores_starting_together_all_find_one_bucket_ready(s3_server: S3Server) -> None:
    """A worker pool or the compose services start several processes at once, each
    ensuring the bucket: the ones that lose the race to create it must find it made,
    not fail with BucketAlreadyOwnedByYou (a CI run once lost a worker that way)."""
    bucket = f"race-{new_key()[-12:]}"
    starters = 6
    barrier = threading.Barrier(starters)

    def start() -> None:
        store = s3_server.store(bucket)
        barrier.wait()
        store.ensure_bucket()

    try:
        with ThreadPoolExecutor(starters) as pool:
            outcomes = [pool.submit(start) for _ in range(starters)]
            errors = [f.exception() for f in outcomes]
        assert errors == [None] * starters
    finally:
        client = s3_server.raw_client()
        if client.bucket_exists(bucket):
            client.remove_bucket(bucket)
