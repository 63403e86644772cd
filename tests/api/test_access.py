"""Access control over HTTP, on both stacks: who the caller is, what it may read and
write, and that a record it may not read leaves no trace in any answer."""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
import sqlalchemy as sa

from archive.db.tables import RecordRow
from archive.domain.access import Role
from archive.domain.records import Classification
from archive.services.container import Services
from archive.settings import Settings
from tests.support.access import SigningKey, bearer_settings, make_record, put
from tests.support.db import engine_of
from tests.support.graphql import api_client, open_services

UNIQUE = "xylofonđặcbiệt"
SEARCH = """query($q: String, $first: Int!) { search(query: $q, first: $first) {
  totalCount
  edges { node { id recordId } highlights { page snippet } }
  facets { issuingAgency { value count } documentType { value count } year { value count } } } }"""


@pytest.fixture(scope="module")
def signing_key() -> SigningKey:
    return SigningKey.generate()


@pytest.fixture
def secured_settings(stack_settings: Settings, signing_key: SigningKey, tmp_path: Path) -> Settings:
    """No dev admin; bearer tokens from one issuer, checked against a PEM key."""
    return bearer_settings(stack_settings, signing_key, tmp_path, oidc_role_map="archive-archivist=archivist")


@pytest.fixture
async def secured(secured_settings: Settings) -> AsyncIterator[Services]:
    async with open_services(secured_settings) as built:
        yield built


@pytest.fixture
async def http(secured: Services) -> AsyncIterator[httpx.AsyncClient]:
    async with api_client(secured) as c:
        yield c


async def post(http: httpx.AsyncClient, query: str, token: str | None = None, **variables: Any) -> Any:
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    response = await http.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    # Each request has its own id; equal answers must be equal without it.
    assert body.pop("extensions") == {"requestId": response.headers["x-request-id"]}
    return body


def global_id(record_id: str) -> str:
    return base64.urlsafe_b64encode(f"Record:{record_id}".encode()).decode()


def audit_actions(services: Services) -> list[str]:
    return [e.action for e in services.audit.entries()]


# --- nothing leaks ------------------------------------------------------------------------


async def test_a_secret_record_of_another_agency_leaves_no_trace(
    http: httpx.AsyncClient, secured: Services, signing_key: SigningKey
) -> None:
    # The reader is cleared for Mật, so only the agency keeps the record from them.
    reader = signing_key.token(clearance="CONFIDENTIAL", agencies=["UBND-HG"])
    await put(
        secured,
        make_record(agency="UBND-HG", subject="Kế hoạch văn bản điện tử"),
        make_record(agency="UBND-HG", subject="Báo cáo văn bản", document_type="Báo cáo"),
        make_record(agency="SO-TC", public=True, subject="Thông báo văn bản công khai"),
    )
    secret = make_record(
        agency="SO-TC",
        classification=Classification.CONFIDENTIAL,
        subject=f"Văn bản mật {UNIQUE}",
        text=f"văn bản {UNIQUE} nội dung mật",
        document_type="Công văn",
    )
    await put(secured, secret)

    def queries() -> list[tuple[str, dict[str, Any]]]:
        return [
            (SEARCH, {"q": UNIQUE, "first": 10}),
            (SEARCH, {"q": "văn bản", "first": 10}),
            (SEARCH, {"q": None, "first": 10}),
            (
                "query($id: ID!) { node(id: $id) { id } nodes(ids: [$id]) { id } record(id: $id) { id } }",
                {"id": global_id(secret.id)},
            ),
        ]

    with_secret = [await post(http, q, reader, **v) for q, v in queries()]
    assert with_secret[0]["data"]["search"]["totalCount"] == 0
    assert with_secret[0]["data"]["search"]["edges"] == []
    archivist = signing_key.token(sub="arch-1", roles=["archive-archivist"], clearance="SECRET", agencies=[])
    found = await post(http, SEARCH, archivist, q=UNIQUE, first=10)
    assert [e["node"]["recordId"] for e in found["data"]["search"]["edges"]] == [secret.id]

    # The same questions once the record does not exist at all.
    await secured.index.delete(secret.id)
    await secured.index.refresh()
    with engine_of(secured).begin() as conn:
        conn.execute(sa.delete(RecordRow).where(RecordRow.id == secret.id))  # type: ignore[arg-type]
    without = [await post(http, q, reader, **v) for q, v in queries()]
    assert with_secret == without

    random_id = global_id(str(uuid.uuid4()))
    missing = await post(
        http,
        "query($id: ID!) { node(id: $id) { id } nodes(ids: [$id]) { id } record(id: $id) { id } }",
        reader,
        id=random_id,
    )
    assert missing == with_secret[3] == {"data": {"node": None, "nodes": [None], "record": None}}


