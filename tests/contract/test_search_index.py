"""The SearchIndex contract: every adapter finds, ranks, filters, scopes and pages alike."""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import uuid
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from archive.domain.access import UNRESTRICTED, Principal, Readable, ReadScope, Role
from archive.domain.errors import InvalidCursor, ServiceUnavailable
from archive.domain.ports import SearchIndex
from archive.domain.query import parse_query
from archive.domain.records import Classification, Direction, Page, TextSource
from archive.domain.search import (
    IndexDocument,
    SearchFilter,
    SearchRequest,
    SearchResult,
    SortKey,
)

ES_URL = os.environ.get("ARCHIVE_TEST_ELASTICSEARCH_URL", "")

ADAPTERS = [
    pytest.param("fts", id="fts"),
    pytest.param(
        "elasticsearch",
        id="elasticsearch",
        marks=[
            pytest.mark.elasticsearch,
            pytest.mark.skipif(
                not ES_URL, reason="set ARCHIVE_TEST_ELASTICSEARCH_URL to run against Elasticsearch"
            ),
        ],
    ),
]

IndexFactory = Callable[[], Awaitable[SearchIndex]]


async def open_indexes(kind: str, tmp_path: Path) -> AsyncIterator[IndexFactory]:
    """Yield a factory of fresh, ready, empty indexes; drop them all afterwards."""
    opened: list[SearchIndex] = []

    async def make() -> SearchIndex:
        index = _new_index(kind, tmp_path)
        await index.ensure_ready()
        opened.append(index)
        return index

    yield make
    for index in opened:
        drop = getattr(index, "drop", None)
        if drop is not None:
            await drop()
        await index.close()


def _new_index(kind: str, tmp_path: Path) -> SearchIndex:
    name = f"t-{uuid.uuid4().hex[:12]}"
    if kind == "fts":
        from indexing.search.fts import SqliteSearchIndex

        return SqliteSearchIndex(tmp_path / f"{name}.db")
    from indexing.search.elastic import ElasticsearchIndex

    return ElasticsearchIndex(ES_URL, index=name)


def make_doc(
    record_id: str,
    *pages: str,
    row_version: int = 1,
    subject: str = "Trích yếu mẫu",
    number: str | None = None,
    document_type: str = "Quyết định",
    agency: str = "UBND-HN",
    issuing: str | None = None,
    issuing_name: str = "Ủy ban nhân dân thành phố",
    issued: date = date(2024, 3, 1),
    signer: str = "Nguyễn Văn An",
    direction: Direction = Direction.OUTGOING,
    classification: Classification = Classification.ORDINARY,
    public: bool = False,
    grants: Sequence[str] = (),
    signed: bool | None = None,
    signature_valid: bool | None = None,
    conditional: bool = False,
    keyword: str = "",
    fonds: str | None = None,
    dossier: str | None = None,
) -> IndexDocument:
    """An IndexDocument with sensible defaults; each positional string is one page."""
    return IndexDocument(
        record_id=record_id,
        row_version=row_version,
        document_number=number or f"{zlib.crc32(record_id.encode()) % 100_000}/QĐ-UBND",
        document_type=document_type,
        agency_code=agency,
        issuing_agency_code=issuing or agency,
        issuing_agency_name=issuing_name,
        issue_date=issued,
        subject=subject,
        signer_name=signer,
        direction=direction,
        classification=classification,
        is_public=public,
        grants=tuple(grants),
        pages=tuple(Page(i + 1, t, TextSource.TEXT_LAYER) for i, t in enumerate(pages)),
        signed=signed,
        signature_valid=signature_valid,
        conditional=conditional,
        keyword=keyword,
        fonds_id=fonds,
        dossier_id=dossier,
    )


async def load(index: SearchIndex, *documents: IndexDocument) -> None:
    assert await index.upsert_many(documents) == len(documents)
    await index.refresh()


