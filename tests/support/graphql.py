"""GraphQL over HTTP (in-process ASGI) for the pipeline's end-to-end tests: deposit any
media type, the full record view (processing, signatures, thumbnails), search with
filters, and settings handed to subprocesses. Builds on ``tests.support.gql``."""

from __future__ import annotations

import asyncio
import enum
import json
import os
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr

from archive.app import create_app
from archive.factory import build_services
from archive.services.container import Services
from archive.settings import Settings
from tests.support.gql import METADATA

DEPOSIT = """
mutation Deposit($file: Upload!, $metadata: RecordMetadataInput!) {
  depositRecord(file: $file, metadata: $metadata) {
    __typename
    ... on DepositSuccess { record { id recordId textStatus processing { status stepsDone } } }
    ... on ValidationError { field message code }
    ... on DuplicateRecordError { code existingRecord { id } }
    ... on FileRejectedError { code message }
  }
}"""

RECORD = """
query Record($id: ID!) {
  record(id: $id) {
    id textStatus pageCount
    file { sha256 size mediaType }
    processing { status stepsDone attempts error limitHit }
    signatureStatus { verified signed allValid }
    signatures {
      fieldName signerSubject signerCommonName issuer serial signingTime timestampTime
      intact valid trusted coverage modificationLevel verdict summary
      signedRevision revisionCount permission changesPermitted
      laterRevisions { revision modificationLevel permitted }
    }
    thumbnails { page dataUrl }
    download { url }
  }
}"""

SEARCH = """
query Search($q: String, $filter: SearchFilterInput) {
  search(query: $q, filter: $filter, first: 50) { totalCount edges { node { id } } }
}"""

BASE_METADATA: dict[str, Any] = METADATA


def metadata(number: str, **changes: Any) -> dict[str, Any]:
    """The base metadata with another number (and any other changes)."""
    return {**BASE_METADATA, "number": number, **changes}


@asynccontextmanager
async def open_services(settings: Settings) -> AsyncIterator[Services]:
    """Adapters for ``settings``, migrated and ready; closed after."""
    built = await asyncio.to_thread(build_services, settings)
    await built.index.ensure_ready()
    try:
        yield built
    finally:
        await built.close()


@asynccontextmanager
async def api_client(services: Services) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on the app, sharing ``services`` (no embedded worker)."""
    transport = httpx.ASGITransport(app=create_app(services=services))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as client:
        yield client


async def deposit(
    client: httpx.AsyncClient,
    data: bytes,
    meta: dict[str, Any],
    name: str = "qđ.pdf",
    content_type: str = "application/pdf",
) -> Any:
    """Deposit over multipart GraphQL; returns the ``depositRecord`` result."""
    operations = {"query": DEPOSIT, "variables": {"file": None, "metadata": meta}}
    response = await client.post(
        "/graphql",
        data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.file"]})},
        files={"0": (name, data, content_type)},
        headers={"X-Archive-Request": "1"},  # multipart needs it (CSRF)
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return body["data"]["depositRecord"]


async def deposited_id(client: httpx.AsyncClient, data: bytes, meta: dict[str, Any], **kw: Any) -> str:
    """Deposit and return the new record's global id (the deposit must succeed)."""
    result = await deposit(client, data, meta, **kw)
    assert result["__typename"] == "DepositSuccess", result
    return str(result["record"]["id"])


async def gql(client: httpx.AsyncClient, query: str, **variables: Any) -> Any:
    """POST a query; returns ``data`` after checking there were no errors."""
    response = await client.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


async def record(client: httpx.AsyncClient, global_id: str) -> Any:
    """The RECORD view of one record."""
    found = (await gql(client, RECORD, id=global_id))["record"]
    assert found is not None
    return found


async def search_ids(client: httpx.AsyncClient, q: str | None, **filter: Any) -> tuple[int, set[str]]:
    """(total, ids of the hits) of a search."""
    found = (await gql(client, SEARCH, q=q, filter=filter or None))["search"]
    return found["totalCount"], {e["node"]["id"] for e in found["edges"]}


async def fetch(client: httpx.AsyncClient, url: str) -> bytes:
    """Follow a download link: our own route, or a presigned URL on the S3 server."""
    if url.startswith(str(client.base_url)):
        response = await client.get(url)
    else:
        ca_file = os.environ.get("ARCHIVE_TEST_S3_CA_FILE")
        verify = ssl.create_default_context(cafile=ca_file) if ca_file else True
        async with httpx.AsyncClient(verify=verify) as direct:
            response = await direct.get(url)
    assert response.status_code == 200, response.text
    return response.content


def settings_env(settings: Settings) -> dict[str, str]:
    """``settings`` as ARCHIVE_* environment variables, for a subprocess to rebuild them."""
    env: dict[str, str] = {}
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if value is None:
            continue
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        elif isinstance(value, enum.Enum):
            value = value.value
        elif isinstance(value, Path):
            value = str(value.resolve())
        env[f"ARCHIVE_{name.upper()}"] = str(value).lower() if isinstance(value, bool) else str(value)
    return env
