"""`archive reindex` moves a deployment indexed by an earlier release to this one's
fields and tokens (issue 17), on both stacks.

The earlier release kept the agency and the signer with the subject (scored like the
title), the header block inside page 1, and, on Elasticsearch, the raw text under the
standard tokenizer with no ``low_*`` fields and no page text for highlights. The test
writes the index that way, checks that the service starts and searches it as it is,
then reindexes and checks the new weights and highlights.
"""

from __future__ import annotations

import asyncio
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

from elasticsearch import AsyncElasticsearch

from archive.domain.access import UNRESTRICTED
from archive.domain.query import parse_query
from archive.domain.search import IndexDocument, SearchRequest, SearchResult
from archive.domain.text import fold, nfc
from archive.services.indexing import index_document
from archive.services.worker import drain
from archive.settings import Settings
from indexing.search import _es_query
from tests.cli.support import run, run_json
from tests.support.graphql import open_services

TEXT = _es_query.MAPPINGS["properties"]["meta_exact"]
OLD_MAPPINGS: dict[str, Any] = {
    **_es_query.MAPPINGS,
    "properties": {
        **{k: v for k, v in _es_query.MAPPINGS["properties"].items() if not k.startswith("low_")},
        "pages": {
            "type": "nested",
            "properties": {
                "number": {"type": "integer"},
                "exact": _es_query._TEXT,
                "folded": _es_query._TEXT,
            },
        },
    },
}


async def deposited(settings: Settings) -> list[IndexDocument]:
    async with open_services(settings) as services:
        await drain(services)
        return [index_document(r) for r in services.records.iter_all()]


async def write_as_an_earlier_release(settings: Settings, docs: list[IndexDocument]) -> None:
    if settings.search_backend == "sqlite":
        _old_fts(settings.search_db_path, docs)
    else:
        await _old_elasticsearch(settings, docs)


def _old_fields(doc: IndexDocument) -> list[str]:
    fields = (doc.subject, doc.document_number, doc.signer_name, doc.issuing_agency_name)
    return [nfc(f) for f in fields if f.strip()]


def _old_fts(path: Path, docs: list[IndexDocument]) -> None:
    with closing(sqlite3.connect(path)) as db, db:
        for doc in docs:
            (key,) = db.execute("SELECT doc_key FROM docs WHERE record_id = ?", (doc.record_id,)).fetchone()
            db.execute("DELETE FROM texts WHERE rowid BETWEEN ? AND ?", (key << 20, ((key + 1) << 20) - 1))
            rows = [(0, f) for f in _old_fields(doc)] + [(p.number, nfc(p.text)) for p in doc.pages]
            db.executemany(
                "INSERT INTO texts (rowid, page, exact, folded) VALUES (?, ?, ?, ?)",
                [((key << 20) | slot, page, text, fold(text)) for slot, (page, text) in enumerate(rows)],
            )


async def _old_elasticsearch(settings: Settings, docs: list[IndexDocument]) -> None:
    alias, old = settings.elasticsearch_index, f"{settings.elasticsearch_index}-v90"
    async with AsyncElasticsearch(settings.elasticsearch_url) as es:
        await es.indices.create(index=old, settings=_es_query.settings(0), mappings=OLD_MAPPINGS)
        for doc in docs:
            source = {
                **{k: v for k, v in _es_query_source(doc).items() if not k.startswith(("low_", "meta_"))},
                "meta_exact": _old_fields(doc),
                "meta_folded": [fold(f) for f in _old_fields(doc)],
                "pages": [{"number": p.number, "exact": p.text, "folded": fold(p.text)} for p in doc.pages],
            }
            await es.index(index=old, id=doc.record_id, document=source, version=1, version_type="external")
        current = list((await es.indices.get_alias(name=alias)).body)
        actions: list[dict[str, Any]] = [{"remove": {"index": n, "alias": alias}} for n in current]
        await es.indices.update_aliases(actions=[*actions, {"add": {"index": old, "alias": alias}}])
        await es.indices.delete(index=",".join(current))
        await es.indices.refresh(index=old)


def _es_query_source(doc: IndexDocument) -> dict[str, Any]:
    from indexing.search._es_documents import source

    return source(doc)


async def search(settings: Settings, text: str) -> SearchResult:
    async with open_services(settings) as services:  # ensure_ready: start-up on the old index
        await services.index.refresh()
        request = SearchRequest(parse_query(text), UNRESTRICTED, with_highlights=True)
        return await services.index.search(request)


def test_reindex_moves_an_earlier_release_to_the_new_fields_and_tokens(
    cli_settings: Settings, tmp_path: Path
) -> None:
    run("samples", str(tmp_path / "in"), "--count", "3", "--seed", "4")
    run("import", str(tmp_path / "in"))
    docs = asyncio.run(deposited(cli_settings))
    assert len(docs) == 3
    agency = f'"{docs[0].issuing_agency_name}"'
    body_word = next(w for w in docs[0].pages[0].text.split()[30:] if len(w) > 3 and w.isalpha())
    new_scores = {h.record_id: h.score for h in asyncio.run(search(cli_settings, agency)).hits}

    asyncio.run(write_as_an_earlier_release(cli_settings, docs))
    before = asyncio.run(search(cli_settings, agency))  # the old index still answers
    assert {h.record_id for h in before.hits} == set(new_scores)
    assert all(h.score > new_scores[h.record_id] for h in before.hits)  # agency scored as title
    assert asyncio.run(search(cli_settings, body_word)).total >= 1

    assert run_json("reindex") == {"reindexed": 3}
    after = asyncio.run(search(cli_settings, agency))
    assert {h.record_id: h.score for h in after.hits} == new_scores
    [*_, found] = asyncio.run(search(cli_settings, body_word)).hits
    assert any("<mark>" in h.snippet for h in found.highlights)