async def search(
    index: SearchIndex,
    text: str | None = None,
    *,
    scope: ReadScope = UNRESTRICTED,
    filter: SearchFilter = SearchFilter(),
    first: int = 100,
    after: SortKey | None = None,
) -> SearchResult:
    request = SearchRequest(parse_query(text), scope, filter=filter, first=first, after=after)
    return await index.search(request)


def ids(result: SearchResult) -> list[str]:
    return [h.record_id for h in result.hits]


@pytest.fixture(params=ADAPTERS)
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def indexes(kind: str, tmp_path: Path) -> AsyncIterator[IndexFactory]:
    async for factory in open_indexes(kind, tmp_path):
        yield factory


# --- matching -------------------------------------------------------------------------


async def test_folded_query_finds_diacritic_text(indexes: IndexFactory) -> None:
    index = await indexes()
    await load(
        index,
        make_doc("a", "Hướng dẫn sử dụng chữ ký số trên đường truyền"),
        make_doc("b", "Báo cáo tình hình kinh tế"),
    )
    assert ids(await search(index, "chu ky so")) == ["a"]
    assert ids(await search(index, "duong truyen")) == ["a"]  # đ folds to d
    assert ids(await search(index, "CHỮ KÝ")) == ["a"]


async def test_exact_diacritics_rank_above_folded_matches(indexes: IndexFactory) -> None:
    index = await indexes()
    await load(
        index,
        make_doc("folded", "Quy dinh ve chu ky so cho co quan"),
        make_doc("exact", "Quy định về chữ ký số cho cơ quan"),
    )
    assert ids(await search(index, "chữ ký số")) == ["exact", "folded"]
    assert set(ids(await search(index, "chu ky so"))) == {"exact", "folded"}


async def test_scores_count_fields_with_fixed_weights(indexes: IndexFactory) -> None:
    """``indexing.search._scoring``: per field holding the phrase (title 3, pages 1 however
    many), 1 for the folded spelling and 5 more for the exact one, 10 for a number;
    nothing from other records."""
    index = await indexes()
    await load(
        index,
        make_doc(
            "a", "chữ ký số và chu ky so", "khác", "chu ky so", subject="Về chữ ký số", number="123/QĐ-UBND"
        ),
        make_doc("other", "chữ ký số " * 30),
    )
    scores = {h.record_id: h.score for h in (await search(index, '"chữ ký số"')).hits}
    assert scores == {"a": (1 + 5) * 3 + (1 + 5) * 1, "other": (1 + 5) * 1}
    assert (await search(index, "123/QĐ-UBND")).hits[0].score == 10
    [hit] = (await search(index, '"chu ky so" 123/QĐ-UBND')).hits
    assert hit.score == 1 * 3 + 1 * 1 + 10  # typed without diacritics: no exact bonus


async def test_unquoted_words_standing_together_rank_first(indexes: IndexFactory) -> None:
    """A remembered phrase typed without quotes or diacritics: the record where its
    syllables stand together, as typed, outranks records that hold some of them side by
    side, even in their subject, and those outrank records that hold them apart
    (``_scoring``: neighbour pairs and the whole run)."""
    index = await indexes()
    await load(
        index,
        make_doc("apart", "bạn là người có ý nghĩa", "nghĩa là thế"),
        make_doc("title", "là bạn", subject="Có nghĩa là gì, bạn"),
        make_doc("pairs", "có nghĩa và là bạn"),
        make_doc("together", "điều đó có nghĩa là bạn đã đồng ý"),
    )
    assert ids(await search(index, "co nghia la ban")) == ["together", "title", "pairs", "apart"]
    assert ids(await search(index, "có nghĩa là bạn"))[0] == "together"


