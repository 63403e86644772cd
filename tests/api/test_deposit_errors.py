"""Bad input gets a clear typed error and leaves nothing half-written."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from archive.domain.access import UNRESTRICTED
from archive.samples import SampleDocument, render_pdf
from archive.services.container import Services
from tests.support import hostile
from tests.support.gql import METADATA, deposit, gql, post_deposit


def stored_keys(services: Services) -> list[str]:
    return list(services.blobs.list_keys("records/"))


async def assert_nothing_written(services: Services) -> None:
    assert services.records.count(UNRESTRICTED) == 0
    assert stored_keys(services) == []
    assert sum(services.jobs.counts().values()) == 0


@pytest.mark.parametrize(
    ("build", "fragment"),
    [
        (hostile.empty_file, "the file is empty"),
        (hostile.garbage_file, "not a supported document"),
        (hostile.garbage_pdf, "corrupt PDF"),
        (hostile.truncated_pdf, "corrupt PDF: the file is truncated"),
        (hostile.encrypted_pdf, "encrypted"),
    ],
    ids=["empty", "not-a-pdf", "garbage-pdf", "truncated", "encrypted"],
)
async def test_unreadable_files_are_rejected(
    client: httpx.AsyncClient,
    services: Services,
    tmp_path: Path,
    build: Callable[[Path], Path],
    fragment: str,
) -> None:
    content = build(tmp_path / "upload").read_bytes()
    result = await deposit(client, content, METADATA)
    assert result["__typename"] == "FileRejectedError", result
    assert result["code"] == "FILE_REJECTED"
    assert fragment.lower() in result["message"].lower()
    await assert_nothing_written(services)


async def test_a_file_over_the_limit_is_rejected(client: httpx.AsyncClient, services: Services) -> None:
    services.settings.max_upload_bytes = 10_000
    result = await deposit(client, render_pdf(SampleDocument()), METADATA)
    assert result["__typename"] == "FileRejectedError"
    assert result["code"] == "FILE_TOO_LARGE"
    await assert_nothing_written(services)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"subject": "x" * 501}, "subject"),
        ({"subject": "   "}, "subject"),
        ({"issueDate": (date.today() + timedelta(days=2)).isoformat()}, "issue_date"),
        ({"number": "123/QĐ"}, "number"),
        ({"isPublic": True, "classification": "CONFIDENTIAL"}, "is_public"),
        ({"arrivalNumber": "12"}, "arrival_number"),
    ],
    ids=[
        "subject-too-long",
        "subject-blank",
        "future-date",
        "number-with-slash",
        "public-secret",
        "arrival-out",
    ],
)
async def test_invalid_metadata_names_the_field(
    client: httpx.AsyncClient, services: Services, change: dict[str, Any], field: str
) -> None:
    result = await deposit(client, render_pdf(SampleDocument()), {**METADATA, **change})
    assert result == {
        "__typename": "ValidationError",
        "field": field,
        "message": result["message"],
        "code": "VALIDATION",
    }
    assert result["message"]
    await assert_nothing_written(services)


async def test_unknown_confidentiality_level_is_a_graphql_error_with_a_code(
    client: httpx.AsyncClient, services: Services
) -> None:
    response = await post_deposit(
        client, render_pdf(SampleDocument()), {**METADATA, "classification": "SUPER"}
    )
    body = response.json()
    assert body.get("data") is None
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "SUPER" in body["errors"][0]["message"]
    await assert_nothing_written(services)


async def test_missing_metadata_is_refused(client: httpx.AsyncClient, services: Services) -> None:
    partial = {k: v for k, v in METADATA.items() if k != "signerName"}
    body = (await post_deposit(client, render_pdf(SampleDocument()), partial)).json()
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "signerName" in body["errors"][0]["message"]
    await assert_nothing_written(services)


async def test_the_same_bytes_twice_is_a_duplicate(client: httpx.AsyncClient, services: Services) -> None:
    pdf = render_pdf(SampleDocument())
    first = await deposit(client, pdf, METADATA)
    again = await deposit(client, pdf, METADATA, name="other-name.pdf")
    assert again["__typename"] == "DuplicateRecordError"
    assert again["existingRecord"] == {"id": first["record"]["id"]}
    assert services.records.count(UNRESTRICTED) == 1
    assert len(stored_keys(services)) == 1


async def test_the_storage_key_never_comes_from_the_file_name(
    client: httpx.AsyncClient, services: Services
) -> None:
    result = await deposit(client, render_pdf(SampleDocument()), METADATA, name="../../etc/passwd.pdf")
    assert result["__typename"] == "DepositSuccess"
    (key,) = stored_keys(services)
    assert "passwd" not in key and ".." not in key
    record = services.records.get(result["record"]["recordId"], UNRESTRICTED)
    assert record is not None and record.file.original_filename == "passwd.pdf"


@pytest.mark.parametrize(
    "cursor", ["not-base64!!", "bm90IGpzb24=", "W10=", "eyJhIjoxfQ==", "WyJhIiwgdHJ1ZV0="]
)
async def test_a_malformed_cursor_is_a_typed_error(client: httpx.AsyncClient, cursor: str) -> None:
    body = await gql(client, "query($a: String) { search(first: 5, after: $a) { totalCount } }", a=cursor)
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "INVALID_CURSOR"


async def test_page_size_is_bounded(client: httpx.AsyncClient, services: Services) -> None:
    too_many = services.settings.max_page_size + 1
    body = await gql(client, "query($n: Int!) { search(first: $n) { totalCount } }", n=too_many)
    assert body["errors"][0]["extensions"]["code"] == "INVALID_QUERY"


async def test_unexpected_errors_are_masked(
    client: httpx.AsyncClient, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(request: object) -> object:
        raise RuntimeError("psycopg: password=hunter2 at 10.0.0.7")  # a bug's details must not leak

    monkeypatch.setattr(services.index, "search", broken)
    body = await gql(client, "{ search(first: 5) { totalCount } }")
    (error,) = body["errors"]
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR"}
    assert error["message"] == "Unexpected error."
