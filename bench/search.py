"""Search latency: GraphQL ``search`` end to end against the same query sent straight
to Elasticsearch, at growing corpus sizes (10k, 200k and 1M records; 1k and 5k quick).

The GraphQL side is ``archive serve`` in its own process (PostgreSQL when
ARCHIVE_TEST_POSTGRES_URL is set, else SQLite, for the rows that hydrate the hits),
asked over HTTP with httpx for 20 hits with highlights and facets. The baseline
sends the very body the adapter compiles (``indexing.search._es_query``) with the
official client, in 3 rounds (median and min–max of the per-round ratios). Target:
p50 ratio ≤ 1.3; p99 reported. Latency growth from the smallest corpus to each
larger one is reported for both; Elasticsearch's from 10k to 1M is judged (≤ 2). The
adapter's request cache answers a repeated query from memory, so the direct request is
also sent with the cache off (in each round after the interleaved pairs, never between
them): that growth is what the engine's own work does with size.
The corpus grows in place (each size loads only the records it adds). Skipped when
ARCHIVE_TEST_ELASTICSEARCH_URL is unset.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
from elasticsearch import AsyncElasticsearch

from archive.app import DEV_ADMIN
from archive.domain.access import ReadScope
from archive.domain.query import parse_query
from archive.domain.search import SearchRequest
from archive.factory import build_services
from archive.services.container import Services
from archive.settings import Settings
from bench import synthetic
from bench.harness import Context, Result, summarize
from bench.server import serve
from bench.stack import embedded_settings, metadata_database
from indexing.search import _es_query
from indexing.search._terms import compile_query

NAME = "search"
ROUNDS = 3
TARGET = 1.3
GROWTH_TARGETS = {(10_000, 1_000_000): 2.0}
"""(from, to) records → the target on Elasticsearch's p50 growth between them (issue 16)."""
IN_FLIGHT = 2
"""Bulk writes outstanding while loading: the adapter builds one request's documents
(tokens, folded text: Python, one core) while the engine indexes the other's."""
SIDES = ("graphql", "elasticsearch", "elasticsearch_uncached")
QUERIES = ("chu ky so", "văn bản điện tử", '"công tác văn thư" -đất')
GRAPHQL = """query($q: String!) { search(query: $q, first: 20) {
  totalCount
  edges { score highlights { page snippet }
          node { id documentNumber subject issueDate issuingAgency { name } } }
  facets { issuingAgency { value count } documentType { value count } year { value count } } } }"""


def run(ctx: Context) -> Result:
    result = Result(NAME)
    url = os.environ.get("ARCHIVE_TEST_ELASTICSEARCH_URL")
    if not url:
        result.skipped = (
            "ARCHIVE_TEST_ELASTICSEARCH_URL is not set: start Elasticsearch (scripts/services start)"
        )
        return result
    sizes = ctx.size((1_000, 5_000), (10_000, 200_000, 1_000_000))
    requests = ctx.size(20, 100)
    with metadata_database() as database_url:
        settings = embedded_settings(
            ctx.workdir / "data",
            database_url=database_url,
            search_backend="elasticsearch",
            elasticsearch_url=url,
            elasticsearch_index=f"bench-{uuid.uuid4().hex[:10]}",
        )
        asyncio.run(_measure(ctx, settings, sizes, requests, result))
    return result


async def _measure(
    ctx: Context, settings: Settings, sizes: tuple[int, ...], requests: int, result: Result
) -> None:
    services = await asyncio.to_thread(build_services, settings, migrate=True)
    await services.index.ensure_ready()
    es = AsyncElasticsearch(settings.elasticsearch_url, request_timeout=120)
    try:
        result.figures["_elasticsearch_server"] = await _server_version(es)
        loaded, by_size = 0, {}
        for size in sizes:
            load = await _load(services, es, settings.elasticsearch_index, loaded, size - loaded)
            loaded = size
            with serve(settings, ctx.workdir / "server") as server:
                by_size[size] = await _latencies(server.url, es, settings.elasticsearch_index, requests)
            by_size[size] |= load | await _engine_stats(es, settings.elasticsearch_index)
        result.figures["breakdown_ms"] = await _breakdown(services, requests)
        _report(result, by_size, sizes)
    finally:
        await es.indices.delete(index=f"{settings.elasticsearch_index}-v*")
        await es.close()
        await services.close()


