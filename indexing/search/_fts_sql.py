# ruff: noqa: S608 - SQL is built from fixed fragments; every value is a bound parameter.
"""SQL for the FTS5 adapter: the schema, and a SearchRequest compiled to SQL.

``docs`` holds one row per record (access and filter fields), ``grants`` its
grantee keys, and the FTS5 table ``texts`` one row per page (page >= 1) and per
metadata field (page 0), each in two columns: ``exact`` (the text as written;
unicode61 lower-cases it) and ``folded`` (``archive.domain.text.fold``). A text row's
rowid is ``doc_key << 20 | slot``, so a record's rows are one rowid range.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from archive.domain.access import ReadScope
from archive.domain.search import SearchFilter, SearchRequest
from indexing.search._terms import CompiledQuery, Needle

SLOT_BITS = 20
NUMBER_BOOST = 10.0
EXACT_WEIGHT = 2.0

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
    signature_valid INTEGER
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
"""


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
    if scope.all_agencies:
        reach.append(Sql("1"))
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
    return Sql(" AND ".join(p.text for p in parts) or "1", [x for p in parts for x in p.params])


def base(request: SearchRequest, query: CompiledQuery) -> Sql:
    """``SELECT ... FROM docs d WHERE ...``: every record the request may return."""
    where = [scope_sql(request.scope), filter_sql(request.filter)]
    if not query.match_all:
        m = matched(query)
        where.append(Sql(f"d.doc_key IN ({m.text})", m.params))
    if query.excluded:
        ex = _union([_needle_docs(n) for n in query.excluded])
        where.append(Sql(f"d.doc_key NOT IN ({ex.text})", ex.params))
    return Sql(
        "SELECT d.* FROM docs d WHERE " + " AND ".join(f"({w.text})" for w in where),
        [x for w in where for x in w.params],
    )


def _text_scores(column: str, query: CompiledQuery) -> Sql:
    needles = query.text_needles
    if not needles:
        return Sql("SELECT NULL AS doc_key, 0.0 AS s WHERE 0")
    expression = " OR ".join(phrase(column, n.exact if column == "exact" else n.folded) for n in needles)
    return Sql(
        # bm25() cannot sit inside an aggregate; LIMIT -1 stops SQLite flattening the subquery.
        f"SELECT doc_key, SUM(s) AS s FROM (SELECT rowid >> {SLOT_BITS} AS doc_key,"
        " -bm25(texts) AS s FROM texts WHERE texts MATCH ? LIMIT -1) GROUP BY doc_key",
        [expression],
    )


def scored(request: SearchRequest, query: CompiledQuery) -> Sql:
    """The request's records with ``score``: folded bm25, plus exact bm25 weighted up,
    plus a fixed boost for a document-number match."""
    b = base(request, query)
    if query.match_all:
        return Sql(f"SELECT b.*, 0.0 AS score FROM ({b.text}) b", b.params)
    ex, fo = _text_scores("exact", query), _text_scores("folded", query)
    keys = query.number_keys
    bonus = (
        Sql(
            f"CASE WHEN b.document_number_key IN ({_marks(keys)}) THEN ? ELSE 0 END",
            [*keys, NUMBER_BOOST],
        )
        if keys
        else Sql("0")
    )
    return Sql(
        f"SELECT b.*, ROUND(? * COALESCE(ex.s, 0) + COALESCE(fo.s, 0) + {bonus.text}, 6) AS score"
        f" FROM ({b.text}) b LEFT JOIN ({ex.text}) ex ON ex.doc_key = b.doc_key"
        f" LEFT JOIN ({fo.text}) fo ON fo.doc_key = b.doc_key",
        [EXACT_WEIGHT, *bonus.params, *b.params, *ex.params, *fo.params],
    )


def _marks(values: Collection[object]) -> str:
    return ", ".join("?" for _ in values)
