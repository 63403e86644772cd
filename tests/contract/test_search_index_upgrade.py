"""An index written by the previous release (no ``conditional`` field) is brought up to
date by ``ensure_ready``: the field is added in place, conditional-use records written
afterwards are scoped like in a new index, and the keyword is searchable."""

from __future__ import annotations

import copy
import sqlite3
import uuid
from pathlib import Path
from typing import Any

import pytest

from archive.domain.access import Principal, ReadScope, Role
from archive.domain.ports import SearchIndex
from indexing.search import _es_query, _fts_sql
from tests.contract.test_search_index import ADAPTERS, ES_URL, load, make_doc, search

ARCHIVIST = ReadScope.for_principal(Principal(subject="u2", roles=frozenset({Role.ARCHIVIST})))


async def _old_index(kind: str, tmp_path: Path) -> SearchIndex:
    """An index as the previous release created it, before this release opens it."""
    if kind == "fts":
        from indexing.search.fts import SqliteSearchIndex

        path = tmp_path / "old.db"
        old_schema = _fts_sql.SCHEMA.replace(",\n    conditional INTEGER NOT NULL DEFAULT 0", "")
        assert old_schema != _fts_sql.SCHEMA
        with sqlite3.connect(path) as db:
            db.executescript(old_schema)
        return SqliteSearchIndex(path)
    from elasticsearch import AsyncElasticsearch

    from indexing.search.elastic import ElasticsearchIndex

    name = f"t-{uuid.uuid4().hex[:12]}"
    mappings: dict[str, Any] = copy.deepcopy(_es_query.MAPPINGS)
    del mappings["properties"]["conditional"]
    client = AsyncElasticsearch(ES_URL)
    try:
        await client.indices.create(
            index=f"{name}-v1", aliases={name: {}}, mappings=mappings, settings=_es_query.settings(0)
        )
    finally:
        await client.close()
    return ElasticsearchIndex(ES_URL, index=name)


@pytest.mark.parametrize("kind", ADAPTERS)
async def test_an_index_of_the_previous_release_learns_conditional_use(kind: str, tmp_path: Path) -> None:
    index = await _old_index(kind, tmp_path)
    try:
        await index.ensure_ready()
        await index.ensure_ready()  # again: nothing left to add
        await load(
            index,
            make_doc("plain", "ngân sách", agency="C"),
            make_doc("conditional", "ngân sách", agency="C", conditional=True, keyword="đất đai"),
        )
        assert sorted(h.record_id for h in (await search(index, "ngân sách")).hits) == [
            "conditional",
            "plain",
        ]
        seen = await search(index, "ngân sách", scope=ARCHIVIST)
        assert [h.record_id for h in seen.hits] == ["plain"] and seen.total == 1
        assert [h.record_id for h in (await search(index, "dat dai")).hits] == ["conditional"]
    finally:
        drop = getattr(index, "drop", None)
        if drop is not None:
            await drop()
        await index.close()