async def _server_version(es: AsyncElasticsearch) -> str:
    # GET / is refused by some deployments (405 here); the nodes API tells the version too.
    nodes = (await es.nodes.info(node_id="_local", filter_path="nodes.*.version")).body["nodes"]
    return ", ".join(sorted({n["version"] for n in nodes.values()}))


async def _load(
    services: Services, es: AsyncElasticsearch, alias: str, start: int, count: int
) -> dict[str, float]:
    """Rows by SQL, documents by bulk (``IN_FLIGHT`` requests outstanding), with refreshes
    off while loading, then one merge. Seconds for all of it, the merge's among them."""
    started = time.perf_counter()
    await es.indices.put_settings(index=alias, settings={"refresh_interval": "-1"})
    pending: set[asyncio.Task[int]] = set()
    for batch in synthetic.batches(synthetic.records(count, seed=start + 1), 2_000):
        await asyncio.to_thread(synthetic.insert_rows, synthetic.engine_of(services), batch)
        if len(pending) >= IN_FLIGHT:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                task.result()  # a refused write stops the load here
        pending.add(asyncio.create_task(services.index.upsert_many(s.document for s in batch)))
    await asyncio.gather(*pending)
    await es.indices.put_settings(index=alias, settings={"refresh_interval": None})
    await es.indices.refresh(index=alias)
    merging = time.perf_counter()
    # As an archive settles: few segments. A million records' merge outlasts the client's timeout.
    await es.options(request_timeout=3600).indices.forcemerge(index=alias, max_num_segments=1)
    ended = time.perf_counter()
    return {
        "records_added": count,
        "load_seconds": round(ended - started, 1),
        "forcemerge_seconds": round(ended - merging, 1),
    }


async def _engine_stats(es: AsyncElasticsearch, alias: str) -> dict[str, float]:
    """The index's documents and size on disk, and the node's heap after the searches:
    whether a 1 GB heap holds the corpus is read here."""
    stats = (await es.indices.stats(index=alias, metric="store")).body["_all"]["primaries"]
    count = (await es.count(index=alias)).body["count"]  # the records: docs.count adds nested pages
    nodes = (await es.nodes.stats(node_id="_local", metric="jvm")).body["nodes"]
    heap = next(iter(nodes.values()))["jvm"]["mem"]
    mb = 1024 * 1024
    return {
        "documents": count,
        "store_mb": round(stats["store"]["size_in_bytes"] / mb, 1),
        "heap_used_mb": round(heap["heap_used_in_bytes"] / mb, 1),
        "heap_max_mb": round(heap["heap_max_in_bytes"] / mb, 1),
    }


async def _latencies(url: str, es: AsyncElasticsearch, alias: str, requests: int) -> dict[str, Any]:
    """``ROUNDS`` rounds of ``requests`` queries, GraphQL and the cached direct request
    interleaved one by one, then as many with the cache off, on their own."""
    rounds, matched = [], {}
    queries = [QUERIES[index % len(QUERIES)] for index in range(requests)]
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        for warm in QUERIES:  # caches and connections on both sides
            await _graphql(client, warm)
            matched[warm] = await _direct(es, alias, warm)
        for _ in range(ROUNDS):
            spent: dict[str, list[float]] = {side: [] for side in SIDES}
            for q in queries:
                spent["graphql"].append(await _timed(_graphql(client, q)))
                spent["elasticsearch"].append(await _timed(_direct(es, alias, q)))
            # Apart, after the pair: an uncached request leaves the engine busy (0.8 s of
            # scoring and facets at 1M), and interleaved it slowed whichever request came
            # next (GraphQL's p50 at 200k: 40.1 ms after one, 27.7 ms after the direct one).
            for q in queries:
                spent["elasticsearch_uncached"].append(await _timed(_direct(es, alias, q, cache=False)))
            rounds.append({f"{side}_seconds": summarize(values) for side, values in spent.items()})
    return {"rounds": rounds, "matched": matched}


