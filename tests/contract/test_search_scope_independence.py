"""Nothing a caller sees may move when a record it cannot read is indexed.

Hypothesis draws a corpus the caller may read and queries over its words, runs every
query page by page as that caller, then indexes hidden records (another agency's,
or its own agency's above its clearance, or granted to it but above its clearance)
made of the same words and numbers, and runs everything again. The queries include
runs of unquoted words (scored by proximity too) and the records the header block
(scored in the low field). Hits, their order,
scores, totals, facets, highlights, cursors and ``has_next`` must be identical, byte
for byte. Runs on every SearchIndex adapter (FTS5, and Elasticsearch when it is set).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from archive.domain.access import Principal, Readable, ReadScope
from archive.domain.ports import SearchIndex
from archive.domain.records import Classification
from archive.domain.search import IndexDocument, SearchResult, SortKey
from tests.contract.test_search_index import ADAPTERS, IndexFactory, load, make_doc, open_indexes, search

CALLER = Principal(subject="u1", agencies=frozenset({"A"}))
SCOPE = ReadScope.for_principal(CALLER)
WORDS = ["chữ", "ký", "số", "chu", "ky", "so", "văn", "bản", "đất", "đai", "thuế", "Quyết", "định", "nghĩa"]
HEADER = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc\nHà Nội, ngày 2 tháng 1 năm 2023\n"
"""The header block every document prints: its words score in the low field."""
NUMBERS = ["12/QĐ-UBND", "7/CV-A", "12/qd-ubnd"]
PAGE_SIZE = 3

texts = st.lists(st.sampled_from(WORDS), min_size=1, max_size=9).map(" ".join)
issued = st.dates(min_value=date(2023, 1, 1), max_value=date(2023, 1, 4))


@dataclass(frozen=True)
class Shape:
    """Where a drawn record sits: its agency, classification, public flag and grants."""

    agency: str
    classification: Classification
    public: bool = False
    grants: tuple[str, ...] = ()


VISIBLE = [
    Shape("A", Classification.ORDINARY),
    Shape("B", Classification.ORDINARY, public=True),
    Shape("B", Classification.ORDINARY, grants=("user:u1",)),
    Shape("C", Classification.ORDINARY, grants=("agency:A",)),
]
HIDDEN = [
    Shape("B", Classification.ORDINARY),
    Shape("A", Classification.SECRET),
    Shape("A", Classification.TOP_SECRET),
    Shape("C", Classification.TOP_SECRET, grants=("user:u1",)),
]


def documents(prefix: str, shapes: list[Shape]) -> st.SearchStrategy[list[IndexDocument]]:
    one = st.tuples(
        st.sampled_from(shapes),
        st.tuples(st.sampled_from(["", HEADER]), st.lists(texts, min_size=1, max_size=3)).map(
            lambda h: [h[0] + h[1][0], *h[1][1:]]
        ),
        texts,
        issued,
        st.sampled_from(NUMBERS),
    )
    return st.lists(one, min_size=1, max_size=6).map(
        lambda drawn: [_document(f"{prefix}{i}", *d) for i, d in enumerate(drawn)]
    )


def _document(
    record_id: str, shape: Shape, pages: list[str], subject: str, day: date, number: str
) -> IndexDocument:
    return make_doc(
        record_id,
        *pages,
        subject=subject,
        number=number,
        agency=shape.agency,
        issuing=shape.agency,
        issued=day,
        classification=shape.classification,
        public=shape.public,
        grants=shape.grants,
        # Hidden and visible records share dossiers, so the dossier facet is tested too.
        dossier=f"D-{len(pages) % 2}",
    )


queries = st.one_of(
    st.none(),
    st.sampled_from(WORDS),
    st.sampled_from(NUMBERS),
    st.tuples(st.sampled_from(WORDS), st.sampled_from(WORDS)).map(" ".join),
    # runs of unquoted words: their neighbour pairs and the whole run score (proximity)
    st.lists(st.sampled_from(WORDS), min_size=3, max_size=4).map(" ".join),
    st.tuples(st.sampled_from(WORDS), st.sampled_from(WORDS)).map(lambda p: f'"{p[0]} {p[1]}"'),
    st.tuples(st.sampled_from(WORDS), st.sampled_from(WORDS)).map(lambda p: f"{p[0]} OR {p[1]}"),
    st.tuples(st.sampled_from(WORDS), st.sampled_from(WORDS)).map(lambda p: f"{p[0]} -{p[1]}"),
)


@pytest.fixture(params=ADAPTERS)
async def indexes(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[IndexFactory]:
    async for factory in open_indexes(str(request.param), tmp_path):
        yield factory


async def everything_seen(index: SearchIndex, text: str | None) -> list[str]:
    """Every page of ``text`` as the caller, walked with the cursors the index hands out."""
    seen: list[SearchResult] = []
    after: SortKey | None = None
    while True:
        page = await search(index, text, scope=SCOPE, first=PAGE_SIZE, after=after)
        seen.append(page)
        if not page.has_next:
            return [repr(p) for p in seen]
        after = page.hits[-1].sort_key


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    visible=documents("v", VISIBLE),
    hidden=documents("h", HIDDEN),
    asked=st.lists(queries, min_size=1, max_size=5),
)
@example(  # the review's case: a hit's BM25 score fell as hidden records with its word arrived
    visible=[make_doc("v0", "thuế văn bản", agency="A", number="7/CV-A")],
    hidden=[
        make_doc(f"h{i}", "thuế", agency="A", number="12/QĐ-UBND", classification=Classification.TOP_SECRET)
        for i in range(2)
    ],
    asked=["thuế", "thuế OR chữ", "7/CV-A"],
)
async def test_hidden_records_change_nothing_a_caller_sees(
    indexes: IndexFactory, visible: list[IndexDocument], hidden: list[IndexDocument], asked: list[str | None]
) -> None:
    assert all(SCOPE.allows(_readable(d)) for d in visible)
    assert not any(SCOPE.allows(_readable(d)) for d in hidden)
    index = await indexes()
    try:
        await load(index, *visible)
        before = [await everything_seen(index, text) for text in asked]
        await load(index, *hidden)
        after = [await everything_seen(index, text) for text in asked]
    finally:
        drop = getattr(index, "drop", None)
        if drop is not None:
            await drop()
    assert after == before


def _readable(doc: IndexDocument) -> Readable:
    return Readable(doc.agency_code, doc.classification, doc.is_public, doc.grants, doc.conditional)
