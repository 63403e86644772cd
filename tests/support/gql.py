"""Small helpers to call the GraphQL endpoint in tests."""

from __future__ import annotations

import json
from typing import Any

import httpx

DEPOSIT = """
mutation Deposit($file: Upload!, $metadata: RecordMetadataInput!) {
  depositRecord(file: $file, metadata: $metadata) {
    __typename
    ... on DepositSuccess { record { id recordId documentNumber textStatus processing { status } } }
    ... on ValidationError { field message code }
    ... on DuplicateRecordError { code message existingRecord { id } }
    ... on FileRejectedError { code message }
  }
}"""

METADATA: dict[str, Any] = {
    "documentType": "Quyết định",
    "number": "123",
    "notation": "QĐ-UBND",
    "issuingAgencyCode": "UBND-HG",
    "issuingAgencyName": "Ủy ban nhân dân tỉnh Hà Giang",
    "issueDate": "2024-03-15",
    "subject": "Về việc áp dụng chữ ký số trong văn bản điện tử",
    "signerName": "Nguyễn Văn An",
    "signerPosition": "Chủ tịch",
    "direction": "OUTGOING",
}


async def post_deposit(
    client: httpx.AsyncClient, content: bytes, metadata: dict[str, Any], name: str = "văn bản.pdf"
) -> httpx.Response:
    operations = {"query": DEPOSIT, "variables": {"file": None, "metadata": metadata}}
    return await client.post(
        "/graphql",
        data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.file"]})},
        files={"0": (name, content, "application/pdf")},
        headers={"X-Archive-Request": "1"},  # multipart needs it (CSRF)
    )


async def deposit(
    client: httpx.AsyncClient, content: bytes, metadata: dict[str, Any], name: str = "văn bản.pdf"
) -> Any:
    response = await post_deposit(client, content, metadata, name)
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return body["data"]["depositRecord"]


async def gql(client: httpx.AsyncClient, query: str, **variables: Any) -> Any:
    response = await client.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200, response.text
    return response.json()
