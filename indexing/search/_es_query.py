"""The Elasticsearch index template and a SearchRequest compiled to a search body.

Text is indexed twice, like the FTS5 adapter does: ``*_exact`` as written and
``*_folded`` after ``archive.domain.text.fold`` (folded here, not by the engine: the
Elasticsearch distribution the tests run has no ``asciifolding``, and one folding
function for both adapters keeps their answers identical). Both hold the text as
``_terms.tokenized`` words (a run of letters and digits; anything else, underscores,
hyphens, slashes and dots included, separates, as FTS5's unicode61 does), and the
queries are sent as the same words: the standard tokenizer (the distribution we run
has no other) then only splits on the spaces, and both engines see the same tokens.
The fields of ``_fields`` are ``meta_*`` (title), ``low_*`` (agency, signer, header
block) and ``pages``, nested objects so a highlight knows its page.
"""

from __future__ import annotations

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

JSON = dict[str, Any]

FACET_SIZE = 50
SORT: list[JSON] = [
    {"_score": {"order": "desc"}},
    {"issue_date": {"order": "desc"}},
    {"record_id": {"order": "asc"}},
]

_TEXT = {"type": "text", "analyzer": "words"}
_STORED = {"type": "text", "index": False}
_KEYWORD = {"type": "keyword"}
MAPPINGS: JSON = {
    "dynamic": "strict",
    "properties": {
        "record_id": _KEYWORD,
        "row_version": {"type": "long"},
        "document_number": _KEYWORD,
        "document_number_key": _KEYWORD,
        "document_type": _KEYWORD,
        "agency_code": _KEYWORD,
        "issuing_agency_code": _KEYWORD,
        "issue_date": {"type": "date", "format": "strict_date"},
        "year": {"type": "short"},
        "direction": _KEYWORD,
        "classification": {"type": "byte"},
        "is_public": {"type": "boolean"},
        "conditional": {"type": "boolean"},  # mode 02; absent in documents written before it: false
        "grants": _KEYWORD,
        "signed": {"type": "boolean"},
        "signature_valid": {"type": "boolean"},
        "fonds_id": _KEYWORD,
        "dossier_id": _KEYWORD,
        # Orders and filters of issue 15; absent in documents indexed before them (sorted last).
        "arrival_date": {"type": "date", "format": "strict_date"},
        "deposited_at": {"type": "date", "format": "strict_date_optional_time"},
        "updated_at": {"type": "date", "format": "strict_date_optional_time"},
        "urgency": _KEYWORD,
        "signer_key": _KEYWORD,
        "number_sort": {"type": "long"},
        "revoked": {"type": "boolean"},  # absent in documents written before it: not revoked
        "deleted": {"type": "boolean"},  # a tombstone while a rebuild runs (see _es_documents)
        "meta_exact": _TEXT,
        "meta_folded": _TEXT,
        "low_exact": _TEXT,
        "low_folded": _TEXT,
        "pages": {
            "type": "nested",
            # file: the record file the page belongs to (absent before several files: the main one)
            "properties": {
                "number": {"type": "integer"},
                "file": _KEYWORD,
                "text": _STORED,
                "exact": _TEXT,
                "folded": _TEXT,
            },
        },
    },
}


def settings(replicas: int) -> JSON:
    """One shard: exact counts and facets, and more than enough for one archive."""
    return {
        "number_of_shards": 1,
        "number_of_replicas": replicas,
        "analysis": {
            "analyzer": {"words": {"type": "custom", "tokenizer": "standard", "filter": ["lowercase"]}}
        },
    }


def sort_spec(order: SearchOrder) -> list[JSON]:
    """The engine's sort for ``order``: relevance is ``SORT``; any other order is its
    field(s) in the asked direction (a record without the field last), then the id."""
    if order.field is SortField.RELEVANCE:
        return SORT
    direction = "desc" if order.descending else "asc"
    fields = {
        SortField.ISSUE_DATE: ["issue_date"],
        SortField.ARRIVAL_DATE: ["arrival_date"],
        SortField.DEPOSITED_AT: ["deposited_at"],
        SortField.DOCUMENT_NUMBER: ["number_sort", "document_number_key"],
    }[order.field]
    return [
        *({name: {"order": direction, "missing": "_last"}} for name in fields),
        {"record_id": {"order": "asc"}},
    ]


