"""Blob-store adapters: where deposited bytes live, unchanged.

Both implement ``archive.domain.ports.BlobStore`` and pass the same contract
suite (``tests/contract/test_blob_store.py``):

- ``LocalBlobStore``: a directory, the zero-configuration default. Retention
  and legal hold are enforced by the adapter, not by the storage.
- ``S3BlobStore``: an S3-compatible server with versioning and Object Lock,
  through the ``minio`` client. Retention and legal hold are enforced by the
  server.

Both are write-once (a second ``put`` of a key raises ObjectLocked), hash the
bytes on the way in, and re-check the SHA-256 at the end of every read.
"""

from storage._disposition import content_disposition
from storage.local import LocalBlobStore
from storage.s3 import ObjectVersion, S3BlobStore

__all__ = ["LocalBlobStore", "ObjectVersion", "S3BlobStore", "content_disposition"]
