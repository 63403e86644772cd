"""Relevance: does an archivist find the document from a phrase they remember?

The corpus is real Vietnamese prose (``bench/data/vi_prose.jsonl``, see
``bench.relevance_corpus`` and bench/README.md), dressed as official documents: each
gets an issuing agency, a number, a subject (its first words) and, on page 1, the
fixed header block every Vietnamese official document carries (agency, number,
national motto, place-and-date line). The queries are drawn from the body with a
fixed seed:

- known items: a 3-4 syllable phrase that occurs in one document only, typed with
  diacritics, without, in quotes (both), and two of the document's rarest words;
- graded: one word or two-word phrase written with diacritics that other documents
  hold only in another spelling ("bản" against "ban", "bạn"); a document with the
  exact spelling is worth 2, one that matches only folded is worth 1.

Each query runs through the real adapters (``SqliteSearchIndex`` and, when
ARCHIVE_TEST_ELASTICSEARCH_URL is set, ``ElasticsearchIndex``) as an unrestricted
reader, 10 hits. Reported per engine and variant: recall@10, MRR and nDCG@10, and for
the graded queries the share whose first hit has the exact spelling. Every figure
has a floor in ``FLOORS``: a figure below it is a missed target and fails the bench.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import random
import statistics
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from archive.domain.access import Principal, ReadScope, Role
from archive.domain.ports import SearchIndex
from archive.domain.query import parse_query
from archive.domain.records import Classification, Direction, Page, TextSource
from archive.domain.search import IndexDocument, SearchRequest
from archive.domain.text import fold
from bench.harness import Context, Result
from indexing.search import ElasticsearchIndex, SqliteSearchIndex
from indexing.search._terms import words

NAME = "relevance"
GATE = True
"""A figure below its floor fails ``python -m bench`` (see ``bench.__main__``)."""
CORPUS = Path(__file__).parent / "data" / "vi_prose.jsonl"
SEED = 17
SUBJECT_WORDS = 12
KNOWN = ("diacritics", "no diacritics", "quoted", "quoted, no diacritics", "two rare words")
GRADED = "exact diacritics (graded)"

FLOORS: dict[str, dict[str, float]] = {
    # variant: metric: floor, on every engine. The issue's targets where it sets one
    # (unquoted recall 0.95 / 0.97, MRR 0.8, quoted 0.99, exact first 0.98); the others
    # a little under what the ranking of this commit measures (bench/README.md).
    "diacritics": {"recall@10": 0.97, "MRR": 0.9, "nDCG@10": 0.9},
    "no diacritics": {"recall@10": 0.95, "MRR": 0.8, "nDCG@10": 0.85},
    "quoted": {"recall@10": 0.99, "MRR": 0.95, "nDCG@10": 0.95},
    "quoted, no diacritics": {"recall@10": 0.99, "MRR": 0.95, "nDCG@10": 0.95},
    "two rare words": {"recall@10": 0.9, "MRR": 0.55, "nDCG@10": 0.65},
    GRADED: {"first hit exact": 0.98, "nDCG@10": 0.95},
}

PLACES = ("Sơn La", "Phú Thọ", "Hà Giang", "Lào Cai", "Cần Thơ", "Đà Nẵng", "Bắc Ninh", "Hà Nam")
AGENCIES = ("Ủy ban nhân dân tỉnh {}", "Sở Nội vụ tỉnh {}", "Sở Tài chính tỉnh {}", "Văn phòng UBND tỉnh {}")
TYPES = (("Quyết định", "QĐ"), ("Công văn", "CV"), ("Thông báo", "TB"), ("Kế hoạch", "KH"), ("Báo cáo", "BC"))
READER = ReadScope.for_principal(
    Principal(subject="bench", roles=frozenset({Role.ADMIN}), clearance=Classification.TOP_SECRET)
)


@dataclass(frozen=True)
class Query:
    """A query as typed, and the grade of each document that answers it (absent: 0)."""

    variant: str
    text: str
    grades: dict[str, int]


# --- corpus ------------------------------------------------------------------------


def load_corpus(path: Path = CORPUS) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def documents(corpus: list[dict[str, Any]]) -> list[IndexDocument]:
    """Each prose text as an official document: metadata, and the header on page 1."""
    rng = random.Random(SEED)
    return [_document(rng, index, item) for index, item in enumerate(corpus, 1)]


def _document(rng: random.Random, index: int, item: dict[str, Any]) -> IndexDocument:
    place = rng.choice(PLACES)
    agency = rng.choice(AGENCIES).format(place)
    doc_type, short = rng.choice(TYPES)
    number = f"{index}/{short}-UBND"
    issued = date(rng.randint(2015, 2025), rng.randint(1, 12), rng.randint(1, 28))
    first, *rest = item["pages"]
    head = first.split()
    subject, body = " ".join(head[:SUBJECT_WORDS]), " ".join(head[SUBJECT_WORDS:])
    header = (
        f"{agency.upper()}\nSố: {number}\nCỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n"
        f"Độc lập - Tự do - Hạnh phúc\n{place}, ngày {issued.day} tháng {issued.month} năm {issued.year}\n"
        f"{doc_type.upper()}\n{subject}\n"
    )
    texts = [header + body, *rest]
    return IndexDocument(
        record_id=item["id"], row_version=1, document_number=number, document_type=doc_type,
        agency_code=f"AG-{PLACES.index(place)}", issuing_agency_code=f"AG-{PLACES.index(place)}",
        issuing_agency_name=agency, issue_date=issued, subject=subject, signer_name="Nguyễn Văn An",
        direction=Direction.OUTGOING, classification=Classification.ORDINARY, is_public=False,
        pages=tuple(Page(n, t, TextSource.TEXT_LAYER) for n, t in enumerate(texts, 1)),
    )  # fmt: skip


# --- queries -----------------------------------------------------------------------


def queries(corpus: list[dict[str, Any]], docs: list[IndexDocument], limit: int) -> list[Query]:
    """Known-item queries for ``limit`` documents (seeded choice) and the graded ones."""
    bodies = {d.record_id: _body_words(item) for d, item in zip(docs, corpus, strict=True)}
    everything = {d.record_id: " ".join(fold(" ".join(words(_all_text(d)))).split()) for d in docs}
    rng = random.Random(SEED)
    chosen = sorted(rng.sample(sorted(bodies), min(limit, len(bodies))))
    frequency = Counter(w for text in everything.values() for w in set(text.split()))
    found: list[Query] = []
    for record_id in chosen:
        found += _known_item(rng, record_id, bodies[record_id], everything, frequency)
    return found + _graded(docs, limit // 4)


def _body_words(item: dict[str, Any]) -> list[list[str]]:
    """The words of each body page (a remembered phrase does not cross a page break)."""
    first, *rest = item["pages"]
    pages = [" ".join(first.split()[SUBJECT_WORDS:]), *rest]
    return [[w.lower() for w in words(page)] for page in pages]


def _all_text(doc: IndexDocument) -> str:
    return " ".join([doc.subject, doc.issuing_agency_name, *(p.text for p in doc.pages)])


def _known_item(
    rng: random.Random,
    record_id: str,
    body: list[list[str]],
    everything: dict[str, str],
    frequency: Counter[str],
) -> list[Query]:
    phrase = _unique_phrase(rng, record_id, body, everything)
    if phrase is None:
        return []
    folded = fold(phrase)
    rare = _rare_words(rng, [w for page in body for w in page], frequency)
    grades = {record_id: 1}
    found = [
        Query("diacritics", phrase, grades),
        Query("no diacritics", folded, grades),
        Query("quoted", f'"{phrase}"', grades),
        Query("quoted, no diacritics", f'"{folded}"', grades),
    ]
    if rare:
        found.append(Query("two rare words", rare, grades))
    return found


def _unique_phrase(
    rng: random.Random, record_id: str, pages: list[list[str]], everything: dict[str, str]
) -> str | None:
    """3-4 syllables of letters, in a row on a page, whose folded form no other document has."""
    for _ in range(60):
        size = rng.choice((3, 4))
        body = rng.choice(pages)
        if len(body) <= size:
            continue
        start = rng.randrange(len(body) - size)
        window = body[start : start + size]
        if not all(w.isalpha() for w in window):
            continue
        key = f" {fold(' '.join(window))} "
        if (
            sum(key in f" {text} " for text in everything.values()) == 1
            and key in f" {everything[record_id]} "
        ):
            return " ".join(window)
    return None


def _rare_words(rng: random.Random, body: list[str], frequency: Counter[str]) -> str:
    """Two of the document's ten rarest Vietnamese words (with diacritics), in body order."""
    candidates = sorted({w for w in body if w.isalpha() and fold(w) != w and len(w) > 2})
    ranked = sorted(candidates, key=lambda w: (frequency[fold(w)], w))[:10]
    if len(ranked) < 2:
        return ""
    picked = set(rng.sample(ranked, 2))
    ordered = [w for w in dict.fromkeys(body) if w in picked]
    return " ".join(ordered)