async def test_header_block_and_agency_weigh_less_than_the_text(indexes: IndexFactory) -> None:
    """Words every document prints (the national motto, the place-and-date line, the
    agency) count less than the same words in the text (``_fields``)."""
    index = await indexes()
    header = (
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc\nSơn La, ngày 5 tháng 3 năm 2024\n"
    )
    await load(
        index,
        make_doc("motto", header + "Về việc giao đất", issuing_name="Ủy ban nhân dân tỉnh Phú Thọ"),
        make_doc("text", "Giải thích ý nghĩa của đất thô và đất la"),
    )
    assert ids(await search(index, "nghia")) == ["text", "motto"]
    assert ids(await search(index, "tho")) == ["text", "motto"]
    assert ids(await search(index, "la")) == ["text", "motto"]
    assert ids(await search(index, "tu do hanh phuc")) == ["motto"]  # still found


async def test_both_engines_cut_words_alike(indexes: IndexFactory) -> None:
    """Underscores, hyphens, slashes and dots separate words on both engines (the
    standard tokenizer of Elasticsearch would keep ``TẬP_TIN`` and ``1.5`` whole)."""
    index = await indexes()
    await load(index, make_doc("a", "Mở TẬP_TIN Kiểu_dáng_1 phiên bản 1.5.2 theo mẫu số 03/NĐ-CP.v2"))
    for query in ("tap tin", "kieu dang 1", "1 5 2", '"nđ cp v2"', "TẬP", "03"):
        assert ids(await search(index, query)) == ["a"], query
    assert ids(await search(index, "tập_tin")) == ["a"]


async def test_highlights_come_from_the_pages_holding_most_terms(indexes: IndexFactory) -> None:
    index = await indexes()
    pages = ["thuế", "thuế", "đất đai", "thuế và đất đai", "thuế", "đất đai, thuế"]
    await load(index, make_doc("a", *pages))
    [hit] = (await search(index, "thuế đất")).hits
    assert [h.page for h in hit.highlights] == [1, 4, 6]


async def test_document_number_matches_exactly(indexes: IndexFactory) -> None:
    index = await indexes()
    await load(
        index,
        make_doc("hit", number="123/QĐ-UBND"),
        make_doc("other-number", number="124/QĐ-UBND"),
        make_doc("longer-notation", number="123/QĐ-UBNDX"),
    )
    assert ids(await search(index, "123/QĐ-UBND")) == ["hit"]
    assert ids(await search(index, "123/qd-ubnd")) == ["hit"]


async def test_metadata_fields_are_searchable(indexes: IndexFactory) -> None:
    index = await indexes()
    await load(
        index,
        make_doc("a", subject="Về việc phòng chống lụt bão", signer="Trần Thị Bình"),
        make_doc("b", issuing_name="Sở Tài nguyên và Môi trường"),
    )
    assert ids(await search(index, "lut bao")) == ["a"]
    assert ids(await search(index, "Bình")) == ["a"]
    assert ids(await search(index, "tai nguyen")) == ["b"]


async def test_phrase_needs_the_words_in_order(indexes: IndexFactory) -> None:
    index = await indexes()
    await load(
        index,
        make_doc("in-order", "Quyết định phê duyệt dự án"),
        make_doc("scattered", "Dự án được phê, quyết định sau khi duyệt"),
    )
    assert ids(await search(index, '"quyết định phê duyệt"')) == ["in-order"]
    assert set(ids(await search(index, "quyết định phê duyệt"))) == {"in-order", "scattered"}


async def test_excluded_terms_remove_records(indexes: IndexFactory) -> None:
    index = await indexes()
    await load(
        index,
        make_doc("final", "Nghị định về đầu tư công"),
        make_doc("draft", "Dự thảo nghị định về đầu tư công"),
    )
    assert ids(await search(index, "nghị định -thảo")) == ["final"]
    assert ids(await search(index, 'nghị định -"du thao"')) == ["final"]


async def test_or_joins_clauses_and_terms_within_a_clause_all_match(indexes: IndexFactory) -> None:
    index = await indexes()
    await load(
        index,
        make_doc("decision", "Quyết định khen thưởng"),
        make_doc("letter", "Công văn đôn đốc"),
        make_doc("report", "Báo cáo tổng kết"),
    )
    assert set(ids(await search(index, "quyết định OR công văn"))) == {"decision", "letter"}
    assert ids(await search(index, "quyết định đôn đốc")) == []


