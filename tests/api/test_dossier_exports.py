"""The dossier list and a dossier's table of contents over HTTP, on both stacks: the three
formats carry the rows (XLSX opened with openpyxl, the PDF's first page rendered with
pdftoppm and its text read with pdfplumber, CSV parsed back), and a caller sees only the
dossiers and documents it may read; anything else is NOT_FOUND like a missing one."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from archive.domain.archival import Dossier
from archive.domain.records import Classification, Record
from archive.services.container import Services
from archive.settings import Settings
from tests.support.access import SigningKey, bearer_settings, make_record, put
from tests.support.dossiers import agency_fonds, dossier, place
from tests.support.exports import dark_rows, first_page_png, pdf_text, xlsx_table
from tests.support.graphql import api_client, open_services

AGENCY = "UBND-HG"
FONDS_NAME = "Ủy ban nhân dân tỉnh Hà Giang"
LONG_TITLE = (
    "Hồ sơ về việc triển khai chữ ký số và chứng thư số chuyên dùng trong các cơ quan nhà nước "
    "trên địa bàn tỉnh Hà Giang, giai đoạn 2026 đến 2030, kèm báo cáo đánh giá của các sở, ngành"
)


@dataclass
class World:
    """One fonds with dossiers of 2026 and 2025, one of them secret, and a dossier of four
    documents, the second of them secret."""

    services: Services
    first: Dossier  # 01/VP, four documents
    second: Dossier
    secret: Dossier
    older: Dossier
    records: list[Record]  # placed in ``first``, in order; [1] is TOP_SECRET


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


@pytest.fixture
async def world(secured: Services) -> World:
    records = [
        make_record(subject="Về việc ban hành kế hoạch chuyển đổi số năm 2026"),
        make_record(subject="Tuyệt mật: phương án bảo vệ", classification=Classification.TOP_SECRET),
        make_record(subject="Về việc áp dụng chữ ký số trong văn bản điện tử"),
        make_record(subject="Báo cáo kết quả thực hiện quý I"),
    ]
    await put(secured, *records)
    fonds = agency_fonds(secured, AGENCY, FONDS_NAME)
    first = dossier(secured, fonds, "01/VP", LONG_TITLE, heading="I. Tổng hợp", maintenance="01")
    second = dossier(secured, fonds, "02/TCCB", "Hồ sơ tuyển dụng công chức", heading="II. Tổ chức cán bộ")
    secret = dossier(
        secured,
        fonds,
        "03/VP",
        "Hồ sơ mật về quốc phòng",
        heading="I. Tổng hợp",
        classification=Classification.SECRET,
    )
    older = dossier(secured, fonds, "01/VP", "Hồ sơ năm trước", year=2025)
    place(secured, first, [r.id for r in records])
    return World(secured, first, second, secret, older, records)


def reader(key: SigningKey, agency: str = AGENCY, clearance: str = "ORDINARY") -> dict[str, str]:
    token = key.token(sub=f"reader-{uuid.uuid4().hex[:6]}", agencies=[agency], clearance=clearance)
    return {"Authorization": f"Bearer {token}"}


async def list_export(
    http: httpx.AsyncClient, headers: dict[str, str], fmt: str, year: str = "2026"
) -> httpx.Response:
    return await http.get(
        f"/exports/fonds/{AGENCY}/dossiers", params={"year": year, "format": fmt}, headers=headers
    )


async def contents_export(
    http: httpx.AsyncClient, headers: dict[str, str], dossier_id: str, fmt: str
) -> httpx.Response:
    return await http.get(f"/exports/dossiers/{dossier_id}/contents", params={"format": fmt}, headers=headers)


LIST_ROWS = [
    ["I. Tổng hợp", "01/VP", LONG_TITLE, "Vĩnh viễn", "Văn phòng", ""],
    ["II. Tổ chức cán bộ", "02/TCCB", "Hồ sơ tuyển dụng công chức", "10 năm", "Văn phòng", ""],
]
LIST_HEADER = [
    "Đề mục",
    "Số và ký hiệu hồ sơ",
    "Tên đề mục và tiêu đề hồ sơ",
    "Thời hạn bảo quản",
    "Đơn vị/người lập hồ sơ",
    "Ghi chú",
]


# --- the dossier list ------------------------------------------------------------------------


async def test_the_dossier_list_as_xlsx_has_the_readable_dossiers_of_the_year(
    http: httpx.AsyncClient, world: World, signing_key: SigningKey
) -> None:
    response = await list_export(http, reader(signing_key), "xlsx")

    assert response.status_code == 200, response.text
    assert (
        response.headers["content-type"]
        == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    name = "Danh mục hồ sơ UBND-HG 2026.xlsx"
    assert f"filename*=UTF-8''{quote(name)}" in response.headers["content-disposition"]
    assert xlsx_table(response.content, "Đề mục") == [LIST_HEADER, *LIST_ROWS]


async def test_the_dossier_list_as_csv_opens_in_excel_with_its_diacritics(
    http: httpx.AsyncClient, world: World, signing_key: SigningKey
) -> None:
    response = await list_export(http, reader(signing_key), "csv")

    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs for UTF-8
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows == [LIST_HEADER, *LIST_ROWS]


async def test_the_dossier_list_as_pdf_prints_the_rows_in_vietnamese(
    http: httpx.AsyncClient, world: World, signing_key: SigningKey, tmp_path: Path
) -> None:
    response = await list_export(http, reader(signing_key), "pdf")

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    text = pdf_text(response.content)
    for expected in (
        "DANH MỤC HỒ SƠ NĂM 2026",
        FONDS_NAME,
        "Số và ký hiệu hồ sơ",
        "Thời hạn bảo",
        "I. Tổng hợp",
    ):
        assert expected in text
    for expected in ("01/VP", "02/TCCB", "Hồ sơ tuyển dụng công chức", "Vĩnh viễn", "10 năm", "Trang 1/1"):
        assert expected in text
    title_lines = [
        line for line in text.splitlines() if any(w in line for w in ("triển khai", "Hà Giang,", "ngành"))
    ]
    assert len(title_lines) >= 2  # the long title wraps inside its column
    assert set(LONG_TITLE.split()) <= set(text.split())
    assert "quốc phòng" not in text and "năm trước" not in text
    page = first_page_png(response.content, tmp_path)
    assert page.size[0] > page.size[1]  # A4 landscape
    assert dark_rows(page) > 60  # title, caption, header and the rows are drawn


# --- a dossier's table of contents --------------------------------------------------------------


def contents_rows(world: World, *indexes: int) -> list[list[str]]:
    rows = []
    for position, index in enumerate(indexes, start=1):
        record = world.records[index]
        m = record.metadata
        code = f"{world.first.file_code}.{index + 1:07d}"
        rows.append(
            [str(position), code, m.document_number, "15/03/2024", m.issuing_agency_name, m.subject, "", ""]
        )
    return rows


CONTENTS_HEADER = [
    "STT",
    "Mã văn bản",
    "Số và ký hiệu",
    "Ngày tháng năm",
    "Tác giả văn bản",
    "Trích yếu nội dung",
    "Số trang",
    "Ghi chú",
]


async def test_the_table_of_contents_lists_only_the_documents_the_caller_may_read(
    http: httpx.AsyncClient, world: World, signing_key: SigningKey, tmp_path: Path
) -> None:
    ordinary = reader(signing_key)
    cleared = reader(signing_key, clearance="TOP_SECRET")

    seen = await contents_export(http, ordinary, world.first.id, "xlsx")
    everything = await contents_export(http, cleared, world.first.id, "csv")
    printed = await contents_export(http, ordinary, world.first.id, "pdf")

    assert xlsx_table(seen.content, "STT") == [CONTENTS_HEADER, *contents_rows(world, 0, 2, 3)]
    rows = list(csv.reader(io.StringIO(everything.content.decode("utf-8-sig"))))
    assert rows == [CONTENTS_HEADER, *contents_rows(world, 0, 1, 2, 3)]
    text = pdf_text(printed.content)
    assert "MỤC LỤC VĂN BẢN" in text and world.first.file_code in text
    assert "kế hoạch chuyển đổi số" in text and "Báo cáo kết quả thực hiện quý I" in text
    assert "phương án bảo vệ" not in text
    assert dark_rows(first_page_png(printed.content, tmp_path)) > 40


async def test_each_export_is_audited_with_only_what_it_printed(
    http: httpx.AsyncClient, world: World, signing_key: SigningKey
) -> None:
    await list_export(http, reader(signing_key), "csv")
    await contents_export(http, reader(signing_key), world.first.id, "csv")

    entries = [e for e in world.services.audit.entries() if e.action.startswith("dossier.export")]
    assert [e.action for e in entries] == ["dossier.export_list", "dossier.export_contents"]
    assert entries[0].details == {"fonds": AGENCY, "year": 2026, "format": "csv"}
    assert entries[1].target == world.first.id
    readable = [world.records[i].id for i in (0, 2, 3)]
    assert entries[1].details == {"format": "csv", "ids": ",".join(readable), "count": 3}


# --- access ------------------------------------------------------------------------------------


async def test_another_agency_gets_not_found_exactly_like_a_missing_fonds_or_dossier(
    http: httpx.AsyncClient, world: World, signing_key: SigningKey
) -> None:
    stranger = reader(signing_key, agency="UBND-LC", clearance="TOP_SECRET")
    ordinary = reader(signing_key)

    hidden_fonds = await list_export(http, stranger, "pdf")
    missing_fonds = await http.get(
        "/exports/fonds/KHONG-CO/dossiers", params={"year": "2026"}, headers=stranger
    )
    hidden = await contents_export(http, stranger, world.first.id, "pdf")
    too_secret = await contents_export(http, ordinary, world.secret.id, "xlsx")
    missing = await contents_export(http, stranger, str(uuid.uuid4()), "pdf")

    for response in (hidden_fonds, missing_fonds, hidden, too_secret, missing):
        assert response.status_code == 404
        assert response.json() == {"error": "not found", "code": "NOT_FOUND"}
    assert not [e for e in world.services.audit.entries() if e.action.startswith("dossier.export")]


async def test_bad_input_is_a_4xx_with_a_code(
    http: httpx.AsyncClient, world: World, signing_key: SigningKey
) -> None:
    headers = reader(signing_key)

    docx = await list_export(http, headers, "docx")
    no_year = await http.get(f"/exports/fonds/{AGENCY}/dossiers", headers=headers)
    wild_year = await list_export(http, headers, "pdf", year="12026")
    bad_token = await contents_export(http, {"Authorization": "Bearer nope"}, world.first.id, "pdf")

    assert (docx.status_code, docx.json()["code"]) == (400, "VALIDATION")
    assert "pdf, xlsx, csv" in docx.json()["error"]
    assert (no_year.status_code, no_year.json()["code"]) == (400, "VALIDATION")
    assert (wild_year.status_code, wild_year.json()["code"]) == (400, "VALIDATION")
    assert (bad_token.status_code, bad_token.json()["code"]) == (401, "UNAUTHENTICATED")
