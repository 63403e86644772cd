"""The embedded search index: SQLite FTS5 in its own file (``search.db``).

Every call opens its own connection in a worker thread, so the index is safe to
use from the event loop and from any thread. WAL mode lets searches run while a
write is in progress; ``rebuild`` replaces everything in one transaction, so a
reader sees either the old generation or the new one.

Writes made while a rebuild runs are never lost: SQLite has one writer at a time,
so they wait for the rebuild's commit and then apply on top of the new generation
(versioned, so the rebuild's copy of a record never overrides a newer write). They
wait up to ``WRITE_WAIT_SECONDS`` rather than the usual busy timeout: a grant revoked
during a long rebuild must not fail after the database changed and leave the index
behind. A rebuild that dies releases its lock with its process.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Sequence
from contextlib import closing, contextmanager
from datetime import date
from functools import partial
from itertools import islice
from pathlib import Path
from typing import Any, TypeVar

from archive.domain.errors import InvalidCursor, SearchUnavailable, ServiceUnavailable
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
    number_sort_key,
    signer_key,
)
from archive.domain.text import fold, normalize_document_number
from indexing.search import _fts_sql as q
from indexing.search._fields import BodyPage, fields
from indexing.search._highlight import snippet
from indexing.search._scoring import scored
from indexing.search._terms import CompiledQuery, compile_query

T = TypeVar("T")
BATCH_SIZE = 500
FACET_SIZE = 50
BUSY_SECONDS = 30
"""How long a search or schema change waits for the write lock."""
WRITE_WAIT_SECONDS = 3600
"""How long a write waits for the write lock: as long as a rebuild may run."""


class SqliteSearchIndex:
    """``SearchIndex`` on SQLite FTS5. See ``archive.domain.ports.SearchIndex``."""

    def __init__(self, path: Path) -> None:
        self._path = path

    async def ensure_ready(self) -> None:
        await self._run(_create_schema)

    async def check_ready(self) -> None:
        # Checked before connecting: sqlite3.connect would create an empty file.
        if not self._path.is_file():
            raise ServiceUnavailable(f"the search index {self._path.name} does not exist")
        tables = await self._run(_table_names)
        if not {"docs", "texts"} <= tables:
            raise ServiceUnavailable(f"the search index {self._path.name} has no tables")

    async def upsert(self, document: IndexDocument) -> bool:
        return await self._run(lambda db: _write_batch(db, [document]), wait=WRITE_WAIT_SECONDS) == 1

    async def upsert_many(self, documents: Iterable[IndexDocument]) -> int:
        written = 0
        iterator = iter(documents)
        while batch := list(islice(iterator, BATCH_SIZE)):
            written += await self._run(partial(_write_batch, documents=batch), wait=WRITE_WAIT_SECONDS)
        return written

    async def delete(self, record_id: str) -> None:
        await self._run(lambda db: _delete(db, record_id), wait=WRITE_WAIT_SECONDS)

    async def search(self, request: SearchRequest) -> SearchResult:
        if request.order.field is not SortField.RELEVANCE:
            ordered = _check_order_key(request.after, request.order)
            return await self._run(lambda db: _search_ordered(db, request, ordered))
        after = _check_sort_key(request.after)
        return await self._run(lambda db: _search(db, request, after))

    async def get_versions(self) -> AsyncIterator[tuple[str, int]]:
        last = ""
        while rows := await self._run(partial(_versions_after, after=last)):
            for row in rows:
                yield row
            last = rows[-1][0]

    async def rebuild(self, documents: Iterable[IndexDocument]) -> int:
        return await self._run(lambda db: _rebuild(db, documents))

    async def refresh(self) -> None:
        """Nothing to do: a committed write is visible at once."""

    async def close(self) -> None:
        """Nothing to do: connections live for one call."""

    async def _run(self, work: Callable[[sqlite3.Connection], T], *, wait: float = BUSY_SECONDS) -> T:
        return await asyncio.to_thread(self._call, work, wait)

    def _call(self, work: Callable[[sqlite3.Connection], T], wait: float) -> T:
        try:
            with _connect(self._path, wait) as db:
                return work(db)
        except sqlite3.OperationalError as error:
            raise SearchUnavailable(f"the search index is not available: {error}") from error


@contextmanager
def _connect(path: Path, wait: float) -> Iterator[sqlite3.Connection]:
    # isolation_level=None: we issue BEGIN ourselves, so each write is one explicit transaction.
    with closing(sqlite3.connect(path, timeout=wait, isolation_level=None)) as db:
        db.execute(f"PRAGMA busy_timeout = {int(wait * 1000)}")
        yield db


@contextmanager
def _transaction(db: sqlite3.Connection) -> Iterator[None]:
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def _table_names(db: sqlite3.Connection) -> set[str]:
    return {str(name) for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def _create_schema(db: sqlite3.Connection) -> None:
    # Switching to WAL needs a moment with no other connection: two workers starting
    # together on a fresh data dir would both try, and one gets "database is locked"
    # (the busy timeout does not cover it). Once the file is in WAL mode it stays so.
    if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        _switch_to_wal(db)
    db.executescript(q.SCHEMA)
    _add_columns(db)


def _add_columns(db: sqlite3.Connection) -> None:
    """Columns an index file written by an older release lacks. Two processes starting
    together may both try: the loser finds the column there, which is what it wanted."""
    present = {str(row[1]) for row in db.execute("PRAGMA table_info(docs)")}
    for name, definition in q.ADDED_COLUMNS.items():
        if name in present:
            continue
        try:
            db.execute(f"ALTER TABLE docs ADD COLUMN {name} {definition}")
        except sqlite3.OperationalError as error:
            if "duplicate column" not in str(error):
                raise


def _switch_to_wal(db: sqlite3.Connection, attempts: int = 50) -> None:
    for attempt in range(attempts):
        try:
            db.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError:
            if attempt == attempts - 1:
                raise
            time.sleep(0.1)


# --- writes -----------------------------------------------------------------------


def _write_batch(db: sqlite3.Connection, documents: Sequence[IndexDocument]) -> int:
    with _transaction(db):
        return sum(_write_one(db, d) for d in documents)


def _write_one(db: sqlite3.Connection, doc: IndexDocument) -> int:
    """Write ``doc`` unless the index holds this or a newer row version."""
    row = db.execute("SELECT doc_key, row_version FROM docs WHERE record_id = ?", (doc.record_id,)).fetchone()
    if row is not None and row[1] >= doc.row_version:
        return 0
    if row is not None:
        _delete_key(db, row[0])
    _insert(db, doc)
    return 1


def _insert(db: sqlite3.Connection, doc: IndexDocument) -> None:
    cursor = db.execute(
        "INSERT INTO docs (record_id, row_version, document_number_key, document_type,"
        " agency_code, issuing_agency_code, issue_date, year, direction, classification,"
        " is_public, signed, signature_valid, conditional, fonds_id, dossier_id,"
        " arrival_date, deposited_ms, updated_ms, urgency, signer_key, number_sort, revoked)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            doc.record_id,
            doc.row_version,
            normalize_document_number(doc.document_number),
            doc.document_type,
            doc.agency_code,
            doc.issuing_agency_code,
            doc.issue_date.isoformat(),
            doc.issue_date.year,
            doc.direction.value,
            int(doc.classification),
            int(doc.is_public),
            _tristate(doc.signed),
            _tristate(doc.signature_valid),
            int(doc.conditional),
            doc.fonds_id,
            doc.dossier_id,
            None if doc.arrival_date is None else doc.arrival_date.isoformat(),
            None if doc.deposited_at is None else q.epoch_ms(doc.deposited_at),
            None if doc.updated_at is None else q.epoch_ms(doc.updated_at),
            doc.urgency.value,
            signer_key(doc.signer_name),
            number_sort_key(doc.document_number),
            int(doc.revoked),
        ),
    )
    key = cursor.lastrowid
    assert key is not None
    db.executemany(
        "INSERT OR IGNORE INTO grants (doc_key, grantee) VALUES (?, ?)",
        [(key, g) for g in doc.grants],
    )
    texts = [((key << q.SLOT_BITS) | slot, page) for slot, page in _texts(doc)]
    db.executemany(
        "INSERT INTO texts (rowid, page, exact, folded) VALUES (?, ?, ?, ?)",
        [(rowid, p.number, p.text, fold(p.text)) for rowid, p in texts],
    )
    db.executemany(
        "INSERT INTO page_files (rowid, file_id) VALUES (?, ?)",
        [(rowid, p.file_id) for rowid, p in texts if p.file_id is not None],
    )


def _texts(doc: IndexDocument) -> Iterator[tuple[int, BodyPage]]:
    """(slot, page): title texts as page 0, low-weight ones as page -1, then every body
    page under its number, with its file (see ``_fts_sql``)."""
    split = fields(doc)
    rows = [BodyPage(0, t) for t in split.title] + [BodyPage(-1, t) for t in split.low] + list(split.body)
    return enumerate(rows)


def _tristate(value: bool | None) -> int | None:
    return None if value is None else int(value)


def _delete(db: sqlite3.Connection, record_id: str) -> None:
    with _transaction(db):
        row = db.execute("SELECT doc_key FROM docs WHERE record_id = ?", (record_id,)).fetchone()
        if row is not None:
            _delete_key(db, row[0])


def _delete_key(db: sqlite3.Connection, key: int) -> None:
    low, high = key << q.SLOT_BITS, ((key + 1) << q.SLOT_BITS) - 1
    db.execute("DELETE FROM texts WHERE rowid BETWEEN ? AND ?", (low, high))
    db.execute("DELETE FROM page_files WHERE rowid BETWEEN ? AND ?", (low, high))
    db.execute("DELETE FROM grants WHERE doc_key = ?", (key,))
    db.execute("DELETE FROM docs WHERE doc_key = ?", (key,))


def _rebuild(db: sqlite3.Connection, documents: Iterable[IndexDocument]) -> int:
    # One transaction: readers (WAL) keep seeing the old generation until COMMIT.
    with _transaction(db):
        for table in ("texts", "page_files", "grants", "docs"):
            db.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
        return sum(_write_one(db, d) for d in documents)


def _versions_after(db: sqlite3.Connection, after: str) -> list[tuple[str, int]]:
    rows = db.execute(
        "SELECT record_id, row_version FROM docs WHERE record_id > ? ORDER BY record_id LIMIT ?",
        (after, BATCH_SIZE),
    ).fetchall()
    return [(str(r[0]), int(r[1])) for r in rows]


# --- search -----------------------------------------------------------------------


def _check_sort_key(after: SortKey | None) -> tuple[float, str, str] | None:
    """Our sort key is (score, ISO issue date, record id); anything else is forged."""
    if after is None:
        return None
    if len(after) != 3:
        raise InvalidCursor("the cursor does not belong to this search index")
    score, issued, record_id = after
    if isinstance(score, bool) or not isinstance(score, int | float):
        raise InvalidCursor("the cursor does not belong to this search index")
    if not isinstance(issued, str) or not isinstance(record_id, str):
        raise InvalidCursor("the cursor does not belong to this search index")
    try:
        date.fromisoformat(issued)
    except ValueError as error:
        raise InvalidCursor("the cursor does not belong to this search index") from error
    return float(score), issued, record_id


def _check_order_key(after: SortKey | None, order: SearchOrder) -> list[object] | None:
    """Any order but relevance: (its tag, one value per sort part, record id)."""
    if after is None:
        return None
    width = len(q.order_parts(order)) + 1
    if len(after) != width + 1 or after[0] != order.tag:
        raise InvalidCursor("the cursor does not belong to this search")
    values: list[object] = list(after[1:])
    if not all(isinstance(v, int | str) and not isinstance(v, bool) for v in values):
        raise InvalidCursor("the cursor does not belong to this search")
    return values


def _search_ordered(
    db: sqlite3.Connection, request: SearchRequest, after: list[object] | None
) -> SearchResult:
    """A page in a field order (``q.order_parts``), then the record id."""
    query = compile_query(request.query)
    s = q.scored_records(request, query)
    parts = q.order_parts(request.order)
    keys = ", ".join(f"{expr} AS k{i}" for i, (expr, _) in enumerate(parts))
    order = ", ".join(f"k{i} {'DESC' if desc else 'ASC'}" for i, (_, desc) in enumerate(parts))
    where = (
        q.after_sql([(f"k{i}", desc) for i, (_, desc) in enumerate(parts)], after) if after else q.Sql("1")
    )
    sql = (
        f"SELECT * FROM (SELECT doc_key, record_id, score, {keys} FROM ({s.text}))"  # noqa: S608
        f" WHERE {where.text} ORDER BY {order}, record_id ASC LIMIT ?"
    )
    rows = db.execute(sql, [*s.params, *where.params, request.first + 1]).fetchall()
    has_next = len(rows) > request.first
    rows = rows[: request.first]
    marks = _highlights(db, query, [int(r[0]) for r in rows]) if request.with_highlights else {}
    hits = tuple(
        SearchHit(
            record_id=str(r[1]),
            score=float(r[2]),
            sort_key=(request.order.tag, *(_key_value(v) for v in r[3:]), str(r[1])),
            highlights=marks.get(int(r[0]), ()),
        )
        for r in rows
    )
    return _with_counts(db, request, query, hits, has_next)


def _key_value(value: object) -> int | str:
    return value if isinstance(value, int | str) else int(bool(value))


def _with_counts(
    db: sqlite3.Connection,
    request: SearchRequest,
    query: CompiledQuery,
    hits: tuple[SearchHit, ...],
    has_next: bool,
) -> SearchResult:
    base = q.base(request, query)
    count_sql = f"SELECT COUNT(*) FROM ({base.text})"  # noqa: S608 - fixed fragments
    total = int(db.execute(count_sql, base.params).fetchone()[0])
    facets = _facets(db, base) if request.with_facets else Facets()
    return SearchResult(hits=hits, total=total, facets=facets, has_next=has_next)


def _search(
    db: sqlite3.Connection, request: SearchRequest, after: tuple[float, str, str] | None
) -> SearchResult:
    query = compile_query(request.query)
    rows = _page(db, request, query, after)
    has_next = len(rows) > request.first
    rows = rows[: request.first]
    marks = _highlights(db, query, [r[0] for r in rows]) if request.with_highlights else {}
    hits = tuple(
        SearchHit(
            record_id=record_id,
            score=score,
            sort_key=(score, issued, record_id),
            highlights=marks.get(key, ()),
        )
        for key, record_id, issued, score in rows
    )
    return _with_counts(db, request, query, hits, has_next)


def _page(
    db: sqlite3.Connection,
    request: SearchRequest,
    query: CompiledQuery,
    after: tuple[float, str, str] | None,
) -> list[tuple[int, str, str, float]]:
    s = q.scored_records(request, query)
    where, params = "1", list[Any]()
    if after is not None:
        score, issued, record_id = after
        where = "(score < ? OR (score = ? AND (issue_date < ? OR (issue_date = ? AND record_id > ?))))"
        params = [score, score, issued, issued, record_id]
    sql = (
        f"SELECT doc_key, record_id, issue_date, score FROM ({s.text}) WHERE {where}"  # noqa: S608
        " ORDER BY score DESC, issue_date DESC, record_id ASC LIMIT ?"
    )
    rows = db.execute(sql, [*s.params, *params, request.first + 1]).fetchall()
    return [(int(r[0]), str(r[1]), str(r[2]), float(r[3])) for r in rows]


def _facets(db: sqlite3.Connection, base: q.Sql) -> Facets:
    def buckets(column: str, order: str) -> tuple[FacetBucket, ...]:
        sql = (
            f"SELECT {column}, COUNT(*) FROM ({base.text}) WHERE {column} IS NOT NULL GROUP BY 1"  # noqa: S608
            f" ORDER BY {order} LIMIT {FACET_SIZE}"
        )
        return tuple(FacetBucket(str(v), int(n)) for v, n in db.execute(sql, base.params))

    return Facets(
        agencies=buckets("issuing_agency_code", "2 DESC, 1 ASC"),
        document_types=buckets("document_type", "2 DESC, 1 ASC"),
        years=buckets("year", "1 DESC"),
        dossiers=buckets("dossier_id", "2 DESC, 1 ASC"),
    )


def _highlights(
    db: sqlite3.Connection, query: CompiledQuery, keys: list[int]
) -> dict[int, tuple[Highlight, ...]]:
    """The best pages of each hit (``_fts_sql.best_pages``), each cut to its best window."""
    if not query.text_needles or not keys:
        return {}
    phrases = scored(query)
    found: dict[int, tuple[Highlight, ...]] = {}
    for key in keys:
        best = q.best_pages(query, key)
        rowids = [int(r[0]) for r in db.execute(best.text, best.params)]
        marks_in = ", ".join("?" for _ in rowids)
        joined = "SELECT t.page, t.exact, f.file_id FROM texts t LEFT JOIN page_files f ON f.rowid = t.rowid"
        rows = db.execute(f"{joined} WHERE t.rowid IN ({marks_in})", rowids).fetchall()
        marks = [Highlight(int(page), snippet(text, phrases), file_id) for page, text, file_id in rows]
        found[key] = tuple(sorted((h for h in marks if h.snippet), key=_page_number))
    return found


def _page_number(highlight: Highlight) -> tuple[int, str]:
    return highlight.page, highlight.file_id or ""
