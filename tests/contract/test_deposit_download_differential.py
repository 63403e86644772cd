"""A record the caller may not read answers exactly like one that does not exist, on
the deposit and download surfaces too: the duplicate answer of a deposit, the
download link (issue) and the token route (serve), and the audit entries the
caller's own actions leave. Runs over HTTP on the embedded stack, and on
PostgreSQL + Elasticsearch + S3 when they are available."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from archive.domain.access import UNRESTRICTED
from archive.domain.records import Classification, Record
from archive.samples import SampleDocument, render_pdf
from archive.services.container import Services
from archive.settings import Settings
from tests.support.access import SigningKey, bearer_settings, make_record, put
from tests.support.gql import METADATA
from tests.support.graphql import api_client, open_services

AGENCY = "UBND-HG"
# Only what cannot differ between two new records (no ids, hashes or sizes).
DEPOSIT_ANSWER = """
mutation Deposit($file: Upload!, $metadata: RecordMetadataInput!) {
  depositRecord(file: $file, metadata: $metadata) {
    __typename
    ... on DepositSuccess { record { documentNumber classification textStatus processing { status } } }
    ... on ValidationError { field message code }
    ... on DuplicateRecordError { code message existingRecord { id } }
    ... on ForbiddenError { code message }
    ... on FileRejectedError { code message }
  }
}"""
DOWNLOAD = "query($id: ID!) { record(id: $id) { download { url } } node(id: $id) { id } }"


@pytest.fixture(scope="module")
def signing_key() -> SigningKey:
    return SigningKey.generate()


@pytest.fixture
async def secured(
    stack_settings: Settings, signing_key: SigningKey, tmp_path: Path
) -> AsyncIterator[Services]:
    async with open_services(bearer_settings(stack_settings, signing_key, tmp_path)) as built:
        yield built


@pytest.fixture
async def http(secured: Services) -> AsyncIterator[httpx.AsyncClient]:
    async with api_client(secured) as c:
        yield c


def clerk(key: SigningKey, sub: str, clearance: str = "ORDINARY") -> str:
    return key.token(sub=sub, roles=["clerk"], agencies=[AGENCY], clearance=clearance)


async def deposit(http: httpx.AsyncClient, token: str, pdf: bytes, **changes: Any) -> Any:
    operations = {"query": DEPOSIT_ANSWER, "variables": {"file": None, "metadata": {**METADATA, **changes}}}
    response = await http.post(
        "/graphql",
        data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.file"]})},
        files={"0": ("văn bản.pdf", pdf, "application/pdf")},
        headers={"Authorization": f"Bearer {token}", "X-Archive-Request": "1"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return body["data"]["depositRecord"]


def trail(services: Services, actor: str) -> list[tuple[str, str, list[str]]]:
    """The caller's own audit entries, without what differs between any two deposits
    (ids, hashes): action, outcome and the names of the details."""
    return [
        (e.action, str(e.outcome), sorted(e.details)) for e in services.audit.entries() if e.actor == actor
    ]


def global_id(record_id: str) -> str:
    return base64.urlsafe_b64encode(f"Record:{record_id}".encode()).decode()


async def test_a_hidden_copy_answers_like_no_copy(
    http: httpx.AsyncClient, secured: Services, signing_key: SigningKey
) -> None:
    hidden_bytes = render_pdf(SampleDocument(number="77"))
    fresh_bytes = render_pdf(SampleDocument(number="78"))
    secret = await deposit(
        http, clerk(signing_key, "clerk-mat", "CONFIDENTIAL"), hidden_bytes, classification="CONFIDENTIAL"
    )
    assert secret["__typename"] == "DepositSuccess"

    ordinary = clerk(signing_key, "clerk-thuong")
    over_hidden = await deposit(http, ordinary, hidden_bytes)
    hidden_trail = trail(secured, "clerk-thuong")
    over_nothing = await deposit(http, ordinary, fresh_bytes)
    assert over_hidden == over_nothing  # both archived as new records, field for field
    assert over_hidden["__typename"] == "DepositSuccess"
    assert trail(secured, "clerk-thuong") == hidden_trail * 2

    # The classified copy is still there, and the clerk's entries never name it.
    secret_ids = {r.id for r in _records(secured) if r.classification is Classification.CONFIDENTIAL}
    assert len(secret_ids) == 1
    assert not any(
        e.target in secret_ids or any(v in secret_ids for v in e.details.values())
        for e in secured.audit.entries()
        if e.actor == "clerk-thuong"
    )

    # A copy the clerk may read IS a duplicate, and names that copy.
    again = await deposit(http, ordinary, hidden_bytes, number="79")
    assert again["__typename"] == "DuplicateRecordError" and again["code"] == "DUPLICATE"
    own = {r.id for r in _records(secured) if r.classification is Classification.ORDINARY}
    assert again["existingRecord"]["id"] in {global_id(i) for i in own}
    duplicate_entry = list(secured.audit.entries())[-2:]  # record.read of the copy, then the deposit
    assert ("record.deposit", "error") in {(e.action, str(e.outcome)) for e in duplicate_entry}

    # Declaring a classification above one's clearance is refused, whatever the bytes.
    above = [
        await deposit(http, ordinary, data, classification="CONFIDENTIAL", number="80")
        for data in (hidden_bytes, render_pdf(SampleDocument(number="81")))
    ]
    assert above[0] == above[1] and above[0]["__typename"] == "ForbiddenError"


def _records(services: Services) -> list[Record]:
    """Every record the deposits made (the audit names each one it archived)."""
    ids = [e.target for e in services.audit.entries() if e.action == "record.deposit" and e.outcome == "ok"]
    return list(services.records.get_many(ids, UNRESTRICTED).values())


@pytest.mark.parametrize(
    "caller",
    [
        {"sub": "reader-b", "roles": ["reader"], "agencies": ["SO-TC"]},
        {"sub": "reader-a", "roles": ["reader"], "agencies": [AGENCY]},
        {"sub": "clerk-a", "roles": ["clerk"], "agencies": [AGENCY]},
        None,
    ],
    ids=["other-agency", "same-agency-uncleared", "clerk-uncleared", "anonymous"],
)
async def test_download_of_a_hidden_record_answers_like_a_missing_one(
    http: httpx.AsyncClient, secured: Services, signing_key: SigningKey, caller: dict[str, Any] | None
) -> None:
    hidden = make_record(agency=AGENCY, classification=Classification.CONFIDENTIAL)
    await put(secured, hidden)
    headers = {} if caller is None else {"Authorization": f"Bearer {signing_key.token(**caller)}"}
    subject = "anonymous" if caller is None else caller["sub"]

    async def ask(record_id: str) -> Any:
        body = {"query": DOWNLOAD, "variables": {"id": global_id(record_id)}}
        response = await http.post("/graphql", json=body, headers=headers)
        answer = response.json()
        # Every answer carries its own request id; everything else must be equal.
        assert answer.pop("extensions") == {"requestId": response.headers["x-request-id"]}
        return answer

    before = list(secured.audit.entries())
    assert await ask(hidden.id) == await ask(str(uuid.uuid4())) == {"data": {"record": None, "node": None}}
    after = list(secured.audit.entries())
    assert [e for e in after if e.actor == subject] == [e for e in before if e.actor == subject]


async def test_serving_answers_alike_for_missing_records_and_forged_tokens(
    http: httpx.AsyncClient, secured: Services
) -> None:
    record = make_record(agency=AGENCY, classification=Classification.CONFIDENTIAL)
    await put(secured, record)
    ttl = timedelta(seconds=60)
    gone, _ = secured.links.issue(str(uuid.uuid4()), "someone", now=secured.clock(), ttl=ttl)
    answers = []
    for token in (gone, "forged.token", "x." + "é" * 10, gone[:-2] + "AA"):
        response = await http.get(f"/download/{token}")
        answers.append((response.status_code, response.json()))
    assert all(a == (404, {"error": "not found", "code": "NOT_FOUND"}) for a in answers), answers
    assert not [e for e in secured.audit.entries() if e.action == "download.serve"]