async def _timed(call: Any) -> float:
    started = time.perf_counter()
    await call
    return time.perf_counter() - started


async def _graphql(client: httpx.AsyncClient, q: str) -> None:
    response = await client.post("/graphql", json={"query": GRAPHQL, "variables": {"q": q}})
    body = response.json()
    if "errors" in body or not body["data"]["search"]["edges"]:
        raise RuntimeError(f"the GraphQL search failed or found nothing: {str(body)[:300]}")


async def _direct(es: AsyncElasticsearch, alias: str, q: str, *, cache: bool = True) -> int:
    """The very request the adapter sends; with ``cache=False``, the engine works it out
    again instead of answering from its request cache. Returns the records it matched."""
    parsed = parse_query(q)
    request = SearchRequest(query=parsed, scope=ReadScope.for_principal(DEV_ADMIN), first=20)
    response = await es.search(
        index=alias,
        body=_es_query.search_body(request, compile_query(parsed), None),
        **(_es_query.SEARCH_PARAMS | ({} if cache else {"request_cache": False})),
    )
    return int(response.body["hits"]["total"]["value"])


async def _breakdown(services: Services, requests: int) -> dict[str, float]:
    """Where a GraphQL search's time goes: the same query through the app in this process
    (no HTTP socket), with the adapter's search (the engine's round trip and the hits'
    highlights), the hydration of the hits and the audit entry timed around their calls.
    Medians of ``requests`` searches, in ms."""
    from archive import app as app_module
    from archive.api import records as api_records

    spent: dict[str, list[float]] = {"index.search": [], "hydration": [], "audit": [], "request": []}

    def timing(name: str, call: Any) -> Any:
        async def async_timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return await call(*args, **kwargs)
            finally:
                spent[name].append(time.perf_counter() - started)

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return call(*args, **kwargs)
            finally:
                spent[name].append(time.perf_counter() - started)

        return async_timed if asyncio.iscoroutinefunction(call) else timed

    original_audit = api_records._audit_hits
    services.index.search = timing("index.search", services.index.search)  # type: ignore[method-assign]
    services.records.get_many = timing("hydration", services.records.get_many)  # type: ignore[method-assign]
    api_records._audit_hits = timing("audit", original_audit)
    try:
        app = app_module.create_app(services=services)
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 4000))
        async with httpx.AsyncClient(transport=transport, base_url="http://bench", timeout=60) as client:
            for q in QUERIES:
                await _graphql(client, q)
            for values in spent.values():
                values.clear()
            for index in range(requests):
                spent["request"].append(await _timed(_graphql(client, QUERIES[index % len(QUERIES)])))
    finally:
        api_records._audit_hits = original_audit
        del services.index.search, services.records.get_many  # type: ignore[attr-defined]
    medians = {name: 1000 * statistics.median(values) for name, values in spent.items() if values}
    medians["graphql (rest)"] = medians["request"] - sum(v for k, v in medians.items() if k != "request")
    return {name: round(ms, 2) for name, ms in medians.items()}