async def test_terms_of_a_clause_may_match_different_pages(indexes: IndexFactory) -> None:
    index = await indexes()
    await load(index, make_doc("a", "Trang một nói về thuế", "Trang hai nói về đất đai"))
    assert ids(await search(index, "thuế đất")) == ["a"]
    assert ids(await search(index, '"thuế đất"')) == []


async def test_highlights_carry_page_numbers_and_escape_html(indexes: IndexFactory) -> None:
    index = await indexes()
    body = "Điều 1. " + "Nội dung chung. " * 40 + "Áp dụng <b>chữ ký số</b> & con dấu."
    await load(index, make_doc("a", "Trang bìa", body))
    [hit] = (await search(index, "chu ky so")).hits
    [highlight] = hit.highlights
    assert highlight.page == 2
    assert "<mark>chữ</mark> <mark>ký</mark> <mark>số</mark>" in highlight.snippet
    assert "&lt;b&gt;" in highlight.snippet and "&amp;" in highlight.snippet
    assert "<b>" not in highlight.snippet


async def test_highlights_show_the_phrase_and_never_cut_it(indexes: IndexFactory) -> None:
    """The window holds the words typed together, not the first scattered ones, and a
    matched phrase longer than a window widens it rather than being cut."""
    index = await indexes()
    scattered = "Bạn có biết là " + "nội dung chung " * 20 + "nghĩa vụ. "
    long_phrase = " ".join(f"từ{i}" for i in range(30))
    await load(
        index, make_doc("a", scattered + "Điều đó có nghĩa là bạn đồng ý. Hết."), make_doc("b", long_phrase)
    )
    [hit] = (await search(index, "co nghia la ban")).hits
    [highlight] = hit.highlights
    assert (
        "<mark>có</mark> <mark>nghĩa</mark> <mark>là</mark> <mark>bạn</mark> đồng ý. Hết."
        in highlight.snippet
    )
    assert highlight.snippet.startswith("…")
    [hit] = (await search(index, f'"{long_phrase}"')).hits
    [highlight] = hit.highlights
    assert highlight.snippet == " ".join(f"<mark>từ{i}</mark>" for i in range(30))


# --- filters and facets -----------------------------------------------------------------

FILTER_DOCS = [
    make_doc(
        "hn-qd",
        "kế hoạch",
        issuing="HN",
        document_type="Quyết định",
        issued=date(2023, 5, 2),
        fonds="F-HN",
        dossier="D-1",
    ),
    make_doc(
        "hn-cv",
        "kế hoạch",
        issuing="HN",
        document_type="Công văn",
        issued=date(2024, 1, 15),
        direction=Direction.INCOMING,
        signed=True,
        signature_valid=True,
        fonds="F-HN",
        dossier="D-1",
    ),
    make_doc(
        "dn-cv",
        "kế hoạch",
        issuing="DN",
        document_type="Công văn",
        issued=date(2024, 6, 30),
        classification=Classification.CONFIDENTIAL,
        signed=True,
        signature_valid=False,
        fonds="F-DN",
        dossier="D-2",
    ),
    make_doc(
        "dn-tb", "kế hoạch", issuing="DN", document_type="Thông báo", issued=date(2025, 2, 1), fonds="F-DN"
    ),
]


