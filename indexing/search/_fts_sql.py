# ruff: noqa: S608 - SQL is built from fixed fragments; every value is a bound parameter.
"""SQL for the FTS5 adapter: the schema, and a SearchRequest compiled to SQL.

``docs`` holds one row per record (access and filter fields), ``grants`` its
grantee keys, and the FTS5 table ``texts`` one row per text of the record's fields
(``_fields``): each body page under its number (>= 1), each title text under page 0,
each low-weight text (agency, signer, header block) under page -1; each in two
columns: ``exact`` (the text as written; unicode61 lower-cases it) and ``folded``
(``archive.domain.text.fold``). A text row's rowid is ``doc_key << 20 | slot``, so a
record's rows are one rowid range. ``page_files`` names the record file of each body
page by the same rowid (none for pages indexed before several files: the main file).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from archive.domain.access import ReadScope
from archive.domain.search import SearchFilter, SearchOrder, SearchRequest, SortField, signer_key
from indexing.search._scoring import (
    BODY,
    HIGHLIGHT_PAGES,
    LOW,
    NUMBER_WEIGHT,
    TITLE,
    Scored,
    Spelling,
    scored,
    spellings,
)
from indexing.search._terms import CompiledQuery, Needle

SLOT_BITS = 20

SCHEMA = """
CREATE TABLE IF NOT EXISTS docs (
    doc_key INTEGER PRIMARY KEY,
    record_id TEXT NOT NULL UNIQUE,
    row_version INTEGER NOT NULL,
    document_number_key TEXT NOT NULL,
    document_type TEXT NOT NULL,
    agency_code TEXT NOT NULL,
    issuing_agency_code TEXT NOT NULL,
    issue_date TEXT NOT NULL,
    year INTEGER NOT NULL,
    direction TEXT NOT NULL,
    classification INTEGER NOT NULL,
    is_public INTEGER NOT NULL,
    signed INTEGER,
    signature_valid INTEGER,
    conditional INTEGER NOT NULL DEFAULT 0,
    fonds_id TEXT,
    dossier_id TEXT,
    arrival_date TEXT,
    deposited_ms INTEGER,
    updated_ms INTEGER,
    urgency TEXT,
    signer_key TEXT,
    number_sort INTEGER,
    revoked INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS docs_number ON docs (document_number_key);
CREATE TABLE IF NOT EXISTS grants (
    doc_key INTEGER NOT NULL,
    grantee TEXT NOT NULL,
    PRIMARY KEY (doc_key, grantee)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS grants_grantee ON grants (grantee, doc_key);
CREATE VIRTUAL TABLE IF NOT EXISTS texts USING fts5(
    page UNINDEXED, exact, folded, tokenize = 'unicode61 remove_diacritics 0'
);
CREATE TABLE IF NOT EXISTS page_files (
    rowid INTEGER PRIMARY KEY,
    file_id TEXT NOT NULL
);
"""

ADDED_COLUMNS = {
    "conditional": "INTEGER NOT NULL DEFAULT 0",
    "fonds_id": "TEXT",
    "dossier_id": "TEXT",
    "arrival_date": "TEXT",
    "deposited_ms": "INTEGER",
    "updated_ms": "INTEGER",
    "urgency": "TEXT",
    "signer_key": "TEXT",
    "number_sort": "INTEGER",
    "revoked": "INTEGER NOT NULL DEFAULT 0",
}
"""Columns of ``docs`` newer than some index files: added in place when missing."""


@dataclass
class Sql:
    """A fragment of SQL and its positional parameters."""

    text: str
    params: list[Any] = field(default_factory=list)


def phrase(column: str, words: str) -> str:
    """An FTS5 phrase on one column. ``words`` holds only letters, digits and spaces."""
    return f'{column} : "{words}"'


def _needle_docs(needle: Needle) -> Sql:
    """The doc_keys one needle matches."""
    if needle.number_key is not None:
        return Sql("SELECT doc_key FROM docs WHERE document_number_key = ?", [needle.number_key])
    return Sql(
        f"SELECT rowid >> {SLOT_BITS} AS doc_key FROM texts WHERE texts MATCH ?",
        [phrase("folded", needle.folded)],
    )


def _union(parts: list[Sql]) -> Sql:
    return Sql(
        " UNION ".join(f"SELECT doc_key FROM ({p.text})" for p in parts),
        [x for p in parts for x in p.params],
    )


def matched(query: CompiledQuery) -> Sql:
    """doc_keys matching the clauses (before exclusion)."""
    clauses = []
    for clause in query.clauses:
        needles = [_needle_docs(n) for n in clause]
        clauses.append(
            Sql(" INTERSECT ".join(n.text for n in needles), [x for n in needles for x in n.params])
        )
    return _union(clauses) if clauses else Sql("SELECT NULL AS doc_key WHERE 0")


def scope_sql(scope: ReadScope) -> Sql:
    """``ReadScope`` as a predicate on ``d`` (a docs row). See its docstring."""
    if scope.public_only:
        return Sql("d.is_public = 1")
    reach: list[Sql] = []
    if scope.all_agencies:  # conditional-use records (mode 02) only for all_conditional
        reach.append(Sql("1" if scope.all_conditional else "d.conditional = 0"))
    if scope.agencies:
        reach.append(Sql(f"d.agency_code IN ({_marks(scope.agencies)})", sorted(scope.agencies)))
    if scope.grantee_keys:
        reach.append(
            Sql(
                "EXISTS (SELECT 1 FROM grants g WHERE g.doc_key = d.doc_key"
                f" AND g.grantee IN ({_marks(scope.grantee_keys)}))",
                sorted(scope.grantee_keys),
            )
        )
    reach_text = " OR ".join(r.text for r in reach) or "0"
    return Sql(
        f"(d.is_public = 1 OR (d.classification <= ? AND ({reach_text})))",
        [int(scope.max_classification), *(x for r in reach for x in r.params)],
    )


def filter_sql(flt: SearchFilter) -> Sql:
    """``SearchFilter`` as a predicate on ``d``; ``agency_codes`` is the issuing agency."""
    parts: list[Sql] = []
    if flt.agency_codes:
        parts.append(Sql(f"d.issuing_agency_code IN ({_marks(flt.agency_codes)})", [*flt.agency_codes]))
    if flt.document_types:
        parts.append(Sql(f"d.document_type IN ({_marks(flt.document_types)})", [*flt.document_types]))
    if flt.issued_from is not None:
        parts.append(Sql("d.issue_date >= ?", [flt.issued_from.isoformat()]))
    if flt.issued_to is not None:
        parts.append(Sql("d.issue_date <= ?", [flt.issued_to.isoformat()]))
    if flt.direction is not None:
        parts.append(Sql("d.direction = ?", [flt.direction.value]))
    if flt.classifications:
        parts.append(
            Sql(
                f"d.classification IN ({_marks(flt.classifications)})",
                [int(c) for c in flt.classifications],
            )
        )
    if flt.signed is not None:
        parts.append(Sql("d.signed = ?", [int(flt.signed)]))
    if flt.signature_valid is not None:
        parts.append(Sql("d.signature_valid = ?", [int(flt.signature_valid)]))
    if flt.fonds_ids:
        parts.append(Sql(f"d.fonds_id IN ({_marks(flt.fonds_ids)})", [*flt.fonds_ids]))
    if flt.dossier_ids:
        parts.append(Sql(f"d.dossier_id IN ({_marks(flt.dossier_ids)})", [*flt.dossier_ids]))
    if flt.updated_since is not None:
        parts.append(Sql("d.updated_ms >= ?", [epoch_ms(flt.updated_since)]))
    if flt.signer is not None:
        parts.append(Sql("d.signer_key = ?", [signer_key(flt.signer)]))
    if flt.urgencies:
        parts.append(Sql(f"d.urgency IN ({_marks(flt.urgencies)})", [u.value for u in flt.urgencies]))
    if not flt.include_revoked:
        parts.append(Sql("d.revoked = 0"))
    return Sql(" AND ".join(p.text for p in parts) or "1", [x for p in parts for x in p.params])


def where(request: SearchRequest, query: CompiledQuery) -> Sql:
    """The predicate on ``d`` (a docs row) of every record the request may return."""
    parts = [scope_sql(request.scope), filter_sql(request.filter)]
    if not query.match_all:
        m = matched(query)
        parts.append(Sql(f"d.doc_key IN ({m.text})", m.params))
    if query.excluded:
        ex = _union([_needle_docs(n) for n in query.excluded])
        parts.append(Sql(f"d.doc_key NOT IN ({ex.text})", ex.params))
    return Sql(" AND ".join(f"({p.text})" for p in parts), [x for p in parts for x in p.params])


def base(request: SearchRequest, query: CompiledQuery) -> Sql:
    """``SELECT d.* FROM docs d WHERE ...``: every record the request may return."""
    w = where(request, query)
    return Sql(f"SELECT d.* FROM docs d WHERE {w.text}", w.params)


def scored_records(request: SearchRequest, query: CompiledQuery) -> Sql:
    """The request's records with ``score``, as ``_scoring`` defines it: a fixed weight
    per (scored phrase, spelling, field) found, plus one for a document-number match."""
    w = where(request, query)
    if query.match_all:
        return Sql(f"SELECT d.*, 0.0 AS score FROM docs d WHERE {w.text}", w.params)
    parts = [_field_weights(p, s) for p in scored(query) for s in spellings(p)]
    if query.number_keys:
        keys = query.number_keys
        parts.append(
            Sql(
                f"SELECT doc_key, ? AS s FROM docs WHERE document_number_key IN ({_marks(keys)})",
                [NUMBER_WEIGHT, *keys],
            )
        )
    union = " UNION ALL ".join(f"SELECT doc_key, s FROM ({p.text})" for p in parts)
    # The scores drive the join and each reaches its docs row by primary key; the
    # other way round SQLite scans the scores once per record (40x slower at 2,000 hits).
    return Sql(
        f"WITH sc AS MATERIALIZED (SELECT doc_key, SUM(s) AS s FROM ({union}) GROUP BY doc_key)"
        " SELECT d.*, ROUND(sc.s, 6) AS score FROM sc JOIN docs d ON d.doc_key = sc.doc_key"
        f" WHERE {w.text}",
        [*(x for p in parts for x in p.params), *w.params],
    )


def _field_weights(phrase_: Scored, spelling: Spelling) -> Sql:
    """The phrase's weight once per field (page > 0: body, 0: title, -1: low) holding
    it: a fact about the record only, never a statistic of the collection."""
    return Sql(
        "SELECT doc_key, ? * CASE f WHEN 1 THEN ? WHEN 0 THEN ? ELSE ? END AS s FROM"
        f" (SELECT DISTINCT rowid >> {SLOT_BITS} AS doc_key, MIN(MAX(page, -1), 1) AS f"
        " FROM texts WHERE texts MATCH ?)",
        [
            phrase_.weight * spelling.weight,
            BODY.weight,
            TITLE.weight,
            LOW.weight,
            phrase(spelling.column, spelling.words(phrase_.needle)),
        ],
    )


def best_pages(query: CompiledQuery, doc_key: int) -> Sql:
    """rowids of the record's pages to highlight: the highest weight of scored phrases
    found (folded), then page order."""
    low, high = doc_key << SLOT_BITS, ((doc_key + 1) << SLOT_BITS) - 1
    parts = [
        Sql(
            "SELECT rowid, page, ? AS w FROM texts WHERE texts MATCH ? AND rowid BETWEEN ? AND ?"
            " AND page > 0",
            [p.weight, phrase("folded", p.needle.folded), low, high],
        )
        for p in scored(query)
    ]
    union = " UNION ALL ".join(p.text for p in parts)
    return Sql(
        f"SELECT rowid FROM ({union}) GROUP BY rowid ORDER BY SUM(w) DESC, MIN(page) ASC LIMIT ?",
        [*(x for p in parts for x in p.params), HIGHLIGHT_PAGES],
    )


def epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def order_parts(order: SearchOrder) -> list[tuple[str, bool]]:
    """(expression over the scored rows, descending?) for every order but relevance; the
    record id (ascending) always follows. A record without the value sorts last either way."""
    desc = order.descending
    if order.field is SortField.ISSUE_DATE:
        return [("issue_date", desc)]
    if order.field is SortField.ARRIVAL_DATE:
        return [("(arrival_date IS NULL)", False), ("COALESCE(arrival_date, '')", desc)]
    if order.field is SortField.DEPOSITED_AT:
        return [("(deposited_ms IS NULL)", False), ("COALESCE(deposited_ms, 0)", desc)]
    if order.field is SortField.DOCUMENT_NUMBER:
        return [
            ("(number_sort IS NULL)", False),
            ("COALESCE(number_sort, 0)", desc),
            ("document_number_key", desc),
        ]
    raise ValueError(f"no column order for {order.field}")


def after_sql(parts: list[tuple[str, bool]], values: Sequence[object]) -> Sql:
    """Rows strictly after ``values`` (one per part, then the record id) in that order."""
    keyed = [*parts, ("record_id", False)]
    text, params = "0", list[Any]()
    for (expr, desc), value in reversed(list(zip(keyed, values, strict=True))):
        text = f"({expr} {'<' if desc else '>'} ? OR ({expr} = ? AND {text}))"
        params = [value, value, *params]
    return Sql(text, params)


def _marks(values: Collection[object]) -> str:
    return ", ".join("?" for _ in values)