def _report(result: Result, by_size: dict[int, dict[str, Any]], sizes: tuple[int, ...]) -> None:
    result.figures["by_size"] = {str(k): v for k, v in by_size.items()}

    def per_round(size: int, side: str, stat: str = "p50") -> list[float]:
        return [r[f"{side}_seconds"][stat] for r in by_size[size]["rounds"]]

    for size in sizes:
        for stat, target in (("p50", TARGET), ("p99", None)):
            result.ratio(
                f"search {stat} at {size:,}, GraphQL ÷ Elasticsearch",
                per_round(size, "graphql", stat),
                per_round(size, "elasticsearch", stat),
                target,
                "lower",
            )
    smallest = sizes[0]
    for size in sizes[1:]:
        for side in SIDES:
            result.ratio(
                f"{_LABELS[side]} p50 growth, {size:,} ÷ {smallest:,} records",
                per_round(size, side),
                per_round(smallest, side),
                None if side == "graphql" else GROWTH_TARGETS.get((smallest, size)),
                "lower",
            )
    result.notes.append(_growth_note(by_size, sizes, per_round))
    if any(r["met"] is False and "GraphQL ÷" in r["name"] for r in result.ratios):
        result.notes.append(_breakdown_note(result.figures["breakdown_ms"], sizes, per_round))


_LABELS = {
    "graphql": "graphql",
    "elasticsearch": "elasticsearch",
    "elasticsearch_uncached": "elasticsearch (request cache off)",
}
PerRound = Callable[..., list[float]]


def _ms(values: list[float]) -> str:
    return f"{1000 * statistics.median(values):.1f}"


def _growth_note(by_size: dict[int, dict[str, Any]], sizes: tuple[int, ...], per_round: PerRound) -> str:
    """What the largest corpus did against the smallest, and what loading each size took."""
    small, large = sizes[0], sizes[-1]
    at = by_size[large]
    sides = "; ".join(
        f"{_LABELS[side]} {_ms(per_round(large, side))} / {_ms(per_round(large, side, 'p99'))} "
        f"(against {_ms(per_round(small, side))} / {_ms(per_round(small, side, 'p99'))})"
        for side in SIDES
    )
    loads = ", ".join(
        f"{by_size[size]['records_added']:,} in {by_size[size]['load_seconds']:.0f} s "
        f"({by_size[size]['records_added'] / by_size[size]['load_seconds']:.0f}/s, merge "
        f"{by_size[size]['forcemerge_seconds']:.0f} s)"
        for size in sizes
    )
    shares = ", ".join(f"{q} {n / large:.0%}" for q, n in at["matched"].items())
    return (
        f"At {large:,} records ({at['documents']:,} documents, {at['store_mb']:,.0f} MB on disk; the "
        f"node's heap {at['heap_used_mb']:.0f} of {at['heap_max_mb']:.0f} MB after the searches), "
        f"p50 / p99 in ms, medians of {ROUNDS} rounds, against {small:,} records: {sides}. The "
        "request cache answers a repeated query from memory whatever the corpus size, so only the "
        "cache-off growth shows the engine's own work (matching, scoring, the three facets) "
        f"growing with the corpus, here over the share of the records each query matches: {shares} "
        "(the synthetic text draws its words from a short list, so common words are in most "
        f"records). Loading (rows by SQL, documents by bulk with {IN_FLIGHT} requests "
        f"in flight and refreshes off, then a merge into one segment), records added: {loads}."
    )


def _breakdown_note(parts: dict[str, float], sizes: tuple[int, ...], per_round: PerRound) -> str:
    small, large = sizes[0], sizes[-1]
    g = statistics.median(per_round(small, "graphql"))
    e = statistics.median(per_round(small, "elasticsearch"))
    listed = ", ".join(f"{name} {ms:.1f}" for name, ms in parts.items() if name != "request")
    return (
        f"GraphQL adds {1000 * (g - e):.0f} ms to the engine's {1000 * e:.0f} ms (median p50 at "
        f"{small:,}). Measured in process (no HTTP socket) on the {large:,}-record corpus, a search "
        f"of {parts['request']:.1f} ms splits into (ms, medians): {listed}. index.search is the "
        "engine's round trip plus the highlights, cut in Python from each hit's pages (the same for "
        "both engines); hydration reads the hits' rows from the database, which has the last word on "
        "each; audit is the entry a search returning non-public records writes before it answers; "
        "the rest is strawberry's execution of 20 hits × their fields, facets and cursors. The direct "
        "baseline does none of these, so the ratio is highest on a small index and falls as the "
        "engine's own time grows."
    )
