"""``importEdxml`` over multipart GraphQL on both stacks: a new package with two attachments,
the same again (no-op), an update and a revoke, the older namespace, a bad package; the
source package downloads byte-identical; search finds what the packages say. The rule's
differential is tests/contract/test_intake_differential.py.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from archive.domain.edxml import NAMESPACE_LEGACY
from archive.samples import SampleDocument, render_pdf
from archive.services.container import Services
from archive.services.worker import drain
from tests.support.edxml import AttachmentSpec, EdxmlSpec, pdf_attachment
from tests.support.graphql import api_client, fetch, search_ids

AGENCY = "H10"
IMPORT = """
mutation Import($package: Upload!, $agency: String) {
  importEdxml(package: $package, agencyCode: $agency) {
    __typename
    ... on EdxmlImported {
      created
      intake { senderOrganId documentId businessType status signature trace { organId timestamp } }
      record {
        id subject status: lifecycle { status }
        edxmlIntakes { businessType signature }
        files { role current { sha256 originalFilename download { url } } versions { number } }
      }
    }
    ... on EdxmlRefusedError { code part message }
    ... on ForbiddenError { code }
  }
}"""


async def import_edxml(client: httpx.AsyncClient, data: bytes, name: str = "goi.edxml") -> Any:
    operations = {"query": IMPORT, "variables": {"package": None, "agency": AGENCY}}
    response = await client.post(
        "/graphql",
        data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.package"]})},
        files={"0": (name, data, "application/xml")},
        headers={"X-Archive-Request": "1"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return body["data"]["importEdxml"]


def two_attachments() -> EdxmlSpec:
    appendix = render_pdf(SampleDocument(number="88-PL", subject="Phụ lục"))
    return EdxmlSpec(
        number="88",
        attachments=(
            pdf_attachment(render_pdf(SampleDocument(number="88")), "QD-88.pdf"),
            AttachmentSpec("PL-88.pdf", appendix),
        ),
        appendixes=("PL-88.pdf",),
    )


async def test_import_over_graphql_and_the_source_downloads_byte_identical(services: Services) -> None:
    spec = two_attachments()
    package = spec.build()
    async with api_client(services) as client:
        first = await import_edxml(client, package)
        assert first["__typename"] == "EdxmlImported", first
        assert first["created"] is True
        intake = first["intake"]
        assert (intake["businessType"], intake["status"], intake["signature"]) == (
            "NEW",
            "APPLIED",
            "PLACEHOLDER",
        )
        assert intake["documentId"] == spec.the_document_id and intake["trace"][0]["organId"] == spec.sender
        record = first["record"]
        assert [f["role"] for f in record["files"]] == ["MAIN", "APPENDIX", "SOURCE"]
        source = record["files"][2]["current"]
        assert await fetch(client, source["download"]["url"]) == package

        again = await import_edxml(client, package)
        assert (again["created"], again["record"]["id"]) == (False, record["id"])

        update = spec.but(business=2, subject="Quyết định 88 (đính chính trích yếu)")
        updated = await import_edxml(client, update.build())
        assert updated["intake"]["businessType"] == "UPDATE" and updated["record"]["id"] == record["id"]
        assert updated["record"]["subject"] == update.subject
        assert [len(f["versions"]) for f in updated["record"]["files"]] == [1, 1, 2]

        revoked = await import_edxml(client, spec.but(business=1, reason="Thu hồi").build())
        assert revoked["record"]["status"]["status"] == "REVOKED"
        assert [i["businessType"] for i in revoked["record"]["edxmlIntakes"]] == ["NEW", "UPDATE", "REVOKE"]
        assert {i["signature"] for i in revoked["record"]["edxmlIntakes"]} == {"PLACEHOLDER"}

        legacy = EdxmlSpec(
            namespace=NAMESPACE_LEGACY,
            number="89",
            attachments=(pdf_attachment(render_pdf(SampleDocument(number="89")), "QD-89.pdf"),),
        )
        assert (await import_edxml(client, legacy.build()))["created"] is True

        bad = await import_edxml(client, spec.but(omit=("From",), number="90").build())
        assert bad == {
            "__typename": "EdxmlRefusedError",
            "code": "PACKAGE_REFUSED",
            "part": "MessageHeader/From",
            "message": "MessageHeader/From: is missing",
        }


async def test_search_finds_what_the_packages_say(services: Services) -> None:
    """The worker processes an imported record like any deposit: its number and its text
    are found; after a revoke package it leaves default results and the filter brings it back."""
    spec = EdxmlSpec(
        number="301",
        notation="CV-UBND",
        subject="Công văn về chữ ký số trong văn bản liên thông",
        attachments=(pdf_attachment(render_pdf(SampleDocument(number="301")), "CV-301.pdf"),),
    )
    async with api_client(services) as client:
        record_id = (await import_edxml(client, spec.build()))["record"]["id"]
        await drain(services)
        await services.index.refresh()
        assert (await search_ids(client, "301/CV-UBND"))[1] == {record_id}
        assert record_id in (await search_ids(client, "chu ky so lien thong"))[1]

        await import_edxml(client, spec.but(business=1, reason="Ban hành sai thẩm quyền").build())
        await drain(services)
        await services.index.refresh()
        assert (await search_ids(client, "301/CV-UBND"))[1] == set()
        assert (await search_ids(client, "301/CV-UBND", includeRevoked=True))[1] == {record_id}
