"""The S3 server is killed in the middle of an upload, then comes back.

The client must get a clear 503 with a code, no record row may be written, a
retry must give exactly one record, and no multipart upload may stay open on the
bucket (the adapter aborts what the dead server kept, on its next upload).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import urllib3
from minio import Minio

from archive.services.container import Services
from tests.outage.support import table_counts
from tests.outage.switch import Switch
from tests.support.graphql import DEPOSIT, api_client, metadata
from tests.support.hostile import write_raw_pdf

pytestmark = [pytest.mark.postgres, pytest.mark.elasticsearch, pytest.mark.s3, pytest.mark.slow]

PAYLOAD_MB = 60  # twelve 5 MiB parts: the upload is multipart and lasts long enough to be cut


async def test_an_upload_cut_by_a_dead_s3_server_is_a_503_without_a_row_and_a_retry_stores_one_record(
    outage_services: Services, switch: Switch, tmp_path: Path
) -> None:
    services = outage_services
    pdf = _large_pdf(tmp_path / "large.pdf")
    bucket = services.settings.s3_bucket
    async with api_client(services) as client:
        with _minio() as watching:
            watcher = _KillOnFirstUpload(switch, watching, bucket)
            watcher.start()
            response = await _post_deposit(client, pdf)
            watcher.join(timeout=60)
        assert watcher.killed, f"the upload ended before the S3 server was killed: {response.text[:300]}"

        assert response.status_code == 503, response.text
        assert response.headers["retry-after"]
        errors = response.json()["errors"]
        assert [e["extensions"]["code"] for e in errors] == ["STORAGE_UNAVAILABLE"]
        assert "Traceback" not in response.text and "127.0.0.1" not in response.text
        assert await asyncio.to_thread(table_counts, services) == {"records": 0, "jobs": 0}

        switch.start("s3")
        retried = await _post_deposit(client, pdf)
        assert retried.status_code == 200, retried.text
        assert retried.json()["data"]["depositRecord"]["__typename"] == "DepositSuccess"
    assert await asyncio.to_thread(table_counts, services) == {"records": 1, "jobs": 1}
    with _minio() as s3:
        assert _open_uploads(s3, bucket) == []


class _KillOnFirstUpload(threading.Thread):
    """Kills the S3 server as soon as a multipart upload is open on the bucket."""

    def __init__(self, switch: Switch, client: Minio, bucket: str) -> None:
        super().__init__(daemon=True)
        self.killed = False
        self._switch, self._client, self._bucket = switch, client, bucket

    def run(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if _open_uploads(self._client, self._bucket):
                self._switch.stop("s3", kill=True)
                self.killed = True
                return
            time.sleep(0.01)


async def _post_deposit(client: httpx.AsyncClient, pdf: Path) -> httpx.Response:
    operations = {"query": DEPOSIT, "variables": {"file": None, "metadata": metadata("77")}}
    return await client.post(
        "/graphql",
        data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.file"]})},
        files={"0": ("large.pdf", pdf.read_bytes(), "application/pdf")},
        headers={"X-Archive-Request": "1"},  # multipart needs it (CSRF)
        timeout=120,
    )


def _large_pdf(path: Path) -> Path:
    """A one-page text PDF carrying a large unreferenced stream (incompressible bytes)."""
    content = b"BT /F1 24 Tf 72 720 Td (chu ky so) Tj ET"
    filler = os.urandom(PAYLOAD_MB * 1024 * 1024)
    return write_raw_pdf(
        path,
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [5 0 R] /Count 1 >>",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
            _stream(content),
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842]"
            b" /Resources << /Font << /F1 3 0 R >> >> /Contents 4 0 R >>",
            _stream(filler),
        ],
    )


def _stream(data: bytes) -> bytes:
    return b"<< /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"


@contextlib.contextmanager
def _minio() -> Iterator[Minio]:
    """A client of our own on the test command's S3 server, independent of the adapter.

    Its connections are closed on the way out: one left to the garbage collector (a
    socket to the server this test kills) would surface as a ResourceWarning in
    whichever later test the collector happens to run.
    """
    ca_file = os.environ.get("ARCHIVE_TEST_S3_CA_FILE")
    http = urllib3.PoolManager(
        cert_reqs="CERT_REQUIRED",
        ca_certs=ca_file,
        timeout=urllib3.Timeout(connect=2, read=10),
        retries=urllib3.Retry(total=0),
    )
    try:
        yield Minio(
            os.environ["ARCHIVE_TEST_S3_ENDPOINT"],
            access_key=os.environ.get("ARCHIVE_TEST_S3_ACCESS_KEY", ""),
            secret_key=os.environ.get("ARCHIVE_TEST_S3_SECRET_KEY", ""),
            secure=True,
            http_client=http,
        )
    finally:
        http.clear()


def _open_uploads(client: Minio, bucket: str) -> list[Any]:
    # minio's public API has no listing of incomplete uploads; this is the call its own code uses.
    return list(client._list_multipart_uploads(bucket).uploads)
