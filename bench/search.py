"""Search latency: GraphQL ``search`` end to end against the same query sent straight
to Elasticsearch, at two corpus sizes.

The GraphQL side is ``archive serve`` in its own process (PostgreSQL when
ARCHIVE_TEST_POSTGRES_URL is set, else SQLite, for the rows that hydrate the hits),
asked over HTTP with httpx for 20 hits with highlights and facets. The baseline
sends the very body the adapter compiles (``indexing.search._es_query``) with the
official client, in 3 rounds (median and min–max of the per-round ratios). Target:
p50 ratio ≤ 1.3; p99 reported. Latency growth from the small corpus to
the large one is reported for both. Skipped when ARCHIVE_TEST_ELASTICSEARCH_URL is unset.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
import uuid
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
    sizes = ctx.size((1_000, 5_000), (10_000, 200_000))
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
    ctx: Context, settings: Settings, sizes: tuple[int, int], requests: int, result: Result
) -> None:
    services = await asyncio.to_thread(build_services, settings, migrate=True)
    await services.index.ensure_ready()
    es = AsyncElasticsearch(settings.elasticsearch_url, request_timeout=120)
    try:
        result.figures["_elasticsearch_server"] = await _server_version(es)
        loaded, by_size = 0, {}
        for size in sizes:
            load_seconds = await _load(services, es, settings.elasticsearch_index, loaded, size - loaded)
            loaded = size
            with serve(settings, ctx.workdir / "server") as server:
                by_size[size] = await _latencies(server.url, es, settings.elasticsearch_index, requests)
            by_size[size]["load_seconds"] = round(load_seconds, 1)
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


async def _load(services: Services, es: AsyncElasticsearch, alias: str, start: int, count: int) -> float:
    """Rows by SQL, documents by bulk, with refreshes off while loading."""
    started = time.perf_counter()
    await es.indices.put_settings(index=alias, settings={"refresh_interval": "-1"})
    for batch in synthetic.batches(synthetic.records(count, seed=start + 1), 2_000):
        await asyncio.to_thread(synthetic.insert_rows, synthetic.engine_of(services), batch)
        await services.index.upsert_many(s.document for s in batch)
    await es.indices.put_settings(index=alias, settings={"refresh_interval": None})
    await es.indices.refresh(index=alias)
    await es.indices.forcemerge(index=alias, max_num_segments=1)  # as an archive settles: few segments
    return time.perf_counter() - started


async def _latencies(url: str, es: AsyncElasticsearch, alias: str, requests: int) -> dict[str, Any]:
    """``ROUNDS`` rounds of ``requests`` queries, GraphQL and direct interleaved one by one."""
    rounds = []
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        for warm in QUERIES:  # caches and connections on both sides
            await _graphql(client, warm)
            await _direct(es, alias, warm)
        for _ in range(ROUNDS):
            graphql, direct = [], []
            for index in range(requests):
                q = QUERIES[index % len(QUERIES)]
                graphql.append(await _timed(_graphql(client, q)))
                direct.append(await _timed(_direct(es, alias, q)))
            rounds.append({"graphql_seconds": summarize(graphql), "elasticsearch_seconds": summarize(direct)})
    return {"rounds": rounds}


async def _timed(call: Any) -> float:
    started = time.perf_counter()
    await call
    return time.perf_counter() - started


async def _graphql(client: httpx.AsyncClient, q: str) -> None:
    response = await client.post("/graphql", json={"query": GRAPHQL, "variables": {"q": q}})
    body = response.json()
    if "errors" in body or not body["data"]["search"]["edges"]:
        raise RuntimeError(f"the GraphQL search failed or found nothing: {str(body)[:300]}")


async def _direct(es: AsyncElasticsearch, alias: str, q: str) -> None:
    parsed = parse_query(q)
    request = SearchRequest(query=parsed, scope=ReadScope.for_principal(DEV_ADMIN), first=20)
    await es.search(
        index=alias,
        body=_es_query.search_body(request, compile_query(parsed), None),
        **_es_query.SEARCH_PARAMS,  # the very request the adapter sends
    )


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


def _report(result: Result, by_size: dict[int, dict[str, Any]], sizes: tuple[int, int]) -> None:
    small, large = sizes
    result.figures["by_size"] = {str(k): v for k, v in by_size.items()}

    def per_round(size: int, side: str, stat: str) -> list[float]:
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
    for side in ("graphql", "elasticsearch"):
        result.ratio(
            f"{side} p50 growth, {large:,} ÷ {small:,} records",
            per_round(large, side, "p50"),
            per_round(small, side, "p50"),
            None,
            "lower",
        )
    if any(r["met"] is False for r in result.ratios):
        g = statistics.median(per_round(small, "graphql", "p50"))
        e = statistics.median(per_round(small, "elasticsearch", "p50"))
        parts: dict[str, float] = result.figures["breakdown_ms"]
        listed = ", ".join(f"{name} {ms:.1f}" for name, ms in parts.items() if name != "request")
        result.notes.append(
            f"GraphQL adds {1000 * (g - e):.0f} ms to the engine's {1000 * e:.0f} ms (median p50 at "
            f"{small:,}). Measured in process (no HTTP socket), a search of {parts['request']:.1f} ms "
            f"splits into (ms, medians): {listed}. index.search is the engine's round trip plus "
            "the highlights, cut in Python from each hit's pages (the same for both engines); hydration "
            "reads the hits' rows from the database, which has the last word on each; audit is the "
            "entry a search returning non-public records writes before it answers; the rest is "
            "strawberry's execution of 20 hits × their fields, facets and cursors. The direct baseline "
            "does none of these, so the ratio is highest on a small index and falls as the engine's own "
            "time grows."
        )
