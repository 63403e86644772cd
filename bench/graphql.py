"""GraphQL ``record(id)`` against a plain starlette JSON endpoint with the same payload.

Both routes live in one uvicorn process (``bench.graphql_app``) over the same
SQLite archive and fetch the record the same way; only the GraphQL layer differs.
Requests per second with a few concurrent keep-alive clients (target ≥ 0.5: the
brief set none, ours says strawberry may at most halve throughput), and response
bytes against compact UTF-8 JSON of the same data (target 1.0).
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from typing import Any

import httpx

from archive.api.types import to_global_id
from archive.factory import build_services
from bench import synthetic
from bench.graphql_app import RECORD_QUERY
from bench.harness import Context, Result
from bench.server import serve
from bench.stack import embedded_settings

NAME = "graphql"
CONCURRENCY = 4


def run(ctx: Context) -> Result:
    result = Result(NAME)
    settings = embedded_settings(ctx.workdir / "data")
    services = build_services(settings, migrate=True)
    batch = list(synthetic.records(ctx.size(200, 2_000), seed=3))
    synthetic.insert_rows(synthetic.engine_of(services), batch)
    asyncio.run(services.close())
    ids = [str(s.row["id"]) for s in batch]
    with serve(settings, ctx.workdir / "server", factory="bench.graphql_app:create") as server:
        asyncio.run(_measure(server.url, ids, ctx.size(300, 3_000), ctx.size(2, 3), result))
    return result


async def _measure(url: str, ids: list[str], requests: int, rounds: int, result: Result) -> None:
    limits = httpx.Limits(max_connections=CONCURRENCY)
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as client:
        graphql_body, plain_body = await _graphql(client, ids[0]), await _plain(client, ids[0])
        rates: dict[str, list[float]] = {"graphql": [], "plain": []}
        for _ in range(rounds):  # interleaved, so drifting machine load hits both alike
            rates["graphql"].append(await _rate(client, _graphql, ids, requests))
            rates["plain"].append(await _rate(client, _plain, ids, requests))
    rps = {k: statistics.median(v) for k, v in rates.items()}
    result.figures["requests_per_second"] = {k: [round(x, 1) for x in v] for k, v in rates.items()}
    result.figures["concurrency"] = CONCURRENCY
    name = "record(id) req/s, GraphQL ÷ plain starlette JSON"
    if result.ratio(name, rps["graphql"], rps["plain"], 0.5, "higher") < 0.5:
        result.notes.append(
            "The parse and validation caches are on (archive/api/hardening.py), so what is left is "
            "graphql-core's execution: one resolver call per selected field (~20 here), the extensions' "
            "hooks around each, and building the result. Persisted queries with a precompiled "
            "executor, or plain attributes instead of resolver methods on the Record type, would cut it."
        )
    _sizes(graphql_body, plain_body, result)


def _sizes(graphql_body: bytes, plain_body: bytes, result: Result) -> None:
    data = json.loads(graphql_body)
    compact = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    escaped = b"\\u" in graphql_body
    result.figures["response_bytes"] = {
        "graphql": len(graphql_body),
        "compact_utf8_json": len(compact),
        "plain_endpoint": len(plain_body),
        "same_data_as_plain": data == json.loads(plain_body),
        "graphql_escapes_non_ascii": escaped,
    }
    if (
        result.ratio(
            "record(id) response bytes, GraphQL ÷ compact UTF-8 JSON",
            len(graphql_body),
            len(compact),
            1.0,
            "lower",
        )
        > 1.0
    ):
        result.notes.append(
            "The GraphQL response is larger than the same data as compact UTF-8 JSON"
            + (
                ": strawberry escapes every non-ASCII character (\\uXXXX, 6 bytes for a 2-3 byte "
                "Vietnamese letter). Fix: return JSON with ensure_ascii=False (another helper is on it)."
                if escaped
                else "."
            )
        )


async def _rate(client: httpx.AsyncClient, call: Any, ids: list[str], requests: int) -> float:
    queue = iter(range(requests))

    async def worker() -> None:
        for index in queue:
            await call(client, ids[index % len(ids)])

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return requests / (time.perf_counter() - started)


async def _graphql(client: httpx.AsyncClient, record_id: str) -> bytes:
    variables = {"id": to_global_id("Record", record_id)}
    response = await client.post("/graphql", json={"query": RECORD_QUERY, "variables": variables})
    response.raise_for_status()
    if b'"errors"' in response.content or b'"record":null' in response.content:
        raise RuntimeError(f"record(id) failed: {response.text[:300]}")
    return response.content


async def _plain(client: httpx.AsyncClient, record_id: str) -> bytes:
    response = await client.get(f"/plain/{record_id}")
    response.raise_for_status()
    return response.content