@pytest.mark.parametrize(
    ("search_filter", "expected"),
    [
        (SearchFilter(agency_codes=("HN",)), {"hn-qd", "hn-cv"}),
        (SearchFilter(document_types=("Công văn",)), {"hn-cv", "dn-cv"}),
        (
            SearchFilter(issued_from=date(2024, 1, 15), issued_to=date(2024, 6, 30)),
            {"hn-cv", "dn-cv"},
        ),
        (SearchFilter(issued_from=date(2024, 7, 1)), {"dn-tb"}),
        (SearchFilter(direction=Direction.INCOMING), {"hn-cv"}),
        (SearchFilter(classifications=(Classification.CONFIDENTIAL,)), {"dn-cv"}),
        (SearchFilter(signed=True), {"hn-cv", "dn-cv"}),
        (SearchFilter(signature_valid=False), {"dn-cv"}),
        (SearchFilter(agency_codes=("DN",), document_types=("Công văn",)), {"dn-cv"}),
        (SearchFilter(fonds_ids=("F-DN",)), {"dn-cv", "dn-tb"}),
        (SearchFilter(dossier_ids=("D-1",)), {"hn-qd", "hn-cv"}),
        (SearchFilter(dossier_ids=("D-1", "D-2"), fonds_ids=("F-DN",)), {"dn-cv"}),
    ],
)
async def test_filters(indexes: IndexFactory, search_filter: SearchFilter, expected: set[str]) -> None:
    index = await indexes()
    await load(index, *FILTER_DOCS)
    for text in (None, "kế hoạch"):
        result = await search(index, text, filter=search_filter)
        assert set(ids(result)) == expected
        assert result.total == len(expected)


async def test_facets_count_every_match_not_just_the_page(indexes: IndexFactory) -> None:
    index = await indexes()
    await load(index, *FILTER_DOCS, make_doc("other", "ngân sách", issuing="HN"))
    result = await search(index, "kế hoạch", first=1)
    assert result.total == 4 and len(result.hits) == 1 and result.has_next
    agencies = {b.value: b.count for b in result.facets.agencies}
    types = {b.value: b.count for b in result.facets.document_types}
    years = {b.value: b.count for b in result.facets.years}
    assert agencies == {"HN": 2, "DN": 2}
    assert types == {"Quyết định": 1, "Công văn": 2, "Thông báo": 1}
    assert years == {"2023": 1, "2024": 2, "2025": 1}
    assert {b.value: b.count for b in result.facets.dossiers} == {"D-1": 2, "D-2": 1}  # dn-tb: in none
    filtered = await search(index, "kế hoạch", filter=SearchFilter(agency_codes=("DN",)))
    assert {b.value: b.count for b in filtered.facets.document_types} == {
        "Công văn": 1,
        "Thông báo": 1,
    }


# --- access scope -----------------------------------------------------------------------

SCOPE_DOCS = [
    make_doc("public", "ngân sách", agency="A", public=True, dossier="D-A"),
    make_doc("a-plain", "ngân sách", agency="A", document_type="Công văn", dossier="D-A"),
    make_doc(
        "a-secret",
        "ngân sách",
        agency="A",
        classification=Classification.SECRET,
        issued=date(2022, 1, 1),
        dossier="D-A",
    ),
    make_doc("b-plain", "ngân sách", agency="B", document_type="Tờ trình", issued=date(2021, 1, 1)),
    make_doc("b-to-user", "ngân sách", agency="B", grants=("user:u1",), issuing="X"),
    make_doc("b-to-agency-a", "ngân sách", agency="B", grants=("agency:A",), issuing="Y"),
    make_doc("c-top", "ngân sách", agency="C", classification=Classification.TOP_SECRET, dossier="D-C"),
    # mode 02: other agencies' archivists read it only with a grant
    make_doc("c-conditional", "ngân sách", agency="C", conditional=True, document_type="Kế hoạch"),
    make_doc("c-conditional-granted", "ngân sách", agency="C", conditional=True, grants=("user:u2",)),
]


def _scope(**kwargs: object) -> ReadScope:
    return ReadScope.for_principal(Principal(**kwargs))  # type: ignore[arg-type]


SCOPES = {
    "anonymous": ReadScope.for_principal(Principal("anonymous", anonymous=True)),
    "member-of-a": _scope(subject="u9", agencies=frozenset({"A"})),
    "member-of-a-cleared": _scope(subject="u9", agencies=frozenset({"A"}), clearance=Classification.SECRET),
    "granted-user": _scope(subject="u1"),
    "archivist": _scope(subject="u2", roles=frozenset({Role.ARCHIVIST}), clearance=Classification.SECRET),
    "archivist-top": _scope(
        subject="u3", roles=frozenset({Role.ARCHIVIST}), clearance=Classification.TOP_SECRET
    ),
    "member-of-c": _scope(subject="u4", agencies=frozenset({"C"})),
}