SEARCH_PARAMS: JSON = {"request_cache": True}
"""Sent with every search. The shard request cache keeps a whole answer (hits, total,
facets) keyed by the exact request body, which carries the caller's read scope and
filters, and drops it when the shard's contents change at a refresh: a caller gets from
it exactly what the engine would have answered it, never another caller's view, never a
stale one. A portal's repeated searches (its landing page, a facet clicked back and forth)
are then answered from memory. Without the parameter only ``size: 0`` requests would be
cached."""


def search_body(request: SearchRequest, query: CompiledQuery, after: list[Any] | None) -> JSON:
    """The whole search: hits, total and (optionally) facets under one filtered query."""
    body: JSON = {
        "query": _query(request, query),
        "sort": sort_spec(request.order),
        "size": request.first + 1,
        "track_total_hits": True,
        "_source": False,
    }
    if request.order.field is not SortField.RELEVANCE:
        body["track_scores"] = True  # the score is still shown beside a hit sorted otherwise
    if after is not None:
        body["search_after"] = after
    if request.with_facets:
        body["aggs"] = _aggregations()
    return body


def _query(request: SearchRequest, query: CompiledQuery) -> JSON:
    # Matching is a filter; the score comes only from the ``should`` clauses, which
    # count occurrences inside each record (see ``_scoring``). The engine's own
    # relevance (BM25) never reaches a hit: its statistics cover every record.
    clauses: JSON = {"filter": [scope_query(request.scope), *filter_queries(request.filter)]}
    should: list[JSON] = []
    if not query.match_all:
        clauses["filter"].append(_matched(query))
        should += _scores(query)
    if query.excluded:
        clauses["must_not"] = [_needle(n) for n in query.excluded]
    if request.with_highlights and query.text_needles:
        should.append(_highlighted_pages(scored(query)))
    if should:
        clauses["should"] = should
    return {"bool": clauses}


def _matched(query: CompiledQuery) -> JSON:
    if not query.clauses:
        return {"match_none": {}}
    return {
        "bool": {
            "should": [{"bool": {"filter": [_needle(n) for n in c]}} for c in query.clauses],
            "minimum_should_match": 1,
        }
    }


def _needle(needle: Needle) -> JSON:
    """Where one term matches: the folded text anywhere, or the normalised number."""
    if needle.number_key is not None:
        return {"term": {"document_number_key": needle.number_key}}
    pages = {"nested": {"path": "pages", "query": _phrase("pages.folded", needle.folded)}}
    return {
        "bool": {
            "should": [
                _phrase("meta_folded", needle.folded),
                _phrase("low_folded", needle.folded),
                pages,
            ],
            "minimum_should_match": 1,
        }
    }


def _scores(query: CompiledQuery) -> list[JSON]:
    """``_scoring``'s model: per scored phrase and spelling, its weight once per field
    holding it (the pages count as one field); the number weight for a number term."""
    scores: list[JSON] = []
    for item in scored(query):
        for spelling in spellings(item):
            scores.append(_counted(f"meta_{spelling.column}", item, spelling, TITLE.weight))
            scores.append(_counted(f"low_{spelling.column}", item, spelling, LOW.weight))
        per_page = [_counted(f"pages.{s.column}", item, s, BODY.weight) for s in spellings(item)]
        # max: a page with the exact spelling also has the folded one, so the best page
        # is "folded anywhere + exact anywhere", as on FTS5.
        scores.append(
            {"nested": {"path": "pages", "query": {"bool": {"should": per_page}}, "score_mode": "max"}}
        )
    if query.number_keys:
        numbers = {"terms": {"document_number_key": list(query.number_keys)}}
        scores.append({"constant_score": {"filter": numbers, "boost": NUMBER_WEIGHT}})
    return scores


def _counted(field: str, item: Scored, spelling: Spelling, weight: float) -> JSON:
    """A fixed weight when the phrase occurs in ``field``: constant, so no BM25 statistic."""
    phrase = _phrase(field, spelling.words(item.needle))
    return {"constant_score": {"filter": phrase, "boost": item.weight * spelling.weight * weight}}


