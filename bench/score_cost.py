"""What the scope-independent score costs: adapter-level search latency on both engines.

Loads ``--docs`` synthetic records (``bench.synthetic``) into a fresh FTS5 file and,
when ARCHIVE_TEST_ELASTICSEARCH_URL is set, a fresh Elasticsearch index; then times
each query (20 hits, highlights, facets, an agency member's scope) ``--repeats``
times and prints the median in milliseconds: wall clock, and this process's CPU time
(all of FTS5's work; for Elasticsearch only the client's). Run it on two commits
to compare:

    python -m bench.score_cost --docs 3000 --repeats 7
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from archive.domain.access import Principal, ReadScope
from archive.domain.ports import SearchIndex
from archive.domain.query import parse_query
from archive.domain.search import SearchRequest
from bench import synthetic
from indexing.search import ElasticsearchIndex, SqliteSearchIndex

QUERIES = ("chu ky so", "văn bản điện tử", '"công tác văn thư" -đất', "ngân sách OR đất đai")
SCOPE = ReadScope.for_principal(Principal(subject="bench", agencies=frozenset({"UBND-HN", "UBND-DN"})))


async def _time(index: SearchIndex, repeats: int) -> dict[str, tuple[float, float]]:
    medians: dict[str, tuple[float, float]] = {}
    for text in QUERIES:
        request = SearchRequest(parse_query(text), SCOPE, first=20, with_facets=True, with_highlights=True)
        await index.search(request)  # warm up caches
        wall, cpu = [], []
        for _ in range(repeats):
            started, used = time.perf_counter(), time.process_time()
            await index.search(request)
            wall.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - used) * 1000)
        medians[text] = statistics.median(wall), statistics.median(cpu)
    return medians


async def _engine(name: str, index: SearchIndex, docs: int, repeats: int) -> None:
    await index.ensure_ready()
    await index.upsert_many(s.document for s in synthetic.records(docs, seed=7))
    await index.refresh()
    for text, (wall, cpu) in (await _time(index, repeats)).items():
        print(f"{name:14} {text:32} median {wall:7.2f} ms wall {cpu:7.2f} ms cpu")
    drop = getattr(index, "drop", None)
    if drop is not None:
        await drop()
    await index.close()


async def main(docs: int, repeats: int, engines: list[str]) -> None:
    if "fts5" in engines:
        with tempfile.TemporaryDirectory() as tmp:
            await _engine("fts5", SqliteSearchIndex(Path(tmp) / "search.db"), docs, repeats)
    url = os.environ.get("ARCHIVE_TEST_ELASTICSEARCH_URL")
    if url and "elasticsearch" in engines:
        index = ElasticsearchIndex(url, index=f"bench-{uuid.uuid4().hex[:8]}")
        await _engine("elasticsearch", index, docs, repeats)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=3000)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--engine", action="append", choices=["fts5", "elasticsearch"])
    args = parser.parse_args()
    asyncio.run(main(args.docs, args.repeats, args.engine or ["fts5", "elasticsearch"]))