@pytest.mark.parametrize("scope_name", SCOPES)
async def test_scope_hides_unreadable_records_from_hits_counts_and_facets(
    indexes: IndexFactory, scope_name: str
) -> None:
    scope = SCOPES[scope_name]
    readable = [d for d in SCOPE_DOCS if scope.allows(_readable(d))]
    assert 0 < len(readable) < len(SCOPE_DOCS)  # the case really hides something
    everything, only_readable = await indexes(), await indexes()
    await load(everything, *SCOPE_DOCS)
    await load(only_readable, *readable)
    for text in (None, "ngan sach"):
        scoped = await search(everything, text, scope=scope)
        reference = await search(only_readable, text, scope=UNRESTRICTED)
        assert sorted(ids(scoped)) == sorted(d.record_id for d in readable)
        assert scoped.total == reference.total == len(readable)
        assert _facet_counts(scoped) == _facet_counts(reference)


def _readable(doc: IndexDocument) -> Readable:
    return Readable(doc.agency_code, doc.classification, doc.is_public, doc.grants, doc.conditional)


def _facet_counts(result: object) -> object:
    facets = result.facets  # type: ignore[attr-defined]
    return [
        sorted((b.value, b.count) for b in f)
        for f in (facets.agencies, facets.document_types, facets.years, facets.dossiers)
    ]


# --- pagination -------------------------------------------------------------------------


@pytest.mark.parametrize("text", [None, "biên bản"])
async def test_pages_through_every_hit_once(indexes: IndexFactory, text: str | None) -> None:
    index = await indexes()
    docs = [
        make_doc(f"r{i:02d}", "biên bản " * (1 + i % 3), issued=date(2024, 1, 1 + i % 4)) for i in range(23)
    ]
    await load(index, *docs)
    seen: list[str] = []
    after = None
    while True:
        page = await search(index, text, first=5, after=after)
        assert page.total == 23
        seen += ids(page)
        if not page.has_next:
            break
        after = page.hits[-1].sort_key
    assert len(seen) == len(set(seen)) == 23


@pytest.mark.parametrize(
    "key",
    [(), (1.0,), ("a", "b", "c"), (1.0, 2.5, "x"), (1.0, None, "x"), (1.0, "2024-01-01", "x", 4)],
)
async def test_malformed_sort_key_is_an_invalid_cursor(
    indexes: IndexFactory, key: tuple[object, ...]
) -> None:
    index = await indexes()
    await load(index, make_doc("a", "văn bản"))
    with pytest.raises(InvalidCursor):
        await search(index, "văn bản", after=key)  # type: ignore[arg-type]


# --- writes -----------------------------------------------------------------------------


async def test_stale_or_replayed_writes_are_refused(indexes: IndexFactory) -> None:
    index = await indexes()
    v2 = make_doc("a", "phiên bản hai", row_version=2)
    assert await index.upsert(v2)
    assert not await index.upsert(v2)
    assert not await index.upsert(replace(v2, row_version=1, pages=make_doc("a", "phiên bản một").pages))
    await index.refresh()
    assert ids(await search(index, "hai")) == ["a"]
    assert ids(await search(index, "một")) == []
    assert await index.upsert(replace(v2, row_version=3, pages=make_doc("a", "phiên bản ba").pages))
    await index.refresh()
    assert ids(await search(index, "ba")) == ["a"]
    assert ids(await search(index, "hai")) == []


async def test_upsert_many_counts_only_fresh_writes(indexes: IndexFactory) -> None:
    index = await indexes()
    docs = [make_doc(f"r{i}", "văn bản") for i in range(7)]
    assert await index.upsert_many(docs) == 7
    assert await index.upsert_many([*docs[:3], replace(docs[3], row_version=2)]) == 1


