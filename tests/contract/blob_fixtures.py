"""Fixtures for the BlobStore contract suite: one store per adapter.

The S3 store talks to a real S3 server with Object Lock, named by
ARCHIVE_TEST_S3_ENDPOINT (host:port, TLS), ARCHIVE_TEST_S3_ACCESS_KEY,
ARCHIVE_TEST_S3_SECRET_KEY and ARCHIVE_TEST_S3_CA_FILE. Each session gets its
own bucket, emptied (with a governance bypass) and removed at the end.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import urllib3
from minio import Minio
from minio.deleteobjects import DeleteObject

from archive.domain.ports import BlobStore
from storage import LocalBlobStore, S3BlobStore

S3_ENV = "ARCHIVE_TEST_S3_ENDPOINT"


@dataclass(frozen=True)
class S3Server:
    endpoint: str
    access_key: str
    secret_key: str
    ca_file: Path | None
    bucket: str

    def raw_client(self) -> Minio:
        """A plain minio client, for what the port deliberately cannot do
        (a plain DELETE, a governance bypass during cleanup)."""
        http = urllib3.PoolManager(
            cert_reqs="CERT_REQUIRED", ca_certs=str(self.ca_file) if self.ca_file else None
        )
        return Minio(
            self.endpoint,
            access_key=self.access_key,
            secret_key=self.secret_key,
            secure=True,
            http_client=http,
            region="us-east-1",
        )

    def store(self, bucket: str | None = None) -> S3BlobStore:
        """The port's adapter on this server, on the session's bucket or on ``bucket``
        (nothing is created until it is asked for)."""
        return S3BlobStore(
            self.endpoint,
            self.access_key,
            self.secret_key,
            bucket or self.bucket,
            ca_file=self.ca_file,
        )


def new_key() -> str:
    """A fresh key shaped like the server-generated ones."""
    value = uuid.uuid4()
    return f"records/{value.hex[:2]}/{value}"


@pytest.fixture(scope="session")
def s3_server() -> S3Server:
    endpoint = os.environ.get(S3_ENV)
    if not endpoint:
        pytest.skip(f"{S3_ENV} is not set: no S3 server with Object Lock to test against")
    ca_file = os.environ.get("ARCHIVE_TEST_S3_CA_FILE")
    return S3Server(
        endpoint=endpoint,
        access_key=os.environ.get("ARCHIVE_TEST_S3_ACCESS_KEY", ""),
        secret_key=os.environ.get("ARCHIVE_TEST_S3_SECRET_KEY", ""),
        ca_file=Path(ca_file) if ca_file else None,
        bucket=f"contract-{uuid.uuid4().hex[:16]}",
    )


@pytest.fixture(scope="session")
def s3_store(s3_server: S3Server) -> Iterator[S3BlobStore]:
    store = s3_server.store()
    store.ensure_bucket()
    yield store
    _purge_bucket(s3_server, store)


def _purge_bucket(server: S3Server, store: S3BlobStore) -> None:
    """Release holds, delete every version bypassing governance, remove the bucket."""
    client = server.raw_client()
    versions = list(store.iter_versions())
    for version in versions:
        if not version.delete_marker:
            client.disable_object_legal_hold(server.bucket, version.key, version.version_id)
    deletes = [DeleteObject(v.key, v.version_id) for v in versions]
    errors = list(client.remove_objects(server.bucket, deletes, bypass_governance_mode=True))
    assert not errors, errors
    client.remove_bucket(server.bucket)


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.s3)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> BlobStore:
    """Each contract test runs once per adapter."""
    if request.param == "local":
        (tmp_path / "blobs").mkdir()  # as the app factory does
        return LocalBlobStore(tmp_path / "blobs")
    s3: BlobStore = request.getfixturevalue("s3_store")
    return s3
