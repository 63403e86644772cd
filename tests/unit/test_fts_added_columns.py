"""An FTS5 index file made before fonds and dossiers were indexed gets their columns at
start-up, and then filters and counts by them like a new one."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from archive.domain.access import UNRESTRICTED
from archive.domain.query import parse_query
from archive.domain.search import SearchFilter, SearchRequest
from indexing.search._fts_sql import ADDED_COLUMNS, SCHEMA
from indexing.search.fts import SqliteSearchIndex
from tests.contract.test_search_index import make_doc


def old_schema() -> str:
    """The schema as it was: ``docs`` without the added columns."""
    text = SCHEMA
    for column, kind in ADDED_COLUMNS.items():
        text = text.replace(f",\n    {column} {kind}", "")
    assert "dossier_id" not in text
    return text


async def test_an_old_index_file_gets_the_new_columns(tmp_path: Path) -> None:
    path = tmp_path / "search.db"
    with sqlite3.connect(path) as db:
        db.executescript(old_schema())
    index = SqliteSearchIndex(path)
    await index.ensure_ready()
    await index.ensure_ready()  # again: nothing left to add
    with sqlite3.connect(path) as db:
        columns = {row[1] for row in db.execute("PRAGMA table_info(docs)")}
    assert set(ADDED_COLUMNS) <= columns

    await index.upsert_many(
        [make_doc("in", "kế hoạch", dossier="D-1", fonds="F"), make_doc("out", "kế hoạch")]
    )
    request = SearchRequest(
        query=parse_query(""), scope=UNRESTRICTED, filter=SearchFilter(dossier_ids=("D-1",))
    )
    result = await index.search(request)
    assert [h.record_id for h in result.hits] == ["in"]
    assert [(b.value, b.count) for b in result.facets.dossiers] == [("D-1", 1)]
    await index.close()
