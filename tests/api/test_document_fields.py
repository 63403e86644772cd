"""The document fields of Circular 05/2025 over GraphQL, on both stacks: a deposit takes
them (codes or Vietnamese names) and the record gives them back; bad values are refused
naming the field and listing the allowed ones, with nothing written; and a mode-02
(conditional use) record stays invisible to another agency's archivist until granted."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from archive.db.tables import RecordRow
from archive.domain.access import UNRESTRICTED
from archive.samples import SampleDocument, render_pdf
from archive.services.container import Services
from archive.services.worker import drain
from archive.settings import Settings
from tests.support.access import SigningKey, bearer_settings, make_record, put
from tests.support.db import engine_of
from tests.support.gql import METADATA, deposit, gql
from tests.support.graphql import api_client, open_services

FIELDS = """typeName documentType language mode isPublic confidenceLevel keyword inforSign
  autograph format process description issuedAmount"""
RECORD = "query($id: ID!) { record(id: $id) { " + FIELDS + " } }"
TT05 = {
    "typeName": "cong van",
    "language": ["vi", "Tiếng Anh"],
    "mode": "02",
    "keyword": "đất đai; giải phóng mặt bằng",
    "inforSign": "TT-07",
    "autograph": "Đồng ý, giao Sở Tài chính",
    "format": "tốt",
    "process": True,
    "description": "Bản chính",
    "issuedAmount": 3,
}


def global_id(record_id: str) -> str:
    return base64.urlsafe_b64encode(f"Record:{record_id}".encode()).decode()


async def test_a_deposit_takes_the_document_fields_and_the_record_gives_them_back(
    client: httpx.AsyncClient, services: Services
) -> None:
    metadata = {k: v for k, v in METADATA.items() if k != "documentType"} | TT05
    result = await deposit(client, render_pdf(SampleDocument()), metadata)
    assert result["__typename"] == "DepositSuccess", result
    rid = global_id(result["record"]["recordId"])

    body = await gql(client, RECORD, id=rid)
    assert body["data"]["record"] == {
        "typeName": "22",
        "documentType": "Công văn",  # the code's label, what rules and search match on
        "language": ["01", "02"],
        "mode": "02",
        "isPublic": False,
        "confidenceLevel": None,  # not extracted yet
        "keyword": "đất đai; giải phóng mặt bằng",
        "inforSign": "TT-07",
        "autograph": "Đồng ý, giao Sở Tài chính",
        "format": "01",
        "process": True,
        "description": "Bản chính",
        "issuedAmount": 3,
    }
    await drain(services)
    await services.index.refresh()
    processed = await gql(client, RECORD, id=rid)
    assert processed["data"]["record"]["confidenceLevel"] == "01"  # a text-layer PDF
    found = await gql(client, '{ search(query: "giai phong mat bang", first: 5) { totalCount } }')
    assert found["data"]["search"]["totalCount"] == 1  # the keyword is searchable


async def test_mode_01_publishes_and_a_free_text_type_keeps_its_text(
    client: httpx.AsyncClient, services: Services
) -> None:
    metadata = METADATA | {"documentType": "Quyết định cá biệt", "mode": "Công khai"}
    result = await deposit(client, render_pdf(SampleDocument()), metadata)
    assert result["__typename"] == "DepositSuccess", result
    body = await gql(client, RECORD, id=global_id(result["record"]["recordId"]))
    record = body["data"]["record"]
    assert (record["typeName"], record["documentType"]) == ("32", "Quyết định cá biệt")
    assert (record["mode"], record["isPublic"], record["language"]) == ("01", True, ["01"])


@pytest.mark.parametrize(
    ("change", "field", "fragment"),
    [
        ({"typeName": "Sắc lệnh"}, "type_name", "32 (Khác)"),
        ({"documentType": ""}, "document_type", "is required"),
        ({"language": ["vi", "Klingon"]}, "language", "11 (Khác)"),
        ({"language": []}, "language", "1 to 20"),
        ({"mode": "04"}, "mode", "02 (Sử dụng có điều kiện)"),
        ({"mode": "03"}, "mode", "needs a classification"),
        ({"mode": "02", "classification": "SECRET"}, "mode", "has mode 03"),
        ({"mode": "02", "isPublic": True}, "is_public", "mode 01 is"),
        ({"format": "rách"}, "physical_format", "03 (Hư hỏng)"),
        ({"issuedAmount": 0}, "issued_amount", "between 1 and"),
        ({"keyword": "k" * 101}, "keyword", "longer than 100"),
        ({"inforSign": "s" * 31}, "infor_sign", "longer than 30"),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
async def test_bad_document_fields_are_refused_naming_the_field(
    client: httpx.AsyncClient, services: Services, change: dict[str, Any], field: str, fragment: str
) -> None:
    result = await deposit(client, render_pdf(SampleDocument()), METADATA | change)
    assert result["__typename"] == "ValidationError", result
    assert (result["field"], result["code"]) == (field, "VALIDATION")
    assert fragment in result["message"], result["message"]
    assert services.records.count(UNRESTRICTED) == 0
    assert list(services.blobs.list_keys("records/")) == []


# --- conditional use over HTTP --------------------------------------------------------------

UNIQUE = "hoaphongdieukien"
SEARCH = """query($q: String) { search(query: $q, first: 10) {
  totalCount edges { node { recordId } highlights { snippet } }
  facets { issuingAgency { value count } documentType { value count } year { value count } } } }"""
GRANT = """mutation($id: ID!, $g: String!) { grantRecordAccess(recordId: $id, grantee: $g) { __typename } }"""


@pytest.fixture
async def secured(stack_settings: Settings, tmp_path: Path) -> AsyncIterator[tuple[Services, SigningKey]]:
    key = SigningKey.generate()
    settings = bearer_settings(stack_settings, key, tmp_path, oidc_role_map="archive-archivist=archivist")
    async with open_services(settings) as built:
        yield built, key


async def post(http: httpx.AsyncClient, token: str, query: str, **variables: Any) -> Any:
    response = await http.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    body.pop("extensions")
    return body


async def test_a_conditional_record_is_invisible_to_other_archivists_until_granted(
    secured: tuple[Services, SigningKey],
) -> None:
    services, key = secured
    plain = make_record(agency="SO-TC", subject=f"Kế hoạch {UNIQUE} công khai nội bộ")
    conditional = make_record(
        agency="SO-TC", subject=f"Kế hoạch {UNIQUE} có điều kiện", document_type="Kế hoạch"
    )
    conditional = replace(conditional, metadata=replace(conditional.metadata, mode="02"))
    await put(services, plain, conditional)
    archivist = key.token(sub="arch-b", roles=["archive-archivist"], agencies=["UBND-HG"])
    member = key.token(sub="reader-tc", agencies=["SO-TC"])
    clerk = key.token(sub="clerk-tc", roles=["clerk"], agencies=["SO-TC"])
    rid = global_id(conditional.id)
    questions: list[tuple[str, dict[str, Any]]] = [
        (SEARCH, {"q": UNIQUE}),
        (SEARCH, {"q": None}),
        ("query($id: ID!) { node(id: $id) { id } record(id: $id) { recordId } }", {"id": rid}),
    ]

    async with api_client(services) as http:
        own = await post(http, member, SEARCH, q=UNIQUE)
        assert own["data"]["search"]["totalCount"] == 2  # its own agency reads both
        hidden = [await post(http, archivist, q, **v) for q, v in questions]
        assert [e["node"]["recordId"] for e in hidden[0]["data"]["search"]["edges"]] == [plain.id]
        assert hidden[2]["data"] == {"node": None, "record": None}

        granted = await post(http, clerk, GRANT, id=rid, g="user:arch-b")
        assert granted["data"]["grantRecordAccess"]["__typename"] == "GrantSuccess"
        opened = await post(http, archivist, SEARCH, q=UNIQUE)
        assert opened["data"]["search"]["totalCount"] == 2
        await post(
            http, clerk, GRANT.replace("grantRecordAccess", "revokeRecordAccess"), id=rid, g="user:arch-b"
        )

        # The same questions once the record does not exist at all: the same answers.
        await services.index.delete(conditional.id)
        await services.index.refresh()
        with engine_of(services).begin() as conn:
            conn.execute(sa.delete(RecordRow).where(RecordRow.id == conditional.id))  # type: ignore[arg-type]
        absent = [await post(http, archivist, q, **v) for q, v in questions]
    assert hidden == absent