async def test_delete_is_idempotent(indexes: IndexFactory) -> None:
    index = await indexes()
    await load(index, make_doc("a", "văn bản"), make_doc("b", "văn bản"))
    await index.delete("a")
    await index.delete("a")
    await index.delete("never-indexed")
    await index.refresh()
    assert ids(await search(index, "văn bản")) == ["b"]


async def test_get_versions_lists_every_document(indexes: IndexFactory) -> None:
    index = await indexes()
    await load(index, *(make_doc(f"r{i:04d}", row_version=i + 1) for i in range(1203)))
    versions = [v async for v in index.get_versions()]
    assert sorted(versions) == [(f"r{i:04d}", i + 1) for i in range(1203)]


async def test_rebuild_replaces_the_whole_index(indexes: IndexFactory) -> None:
    index = await indexes()
    await load(index, make_doc("old", "văn bản cũ"))
    assert await index.rebuild([make_doc("new1", "văn bản mới"), make_doc("new2", "văn bản mới")]) == 2
    await index.refresh()
    assert sorted(ids(await search(index, "văn bản"))) == ["new1", "new2"]
    assert sorted([v async for v in index.get_versions()]) == [("new1", 1), ("new2", 1)]
    assert await index.upsert(make_doc("later", "văn bản"))
    await index.refresh()
    assert (await search(index, "văn bản")).total == 3


async def test_a_failed_rebuild_keeps_the_live_generation(indexes: IndexFactory) -> None:
    index = await indexes()
    await load(index, make_doc("old", "văn bản"))

    def broken() -> Iterator[IndexDocument]:
        yield make_doc("new", "văn bản")
        raise RuntimeError("the database went away")

    with pytest.raises(RuntimeError):
        await index.rebuild(broken())
    assert await index.upsert(make_doc("later", "văn bản"))
    await index.refresh()
    assert sorted(ids(await search(index, "văn bản"))) == ["later", "old"]


async def rebuild_while(
    index: SearchIndex,
    documents: Sequence[IndexDocument],
    writes: Callable[[SearchIndex], Awaitable[None]],
) -> None:
    """Rebuild from ``documents``; once the build has read them all, and before it may
    swap, ``writes`` runs on its own thread, event loop and handle on the same index, as
    another process would. Where the engine makes writes wait for the build (FTS5's one
    writer at a time), they finish after it; either way they must not be lost."""
    finished, failures = threading.Event(), list[BaseException]()

    def write_elsewhere() -> None:
        async def run() -> None:
            other = _twin(index)
            try:
                await writes(other)
            finally:
                await other.close()

        try:
            asyncio.run(run())
        except BaseException as error:  # re-raised by the test, on its own thread
            failures.append(error)
        finally:
            finished.set()

    writer = threading.Thread(target=write_elsewhere)

    def paused() -> Iterator[IndexDocument]:
        yield from documents
        writer.start()
        finished.wait(timeout=3)

    await index.rebuild(paused())
    await asyncio.to_thread(writer.join, 60)
    if failures:
        raise failures[0]
    await index.refresh()


def _twin(index: SearchIndex) -> SearchIndex:
    """A second handle on the same index."""
    from indexing.search.elastic import ElasticsearchIndex
    from indexing.search.fts import SqliteSearchIndex

    if isinstance(index, SqliteSearchIndex):
        return SqliteSearchIndex(index._path)
    assert isinstance(index, ElasticsearchIndex)
    return ElasticsearchIndex(ES_URL, index=index._alias)