def _graded(docs: list[IndexDocument], limit: int) -> list[Query]:
    """Words with several spellings: the exact one is worth 2, the others (folded) 1."""
    holders: dict[str, set[str]] = defaultdict(set)
    for doc in docs:
        for word in {w.lower() for w in words(_all_text(doc)) if w.isalpha()}:
            holders[word].add(doc.record_id)
    spellings: dict[str, list[str]] = defaultdict(list)
    for word in holders:
        spellings[fold(word)].append(word)
    found = []
    for key in sorted(spellings):
        forms = spellings[key]
        if len(forms) < 2 or len(key) < 2:
            continue
        for form in forms:
            if form == key:  # typed without diacritics: no spelling to prefer
                continue
            exact = holders[form]
            others = set().union(*(holders[f] for f in forms if f != form)) - exact
            if 2 <= len(exact) <= 8 and len(others) >= 3:
                grades = {r: 1 for r in others} | {r: 2 for r in exact}
                found.append(Query(GRADED, form, grades))
    rng = random.Random(SEED)
    return sorted(rng.sample(found, min(limit, len(found))), key=lambda q: q.text)


# --- metrics -----------------------------------------------------------------------


def metrics(ranked: list[str], query: Query) -> dict[str, float]:
    """recall@10 and reciprocal rank of the best-graded document, nDCG@10 on the grades."""
    best = max(query.grades.values())
    rank = next((i for i, r in enumerate(ranked[:10], 1) if query.grades.get(r) == best), None)
    gains = [query.grades.get(r, 0) for r in ranked[:10]]
    ideal = sorted(query.grades.values(), reverse=True)[:10]
    out = {
        "recall@10": 1.0 if rank else 0.0,
        "MRR": 1 / rank if rank else 0.0,
        "nDCG@10": _dcg(gains) / _dcg(ideal),
    }
    if query.variant == GRADED:
        out = {"first hit exact": 1.0 if rank == 1 else 0.0, "nDCG@10": out["nDCG@10"]}
    return out


