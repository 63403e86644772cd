"""Logs on both stacks: one JSON object per line with the request id, actor, API key
id, operation and duration, and never a secret or a token, even at DEBUG.

The operations: an API key issued, a deposit with it, the worker's processing, a
search with a bearer token, a download link and its download, a forged bearer
token and an unknown API key. Then the captured log is searched for every secret
and token those used.
"""

from __future__ import annotations

import io
import json
import logging
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from pydantic import SecretStr

from archive.domain.access import Role
from archive.domain.records import Classification
from archive.observability.logs import QUIET_LOGGERS, configure_logging
from archive.samples import SampleDocument, render_pdf
from archive.services.container import Services
from archive.services.worker import drain
from archive.settings import Settings
from tests.support.access import SigningKey, bearer_settings
from tests.support.graphql import DEPOSIT, api_client, fetch, metadata, open_services

SEARCH = 'query Search { search(query: "chu ky so", first: 5) { totalCount } }'
DOWNLOAD = "query Download($id: ID!) { record(id: $id) { download { url } } }"
REQUEST_ID = "req-from-the-proxy-42"


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """Whatever the service logs, for the test; the logging set-up is restored after."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    quiet = {name: logging.getLogger(name).level for name in QUIET_LOGGERS}
    stream = io.StringIO()
    try:
        yield stream
    finally:
        for handler in list(root.handlers):
            if handler not in handlers:
                root.removeHandler(handler)
        root.setLevel(level)
        for name, old in quiet.items():
            logging.getLogger(name).setLevel(old)
        logging.getLogger("uvicorn.access").disabled = False


@pytest.fixture
async def logged(
    stack_settings: Settings, tmp_path: Path, captured: io.StringIO, signing_key: SigningKey
) -> AsyncIterator[Services]:
    settings = bearer_settings(
        stack_settings,
        signing_key,
        tmp_path,
        secret_key=SecretStr(f"deployment-secret-{uuid.uuid4().hex}"),
        log_level="DEBUG",
        log_format="json",
    )
    configure_logging(settings, stream=captured)
    async with open_services(settings) as built:
        yield built


@pytest.fixture(scope="module")
def signing_key() -> SigningKey:
    return SigningKey.generate()


async def test_logs_carry_the_request_and_no_secret(
    logged: Services, captured: io.StringIO, signing_key: SigningKey
) -> None:
    services = logged
    _key, issued = services.api_keys.create(
        name="portal", agencies=["UBND-HG"], roles=[Role.CLERK], clearance=Classification.ORDINARY
    )
    bearer = signing_key.token(sub="reader-7", roles=["reader"], agencies=["UBND-HG"])
    forged = SigningKey.generate().token(sub="intruder")
    unknown_key = f"ark_{'0' * 16}_{'x' * 43}"
    async with api_client(services) as http:
        record_id = await _deposit(http, issued.display)
        assert await drain(services) == 1
        await services.index.refresh()
        found = await _post(http, {"Authorization": f"Bearer {bearer}"}, SEARCH)
        assert found["data"]["search"]["totalCount"] == 1
        link = await _post(http, {"X-API-Key": issued.display}, DOWNLOAD, id=record_id)
        url = link["data"]["record"]["download"]["url"]
        await fetch(http, url)
        for headers in ({"Authorization": f"Bearer {forged}"}, {"X-API-Key": unknown_key}):
            response = await http.post("/graphql", json={"query": "{ __typename }"}, headers=headers)
            assert response.status_code == 401

    text = captured.getvalue()
    secrets = {
        "API key": issued.display,
        "API key secret": issued.secret,
        "bearer token": bearer,
        "forged bearer token": forged,
        "unknown API key": unknown_key,
        "download link": url,
        "download token": url.rsplit("/", 1)[-1].split("?")[0],
        "deployment secret": services.settings.secret_key.get_secret_value(),
    }
    if services.settings.blob_backend == "s3":
        secrets["S3 secret key"] = services.settings.s3_secret_key.get_secret_value()
        secrets["presigned signature"] = url.split("X-Amz-Signature=")[1].split("&")[0]
        password = sa.engine.make_url(services.settings.resolved_database_url).password
        assert password
        secrets["database password"] = password
    leaked = [name for name, secret in secrets.items() if secret and secret in text]
    assert leaked == [], f"{leaked} in the log"
    for body_part in ("chữ ký số", "%PDF"):  # the subject and the file: request and response bodies
        assert body_part not in text

    lines = [json.loads(line) for line in text.splitlines()]
    requests = [line for line in lines if line["message"] == "request" and line["path"] == "/graphql"]
    deposit = next(line for line in requests if line.get("operation") == "Deposit")
    assert deposit["request_id"] == REQUEST_ID
    assert deposit["api_key_id"] == issued.key_id and deposit["actor"]
    assert deposit["status"] == 200 and deposit["duration_ms"] > 0
    search = next(line for line in requests if line.get("operation") == "Search")
    assert search["actor"] == "reader-7" and len(search["request_id"]) == 32
    refusals = [line for line in requests if line["status"] == 401]
    assert [line["codes"] for line in refusals] == [["UNAUTHENTICATED"], ["UNAUTHENTICATED"]]
    reasons = [line for line in lines if line["message"].startswith("refused credentials")]
    assert [line["request_id"] for line in reasons] == [line["request_id"] for line in refusals]


async def _deposit(http: httpx.AsyncClient, api_key: str) -> str:
    operations = {"query": DEPOSIT, "variables": {"file": None, "metadata": metadata("601")}}
    response = await http.post(
        "/graphql",
        data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.file"]})},
        files={"0": ("qđ.pdf", render_pdf(SampleDocument()), "application/pdf")},
        # X-Archive-Request: the gate refuses multipart without it (CSRF).
        headers={"X-API-Key": api_key, "X-Request-Id": REQUEST_ID, "X-Archive-Request": "1"},
    )
    assert response.headers["x-request-id"] == REQUEST_ID
    body = response.json()
    assert body["extensions"]["requestId"] == REQUEST_ID
    result = body["data"]["depositRecord"]
    assert result["__typename"] == "DepositSuccess", result
    return str(result["record"]["id"])


async def _post(http: httpx.AsyncClient, headers: dict[str, str], query: str, **variables: Any) -> Any:
    response = await http.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    assert body["extensions"]["requestId"] == response.headers["x-request-id"]
    return body
