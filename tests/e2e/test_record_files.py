"""Several files per record, and file versions, end to end on both stacks: a deposit with
a main file, two appendices and a source package; search hits in an appendix that name
the file and the page; every file (and every version) downloads byte-identical; a new
version keeps the old one retrievable while search shows the new; a failure while
storing the third file leaves nothing behind."""

from __future__ import annotations

import io
import json
from typing import Any, BinaryIO

import httpx
import pytest
from fpdf import FPDF

from archive.domain.access import Principal, Role
from archive.domain.errors import FileRejected, StorageUnavailable
from archive.domain.files import FileRole
from archive.domain.records import Classification
from archive.samples import SampleDocument, render_pdf, vietnamese_font
from archive.services.container import Services
from archive.services.deposit import Upload, deposit
from archive.services.worker import drain
from tests.e2e.documents import metadata_for
from tests.e2e.test_deposit_search_download import fetch
from tests.support.gql import METADATA, gql

DEPOSIT_FILES = """
mutation Deposit($file: Upload!, $metadata: RecordMetadataInput!, $files: [RecordFileInput!]) {
  depositRecord(file: $file, metadata: $metadata, files: $files) {
    __typename
    ... on DepositSuccess { record { id files { id role ordinal current { originalFilename sha256 } } } }
    ... on FileRejectedError { code message }
  }
}"""

ADD_VERSION = """
mutation Add($record: ID!, $fileId: ID!, $file: Upload!, $reason: String!) {
  addFileVersion(recordId: $record, fileId: $fileId, file: $file, reason: $reason) {
    __typename
    ... on FileVersionAdded { file { id current { number sha256 reason } versions { number } } }
    ... on FileVersionRejectedError { code message }
    ... on ForbiddenError { code }
    ... on NotFoundError { code }
  }
}"""

FILES = """
query($id: ID!) { record(id: $id) {
  textStatus download { url } pages { number }
  files { id role current { number sha256 download { url } }
          versions { number sha256 reason download { url } } pages { number text } }
} }"""

SEARCH = """
query($q: String) { search(query: $q, first: 10) {
  totalCount
  edges { node { id } highlights { page snippet file { id role current { originalFilename } } } }
} }"""

SOURCE = b'<?xml version="1.0" encoding="UTF-8"?><edXML><edXMLEnvelope/></edXML>'


def pages_pdf(*pages: str) -> bytes:
    """A text PDF with one paragraph per page."""
    pdf = FPDF(format="A4")
    pdf.add_font("viet", "", str(vietnamese_font()))
    for text in pages:
        pdf.add_page()
        pdf.set_font("viet", size=12)
        pdf.multi_cell(0, 7, text)
    return bytes(pdf.output())


APPENDIX_1 = pages_pdf("Phụ lục I. Danh sách cán bộ tham gia tập huấn.")
APPENDIX_2 = pages_pdf("Phụ lục II. Kinh phí thực hiện.", "Danh mục máy phát điện dự phòng cấp xã.")