def _dcg(gains: Iterable[int]) -> float:
    return float(sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(gains)))


# --- engines -----------------------------------------------------------------------


async def evaluate(index: SearchIndex, docs: list[IndexDocument], qs: list[Query]) -> dict[str, Any]:
    """Load ``docs``, run every query; mean metrics per variant, and latency."""
    await index.ensure_ready()
    await index.upsert_many(docs)
    await index.refresh()
    scores: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    latencies, misses = [], []
    for query in qs:
        started = time.perf_counter()
        result = await index.search(SearchRequest(parse_query(query.text), READER, first=10))
        latencies.append(time.perf_counter() - started)
        ranked = [h.record_id for h in result.hits]
        for metric, value in metrics(ranked, query).items():
            scores[query.variant][metric].append(value)
        if query.variant == "no diacritics" and max(query.grades) not in ranked:
            misses.append(query.text)
    means = {v: {m: round(statistics.fmean(x), 3) for m, x in by.items()} for v, by in scores.items()}
    counts = {v: len(next(iter(by.values()))) for v, by in scores.items()}
    return {
        "metrics": means,
        "queries": counts,
        "search_p50_ms": round(1000 * statistics.median(latencies), 2),
        "missed_no_diacritics": misses[:10],
    }


def run(ctx: Context) -> Result:
    result = Result(NAME)
    corpus = load_corpus()
    docs = documents(corpus)
    qs = queries(corpus, docs, ctx.size(40, len(corpus)))
    result.figures["corpus"] = {"documents": len(docs), "pages": sum(len(d.pages) for d in docs)}
    engines: dict[str, Any] = {}
    engines["fts5"] = asyncio.run(_fts5(ctx, docs, qs))
    url = os.environ.get("ARCHIVE_TEST_ELASTICSEARCH_URL")
    if url:
        engines["elasticsearch"] = asyncio.run(_elasticsearch(url, docs, qs))
    else:
        result.notes.append("ARCHIVE_TEST_ELASTICSEARCH_URL is not set: Elasticsearch not measured")
    result.figures["engines"] = engines
    _judge(result, engines)
    return result


async def _fts5(ctx: Context, docs: list[IndexDocument], qs: list[Query]) -> dict[str, Any]:
    path = ctx.workdir / "search.db"
    figures = await evaluate(SqliteSearchIndex(path), docs, qs)
    figures["index_bytes"] = path.stat().st_size
    return figures


async def _elasticsearch(url: str, docs: list[IndexDocument], qs: list[Query]) -> dict[str, Any]:
    index = ElasticsearchIndex(url, index=f"bench-relevance-{uuid.uuid4().hex[:8]}")
    try:
        figures = await evaluate(index, docs, qs)
        figures["index_bytes"] = await _es_store_bytes(index)
        return figures
    finally:
        await index.drop()
        await index.close()


async def _es_store_bytes(index: ElasticsearchIndex) -> int:
    client = index._client
    await client.indices.forcemerge(index=index._alias, max_num_segments=1)
    stats = await client.indices.stats(index=index._alias, metric="store")
    return int(stats.body["_all"]["primaries"]["store"]["size_in_bytes"])


def _judge(result: Result, engines: dict[str, Any]) -> None:
    for engine, figures in engines.items():
        for variant, floors in FLOORS.items():
            for metric, floor in floors.items():
                value = figures["metrics"].get(variant, {}).get(metric)
                if value is not None:
                    result.ratio(f"{engine}: {variant}, {metric} (floor)", value, 1.0, floor, "higher")
    missed = [r["name"] for r in result.ratios if r["met"] is False]
    if missed:
        result.notes.append("Below the floor: " + "; ".join(missed))
