"""Mixed load on the production stack: portal clients searching and reading while
depositors upload, against the same searches with no load.

PostgreSQL, Elasticsearch and the S3 server (the ``ARCHIVE_TEST_*`` variables that
``scripts/services start`` prints), ``archive serve`` and ``archive worker`` each in their
own process, and a bounded asyncio client on loopback only: ``CLIENTS`` portal clients
(each a loop of one search then one ``record(id)`` of a hit) and ``DEPOSITORS`` depositors
(each a loop of multipart ``depositRecord`` uploads of a fresh signed-off PDF) for
``duration`` seconds, then everything stops by itself. Every request counts: an HTTP status
other than 200, a GraphQL error, or a deposit that does not answer ``DepositSuccess`` is an
error.

Audit: the server runs as the development admin, so every answer that shows a
non-public record must leave exactly one entry (``search.read`` for a search page with
non-public hits, ``record.read`` for a non-public record). The client counts those
answers; after the run the suite counts the entries in ``audit_log`` and verifies the hash
chain. Lost entries are ``audited answers - entries``.

Repeats: ``ROUNDS`` rounds, each an idle pass (one client, the same searches one at a
time) then the loaded pass; the ratio is loaded p50 ÷ idle p50 per round. Figures: p50
and p99 of search, record and deposit latencies under load, requests and errors.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from archive.domain.audit import verify_chain
from archive.factory import build_services
from archive.samples import SampleDocument, render_pdf
from archive.settings import Settings
from bench import synthetic
from bench.harness import Context, Result, percentile
from bench.server import serve
from bench.stack import embedded_settings, metadata_database, settings_env

NAME = "load"
CLIENTS = 20
DEPOSITORS = 2
ROUNDS = 3
QUERIES = ("chu ky so", "văn bản điện tử", "quyết định", "kế hoạch", '"công tác văn thư"')
SEARCH = """query($q: String!) { search(query: $q, first: 10) { totalCount
  edges { node { id isPublic documentNumber subject } } } }"""
RECORD = "query($id: ID!) { record(id: $id) { id isPublic subject } }"
DEPOSIT = """mutation($file: Upload!, $metadata: RecordMetadataInput!) {
  depositRecord(file: $file, metadata: $metadata) { __typename } }"""
ENV = ("ARCHIVE_TEST_POSTGRES_URL", "ARCHIVE_TEST_ELASTICSEARCH_URL", "ARCHIVE_TEST_S3_ENDPOINT")


@dataclass
class Tally:
    """What the clients saw in one loaded pass."""

    search: list[float] = field(default_factory=list)
    record: list[float] = field(default_factory=list)
    deposit: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    audited: int = 0  # answers that showed a non-public record: one audit entry each

    @property
    def requests(self) -> int:
        return len(self.search) + len(self.record) + len(self.deposit) + len(self.errors)


def run(ctx: Context) -> Result:
    result = Result(NAME)
    missing = [name for name in ENV if not os.environ.get(name)]
    if missing:
        result.skipped = f"{', '.join(missing)} not set: start the services (scripts/services start)"
        return result
    duration = ctx.size(6.0, 60.0)
    with metadata_database() as database_url:
        settings = _production(ctx.workdir / "data", database_url)
        _seed(settings, ctx.size(2_000, 20_000))
        with serve(settings, ctx.workdir / "server") as server, _worker(settings, ctx.workdir / "worker"):
            asyncio.run(_measure(server.url, duration, result))
        _check_audit(settings, result)
    return result


def _production(data_dir: Path, database_url: str) -> Settings:
    tag = uuid.uuid4().hex[:10]
    return embedded_settings(
        data_dir,
        database_url=database_url,
        blob_backend="s3",
        s3_endpoint=os.environ["ARCHIVE_TEST_S3_ENDPOINT"],
        s3_access_key=os.environ.get("ARCHIVE_TEST_S3_ACCESS_KEY", ""),
        s3_secret_key=os.environ.get("ARCHIVE_TEST_S3_SECRET_KEY", ""),
        s3_ca_file=os.environ.get("ARCHIVE_TEST_S3_CA_FILE") or None,
        s3_bucket=f"bench-load-{tag}",
        search_backend="elasticsearch",
        elasticsearch_url=os.environ["ARCHIVE_TEST_ELASTICSEARCH_URL"],
        elasticsearch_index=f"bench-load-{tag}",
    )


def _seed(settings: Settings, count: int) -> None:
    """Synthetic rows by SQL and their documents by bulk, so searches find something."""

    async def load() -> None:
        services = await asyncio.to_thread(build_services, settings, migrate=True)
        try:
            await services.index.ensure_ready()
            for batch in synthetic.batches(synthetic.records(count, seed=11), 2_000):
                await asyncio.to_thread(synthetic.insert_rows, synthetic.engine_of(services), batch)
                await services.index.upsert_many(s.document for s in batch)
            await services.index.refresh()
        finally:
            await services.close()

    asyncio.run(load())


class _worker:
    """``archive worker`` in its own process for the block: the depositors' jobs run."""

    def __init__(self, settings: Settings, cwd: Path) -> None:
        self._settings, self._cwd = settings, cwd
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> None:
        self._cwd.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, **settings_env(self._settings), "PYTHONPATH": str(Path(__file__).parents[1])}
        command = [str(Path(sys.executable).parent / "archive"), "worker"]
        with (self._cwd / "worker.log").open("wb") as log:
            self._process = subprocess.Popen(
                command, cwd=self._cwd, env=env, stdout=log, stderr=subprocess.STDOUT
            )

    def __exit__(self, *exc: object) -> None:
        assert self._process is not None
        self._process.terminate()
        try:
            self._process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()