async def post(
    client: httpx.AsyncClient, query: str, variables: dict[str, Any], files: dict[str, tuple[str, bytes]]
) -> Any:
    """A multipart GraphQL request: each file named by its variable path."""
    mapping = {str(i): [path] for i, path in enumerate(files)}
    parts = {
        str(i): (name, content, "application/octet-stream")
        for i, (name, content) in enumerate(files.values())
    }
    response = await client.post(
        "/graphql",
        data={"operations": json.dumps({"query": query, "variables": variables}), "map": json.dumps(mapping)},
        files=parts,
        headers={"X-Archive-Request": "1"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


async def deposit_four(client: httpx.AsyncClient, main: bytes) -> Any:
    variables = {
        "file": None,
        "metadata": METADATA,
        "files": [
            {"file": None, "role": "APPENDIX"},
            {"file": None, "role": "APPENDIX"},
            {"file": None, "role": "SOURCE"},
        ],
    }
    files = {
        "variables.file": ("văn bản.pdf", main),
        "variables.files.0.file": ("phụ lục 1.pdf", APPENDIX_1),
        "variables.files.1.file": ("phụ lục 2.pdf", APPENDIX_2),
        "variables.files.2.file": ("goi tin.edxml", SOURCE),
    }
    return (await post(client, DEPOSIT_FILES, variables, files))["depositRecord"]


async def test_a_record_with_appendices_is_searched_by_file_and_page_and_each_file_downloads(
    client: httpx.AsyncClient, services: Services
) -> None:
    main = render_pdf(SampleDocument())
    result = await deposit_four(client, main)
    assert result["__typename"] == "DepositSuccess", result
    files = result["record"]["files"]
    assert [(f["role"], f["ordinal"]) for f in files] == [
        ("MAIN", 0),
        ("APPENDIX", 1),
        ("APPENDIX", 2),
        ("SOURCE", 3),
    ]
    assert files[2]["current"]["originalFilename"] == "phụ lục 2.pdf"
    record_id = result["record"]["id"]

    assert await drain(services) == 1
    await services.index.refresh()

    found = (await gql(client, SEARCH, q='"may phat dien"'))["data"]["search"]
    assert [e["node"]["id"] for e in found["edges"]] == [record_id]
    [mark] = found["edges"][0]["highlights"]
    assert mark["page"] == 2 and "<mark>" in mark["snippet"]
    assert mark["file"]["id"] == files[2]["id"] and mark["file"]["role"] == "APPENDIX"
    on_main = (await gql(client, SEARCH, q="chữ ký số"))["data"]["search"]
    assert on_main["edges"][0]["highlights"][0]["file"]["id"] == files[0]["id"]
    assert (await gql(client, SEARCH, q="edXMLEnvelope"))["data"]["search"]["totalCount"] == 0

    shown = (await gql(client, FILES, id=record_id))["data"]["record"]
    assert shown["textStatus"] == "EXTRACTED"
    expected = {"MAIN": [main], "APPENDIX": [APPENDIX_1, APPENDIX_2], "SOURCE": [SOURCE]}
    for file, wanted in zip(shown["files"], [main, APPENDIX_1, APPENDIX_2, SOURCE], strict=True):
        assert wanted in expected[file["role"]]
        assert await fetch(client, file["current"]["download"]["url"]) == wanted
    assert await fetch(client, shown["download"]["url"]) == main  # the record's own link: its main file
    assert [p["number"] for p in shown["files"][2]["pages"]] == [1, 2]
    assert [p["number"] for p in shown["pages"]] == [1]  # Record.pages: the main file's, as before
    assert shown["files"][3]["pages"] == []  # the source package is kept, not read


async def test_a_new_version_keeps_the_old_one_and_search_shows_the_new(
    client: httpx.AsyncClient, services: Services
) -> None:
    result = await deposit_four(client, render_pdf(SampleDocument()))
    record_id, appendix = result["record"]["id"], result["record"]["files"][2]["id"]
    raw_id = result["record"]["files"][0]["id"]  # the main file's id is the record's UUID
    await drain(services)
    corrected = pages_pdf("Phụ lục II (đính chính). Kinh phí thực hiện.", "Danh mục xe cứu thương cấp huyện.")

    added = await post(
        client,
        ADD_VERSION,
        {"record": record_id, "fileId": appendix, "file": None, "reason": "Đính chính danh mục"},
        {"variables.file": ("phụ lục 2 (đính chính).pdf", corrected)},
    )
    version = added["addFileVersion"]
    assert version["__typename"] == "FileVersionAdded", version
    assert (
        version["file"]["current"]["number"] == 2
        and version["file"]["current"]["reason"] == "Đính chính danh mục"
    )
    assert [v["number"] for v in version["file"]["versions"]] == [1, 2]
    assert await drain(services) == 1  # reprocessed: sealed, verified, extracted, indexed again
    await services.index.refresh()

    new_hits = (await gql(client, SEARCH, q='"xe cứu thương"'))["data"]["search"]
    assert [e["node"]["id"] for e in new_hits["edges"]] == [record_id]
    assert new_hits["edges"][0]["highlights"][0]["file"]["id"] == appendix
    assert (await gql(client, SEARCH, q='"may phat dien"'))["data"]["search"]["totalCount"] == 0

    shown = (await gql(client, FILES, id=record_id))["data"]["record"]
    [file] = [f for f in shown["files"] if f["id"] == appendix]
    first, second = file["versions"]
    assert await fetch(client, first["download"]["url"]) == APPENDIX_2
    assert await fetch(client, second["download"]["url"]) == corrected
    assert await fetch(client, file["current"]["download"]["url"]) == corrected
    entries = [e for e in services.audit.entries() if e.action == "record.file_version"]
    audited = [(e.target, e.details["file"], e.details["version"]) for e in entries]
    assert audited == [(raw_id, appendix, "2")]

    same = await post(
        client,
        ADD_VERSION,
        {"record": record_id, "fileId": appendix, "file": None, "reason": "again"},
        {"variables.file": ("again.pdf", corrected)},
    )
    assert same["addFileVersion"] == {"__typename": "FileVersionRejectedError", "code": "FILE_REJECTED"} | {
        "message": same["addFileVersion"]["message"]
    }
    nowhere = await post(
        client,
        ADD_VERSION,
        {"record": record_id, "fileId": "no-such-file", "file": None, "reason": "x"},
        {"variables.file": ("x.pdf", corrected)},
    )
    assert nowhere["addFileVersion"] == {"__typename": "NotFoundError", "code": "NOT_FOUND"}


class FailsOnThirdPut:
    """The stack's own blob store, except that its third ``put`` fails as an outage would."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.puts = 0

    def put(self, key: str, source: BinaryIO, *, size: int, sha256: str, media_type: str) -> str | None:
        self.puts += 1
        if self.puts == 3:
            raise StorageUnavailable("the store stopped answering")
        result: str | None = self._inner.put(key, source, size=size, sha256=sha256, media_type=media_type)
        return result

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def keys_under(services: Services, prefix: str) -> list[str]:
    return list(services.blobs.list_keys(prefix))


async def test_a_failure_while_storing_the_third_file_leaves_nothing(
    services: Services, admin: Principal
) -> None:
    real = services.blobs
    services.blobs = FailsOnThirdPut(real)  # type: ignore[assignment]
    doc = SampleDocument(number="77")
    uploads = [
        Upload(io.BytesIO(APPENDIX_1), "a1.pdf", FileRole.APPENDIX),
        Upload(io.BytesIO(APPENDIX_2), "a2.pdf", FileRole.APPENDIX),
    ]
    try:
        with pytest.raises(StorageUnavailable):
            deposit(
                services,
                admin,
                io.BytesIO(render_pdf(doc)),
                filename="main.pdf",
                metadata=metadata_for(doc),
                others=uploads,
            )
    finally:
        services.blobs = real
    assert list(services.records.iter_all()) == []
    assert keys_under(services, "records/") == []
    assert list((services.settings.data_dir / "tmp").glob("upload-*")) == []


@pytest.mark.parametrize(
    ("roles", "content", "says"),
    [
        ([FileRole.APPENDIX], b"not a document", "file 2 (appendix, 'x.bin')"),
        ([FileRole.SOURCE, FileRole.SOURCE], SOURCE, "at most one source package"),
        ([FileRole.MAIN], APPENDIX_1, "exactly one main file"),
        ([FileRole.ATTACHMENT], b"", "file 2 (attachment, 'x.bin'): the file is empty"),
    ],
)
async def test_bad_files_are_refused_naming_the_file_and_nothing_is_written(
    services: Services, admin: Principal, roles: list[FileRole], content: bytes, says: str
) -> None:
    doc = SampleDocument(number="78")
    uploads = [Upload(io.BytesIO(content), "x.bin", role) for role in roles]
    with pytest.raises(FileRejected) as refused:
        deposit(
            services,
            admin,
            io.BytesIO(render_pdf(doc)),
            filename="main.pdf",
            metadata=metadata_for(doc),
            others=uploads,
        )
    assert says in refused.value.message
    assert list(services.records.iter_all()) == []
    assert keys_under(services, "records/") == []


async def test_the_record_limit_counts_every_file(services: Services, admin: Principal) -> None:
    doc = SampleDocument(number="79")
    main = render_pdf(doc)
    services.settings.max_upload_bytes = len(main) + 100  # each file alone is within its limit
    services.settings.max_record_bytes = len(main) + len(APPENDIX_1) // 2
    with pytest.raises(FileRejected) as refused:
        deposit(
            services,
            admin,
            io.BytesIO(main),
            filename="main.pdf",
            metadata=metadata_for(doc),
            others=[Upload(io.BytesIO(APPENDIX_1), "a1.pdf", FileRole.APPENDIX)],
        )
    assert refused.value.code == "FILE_TOO_LARGE" and "record's limit" in refused.value.message
    assert keys_under(services, "records/") == []


@pytest.fixture
def admin() -> Principal:
    return Principal(
        subject="local:tester", roles=frozenset({Role.ADMIN}), clearance=Classification.TOP_SECRET
    )


async def test_a_file_download_keeps_ranges_and_entity_tags(
    client: httpx.AsyncClient, services: Services
) -> None:
    result = await deposit_four(client, render_pdf(SampleDocument(number="80")))
    record_id = result["record"]["id"]
    shown = (await gql(client, FILES, id=record_id))["data"]["record"]
    appendix = shown["files"][2]
    url = appendix["versions"][0]["download"]["url"]
    if not url.startswith(str(client.base_url)):
        pytest.skip("presigned S3 downloads are served by the S3 server, not by the download route")
    part = await client.get(url, headers={"Range": "bytes=0-99"})
    assert part.status_code == 206 and part.content == APPENDIX_2[:100]
    assert part.headers["content-range"] == f"bytes 0-99/{len(APPENDIX_2)}"
    etag = part.headers["etag"]
    assert appendix["current"]["sha256"] in etag
    unchanged = await client.get(url, headers={"If-None-Match": etag})
    assert unchanged.status_code == 304
    whole = await client.get(url)
    assert (
        whole.content == APPENDIX_2
        and "phu%CC%A3%20lu%CC%A3c%202.pdf" not in whole.headers["content-disposition"]
    )
    assert "filename*=UTF-8''ph%E1%BB%A5%20l%E1%BB%A5c%202.pdf" in whole.headers["content-disposition"]
    serves = [e for e in services.audit.entries() if e.action == "download.serve"]
    assert len(serves) == 3 and all(e.target == shown["files"][0]["id"] for e in serves)


async def test_every_file_and_version_is_sealed_like_the_main_file(
    client: httpx.AsyncClient, services: Services
) -> None:
    """No retention rule matches: the record is kept permanently, so every object of it
    (each file, each version) carries a legal hold after the worker's seal step."""
    result = await deposit_four(client, render_pdf(SampleDocument(number="81")))
    record_id, appendix = result["record"]["id"], result["record"]["files"][1]["id"]
    await drain(services)
    corrected = pages_pdf("Phụ lục I (đính chính).")
    added = await post(
        client,
        ADD_VERSION,
        {"record": record_id, "fileId": appendix, "file": None, "reason": "đính chính"},
        {"variables.file": ("pl1.pdf", corrected)},
    )
    assert added["addFileVersion"]["__typename"] == "FileVersionAdded"
    await drain(services)
    [record] = services.records.iter_all()
    objects = [(v.stored.storage_key, v.stored.version_id) for f in record.files for v in f.versions]
    assert len(objects) == 5 and len(set(objects)) == 5
    assert all(services.blobs.get_legal_hold(key, version) for key, version in objects)


async def test_reconcile_knows_every_file_of_a_record(services: Services, admin: Principal) -> None:
    """The merge join of database keys against the store's listing includes the appendices'
    keys: none is reported (or deleted) as unreferenced, and one that is gone is missing."""
    from archive.services.reconcile import reconcile

    doc = SampleDocument(number="78")
    made = deposit(
        services,
        admin,
        io.BytesIO(render_pdf(doc)),
        filename="main.pdf",
        metadata=metadata_for(doc),
        others=[Upload(io.BytesIO(APPENDIX_1), "a1.pdf", FileRole.APPENDIX)],
    )
    assert len({v.stored.storage_key for f in made.files for v in f.versions}) == 2
    report = await reconcile(services, delete_unreferenced=True)
    assert report.unreferenced_objects == [] and report.deleted_objects == []
    assert report.missing_objects == []
    assert len(keys_under(services, "records/")) == 2