# --- who is calling -----------------------------------------------------------------------


async def test_every_bad_credential_gets_the_same_401(
    http: httpx.AsyncClient, secured: Services, signing_key: SigningKey
) -> None:
    good = signing_key.token()
    header, payload, _ = good.split(".")
    key, issued = secured.api_keys.create(
        name="portal", agencies=["UBND-HG"], roles=[Role.READER], clearance=Classification.ORDINARY
    )
    _, revoked = secured.api_keys.create(
        name="old", agencies=[], roles=[Role.READER], clearance=Classification.ORDINARY
    )
    secured.api_keys.revoke(revoked.key_id)
    none_alg = jwt.encode(jwt.decode(good, options={"verify_signature": False}), None, algorithm="none")
    bad: list[dict[str, str]] = [
        {"Authorization": f"Bearer {none_alg}"},
        {"Authorization": f"Bearer {_hs256_with_public_key(signing_key, good)}"},
        {"Authorization": f"Bearer {signing_key.token(aud='someone-else')}"},
        {"Authorization": f"Bearer {signing_key.token(exp=1_000_000, iat=999_000)}"},
        {"Authorization": f"Bearer {SigningKey.generate().token()}"},
        {"Authorization": f"Bearer {header}.{payload}.AAAA"},
        {"Authorization": "Bearer garbage"},
        {"Authorization": "Bearer "},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"X-API-Key": revoked.display},
        {"X-API-Key": f"ark_{'0' * 16}_{issued.secret}"},
        {"X-API-Key": issued.display[:-1] + ("A" if issued.display[-1] != "A" else "B")},
        {"X-API-Key": "ark_garbage"},
        {"Authorization": f"ApiKey {revoked.display}"},
    ]
    before = len(audit_actions(secured))
    bodies = set()
    for headers in bad:
        response = await http.post("/graphql", json={"query": "{ __typename }"}, headers=headers)
        assert response.status_code == 401, (headers, response.text)
        bodies.add(response.content)
    assert len(bodies) == 1
    assert json.loads(bodies.pop())["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    denied = audit_actions(secured)[before:]
    # The first refusal per client and reason is in the chain at once; repeats of a reason
    # are counted and written when the window ends (tests/api/test_audit_trust.py).
    assert set(denied) == {"auth.denied"} and 1 <= len(denied) <= len(bad)

    for headers in ({"Authorization": f"Bearer {good}"}, {"X-API-Key": issued.display}):
        response = await http.post("/graphql", json={"query": "{ __typename }"}, headers=headers)
        assert response.status_code == 200, response.text
    assert key.id == issued.key_id


def _hs256_with_public_key(key: SigningKey, good: str) -> str:
    """The key-confusion attack: an HMAC token whose secret is the public PEM."""
    claims = jwt.decode(good, options={"verify_signature": False})
    header = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').rstrip(b"=").decode()
    body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    import hashlib
    import hmac

    mac = hmac.new(key.public_pem.encode(), f"{header}.{body}".encode(), hashlib.sha256).digest()
    return f"{header}.{body}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"


async def test_anonymous_reads_public_records_only_and_can_be_turned_off(
    http: httpx.AsyncClient, secured: Services
) -> None:
    public = make_record(public=True, subject="Thông báo công khai")
    await put(secured, public, make_record(subject="Thông báo nội bộ"))
    body = await post(http, SEARCH, q="thong bao", first=10)
    assert [e["node"]["recordId"] for e in body["data"]["search"]["edges"]] == [public.id]

    secured.settings = secured.settings.model_copy(update={"anonymous_access": False})
    response = await http.post("/graphql", json={"query": "{ __typename }"})
    assert response.status_code == 401


async def test_api_key_principal_reads_its_agency(http: httpx.AsyncClient, secured: Services) -> None:
    own, other = make_record(agency="UBND-HG"), make_record(agency="SO-TC")
    await put(secured, own, other)
    _, issued = secured.api_keys.create(
        name="portal", agencies=["UBND-HG"], roles=[Role.READER], clearance=Classification.ORDINARY
    )
    response = await http.post(
        "/graphql",
        json={"query": SEARCH, "variables": {"q": None, "first": 10}},
        headers={"X-API-Key": issued.display},
    )
    assert [e["node"]["recordId"] for e in response.json()["data"]["search"]["edges"]] == [own.id]
    entries = [e for e in secured.audit.entries() if e.action == "search.read"]
    assert entries and json.loads(entries[-1].client)["api_key"] == issued.key_id
    assert entries[-1].details["ids"] == own.id


# --- writes -------------------------------------------------------------------------------

GRANT = """mutation($id: ID!, $g: String!) { grantRecordAccess(recordId: $id, grantee: $g) {
  __typename ... on GrantSuccess { record { rowVersion } grantee } ... on ForbiddenError { code }
  ... on NotFoundError { code message } ... on InvalidArgumentError { argument code } } }"""
REVOKE = GRANT.replace("grantRecordAccess", "revokeRecordAccess")


async def test_grants_by_the_owning_clerk_open_and_close_a_record(
    http: httpx.AsyncClient, secured: Services, signing_key: SigningKey
) -> None:
    record = make_record(agency="SO-TC", subject=f"Công văn {UNIQUE}")
    await put(secured, record)
    clerk = signing_key.token(sub="clerk-1", roles=["clerk"], agencies=["SO-TC"])
    outsider_clerk = signing_key.token(sub="clerk-2", roles=["clerk"], agencies=["UBND-HG"])
    bob = signing_key.token(sub="bob", agencies=["UBND-HG"])
    rid = global_id(record.id)

    async def bob_sees() -> bool:
        found = await post(http, SEARCH, bob, q=UNIQUE, first=5)
        direct = await post(http, "query($id: ID!) { record(id: $id) { id } }", bob, id=rid)
        assert (found["data"]["search"]["totalCount"] == 1) == (direct["data"]["record"] is not None)
        return direct["data"]["record"] is not None

    assert not await bob_sees()
    refused = await post(http, GRANT, outsider_clerk, id=rid, g="user:bob")
    random = await post(http, GRANT, outsider_clerk, id=global_id(str(uuid.uuid4())), g="user:bob")
    assert refused == random  # the outsider cannot even tell that the record exists
    assert refused["data"]["grantRecordAccess"]["__typename"] == "NotFoundError"
    bad = await post(http, GRANT, clerk, id=rid, g="everyone")
    assert bad["data"]["grantRecordAccess"] == {
        "__typename": "InvalidArgumentError",
        "argument": "grantee",
        "code": "VALIDATION",
    }

    granted = await post(http, GRANT, clerk, id=rid, g="user:bob")
    assert granted["data"]["grantRecordAccess"] == {
        "__typename": "GrantSuccess",
        "record": {"rowVersion": 2},
        "grantee": "user:bob",
    }
    assert await bob_sees()
    # Bob can read it now, but may not pass it on.
    passed_on = await post(http, GRANT, bob, id=rid, g="user:eve")
    assert passed_on["data"]["grantRecordAccess"] == {"__typename": "ForbiddenError", "code": "FORBIDDEN"}

    revoked = await post(http, REVOKE, clerk, id=rid, g="user:bob")
    assert revoked["data"]["revokeRecordAccess"]["record"] == {"rowVersion": 3}
    assert not await bob_sees()
    outcomes = [(e.action, str(e.outcome)) for e in secured.audit.entries() if e.action.startswith("grant.")]
    assert outcomes == [
        ("grant.add", "denied"),
        ("grant.add", "denied"),
        ("grant.add", "ok"),
        ("grant.add", "denied"),
        ("grant.revoke", "ok"),
    ]


async def test_deposit_needs_a_clerk_of_the_owning_agency(
    http: httpx.AsyncClient, secured: Services, signing_key: SigningKey
) -> None:
    from archive.samples import SampleDocument, render_pdf
    from tests.support.gql import DEPOSIT, METADATA

    DEPOSIT_F = DEPOSIT.replace(
        "... on FileRejectedError", "... on ForbiddenError { code message } ... on FileRejectedError"
    )

    async def deposit(token: str | None, agency: str) -> httpx.Response:
        ops = {
            "query": DEPOSIT_F,
            "variables": {"file": None, "metadata": {**METADATA, "agencyCode": agency}},
        }
        headers = {"X-Archive-Request": "1"}  # multipart needs it (CSRF)
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return await http.post(
            "/graphql",
            data={"operations": json.dumps(ops), "map": json.dumps({"0": ["variables.file"]})},
            files={"0": ("qđ.pdf", render_pdf(SampleDocument()), "application/pdf")},
            headers=headers,
        )

    clerk = signing_key.token(sub="clerk-1", roles=["clerk"], agencies=["UBND-HG"])
    reader = signing_key.token(sub="reader-1", roles=["reader"], agencies=["UBND-HG"])
    anonymous = await deposit(None, "UBND-HG")
    assert (
        anonymous.status_code == 403
        and anonymous.json()["errors"][0]["extensions"]["code"] == "CREDENTIALS_REQUIRED"
    )
    # A reader may not deposit at all: refused before its upload is read.
    refused = await deposit(reader, "UBND-HG")
    assert refused.status_code == 403 and refused.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    result = (await deposit(clerk, "SO-TC")).json()["data"]["depositRecord"]
    assert result["__typename"] == "ForbiddenError" and result["code"] == "FORBIDDEN"
    ok = (await deposit(clerk, "UBND-HG")).json()["data"]["depositRecord"]
    assert ok["__typename"] == "DepositSuccess"
    assert secured.records.count(secured_scope_all()) == 1
    trail = [
        (e.action, str(e.outcome), e.actor) for e in secured.audit.entries() if e.action == "record.deposit"
    ]
    assert trail == [
        ("record.deposit", "denied", "reader-1"),
        ("record.deposit", "denied", "clerk-1"),
        ("record.deposit", "ok", "clerk-1"),
    ]


def secured_scope_all():  # type: ignore[no-untyped-def]
    from archive.domain.access import UNRESTRICTED

    return UNRESTRICTED


# --- the audit log over GraphQL -----------------------------------------------------------

AUDIT = """query($f: AuditLogFilter, $first: Int!, $after: String) {
  auditLog(filter: $f, first: $first, after: $after) {
  edges { cursor node { seq actor action target outcome } } pageInfo { hasNextPage endCursor } } }"""


async def test_audit_log_is_for_archivists_and_admins(
    http: httpx.AsyncClient, secured: Services, signing_key: SigningKey
) -> None:
    secret = make_record(agency="UBND-HG", classification=Classification.CONFIDENTIAL)
    await put(secured, secret)
    reader = signing_key.token(sub="reader-1", clearance="CONFIDENTIAL")
    for _ in range(3):
        await post(http, "query($id: ID!) { record(id: $id) { id } }", reader, id=global_id(secret.id))
    refused = await post(http, AUDIT, reader, first=10)
    assert refused["data"] is None and refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    # Cleared for the record: an ORDINARY archivist would not see these entries at all.
    archivist = signing_key.token(sub="arch-1", roles=["archivist"], clearance="CONFIDENTIAL")
    page = await post(http, AUDIT, archivist, f={"action": "record.read", "actor": "reader-1"}, first=2)
    log = page["data"]["auditLog"]
    assert [e["node"]["target"] for e in log["edges"]] == [secret.id, secret.id]
    assert log["pageInfo"]["hasNextPage"] is True
    rest = await post(
        http, AUDIT, archivist, f={"action": "record.read"}, first=10, after=log["pageInfo"]["endCursor"]
    )
    assert len(rest["data"]["auditLog"]["edges"]) == 1
    seqs = [e["node"]["seq"] for e in log["edges"] + rest["data"]["auditLog"]["edges"]]
    assert seqs == sorted(seqs, reverse=True)


# --- downloads ----------------------------------------------------------------------------


async def test_download_links_expire_and_cannot_be_altered(
    http: httpx.AsyncClient, secured: Services, signing_key: SigningKey, stack: str
) -> None:
    import io

    from archive.samples import SampleDocument, render_pdf
    from archive.services.deposit import deposit
    from archive.services.identity import DEV_ADMIN
    from tests.e2e.documents import metadata_for
    from tests.e2e.test_deposit_search_download import fetch

    doc = SampleDocument()
    pdf = render_pdf(doc)
    record = await asyncio.to_thread(
        deposit, secured, DEV_ADMIN, io.BytesIO(pdf), filename="a.pdf", metadata=metadata_for(doc)
    )
    reader = signing_key.token(sub="reader-1", agencies=["UBND-HG"])
    body = await post(
        http, "query($id: ID!) { record(id: $id) { download { url } } }", reader, id=global_id(record.id)
    )
    url = body["data"]["record"]["download"]["url"]
    assert await fetch(http, url) == pdf

    altered = url[:-3] + ("AAA" if not url.endswith("AAA") else "BBB")
    if stack == "embedded":
        assert (await http.get(altered)).status_code == 404
        real_clock = secured.clock
        ttl = timedelta(seconds=secured.settings.download_url_ttl_seconds)
        secured.clock = lambda: real_clock() + ttl + timedelta(seconds=1)
        assert (await http.get(url)).status_code == 404
    else:
        async with _s3_client() as direct:
            assert (await direct.get(altered)).status_code == 403
    actions = audit_actions(secured)
    assert actions.count("download.issue") == 1
    assert actions.count("download.serve") == (1 if stack == "embedded" else 0)


def _s3_client() -> httpx.AsyncClient:
    import os
    import ssl

    ca_file = os.environ.get("ARCHIVE_TEST_S3_CA_FILE")
    return httpx.AsyncClient(verify=ssl.create_default_context(cafile=ca_file) if ca_file else True)
