"""``importTransferPackage`` over HTTP (multipart), on both stacks: a good package is imported,
a bad one answers PackageRefusedError listing its failures, and nothing of it is stored."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from archive.domain.access import UNRESTRICTED
from archive.domain.audit import COUNT_DETAIL, IDS_DETAIL
from archive.services.container import Services
from tests.support.bad_packages import mutated
from tests.support.transfer import documents, make_package

IMPORT = """
mutation Import($package: Upload!) {
  importTransferPackage(package: $package) {
    __typename
    ... on ImportPackageSuccess { objid recordIds created dossier { fileCode status } }
    ... on PackageRefusedError { code message failures { check part problem } }
    ... on ForbiddenError { code }
    ... on FileRejectedError { code }
  }
}"""


async def post_package(client: httpx.AsyncClient, path: Path) -> Any:
    operations = {"query": IMPORT, "variables": {"package": None}}
    response = await client.post(
        "/graphql",
        data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.package"]})},
        files={"0": (path.name, path.read_bytes(), "application/zip")},
        headers={"X-Archive-Request": "1"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return body["data"]["importTransferPackage"]


async def test_import_a_package_over_graphql(
    client: httpx.AsyncClient, services: Services, tmp_path: Path
) -> None:
    good = make_package(tmp_path / "good.zip", documents(2))
    bad = mutated(good, tmp_path / "bad.zip", add={"../evil.pdf": b"%PDF-1.4"})
    refused = await post_package(client, bad)
    assert refused["__typename"] == "PackageRefusedError" and refused["code"] == "PACKAGE_INVALID"
    assert [(f["check"], f["part"]) for f in refused["failures"]] == [("path", "../evil.pdf")]
    assert services.records.count(UNRESTRICTED) == 0

    done = await post_package(client, good)
    assert done["__typename"] == "ImportPackageSuccess" and done["created"] is True
    assert done["dossier"] == {"fileCode": "A.2025.01-HS", "status": "CLOSED"}
    again = await post_package(client, good)
    assert (again["created"], again["recordIds"]) == (False, done["recordIds"])

    # The audit entries of the three imports, as the service wrote them before and since
    # it shares audit.append_for: who, what, and every detail.
    entries = [e for e in services.audit.entries() if e.action == "transfer.import"]
    assert [(str(e.outcome), e.actor) for e in entries] == [
        ("error", "dev-admin"),
        ("ok", "dev-admin"),
        ("ok", "dev-admin"),
    ]
    assert dict(entries[0].details) == {"code": "PACKAGE_INVALID", "failures": 1}
    ids = ",".join(done["recordIds"])
    assert [dict(e.details) for e in entries[1:]] == [
        {"objid": done["objid"], IDS_DETAIL: ids, COUNT_DETAIL: 2, "created": created}
        for created in (True, False)
    ]
