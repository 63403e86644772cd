"""Both engines return the same records for the same documents and queries.

The relevance benchmark's corpus (real Vietnamese prose dressed as official documents,
``bench.relevance``) and a seeded share of its queries go to FTS5 and to Elasticsearch;
over all queries, the top-10 sets must overlap with a Jaccard index of at least 0.9,
as issue 17 asks: one tokeniser and one scoring model make them agree. Needs
Elasticsearch (ARCHIVE_TEST_ELASTICSEARCH_URL).
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from archive.domain.ports import SearchIndex
from archive.domain.query import parse_query
from archive.domain.search import SearchRequest
from bench import relevance
from indexing.search import ElasticsearchIndex, SqliteSearchIndex

ES_URL = os.environ.get("ARCHIVE_TEST_ELASTICSEARCH_URL", "")
DOCUMENTS = 120
MIN_JACCARD = 0.9

pytestmark = [
    pytest.mark.elasticsearch,
    pytest.mark.skipif(not ES_URL, reason="set ARCHIVE_TEST_ELASTICSEARCH_URL to compare with Elasticsearch"),
]


async def top10(index: SearchIndex, queries: list[relevance.Query]) -> list[set[str]]:
    found = []
    for query in queries:
        request = SearchRequest(parse_query(query.text), relevance.READER, first=10)
        found.append({h.record_id for h in (await index.search(request)).hits})
    return found


def jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a | b else 1.0


async def test_fts5_and_elasticsearch_return_the_same_top_10(tmp_path: Path) -> None:
    corpus = relevance.load_corpus()[:DOCUMENTS]
    docs = relevance.documents(corpus)
    queries = relevance.queries(corpus, docs, DOCUMENTS // 2)
    assert len({q.variant for q in queries}) == 6
    answers = []
    for index in (
        SqliteSearchIndex(tmp_path / "search.db"),
        ElasticsearchIndex(ES_URL, index=f"t-agree-{uuid.uuid4().hex[:8]}"),
    ):
        try:
            await index.ensure_ready()
            for start in range(0, len(docs), 20):  # small bulks: aiohttp warns on large bodies
                await index.upsert_many(docs[start : start + 20])
            await index.refresh()
            answers.append(await top10(index, queries))
        finally:
            drop = getattr(index, "drop", None)
            if drop is not None:
                await drop()
            await index.close()
    fts, es = answers
    overlap = [jaccard(a, b) for a, b in zip(fts, es, strict=True)]
    differing = [(q.text, sorted(a ^ b)) for q, a, b in zip(queries, fts, es, strict=True) if a != b]
    assert sum(overlap) / len(overlap) >= MIN_JACCARD, differing[:5]
    assert all(fts) and all(es)  # every query found something on both