async def test_writes_during_a_rebuild_reach_the_new_generation(indexes: IndexFactory) -> None:
    granted = make_doc("granted", "ngân sách", agency="B", grants=("user:u1",))
    purged = make_doc("purged", "ngân sách", agency="B")
    index = await indexes()
    await load(index, granted, purged)

    async def writes(elsewhere: SearchIndex) -> None:
        # The build read these rows before: a revoked grant, a purge, a new deposit.
        assert await elsewhere.upsert(replace(granted, grants=(), row_version=2))
        await elsewhere.delete("purged")
        assert await elsewhere.upsert(make_doc("deposited", "ngân sách"))

    await rebuild_while(index, [granted, purged], writes)
    assert sorted([v async for v in index.get_versions()]) == [("deposited", 1), ("granted", 2)]
    assert ids(await search(index, "ngan sach", scope=SCOPES["granted-user"])) == []
    assert await index.upsert(make_doc("after", "ngân sách"))  # writes go on after the swap
    await index.refresh()
    assert (await search(index, "ngân sách")).total == 3


# --- failures -----------------------------------------------------------------------------


@pytest.mark.parametrize("adapter", ["fts", "elasticsearch"])
async def test_an_unreachable_index_is_service_unavailable(adapter: str, tmp_path: Path) -> None:
    index: SearchIndex
    if adapter == "fts":
        from indexing.search.fts import SqliteSearchIndex

        index = SqliteSearchIndex(tmp_path / "no-such-directory" / "search.db")
    else:
        from indexing.search.elastic import ElasticsearchIndex

        index = ElasticsearchIndex(f"http://127.0.0.1:{_closed_port()}", index="unreachable")
    try:
        with pytest.raises(ServiceUnavailable):
            await index.ensure_ready()
    finally:
        await index.close()


def _closed_port() -> int:
    """A port nothing listens on: bound, then released."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --- readiness ------------------------------------------------------------------------


async def test_check_ready_passes_on_a_ready_index_and_creates_nothing(
    indexes: IndexFactory, kind: str, tmp_path: Path
) -> None:
    await (await indexes()).check_ready()
    missing = _new_index(kind, tmp_path)
    try:
        for _ in range(2):  # the first check must not have created the index
            with pytest.raises(ServiceUnavailable, match="does not exist"):
                await missing.check_ready()
    finally:
        await missing.close()


# --- the engine's request cache ------------------------------------------------------------


@pytest.mark.elasticsearch
@pytest.mark.skipif(not ES_URL, reason="set ARCHIVE_TEST_ELASTICSEARCH_URL to run against Elasticsearch")
async def test_the_request_cache_answers_each_caller_its_own_view_and_never_a_stale_one(
    tmp_path: Path,
) -> None:
    # Searches are sent with request_cache: a repeated one is answered from the shard
    # cache, keyed by the whole body (the caller's scope is in it) and dropped when a
    # refresh changes the shard.
    async for make in open_indexes("elasticsearch", tmp_path):
        index = await make()
        await load(index, *SCOPE_DOCS)

        async def cache_hits(index: SearchIndex = index) -> int:
            client, alias = index._client, index._alias  # type: ignore[attr-defined]  # the adapter's own
            stats = await client.indices.stats(index=alias, metric="request_cache")
            return int(stats.body["_all"]["total"]["request_cache"]["hit_count"])

        member, anonymous = SCOPES["member-of-a"], SCOPES["anonymous"]
        first = await search(index, "ngan sach", scope=member)
        before = await cache_hits()
        again = await search(index, "ngan sach", scope=member)
        assert await cache_hits() > before  # answered from the cache
        assert ids(again) == ids(first) and again.total == first.total
        assert _facet_counts(again) == _facet_counts(first)
        # Another caller's scope is another key: it sees only what it may read.
        stranger = await search(index, "ngan sach", scope=anonymous)
        assert set(ids(stranger)) == {d.record_id for d in SCOPE_DOCS if anonymous.allows(_readable(d))}
        assert set(ids(stranger)) < set(ids(first))
        # A write and a refresh drop the cached answer: the new document is found at once.
        await load(index, make_doc("a-new", "ngân sách", agency="A"))
        fresh = await search(index, "ngan sach", scope=member)
        assert set(ids(fresh)) == set(ids(first)) | {"a-new"} and fresh.total == first.total + 1
