"""Bad input gets a clear typed error and leaves nothing half-written."""

from __future__ import annotations

import json
import os
import ssl
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from archive.domain.access import UNRESTRICTED
from archive.domain.errors import IntegrityError
from archive.samples import SampleDocument, render_pdf
from archive.services.container import Services
from storage import LocalBlobStore
from tests.support import hostile
from tests.support.gql import DEPOSIT, METADATA, deposit, gql, post_deposit


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
        ({"recipients": [f"Sở {i}" for i in range(201)]}, "recipients"),
        ({"recipients": ["x" * 301]}, "recipients"),
        ({"pageCount": 100_001}, "page_count"),
    ],
    ids=[
        "subject-too-long",
        "subject-blank",
        "future-date",
        "number-with-slash",
        "public-secret",
        "arrival-out",
        "201-recipients",
        "recipient-too-long",
        "page-count-too-large",
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


# --- issue 10, finding 4: file names and downloads ------------------------------------------

UNSAFE = "\x00\x0b\n\r\x1b\x7f\x85\u202e\u202a\u2066\u2069\u200e\u200f\u061c"


async def post_named(client: httpx.AsyncClient, content: bytes, disposition: bytes) -> Any:
    """A deposit whose file part carries ``disposition`` byte for byte (httpx would escape it)."""
    boundary = b"archive-test-boundary"
    operations = json.dumps({"query": DEPOSIT, "variables": {"file": None, "metadata": METADATA}})
    body = b"\r\n".join(
        [
            b"--" + boundary,
            b'Content-Disposition: form-data; name="operations"',
            b"",
            operations.encode(),
            b"--" + boundary,
            b'Content-Disposition: form-data; name="map"',
            b"",
            b'{"0": ["variables.file"]}',
            b"--" + boundary,
            b'Content-Disposition: form-data; name="0"; ' + disposition,
            b"Content-Type: application/pdf",
            b"",
            content,
            b"--" + boundary + b"--",
            b"",
        ]
    )
    headers = {"content-type": f"multipart/form-data; boundary={boundary.decode()}", "X-Archive-Request": "1"}
    response = await client.post("/graphql", content=body, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["data"]["depositRecord"]


async def download_response(client: httpx.AsyncClient, global_id: str) -> httpx.Response:
    body = await gql(client, "query($id: ID!) { record(id: $id) { download { url } } }", id=global_id)
    url = body["data"]["record"]["download"]["url"]
    if url.startswith(str(client.base_url)):
        return await client.get(url)
    ca_file = os.environ.get("ARCHIVE_TEST_S3_CA_FILE")
    async with httpx.AsyncClient(
        verify=ssl.create_default_context(cafile=ca_file) if ca_file else True
    ) as s3:
        return await s3.get(url)


@pytest.mark.parametrize(
    "disposition",
    [
        'filename="invoice\x0b\x00\x1b[31m\x7f\u0085\u202efdp.exe\u2066\u200f.pdf"'.encode(),
        b'filename="in\nvoice\xe2\x80\xaefdp.exe.pdf"',
    ],
    ids=["raw-controls-and-bidi", "bare-newline"],
)
async def test_control_and_bidi_characters_never_reach_a_file_name(
    client: httpx.AsyncClient, services: Services, disposition: bytes
) -> None:
    pdf = render_pdf(SampleDocument())
    result = await post_named(client, pdf, disposition)
    assert result["__typename"] == "DepositSuccess", result
    record = services.records.get(result["record"]["recordId"], UNRESTRICTED)
    assert record is not None
    name = record.file.original_filename
    assert not set(name) & set(UNSAFE), repr(name)
    assert "voice" in name and name.endswith(".pdf")
    served = await download_response(client, result["record"]["id"])
    assert served.status_code == 200 and served.content == pdf
    header = served.headers["content-disposition"]
    assert header.isascii() and not set(header) & set(UNSAFE)
    assert header.endswith(".pdf")


async def test_the_download_extension_follows_the_detected_type(client: httpx.AsyncClient) -> None:
    result = await deposit(client, render_pdf(SampleDocument()), METADATA, name="x.html")
    served = await download_response(client, result["record"]["id"])
    assert served.status_code == 200 and served.headers["content-type"].startswith("application/pdf")
    assert served.headers["content-disposition"] == "attachment; filename=\"x.pdf\"; filename*=UTF-8''x.pdf"


async def test_download_serve_is_audited_with_its_real_outcome(
    client: httpx.AsyncClient, services: Services, stack: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if stack != "embedded":
        pytest.skip("presigned S3 downloads are served by the S3 server; only their issue is audited")
    pdf = render_pdf(SampleDocument())
    result = await deposit(client, pdf, METADATA)
    served = await download_response(client, result["record"]["id"])
    assert served.content == pdf
    real_iter_bytes = services.blobs.iter_bytes

    def breaks_after_one_chunk(key: str, *, version_id: str | None = None) -> Iterator[bytes]:
        chunks = real_iter_bytes(key, version_id=version_id)

        def stream() -> Iterator[bytes]:
            yield next(iter(chunks))[:100]
            raise IntegrityError("the stored bytes changed")

        return stream()

    monkeypatch.setattr(services.blobs, "iter_bytes", breaks_after_one_chunk)
    with pytest.raises(IntegrityError):
        await download_response(client, result["record"]["id"])
    monkeypatch.undo()
    record = services.records.get(result["record"]["recordId"], UNRESTRICTED)
    assert isinstance(services.blobs, LocalBlobStore) and record is not None
    (services.blobs.root / "data" / record.file.storage_key).unlink()  # the bytes vanish
    gone = await download_response(client, result["record"]["id"])
    assert gone.status_code == 503 and gone.json()["code"] == "BYTES_UNAVAILABLE"

    serves = [e for e in services.audit.entries() if e.action == "download.serve"]
    assert [(str(e.outcome), e.details.get("reason"), e.details["sent"]) for e in serves] == [
        ("ok", None, len(pdf)),
        ("error", "INTEGRITY", 100),
        ("error", "NOT_FOUND", 0),
    ]


async def test_a_file_part_without_a_file_name_is_rejected(
    client: httpx.AsyncClient, services: Services
) -> None:
    # RFC 2231 ``filename*`` alone is not a file to the multipart parser: the part arrives
    # as text, which once crashed the resolver with a 500.
    result = await post_named(client, render_pdf(SampleDocument()), b"filename*=UTF-8''x.pdf")
    assert result["__typename"] == "FileRejectedError" and result["code"] == "FILE_REJECTED"
    await assert_nothing_written(services)


# --- issue 10, finding 8: processing errors reach callers as codes ------------------------------

PROCESSING = "query($id: ID!) { record(id: $id) { processing { status attempts error errorCode } } }"


async def test_processing_errors_are_codes_not_exception_text(
    client: httpx.AsyncClient, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    from archive.domain.processing import ExtractionReport
    from archive.domain.records import TextStatus
    from archive.services import worker

    result = await deposit(client, render_pdf(SampleDocument()), METADATA)
    leaky = "date value out of range in /srv/archive/secret-path.py, password=hunter2"

    async def crashes(*args: object, **kwargs: object) -> None:
        raise OverflowError(leaky)

    monkeypatch.setattr(worker, "run_pipeline", crashes)
    assert await worker.run_one(services, "test-worker") is not None
    shown = (await gql(client, PROCESSING, id=result["record"]["id"]))["data"]["record"]["processing"]
    assert shown["errorCode"] == "PROCESSING_FAILED" and shown["attempts"] == 1
    assert "hunter2" not in json.dumps(shown) and "secret-path" not in json.dumps(shown)
    (job,) = services.jobs.list()
    assert job.last_error is not None and "hunter2" not in job.last_error  # the raw text is only logged

    # The extractor's own words (library errors, temp paths) stay out too.
    other = await deposit(client, render_pdf(SampleDocument(number="2")), {**METADATA, "number": "2"})
    report = ExtractionReport(status=TextStatus.FAILED, error="PdfiumError: /tmp/upload-x1 is broken")
    services.results.save_extraction(other["record"]["recordId"], report)
    shown = (await gql(client, PROCESSING, id=other["record"]["id"]))["data"]["record"]["processing"]
    assert shown["errorCode"] == "EXTRACTION_FAILED" and "/tmp/" not in shown["error"]