async def _measure(url: str, duration: float, result: Result) -> None:
    # Idle connections expire before the server's keep-alive (uvicorn: 5 s) closes them, or a
    # client reusing one the server just closed reads an error that no server fault caused.
    limits = httpx.Limits(max_connections=CLIENTS + DEPOSITORS + 2, keepalive_expiry=2.0)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as client:
        warm = Tally()
        for q in QUERIES:  # warm caches and connections
            await _search(client, q, warm)
        idle: list[Tally] = []
        loaded: list[Tally] = []
        for round_number in range(ROUNDS):
            quiet = Tally()
            for index in range(len(QUERIES) * 4):
                await _search(client, QUERIES[index % len(QUERIES)], quiet)
            idle.append(quiet)
            loaded.append(await _loaded(client, duration / ROUNDS, seed=round_number))
    _report(result, idle, loaded, duration)
    # Every answer that showed a non-public record, idle and warm-up ones included.
    result.figures["_audited_answers"] = warm.audited + sum(t.audited for t in idle + loaded)


async def _loaded(client: httpx.AsyncClient, seconds: float, seed: int) -> Tally:
    tally = Tally()
    stop = time.monotonic() + seconds
    portals = [_portal(client, tally, stop, random.Random(seed * 100 + n)) for n in range(CLIENTS)]
    depositors = [_depositor(client, tally, stop, f"{seed}-{n}") for n in range(DEPOSITORS)]
    await asyncio.gather(*portals, *depositors)
    return tally


async def _portal(client: httpx.AsyncClient, tally: Tally, stop: float, rng: random.Random) -> None:
    while time.monotonic() < stop:
        ids = await _search(client, rng.choice(QUERIES), tally)
        if ids:
            await _record(client, rng.choice(ids), tally)


async def _search(client: httpx.AsyncClient, q: str, tally: Tally) -> list[str]:
    started = time.perf_counter()
    body = await _post(client, {"query": SEARCH, "variables": {"q": q}}, tally)
    if body is None:
        return []
    tally.search.append(time.perf_counter() - started)
    nodes = [e["node"] for e in body["data"]["search"]["edges"]]
    if any(not n["isPublic"] for n in nodes):
        tally.audited += 1
    return [n["id"] for n in nodes]


async def _record(client: httpx.AsyncClient, global_id: str, tally: Tally) -> None:
    started = time.perf_counter()
    body = await _post(client, {"query": RECORD, "variables": {"id": global_id}}, tally)
    if body is None:
        return
    tally.record.append(time.perf_counter() - started)
    found = body["data"]["record"]
    if found is None:
        tally.errors.append(f"record {global_id} not found")
    elif not found["isPublic"]:
        tally.audited += 1


async def _post(client: httpx.AsyncClient, payload: dict[str, Any], tally: Tally) -> Any:
    try:
        response = await client.post("/graphql", json=payload)
    except httpx.HTTPError as exc:
        tally.errors.append(f"{type(exc).__name__}: {exc}")
        return None
    if response.status_code != 200:
        tally.errors.append(f"HTTP {response.status_code}: {response.text[:200]}")
        return None
    body = response.json()
    if body.get("errors"):
        tally.errors.append(json.dumps(body["errors"])[:300])
        return None
    return body


