"""The production search index: Elasticsearch through the official async client.

The index is versioned behind an alias: ``records`` points at ``records-v1``;
``rebuild`` fills ``records-v2`` and swaps the alias in one ``_aliases`` call.
Every generation is created from one index template. Writes are versioned
externally by the record's row version, so a replayed or stale write is refused
by the engine itself (HTTP 409), whatever order workers deliver them in.

Writes made while a rebuild runs reach both generations. The generation being
built carries a second alias, ``records-building``, for as long as the build runs,
and every write goes to both aliases in one bulk request (``require_alias``: no
index is ever created by a write; while no build runs the second target is simply
missing). A dual write rather than a replay of the changes before the swap: it
needs no change log and no second pass, works across every process that writes
(API, workers, CLI), and leaves no moment between a replay and the swap in which a
write could still be lost. Why nothing is missed: a writer reads the record from
the database before it writes the index, and the build reads the database only
after the alias is in place, so a writer that did not see the alias wrote a
version the build reads anyway. A delete leaves a tombstone in the new generation
(an external version above any row version, kept while the build runs), so the
build cannot bring back a record purged after it read its row; those tombstones
match no scope and are removed right after the swap.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import contextmanager, suppress
from itertools import islice
from typing import Any

from elasticsearch import (
    ApiError,
    AsyncElasticsearch,
    BadRequestError,
    NotFoundError,
    TransportError,
)

from archive.domain.errors import InvalidCursor, InvalidQuery, SearchUnavailable, ServiceUnavailable
from archive.domain.search import (
    FacetBucket,
    Facets,
    Highlight,
    IndexDocument,
    SearchHit,
    SearchOrder,
    SearchRequest,
    SearchResult,
    SortField,
    SortKey,
)
from indexing.search import _es_query as q
from indexing.search._es_documents import bulk_actions, delete_actions, upsert_actions
from indexing.search._highlight import snippet
from indexing.search._scoring import Scored, scored
from indexing.search._terms import compile_query

BATCH_SIZE = 500
VERSIONS_PAGE = 1000
BUILD_SETTINGS = {"refresh_interval": "-1", "gc_deletes": "7d"}
"""No refreshes while loading (nothing searches it yet); tombstones outlive the build."""
LIVE_SETTINGS = {"refresh_interval": None, "gc_deletes": None}


class ElasticsearchIndex:
    """``SearchIndex`` on Elasticsearch 8. See ``archive.domain.ports.SearchIndex``.

    Args:
        url: the cluster, e.g. ``http://127.0.0.1:9200``.
        index: the alias searched and written; generations are ``{index}-v{n}``.
        replicas: replicas per generation (0 on a single node).
        request_timeout: seconds before a request counts as unanswered.
    """

    def __init__(
        self, url: str, index: str = "records", *, replicas: int = 0, request_timeout: float = 30
    ) -> None:
        self._url = url
        self._alias = index
        self._building = f"{index}-building"
        self._replicas = replicas
        self._timeout = request_timeout
        self._es: AsyncElasticsearch | None = None

    @property
    def _client(self) -> AsyncElasticsearch:
        # Built on first use, inside the running event loop, never at construction.
        if self._es is None:
            self._es = AsyncElasticsearch(self._url, request_timeout=self._timeout)
        return self._es

    async def ensure_ready(self) -> None:
        with _translated():
            await self._client.indices.put_index_template(
                name=f"{self._alias}-template",
                index_patterns=[f"{self._alias}-v*"],
                template={"settings": q.settings(self._replicas), "mappings": q.MAPPINGS},
            )
            if await self._client.indices.exists_alias(name=self._alias):
                # A generation made by an older release lacks the fields added since
                # (mappings only grow, so adding them is always accepted).
                await self._client.indices.put_mapping(index=self._alias, properties=q.MAPPINGS["properties"])
                return
            try:
                await self._client.indices.create(index=self._generation(1), aliases={self._alias: {}})
            except BadRequestError as error:
                # Another process created it first: fine, as long as the alias is there.
                if error.error != "resource_already_exists_exception":
                    raise

    async def check_ready(self) -> None:
        with _translated():
            present = await self._client.indices.exists_alias(name=self._alias)
        if not present:
            raise ServiceUnavailable(f"the search index {self._alias} does not exist")

    async def upsert(self, document: IndexDocument) -> bool:
        return await self.upsert_many([document]) == 1

    async def upsert_many(self, documents: Iterable[IndexDocument]) -> int:
        written = 0
        iterator = iter(documents)
        while batch := list(islice(iterator, BATCH_SIZE)):
            written += await self._write(upsert_actions(self._alias, self._building, batch))
        return written

    async def delete(self, record_id: str) -> None:
        await self._write(delete_actions(self._alias, self._building, record_id))

    async def search(self, request: SearchRequest) -> SearchResult:
        after = _check_sort_key(request.after, request.order)
        query = compile_query(request.query)
        with _translated():
            response = await self._client.search(
                index=self._alias, body=q.search_body(request, query, after), **q.SEARCH_PARAMS
            )
        return _result(response.body, request, scored(query))

    async def get_versions(self) -> AsyncIterator[tuple[str, int]]:
        after: list[Any] | None = None
        while True:
            with _translated():
                response = await self._client.search(
                    index=self._alias,
                    size=VERSIONS_PAGE,
                    sort=[{"record_id": "asc"}],
                    source=False,
                    version=True,
                    search_after=after,
                )
            hits = response.body["hits"]["hits"]
            for hit in hits:
                yield hit["_id"], int(hit["_version"])
            if len(hits) < VERSIONS_PAGE:
                return
            after = hits[-1]["sort"]

    async def rebuild(self, documents: Iterable[IndexDocument]) -> int:
        """Fill a new generation while writes reach both, then swap the alias to it.

        ``documents`` is read only once the new generation receives writes (see the
        module docstring), in a worker thread: it may read the database lazily.
        """
        await self.ensure_ready()  # the template this code expects (tombstones need its mapping)
        with _translated():
            old = await self._generations()
            fresh = self._generation(max((_number(n) for n in old), default=0) + 1)
            await self._client.indices.create(index=fresh, settings=BUILD_SETTINGS)
            # Moved, not added: a build that crashed may have left the alias behind.
            await self._client.indices.update_aliases(
                actions=[
                    {"remove": {"index": f"{self._alias}-v*", "alias": self._building, "must_exist": False}},
                    {"add": {"index": fresh, "alias": self._building}},
                ]
            )
        try:
            written = await self._load(iter(documents))
        except BaseException:
            with _translated():  # no half-built generation left taking dual writes
                await self._client.indices.delete(index=fresh)
            raise
        with _translated():
            await self._client.indices.put_settings(index=fresh, settings=LIVE_SETTINGS)
            await self._client.indices.refresh(index=fresh)
            await self._swap(fresh)
            await self._drop_tombstones(fresh)
            if old:
                await self._client.indices.delete(index=",".join(old))
        return written

    async def _load(self, documents: Iterator[IndexDocument]) -> int:
        """Bulk ``documents`` into the generation being built, read in a worker thread.
        Through its alias, so a write never creates an index if the build was abandoned."""
        written = 0
        while batch := await asyncio.to_thread(lambda: list(islice(documents, BATCH_SIZE))):
            with _translated():
                actions = bulk_actions(self._building, batch)
                response = await self._client.bulk(operations=actions, require_alias=True)
            written += _count_written(response.body["items"])
        return written

    async def _swap(self, fresh: str) -> None:
        """Point the alias at ``fresh`` and end the dual writes, in one atomic call."""
        if await self._aliased(self._building) != [fresh]:
            await self._client.indices.delete(index=fresh)
            raise ServiceUnavailable("another rebuild took over the index; this one was abandoned")
        actions: list[dict[str, Any]] = [
            {"remove": {"index": n, "alias": self._alias}} for n in await self._aliased(self._alias)
        ]
        actions.append({"add": {"index": fresh, "alias": self._alias}})
        actions.append({"remove": {"index": fresh, "alias": self._building}})
        await self._client.indices.update_aliases(actions=actions)

    async def refresh(self) -> None:
        with _translated():
            await self._client.indices.refresh(index=self._alias)

    async def drop(self) -> None:
        """Delete every generation and the template (tests and decommissioning)."""
        with _translated():
            names = await self._generations()
            if names:
                await self._client.indices.delete(index=",".join(names))
            with suppress(NotFoundError):
                await self._client.indices.delete_index_template(name=f"{self._alias}-template")

    async def close(self) -> None:
        if self._es is not None:
            await self._es.close()
            self._es = None

    # --- helpers -------------------------------------------------------------------

    def _generation(self, number: int) -> str:
        return f"{self._alias}-v{number}"

    async def _generations(self) -> list[str]:
        """Every ``{alias}-v{n}`` index, named explicitly (wildcard deletes may be off)."""
        response = await self._client.indices.get(index=f"{self._alias}-v*", expand_wildcards="open,closed")
        pattern = re.compile(rf"^{re.escape(self._alias)}-v\d+$")
        return sorted(n for n in response.body if pattern.match(n))

    async def _drop_tombstones(self, index: str) -> None:
        """Delete the build's tombstones (no ``_delete_by_query``: the distribution we
        run has no reindex module). A delete from now on is a plain one."""
        while True:
            response = await self._client.search(
                index=index, query={"term": {"deleted": True}}, size=VERSIONS_PAGE, source=False
            )
            hits = response.body["hits"]["hits"]
            if not hits:
                return
            actions = [{"delete": {"_index": index, "_id": h["_id"]}} for h in hits]
            await self._client.bulk(operations=actions, refresh=True)

    async def _aliased(self, alias: str) -> list[str]:
        try:
            response = await self._client.indices.get_alias(name=alias)
        except NotFoundError:
            return []
        return sorted(response.body)

    async def _write(self, actions: list[dict[str, Any]]) -> int:
        """Send paired writes (live alias, building alias); count those the live one took."""
        with _translated():
            response = await self._client.bulk(operations=actions, require_alias=True)
        items = response.body["items"]
        for item in items[1::2]:
            _check_building(item)
        return _count_written(items[0::2])


def _number(name: str) -> int:
    return int(name.rsplit("-v", 1)[1])


def _count_written(items: list[dict[str, Any]]) -> int:
    """Documents indexed; a 409 is a stale write and a 404 without error a delete of
    nothing, both fine; anything else is a failure."""
    written = 0
    for item in items:
        [(kind, outcome)] = item.items()
        status = outcome["status"]
        if status in (200, 201):
            written += kind == "index"
        elif status != 409 and not (status == 404 and "error" not in outcome):
            reason = outcome.get("error", {}).get("reason", "unknown")
            raise ServiceUnavailable(f"the search index refused a write: {reason}")
    return written


def _check_building(item: dict[str, Any]) -> None:
    """A write to the generation being built: a missing alias means no build runs."""
    [outcome] = item.values()
    if outcome.get("error", {}).get("type") == "index_not_found_exception":
        return
    _count_written([item])


@contextmanager
def _translated() -> Iterator[None]:
    """Engine errors as domain errors; the raw engine response never leaves."""
    try:
        yield
    except BadRequestError as error:
        raise InvalidQuery(f"the search engine refused the request: {error.error}") from error
    except ApiError as error:
        if error.meta.status == 429 or error.meta.status >= 500:  # busy, starting or recovering
            raise SearchUnavailable(f"the search engine is unavailable ({error.meta.status})") from error
        raise ServiceUnavailable(f"the search engine failed ({error.meta.status})") from error
    except TransportError as error:
        raise SearchUnavailable("the search engine is not reachable") from error


def _check_sort_key(after: SortKey | None, order: SearchOrder) -> list[Any] | None:
    """Relevance: (score, issue date in epoch milliseconds, record id). Any other order:
    (its tag, the engine's sort values, record id): a cursor of another order is refused."""
    if after is None:
        return None
    if order.field is not SortField.RELEVANCE:
        width = len(q.sort_spec(order))
        if len(after) != width + 1 or after[0] != order.tag:
            raise InvalidCursor("the cursor does not belong to this search")
        values = list(after[1:])
        if not all(isinstance(v, int | str) and not isinstance(v, bool) for v in values):
            raise InvalidCursor("the cursor does not belong to this search")
        return values
    if len(after) != 3:
        raise InvalidCursor("the cursor does not belong to this search index")
    score, issued, record_id = after
    valid = (
        isinstance(score, int | float)
        and not isinstance(score, bool)
        and isinstance(issued, int)
        and not isinstance(issued, bool)
        and isinstance(record_id, str)
    )
    if not valid:
        raise InvalidCursor("the cursor does not belong to this search index")
    return [float(score), issued, record_id]


def _result(body: dict[str, Any], request: SearchRequest, phrases: tuple[Scored, ...]) -> SearchResult:
    hits = body["hits"]["hits"]
    return SearchResult(
        hits=tuple(_hit(h, phrases, request.order) for h in hits[: request.first]),
        total=int(body["hits"]["total"]["value"]),
        facets=_facets(body.get("aggregations", {})),
        has_next=len(hits) > request.first,
    )


def _hit(hit: dict[str, Any], phrases: tuple[Scored, ...], order: SearchOrder) -> SearchHit:
    if order.field is not SortField.RELEVANCE:
        values = hit["sort"]
        return SearchHit(
            record_id=str(hit["_id"]),
            score=float(hit.get("_score") or 0.0),
            sort_key=(order.tag, *values),
            highlights=_highlights(hit, phrases),
        )
    score, issued, record_id = hit["sort"]
    return SearchHit(
        record_id=str(record_id),
        score=float(score),
        sort_key=(float(score), int(issued), str(record_id)),
        highlights=_highlights(hit, phrases),
    )


def _highlights(hit: dict[str, Any], phrases: tuple[Scored, ...]) -> tuple[Highlight, ...]:
    """The best pages the engine chose (inner hits), each cut to its best window."""
    inner = hit.get("inner_hits", {}).get("pages", {}).get("hits", {}).get("hits", [])
    found = []
    for page in inner:
        # A page indexed by an earlier release has no text as written: no highlight
        # until `archive reindex`.
        marked = snippet(page["_source"].get("text", ""), phrases)
        if marked:
            found.append(Highlight(int(page["_source"]["number"]), marked, page["_source"].get("file")))
    return tuple(sorted(found, key=lambda h: (h.page, h.file_id or "")))


def _facets(aggregations: dict[str, Any]) -> Facets:
    def buckets(name: str) -> tuple[FacetBucket, ...]:
        raw = aggregations.get(name, {}).get("buckets", [])
        return tuple(FacetBucket(str(b["key"]), int(b["doc_count"])) for b in raw)

    return Facets(
        agencies=buckets("agencies"),
        document_types=buckets("document_types"),
        years=buckets("years"),
        dossiers=buckets("dossiers"),
    )
