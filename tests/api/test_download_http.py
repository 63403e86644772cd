"""The download route's HTTP conventions: Range (206, 416), ETag and If-None-Match (304),
If-Range, Cache-Control, each use audited; and a token that names nothing readable
answers the same 404 whatever its Range or conditions say. On the embedded stack,
and on PostgreSQL + Elasticsearch + S3 (a ranged GET on the S3 server) when available."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import os
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from archive.domain.audit import AuditEntry
from archive.domain.records import Record, StoredFile
from archive.services.container import Services
from tests.support.access import make_record, put
from tests.support.graphql import api_client

SIZE = 300_000  # more than one 256 KiB chunk
SUBJECT = "reader-7"


@pytest.fixture
async def http(services: Services) -> AsyncIterator[httpx.AsyncClient]:
    async with api_client(services) as c:
        yield c


async def stored(services: Services, *, public: bool = False, size: int = SIZE) -> tuple[Record, bytes]:
    """A record whose bytes really are in the blob store."""
    data = os.urandom(size)
    record = make_record(public=public)
    digest = hashlib.sha256(data).hexdigest()
    key = record.file.storage_key
    version = services.blobs.put(
        key, io.BytesIO(data), size=size, sha256=digest, media_type="application/pdf"
    )
    file = StoredFile(key, digest, size, "application/pdf", "văn bản.pdf", version)
    record = dataclasses.replace(record, file=file)
    await put(services, record)
    return record, data


def token_for(services: Services, record_id: str) -> str:
    token, _ = services.links.issue(record_id, SUBJECT, now=services.clock(), ttl=timedelta(seconds=60))
    return token


def serves(services: Services) -> list[AuditEntry]:
    return [e for e in services.audit.entries() if e.action == "download.serve"]


@pytest.mark.parametrize(
    ("header", "first", "last"),
    [
        ("bytes=0-0", 0, 0),
        ("bytes=1000-263143", 1000, 263_143),
        ("bytes=-500", SIZE - 500, SIZE - 1),
        ("bytes=299000-", 299_000, SIZE - 1),
        ("bytes=299990-999999", 299_990, SIZE - 1),
    ],
)
async def test_a_range_answers_206_with_exactly_those_bytes(
    http: httpx.AsyncClient, services: Services, header: str, first: int, last: int
) -> None:
    record, data = await stored(services)
    response = await http.get(f"/download/{token_for(services, record.id)}", headers={"Range": header})
    assert response.status_code == 206
    assert response.content == data[first : last + 1]
    assert response.headers["content-range"] == f"bytes {first}-{last}/{SIZE}"
    assert response.headers["content-length"] == str(last - first + 1)
    assert response.headers["etag"] == f'"sha256-{record.file.sha256}"'
    assert response.headers["accept-ranges"] == "bytes"
    [entry] = serves(services)
    assert (entry.actor, entry.target, str(entry.outcome)) == (SUBJECT, record.id, "ok")
    assert entry.details["range"] == f"{first}-{last}" and entry.details["sent"] == last - first + 1


async def test_the_whole_file_still_answers_200_with_its_etag(
    http: httpx.AsyncClient, services: Services
) -> None:
    record, data = await stored(services)
    response = await http.get(f"/download/{token_for(services, record.id)}")
    assert response.status_code == 200 and response.content == data
    assert response.headers["etag"] == f'"sha256-{record.file.sha256}"'
    assert response.headers["cache-control"] == "private, no-store"  # not public
    [entry] = serves(services)
    assert str(entry.outcome) == "ok" and entry.details["sent"] == SIZE and "range" not in entry.details


@pytest.mark.parametrize("header", ["bytes=300000-", "bytes=999999-1000000", "bytes=-0"])
async def test_a_range_past_the_end_is_416_and_audited(
    http: httpx.AsyncClient, services: Services, header: str
) -> None:
    record, _ = await stored(services)
    response = await http.get(f"/download/{token_for(services, record.id)}", headers={"Range": header})
    assert response.status_code == 416
    assert response.headers["content-range"] == f"bytes */{SIZE}"
    assert response.json()["code"] == "RANGE_NOT_SATISFIABLE"
    [entry] = serves(services)
    assert str(entry.outcome) == "error" and entry.details["reason"] == "RANGE_NOT_SATISFIABLE"
    assert entry.details["sent"] == 0


@pytest.mark.parametrize("header", ["bytes=0-1,5-9", "items=0-9", "bytes=9-2", "bytes=abc", "bytes=-"])
async def test_a_range_it_does_not_serve_alone_is_ignored_and_everything_sent(
    http: httpx.AsyncClient, services: Services, header: str
) -> None:
    record, data = await stored(services)
    response = await http.get(f"/download/{token_for(services, record.id)}", headers={"Range": header})
    assert response.status_code == 200 and response.content == data


async def test_if_none_match_answers_304_without_bytes_and_is_audited(
    http: httpx.AsyncClient, services: Services
) -> None:
    record, data = await stored(services)
    etag = f'"sha256-{record.file.sha256}"'
    for condition in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        response = await http.get(
            f"/download/{token_for(services, record.id)}", headers={"If-None-Match": condition}
        )
        assert response.status_code == 304 and response.content == b""
        assert response.headers["etag"] == etag
    changed = await http.get(
        f"/download/{token_for(services, record.id)}", headers={"If-None-Match": '"old"'}
    )
    assert changed.status_code == 200 and changed.content == data
    entries = serves(services)
    assert [e.details.get("not_modified") for e in entries] == [1, 1, 1, 1, None]
    assert all(str(e.outcome) == "ok" and e.actor == SUBJECT for e in entries)


async def test_if_range_serves_the_range_only_for_the_same_bytes(
    http: httpx.AsyncClient, services: Services
) -> None:
    record, data = await stored(services)
    etag = f'"sha256-{record.file.sha256}"'
    same = await http.get(
        f"/download/{token_for(services, record.id)}", headers={"Range": "bytes=10-19", "If-Range": etag}
    )
    assert same.status_code == 206 and same.content == data[10:20]
    other = await http.get(
        f"/download/{token_for(services, record.id)}", headers={"Range": "bytes=10-19", "If-Range": '"old"'}
    )
    assert other.status_code == 200 and other.content == data


async def test_public_bytes_may_be_kept_but_are_revalidated(
    http: httpx.AsyncClient, services: Services
) -> None:
    record, _ = await stored(services, public=True, size=100)
    response = await http.get(f"/download/{token_for(services, record.id)}")
    assert response.status_code == 200 and response.headers["cache-control"] == "public, no-cache"


async def test_a_token_naming_nothing_answers_alike_whatever_its_range_or_conditions(
    http: httpx.AsyncClient, services: Services
) -> None:
    gone = token_for(services, str(uuid.uuid4()))
    requests: list[dict[str, Any]] = [
        {},
        {"Range": "bytes=0-9"},
        {"Range": "bytes=999999999-"},
        {"If-None-Match": "*"},
        {"If-None-Match": '"sha256-00"', "Range": "bytes=0-0", "If-Range": '"x"'},
    ]
    answers = set()
    for token in (gone, "forged.token", gone[:-2] + "AA"):
        for headers in requests:
            response = await http.get(f"/download/{token}", headers=headers)
            answers.add((response.status_code, response.content, response.headers.get("cache-control")))
    assert answers == {(404, b'{"error":"not found","code":"NOT_FOUND"}', "no-store")}
    assert serves(services) == []