async def _depositor(client: httpx.AsyncClient, tally: Tally, stop: float, name: str) -> None:
    n = 0
    while time.monotonic() < stop:
        n += 1
        number = f"{abs(hash(name)) % 9000 + 1000}{n}"
        doc = SampleDocument(
            number=number, subject=f"Về việc thử tải {name} số {n}", issue_date=date(2025, 1, 2)
        )
        pdf = await asyncio.to_thread(render_pdf, doc)
        metadata = {
            "documentType": "Công văn",
            "number": number,
            "notation": "UBND-VP",
            "issuingAgencyCode": "UBND-HG",
            "issuingAgencyName": "Ủy ban nhân dân tỉnh Hà Giang",
            "issueDate": "2025-01-02",
            "subject": doc.subject,
            "signerName": "Nguyễn Văn An",
            "signerPosition": "Chánh Văn phòng",
            "direction": "OUTGOING",
        }
        operations = {"query": DEPOSIT, "variables": {"file": None, "metadata": metadata}}
        started = time.perf_counter()
        try:
            response = await client.post(
                "/graphql",
                data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.file"]})},
                files={"0": (f"{number}.pdf", pdf, "application/pdf")},
                headers={"X-Archive-Request": "1"},
            )
        except httpx.HTTPError as exc:
            tally.errors.append(f"deposit {type(exc).__name__}: {exc}")
            continue
        body = response.json() if response.status_code == 200 else None
        kind = None if body is None or body.get("errors") else body["data"]["depositRecord"]["__typename"]
        if kind != "DepositSuccess":
            tally.errors.append(f"deposit answered {response.status_code} {str(body)[:200]}")
            continue
        tally.deposit.append(time.perf_counter() - started)


def _ms(samples: list[float], q: float) -> float | None:
    return round(percentile(samples, q) * 1000, 1) if samples else None  # q in 0-100


def _report(result: Result, idle_passes: list[Tally], loaded: list[Tally], duration: float) -> None:
    idle = [t.search for t in idle_passes]
    idle_all = [x for samples in idle for x in samples]
    every = Tally()
    for tally in loaded:
        every.search += tally.search
        every.record += tally.record
        every.deposit += tally.deposit
        every.errors += tally.errors
        every.audited += tally.audited
    result.figures.update(
        {
            "clients": CLIENTS,
            "depositors": DEPOSITORS,
            "seconds_under_load": duration,
            "requests": every.requests,
            "errors": len(every.errors),
            "first_errors": every.errors[:5],
            "deposits": len(every.deposit),
            "search_ms": {"p50": _ms(every.search, 50), "p99": _ms(every.search, 99)},
            "record_ms": {"p50": _ms(every.record, 50), "p99": _ms(every.record, 99)},
            "deposit_ms": {"p50": _ms(every.deposit, 50), "p99": _ms(every.deposit, 99)},
            "idle_search_ms": {"p50": _ms(idle_all, 50), "p99": _ms(idle_all, 99)},
        }
    )
    result.ratio(
        f"search p50 with {CLIENTS} portal clients + {DEPOSITORS} depositors ÷ idle, production stack",
        [statistics.median(t.search) for t in loaded],
        [statistics.median(s) for s in idle],
        None,
        "lower",
    )
    result.ratio("requests in error ÷ requests, mixed load", len(every.errors), every.requests, 0.0, "lower")


def _check_audit(settings: Settings, result: Result) -> None:
    """Entries written for the audited answers, and the chain intact."""
    services = build_services(settings, migrate=False)
    try:
        engine = synthetic.engine_of(services)
        with engine.connect() as conn:
            written = conn.execute(
                sa.text("SELECT count(*) FROM audit_log WHERE action IN ('search.read', 'record.read')")
            ).scalar_one()
        report = verify_chain(services.audit.entries())
    finally:
        asyncio.run(services.close())
    audited = int(result.figures.pop("_audited_answers"))
    result.figures["audited_answers"] = audited
    result.figures["audit_entries_written"] = int(written)
    result.figures["audit_chain_intact"] = report.ok
    result.figures["audit_entries_verified"] = report.checked
    result.ratio(
        "audit entries written ÷ audited answers, mixed load", int(written), max(audited, 1), 1.0, "higher"
    )
    if not report.ok:
        result.notes.append(f"the audit chain breaks at seq {report.first_bad_seq}")
    if int(written) != audited:
        result.notes.append(
            f"{audited} answers showed non-public records, {written} audit entries were written"
        )