def _phrase(field: str, text: str) -> JSON:
    return {"match_phrase": {field: {"query": text}}}


def _highlighted_pages(phrases: tuple[Scored, ...]) -> JSON:
    """A zero-weight clause whose inner hits carry the best pages and their text: the
    pages with the highest weight of scored phrases, then page order (``_scoring``);
    ``_highlight`` cuts the window."""
    found = [
        {"constant_score": {"filter": _phrase("pages.folded", p.needle.folded), "boost": p.weight}}
        for p in phrases
    ]
    return {
        "nested": {
            "path": "pages",
            "boost": 0,
            "score_mode": "sum",
            "query": {"bool": {"should": found}},
            "inner_hits": {
                "name": "pages",
                "size": HIGHLIGHT_PAGES,
                "sort": [{"_score": {"order": "desc"}}, {"pages.number": {"order": "asc"}}],
                "_source": {"includes": ["pages.number", "pages.file", "pages.text"]},
            },
        }
    }


def scope_query(scope: ReadScope) -> JSON:
    """``ReadScope`` as a filter. See its docstring for the rule."""
    public: JSON = {"term": {"is_public": True}}
    if scope.public_only:
        return public
    reach: list[JSON] = []
    if scope.all_agencies and scope.all_conditional:
        reach.append({"match_all": {}})
    elif scope.all_agencies:  # every agency's records except conditional-use ones (mode 02)
        reach.append({"bool": {"must_not": [{"term": {"conditional": True}}]}})
    if scope.agencies:
        reach.append({"terms": {"agency_code": sorted(scope.agencies)}})
    if scope.grantee_keys:
        reach.append({"terms": {"grants": sorted(scope.grantee_keys)}})
    if not reach:
        return public
    cleared = {
        "bool": {
            "filter": [{"range": {"classification": {"lte": int(scope.max_classification)}}}],
            "should": reach,
            "minimum_should_match": 1,
        }
    }
    return {"bool": {"should": [public, cleared], "minimum_should_match": 1}}


def filter_queries(flt: SearchFilter) -> list[JSON]:
    """``SearchFilter`` as filters; ``agency_codes`` is the issuing agency (the facet's field)."""
    out: list[JSON] = []
    if flt.agency_codes:
        out.append({"terms": {"issuing_agency_code": list(flt.agency_codes)}})
    if flt.document_types:
        out.append({"terms": {"document_type": list(flt.document_types)}})
    dates: JSON = {}
    if flt.issued_from is not None:
        dates["gte"] = flt.issued_from.isoformat()
    if flt.issued_to is not None:
        dates["lte"] = flt.issued_to.isoformat()
    if dates:
        out.append({"range": {"issue_date": dates}})
    if flt.direction is not None:
        out.append({"term": {"direction": flt.direction.value}})
    if flt.classifications:
        out.append({"terms": {"classification": [int(c) for c in flt.classifications]}})
    if flt.signed is not None:
        out.append({"term": {"signed": flt.signed}})
    if flt.signature_valid is not None:
        out.append({"term": {"signature_valid": flt.signature_valid}})
    if flt.fonds_ids:
        out.append({"terms": {"fonds_id": list(flt.fonds_ids)}})
    if flt.dossier_ids:
        out.append({"terms": {"dossier_id": list(flt.dossier_ids)}})
    if flt.updated_since is not None:
        out.append({"range": {"updated_at": {"gte": flt.updated_since.isoformat()}}})
    if flt.signer is not None:
        out.append({"term": {"signer_key": signer_key(flt.signer)}})
    if flt.urgencies:
        out.append({"terms": {"urgency": [u.value for u in flt.urgencies]}})
    if not flt.include_revoked:
        out.append({"bool": {"must_not": {"term": {"revoked": True}}}})
    return out


def _aggregations() -> JSON:
    # Inside the query (not post_filter): facets count only what scope and filter allow.
    return {
        "agencies": {"terms": {"field": "issuing_agency_code", "size": FACET_SIZE}},
        "document_types": {"terms": {"field": "document_type", "size": FACET_SIZE}},
        "years": {"terms": {"field": "year", "size": FACET_SIZE, "order": {"_key": "desc"}}},
        "dossiers": {"terms": {"field": "dossier_id", "size": FACET_SIZE}},
    }
